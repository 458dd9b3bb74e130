"""``autograd.distributed``: ``torch.distributed`` over MPI (mpi4py, imported lazily).

Launch: ``mpirun -np N python -m mpi4py script.py``; see NOTE [ MPI underneath ] in
``_group.py``.
"""

from ._collectives import *
from ._group import *
