"""``torch.autograd.functional``: Jacobians, Hessians and vector products of a function.

Each function takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors) with PyTorch's
signature and returns PyTorch's structure: a Tensor where ``inputs`` (and the outputs) are single
Tensors, tuples where they are tuples. Everything is built from :func:`autograd.grad` (reverse
mode); the forward-mode products (``jvp``, ``hvp``) use the double-backward trick, as PyTorch's
implementation does: the VJP of a VJP with respect to its (linear) ``grad_output`` argument.
``vectorize`` and the strategy arguments are accepted; they choose how PyTorch batches the work,
not the values, and ndgrad always computes row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import grad as _grad
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el).__name__}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the given {arg_name} has type {type(el).__name__}."
            )
    return is_tuple, items


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Unwrap the tuples that stand for single Tensors (``to_unpack``: is each level a tuple)."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            res = tuple(el[0] for el in res)
        if not outer:
            res = res[0]
        return res
    return res if to_unpack else res[0]


def _grad_preprocess(inputs: tuple, create_graph: bool) -> tuple:
    # With create_graph, an input that requires grad stays connected to its own graph (an alias
    # that is a non-leaf); otherwise the function sees detached leaves asking for gradients.
    out = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            out.append(inp.view_as(inp))
        else:
            out.append(inp.detach().requires_grad_(True))
    return tuple(out)


def _grad_postprocess(items: tuple, create_graph: bool) -> tuple:
    if create_graph:
        return items
    return tuple(t.detach() if isinstance(t, Tensor) else t for t in items)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_o) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_o.shape):
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_o.shape} but got {el_v.shape}."
            )


def _autograd_grad(
    outputs: tuple, inputs: tuple, grad_outputs: tuple | None, create_graph: bool
) -> tuple:
    """``grad`` over the outputs that take part in a graph; ``None`` for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gos = [], []
    for out, go in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            outs.append(out)
            gos.append(go)
    if not outs:
        return (None,) * len(inputs)
    if all(g is None for g in gos):
        gos = None
    elif any(g is None for g in gos):
        gos = [np.ones(o.shape, dtype=o.dtype) if g is None else g for o, g in zip(outs, gos)]
        gos = [Tensor._wrap(g) if isinstance(g, np.ndarray) else g for g in gos]
    return _grad(
        outs,
        inputs,
        gos,
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, stage: str) -> tuple:
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        f"The output of the user-provided function is independent of input {i}. "
                        "This is not allowed in strict mode."
                    )
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."
                )
            g = Tensor._wrap(np.zeros(ref.shape, dtype=ref.dtype))
        res.append(g)
    return tuple(res)


def vjp(
    func: Callable,
    inputs: Tensor | tuple,
    v: Tensor | tuple | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Parameters
    ----------
    func : callable
        Takes the Tensors of ``inputs`` and returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple of Tensor
    v : Tensor or tuple of Tensor, optional
        Same shapes as the outputs; may be omitted when ``func`` returns one single-element
        Tensor.
    create_graph : bool
        Make the result differentiable.
    strict : bool
        Raise when an input does not influence the outputs (else its product is zeros).

    Returns
    -------
    (func_output, vjp)
        ``vjp`` has the shapes (and tuple structure) of ``inputs``.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp"
        )
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        grads = _autograd_grad(outputs, inputs, v, create_graph)
        res = _fill_in_zeros(grads, inputs, strict, "back")
    return (
        _tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
        _tuple_postprocess(_grad_postprocess(res, create_graph), is_inputs_tuple),
    )


def jvp(
    func: Callable,
    inputs: Tensor | tuple,
    v: Tensor | tuple | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``.

    ``v`` has the shapes of ``inputs`` (it may be omitted for one single-element input); the
    product has the shapes of the outputs. Returns ``(func_output, jvp)``.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp"
        )
        # u -> J^T u is linear in u; differentiating it with respect to u, along v, gives J v.
        us = tuple(
            Tensor._wrap(np.zeros(o.shape, dtype=o.dtype)).requires_grad_(True) for o in outputs
        )
        grad_inputs = _autograd_grad(outputs, inputs, us, create_graph=True)
        if strict:
            _fill_in_zeros(grad_inputs, inputs, strict, "back")
        grads = _autograd_grad(grad_inputs, us, v, create_graph)
        res = _fill_in_zeros(grads, outputs, strict, "back_trick")
    return (
        _tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
        _tuple_postprocess(_grad_postprocess(res, create_graph), is_outputs_tuple),
    )


