"""``autograd.backends.cudnn``: assignable flags with PyTorch's defaults; there is no cuDNN."""

enabled: bool = True
benchmark: bool = False
deterministic: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    """Always ``False``."""
    return False


def version() -> None:
    """``None``: cuDNN is not linked."""
    return None
