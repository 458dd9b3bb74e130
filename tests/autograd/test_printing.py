"""Tensor reprs laid out as PyTorch's (``autograd/_printing.py``). Every expected string was
printed by PyTorch 2.13 for the same expression (with ``torch.`` written ``autograd.``)."""

from __future__ import annotations

import pytest

import autograd as torch

CASES = [
    (
        "torch.tensor([[1.0, -2.0], [3.5, 4.0]])",
        "tensor([[ 1.0000, -2.0000],\n        [ 3.5000,  4.0000]])",
    ),
    ("torch.tensor([1., 2., 3.])", "tensor([1., 2., 3.])"),
    ("torch.tensor([[1, -20], [300, 4]])", "tensor([[  1, -20],\n        [300,   4]])"),
    ("torch.tensor([True, False])", "tensor([ True, False])"),
    ("torch.tensor([[True], [False]])", "tensor([[ True],\n        [False]])"),
    ("torch.tensor(3.5)", "tensor(3.5000)"),
    ("torch.tensor(3.0)", "tensor(3.)"),
    ("torch.tensor(-7)", "tensor(-7)"),
    ("torch.tensor([1e-5, 1.0])", "tensor([1.0000e-05, 1.0000e+00])"),
    ("torch.tensor([1e10, 1.0])", "tensor([1.0000e+10, 1.0000e+00])"),
    ("torch.tensor([1e5, 1.0, 2.5])", "tensor([1.0000e+05, 1.0000e+00, 2.5000e+00])"),
    ("torch.tensor([0.0, 0.0])", "tensor([0., 0.])"),
    ("torch.tensor([float('nan'), 1.0, float('inf')])", "tensor([nan, 1., inf])"),
    ("torch.tensor([float('nan'), 1.5, -float('inf')])", "tensor([   nan, 1.5000,   -inf])"),
    ("torch.tensor([123456.0, 1.0])", "tensor([1.2346e+05, 1.0000e+00])"),
    ("torch.arange(2000)", "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (
        "torch.arange(2000.0).reshape(40, 50)",
        (
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
            "         4.9000e+01],\n"
            "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
            "         9.9000e+01],\n"
            "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
            "         1.4900e+02],\n"
            "        ...,\n"
            "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
            "         1.8990e+03],\n"
            "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
            "         1.9490e+03],\n"
            "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
            "         1.9990e+03]])"
        ),
    ),
    (
        "torch.arange(1200).reshape(2, 3, 200)",
        (
            "tensor([[[   0,    1,    2,  ...,  197,  198,  199],\n"
            "         [ 200,  201,  202,  ...,  397,  398,  399],\n"
            "         [ 400,  401,  402,  ...,  597,  598,  599]],\n"
            "\n"
            "        [[ 600,  601,  602,  ...,  797,  798,  799],\n"
            "         [ 800,  801,  802,  ...,  997,  998,  999],\n"
            "         [1000, 1001, 1002,  ..., 1197, 1198, 1199]]])"
        ),
    ),
    (
        "torch.arange(30.).reshape(2, 3, 5) / 7",
        (
            "tensor([[[0.0000, 0.1429, 0.2857, 0.4286, 0.5714],\n"
            "         [0.7143, 0.8571, 1.0000, 1.1429, 1.2857],\n"
            "         [1.4286, 1.5714, 1.7143, 1.8571, 2.0000]],\n"
            "\n"
            "        [[2.1429, 2.2857, 2.4286, 2.5714, 2.7143],\n"
            "         [2.8571, 3.0000, 3.1429, 3.2857, 3.4286],\n"
            "         [3.5714, 3.7143, 3.8571, 4.0000, 4.1429]]])"
        ),
    ),
    ("torch.tensor([1.0, 2.0], dtype=torch.float64)", "tensor([1., 2.], dtype=autograd.float64)"),
    ("torch.tensor([1, 2], dtype=torch.int32)", "tensor([1, 2], dtype=autograd.int32)"),
    ("torch.zeros(0)", "tensor([])"),
    ("torch.zeros(2, 0)", "tensor([], size=(2, 0))"),
    ("torch.zeros(0, dtype=torch.int64)", "tensor([], dtype=autograd.int64)"),
    (
        "torch.ones(2, 2, requires_grad=True)",
        "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)",
    ),
    (
        "torch.linspace(-1, 1, 30)",
        (
            "tensor([-1.0000, -0.9310, -0.8621, -0.7931, -0.7241, -0.6552, -0.5862, -0.5172,\n"
            "        -0.4483, -0.3793, -0.3103, -0.2414, -0.1724, -0.1034, -0.0345,  0.0345,\n"
            "         0.1034,  0.1724,  0.2414,  0.3103,  0.3793,  0.4483,  0.5172,  0.5862,\n"
            "         0.6552,  0.7241,  0.7931,  0.8621,  0.9310,  1.0000])"
        ),
    ),
    (
        "torch.tensor([[1e-8, 1.0], [2.0, 3.0]])",
        "tensor([[1.0000e-08, 1.0000e+00],\n        [2.0000e+00, 3.0000e+00]])",
    ),
    ("torch.tensor([1.0, 2.0], dtype=torch.float16)", "tensor([1., 2.], dtype=autograd.float16)"),
    ("torch.tensor([100.0, 0.001])", "tensor([1.0000e+02, 1.0000e-03])"),
    (
        "torch.arange(24.).reshape(2, 3, 4)",
        (
            "tensor([[[ 0.,  1.,  2.,  3.],\n"
            "         [ 4.,  5.,  6.,  7.],\n"
            "         [ 8.,  9., 10., 11.]],\n"
            "\n"
            "        [[12., 13., 14., 15.],\n"
            "         [16., 17., 18., 19.],\n"
            "         [20., 21., 22., 23.]]])"
        ),
    ),
    ("torch.tensor([-1.0])", "tensor([-1.])"),
    (
        "torch.tensor([[0.1234567, 12.5], [-3.0, 0.0]], dtype=torch.float64)",
        ("tensor([[ 0.1235, 12.5000],\n        [-3.0000,  0.0000]], dtype=autograd.float64)"),
    ),
    ("torch.tensor([10**12, -5])", "tensor([1000000000000,            -5])"),
    (
        "torch.ones(3, 60)",
        (
            "tensor([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1.],\n"
            "        [1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1.],\n"
            "        [1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
            "         1., 1., 1., 1., 1., 1.]])"
        ),
    ),
    (
        "torch.tensor([[1.0, 2.0]]*1000)",
        (
            "tensor([[1., 2.],\n"
            "        [1., 2.],\n"
            "        [1., 2.],\n"
            "        ...,\n"
            "        [1., 2.],\n"
            "        [1., 2.],\n"
            "        [1., 2.]])"
        ),
    ),
]


