"""The op registry is the one source of the public names (NOTE [ How ops are exposed ])."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import autograd
from autograd.ops import _registry
from autograd.ops._registry import PUBLIC, REGISTRY, Op, install_methods, public

# PyTorch names that API.md promises, as ``torch.<name>`` functions ...
CONTRACT_FUNCTIONS = """
add sub mul div floor_divide remainder pow matmul neg abs exp log log1p expm1 sqrt rsqrt sin cos
tan tanh sigmoid relu sign floor ceil round clamp clip maximum minimum where erf eq ne lt le gt ge
logical_and logical_or logical_xor logical_not isnan isfinite sum mean prod max min amax amin
argmax argmin var std norm logsumexp cumsum all any reshape flatten unflatten squeeze unsqueeze
permute transpose swapaxes broadcast_to tile flip roll narrow cat stack split chunk unbind gather
scatter index_select masked_fill masked_select take_along_dim tril triu diag diagonal mm bmm dot
outer einsum tensordot softmax log_softmax cumprod logaddexp nan_to_num meshgrid sort topk median
""".split()
# ... and as ``Tensor.<name>`` methods (in-place forms included).
CONTRACT_METHODS = """
add sub mul div floor_divide remainder pow matmul neg abs exp log log1p expm1 sqrt rsqrt sin cos
tan tanh sigmoid relu sign floor ceil round clamp clip maximum minimum erf eq ne lt le gt ge
logical_and logical_or logical_xor logical_not isnan isfinite sum mean prod max min amax amin
argmax argmin var std norm logsumexp cumsum all any reshape view flatten unflatten squeeze
unsqueeze permute transpose swapaxes expand expand_as broadcast_to repeat tile flip roll narrow
split chunk unbind gather scatter index_select masked_fill masked_select take_along_dim tril triu
diag diagonal mm bmm dot outer softmax log_softmax add_ mul_ sub_ div_ clamp_ pow_ exp_ relu_
masked_fill_ index_fill_ scatter_ tril_ triu_ __add__ __radd__ __sub__ __rsub__ __mul__ __rmul__
__truediv__ __rtruediv__ __floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __matmul__
__rmatmul__ __neg__ __iadd__ __isub__ __imul__ __itruediv__ __eq__ __ne__ __lt__ __le__ __gt__
__ge__ __getitem__ __setitem__
""".split()


def test_contract_functions_are_exposed():
    missing = [n for n in CONTRACT_FUNCTIONS if not callable(getattr(autograd, n, None))]
    assert not missing, f"autograd is missing the public functions {missing}"


def test_contract_methods_are_exposed():
    missing = [n for n in CONTRACT_METHODS if not callable(getattr(autograd.Tensor, n, None))]
    assert not missing, f"Tensor is missing the methods {missing}"


def test_namespace_is_generated_from_the_registry():
    from autograd import ops

    declared = sorted(n for n, p in PUBLIC.items() if p.function)
    assert ops.__all__ == declared
    for n in declared:
        # the function is the declared op behind the out= wrapper (NOTE [ out= ])
        assert getattr(autograd, n).__wrapped__ is PUBLIC[n].fn, n
    for p in PUBLIC.values():
        for m in p.methods:
            assert getattr(autograd.Tensor, m) is p.fn, m
            if p.inplace:
                assert callable(getattr(autograd.Tensor, m + "_")), m


def test_methods_call_the_function_with_self_first():
    x = autograd.tensor([[1.0, -2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(x.clamp(min=0).numpy(), autograd.clamp(x, min=0).numpy())
    np.testing.assert_array_equal(x.sum(1).numpy(), autograd.sum(x, 1).numpy())
    y = x.clone()
    assert y.clamp_(max=1.0) is y
    np.testing.assert_array_equal(y.numpy(), [[1.0, -2.0], [1.0, 1.0]])
    z = x.clone()
    z.add_(1, alpha=2)  # the ufunc fast path falls back for keyword arguments
    np.testing.assert_array_equal(z.numpy(), x.numpy() + 2)


def test_every_op_reaches_the_registry_without_nn():
    code = (
        "import sys, autograd\n"
        "from autograd.ops._registry import REGISTRY\n"
        "before = set(REGISTRY)\n"
        "assert not {'nn', 'optim', 'data'} & set(sys.modules), sorted(sys.modules)\n"
        "import nn, optim, data\n"
        "print(sorted(set(REGISTRY) - before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", f"ops registered only once nn/optim/data are imported: {out}"


def test_a_declared_method_cannot_shadow_the_class_body():
    class T:
        def exp(self):
            return "mine"

    saved = dict(PUBLIC)
    try:
        with pytest.raises(RuntimeError, match="defined twice"):
            install_methods(T)
    finally:
        PUBLIC.clear()
        PUBLIC.update(saved)


def test_a_public_name_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        public(lambda x: x, name="exp")


def test_adding_an_op_is_one_declaration(monkeypatch):
    """A new op with its exposure declared is reachable as a function, a method and an
    in-place method, with a gradient, after ``install_methods`` alone."""
    monkeypatch.setattr(_registry, "PUBLIC", dict(PUBLIC))
    monkeypatch.setattr(_registry, "REGISTRY", dict(REGISTRY))

    def _cube_vjp(grad, ans, x):
        return autograd.mul(grad, autograd.mul(autograd.mul(x, x), 3.0))

    cube = Op("cube_for_test", lambda x: x**3, save=(0,), function=True, method=True, inplace=True)
    cube.defvjp(_cube_vjp)
    cls = type("T", (autograd.Tensor,), {})
    install_methods(cls)
    x = cls._wrap(np.array([1.0, 2.0]), True)
    y = x.cube_for_test()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    z = cls._wrap(np.array([2.0]))
    z.cube_for_test_()
    np.testing.assert_allclose(z.numpy(), [8.0])
