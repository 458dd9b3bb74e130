"""The NumPy floors: forward, backward and update of each benchmarked step, written out by hand.

NOTE [ What a floor is ]
A floor computes exactly what the ndgrad code it is measured against computes (same shapes,
same dtype, same loss, same gradients, same optimizer arithmetic as PyTorch states it), but
with no graph, no dispatch and no per-op objects: plain NumPy calls, BLAS for every
contraction, in-place updates and preallocated buffers where a careful person would use them.
It is what an engine built on NumPy would cost if its bookkeeping were free, so the ratio
``ndgrad / floor`` is the engine's overhead. A floor does *not* use tricks that change the
computation (reordering layers, fusing the loss into the last layer's backward beyond what the
maths of that loss gives, skipping work the engine must do), so that the floor stays a fair
target; ``tests/test_benchmarks.py`` checks that every floor's loss, gradients and updated
parameters match ndgrad's on the same weights and data.

Parameters are dicts of arrays named as the PyTorch / ndgrad ``state_dict`` names them, in
their layout (a Linear weight is ``(out_features, in_features)``), and each gradient comes back
C-contiguous in its parameter's layout.
"""

from __future__ import annotations

import math

import numpy as np

# -- losses ---------------------------------------------------------------------------------------


def cross_entropy(z: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of logits ``z`` (N, K) against class indices ``y`` (N,); returns
    ``(loss, dloss/dz)``."""
    n = z.shape[0]
    rows = np.arange(n)
    s = z - z.max(axis=1, keepdims=True)
    e = np.exp(s)
    se = e.sum(axis=1, keepdims=True)
    loss = float(np.log(se[:, 0]).sum() - s[rows, y].sum()) / n
    e /= se
    e[rows, y] -= 1.0
    e *= 1.0 / n
    return loss, e


def mse(out: np.ndarray, target: np.ndarray):
    """Mean squared error; returns ``(loss, dloss/dout)``."""
    d = out - target
    loss = float(np.vdot(d, d)) / d.size
    d *= 2.0 / d.size
    return loss, d


# -- optimizers (PyTorch's update arithmetic) ----------------------------------------------------


class Adam:
    """``torch.optim.Adam`` (no weight decay, no amsgrad) on a dict of arrays, in place."""

    def __init__(self, params: dict, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.tmp = {k: np.empty_like(p) for k, p in params.items()}

    def step(self, grads: dict) -> None:
        self.t += 1
        bc1 = 1.0 - self.b1**self.t
        bc2_sqrt = math.sqrt(1.0 - self.b2**self.t)
        step_size = self.lr / bc1
        for k, p in self.params.items():
            g, m, v, tmp = grads[k], self.m[k], self.v[k], self.tmp[k]
            m *= self.b1  # m = b1 m + (1 - b1) g
            np.multiply(g, 1.0 - self.b1, out=tmp)
            m += tmp
            v *= self.b2  # v = b2 v + (1 - b2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - self.b2
            v += tmp
            np.sqrt(v, out=tmp)  # denom = sqrt(v) / sqrt(bc2) + eps
            tmp /= bc2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)  # p -= lr / bc1 * m / denom
            tmp *= step_size
            p -= tmp


class SGD:
    """``torch.optim.SGD`` with momentum (dampening 0, not Nesterov) on a dict of arrays."""

    def __init__(self, params: dict, lr=0.01, momentum=0.0):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buf: dict = {}
        self.tmp = {k: np.empty_like(p) for k, p in params.items()}

    def step(self, grads: dict) -> None:
        for k, p in self.params.items():
            g = grads[k]
            if self.momentum:
                b = self.buf.get(k)
                if b is None:  # the first step copies the gradient (PyTorch)
                    b = self.buf[k] = g.copy()
                else:
                    b *= self.momentum
                    b += g
                g = b
            tmp = self.tmp[k]
            np.multiply(g, self.lr, out=tmp)
            p -= tmp


# -- layers -------------------------------------------------------------------------------------


def linear(x, w, b):
    """``x @ w.T + b``."""
    z = x @ w.T
    z += b
    return z


def linear_backward(g, x, w, need_x: bool = True):
    """Gradients of :func:`linear`: ``(gx or None, gw, gb)``; ``gw = g.T @ x`` is C-contiguous
    in ``w``'s ``(out, in)`` layout."""
    gw = g.T @ x
    gb = g.sum(axis=0)
    gx = g @ w if need_x else None
    return gx, gw, gb


def im2col(x: np.ndarray, kh: int, kw: int, padding: int):
    """Patches of ``x`` (N, C, H, W) in GEMM layout ``(N, C*kh*kw, Ho*Wo)`` (stride 1, zero
    padding), C-contiguous: one copy of a strided window view."""
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # N C Ho Wo kh kw
    n, c, ho, wo = win.shape[:4]
    cols = np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3))  # N C kh kw Ho Wo
    return cols.reshape(n, c * kh * kw, ho * wo), ho, wo


