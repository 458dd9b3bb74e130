"""Behaviour of RNN, LSTM, GRU and the cells: PyTorch's parameter names and shapes, output
shapes for every option, ``repr``, initialisation, argument errors, dropout, and agreement
with a NumPy reference and between the two backward paths of the fused ops.

Gradients against finite differences over drawn options are in the op table
(``tests/nn/rows_rnn.py``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.ops.nn_rnn import gru_seq, lstm_seq, rnn_seq
from tests.nn.rows_rnn import _np_rnn, _np_step


def _close(a, b, **kw):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **kw)


def _sd_shapes(m):
    return [(k, tuple(v.shape)) for k, v in m.state_dict().items()]


# --------------------------------------------------------------------------- state_dict


def test_lstm_state_dict_keys_as_pytorch():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    assert _sd_shapes(m) == [
        ("weight_ih_l0", (80, 10)),
        ("weight_hh_l0", (80, 20)),
        ("bias_ih_l0", (80,)),
        ("bias_hh_l0", (80,)),
        ("weight_ih_l0_reverse", (80, 10)),
        ("weight_hh_l0_reverse", (80, 20)),
        ("bias_ih_l0_reverse", (80,)),
        ("bias_hh_l0_reverse", (80,)),
        ("weight_ih_l1", (80, 40)),
        ("weight_hh_l1", (80, 20)),
        ("bias_ih_l1", (80,)),
        ("bias_hh_l1", (80,)),
        ("weight_ih_l1_reverse", (80, 40)),
        ("weight_hh_l1_reverse", (80, 20)),
        ("bias_ih_l1_reverse", (80,)),
        ("bias_hh_l1_reverse", (80,)),
    ]


def test_gru_and_rnn_state_dict_keys_as_pytorch():
    assert _sd_shapes(nn.GRU(3, 5, bias=False)) == [
        ("weight_ih_l0", (15, 3)),
        ("weight_hh_l0", (15, 5)),
    ]
    assert _sd_shapes(nn.RNN(4, 6, num_layers=2)) == [
        ("weight_ih_l0", (6, 4)),
        ("weight_hh_l0", (6, 6)),
        ("bias_ih_l0", (6,)),
        ("bias_hh_l0", (6,)),
        ("weight_ih_l1", (6, 6)),
        ("weight_hh_l1", (6, 6)),
        ("bias_ih_l1", (6,)),
        ("bias_hh_l1", (6,)),
    ]


def test_cell_state_dict_keys_as_pytorch():
    assert _sd_shapes(nn.LSTMCell(3, 4)) == [
        ("weight_ih", (16, 3)),
        ("weight_hh", (16, 4)),
        ("bias_ih", (16,)),
        ("bias_hh", (16,)),
    ]
    assert _sd_shapes(nn.GRUCell(3, 4, bias=False)) == [
        ("weight_ih", (12, 3)),
        ("weight_hh", (12, 4)),
    ]
    assert _sd_shapes(nn.RNNCell(3, 4)) == [
        ("weight_ih", (4, 3)),
        ("weight_hh", (4, 4)),
        ("bias_ih", (4,)),
        ("bias_hh", (4,)),
    ]


def test_load_state_dict_then_outputs_match_numpy_reference():
    rng = np.random.default_rng(1)
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    sd = {k: ag.tensor(rng.uniform(-0.5, 0.5, v.shape)) for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    x = rng.standard_normal((5, 2, 3))
    h0, c0 = rng.standard_normal((2, 4, 2, 4))
    out, (hn, cn) = m(ag.tensor(x), (ag.tensor(h0), ag.tensor(c0)))
    weights = [sd[k].detach().numpy() for k in m.state_dict()]
    eo, eh, ec = _np_rnn("LSTM", x, h0, c0, weights, 2, True, True)
    np.testing.assert_allclose(out.detach().numpy(), eo, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hn.detach().numpy(), eh, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cn.detach().numpy(), ec, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- repr


def test_repr_as_pytorch():
    assert repr(nn.LSTM(32, 64, num_layers=2, batch_first=True, bidirectional=True)) == (
        "LSTM(32, 64, num_layers=2, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.GRU(3, 5, num_layers=2, bias=False, dropout=0.5)) == (
        "GRU(3, 5, num_layers=2, bias=False, dropout=0.5)"
    )
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == (
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    )


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 3])
def test_output_shapes(cls, batch_first, bidirectional, num_layers):
    T, B, I, H = 5, 3, 4, 6
    D = 2 if bidirectional else 1
    m = getattr(nn, cls)(
        I, H, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional
    )
    x = ag.randn(B, T, I) if batch_first else ag.randn(T, B, I)
    out, hn = m(x)
    assert out.shape == ((B, T, D * H) if batch_first else (T, B, D * H))
    states = hn if cls == "LSTM" else (hn,)
    for s in states:
        assert s.shape == (num_layers * D, B, H)  # hidden states are never batch-first
    # unbatched
    out, hn = m(ag.randn(T, I))
    assert out.shape == (T, D * H)
    for s in hn if cls == "LSTM" else (hn,):
        assert s.shape == (num_layers * D, H)
    assert out.dtype == ag.float32


def test_batch_first_and_unbatched_agree_with_time_major():
    ag.manual_seed(3)
    m = nn.GRU(2, 3, num_layers=2, bidirectional=True)
    x = ag.randn(4, 2, 2)
    out, hn = m(x)
    mb = nn.GRU(2, 3, num_layers=2, bidirectional=True, batch_first=True)
    mb.load_state_dict(m.state_dict())
    outb, hnb = mb(x.transpose(0, 1))
    _close(outb.transpose(0, 1), out, rtol=1e-5, atol=1e-6)
    _close(hnb, hn, rtol=1e-5, atol=1e-6)
    out1, hn1 = m(x[:, 1])
    _close(out1, out[:, 1], rtol=1e-5, atol=1e-6)
    _close(hn1, hn[:, 1], rtol=1e-5, atol=1e-6)


def test_bidirectional_final_states_sit_at_the_ends_of_the_output():
    m = nn.LSTM(2, 3, bidirectional=True)
    out, (hn, cn) = m(ag.randn(4, 2, 2))
    np.testing.assert_array_equal(hn[0].detach().numpy(), out[-1, :, :3].detach().numpy())
    np.testing.assert_array_equal(hn[1].detach().numpy(), out[0, :, 3:].detach().numpy())


def test_state_carries_over_between_chunks():
    m = nn.LSTM(2, 3, num_layers=2)
    x = ag.randn(6, 2, 2)
    out, state = m(x)
    o1, s1 = m(x[:4])
    o2, s2 = m(x[4:], s1)
    _close(o2, out[4:], rtol=1e-5, atol=1e-7)
    _close(s2[1], state[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "cls, mode", [("LSTMCell", "LSTM"), ("GRUCell", "GRU"), ("RNNCell", "RNN_TANH")]
)
def test_cells_match_numpy_step_and_shapes(cls, mode):
    rng = np.random.default_rng(0)
    m = getattr(nn, cls)(3, 4).double()
    x = rng.standard_normal((2, 3))
    h = rng.standard_normal((2, 4))
    c = rng.standard_normal((2, 4))
    p = [v.detach().numpy() for v in m.state_dict().values()]
    eh, ec = _np_step(mode, x, h, c, *p)
    if cls == "LSTMCell":
        got_h, got_c = m(ag.tensor(x), (ag.tensor(h), ag.tensor(c)))
        np.testing.assert_allclose(got_c.detach().numpy(), ec, rtol=1e-12)
        assert m(ag.tensor(x[0]))[1].shape == (4,)
    else:
        got_h = m(ag.tensor(x), ag.tensor(h))
        assert m(ag.tensor(x[0])).shape == (4,)
    np.testing.assert_allclose(got_h.detach().numpy(), eh, rtol=1e-12)


def test_lstm_cell_is_one_step_of_lstm():
    cell = nn.LSTMCell(3, 4)
    lstm = nn.LSTM(3, 4)
    lstm.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ag.randn(1, 2, 3)
    out, (h, c) = lstm(x)
    h1, c1 = cell(x[0])
    _close(h1, h[0], rtol=1e-5, atol=1e-6)
    _close(c1, c[0], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- initialisation


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(5, 16, num_layers=2, bidirectional=True),
        lambda: nn.GRU(5, 16),
        lambda: nn.RNN(5, 16),
        lambda: nn.GRUCell(5, 16),
    ],
)
def test_default_init_uniform_in_plus_minus_one_over_sqrt_hidden(make):
    ag.manual_seed(0)
    m = make()
    bound = 1 / math.sqrt(16)
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        assert np.all(np.abs(a) <= bound), name
        assert a.std() > bound / 3, name  # spread over the interval, not constant
    ag.manual_seed(0)
    again = make()
    for (n, p), q in zip(m.named_parameters(), again.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


# --------------------------------------------------------------------------- errors


def test_wrong_input_size_names_layer_expected_and_got():
    with pytest.raises(RuntimeError, match=r"LSTM: .*Expected 3, got 4"):
        nn.LSTM(3, 5)(ag.randn(4, 2, 4))
    with pytest.raises(RuntimeError, match=r"GRUCell: .*got 4 expected 3"):
        nn.GRUCell(3, 5)(ag.randn(2, 4))


def test_wrong_h0_shape_names_expected_and_got():
    m = nn.LSTM(3, 5, num_layers=2)
    x = ag.randn(4, 2, 3)
    with pytest.raises(RuntimeError, match=r"hidden\[0\] size \(2, 2, 5\), got \[1, 2, 5\]"):
        m(x, (ag.zeros(1, 2, 5), ag.zeros(2, 2, 5)))
    with pytest.raises(RuntimeError, match=r"hidden\[1\] size \(2, 2, 5\), got \[2, 3, 5\]"):
        m(x, (ag.zeros(2, 2, 5), ag.zeros(2, 3, 5)))
    with pytest.raises(
        RuntimeError, match=r"GRU: Expected hidden size \(1, 2, 5\), got \[1, 3, 5\]"
    ):
        nn.GRU(3, 5)(x, ag.zeros(1, 3, 5))
    with pytest.raises(RuntimeError, match="should also be 3-D but got 2-D"):
        nn.RNN(3, 5)(x, ag.zeros(2, 5))
    with pytest.raises(RuntimeError, match="should also be 2-D"):
        nn.RNN(3, 5)(x[:, 0], ag.zeros(1, 2, 5))
    with pytest.raises(RuntimeError, match=r"RNNCell: Expected hidden size \(2, 5\), got \[3, 5\]"):
        nn.RNNCell(3, 5)(ag.randn(2, 3), ag.zeros(3, 5))


def test_bad_input_rank_and_dtype():
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        nn.LSTM(3, 5)(ag.randn(1, 4, 2, 3))
    with pytest.raises(ValueError, match="dtype"):
        nn.GRU(3, 5)(ag.randn(4, 2, 3, dtype=ag.float64))


def test_constructor_errors():
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(TypeError, match="bias should be of type bool"):
        nn.LSTM(3, 4, bias=1)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


# --------------------------------------------------------------------------- dropout


def test_dropout_between_layers_only_in_training():
    ag.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    ref = nn.LSTM(3, 4, num_layers=2)
    ref.load_state_dict(m.state_dict())
    x = ag.randn(5, 2, 3)
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), ref(x)[0].detach().numpy())
    m.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = m(x)[0].detach().numpy()
    assert not np.allclose(a, ref(x)[0].detach().numpy())


# --------------------------------------------------------------------------- gradients


def _op_cases():
    rng = np.random.default_rng(0)
    T, B, H = 3, 2, 2

    def t(*s):
        return ag.tensor(rng.standard_normal(s), requires_grad=True)

    for reverse in (False, True):
        yield (
            "lstm",
            lambda *a, r=reverse: lstm_seq(*a, reverse=r),
            (t(T, B, 4 * H), t(B, H), t(B, H), t(4 * H, H), t(4 * H)),
        )
        yield (
            "gru",
            lambda *a, r=reverse: gru_seq(*a, reverse=r),
            (t(T, B, 3 * H), t(B, H), t(3 * H, H), t(3 * H)),
        )
        for nl in ("tanh", "relu"):
            yield (
                "rnn",
                lambda *a, r=reverse, n=nl: rnn_seq(*a, reverse=r, nonlinearity=n),
                (t(T, B, H), t(B, H), t(H, H), t(H)),
            )


@pytest.mark.parametrize(
    "case", list(_op_cases()), ids=lambda c: c[0] if isinstance(c, str) else None
)
def test_numpy_and_graph_backward_paths_agree(case):
    """The plain backward (NumPy twin) and the differentiable one (registered ops) give the
    same gradients, also with gradients on every packed intermediate."""
    _, fn, inputs = case
    out = fn(*inputs)
    w = ag.tensor(np.random.default_rng(1).standard_normal(out.shape))
    plain = ag.grad((out * w).sum(), inputs, retain_graph=True)
    graph = ag.grad((out * w).sum(), inputs, create_graph=True)
    for p, g in zip(plain, graph):
        _close(p, g, rtol=1e-12, atol=1e-14)


def test_gradgradcheck_through_stacked_bidirectional_lstm():
    m = nn.LSTM(2, 2, num_layers=2, bidirectional=True).double()
    params = list(m.parameters())
    x = ag.randn(2, 1, 2, dtype=ag.float64, requires_grad=True)

    def fn(x, w):
        # second order with respect to the input and one recurrent weight
        saved = m._parameters["weight_hh_l1_reverse"]
        m._parameters["weight_hh_l1_reverse"] = w
        try:
            out, (h, c) = m(x)
        finally:
            m._parameters["weight_hh_l1_reverse"] = saved
        return out, c

    w = params[-3].detach().clone().requires_grad_(True)
    assert ag.gradgradcheck(fn, (x, w), atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("cls", ["GRU", "LSTM", "RNN"])
def test_gradients_float32_and_shapes(cls):
    """float32 gradients come back in float32, in their tensors' shapes, contiguous, and equal
    to the float64 gradients of the same module at the same point within float32 rounding
    (the float64 ones are checked against finite differences in the op table)."""
    m = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    m64 = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    m64.load_state_dict({k: v.double() for k, v in m.state_dict().items()})
    x = ag.randn(2, 5, 3, requires_grad=True)
    h0 = ag.randn(4, 2, 4, requires_grad=True)
    w = ag.randn(2, 5, 8)  # a random incoming gradient, so no entry cancels by symmetry
    grads = {}
    for mod, dt in ((m, ag.float32), (m64, ag.float64)):
        xs = x.detach().to(dt).requires_grad_(True)
        hs = h0.detach().to(dt).requires_grad_(True)
        state = (hs, ag.zeros_like(hs)) if cls == "LSTM" else hs
        out, hn = mod(xs, state)
        hn = hn[0] if cls == "LSTM" else hn
        ((out * w.to(dt)).sum() + hn.sum()).backward()
        grads[dt] = {"x": xs.grad, "h0": hs.grad, **{n: p.grad for n, p in mod.named_parameters()}}
    for n, g in grads[ag.float32].items():
        g64 = grads[ag.float64][n]
        assert g is not None and g.dtype == ag.float32, n
        assert g.detach().numpy().flags.c_contiguous, n
        assert g.shape == g64.shape, n
        scale = float(np.abs(g64.numpy()).max())
        _close(g.double(), g64, rtol=1e-5, atol=1e-6 * scale, err_msg=n)
