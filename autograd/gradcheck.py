"""``gradcheck`` and ``gradgradcheck``: analytic gradients against central finite differences.

Inputs are copied to float64 leaves, so the check is made in float64 whatever the caller's
dtype. On failure the report names the input, the element (as a multi-index), the output
element, the analytic and numeric values and the error.
"""

from __future__ import annotations

import numpy as np

from .engine import grad as _grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _prepare(inputs):
    """float64 leaf copies of the floating tensor inputs (keeping requires_grad)."""
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            c = Tensor._wrap(np.array(x._data, dtype=np.float64))
            c._rg = x._rg
            out.append(c)
        else:
            out.append(x)
    return tuple(out)


def _outputs(fn, inputs):
    out = _as_tuple(fn(*inputs))
    return tuple(o for o in out if isinstance(o, Tensor) and o.dtype.kind == "f")


def _numeric_jacobians(fn, inputs, diff_idx, eps):
    """For each differentiable input, J[k] of shape (input numel, total output numel)."""
    with no_grad():
        base = _outputs(fn, inputs)
        n_out = sum(o.numel() for o in base)
        jacs = []
        for i in diff_idx:
            x = inputs[i]
            flat = x._data.reshape(-1)
            J = np.zeros((flat.size, n_out))
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = _flat_out(_outputs(fn, inputs))
                flat[k] = orig - eps
                minus = _flat_out(_outputs(fn, inputs))
                flat[k] = orig
                J[k] = (plus - minus) / (2 * eps)
            jacs.append(J)
    return jacs, base


def _flat_out(outs):
    if not outs:
        return np.zeros(0)
    return np.concatenate([np.asarray(o._data, dtype=np.float64).reshape(-1) for o in outs])


def _analytic_jacobians(fn, inputs, diff_idx):
    with enable_grad():
        outs = _outputs(fn, inputs)
    n_out = sum(o.numel() for o in outs)
    xs = [inputs[i] for i in diff_idx]
    jacs = [np.zeros((x.numel(), n_out)) for x in xs]
    col = 0
    for o in outs:
        if not o.requires_grad:
            col += o.numel()
            continue
        for j in range(o.numel()):
            go = np.zeros(o.shape, dtype=o.dtype)
            go.reshape(-1)[j] = 1.0
            gs = _grad(
                [o], xs, grad_outputs=[Tensor._wrap(go)], retain_graph=True, allow_unused=True
            )
            for J, g, x in zip(jacs, gs, xs):
                if g is not None:
                    if tuple(g.shape) != tuple(x.shape):
                        raise GradcheckError(
                            f"gradient has shape {tuple(g.shape)}, but its "
                            f"input has shape {tuple(x.shape)}"
                        )
                    J[:, col + j] = g._data.reshape(-1)
        col += o.numel()
    return jacs


def _report(i, x, a, n, atol, rtol, out_shapes):
    err = np.abs(a - n) - (atol + rtol * np.abs(n))
    k, c = np.unravel_index(np.argmax(err), err.shape)
    elem = np.unravel_index(k, x.shape) if x.ndim else ()
    return (
        f"Jacobian mismatch for output {c} with respect to input {i},\n"
        f"numerical:{float(n[k, c])!r}\nanalytical:{float(a[k, c])!r}\n"
        f"at input {i} element {tuple(int(v) for v in elem)} (input shape {tuple(x.shape)}), "
        f"output element {c}: |analytical - numerical| = {abs(a[k, c] - n[k, c]):.3g} exceeds "
        f"atol + rtol * |numerical| = {atol + rtol * abs(n[k, c]):.3g} "
        f"({int(np.sum(err > 0))} of {err.size} entries fail)"
    )


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    fast_mode: bool = False,
    **kwargs,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    Parameters
    ----------
    func : callable
        Takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple
        The inputs; floating tensors with ``requires_grad=True`` are checked.
    eps, atol, rtol : float
        Finite-difference step and tolerances (``|a - n| <= atol + rtol * |n|``).
    raise_exception : bool
        Raise ``GradcheckError`` on failure (else return False).

    Returns
    -------
    bool
        True when every gradient matches.
    """
    inputs = _prepare(_as_tuple(inputs))
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but "
            "none of them have requires_grad=True."
        )
    try:
        num, base = _numeric_jacobians(func, inputs, diff_idx, eps)
        ana = _analytic_jacobians(func, inputs, diff_idx)
        for i, a, n in zip(diff_idx, ana, num):
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                raise GradcheckError(
                    _report(i, inputs[i], a, n, atol, rtol, [o.shape for o in base])
                )
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    **kwargs,
) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, grad_outputs) -> VJP."""
    inputs = _prepare(_as_tuple(inputs))
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    with enable_grad():
        outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(rng.standard_normal(o.shape)) for o in outs if o.requires_grad
        )
    else:
        grad_outputs = _prepare(_as_tuple(grad_outputs))
    gos = []
    for g in grad_outputs:
        c = Tensor._wrap(np.array(g._data, dtype=np.float64))
        c._rg = True
        gos.append(c)
    n_in = len(inputs)

    def vjp_fn(*args):
        xs = args[:n_in]
        gs = args[n_in:]
        with enable_grad():
            outs = [o for o in _outputs(func, xs) if o.requires_grad]
            diff = [xs[i] for i in diff_idx]
            res = _grad(outs, diff, grad_outputs=list(gs), create_graph=True, allow_unused=True)
        return tuple(r for r in res if r is not None)

    return gradcheck(
        vjp_fn,
        tuple(inputs) + tuple(gos),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
