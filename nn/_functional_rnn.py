"""Functional forms of the recurrent layers and of attention (star-imported by
``nn.functional``).

Public: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``, as in
``torch.nn.functional``. Private helpers used by ``nn.modules.rnn`` and
``nn.modules.transformer``: ``_rnn`` (a whole multi-layer, maybe bidirectional recurrence, the
analogue of PyTorch's ``_VF.lstm`` / ``_VF.gru`` / ``_VF.rnn_tanh``), the single-step cells
``_rnn_cell`` / ``_lstm_cell`` / ``_gru_cell``, and the mask helpers ``_canonical_mask`` and
``_none_or_dtype``.
"""

from __future__ import annotations

import math

import numpy as np

from autograd.ops.indexing import getitem_p
from autograd.ops.nn import linear_p
from autograd.ops.nn_rnn import gru_seq, lstm_seq, rnn_seq
from autograd.ops.shape import cat_p, reshape_p, stack_p
from autograd.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_ALL = slice(None)


def _dropout(x, p, training):
    from .functional import dropout

    return dropout(x, p=p, training=training)


# --------------------------------------------------------------------------- recurrences


def _run_direction(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, lengths=None):
    """One layer, one direction over time-major ``x`` ``(T, B, in)``.

    With ``lengths`` (``(B,)`` ints, a packed batch), sequence ``b`` ends at step
    ``lengths[b] - 1``: the final states are taken there, and the reverse direction runs each
    sequence backwards from its own last step (a per-sequence time reversal, which is its own
    inverse); outputs past a sequence's end are unspecified.

    Returns ``(output (T, B, H), h_n (B, H), c_n (B, H) or None)``.
    """
    if lengths is not None:
        T, B = x.shape[0], x.shape[1]
        t = np.arange(T)[:, None]
        rev = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t) if reverse else None
        bidx = np.arange(B)[None, :]
        if reverse:
            x = getitem_p(x, idx=(rev, bidx))
        last = (lengths - 1, np.arange(B))
        cn = None
        if mode == "LSTM":
            out, cn = _lstm_states(x, h0, c0, w_ih, w_hh, b_ih, b_hh, last)
        else:
            out = _run_direction(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, False)[0]
        hn = getitem_p(out, idx=last)
        if reverse:
            out = getitem_p(out, idx=(rev, bidx))
        return out, hn, cn
    xg = linear_p(x, w_ih, b_ih) if b_ih is not None else linear_p(x, w_ih)
    last = 0 if reverse else x.shape[0] - 1
    if mode == "LSTM":
        args = (xg, h0, c0, w_hh) if b_hh is None else (xg, h0, c0, w_hh, b_hh)
        Y = lstm_seq(*args, reverse=reverse)  # (T, 7, B, H)
        # Slice through the (c, h) planes and the final (c, h) pair, so that the backward of
        # these views allocates one zero buffer of Y's size, not one per user-visible output.
        s = getitem_p(Y, idx=(_ALL, slice(5, 7)))
        hc = getitem_p(s, idx=(last,))
        return getitem_p(s, idx=(_ALL, 1)), getitem_p(hc, idx=(1,)), getitem_p(hc, idx=(0,))
    args = (xg, h0, w_hh) if b_hh is None else (xg, h0, w_hh, b_hh)
    if mode == "GRU":
        out = getitem_p(gru_seq(*args, reverse=reverse), idx=(_ALL, 4))
    else:
        nl = "tanh" if mode == "RNN_TANH" else "relu"
        out = rnn_seq(*args, nonlinearity=nl, reverse=reverse)
    return out, getitem_p(out, idx=(last,)), None


