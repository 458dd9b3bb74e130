"""``autograd.utils``: the ``torch.utils`` namespace (``checkpoint``; ``data`` is added as a lazy
alias of the top-level ``data`` package elsewhere). Imports nothing eagerly."""