def conv2d(x, w, b, padding: int):
    """``F.conv2d(x, w, b, padding=padding)`` (stride 1): im2col and one batched GEMM whose
    output is already in (N, O, Ho*Wo) order; returns ``(out (N, O, Ho, Wo), cols)``."""
    o = w.shape[0]
    cols, ho, wo = im2col(x, w.shape[2], w.shape[3], padding)
    out = np.matmul(w.reshape(o, -1), cols)
    out += b[:, None]
    return out.reshape(x.shape[0], o, ho, wo), cols


def conv2d_backward(g, w, cols, padding: int, need_x: bool = True):
    """Gradients of :func:`conv2d`: ``(gx or None, gw, gb)``.

    ``gw`` is one batched GEMM against the saved patches, summed over the batch; ``gx`` is the
    full correlation of ``g`` with the flipped, channel-swapped kernel (a forward convolution
    again), which measured faster here than a col2im scatter of ``g @ w``.
    """
    n, o = g.shape[:2]
    kh, kw = w.shape[2:]
    g3 = g.reshape(n, o, -1)
    gw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    gb = g3.sum(axis=(0, 2))
    if not need_x:
        return None, gw, gb
    wt = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (C, O, kh, kw)
    c = wt.shape[0]
    gcols, ho, wo = im2col(g, kh, kw, kh - 1 - padding)
    gx = np.matmul(wt.reshape(c, -1), gcols).reshape(n, c, ho, wo)
    return gx, gw, gb


_WINDOW_ORDER = ((0, 0), (0, 1), (1, 0), (1, 1))  # row-major, as PyTorch scans a window


def max_pool2x2(x):
    """``F.max_pool2d(x, 2)`` on (N, C, H, W) with even H and W: the maximum of the four
    strided quarter-views (much faster here than a reduction over a reshaped window axis);
    returns ``(out, cache)``."""
    a = np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2])
    b = np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2])
    out = np.maximum(a, b, out=a)
    return out, (x, out)


def max_pool2x2_backward(g, cache):
    """The gradient of :func:`max_pool2x2`: each window's gradient goes to its *first*
    maximum in row-major order, PyTorch's choice when a window holds tied maxima."""
    x, out = cache
    gx = np.empty_like(x)
    taken = None
    for i, j in _WINDOW_ORDER:
        m = x[:, :, i::2, j::2] == out
        if taken is None:
            taken = m
        else:
            m &= ~taken
            taken |= m
        np.multiply(g, m, out=gx[:, :, i::2, j::2])
    return gx


def sigmoid(x, out=None):
    out = np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


# -- whole steps ----------------------------------------------------------------------------------


class MLPStep:
    """One training step of ``Sequential(Linear, act, Linear, act, ..., Linear)`` with
    cross-entropy (``loss="ce"``) or MSE (``loss="mse"``) and an optimizer from this module.

    ``params`` holds ``"{2*i}.weight"`` / ``"{2*i}.bias"`` for layer ``i`` (the Sequential's
    names); ``act`` is ``"relu"`` or ``"tanh"``.
    """

    def __init__(self, params: dict, optimizer, act: str = "relu", loss: str = "ce"):
        self.params = params
        self.n_layers = len(params) // 2
        self.names = [(f"{2 * i}.weight", f"{2 * i}.bias") for i in range(self.n_layers)]
        self.opt = optimizer
        self.act, self.loss_kind = act, loss
        self.grads: dict = {}
        self.loss = None

    def loss_and_grads(self, x, y):
        p = self.params
        hs = [x]
        h = x
        last = self.n_layers - 1
        for i, (wn, bn) in enumerate(self.names):
            h = linear(h, p[wn], p[bn])
            if i < last:
                if self.act == "relu":
                    np.maximum(h, 0.0, out=h)
                else:
                    np.tanh(h, out=h)
            hs.append(h)
        if self.loss_kind == "ce":
            loss, g = cross_entropy(h, y)
        else:
            loss, g = mse(h, y)
        grads = {}
        for i in range(last, -1, -1):
            wn, bn = self.names[i]
            gx, grads[wn], grads[bn] = linear_backward(g, hs[i], p[wn], need_x=i > 0)
            if i > 0:
                a = hs[i]
                if self.act == "relu":
                    gx *= a > 0
                else:
                    t = a * a
                    np.subtract(1.0, t, out=t)
                    gx *= t
                g = gx
        return loss, grads

    def step(self, x, y):
        self.loss, self.grads = self.loss_and_grads(x, y)
        self.opt.step(self.grads)
        return self.loss


