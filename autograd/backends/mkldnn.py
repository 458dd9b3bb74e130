"""``autograd.backends.mkldnn``: an assignable flag; NumPy's BLAS is what runs."""

enabled: bool = True


def is_available() -> bool:
    """Always ``False``."""
    return False