def _lstm_states(x, h0, c0, w_ih, w_hh, b_ih, b_hh, last):
    """LSTM over ``x``: all h ``(T, B, H)`` and the c at the steps ``last`` ``(B, H)``."""
    xg = linear_p(x, w_ih, b_ih) if b_ih is not None else linear_p(x, w_ih)
    args = (xg, h0, c0, w_hh) if b_hh is None else (xg, h0, c0, w_hh, b_hh)
    s = getitem_p(lstm_seq(*args), idx=(_ALL, slice(5, 7)))  # (T, 2, B, H): (c, h)
    c_last = getitem_p(s, idx=(last[0], 0, last[1]))
    return getitem_p(s, idx=(_ALL, 1)), c_last


def _rnn(
    mode,
    input,  # noqa: A002
    hx,
    weights,
    bias,
    num_layers,
    dropout,
    training,
    bidirectional,
    lengths=None,
):
    """A stacked recurrence over time-major ``input`` ``(T, B, in)``.

    Parameters
    ----------
    mode : {'LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'}
    hx : Tensor ``(num_layers * D, B, H)``, or ``(h0, c0)`` for the LSTM
    weights : list of Tensor
        In PyTorch's order: per layer, per direction ``w_ih, w_hh[, b_ih, b_hh]``.
    dropout : float
        Applied to the output of every layer but the last, in training.
    lengths : ndarray, optional
        ``(B,)`` sequence lengths of a packed batch (see :func:`_run_direction`).

    Returns
    -------
    ``(output (T, B, D * H), h_n)``, with ``h_n = (h_n, c_n)`` for the LSTM.

    Notes
    -----
    See NOTE [ Fused recurrences ] in ``autograd/ops/nn_rnn.py``.
    """
    lstm = mode == "LSTM"
    h0, c0 = hx if lstm else (hx, None)
    D = 2 if bidirectional else 1
    per = 4 if bias else 2
    layer_input = input
    h_n, c_n = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            w = weights[k * per : (k + 1) * per]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if bias else (None, None)
            hk = getitem_p(h0, idx=(k,))
            ck = getitem_p(c0, idx=(k,)) if lstm else None
            out, hn, cn = _run_direction(
                mode, layer_input, hk, ck, w_ih, w_hh, b_ih, b_hh, d == 1, lengths
            )
            outs.append(out)
            h_n.append(hn)
            c_n.append(cn)
        layer_input = outs[0] if D == 1 else cat_p(*outs, axis=-1)
        if dropout > 0 and training and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout, True)
    hn = stack_p(*h_n, axis=0)
    if lstm:
        return layer_input, (hn, stack_p(*c_n, axis=0))
    return layer_input, hn


def _step_input(input, w_ih, b_ih):  # noqa: A002
    xg = linear_p(input, w_ih, b_ih) if b_ih is not None else linear_p(input, w_ih)
    return reshape_p(xg, shape=(1,) + tuple(xg.shape))


def _rnn_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):  # noqa: A002
    """One step of an Elman cell on ``(B, in)`` and ``(B, H)``: returns ``h'``."""
    xg = _step_input(input, w_ih, b_ih)
    args = (xg, hx, w_hh) if b_hh is None else (xg, hx, w_hh, b_hh)
    return getitem_p(rnn_seq(*args, nonlinearity=nonlinearity), idx=(0,))


def _lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """One LSTM step: returns ``(h', c')``."""
    xg = _step_input(input, w_ih, b_ih)
    args = (xg, hx, cx, w_hh) if b_hh is None else (xg, hx, cx, w_hh, b_hh)
    s = getitem_p(lstm_seq(*args), idx=(0, slice(5, 7)))
    return getitem_p(s, idx=(1,)), getitem_p(s, idx=(0,))


def _gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """One GRU step: returns ``h'``."""
    xg = _step_input(input, w_ih, b_ih)
    args = (xg, hx, w_hh) if b_hh is None else (xg, hx, w_hh, b_hh)
    return getitem_p(gru_seq(*args), idx=(0, 4))


# --------------------------------------------------------------------------- masks


