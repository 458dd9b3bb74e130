"""``autograd.backends``: the backend switches scripts set (``cudnn.benchmark = True``) and
query (``mps.is_available()``). On the CPU they select nothing; assignments are kept so a
script can read back what it set."""

from . import cuda, cudnn, mkldnn, mps

__all__ = ["cuda", "cudnn", "mkldnn", "mps"]
