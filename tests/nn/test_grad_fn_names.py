"""grad_fn names as PyTorch 2.13 shows them for the same calls (recorded from PyTorch;
NOTE [ grad_fn names of composite functions ] in nn/functional.py)."""

from __future__ import annotations

import warnings

import pytest

import autograd as torch

F = torch.nn.functional

EXPECTED = {
    "mse": "MseLossBackward0",
    "l1": "MeanBackward0",
    "sl1": "SmoothL1LossBackward0",
    "huber": "HuberLossBackward0",
    "bce": "BinaryCrossEntropyBackward0",
    "nll": "NllLossBackward0",
    "ce": "NllLossBackward0",
    "softmax": "SoftmaxBackward0",
    "lsm": "LogSoftmaxBackward0",
    "gelu": "GeluBackward0",
    "silu": "SiluBackward0",
    "ln": "NativeLayerNormBackward0",
    "lin1d": "SqueezeBackward4",
    "lin2d": "AddmmBackward0",
    "linnob": "MmBackward0",
    "normalize": "DivBackward0",
    "lrelu": "LeakyReluBackward0",
    "elu": "EluBackward0",
    "softplus": "SoftplusBackward0",
    "cos": "SumBackward1",
    "mish": "MishBackward0",
    "hswish": "HardswishBackward0",
    "logsig": "LogSigmoidBackward0",
    "bcel": "BinaryCrossEntropyWithLogitsBackward0",
    "emb": "EmbeddingBackward0",
    "var": "VarBackward0",
    "std": "StdBackward0",
    "norm": "LinalgVectorNormBackward0",
    "mean": "MeanBackward0",
    "lse": "LogsumexpBackward0",
    "pad": "ConstantPadNdBackward0",
    "flatten": "ViewBackward0",
    "view": "ViewBackward0",
    "t": "TBackward0",
    "relu": "ReluBackward0",
    "sigmoid": "SigmoidBackward0",
    "tanh": "TanhBackward0",
    "bn": "NativeBatchNormBackward0",
    "conv": "ConvolutionBackward0",
    "maxpool": "MaxPool2DWithIndicesBackward0",
    "avgpool": "AvgPool2DBackward0",
    "dropout": "MulBackward0",
    "sum": "SumBackward0",
    "pow": "PowBackward0",
    "sqrt": "SqrtBackward0",
    "exp": "ExpBackward0",
    "cat": "CatBackward0",
    "stack": "StackBackward0",
    "max": "MaxBackward1",
    "clamp": "ClampBackward1",
    "where": "WhereBackward0",
    "getitem": "SliceBackward0",
    "matmul": "SqueezeBackward4",
    "bmm": "BmmBackward0",
    "softmin": "SoftmaxBackward0",
    "kl": "DivBackward0",
    "rsub": "RsubBackward1",
    "neg": "NegBackward0",
    "div": "DivBackward0",
    "abs": "AbsBackward0",
    "log": "LogBackward0",
    "unsq": "UnsqueezeBackward0",
    "reshape": "ViewBackward0",
    "permute": "PermuteBackward0",
    "transpose": "TransposeBackward0",
    "expand": "ExpandBackward0",
    "repeat": "RepeatBackward0",
    "ce3": "NllLoss2DBackward0",
}


