"""``autograd.backends.mps``: there is no Metal device."""


def is_available() -> bool:
    """Always ``False``."""
    return False


def is_built() -> bool:
    """Always ``False``."""
    return False