@pytest.fixture(autouse=True)
def _default_printoptions():
    torch.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_repr_matches_pytorch(expr, expected):
    assert repr(eval(expr)) == expected


OPTION_CASES = [
    (dict(precision=2), "torch.tensor([1.12345, 2.0])", "tensor([1.12, 2.00])"),
    (dict(threshold=5), "torch.arange(10)", "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    (
        dict(edgeitems=1, threshold=5),
        "torch.arange(20.).reshape(4, 5)",
        "tensor([[ 0.,  ...,  4.],\n        ...,\n        [15.,  ..., 19.]])",
    ),
    (
        dict(profile="default", linewidth=30),
        "torch.arange(20.)",
        (
            "tensor([ 0.,  1.,  2.,  3.,\n"
            "         4.,  5.,  6.,  7.,\n"
            "         8.,  9., 10., 11.,\n"
            "        12., 13., 14., 15.,\n"
            "        16., 17., 18., 19.])"
        ),
    ),
    (
        dict(profile="default", sci_mode=True),
        "torch.tensor([1.0, 2.5])",
        "tensor([1.0000e+00, 2.5000e+00])",
    ),
    (
        dict(profile="default", sci_mode=False),
        "torch.tensor([1e-8, 2.5])",
        "tensor([0.0000, 2.5000])",
    ),
]


@pytest.mark.parametrize(("options", "expr", "expected"), OPTION_CASES)
def test_set_printoptions_matches_pytorch(options, expr, expected):
    torch.set_printoptions(**options)
    assert repr(eval(expr)) == expected


def test_get_printoptions_reports_what_was_set():
    torch.set_printoptions(precision=3, linewidth=100)
    opts = torch.get_printoptions()
    assert opts["precision"] == 3 and opts["linewidth"] == 100 and opts["sci_mode"] is None


def test_repr_shows_the_grad_fn_and_wraps_suffixes_like_pytorch():
    x = torch.ones(2, requires_grad=True)
    assert repr(x * 2) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
    # a suffix that would pass the line width goes to its own line, indented under the values
    y = torch.arange(14.0, dtype=torch.float64)
    assert repr(y) == (
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
        "       dtype=autograd.float64)"
    )


def test_unknown_profile_is_an_error():
    with pytest.raises(ValueError, match="profile"):
        torch.set_printoptions(profile="wide")