def _calls():
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    t = torch.randn(3)
    fs = {
        "mse": lambda: F.mse_loss(x, t),
        "l1": lambda: F.l1_loss(x, t),
        "sl1": lambda: F.smooth_l1_loss(x, t),
        "huber": lambda: F.huber_loss(x, t),
        "bce": lambda: F.binary_cross_entropy(torch.sigmoid(x), torch.rand(3)),
        "nll": lambda: F.nll_loss(x.log_softmax(0)[None], torch.tensor([1])),
        "ce": lambda: F.cross_entropy(x[None], torch.tensor([1])),
        "softmax": lambda: F.softmax(x, 0),
        "lsm": lambda: F.log_softmax(x, 0),
        "gelu": lambda: F.gelu(x),
        "silu": lambda: F.silu(x),
        "ln": lambda: F.layer_norm(x, (3,)),
        "lin1d": lambda: F.linear(x, torch.randn(2, 3)),
        "lin2d": lambda: F.linear(x[None], torch.randn(2, 3), torch.randn(2)),
        "linnob": lambda: F.linear(x[None], torch.randn(2, 3)),
        "normalize": lambda: F.normalize(x[None]),
        "lrelu": lambda: F.leaky_relu(x),
        "elu": lambda: F.elu(x),
        "softplus": lambda: F.softplus(x),
        "cos": lambda: F.cosine_similarity(x[None], x[None]),
        "mish": lambda: F.mish(x),
        "hswish": lambda: F.hardswish(x),
        "logsig": lambda: F.logsigmoid(x),
        "bcel": lambda: F.binary_cross_entropy_with_logits(x, torch.rand(3)),
        "emb": lambda: F.embedding(torch.tensor([0]), x[None]),
        "var": lambda: x.var(),
        "std": lambda: x.std(),
        "norm": lambda: x.norm(),
        "mean": lambda: x.mean(),
        "lse": lambda: x.logsumexp(0),
        "pad": lambda: F.pad(x, (1, 1)),
        "flatten": lambda: x[None].flatten(),
        "view": lambda: x.view(3, 1),
        "t": lambda: x[None].t(),
        "relu": lambda: F.relu(x),
        "sigmoid": lambda: torch.sigmoid(x),
        "tanh": lambda: torch.tanh(x),
        "bn": lambda: F.batch_norm(x.view(1, 3, 1).expand(2, 3, 1) * 1, None, None, training=True),
        "conv": lambda: F.conv2d(x.view(1, 1, 1, 3), torch.randn(1, 1, 1, 2)),
        "maxpool": lambda: F.max_pool2d(x.view(1, 1, 1, 3), (1, 2)),
        "avgpool": lambda: F.avg_pool2d(x.view(1, 1, 1, 3), (1, 2)),
        "dropout": lambda: F.dropout(x, 0.5),
        "sum": lambda: x.sum(),
        "pow": lambda: x**2,
        "sqrt": lambda: (x * x).sqrt(),
        "exp": lambda: x.exp(),
        "cat": lambda: torch.cat([x, x]),
        "stack": lambda: torch.stack([x, x]),
        "max": lambda: x.max(),
        "clamp": lambda: x.clamp(0, 1),
        "where": lambda: torch.where(t > 0, x, t),
        "getitem": lambda: x[1:],
        "matmul": lambda: x @ torch.randn(3, 2),
        "bmm": lambda: torch.bmm(x.view(1, 1, 3), torch.randn(1, 3, 2)),
        "softmin": lambda: F.softmin(x, 0),
        "kl": lambda: F.kl_div(x.log_softmax(0), t.softmax(0), reduction="batchmean"),
        "rsub": lambda: 1 - x,
        "neg": lambda: -x,
        "div": lambda: x / 2,
        "abs": lambda: x.abs(),
        "log": lambda: (x * x).log(),
        "unsq": lambda: x.unsqueeze(0),
        "reshape": lambda: x.reshape(3, 1),
        "permute": lambda: x.view(1, 3).permute(1, 0),
        "transpose": lambda: x.view(1, 3).transpose(0, 1),
        "expand": lambda: x.view(1, 3).expand(2, 3),
        "repeat": lambda: x.repeat(2),
        "ce3": lambda: F.cross_entropy(x.view(1, 3, 1), torch.tensor([[1]])),
    }
    return fs


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_grad_fn_name_as_pytorch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = _calls()[case]()
    assert r.grad_fn.name() == EXPECTED[case]


def test_names_survive_backward():
    x = torch.randn(2, 3, requires_grad=True)
    y = x.view(3, 2)
    z = F.mse_loss(y, torch.zeros(3, 2))
    z.backward()
    assert (y.grad_fn.name(), z.grad_fn.name()) == ("ViewBackward0", "MseLossBackward0")
