"""The layers of ``nn``, one family per file (named as PyTorch names its files)."""

from . import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
)
from .activation import *
from .batchnorm import *
from .container import *
from .conv import *
from .dropout import *
from .flatten import *
from .linear import *
from .loss import *
from .module import *
from .normalization import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *

__all__ = [
    name
    for mod in (
        activation,
        batchnorm,
        container,
        conv,
        dropout,
        flatten,
        linear,
        loss,
        module,
        normalization,
        pooling,
        rnn,
        sparse,
        transformer,
    )
    for name in mod.__all__
]