class CNNStep:
    """One training step of ``Sequential(Conv2d(C0, C1, 3, padding=1), ReLU, MaxPool2d(2),
    Conv2d(C1, C2, 3, padding=1), ReLU, MaxPool2d(2), Flatten, Linear(C2*H/4*W/4, K))`` with
    cross-entropy. Parameters ``0.*``, ``3.*``, ``7.*``."""

    def __init__(self, params: dict, optimizer):
        self.params, self.opt = params, optimizer
        self.grads: dict = {}
        self.loss = None

    def loss_and_grads(self, x, y):
        p = self.params
        z1, c1 = conv2d(x, p["0.weight"], p["0.bias"], 1)
        a1 = np.maximum(z1, 0.0)
        p1, pc1 = max_pool2x2(a1)
        z2, c2 = conv2d(p1, p["3.weight"], p["3.bias"], 1)
        a2 = np.maximum(z2, 0.0)
        p2, pc2 = max_pool2x2(a2)
        f = p2.reshape(p2.shape[0], -1)
        z = linear(f, p["7.weight"], p["7.bias"])
        loss, g = cross_entropy(z, y)
        grads = {}
        gf, grads["7.weight"], grads["7.bias"] = linear_backward(g, f, p["7.weight"])
        ga2 = max_pool2x2_backward(gf.reshape(p2.shape), pc2)
        ga2 *= a2 > 0
        gp1, grads["3.weight"], grads["3.bias"] = conv2d_backward(ga2, p["3.weight"], c2, 1)
        ga1 = max_pool2x2_backward(gp1, pc1)
        ga1 *= a1 > 0
        _, grads["0.weight"], grads["0.bias"] = conv2d_backward(
            ga1, p["0.weight"], c1, 1, need_x=False
        )
        return loss, grads

    def step(self, x, y):
        self.loss, self.grads = self.loss_and_grads(x, y)
        self.opt.step(self.grads)
        return self.loss


def lstm_forward(x, w_ih, w_hh, b_ih, b_hh):
    """``nn.LSTM`` (one layer, ``batch_first=False``, zero initial state) on ``x`` (T, B, I);
    returns ``(out (T, B, H), cache)``. Gates in PyTorch's order i, f, g, o."""
    t_len, bsz, _ = x.shape
    hdim = w_hh.shape[1]
    xw = (x.reshape(t_len * bsz, -1) @ w_ih.T).reshape(t_len, bsz, 4 * hdim)
    xw += b_ih
    xw += b_hh
    acts = np.empty_like(xw)  # sigmoid(i, f, o) and tanh(g), per step
    cs = np.empty((t_len, bsz, hdim), x.dtype)
    tcs = np.empty_like(cs)
    hs = np.empty_like(cs)
    h = np.zeros((bsz, hdim), x.dtype)
    c = np.zeros_like(h)
    w_hh_t = w_hh.T
    for t in range(t_len):
        gates = xw[t]
        gates += h @ w_hh_t
        a = acts[t]
        sigmoid(gates, out=a)
        np.tanh(gates[:, 2 * hdim : 3 * hdim], out=a[:, 2 * hdim : 3 * hdim])
        i, f, g, o = a[:, :hdim], a[:, hdim : 2 * hdim], a[:, 2 * hdim : 3 * hdim], a[:, 3 * hdim :]
        c = f * c
        c += i * g
        cs[t] = c
        np.tanh(c, out=tcs[t])
        h = hs[t]
        np.multiply(o, tcs[t], out=h)
    return hs, (x, acts, cs, tcs, hs)


