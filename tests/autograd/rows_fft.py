"""Op-table rows: ``autograd.fft``. The transforms take or give complex tensors, so each row is
a real-to-real chain through them (``irfft(rfft(x))`` with padding/truncation, ``|rfft(x)|``,
...) whose gradient exercises every kernel's backward (R2C, C2C, C2R) and every ``norm``.

``gradgrad=False``: the transforms' backward runs in NumPy (see NOTE [ Complex results and the
engine ] in ``autograd/ops/fft.py``), so ``create_graph=True`` does not differentiate it again.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from tests.autograd.op_table import Row

F = ag.fft


def _norms(shapes):
    return st.fixed_dictionaries({"norm": st.sampled_from([None, "backward", "ortho", "forward"])})


def _vec_or_batch():
    return st.tuples(st.integers(0, 1), st.integers(1, 6)).map(lambda t: ((2,) * t[0] + (t[1],),))


def _mat():
    return st.tuples(st.integers(1, 3), st.integers(1, 4)).map(lambda t: ((t[0], t[1]),))


def _np_irfft_rfft(x, n_in, n_out, norm):
    return np.fft.irfft(np.fft.rfft(x, n=n_in, norm=norm), n=n_out, norm=norm)


ROWS = [
    Row(
        "fft_rfft_irfft",
        lambda x, norm: F.irfft(F.rfft(x, norm=norm), n=x.shape[-1], norm=norm) * 1.5,
        1,
        shapes=_vec_or_batch(),
        kwargs=_norms,
        ref=lambda x, norm: 1.5 * _np_irfft_rfft(x, None, x.shape[-1], norm),
        gradgrad=False,
        covers=("mul",),
    ),
    Row(
        "fft_rfft_pad_irfft_truncate",
        lambda x, norm: F.irfft(F.rfft(x, n=x.shape[-1] + 3, norm=norm), n=max(x.shape[-1] - 1, 1)),
        1,
        shapes=_vec_or_batch(),
        kwargs=_norms,
        ref=lambda x, norm: np.fft.irfft(
            np.fft.rfft(x, n=x.shape[-1] + 3, norm=norm), n=max(x.shape[-1] - 1, 1)
        ),
        gradgrad=False,
        covers=(),
    ),
    Row(
        "fft_rfft_abs",
        lambda x, norm: F.rfft(x, norm=norm).abs(),
        1,
        shapes=_vec_or_batch(),
        kwargs=_norms,
        prep=lambda arrs, kw: [arrs[0] + np.linspace(1.0, 3.0, arrs[0].shape[-1])],
        ref=lambda x, norm: np.abs(np.fft.rfft(x, norm=norm)),
        gradgrad=False,
        covers=("abs",),
    ),
    Row(
        "fft_fft_ifft_truncate",
        lambda x, norm: F.ifft(F.fft(x, n=x.shape[-1] + 2, norm=norm), norm=norm).abs(),
        1,
        shapes=_vec_or_batch(),
        kwargs=_norms,
        domain=(0.5, 2.0),
        ref=lambda x, norm: np.abs(
            np.fft.ifft(np.fft.fft(x, n=x.shape[-1] + 2, norm=norm), norm=norm)
        ),
        gradgrad=False,
        covers=(),
    ),
    Row(
        "fft_rfft2_irfft2",
        lambda x, norm: F.irfft2(F.rfft2(x, s=(x.shape[0] + 1, x.shape[1]), norm=norm), s=x.shape),
        1,
        shapes=_mat(),
        kwargs=_norms,
        ref=lambda x, norm: np.fft.irfft2(
            np.fft.rfft2(x, s=(x.shape[0] + 1, x.shape[1]), norm=norm), s=x.shape
        ),
        gradgrad=False,
        covers=(),
    ),
    Row(
        "fft_fftn_ifftn_irfftn",
        lambda x, norm: F.irfftn(F.ifftn(F.fftn(x, norm=norm)), s=x.shape, norm=norm),
        1,
        shapes=_mat(),
        kwargs=_norms,
        ref=lambda x, norm: np.fft.irfftn(
            np.fft.ifftn(np.fft.fftn(x, norm=norm)), s=x.shape, axes=(0, 1), norm=norm
        ),
        gradgrad=False,
        covers=(),
    ),
    Row(
        "fftshift",
        lambda x: F.fftshift(x),
        1,
        shapes=_mat(),
        ref=np.fft.fftshift,
        covers=("roll",),
    ),
    Row(
        "ifftshift",
        lambda x: F.ifftshift(x, dim=-1),
        1,
        shapes=_mat(),
        ref=lambda x: np.fft.ifftshift(x, axes=-1),
        covers=("roll",),
    ),
]