def jacobian(
    func: Callable,
    inputs: Tensor | tuple,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``.

    Returns
    -------
    Tensor, or tuple, or tuple of tuples
        Entry ``[i][j]`` has shape ``outputs[i].shape + inputs[j].shape`` and holds
        ``d outputs[i] / d inputs[j]``; the tuple levels are dropped where ``func`` returns a
        single Tensor or ``inputs`` is a single Tensor.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            'torch.autograd.functional.jacobian: `strategy="forward-mode"` is only '
            "implemented for `vectorize=True`."
        )
    from ..ops import stack

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        jac = []
        for i, out in enumerate(outputs):
            rows: list[list] = [[] for _ in inputs]
            n = out.numel()
            for j in range(n):
                onehot = np.zeros(n, dtype=out.dtype)
                onehot[j] = 1
                go = Tensor._wrap(onehot.reshape(out.shape))
                grads = _autograd_grad((out,), inputs, (go,), create_graph)
                for k, g in enumerate(grads):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode."
                            )
                        g = Tensor._wrap(np.zeros(inputs[k].shape, dtype=inputs[k].dtype))
                    rows[k].append(g)
            blocks = []
            for k, inp in enumerate(inputs):
                shape = tuple(out.shape) + tuple(inp.shape)
                if n == 0 or inp.numel() == 0:
                    blocks.append(Tensor._wrap(np.zeros(shape, dtype=inp.dtype)))
                else:
                    blocks.append(stack(rows[k]).reshape(shape))
            jac.append(_grad_postprocess(tuple(blocks), create_graph))
    return _tuple_postprocess(tuple(jac), (is_outputs_tuple, is_inputs_tuple))


def hessian(
    func: Callable,
    inputs: Tensor | tuple,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``.

    Returns
    -------
    Tensor or tuple of tuples
        Entry ``[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def jac_func(*inp):
        return jacobian(scalar_func, inp, create_graph=True)

    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _scalar_output(func: Callable, inputs: tuple, fn_name: str) -> Tensor:
    out = func(*inputs)
    is_out_tuple, outputs = _as_tuple(out, "outputs of the user-provided function", fn_name)
    if is_out_tuple or not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return out


def _hess_products(func, inputs, v, create_graph, strict, fn_name):
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _grad_preprocess(inputs, create_graph)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        out = _scalar_output(func, inputs, fn_name)
        jac = _autograd_grad((out,), inputs, None, create_graph=True)
        jac = _fill_in_zeros(jac, inputs, strict, "double_back")
        if fn_name == "vhp":
            grads = _autograd_grad(jac, inputs, v, create_graph)
        else:  # hvp, as PyTorch computes it: the double-backward trick on the gradient
            us = tuple(
                Tensor._wrap(np.zeros(t.shape, dtype=t.dtype)).requires_grad_(True) for t in inputs
            )
            back = _autograd_grad(jac, inputs, us, create_graph=True)
            back = _fill_in_zeros(back, inputs, strict, "double_back")
            grads = _autograd_grad(back, us, v, create_graph)
        res = _fill_in_zeros(grads, inputs, strict, "double_back_trick")
    return (
        _grad_postprocess((out,), create_graph)[0],
        _tuple_postprocess(_grad_postprocess(res, create_graph), is_inputs_tuple),
    )


def vhp(
    func: Callable,
    inputs: Tensor | tuple,
    v: Tensor | tuple | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """The vector-Hessian product ``v^T H`` of the scalar function ``func``: returns
    ``(func_output, vhp)``, ``vhp`` with the shapes of ``inputs``."""
    return _hess_products(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable,
    inputs: Tensor | tuple,
    v: Tensor | tuple | None = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """The Hessian-vector product ``H v`` of the scalar function ``func``: returns
    ``(func_output, hvp)``, ``hvp`` with the shapes of ``inputs``."""
    return _hess_products(func, inputs, v, create_graph, strict, "hvp")