def lstm_backward(dout, w_ih, w_hh, cache, need_x: bool = False):
    """Back-propagation through time for :func:`lstm_forward`: gradients of ``weight_ih``,
    ``weight_hh``, ``bias_ih`` and ``bias_hh``, and of the input first when ``need_x``."""
    x, acts, cs, tcs, hs = cache
    t_len, bsz, hdim = hs.shape
    dgates = np.empty_like(acts)
    dh_next = np.zeros((bsz, hdim), dout.dtype)
    dc_next = np.zeros_like(dh_next)
    for t in range(t_len - 1, -1, -1):
        a = acts[t]
        i, f, g, o = a[:, :hdim], a[:, hdim : 2 * hdim], a[:, 2 * hdim : 3 * hdim], a[:, 3 * hdim :]
        dh = dout[t] + dh_next
        tc = tcs[t]
        dg_all = dgates[t]
        do = dg_all[:, 3 * hdim :]
        np.multiply(dh, tc, out=do)  # d o (before the sigmoid's derivative)
        dc = dh * o
        dc *= 1.0 - tc * tc
        dc += dc_next
        c_prev = cs[t - 1] if t > 0 else None
        np.multiply(dc, g, out=dg_all[:, :hdim])  # d i
        if c_prev is not None:
            np.multiply(dc, c_prev, out=dg_all[:, hdim : 2 * hdim])  # d f
        else:
            dg_all[:, hdim : 2 * hdim] = 0.0
        np.multiply(dc, i, out=dg_all[:, 2 * hdim : 3 * hdim])  # d g
        dc_next = dc * f
        # through the activations: sigmoid' = s (1 - s) for i, f, o; tanh' = 1 - g^2 for g
        s = 1.0 - a
        s *= a
        s[:, 2 * hdim : 3 * hdim] = 1.0 - g * g
        dg_all *= s
        dh_next = dg_all @ w_hh
    d2 = dgates.reshape(t_len * bsz, 4 * hdim)
    gw_ih = d2.T @ x.reshape(t_len * bsz, -1)
    gw_hh = dgates[1:].reshape(-1, 4 * hdim).T @ hs[:-1].reshape(-1, hdim)
    gb = d2.sum(axis=0)
    if need_x:
        gx = (d2 @ w_ih).reshape(x.shape)
        return gx, gw_ih, gw_hh, gb, gb
    return gw_ih, gw_hh, gb, gb  # both biases get the same gradient


class LSTMStep:
    """One training step of ``nn.LSTM(I, H)`` on ``x`` (T, B, I), loss
    ``F.mse_loss(out, target)`` on the whole output sequence, and an optimizer. Parameters
    ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``."""

    NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")

    def __init__(self, params: dict, optimizer):
        self.params, self.opt = params, optimizer
        self.grads: dict = {}
        self.loss = None

    def loss_and_grads(self, x, target):
        w_ih, w_hh, b_ih, b_hh = (self.params[k] for k in self.NAMES)
        out, cache = lstm_forward(x, w_ih, w_hh, b_ih, b_hh)
        loss, dout = mse(out, target)
        grads = dict(zip(self.NAMES, lstm_backward(dout, w_ih, w_hh, cache)))
        return loss, grads

    def step(self, x, target):
        self.loss, self.grads = self.loss_and_grads(x, target)
        self.opt.step(self.grads)
        return self.loss


class ChainStep:
    """Forward and backward of a chain of ``n`` elementwise ops on a small vector, cycling
    through ``y * a``, ``y + b``, ``tanh(y)``, ``sin(y)``, then ``y.backward(ones)``: the
    gradient of the input, with every NumPy call of the forward and of each VJP written out."""

    def __init__(self, a: np.ndarray, b: np.ndarray, n: int = 100):
        self.a, self.b, self.n = a, b, n
        self.grad = None

    def forward_backward(self, x):
        a, b = self.a, self.b
        saved = []
        y = x
        for k in range(self.n):
            r = k % 4
            if r == 0:
                y = y * a
            elif r == 1:
                y = y + b
            elif r == 2:
                y = np.tanh(y)
                saved.append(y)
            else:
                saved.append(y)
                y = np.sin(y)
        g = np.ones_like(y)
        for k in range(self.n - 1, -1, -1):
            r = k % 4
            if r == 0:
                g = g * a
            elif r == 2:
                t = saved.pop()
                g = g * (1.0 - t * t)
            elif r == 3:
                g = g * np.cos(saved.pop())
        self.grad = g
        return y


# -- more layers (the ``layers`` suite) -----------------------------------------------------------


def batch_norm2d_train(x, w, b, running_mean, running_var, momentum=0.1, eps=1e-5):
    """``nn.BatchNorm2d`` in training mode: batch statistics over (N, H, W), running
    statistics updated in place (unbiased variance); returns ``(out, cache)``."""
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    xc = x - mean[:, None, None]
    var = np.einsum("nchw,nchw->c", xc, xc) / m
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc
    xhat *= inv[:, None, None]
    out = xhat * w[:, None, None]
    out += b[:, None, None]
    running_mean *= 1.0 - momentum
    running_mean += momentum * mean
    running_var *= 1.0 - momentum
    running_var += (momentum * m / (m - 1)) * var
    return out, (xhat, inv)


