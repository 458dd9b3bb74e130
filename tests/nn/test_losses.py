"""Losses against independent NumPy formulas (every reduction and option), stability at extreme
logits, the modules as thin wrappers, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(1234)


def _reduce(v, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](v)


def _close(got, expected, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(got.detach().numpy()), expected, rtol=rtol, atol=1e-12)


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x = rng.standard_normal((4, 3))
    y = rng.standard_normal((4, 3))
    d = x - y
    a = np.abs(d)
    X, Y = ag.tensor(x), ag.tensor(y)
    _close(F.mse_loss(X, Y, reduction=reduction), _reduce(d**2, reduction))
    _close(F.l1_loss(X, Y, reduction=reduction), _reduce(a, reduction))
    for beta in (1.0, 0.4):
        sl1 = np.where(a < beta, 0.5 * d**2 / beta, a - 0.5 * beta)
        _close(F.smooth_l1_loss(X, Y, reduction=reduction, beta=beta), _reduce(sl1, reduction))
        hub = np.where(a <= beta, 0.5 * d**2, beta * (a - 0.5 * beta))
        _close(F.huber_loss(X, Y, reduction=reduction, delta=beta), _reduce(hub, reduction))
    _close(F.smooth_l1_loss(X, Y, reduction=reduction, beta=0.0), _reduce(a, reduction))
    # the modules are thin wrappers
    _close(nn.MSELoss(reduction=reduction)(X, Y), _reduce(d**2, reduction))
    _close(nn.L1Loss(reduction=reduction)(X, Y), _reduce(a, reduction))
    _close(
        nn.HuberLoss(reduction=reduction, delta=0.4)(X, Y),
        F.huber_loss(X, Y, reduction=reduction, delta=0.4).numpy(),
    )


def _ce_reference(x, t, weight=None, ignore_index=-100, eps=0.0, reduction="mean"):
    """Cross-entropy by its definition, class axis 1, written independently of the library."""
    c = x.shape[1]
    lp = _log_softmax(x, 1)
    w = np.ones(c) if weight is None else weight
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    picked = np.take_along_axis(lp, ts[:, None], 1)[:, 0]
    nll = -w[ts] * picked * keep
    smooth = -(lp * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(1) * keep
    per = (1 - eps) * nll + eps / c * smooth
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / (w[ts] * keep).sum()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3)])
@pytest.mark.parametrize("eps", [0.0, 0.15])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(reduction, shape, eps, weighted):
    x = rng.standard_normal(shape) * 2
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    t.reshape(-1)[1] = -100
    w = rng.uniform(0.5, 2.0, shape[1]) if weighted else None
    got = F.cross_entropy(
        ag.tensor(x),
        ag.tensor(t),
        weight=None if w is None else ag.tensor(w),
        reduction=reduction,
        label_smoothing=eps,
    )
    _close(got, _ce_reference(x, t, w, eps=eps, reduction=reduction))
    # nll_loss on log-probabilities is cross-entropy without smoothing
    if eps == 0:
        nll = F.nll_loss(
            ag.tensor(_log_softmax(x, 1)),
            ag.tensor(t),
            weight=None if w is None else ag.tensor(w),
            reduction=reduction,
        )
        _close(nll, _ce_reference(x, t, w, reduction=reduction))


def test_cross_entropy_gradient_is_softmax_minus_target():
    x = rng.standard_normal((4, 5))
    t = np.array([0, 4, 2, 2])
    X = ag.tensor(x, requires_grad=True)
    F.cross_entropy(X, ag.tensor(t), reduction="sum").backward()
    sm = np.exp(_log_softmax(x, 1))
    np.testing.assert_allclose(X.grad.numpy(), sm - np.eye(5)[t], rtol=1e-12, atol=1e-15)


def test_cross_entropy_ignore_index_inside_class_range_and_unbatched():
    x = rng.standard_normal((4, 3))
    t = np.array([0, 1, 2, 1])
    got = F.cross_entropy(ag.tensor(x), ag.tensor(t), ignore_index=1)
    _close(got, _ce_reference(x, t, ignore_index=1))
    v = rng.standard_normal(3)
    got = F.cross_entropy(ag.tensor(v), ag.tensor(2))
    assert got.shape == ()
    _close(got, -_log_softmax(v, 0)[2])


def test_cross_entropy_second_derivative():
    x = ag.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = ag.tensor([1, 3, 0])
    assert ag.gradgradcheck(
        lambda a: F.cross_entropy(a, t, label_smoothing=0.1, weight=ag.tensor([1.0, 2, 1, 0.5])),
        (x,),
        atol=1e-8,
        rtol=1e-6,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_probabilities(reduction):
    x = rng.standard_normal((3, 4, 2))
    p = rng.dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)
    w = np.array([1.0, 0.5, 2.0, 1.5])
    for eps in (0.0, 0.2):
        q = p * (1 - eps) + eps / 4
        per = -(_log_softmax(x, 1) * q * w[None, :, None]).sum(1)
        expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
        got = F.cross_entropy(
            ag.tensor(x),
            ag.tensor(p),
            weight=ag.tensor(w),
            reduction=reduction,
            label_smoothing=eps,
        )
        _close(got, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_and_with_logits(reduction):
    z = rng.standard_normal((4, 3)) * 3
    y = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, 3)
    pw = rng.uniform(0.5, 3, 3)
    p = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    _close(
        F.binary_cross_entropy(ag.tensor(p), ag.tensor(y), reduction=reduction),
        _reduce(bce, reduction),
        1e-8,
    )
    _close(
        F.binary_cross_entropy(
            ag.tensor(p), ag.tensor(y), weight=ag.tensor(w), reduction=reduction
        ),
        _reduce(bce * w, reduction),
        1e-8,
    )
    _close(
        F.binary_cross_entropy_with_logits(ag.tensor(z), ag.tensor(y), reduction=reduction),
        _reduce(bce, reduction),
        1e-8,
    )
    with_pw = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p)) * w
    got = F.binary_cross_entropy_with_logits(
        ag.tensor(z),
        ag.tensor(y),
        weight=ag.tensor(w),
        pos_weight=ag.tensor(pw),
        reduction=reduction,
    )
    _close(got, _reduce(with_pw, reduction), 1e-8)
    m = nn.BCEWithLogitsLoss(weight=ag.tensor(w), pos_weight=ag.tensor(pw), reduction=reduction)
    _close(m(ag.tensor(z), ag.tensor(y)), _reduce(with_pw, reduction), 1e-8)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = ag.tensor([0.0, 1.0, 0.0], requires_grad=True)
    y = ag.tensor([1.0, 0.0, 0.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100.0, 100.0, 0.0])
    loss.sum().backward()
    # PyTorch's gradient (x - t) / max(x (1 - x), 1e-12): finite at 0 and 1
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0.0], rtol=1e-6)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0]))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(reduction):
    logq = _log_softmax(rng.standard_normal((3, 4)), 1)
    p = rng.dirichlet(np.ones(4), 3)
    p[0, 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(p > 0, p * (np.log(p) - logq), 0.0)
    expected = per.sum() / 3 if reduction == "batchmean" else _reduce(per, reduction)
    _close(F.kl_div(ag.tensor(logq), ag.tensor(p), reduction=reduction), expected)
    logp = np.log(rng.dirichlet(np.ones(4), 3))
    per = np.exp(logp) * (logp - logq)
    expected = per.sum() / 3 if reduction == "batchmean" else _reduce(per, reduction)
    got = F.kl_div(ag.tensor(logq), ag.tensor(logp), reduction=reduction, log_target=True)
    _close(got, expected)


_KL_X = [[-1.2, -0.3, -2.0, -0.7], [-0.1, -3.0, -0.5, -1.5]]
_NAN = float("nan")
_INF = float("inf")


def _kl_case(t, reduction, log_target):
    x = ag.tensor(_KL_X, dtype=ag.float64, requires_grad=True)
    tt = ag.tensor([t, t[::-1]], dtype=ag.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        out = F.kl_div(x, tt, reduction=reduction, log_target=log_target)
        out.backward(ag.ones(out.shape, dtype=ag.float64) * 0.7)
    return out, x.grad.numpy(), tt.grad.numpy()


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "batchmean"])
def test_kl_div_at_zero_and_negative_targets_is_pytorchs(reduction):
    """PyTorch's kl_div is ``xlogy(t, t) - t * x``: the loss is 0 at a zero target and NaN at a
    negative one, and the target's gradient is NaN at 0 (xlogy's ``grad * t / t``); the input's
    gradient is ``-t`` (PyTorch 2.13's values, float64, upstream gradient 0.7)."""
    scale = {"none": 1.0, "sum": 1.0, "mean": 1 / 8, "batchmean": 1 / 2}[reduction]
    out, gx, gt = _kl_case([0.5, -0.1, 0.6, 0.0], reduction, False)
    loss = [
        [0.253426409720027, _NAN, 0.893504625740406, 0.0],
        [0.0, 1.493504625740405, _NAN, 0.253426409720027 + 0.15],
    ]
    if reduction == "none":
        np.testing.assert_allclose(out.detach().numpy(), loss, rtol=1e-14)
    else:
        assert np.isnan(out.item())
    np.testing.assert_allclose(
        gx, np.array([[-0.35, 0.07, -0.42, -0.0], [-0.0, -0.42, 0.07, -0.35]]) * scale, rtol=1e-14
    )
    assert np.array_equal(np.signbit(gx), [[1, 0, 1, 1], [1, 1, 0, 1]])  # -0.0 as PyTorch
    want_t = np.array([[1.054796973608038, _NAN, 1.742422063363806, _NAN]]) * scale
    np.testing.assert_allclose(gt[0], want_t[0], rtol=1e-14)
    assert np.isnan(gt[1, [0, 2]]).all()
    np.testing.assert_allclose(
        gt[1, [1, 3]], np.array([2.442422063363806, 1.264796973608038]) * scale, rtol=1e-14
    )


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
def test_kl_div_edge_targets_match_pytorch(reduction):
    scale = 0.5 if reduction == "batchmean" else 1.0
    # -inf and +inf targets (log_target=False): PyTorch 2.13's values
    out, gx, gt = _kl_case([0.0, -_INF, 0.3, 1.0], reduction, False)
    np.testing.assert_allclose(
        gx, np.array([[-0.0, _INF, -0.21, -0.7], [-0.7, -0.21, _INF, -0.0]]) * scale
    )
    np.testing.assert_allclose(
        gt,
        np.array([[_NAN, _NAN, 1.257219036971845, 1.19], [0.77, 1.957219036971845, _NAN, _NAN]])
        * scale,
        rtol=1e-14,
    )
    # log_target=True: a log-target of 0 is a probability of 1, finite everywhere but -inf
    out, gx, gt = _kl_case([0.0, -_INF, 0.3, 1.0], reduction, True)
    if reduction == "none":
        np.testing.assert_allclose(
            out.detach().numpy(),
            [
                [1.2, _NAN, 3.104675257424807, 4.621079108380377],
                [2.99011001130495, 4.45453406500081, _NAN, 1.5],
            ],
            rtol=1e-14,
        )
    np.testing.assert_allclose(
        gt,
        np.array(
            [
                [1.54, _NAN, 3.118173845500567, 5.137552655787595],
                [3.995874287834796, 4.063075010803769, _NAN, 1.75],
            ]
        )
        * scale,
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        gx,
        np.array(
            [
                [-0.7, -0.0, -0.944901165303202, -1.902797279921332],
                [-1.902797279921332, -0.944901165303202, -0.0, -0.7],
            ]
        )
        * scale,
        rtol=1e-14,
    )


def test_kl_div_node_names_warning_and_legacy_arguments_are_pytorchs():
    x = ag.tensor(_KL_X, requires_grad=True)
    t = ag.tensor(np.full((2, 4), 0.25))
    assert F.kl_div(x, t, reduction="none").grad_fn.name() == "SubBackward0"
    assert F.kl_div(x, t, reduction="none", log_target=True).grad_fn.name() == "MulBackward0"
    with pytest.warns(UserWarning, match="'mean' divides the total loss by both the batch size"):
        F.kl_div(x, t)
    with pytest.raises(ValueError, match="average is not a valid value for reduction"):
        F.kl_div(x, t, reduction="average")
    with warnings_as_errors():  # the legacy arguments choose the reduction, without the warning
        got = F.kl_div(x, t, size_average=False).item()
    assert got == pytest.approx(F.kl_div(x, t, reduction="sum").item(), rel=1e-7)


def warnings_as_errors():
    import warnings

    class _Ctx(warnings.catch_warnings):
        def __enter__(self):
            super().__enter__()
            warnings.simplefilter("error")

    return _Ctx()


def test_kl_div_zero_target_forward_has_no_numpy_warnings():
    x = ag.tensor(_KL_X, requires_grad=True)
    t = ag.tensor([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]], requires_grad=True)
    with warnings_as_errors():
        loss = F.kl_div(x, t, reduction="batchmean")
        loss.backward()
    tv = t.detach().numpy()
    assert np.isnan(t.grad.numpy()[tv == 0]).all() and np.isfinite(t.grad.numpy()[tv > 0]).all()
    np.testing.assert_array_equal(x.grad.numpy(), -tv / 2)


