"""Op-table rows: the fused recurrences, the recurrent layers and cells, attention.

Layer rows take the layer's parameters as one flat float64 vector (``_Cfg`` shapes carry the
drawn hyper-parameters, which fix how many parameters there are), so gradcheck covers the input,
the initial states and every parameter. ``_call_with`` runs a module with its parameters
replaced by slices of that vector. The references are written here in NumPy from PyTorch's
documented equations, independently of the library code.

Second order: the fused ops', the cells' and attention's rows run gradgradcheck (the fused
VJPs are differentiable, see NOTE [ Fused recurrences ] in ``autograd/ops/nn_rnn.py``). The
multi-layer RNN rows set ``gradgrad=False`` only to keep the suite fast (about 25 s for the
three of them: hundreds of parameters, each a double backward through a graph VJP); they are
compositions of rows that are checked to second order, and ``test_rnn.py`` runs one
gradgradcheck through a two-layer bidirectional LSTM.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
import nn
import nn.functional as F
from autograd.ops.nn_rnn import gru_seq, lstm_seq, rnn_seq
from tests.autograd.op_table import Row


class _Cfg(tuple):
    """A tuple of input shapes that also carries the drawn hyper-parameters (``.cfg``)."""

    cfg: dict


def _with_cfg(shapes, cfg):
    s = _Cfg(shapes)
    s.cfg = cfg
    return s


def _cfg_kwargs(shapes):
    return st.just(dict(shapes.cfg))


# --------------------------------------------------------------------------- NumPy references


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of PyTorch's documented cell equations (gates in PyTorch's order)."""
    gi = x @ w_ih.T + (0.0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0.0 if b_hh is None else b_hh)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        return _sig(o) * np.tanh(c), c
    if mode == "GRU":
        ir, iz, in_ = np.split(gi, 3, axis=-1)
        hr, hz, hn = np.split(gh, 3, axis=-1)
        r, z = _sig(ir + hr), _sig(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1.0 - z) * n + z * h, None
    a = gi + gh
    return (np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0.0)), None


def _np_rnn(mode, x, h0, c0, weights, num_layers, bidirectional, bias):
    """Time-major ``x`` ``(T, B, in)``: returns ``(output, h_n, c_n)``."""
    D = 2 if bidirectional else 1
    per = 4 if bias else 2
    T = x.shape[0]
    inp = x
    hn, cn = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            w = weights[k * per : (k + 1) * per]
            b_ih, b_hh = (w[2], w[3]) if bias else (None, None)
            h, c = h0[k], (c0[k] if c0 is not None else None)
            out = np.zeros((T,) + h.shape)
            for t in reversed(range(T)) if d == 1 else range(T):
                h, c = _np_step(mode, inp[t], h, c, w[0], w[1], b_ih, b_hh)
                out[t] = h
            outs.append(out)
            hn.append(h)
            cn.append(c)
        inp = np.concatenate(outs, axis=-1)
    return inp, np.stack(hn), (np.stack(cn) if c0 is not None else None)


# --------------------------------------------------------------------------- module plumbing

_MODULES: dict = {}


def _module(key, make):
    m = _MODULES.get(key)
    if m is None:
        m = _MODULES[key] = make()
        m.eval()
    return m


def _param_shapes(module):
    return [(n, tuple(p.shape)) for n, p in module.named_parameters()]


def _unflatten(flat, shapes):
    """Slice a flat vector (Tensor or array) into the given shapes."""
    out, k = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(flat[k : k + n].reshape(s))
        k += n
    return out


def _call_with(module, flat, *args, **kwargs):
    """Call ``module`` with its parameters replaced by slices of ``flat`` (restored after)."""
    named = _param_shapes(module)
    pieces = _unflatten(flat, [s for _, s in named])
    saved = []
    try:
        for (name, _), p in zip(named, pieces):
            owner_name, _, attr = name.rpartition(".")
            owner = module.get_submodule(owner_name) if owner_name else module
            saved.append((owner, attr, owner._parameters[attr]))
            owner._parameters[attr] = p
        return module(*args, **kwargs)
    finally:
        for owner, attr, p in saved:
            owner._parameters[attr] = p


