"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``: ``weight_norm``,
``spectral_norm`` and ``orthogonal`` (state_dict keys as PyTorch's:
``parametrizations.weight.original0/original1`` for weight norm,
``parametrizations.weight.original`` and ``parametrizations.weight.0._u/_v`` for spectral norm,
``parametrizations.weight.original`` and ``parametrizations.weight.0.base`` for orthogonal)."""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

import autograd as ag
from autograd.tensor import Tensor

from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# -- weight norm -----------------------------------------------------------------------------------
def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """2-norm over every dim but ``dim`` (kept as size-1 dims); ``dim=-1``: the whole norm."""
    if dim == -1:
        return v.norm()
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return v.norm(dim=axes, keepdim=True) if axes else v.abs()


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``w = g * v / ||v||`` with the norm over every dim but ``dim`` (``None``: the whole
    tensor); ``g`` is ``parametrizations.<name>.original0`` and ``v`` ``original1``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# -- spectral norm ---------------------------------------------------------------------------------
class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            u = ag.randn(h, dtype=weight.dtype)
            v = ag.randn(w, dtype=weight.dtype)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with ag.no_grad():
            w = weight_mat.detach().numpy()
            u, v = self._u.numpy(), self._v.numpy()
            for _ in range(n_power_iterations):
                u[...] = _normalize(w @ v, self.eps)
                v[...] = _normalize(w.T @ u, self.eps)
            self._u._bump()
            self._v._bump()

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _normalize(x, eps):
    return x / max(float(np.linalg.norm(x)), eps)


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """``w / sigma(w)``, ``sigma`` the largest singular value estimated by power iteration
    (``n_power_iterations`` steps per forward in training; the vectors ``_u``, ``_v`` are
    buffers). ``dim`` (default 0, 1 for transposed convolutions) is the output dim."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import ConvTranspose2d

        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


# -- orthogonal ------------------------------------------------------------------------------------
class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(A)`` for a batch of square matrices: scaling and squaring with a degree-18 Taylor
    polynomial (Horner), written with differentiable ops."""
    n = a.shape[-1]
    norm = float(np.abs(a.detach().numpy()).sum(-2).max()) if a.numel() else 0.0
    s = max(0, int(np.ceil(np.log2(norm / 0.5))) if norm > 0.5 else 0)
    x = a / (2.0**s)
    eye = ag.eye(n, dtype=a.dtype)
    out = eye + x / 18.0
    for k in range(17, 0, -1):
        out = eye + (x @ out) / float(k)
    for _ in range(s):
        out = out @ out
    return out


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first ``k`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with ``v_i``
    column ``i`` of ``a`` below the diagonal and 1 on it (LAPACK's ``orgqr``)."""
    n, k = a.shape[-2], a.shape[-1]
    low = np.tril(np.ones((n, k)), -1).astype(a.dtype)
    v = a * ag.tensor(low) + ag.eye(n, k, dtype=a.dtype)
    q = ag.eye(n, k, dtype=a.dtype).expand(*a.shape[:-2], n, k)
    for i in range(k - 1, -1, -1):
        vi = v[..., :, i : i + 1]
        q = q - tau[..., i : i + 1].unsqueeze(-1) * (vi @ (vi.transpose(-2, -1) @ q))
    return q


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    q, r = np.linalg.qr(a)
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    d = np.where(d == 0, 1.0, d)
    return q * d[..., None, :]


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.transpose(-2, -1)  # noqa: N806
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()  # noqa: N806
            if n != k:
                zeros = ag.zeros(*X.shape[:-2], n, n - k, dtype=X.dtype)
                X = ag.cat([X, zeros], dim=-1)  # noqa: N806
            A = X - X.transpose(-2, -1)  # noqa: N806
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)  # noqa: N806
            else:
                Id = ag.eye(n, dtype=A.dtype)  # noqa: N806
                Q = ag.linalg.solve(Id - 0.5 * A, Id + 0.5 * A)  # noqa: N806
            if n != k:
                Q = Q[..., :k]  # noqa: N806
        else:
            A = X.tril(-1)  # noqa: N806
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)  # noqa: N806
            sign = np.trunc(np.diagonal(X.detach().numpy(), axis1=-2, axis2=-1))
            Q = Q * ag.tensor(sign.astype(Q.dtype)).unsqueeze(-2)  # noqa: N806
        if "base" in self._buffers and self.base is not None:
            Q = self.base @ Q  # noqa: N806
        if transposed:
            Q = Q.transpose(-2, -1)  # noqa: N806
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        if tuple(Q.shape) != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {tuple(Q.shape)}."
            )
        q = Q.detach().numpy()
        n, k = q.shape[-2], q.shape[-1]
        transpose = n < k
        if transpose:
            q = np.swapaxes(q, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential "
                    "or the Cayley parametrizations when use_trivialization=False."
                )
            raise NotImplementedError(
                "orthogonal: assigning to the householder map with use_trivialization=False "
                "is not supported"
            )
        if n == k:
            eye = np.eye(n)
            ok = np.allclose(
                np.swapaxes(q, -1, -2) @ q, eye, atol=1e-3 if q.dtype == np.float32 else 1e-6
            )
            q = q.copy() if ok else _make_orthogonal(q)
        else:
            extra = ag.randn(*(q.shape[:-2] + (n, n - k)), dtype=Q.dtype).numpy()
            q = _make_orthogonal(np.concatenate([q, extra], axis=-1))
        self.base = ag.tensor(q.astype(Q.dtype))
        neg_id = np.zeros(Q.shape, dtype=q.dtype)
        idx = np.arange(min(Q.shape[-2:]))
        neg_id[..., idx, idx] = -1.0
        return ag.tensor(neg_id)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Keep ``module.<name>`` orthogonal (orthonormal columns or rows): ``'matrix_exp'`` (the
    default for square matrices), ``'cayley'`` or ``'householder'`` (the default otherwise) of
    the unconstrained ``original``; with ``use_trivialization`` the result is multiplied by a
    ``base`` buffer set from the initial weight, so the weight starts unchanged."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
