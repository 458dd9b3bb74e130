"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay does not go through the moments.

    The algorithm, as PyTorch states it::

        input: lr (gamma), betas (beta1, beta2), params (theta_0), objective f, eps,
               weight_decay (lambda), amsgrad, maximize
        initialize: m_0 = 0, v_0 = 0, v_0^max = 0
        for t = 1, ...:
            g_t = -grad f_t(theta_{t-1}) if maximize else grad f_t(theta_{t-1})
            theta_t = theta_{t-1} - gamma * lambda * theta_{t-1}
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            mhat_t = m_t / (1 - beta1^t)
            if amsgrad:  v_t^max = max(v_{t-1}^max, v_t);  vhat_t = v_t^max / (1 - beta2^t)
            else:        vhat_t = v_t / (1 - beta2^t)
            theta_t = theta_t - gamma * mhat_t / (sqrt(vhat_t) + eps)

    Parameters are those of :class:`Adam` (``weight_decay`` defaults to 1e-2 here), and
    ``decoupled_weight_decay`` is always True. State per parameter is Adam's.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