def _n_params(module):
    return sum(int(np.prod(s)) for _, s in _param_shapes(module))


# --------------------------------------------------------------------------- fused op rows


@st.composite
def _seq_shapes(draw, k):
    T, B, H = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    states = ((B, H),) * (2 if k == 4 else 1)
    return ((T, B, k * H),) + states + ((k * H, H), (k * H,))


def _ref_seq(mode, xg, h0, c0, w_hh, b_hh, reverse):
    """The packed output of the fused ops, from the equations (planar layout)."""
    T = xg.shape[0]
    H = w_hh.shape[1]
    planes = []
    h, c = h0, c0
    for t in reversed(range(T)) if reverse else range(T):
        a = xg[t] + h @ w_hh.T + b_hh
        if mode == "LSTM":
            i, f, g, o = (
                _sig(a[:, :H]),
                _sig(a[:, H : 2 * H]),
                np.tanh(a[:, 2 * H : 3 * H]),
                _sig(a[:, 3 * H :]),
            )
            c = f * c + i * g
            h = o * np.tanh(c)
            planes.append((t, np.stack([i, f, g, o, np.tanh(c), c, h])))
        elif mode == "GRU":
            hg = h @ w_hh.T + b_hh
            r = _sig(xg[t][:, :H] + hg[:, :H])
            z = _sig(xg[t][:, H : 2 * H] + hg[:, H : 2 * H])
            n = np.tanh(xg[t][:, 2 * H :] + r * hg[:, 2 * H :])
            h = (1 - z) * n + z * h
            planes.append((t, np.stack([r, z, n, hg[:, 2 * H :], h])))
        else:
            h = np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0.0)
            planes.append((t, h))
    planes.sort(key=lambda p: p[0])
    return np.stack([p for _, p in planes])


def _rev():
    return st.fixed_dictionaries({"reverse": st.booleans()})


def _rnn_kwargs(shapes):
    return st.fixed_dictionaries(
        {"reverse": st.booleans(), "nonlinearity": st.sampled_from(["tanh", "relu"])}
    )


_OP_ROWS = [
    Row(
        "lstm_seq",
        lambda *a, reverse: lstm_seq(*a, reverse=reverse),
        5,
        shapes=_seq_shapes(4),
        kwargs=lambda s: _rev(),
        domain=(-1.5, 1.5),
        ref=lambda xg, h0, c0, w, b, reverse: _ref_seq("LSTM", xg, h0, c0, w, b, reverse),
    ),
    Row(
        "gru_seq",
        lambda *a, reverse: gru_seq(*a, reverse=reverse),
        4,
        shapes=_seq_shapes(3),
        kwargs=lambda s: _rev(),
        domain=(-1.5, 1.5),
        ref=lambda xg, h0, w, b, reverse: _ref_seq("GRU", xg, h0, None, w, b, reverse),
    ),
    Row(
        "rnn_seq",
        lambda *a, reverse, nonlinearity: rnn_seq(*a, reverse=reverse, nonlinearity=nonlinearity),
        4,
        shapes=_seq_shapes(1),
        kwargs=_rnn_kwargs,
        domain=(-1.5, 1.5),
        ref=lambda xg, h0, w, b, reverse, nonlinearity: _ref_seq(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", xg, h0, None, w, b, reverse
        ),
    ),
]


# --------------------------------------------------------------------------- layer rows

_LAYER_MODES = {"LSTM": "LSTM", "GRU": "GRU", "RNN": None}


def _rnn_module(cls, cfg):
    key = (
        cls,
        cfg["input_size"],
        cfg["hidden_size"],
        cfg["num_layers"],
        cfg["bias"],
        cfg["batch_first"],
        cfg["bidirectional"],
        cfg.get("nonlinearity", "tanh"),
    )
    kw = dict(
        num_layers=cfg["num_layers"],
        bias=cfg["bias"],
        batch_first=cfg["batch_first"],
        bidirectional=cfg["bidirectional"],
    )
    if cls == "RNN":
        kw["nonlinearity"] = cfg["nonlinearity"]
    return _module(key, lambda: getattr(nn, cls)(cfg["input_size"], cfg["hidden_size"], **kw))