def _none_or_dtype(input):  # noqa: A002
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _is_float(t):
    return t.dtype.kind == "f"


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = not allowed) becomes an additive float mask (``-inf`` / 0) of
    ``target_type``; a float mask is returned as it is."""
    if mask is None:
        return None
    if mask.dtype != np.bool_ and not _is_float(mask):
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        import warnings

        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if not _is_float(mask):
        m = np.asarray(mask.numpy(), dtype=bool)
        mask = Tensor._wrap(np.where(m, -np.inf, 0.0).astype(target_type))
    return mask


def _causal_bias(L, S, dtype):
    """``-inf`` above the diagonal: position ``i`` attends to ``j <= i``."""
    return np.triu(np.full((L, S), -np.inf, dtype=dtype), k=1)


# --------------------------------------------------------------------------- attention


def _attend(q, k, v, bias, dropout_p, scale):
    """``softmax(q k^T * scale + bias) v`` over the last two dims; returns (output, weights)."""
    w = (q * scale) @ k.transpose(-2, -1)
    if bias is not None:
        w = w + bias
    w = w.softmax(-1)
    if dropout_p > 0.0:
        w = _dropout(w, dropout_p, True)
    return w @ v, w


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """``softmax(Q K^T / sqrt(E) + mask) V`` over ``(..., L, E)``, ``(..., S, E)``,
    ``(..., S, Ev)``; returns ``(..., L, Ev)``.

    Parameters
    ----------
    attn_mask : Tensor, optional
        Broadcastable to ``(..., L, S)``. A **bool** mask is True where a position **takes
        part** in attention (PyTorch's SDPA convention, the opposite of
        ``MultiheadAttention``'s); a float mask is added to the scores.
    dropout_p : float
        Dropout on the attention weights; applied whenever positive, as in PyTorch.
    is_causal : bool
        Attend only to positions ``j <= i``; cannot be combined with ``attn_mask``.
    scale : float, optional
        Defaults to ``1 / sqrt(E)``.

    Raises
    ------
    RuntimeError
        ``attn_mask`` together with ``is_causal``.
    NotImplementedError
        ``enable_gqa=True`` (grouped-query attention is not supported).
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not supported")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query has embedding size "
            f"{query.shape[-1]} and key {key.shape[-1]}; they must match"
        )
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be "
                "set when is_causal=True"
            )
        bias = Tensor._wrap(_causal_bias(L, S, query.dtype))
    elif attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            m = np.asarray(attn_mask.numpy(), dtype=bool)
            bias = Tensor._wrap(np.where(m, 0.0, -np.inf).astype(query.dtype))
        else:
            bias = attn_mask
    return _attend(query, key, value, bias, dropout_p, scale)[0]


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead"
                )
            if attn_mask.ndim == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(
                        f"Expected `attn_mask` shape to be {expected} but got "
                        f"{tuple(attn_mask.shape)}"
                    )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _in_projection_packed(q, k, v, w, b):
    """Project with the packed ``(3E, E)`` weight: one matmul when q, k and v are the same
    tensor (self-attention), two when k and v are."""
    E = q.shape[-1]

    def lin(x, w, b):
        return linear_p(x, w, b) if b is not None else linear_p(x, w)

    def part(t, lo, hi):
        return getitem_p(t, idx=(Ellipsis, slice(lo, hi)))

    if k is v:
        if q is k:
            p = lin(q, w, b)
            return part(p, 0, E), part(p, E, 2 * E), part(p, 2 * E, 3 * E)
        bq, bkv = (
            (None, None)
            if b is None
            else (getitem_p(b, idx=(slice(0, E),)), getitem_p(b, idx=(slice(E, 3 * E),)))
        )
        qp = lin(q, getitem_p(w, idx=(slice(0, E),)), bq)
        kv = lin(k, getitem_p(w, idx=(slice(E, 3 * E),)), bkv)
        return qp, part(kv, 0, E), part(kv, E, 2 * E)
    ws = [getitem_p(w, idx=(slice(i * E, (i + 1) * E),)) for i in range(3)]
    bs = (
        [None] * 3
        if b is None
        else [getitem_p(b, idx=(slice(i * E, (i + 1) * E),)) for i in range(3)]
    )
    return lin(q, ws[0], bs[0]), lin(k, ws[1], bs[1]), lin(v, ws[2], bs[2])


