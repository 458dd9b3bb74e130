"""``autograd.backends.cuda``: ``matmul.allow_tf32`` and friends, assignable, no effect."""


class _Matmul:
    """``backends.cuda.matmul``: the TF32/reduced-precision switches (kept, not used)."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built() -> bool:
    """Always ``False``."""
    return False
