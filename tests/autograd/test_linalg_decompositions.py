"""``linalg.svd``/``svdvals``/``torch.svd``, ``linalg.qr``/``torch.qr``, ``linalg.eigh``/
``eigvalsh``: result types, shapes, dtypes, ``grad_fn`` names and errors as PyTorch 2.13 gives
them (values checked against PyTorch by hand; gradients are in the op table, rows_linalg.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _t(shape, dtype=np.float64, requires_grad=False, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ag.tensor(a, requires_grad=requires_grad)


@pytest.mark.parametrize(
    "shape, full, expected",
    [
        ((4, 3), True, [(4, 4), (3,), (3, 3)]),
        ((4, 3), False, [(4, 3), (3,), (3, 3)]),
        ((3, 4), True, [(3, 3), (3,), (4, 4)]),
        ((2, 5, 3, 4), False, [(2, 5, 3, 3), (2, 5, 3), (2, 5, 3, 4)]),
        ((0, 3), True, [(0, 0), (0,), (3, 3)]),
        ((2, 0), True, [(2, 2), (0,), (0, 0)]),
    ],
)
def test_linalg_svd_shapes(shape, full, expected):
    r = ag.linalg.svd(_t(shape), full_matrices=full)
    assert type(r).__name__ == "linalg_svd"
    assert [tuple(x.shape) for x in r] == expected
    assert r.U is r[0] and r.S is r[1] and r.Vh is r[2]


def test_linalg_svd_reconstructs_and_matches_numpy():
    A = _t((2, 4, 3))  # noqa: N806
    U, S, Vh = ag.linalg.svd(A, full_matrices=False)  # noqa: N806
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ Vh).numpy(), A.numpy(), atol=1e-12)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(A.numpy(), compute_uv=False))
    np.testing.assert_allclose(ag.linalg.svdvals(A).numpy(), S.numpy())


def test_empty_full_svd_gives_identities():
    r = ag.linalg.svd(_t((0, 3)))
    np.testing.assert_array_equal(r.Vh.numpy(), np.eye(3))


def test_svd_float32_stays_float32():
    A = _t((3, 2), np.float32)  # noqa: N806
    assert [x.dtype for x in ag.linalg.svd(A)] == [ag.float32] * 3
    assert ag.linalg.svdvals(A).dtype == ag.float32
    assert [x.dtype for x in ag.linalg.qr(A)] == [ag.float32] * 2
    S = _t((3, 3), np.float32)  # noqa: N806
    assert [x.dtype for x in ag.linalg.eigh(S)] == [ag.float32] * 2


def test_svd_one_node_three_outputs():
    A = _t((4, 3), requires_grad=True)  # noqa: N806
    U, S, Vh = ag.linalg.svd(A)  # noqa: N806
    assert U.grad_fn is S.grad_fn is Vh.grad_fn
    assert U.grad_fn.name() == "LinalgSvdBackward0"
    assert ag.linalg.svdvals(A).grad_fn.name() == "LinalgSvdBackward0"
    assert ag.linalg.svdvals(A.detach()).grad_fn is None


def test_torch_svd():
    A = _t((4, 3), requires_grad=True)  # noqa: N806
    r = ag.svd(A)
    assert type(r).__name__ == "svd" and r._fields == ("U", "S", "V")
    assert [tuple(x.shape) for x in r] == [(4, 3), (3,), (3, 3)]
    np.testing.assert_allclose(
        ((r.U * r.S) @ r.V.mT).detach().numpy(), A.detach().numpy(), atol=1e-12
    )
    assert r.U.grad_fn.name() == "LinalgSvdBackward0"
    assert r.V.grad_fn.name() == "TransposeBackward0"
    assert [tuple(x.shape) for x in A.svd(some=False)] == [(4, 4), (3,), (3, 3)]
    r = ag.svd(A, compute_uv=False)
    assert [tuple(x.shape) for x in r] == [(4, 4), (3,), (3, 3)]
    assert not r.U.numpy().any() and not r.V.numpy().any()
    assert r.U.grad_fn is None and r.S.grad_fn.name() == "LinalgSvdBackward0"


def test_svd_full_matrices_gradient_ignores_the_extra_columns():
    # PyTorch narrows gU/gVh to the first k columns/rows: a loss reading the extra columns
    # of U still backpropagates (their gradient is dropped)
    A = _t((4, 3), requires_grad=True)  # noqa: N806
    U, S, Vh = ag.linalg.svd(A)  # noqa: N806
    (U.sum() + S.sum()).backward()
    A2 = A.detach().requires_grad_()  # noqa: N806
    U2, S2, _ = ag.linalg.svd(A2)  # noqa: N806
    (U2[:, :3].sum() + S2.sum()).backward()
    np.testing.assert_allclose(A.grad.numpy(), A2.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "fn, bad, exc, msg",
    [
        (ag.linalg.svd, (3,), RuntimeError, "linalg.svd: The input tensor A must have at least 2"),
        (ag.linalg.svdvals, (3,), RuntimeError, "linalg.svd: The input tensor A must have at"),
        (ag.svd, (3,), RuntimeError, "linalg.svd: input should have at least 2 dimensions, but"),
        (ag.linalg.qr, (3,), RuntimeError, "linalg.qr: The input tensor A must have at least 2"),
        (ag.linalg.eigh, (3,), RuntimeError, "linalg.eigh: The input tensor A must have at least"),
        (ag.linalg.eigh, (3, 4), RuntimeError, "linalg.eigh: A must be batches of square matric"),
        (ag.linalg.eigvalsh, (3, 4), RuntimeError, "but they are 3 by 4 matrices"),
    ],
)
def test_shape_errors(fn, bad, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(_t(bad))


def test_dtype_errors():
    i = ag.zeros(3, 3, dtype=ag.int64)
    for fn in (ag.linalg.svd, ag.linalg.svdvals, ag.svd, ag.linalg.qr):
        with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as "):
            fn(i)
    for fn in (ag.linalg.eigh, ag.linalg.eigvalsh):
        with pytest.raises(
            NotImplementedError, match="\"linalg_eigh_cpu\" not implemented for 'Long'"
        ):
            fn(i)


def test_svd_driver_is_cuda_only():
    with pytest.raises(RuntimeError, match="keyword argument `driver=` is only supported on CUDA"):
        ag.linalg.svd(_t((3, 2)), driver="gesvd")


@pytest.mark.parametrize(
    "shape, mode, expected",
    [
        ((4, 3), "reduced", [(4, 3), (3, 3)]),
        ((4, 3), "complete", [(4, 4), (4, 3)]),
        ((4, 3), "r", [(0,), (3, 3)]),
        ((3, 4), "reduced", [(3, 3), (3, 4)]),
        ((3, 4), "complete", [(3, 3), (3, 4)]),
        ((3, 4), "r", [(0,), (3, 4)]),
        ((0, 3), "reduced", [(0, 0), (0, 3)]),
    ],
)
def test_linalg_qr_shapes(shape, mode, expected):
    r = ag.linalg.qr(_t(shape), mode=mode)
    assert type(r).__name__ == "linalg_qr" and r._fields == ("Q", "R")
    assert [tuple(x.shape) for x in r] == expected


def test_qr_bad_mode():
    with pytest.raises(RuntimeError, match="qr received unrecognized mode 'x' but expected one of"):
        ag.linalg.qr(_t((3, 3)), mode="x")


@pytest.mark.parametrize("shape, mode", [((4, 3), "r"), ((3, 4), "r"), ((4, 3), "complete")])
def test_qr_backward_refuses_as_pytorch_does(shape, mode):
    A = _t(shape, requires_grad=True)  # noqa: N806
    Q, R = ag.linalg.qr(A, mode=mode)  # noqa: N806
    assert R.grad_fn.name() == "LinalgQrBackward0"
    msg = "depends on Q, which is not computed" if mode == "r" else "not differentiable when mode="
    with pytest.raises(RuntimeError, match=msg):
        R.sum().backward()


def test_torch_qr_warns_and_matches_linalg_qr():
    A = _t((4, 3), requires_grad=True)  # noqa: N806
    with pytest.warns(UserWarning, match="torch.qr is deprecated in favor of torch.linalg.qr"):
        r = ag.qr(A, some=False)
    assert type(r).__name__ == "qr"
    assert [tuple(x.shape) for x in r] == [(4, 4), (4, 3)]
    with pytest.warns(UserWarning):
        assert A.qr().Q.grad_fn.name() == "LinalgQrBackward0"


def test_eigh():
    a = _t((2, 3, 3)).numpy()
    S = ag.tensor(a + np.swapaxes(a, -1, -2), requires_grad=True)  # noqa: N806
    r = ag.linalg.eigh(S)
    assert type(r).__name__ == "linalg_eigh" and r._fields == ("eigenvalues", "eigenvectors")
    assert r.eigenvalues.grad_fn is r.eigenvectors.grad_fn
    assert r.eigenvalues.grad_fn.name() == "LinalgEighBackward0"
    np.testing.assert_allclose(
        r.eigenvalues.detach().numpy(), np.linalg.eigvalsh(S.detach().numpy())
    )
    assert ag.linalg.eigvalsh(S).grad_fn.name() == "LinalgEighBackward0"
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        ag.linalg.eigh(S, UPLO="X")


def test_eigh_reads_one_triangle_and_its_gradient_is_symmetric():
    # as in PyTorch: the gradient is V (..) V^T, symmetric, not projected onto the triangle
    a = np.array([[2.0, 5.0, -1.0], [0.5, 1.0, 3.0], [0.2, -0.7, -2.0]])
    A = ag.tensor(a, requires_grad=True)  # noqa: N806
    ag.linalg.eigvalsh(A, UPLO="U").pow(2).sum().backward()
    g = A.grad.numpy()
    np.testing.assert_allclose(g, g.T, atol=1e-12)
    upper = np.triu(a) + np.triu(a, 1).T
    np.testing.assert_allclose(
        ag.linalg.eigvalsh(A, "U").detach().numpy(), np.linalg.eigvalsh(upper)
    )
