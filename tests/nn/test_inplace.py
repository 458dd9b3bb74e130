"""``inplace=True`` activations and dropouts, and the ``F.<name>_`` functions, as PyTorch 2.13
does them: the input itself comes back, modified, with its version bumped; a leaf that requires
grad is refused with PyTorch's error; inside a graph the gradient is the out-of-place one, with
PyTorch's node names and its errors for a negative slope (whose in-place backward reads the
result). Also the deprecation warnings of the channel dropouts (checked against PyTorch for
inputs of 0 to 6 dims, in training and eval, in and out of place)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

X = np.random.default_rng(0).normal(size=(3, 4, 5))
X[0, 0, :4] = [0.0, 0.1, -0.0, -3.5]
G = np.random.default_rng(1).normal(size=X.shape)

# name -> (in place, out of place, grad_fn name PyTorch shows for the in-place op or None when
# ours is a composite whose last primitive shows instead)
CASES = {
    "elu": (lambda y: F.elu(y, 0.7, inplace=True), lambda y: F.elu(y, 0.7), "EluBackward1"),
    "elu_": (lambda y: F.elu_(y), F.elu, "EluBackward1"),
    "elu_zero_alpha": (lambda y: F.elu(y, 0.0, True), lambda y: F.elu(y, 0.0), "EluBackward1"),
    "selu": (lambda y: F.selu(y, inplace=True), F.selu, "EluBackward1"),
    "selu_": (F.selu_, F.selu, "EluBackward1"),
    "celu": (lambda y: F.celu(y, 0.7, True), lambda y: F.celu(y, 0.7), "CeluBackward1"),
    "celu_": (lambda y: F.celu_(y, 2.0), lambda y: F.celu(y, 2.0), "CeluBackward1"),
    "leaky_relu": (
        lambda y: F.leaky_relu(y, 0.1, inplace=True),
        lambda y: F.leaky_relu(y, 0.1),
        "LeakyReluBackward1",
    ),
    "leaky_relu_": (F.leaky_relu_, F.leaky_relu, "LeakyReluBackward1"),
    "rrelu": (lambda y: F.rrelu(y, inplace=True), F.rrelu, "RreluWithNoiseBackward1"),
    "rrelu_": (
        lambda y: F.rrelu_(y, 0.2, 0.4),
        lambda y: F.rrelu(y, 0.2, 0.4),
        "RreluWithNoiseBackward1",
    ),
    "hardtanh": (
        lambda y: F.hardtanh(y, -0.5, 0.7, inplace=True),
        lambda y: F.hardtanh(y, -0.5, 0.7),
        None,
    ),
    "hardtanh_": (F.hardtanh_, F.hardtanh, None),
    "relu6": (lambda y: F.relu6(y, inplace=True), F.relu6, None),
    "threshold": (
        lambda y: F.threshold(y, 0.1, 20.0, inplace=True),
        lambda y: F.threshold(y, 0.1, 20.0),
        None,
    ),
    "threshold_": (lambda y: F.threshold_(y, 0.0, 1.0), lambda y: F.threshold(y, 0.0, 1.0), None),
    "hardsigmoid": (lambda y: F.hardsigmoid(y, inplace=True), F.hardsigmoid, None),
    "hardswish": (lambda y: F.hardswish(y, inplace=True), F.hardswish, None),
    "silu": (lambda y: F.silu(y, inplace=True), F.silu, None),
    "mish": (lambda y: F.mish(y, inplace=True), F.mish, None),
    "relu_": (F.relu_, F.relu, "ReluBackward0"),
    "ELU": (nn.ELU(0.5, inplace=True), nn.ELU(0.5), "EluBackward1"),
    "LeakyReLU": (nn.LeakyReLU(0.2, True), nn.LeakyReLU(0.2), "LeakyReluBackward1"),
    "SELU": (nn.SELU(True), nn.SELU(), "EluBackward1"),
    "CELU": (nn.CELU(1.5, True), nn.CELU(1.5), "CeluBackward1"),
    "RReLU": (nn.RReLU(inplace=True).eval(), nn.RReLU().eval(), "RreluWithNoiseBackward1"),
    "Hardtanh": (nn.Hardtanh(inplace=True), nn.Hardtanh(), None),
    "ReLU6": (nn.ReLU6(True), nn.ReLU6(), None),
    "Threshold": (nn.Threshold(0.2, -1.0, True), nn.Threshold(0.2, -1.0), None),
    "Hardsigmoid": (nn.Hardsigmoid(True), nn.Hardsigmoid(), None),
    "Hardswish": (nn.Hardswish(True), nn.Hardswish(), None),
    "SiLU": (nn.SiLU(True), nn.SiLU(), None),
    "Mish": (nn.Mish(True), nn.Mish(), None),
}


def _t(a, rg=False):
    return ag.tensor(a, dtype=ag.float64, requires_grad=rg)


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_returns_the_input_modified(name):
    inplace, plain, _ = CASES[name]
    want = plain(_t(X)).numpy()
    z = _t(X)
    out = inplace(z)
    assert out is z
    np.testing.assert_array_equal(z.numpy(), want)
    # signed zeros as PyTorch: elu and friends keep the sign of a zero input
    assert np.array_equal(np.signbit(z.numpy()), np.signbit(want))


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_refuses_a_leaf_that_requires_grad(name):
    inplace = CASES[name][0]
    x = _t(X, rg=True)
    with pytest.raises(
        RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"
    ):
        inplace(x)
    np.testing.assert_array_equal(x.detach().numpy(), X)
    with ag.no_grad():  # allowed under no_grad, as in PyTorch
        assert inplace(x) is x


@pytest.mark.parametrize("name", list(CASES))
def test_inplace_inside_a_graph(name):
    inplace, plain, node = CASES[name]
    x = _t(X, rg=True)
    plain(x * 1.0).backward(_t(G))
    want = x.grad.numpy().copy()
    x.grad = None
    y = x * 1.0
    v = y._version
    out = inplace(y)
    assert out is y and y._version == v + 1
    if node is not None:
        assert y.grad_fn.name() == node
    y.backward(_t(G))
    # the in-place formulas read the result, so they round differently; celu's two formulas
    # differ by PyTorch's float32 1/alpha (see test_celu_gradient_uses_pytorchs_float_inverse)
    rtol = 2e-7 if name.lower().startswith("celu") else 1e-13
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=rtol, atol=1e-15)


def test_out_of_place_node_names_are_pytorchs():
    x = _t(X, rg=True)
    assert F.elu(x).grad_fn.name() == "EluBackward0"
    assert F.selu(x).grad_fn.name() == "EluBackward0"
    assert F.celu(x).grad_fn.name() == "CeluBackward0"
    assert F.leaky_relu(x).grad_fn.name() == "LeakyReluBackward0"
    assert F.rrelu(x).grad_fn.name() == "RreluWithNoiseBackward0"
    assert F.rrelu(x, training=True).grad_fn.name() == "RreluWithNoiseBackward0"
    y = F.celu(x * 1.0, inplace=True)
    y.sum().backward()  # the name outlives the saved values
    assert y.grad_fn.name() == "CeluBackward1"


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda y: F.elu(y, alpha=-1.0, inplace=True), "In-place elu backward calculation"),
        (lambda y: F.celu_(y, -1.0), "In-place elu backward calculation"),
        (lambda y: F.leaky_relu_(y, -0.1), "In-place leakyReLu backward calculation"),
        (lambda y: F.rrelu_(y, -0.5, -0.1), "In-place leakyReLu backward calculation"),
    ],
)
def test_negative_slope_in_place_raises_at_backward(fn, message):
    # PyTorch records the op (the forward succeeds) and raises when backward reads the result
    x = _t(X, rg=True)
    y = fn(x * 1.0)
    with pytest.raises(RuntimeError, match=message + r".*negative slope"):
        y.backward(_t(G))


def test_negative_slope_out_of_place_or_in_training_is_differentiable():
    x = _t(X, rg=True)
    F.elu(x, alpha=-1.0).backward(_t(G))
    neg = X <= 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(neg, -np.exp(X), 1.0) * G)
    x.grad = None
    ag.manual_seed(3)
    y = F.rrelu(x * 1.0, -0.5, -0.1, training=True, inplace=True)
    noise = np.where(X <= 0, y.detach().numpy() / np.where(X == 0, 1, X), 1.0)
    y.backward(_t(G))
    mask = X != 0
    np.testing.assert_allclose(x.grad.numpy()[mask], (noise * G)[mask], rtol=1e-12)
    assert ((noise[neg & mask] >= -0.5) & (noise[neg & mask] <= -0.1)).all()


def test_celu_gradient_uses_pytorchs_float_inverse_alpha():
    # PyTorch's celu derivative scales by 1 / float32(alpha): at alpha=0.7 the slope at 0 is
    # 1.0000000170298988, not 1 (values from PyTorch 2.13, float64)
    x = _t([0.0, -0.0, -0.5], rg=True)
    F.celu(x, 0.7).backward(ag.ones(3, dtype=ag.float64))
    np.testing.assert_array_equal(
        x.grad.numpy(), [1.0000000170298988, 1.0000000170298988, 0.48954166193890875]
    )
    x.grad = None
    F.celu(x * 1.0, 0.7, inplace=True).backward(ag.ones(3, dtype=ag.float64))
    np.testing.assert_array_equal(
        x.grad.numpy(), [1.0000000170298988, 1.0000000170298988, 0.48954166789379805]
    )


def test_elu_forward_matches_pytorch_at_zero_and_tiny():
    x = _t([0.0, -0.0, -1e-300, -1e-20])
    got = {a: F.elu(x, alpha=a).numpy() for a in (1.0, -1.0, 2.0, 0.0)}
    want = {  # PyTorch 2.13
        1.0: [0.0, -0.0, -1e-300, -1e-20],
        -1.0: [0.0, -0.0, 1e-300, 1e-20],
        2.0: [0.0, -0.0, -2e-300, -2e-20],
        0.0: [0.0, -0.0, -0.0, -0.0],
    }
    for a in want:
        np.testing.assert_array_equal(got[a], want[a])
        assert np.array_equal(np.signbit(got[a]), np.signbit(want[a]))


def test_threshold_underscore_returns_its_input():
    x = _t([-1.0, 0.5, 2.0])
    assert F.threshold_(x, 0.6, -7.0) is x
    np.testing.assert_array_equal(x.numpy(), [-7.0, -7.0, 2.0])


def test_modifying_a_saved_result_after_an_in_place_activation_raises():
    x = _t(X, rg=True)
    y = F.elu(x * 1.0, inplace=True)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(_t(G))


def test_version_of_a_fresh_tensor_counts_an_in_place_activation():
    z = _t(X)
    F.elu(z, inplace=True)
    assert z._version == 1


# -- dropout ---------------------------------------------------------------------------------------
DROPS = {
    "dropout": (lambda y, **k: F.dropout(y, 0.4, True, **k), (3, 4, 5)),
    "dropout1d": (lambda y, **k: F.dropout1d(y, 0.4, True, **k), (3, 4, 5)),
    "dropout1d_unbatched": (lambda y, **k: F.dropout1d(y, 0.4, True, **k), (4, 5)),
    "dropout2d": (lambda y, **k: F.dropout2d(y, 0.4, True, **k), (2, 3, 4, 5)),
    "dropout3d": (lambda y, **k: F.dropout3d(y, 0.4, True, **k), (2, 3, 2, 2, 2)),
    "dropout3d_unbatched": (lambda y, **k: F.dropout3d(y, 0.4, True, **k), (3, 2, 2, 2)),
    "alpha_dropout": (lambda y, **k: F.alpha_dropout(y, 0.4, True, **k), (3, 4, 5)),
    "feature_alpha_dropout": (lambda y, **k: F.feature_alpha_dropout(y, 0.4, True, **k), (3, 4, 5)),
    "dropout_p1": (lambda y, **k: F.dropout(y, 1.0, True, **k), (3, 4)),
    "alpha_dropout_p1": (lambda y, **k: F.alpha_dropout(y, 1.0, True, **k), (3, 4)),
}


@pytest.mark.parametrize("name", list(DROPS))
def test_dropout_inplace_is_the_same_draw_written_into_the_input(name):
    fn, shape = DROPS[name]
    a = np.random.default_rng(2).normal(size=shape)
    ag.manual_seed(7)
    want = fn(_t(a)).numpy()
    z = _t(a)
    ag.manual_seed(7)
    assert fn(z, inplace=True) is z
    np.testing.assert_array_equal(z.numpy(), want)
    # inside a graph: the same gradient as out of place, PyTorch's bumps and node
    x = _t(a, rg=True)
    ag.manual_seed(7)
    fn(x * 1.0).backward(_t(np.ones(shape)))
    g = x.grad.numpy().copy()
    x.grad = None
    y = x * 1.0
    v = y._version
    ag.manual_seed(7)
    assert fn(y, inplace=True) is y
    alpha = name.startswith(("alpha", "feature_alpha")) and not name.endswith("p1")
    assert y._version == v + (2 if alpha else 1)  # mul_ then add_ for alpha dropout
    assert y.grad_fn.name() == ("AddBackward0" if alpha else "MulBackward0")
    y.backward(_t(np.ones(shape)))
    np.testing.assert_array_equal(x.grad.numpy(), g)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(_t(a, rg=True), inplace=True)


@pytest.mark.filterwarnings("ignore:dropout[23]d:UserWarning")
def test_dropout_inplace_in_eval_or_p0_returns_the_input_untouched():
    for fn in (F.dropout, F.dropout2d, F.alpha_dropout, F.feature_alpha_dropout):
        x = _t(X, rg=True)
        y = x * 1.0
        v = y._version
        assert fn(y, 0.5, False, inplace=True) is y and y._version == v
        assert fn(y, 0.0, True, inplace=True) is y and y._version == v
    np.testing.assert_array_equal(y.detach().numpy(), X)


@pytest.mark.filterwarnings("ignore:dropout[23]d:UserWarning")
def test_dropout_modules_pass_inplace_like_pytorch():
    x = _t(X)
    for m in (nn.Dropout(0.5, True), nn.Dropout1d(0.5, True), nn.Dropout2d(0.5, True)):
        assert m(x) is x
    assert nn.Dropout3d(0.5, True)(_t(np.ones((2, 2, 2, 2)))) is not None
    # PyTorch's AlphaDropout and FeatureAlphaDropout ignore their inplace flag
    for m in (nn.AlphaDropout(0.5, True), nn.FeatureAlphaDropout(0.5, True)):
        before = x.numpy().copy()
        assert m(x) is not x
        np.testing.assert_array_equal(x.numpy(), before)


@pytest.mark.filterwarnings("ignore:dropout[23]d:UserWarning")
def test_unbatched_channel_dropout_out_of_place_is_a_view_as_in_pytorch():
    # PyTorch runs unbatched dropout1d/dropout3d through unsqueeze(0) and squeeze(0): even in
    # eval mode the result is a new tensor (a view), not the input
    x = _t(np.ones((2, 3)))
    assert F.dropout1d(x, 0.5, False) is not x
    assert F.dropout3d(x, 0.5, False) is not x
    assert F.dropout2d(_t(np.ones((2, 3, 4))), 0.5, False) is not None


_DEPRECATED = (
    "dropout{n}d: Received a {k}-D input to dropout{n}d, which is deprecated and will result in "
    "an error in a future release. To retain the behavior and silence this warning, please use "
    "dropout instead. Note that dropout{n}d exists to provide channel-wise dropout on inputs "
    "with {n} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. "
    "{a}D or {b}D inputs)."
)
_AS_1D = (
    "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
    "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
    "This behavior will change in a future release to interpret the input as one without a "
    "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
    "please switch to using dropout1d instead."
)


def _expected_warnings(module, k):
    if module == "Dropout2d":
        if k == 3:
            return [_AS_1D]
        return [] if k == 4 else [_DEPRECATED.format(n=2, k=k, a=3, b=4)]
    if module == "Dropout3d":
        return [] if k in (4, 5) else [_DEPRECATED.format(n=3, k=k, a=4, b=5)]
    return []


@pytest.mark.parametrize(
    "module", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"]
)
@pytest.mark.parametrize("k", range(7))
def test_channel_dropout_warnings_are_pytorchs(module, k):
    """The warnings (UserWarning, PyTorch's text) and errors of PyTorch 2.13 for inputs of 0 to
    6 dims, in training and eval, in and out of place."""
    for training in (True, False):
        for inplace in (False, True):
            m = getattr(nn, module)(0.5, inplace=inplace).train(training)
            x = ag.ones(tuple([2] * k))
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                try:
                    m(x)
                except RuntimeError as e:
                    msg = str(e)
                    if module == "Dropout1d":
                        assert k not in (2, 3) and msg.startswith(
                            f"dropout1d: Expected 2D or 3D input, but received a {k}D input."
                        )
                    else:
                        assert training and k < 2 and module in ("Dropout2d", "Dropout3d")
                        assert (module, k) != ("Dropout3d", 1)
                        assert msg == "Feature dropout requires at least 2 dimensions in the input"
            assert [(w.category, str(w.message)) for w in rec] == [
                (UserWarning, t) for t in _expected_warnings(module, k)
            ]


def test_feature_alpha_dropout_needs_two_dims_in_training_only():
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        nn.FeatureAlphaDropout()(ag.ones(3))
    x = ag.ones(3)
    assert nn.FeatureAlphaDropout().eval()(x) is x
