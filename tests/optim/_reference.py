"""NumPy references of PyTorch's update formulas for NAdam, RAdam, Adamax, Rprop and ASGD.

Each ``*_ref(**hyper)`` returns ``update(p, g, state, t) -> new p`` for one parameter at step
``t`` (counted from 1), written out of place from the formulas of ``torch.optim``'s
single-tensor code paths, in their order of operations (``lerp``'s two branches, ``addcdiv``
as ``p + (value * a) / b``, a float divided by a tensor as ``reciprocal * float``), so that they
agree with PyTorch to float64 round-off. ``scalar`` is the dtype of the 0-d state PyTorch keeps
as tensors (``mu_product``; ``eta``, ``mu``): float32 unless the default dtype is float64.

Pure NumPy on purpose: the same functions were run side by side with PyTorch 2.13 (outside the
test suite, which never imports torch) from the same start and gradients.
"""

import numpy as np


def lerp(start, end, weight):
    """``torch.lerp``: ``start + w (end - start)`` for ``|w| < 0.5``, else
    ``end - (end - start)(1 - w)``."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _decay(p, g, lr, weight_decay, decoupled):
    if weight_decay != 0:
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    return p, g


def nadam_ref(
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
    maximize=False,
    scalar=np.float64,
):
    b1, b2 = betas

    def update(p, g, s, t):
        g = -g if maximize else g
        p, g = _decay(p, g, lr, weight_decay, decoupled_weight_decay)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        s["mu_product"] = scalar(s.get("mu_product", scalar(1.0)) * scalar(mu))
        s["m"] = lerp(s.get("m", np.zeros_like(p)), g, 1 - b1)
        s["v"] = s.get("v", 0.0) * b2 + (1 - b2) * g * g
        denom = np.sqrt(s["v"] / (1 - b2**t)) + eps
        prod = float(s["mu_product"])
        p = p + (-lr * (1 - mu) / (1 - prod)) * g / denom
        return p + (-lr * mu_next / (1 - prod * mu_next)) * s["m"] / denom

    return update


def radam_ref(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    maximize=False,
):
    b1, b2 = betas

    def update(p, g, s, t):
        g = -g if maximize else g
        p, g = _decay(p, g, lr, weight_decay, decoupled_weight_decay)
        s["m"] = lerp(s.get("m", np.zeros_like(p)), g, 1 - b1)
        s["v"] = s.get("v", 0.0) * b2 + (1 - b2) * g * g
        bc2 = 1 - b2**t
        mhat = s["m"] / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / bc2
        if rho_t > 5:
            rect = np.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = (1 / (np.sqrt(s["v"]) + eps)) * np.sqrt(bc2)
            return p - mhat * lr * adaptive * rect
        return p - mhat * lr

    return update


def adamax_ref(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas

    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p if weight_decay != 0 else g
        s["m"] = lerp(s.get("m", np.zeros_like(p)), g, 1 - b1)
        s["u"] = np.maximum(s.get("u", 0.0) * b2, np.abs(g) + eps)
        return p + (-lr / (1 - b1**t)) * s["m"] / s["u"]

    return update


def rprop_ref(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    etaminus, etaplus = etas
    lo, hi = step_sizes

    def update(p, g, s, t):
        g = -g if maximize else g
        prev = s.get("prev", np.zeros_like(p))
        size = s.get("step_size", np.full_like(p, lr))
        prod = g * prev
        factor = np.where(prod > 0, etaplus, np.where(prod < 0, etaminus, 1.0))
        size = np.clip(size * factor, lo, hi)
        g = np.where(prod < 0, 0.0, g)
        s["prev"], s["step_size"] = g, size
        return p - np.sign(g) * size

    return update


def asgd_ref(
    lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False, scalar=np.float64
):
    def update(p, g, s, t):
        g = -g if maximize else g
        g = g + weight_decay * p if weight_decay != 0 else g
        eta = float(s.get("eta", scalar(lr)))
        mu = float(s.get("mu", scalar(1.0)))
        p = p * (1 - lambd * eta) - eta * g
        ax = s.get("ax", np.zeros_like(p))
        s["ax"] = ax + (p - ax) * mu if mu != 1 else p.copy()
        s["eta"] = scalar(lr / (1 + lambd * lr * t) ** alpha)
        s["mu"] = scalar(1 / max(1, t - t0))
        return p

    return update