def batch_norm2d_train_backward(g, w, cache):
    """Gradients ``(gx, gw, gb)`` of :func:`batch_norm2d_train`."""
    xhat, inv = cache
    m = g.size // g.shape[1]
    gb = g.sum(axis=(0, 2, 3))
    gw = np.einsum("nchw,nchw->c", g, xhat)
    gx = xhat * (gw / m)[:, None, None]
    np.subtract(g, gx, out=gx)
    gx -= (gb / m)[:, None, None]
    gx *= (w * inv)[:, None, None]
    return gx, gw, gb


def layer_norm(x, w, b, eps=1e-5):
    """``nn.LayerNorm(D)`` over the last dimension; returns ``(out, cache)``."""
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    var = np.einsum("...d,...d->...", xc, xc)[..., None] / x.shape[-1]
    inv = 1.0 / np.sqrt(var + eps)
    xhat = xc
    xhat *= inv
    out = xhat * w
    out += b
    return out, (xhat, inv)


def layer_norm_backward(g, w, cache):
    """Gradients ``(gx, gw, gb)`` of :func:`layer_norm`."""
    xhat, inv = cache
    lead = tuple(range(g.ndim - 1))
    gb = g.sum(axis=lead)
    gw = (g * xhat).sum(axis=lead)
    gxh = g * w
    d = g.shape[-1]
    proj = np.einsum("...d,...d->...", gxh, xhat)[..., None] / d
    gx = gxh - gxh.mean(axis=-1, keepdims=True)
    gx -= xhat * proj
    gx *= inv
    return gx, gw, gb


def self_attention(x, w_in, b_in, w_out, b_out, num_heads: int):
    """``nn.MultiheadAttention(E, num_heads, batch_first=True)(x, x, x,
    need_weights=False)[0]`` on ``x`` (B, T, E), no mask, no dropout; returns
    ``(out, cache)``."""
    bsz, t_len, e = x.shape
    d = e // num_heads
    x2 = x.reshape(bsz * t_len, e)
    qkv = x2 @ w_in.T
    qkv += b_in
    qkv = qkv.reshape(bsz, t_len, 3, num_heads, d).transpose(2, 0, 3, 1, 4)  # 3 B h T d
    q, k, v = qkv[0], qkv[1], qkv[2]
    scale = 1.0 / math.sqrt(d)
    s = q @ k.transpose(0, 1, 3, 2)
    s *= scale
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    a = s
    o = a @ v  # B h T d
    o2 = o.transpose(0, 2, 1, 3).reshape(bsz * t_len, e)
    out = o2 @ w_out.T
    out += b_out
    return out.reshape(bsz, t_len, e), (x2, q, k, v, a, o2, scale)


def self_attention_backward(g, w_in, w_out, cache, num_heads: int):
    """Gradients ``(gx, g_in_proj_weight, g_in_proj_bias, g_out_proj_weight,
    g_out_proj_bias)`` of :func:`self_attention`."""
    x2, q, k, v, a, o2, scale = cache
    bsz, t_len, e = g.shape
    d = e // num_heads
    g2 = g.reshape(bsz * t_len, e)
    gw_out = g2.T @ o2
    gb_out = g2.sum(axis=0)
    go = (g2 @ w_out).reshape(bsz, t_len, num_heads, d).transpose(0, 2, 1, 3)
    ga = go @ v.transpose(0, 1, 3, 2)
    gqkv = np.empty((bsz, t_len, 3, num_heads, d), g.dtype)
    gview = gqkv.transpose(2, 0, 3, 1, 4)  # 3 B h T d, writes land in gqkv
    np.matmul(a.transpose(0, 1, 3, 2), go, out=gview[2])
    gs = ga * a
    gs -= a * gs.sum(axis=-1, keepdims=True)
    gs *= scale
    np.matmul(gs, k, out=gview[0])
    np.matmul(gs.transpose(0, 1, 3, 2), q, out=gview[1])
    gq2 = gqkv.reshape(bsz * t_len, 3 * e)
    gw_in = gq2.T @ x2
    gb_in = gq2.sum(axis=0)
    gx = (gq2 @ w_in).reshape(bsz, t_len, e)
    return gx, gw_in, gb_in, gw_out, gb_out