@st.composite
def _layer_shapes(draw, cls):
    cfg = {
        "T": draw(st.integers(1, 3)),
        "B": draw(st.integers(1, 2)),
        "input_size": draw(st.integers(1, 2)),
        "hidden_size": draw(st.integers(1, 2)),
        "num_layers": draw(st.integers(1, 2)),
        "bias": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
        "unbatched": draw(st.booleans()),
        "with_h0": draw(st.booleans()),
    }
    if cls == "RNN":
        cfg["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    m = _rnn_module(cls, cfg)
    T, B, I, H = cfg["T"], cfg["B"], cfg["input_size"], cfg["hidden_size"]
    LD = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
    if cfg["unbatched"]:
        x, hs = (T, I), (LD, H)
    else:
        x, hs = ((B, T, I) if cfg["batch_first"] else (T, B, I)), (LD, B, H)
    shapes = [x, (_n_params(m),)]
    if cfg["with_h0"]:
        shapes += [hs] * (2 if cls == "LSTM" else 1)
    return _with_cfg(tuple(shapes), cfg)


def _rnn_layer_fn(cls):
    def fn(x, flat, *states, **cfg):
        m = _rnn_module(cls, cfg)
        hx = None
        if states:
            hx = tuple(states) if cls == "LSTM" else states[0]
        out, hn = _call_with(m, flat, x, hx)
        return (out, *hn) if cls == "LSTM" else (out, hn)

    return fn


def _rnn_layer_ref(cls):
    def ref(x, flat, *states, **cfg):
        m = _rnn_module(cls, cfg)
        weights = _unflatten(flat, [s for _, s in _param_shapes(m)])
        mode = {"LSTM": "LSTM", "GRU": "GRU"}.get(cls) or (
            "RNN_TANH" if cfg["nonlinearity"] == "tanh" else "RNN_RELU"
        )
        unb, bf = cfg["unbatched"], cfg["batch_first"]
        xt = x[:, None] if unb else (x.transpose(1, 0, 2) if bf else x)
        T, B = xt.shape[:2]
        LD = cfg["num_layers"] * (2 if cfg["bidirectional"] else 1)
        zeros = np.zeros((LD, B, cfg["hidden_size"]))
        h0 = states[0][:, None] if states and unb else (states[0] if states else zeros)
        c0 = None
        if cls == "LSTM":
            c0 = states[1][:, None] if states and unb else (states[1] if states else zeros)
        out, hn, cn = _np_rnn(
            mode, xt, h0, c0, weights, cfg["num_layers"], cfg["bidirectional"], cfg["bias"]
        )
        out = out[:, 0] if unb else (out.transpose(1, 0, 2) if bf else out)
        if unb:
            hn = hn[:, 0]
            cn = cn[:, 0] if cn is not None else None
        return (out, hn, cn) if cls == "LSTM" else (out, hn)

    return ref


def _layer_row(cls, covers):
    return Row(
        f"nn.{cls}",
        _rnn_layer_fn(cls),
        2,
        shapes=_layer_shapes(cls),
        kwargs=_cfg_kwargs,
        domain=(-1.0, 1.0),
        ref=_rnn_layer_ref(cls),
        covers=covers,
        gradgrad=False,
    )


_LAYER_ROWS = [
    _layer_row("LSTM", ("lstm_seq", "linear", "getitem", "stack", "cat")),
    _layer_row("GRU", ("gru_seq", "linear", "getitem", "stack", "cat")),
    _layer_row("RNN", ("rnn_seq", "linear", "getitem", "stack", "cat")),
]


# --------------------------------------------------------------------------- cell rows


@st.composite
def _cell_shapes(draw, cls):
    cfg = {
        "B": draw(st.integers(1, 3)),
        "input_size": draw(st.integers(1, 3)),
        "hidden_size": draw(st.integers(1, 3)),
        "bias": draw(st.booleans()),
        "unbatched": draw(st.booleans()),
        "with_h0": draw(st.booleans()),
    }
    if cls == "RNNCell":
        cfg["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    m = _cell_module(cls, cfg)
    B, I, H = cfg["B"], cfg["input_size"], cfg["hidden_size"]
    x, hs = ((I,), (H,)) if cfg["unbatched"] else ((B, I), (B, H))
    shapes = [x, (_n_params(m),)]
    if cfg["with_h0"]:
        shapes += [hs] * (2 if cls == "LSTMCell" else 1)
    return _with_cfg(tuple(shapes), cfg)


def _cell_module(cls, cfg):
    key = (cls, cfg["input_size"], cfg["hidden_size"], cfg["bias"], cfg.get("nonlinearity"))
    kw = {"bias": cfg["bias"]}
    if cls == "RNNCell":
        kw["nonlinearity"] = cfg["nonlinearity"]
    return _module(key, lambda: getattr(nn, cls)(cfg["input_size"], cfg["hidden_size"], **kw))


def _cell_fn(cls):
    def fn(x, flat, *states, **cfg):
        m = _cell_module(cls, cfg)
        hx = (tuple(states) if cls == "LSTMCell" else states[0]) if states else None
        return _call_with(m, flat, x, hx)

    return fn


def _cell_ref(cls):
    def ref(x, flat, *states, **cfg):
        m = _cell_module(cls, cfg)
        w = _unflatten(flat, [s for _, s in _param_shapes(m)])
        b_ih, b_hh = (w[2], w[3]) if cfg["bias"] else (None, None)
        H = cfg["hidden_size"]
        zeros = np.zeros(x.shape[:-1] + (H,))
        h = states[0] if states else zeros
        c = states[1] if states else zeros
        mode = {"LSTMCell": "LSTM", "GRUCell": "GRU"}.get(cls) or (
            "RNN_TANH" if cfg["nonlinearity"] == "tanh" else "RNN_RELU"
        )
        h, c = _np_step(mode, x, h, c, w[0], w[1], b_ih, b_hh)
        return (h, c) if cls == "LSTMCell" else h

    return ref


_CELL_ROWS = [
    Row(
        f"nn.{cls}",
        _cell_fn(cls),
        2,
        shapes=_cell_shapes(cls),
        kwargs=_cfg_kwargs,
        domain=(-1.0, 1.0),
        ref=_cell_ref(cls),
        covers=(op, "linear", "getitem", "reshape"),
    )
    for cls, op in (("LSTMCell", "lstm_seq"), ("GRUCell", "gru_seq"), ("RNNCell", "rnn_seq"))
]


# --------------------------------------------------------------------------- attention


def _np_softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_mha(q, k, v, w_q, w_k, w_v, b_in, w_o, b_o, num_heads, kpm=None, attn_mask=None):
    """Batch-first ``(N, L, E)`` multi-head attention from its definition; returns the output
    and the per-head weights ``(N, heads, L, S)``. Masks: bool True = not allowed."""
    N, L, E = q.shape
    S = k.shape[1]
    hd = E // num_heads
    bq, bk, bv = np.split(b_in, 3) if b_in is not None else (0.0, 0.0, 0.0)
    Q, K, V = q @ w_q.T + bq, k @ w_k.T + bk, v @ w_v.T + bv

    def heads(x, n):
        return x.reshape(N, n, num_heads, hd).transpose(0, 2, 1, 3)

    scores = heads(Q, L) @ heads(K, S).transpose(0, 1, 3, 2) / np.sqrt(hd)
    if attn_mask is not None:
        m = attn_mask if attn_mask.ndim == 2 else attn_mask.reshape(N, num_heads, L, S)
        scores = scores + (np.where(m, -np.inf, 0.0) if m.dtype == bool else m)
    if kpm is not None:
        scores = scores + np.where(kpm, -np.inf, 0.0)[:, None, None, :]
    w = _np_softmax(scores)
    out = (w @ heads(V, S)).transpose(0, 2, 1, 3).reshape(N, L, E)
    out = out @ w_o.T + (0.0 if b_o is None else b_o)
    return out, w


def _mha_module(cfg):
    key = ("MHA", cfg["E"], cfg["heads"], cfg["bias"], cfg["kdim"], cfg["vdim"], cfg["batch_first"])
    return _module(
        key,
        lambda: nn.MultiheadAttention(
            cfg["E"],
            cfg["heads"],
            bias=cfg["bias"],
            kdim=cfg["kdim"],
            vdim=cfg["vdim"],
            batch_first=cfg["batch_first"],
        ),
    )


@st.composite
def _mha_shapes(draw):
    heads = draw(st.sampled_from([1, 2]))
    E = heads * draw(st.integers(1, 2))
    separate = draw(st.booleans())
    cfg = {
        "E": E,
        "heads": heads,
        "L": draw(st.integers(1, 3)),
        "S": draw(st.integers(1, 3)),
        "N": draw(st.integers(1, 2)),
        "bias": draw(st.booleans()),
        "kdim": draw(st.integers(1, 3)) if separate else None,
        "vdim": draw(st.integers(1, 3)) if separate else None,
        "batch_first": draw(st.booleans()),
        "unbatched": draw(st.booleans()),
        "self_attn": draw(st.booleans()) and not separate,
        "need_weights": draw(st.booleans()),
        "average": draw(st.booleans()),
    }
    if cfg["self_attn"]:
        cfg["S"] = cfg["L"]
    m = _mha_module(cfg)
    L, S, N = cfg["L"], cfg["S"], cfg["N"]
    kd, vd = cfg["kdim"] or E, cfg["vdim"] or E

    def shp(n, d):
        if cfg["unbatched"]:
            return (n, d)
        return (N, n, d) if cfg["batch_first"] else (n, N, d)

    return _with_cfg((shp(L, E), shp(S, kd), shp(S, vd), (_n_params(m),)), cfg)


@st.composite
def _mha_masks(draw, shapes):
    cfg = dict(shapes.cfg)
    L, S, N, h = cfg["L"], cfg["S"], cfg["N"], cfg["heads"]
    n = 1 if cfg["unbatched"] else N
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kpm = None
    if draw(st.booleans()):
        kpm = rng.random((n, S)) < 0.4
        kpm[:, 0] = False  # every query keeps at least one key
        if cfg["unbatched"]:
            kpm = kpm[0]
    kind = draw(st.sampled_from(["none", "bool", "float", "causal", "bool3d"]))
    mask = None
    if kind == "bool":
        mask = rng.random((L, S)) < 0.4
        mask[:, 0] = False
    elif kind == "float":
        mask = rng.uniform(-1.0, 1.0, (L, S))
    elif kind == "bool3d":
        mask = rng.random((n * h, L, S)) < 0.4
        mask[..., 0] = False
    elif kind == "causal" and L == S:
        mask = np.triu(np.ones((L, S), dtype=bool), 1)
        cfg["is_causal"] = True
    if kpm is not None and mask is not None and mask.dtype != bool:
        kpm = np.where(kpm, -np.inf, 0.0)  # PyTorch warns on mixed mask types
    cfg["key_padding_mask"] = kpm
    cfg["attn_mask"] = mask
    return cfg


def _mha_fn(q, k, v, flat, **cfg):
    m = _mha_module(cfg)
    if cfg["self_attn"]:
        k = v = q
    kpm, am = cfg["key_padding_mask"], cfg["attn_mask"]
    out, w = _call_with(
        m,
        flat,
        q,
        k,
        v,
        key_padding_mask=None if kpm is None else ag.tensor(kpm),
        attn_mask=None if am is None else ag.tensor(am),
        need_weights=cfg["need_weights"],
        average_attn_weights=cfg["average"],
        is_causal=cfg.get("is_causal", False),
    )
    return (out, w) if cfg["need_weights"] else out


def _mha_ref(q, k, v, flat, **cfg):
    m = _mha_module(cfg)
    E = cfg["E"]
    params = dict(
        zip([n for n, _ in _param_shapes(m)], _unflatten(flat, [s for _, s in _param_shapes(m)]))
    )
    if cfg["self_attn"]:
        k = v = q
    if "in_proj_weight" in params:  # PyTorch packs q, k, v whenever kdim == vdim == E
        w_q, w_k, w_v = np.split(params["in_proj_weight"], 3)
    else:
        w_q, w_k, w_v = params["q_proj_weight"], params["k_proj_weight"], params["v_proj_weight"]
    kpm, am = cfg["key_padding_mask"], cfg["attn_mask"]
    if cfg["unbatched"]:
        q, k, v = q[None], k[None], v[None]
        kpm = None if kpm is None else kpm[None]
    elif not cfg["batch_first"]:
        q, k, v = (a.transpose(1, 0, 2) for a in (q, k, v))
    if kpm is not None and kpm.dtype != bool:
        kpm = kpm == -np.inf
    out, w = _np_mha(
        q,
        k,
        v,
        w_q,
        w_k,
        w_v,
        params.get("in_proj_bias"),
        params["out_proj.weight"],
        params.get("out_proj.bias"),
        cfg["heads"],
        kpm,
        am,
    )
    del E
    if cfg["average"]:
        w = w.mean(1)
    if cfg["unbatched"]:
        out, w = out[0], w[0]
    elif not cfg["batch_first"]:
        out = out.transpose(1, 0, 2)
    return (out, w) if cfg["need_weights"] else out


@st.composite
def _sdpa_shapes(draw):
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    L, S, E, Ev = (draw(st.integers(1, 3)) for _ in range(4))
    return (batch + (L, E), batch + (S, E), batch + (S, Ev))


@st.composite
def _sdpa_kwargs(draw, shapes):
    L, S = shapes[0][-2], shapes[1][-2]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    kw = {"scale": draw(st.sampled_from([None, 0.7]))}
    if kind == "bool":
        m = rng.random((L, S)) < 0.6  # SDPA: True = takes part
        m[:, 0] = True
        kw["attn_mask"] = m
    elif kind == "float":
        kw["attn_mask"] = rng.uniform(-1.0, 1.0, (L, S))
    elif kind == "causal":
        kw["is_causal"] = True
    return kw


def _sdpa_fn(q, k, v, attn_mask=None, is_causal=False, scale=None):
    m = None if attn_mask is None else ag.tensor(attn_mask)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=is_causal, scale=scale)


def _sdpa_ref(q, k, v, attn_mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    s = (q @ np.swapaxes(k, -1, -2)) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        s = s + np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf)
    if attn_mask is not None:
        s = s + (np.where(attn_mask, 0.0, -np.inf) if attn_mask.dtype == bool else attn_mask)
    return _np_softmax(s) @ v


_ATTN_ROWS = [
    Row(
        "F.scaled_dot_product_attention",
        _sdpa_fn,
        3,
        shapes=_sdpa_shapes(),
        kwargs=_sdpa_kwargs,
        ref=_sdpa_ref,
        covers=("matmul", "softmax", "mul", "add", "permute"),
    ),
    Row(
        "nn.MultiheadAttention",
        _mha_fn,
        4,
        shapes=_mha_shapes(),
        kwargs=_mha_masks,
        domain=(-1.0, 1.0),
        ref=_mha_ref,
        covers=("linear", "matmul", "softmax", "reshape", "permute", "mean"),
    ),
]


# --------------------------------------------------------------------------- encoder layer


def _tel_module(cfg):
    key = (
        "TEL",
        cfg["E"],
        cfg["heads"],
        cfg["ff"],
        cfg["activation"],
        cfg["batch_first"],
        cfg["norm_first"],
        cfg["bias"],
    )
    return _module(
        key,
        lambda: nn.TransformerEncoderLayer(
            cfg["E"],
            cfg["heads"],
            dim_feedforward=cfg["ff"],
            dropout=0.0,
            activation=cfg["activation"],
            batch_first=cfg["batch_first"],
            norm_first=cfg["norm_first"],
            bias=cfg["bias"],
        ),
    )


@st.composite
def _tel_shapes(draw):
    heads = draw(st.sampled_from([1, 2]))
    cfg = {
        "E": 2 * heads,
        "heads": heads,
        "ff": draw(st.integers(1, 3)),
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "unbatched": draw(st.booleans()),
        "S": draw(st.integers(1, 3)),
        "N": draw(st.integers(1, 2)),
    }
    m = _tel_module(cfg)
    S, N, E = cfg["S"], cfg["N"], cfg["E"]
    x = (S, E) if cfg["unbatched"] else ((N, S, E) if cfg["batch_first"] else (S, N, E))
    return _with_cfg((x, (_n_params(m),)), cfg)


@st.composite
def _tel_masks(draw, shapes):
    cfg = dict(shapes.cfg)
    S, n = cfg["S"], 1 if cfg["unbatched"] else cfg["N"]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kpm = None
    if draw(st.booleans()):
        kpm = rng.random((n, S)) < 0.4
        kpm[:, 0] = False
        kpm = kpm[0] if cfg["unbatched"] else kpm
    kind = draw(st.sampled_from(["none", "causal", "float"]))
    mask = None
    if kind == "causal":
        mask = np.triu(np.ones((S, S), dtype=bool), 1)
        cfg["is_causal"] = True
    elif kind == "float":
        mask = rng.uniform(-1.0, 1.0, (S, S))
        if kpm is not None:
            kpm = np.where(kpm, -np.inf, 0.0)
    cfg["src_key_padding_mask"] = kpm
    cfg["src_mask"] = mask
    return cfg


def _tel_fn(x, flat, **cfg):
    kpm, mask = cfg["src_key_padding_mask"], cfg["src_mask"]
    return _call_with(
        _tel_module(cfg),
        flat,
        x,
        src_mask=None if mask is None else ag.tensor(mask),
        src_key_padding_mask=None if kpm is None else ag.tensor(kpm),
        is_causal=cfg.get("is_causal", False),
    )


def _np_layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    y = (x - m) / np.sqrt(v + eps)
    y = y * w if w is not None else y
    return y + b if b is not None else y


def _np_gelu(a):
    from math import erf

    return 0.5 * a * (1.0 + np.vectorize(erf)(a / np.sqrt(2.0)))


def _tel_ref(x, flat, **cfg):
    m = _tel_module(cfg)
    names = [n for n, _ in _param_shapes(m)]
    p = dict(zip(names, _unflatten(flat, [s for _, s in _param_shapes(m)])))
    kpm, mask = cfg["src_key_padding_mask"], cfg["src_mask"]
    if cfg["unbatched"]:
        x = x[None]
        kpm = None if kpm is None else kpm[None]
    elif not cfg["batch_first"]:
        x = x.transpose(1, 0, 2)
    if kpm is not None and kpm.dtype != bool:
        kpm = kpm == -np.inf
    act = _np_gelu if cfg["activation"] == "gelu" else (lambda a: np.maximum(a, 0.0))
    w_q, w_k, w_v = np.split(p["self_attn.in_proj_weight"], 3)

    def sa(y):
        return _np_mha(
            y,
            y,
            y,
            w_q,
            w_k,
            w_v,
            p.get("self_attn.in_proj_bias"),
            p["self_attn.out_proj.weight"],
            p.get("self_attn.out_proj.bias"),
            cfg["heads"],
            kpm,
            mask,
        )[0]

    def lin(y, n):
        y = y @ p[n + ".weight"].T
        return y + p[n + ".bias"] if n + ".bias" in p else y

    def ff(y):
        return lin(act(lin(y, "linear1")), "linear2")

    def norm(y, n):
        return _np_layer_norm(y, p[n + ".weight"], p.get(n + ".bias"))

    if cfg["norm_first"]:
        x = x + sa(norm(x, "norm1"))
        x = x + ff(norm(x, "norm2"))
    else:
        x = norm(x + sa(x), "norm1")
        x = norm(x + ff(x), "norm2")
    if cfg["unbatched"]:
        return x[0]
    return x if cfg["batch_first"] else x.transpose(1, 0, 2)


_ATTN_ROWS.append(
    Row(
        "nn.TransformerEncoderLayer",
        _tel_fn,
        2,
        shapes=_tel_shapes(),
        kwargs=_tel_masks,
        domain=(-1.0, 1.0),
        ref=_tel_ref,
        gradgrad=False,  # ~10 s; its parts (MHA, linear, layer norm) are checked to 2nd order
        covers=("linear", "matmul", "softmax", "add"),
    )
)

ROWS = _OP_ROWS + _LAYER_ROWS + _CELL_ROWS + _ATTN_ROWS