def test_losses_finite_and_exact_at_logits_of_plus_minus_1000():
    x = ag.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], requires_grad=True)
    ce = F.cross_entropy(x, ag.tensor([1, 1]), reduction="none")
    np.testing.assert_allclose(ce.detach().numpy(), [2000.0, 0.0])
    ce.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, -1, 0], [0, 0, 0]], atol=1e-12)
    x.grad = None
    y = ag.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    b = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(
        b.detach().numpy(), [[1000.0, 1000.0, np.log(2)], [0.0, 0.0, np.log(2)]], rtol=1e-6
    )
    b.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, -1, -0.5], [0, 0, 0.5]], atol=1e-12)
    pw = F.binary_cross_entropy_with_logits(x, y, pos_weight=ag.tensor([3.0, 3.0, 3.0]))
    assert np.isfinite(pw.item())


def test_loss_modules_register_weight_buffers_and_repr():
    ce = nn.CrossEntropyLoss(weight=ag.tensor([1.0, 2.0]), ignore_index=3, label_smoothing=0.1)
    assert [k for k, _ in ce.named_buffers()] == ["weight"]
    assert repr(ce) == "CrossEntropyLoss()"
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss()"
    assert list(nn.BCEWithLogitsLoss(pos_weight=ag.ones(2)).state_dict()) == ["pos_weight"]
    x = rng.standard_normal((3, 2))
    t = np.array([0, 1, 1])
    got = ce(ag.tensor(x), ag.tensor(t))
    _close(got, _ce_reference(x, t, np.array([1.0, 2.0]), ignore_index=3, eps=0.1))


def test_bad_input_errors():
    with pytest.raises(IndexError, match=r"Target 5 is out of bounds.*4 classes"):
        F.cross_entropy(ag.randn(3, 4), ag.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match=r"Target -1 is out of bounds"):
        F.nll_loss(ag.randn(3, 4), ag.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(ag.randn(3, 4), ag.tensor([0, 1]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(ag.randn(2), ag.randn(2), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(ag.randn(2, 3), ag.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="weight"):
        F.cross_entropy(ag.randn(2, 3), ag.tensor([0, 1]), weight=ag.ones(4))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        F.mse_loss(ag.randn(2, 3), ag.randn(4))
