"""ndgrad's ``nn``: the ``torch.nn`` namespace."""

from . import functional, init, parallel, utils
from .modules import *
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
