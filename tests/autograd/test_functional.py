"""``torch.autograd.functional`` (``autograd/autograd/functional.py``) against central finite
differences and closed forms, with PyTorch's signatures and result structures."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch
from autograd.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

RNG = np.random.default_rng(0)


def _t(*shape):
    return torch.tensor(RNG.normal(size=shape), dtype=torch.float64)


def _fd_jacobian(f, xs, eps=1e-6):
    """d f(xs)[i] / d xs[j] by central differences (f returns a tuple of arrays)."""
    base = [x.numpy().copy() for x in xs]
    outs = [np.asarray(o) for o in f(*[torch.tensor(b) for b in base])]
    jac = [[np.zeros(o.shape + b.shape) for b in base] for o in outs]
    for j, b in enumerate(base):
        for k in np.ndindex(b.shape):
            plus = [c.copy() for c in base]
            minus = [c.copy() for c in base]
            plus[j][k] += eps
            minus[j][k] -= eps
            fp = f(*[torch.tensor(c) for c in plus])
            fm = f(*[torch.tensor(c) for c in minus])
            for i in range(len(outs)):
                jac[i][j][(Ellipsis, *k)] = (np.asarray(fp[i]) - np.asarray(fm[i])) / (2 * eps)
    return jac


def _two_in_two_out(x, y):
    return (x.sin() * y.sum(), (x[:, None] * y[None, :]).tanh())


def test_jacobian_structures_and_values_match_finite_differences():
    x, y = _t(3), _t(2)
    J = jacobian(_two_in_two_out, (x, y))
    ref = _fd_jacobian(lambda a, b: tuple(o.numpy() for o in _two_in_two_out(a, b)), (x, y))
    assert isinstance(J, tuple) and len(J) == 2 and all(len(r) == 2 for r in J)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(J[i][j].numpy(), ref[i][j], rtol=1e-6, atol=1e-8)
    assert J[1][0].shape == (3, 2, 3)
    # single tensor in and out: one Tensor of shape out.shape + in.shape
    J1 = jacobian(lambda a: a.exp() * 2, x)
    assert isinstance(J1, torch.Tensor) and J1.shape == (3, 3)
    np.testing.assert_allclose(J1.numpy(), np.diag(2 * np.exp(x.numpy())), rtol=1e-12)
    # tuple out, single in: a tuple over outputs
    J2 = jacobian(lambda a: (a.sum(), a * 3), x)
    assert isinstance(J2, tuple) and J2[0].shape == (3,) and J2[1].shape == (3, 3)
    assert not J1.requires_grad and not x.requires_grad


def test_jacobian_of_an_unused_input_is_zeros_unless_strict():
    x, y = _t(2), _t(2)
    J = jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_array_equal(J[1].numpy(), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        jacobian(lambda a: a, [x])


def test_jacobian_create_graph_is_differentiable():
    x = _t(3).requires_grad_()
    J = jacobian(lambda a: (a**3).sum(), x, create_graph=True)  # 3 a^2
    assert J.requires_grad
    (g,) = torch.grad(J.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * x.detach().numpy(), rtol=1e-12)


def test_hessian_matches_the_closed_form():
    x = _t(3)

    def f(a):
        return (a**3).sum() + a[0] * a[1]

    H = hessian(f, x)
    ref = np.diag(6 * x.numpy())
    ref[0, 1] = ref[1, 0] = 1.0
    np.testing.assert_allclose(H.numpy(), ref, rtol=1e-12)
    # tuple inputs: a tuple of tuples of blocks inputs[i].shape + inputs[j].shape
    a, b = _t(2), _t(3)
    Hs = hessian(lambda u, v: (u.sum() * v**2).sum(), (a, b))
    assert Hs[0][1].shape == (2, 3) and Hs[1][1].shape == (3, 3)
    np.testing.assert_allclose(Hs[0][0].numpy(), np.zeros((2, 2)))
    np.testing.assert_allclose(Hs[0][1].numpy(), np.tile(2 * b.numpy(), (2, 1)), rtol=1e-12)
    np.testing.assert_allclose(Hs[1][1].numpy(), np.eye(3) * 2 * a.numpy().sum(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="single element"):
        hessian(lambda u: u * 2, x)


def test_vjp_and_jvp_are_the_jacobian_products():
    x, y = _t(3), _t(2)
    J = jacobian(_two_in_two_out, (x, y))
    v_out = (_t(3), _t(3, 2))
    out, res = vjp(_two_in_two_out, (x, y), v_out)
    for j in range(2):
        ref = sum(
            np.tensordot(v_out[i].numpy(), J[i][j].numpy(), axes=v_out[i].ndim) for i in range(2)
        )
        np.testing.assert_allclose(res[j].numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(out[0].numpy(), _two_in_two_out(x, y)[0].numpy())
    v_in = (_t(3), _t(2))
    out, res = jvp(_two_in_two_out, (x, y), v_in)
    for i in range(2):
        ref = sum(
            np.tensordot(J[i][j].numpy(), v_in[j].numpy(), axes=v_in[j].ndim) for j in range(2)
        )
        np.testing.assert_allclose(res[i].numpy(), ref, rtol=1e-10)
    assert not res[0].requires_grad


def test_v_may_be_omitted_only_for_single_elements():
    x = _t(3)
    out, g = vjp(lambda a: (a**2).sum(), x)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())
    with pytest.raises(RuntimeError, match="v can only be None"):
        vjp(lambda a: a**2, x)
    s = _t(1)
    _, d = jvp(lambda a: torch.cat([a, a**2]), s)
    np.testing.assert_allclose(d.numpy(), [1.0, 2 * s.item()])
    with pytest.raises(RuntimeError, match="v can only be None"):
        jvp(lambda a: a**2, x)
    with pytest.raises(RuntimeError, match="invalid size"):
        vjp(lambda a: a**2, x, _t(2))


def test_hvp_and_vhp_are_hessian_products():
    x, v = _t(3), _t(3)

    def f(a):
        return (a.sin() * a.sum()).sum()

    H = hessian(f, x).numpy()
    out, hv = hvp(f, x, v)
    np.testing.assert_allclose(hv.numpy(), H @ v.numpy(), rtol=1e-10)
    _, vh = vhp(f, x, v)
    np.testing.assert_allclose(vh.numpy(), v.numpy() @ H, rtol=1e-10)
    np.testing.assert_allclose(out.numpy(), f(x).numpy())


def test_reachable_as_torch_autograd_functional():
    assert torch.autograd.functional.hessian is hessian
