"""Numerical hygiene: no spurious floating-point errors at extreme inputs (issue 11), and
PyTorch's warnings where a result is undefined."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

# -- var / std with no degrees of freedom left ------------------------------------------------
_DOF_MSG = (
    r"degrees of freedom is <= 0\. Correction should be strictly less than the reduction "
    r"factor \(input numel divided by output numel\)"
)


@pytest.mark.parametrize(
    "name, call",
    [
        ("var", lambda x: ag.var(x)),
        ("var", lambda x: x.var()),
        ("std", lambda x: ag.std(x)),
        ("std", lambda x: x.std(0)),
        ("var_mean", lambda x: ag.var_mean(x)[0]),
        ("std_mean", lambda x: ag.std_mean(x)[0]),
    ],
)
def test_one_element_with_correction_1_is_nan_with_a_warning(name, call):
    x = ag.tensor([3.0], requires_grad=True)
    with np.errstate(all="raise"), pytest.warns(UserWarning, match=rf"^{name}\(\): {_DOF_MSG}"):
        out = call(x)
    assert np.isnan(out.item())


def test_correction_not_below_the_count_warns_and_gives_inf_or_nan():
    x = ag.tensor([[1.0, 2.0], [3.0, 3.0]])
    with pytest.warns(UserWarning, match=_DOF_MSG):
        out = ag.var(x, 1, correction=2)
    np.testing.assert_array_equal(out.numpy(), [np.inf, np.nan])  # as PyTorch: ss / 0


def test_enough_degrees_of_freedom_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.var(ag.tensor([1.0, 2.0]))
        ag.std(ag.tensor([1.0]), correction=0)
        ag.var_mean(ag.tensor([[1.0, 2.0]]), 1)