def _in_projection(q, k, v, w_q, w_k, w_v, b):
    Eq, Ek, Ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, shape in (
        ("query", w_q, (Eq, Eq)),
        ("key", w_k, (Eq, Ek)),
        ("value", w_v, (Eq, Ev)),
    ):
        if tuple(w.shape) != shape:
            raise AssertionError(
                f"expecting {name} weights shape of {shape}, but got {tuple(w.shape)}"
            )
    bs = (
        [None] * 3
        if b is None
        else [getitem_p(b, idx=(slice(i * Eq, (i + 1) * Eq),)) for i in range(3)]
    )
    return tuple(
        linear_p(x, w, bb) if bb is not None else linear_p(x, w)
        for x, w, bb in zip((q, k, v), (w_q, w_k, w_v), bs)
    )


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Multi-head attention, as ``torch.nn.functional.multi_head_attention_forward``.

    Shapes: ``query (L, N, E)``, ``key (S, N, Ek)``, ``value (S, N, Ev)``, or unbatched
    ``(L, E)``, ``(S, Ek)``, ``(S, Ev)``. ``key_padding_mask (N, S)``; ``attn_mask (L, S)`` or
    ``(N * num_heads, L, S)``. Bool masks are True where attention is **not** allowed; float
    masks are added to the scores.

    Returns
    -------
    ``(attn_output (L, N, E), attn_weights)``: the weights are ``(N, L, S)`` averaged over
    heads (``(N, num_heads, L, S)`` with ``average_attn_weights=False``), or None when
    ``need_weights=False``.

    Notes
    -----
    ``bias_k``/``bias_v``, ``add_zero_attn``, ``static_k`` and ``static_v`` are not supported
    (NotImplementedError). Both PyTorch code paths (with and without weights) compute the
    same maths here; dropout on the attention weights applies only when ``training``.
    """
    if bias_k is not None or bias_v is not None:
        raise NotImplementedError(
            "multi_head_attention_forward: bias_k/bias_v (add_bias_kv) are not supported"
        )
    if add_zero_attn:
        raise NotImplementedError("multi_head_attention_forward: add_zero_attn is not supported")
    if static_k is not None or static_v is not None:
        raise NotImplementedError(
            "multi_head_attention_forward: static_k/static_v are not supported"
        )
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = (x.unsqueeze(1) for x in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # PyTorch drops the mask here and lets the kernel apply the causal pattern itself
        attn_mask = Tensor._wrap(_causal_bias(tgt_len, src_len, query.dtype))
    else:
        attn_mask = _canonical_mask(
            attn_mask, "attn_mask", None, "", query.dtype, check_other=False
        )
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                f"match value's {tuple(value.shape[:2])}"
            )
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError(
                "use_separate_proj_weight is True but q_proj_weight, "
                "k_proj_weight or v_proj_weight is None"
            )
        q, k, v = _in_projection(
            query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias
        )
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(
                f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
            )
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                    f"but should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            expected = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                    f"but should be {expected}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(src_len, bsz * num_heads, head_dim).transpose(0, 1)

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                f"got {tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0
    out, weights = _attend(q, k, v, attn_mask, dropout_p, 1.0 / math.sqrt(head_dim))
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = (
        linear_p(out, out_proj_weight, out_proj_bias)
        if out_proj_bias is not None
        else linear_p(out, out_proj_weight)
    )
    out = out.reshape(tgt_len, bsz, out.shape[-1])
    if not need_weights:
        return (out if is_batched else out.squeeze(1)), None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not is_batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights
