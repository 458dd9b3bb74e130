"""nn.utils.summary: the table's rows as data (shapes, parameters, times, memory) and as text."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from nn.utils import ModelSummary, summary


def _mlp():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 32),
        nn.ReLU(),
        nn.Linear(32, 16),
        nn.ReLU(),
        nn.Linear(16, 10),
    )


def test_mlp_rows_shapes_and_params():
    m = _mlp()
    s = summary(m, input_size=(8, 1, 28, 28))
    assert isinstance(s, ModelSummary)
    assert [r.class_name for r in s.rows] == [
        "Sequential",
        "Flatten",
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert [r.depth for r in s.rows] == [0, 1, 1, 1, 1, 1, 1]
    assert [r.depth_index for r in s.rows][1:3] == ["1-1", "1-2"]
    assert [r.output_shape for r in s.rows] == [
        [8, 10],
        [8, 784],
        [8, 32],
        [8, 32],
        [8, 16],
        [8, 16],
        [8, 10],
    ]
    assert [r.num_params for r in s.rows] == [0, 0, 784 * 32 + 32, 0, 32 * 16 + 16, 0, 170]
    total = sum(p.numel() for p in m.parameters())
    assert s.total_params == total == sum(r.num_params for r in s.rows)
    assert s.trainable_params == total and s.non_trainable_params == 0
    assert s.param_bytes == sum(p.numel() * p.element_size() for p in m.parameters())
    assert s.input_bytes == 8 * 784 * autograd.zeros(1).element_size()
    assert all(r.calls == 1 for r in s.rows)


def test_times_are_measured_and_nested():
    m = _mlp()
    s = summary(m, input_size=(16, 1, 28, 28), runs=1)
    root = s.rows[0]
    assert root.forward_us == s.forward_us > 0 and root.backward_us == s.backward_us > 0
    assert root.share == pytest.approx(1.0)
    children = s.rows[1:]
    assert sum(r.forward_us for r in children) <= root.forward_us
    assert sum(r.backward_us for r in children) <= root.backward_us
    for r in children:
        assert 0 <= r.share <= 1
        assert r.share == pytest.approx(
            (r.forward_us + r.backward_us) / (s.forward_us + s.backward_us)
        )
    lin = [r for r in children if r.class_name == "Linear"]
    assert all(r.forward_us > 0 and r.backward_us > 0 for r in lin)
    # Flatten's input needs no gradient: nothing of the backward belongs to it
    assert children[0].backward_us == 0


def test_memory_of_one_pass():
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    s = summary(m, input_size=(5, 4), dtypes=[autograd.float64])
    # linear's output and relu's output, 5x3 float64 each
    assert s.activation_bytes == 2 * 5 * 3 * 8
    assert [r.activation_bytes for r in s.rows] == [240, 120, 120]
    # the backward allocates at least the parameters' gradients
    assert s.gradient_bytes >= s.param_bytes > 0


def test_string_is_the_table():
    m = _mlp()
    s = summary(m, input_size=(4, 1, 28, 28))
    text = str(s)
    assert text == repr(s)
    lines = text.splitlines()
    assert lines[1].split()[:3] == ["Layer", "(type:depth-idx)", "Output"]
    for col in ("Param #", "Trainable", "Forward", "Backward", "% of step"):
        assert col in lines[1]
    assert "├─Linear: 1-2" in text and "└─Linear: 1-6" in text
    assert "25,120" in text  # 784 * 32 + 32 with a thousands separator
    assert f"Total params: {s.total_params:,}" in text
    assert "Trainable params:" in text and "Non-trainable params: 0" in text
    assert "Params size (MB):" in text and "Forward pass activations (MB):" in text


def test_nested_depth_frozen_params_rnn_and_tuple_outputs():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.rnn = nn.LSTM(8, 16, batch_first=True)
            self.head = nn.Sequential(nn.Linear(16, 16), nn.Sequential(nn.Tanh(), nn.Linear(16, 3)))
            self.head[0].weight.requires_grad_(False)

        def forward(self, x):
            o, (h, c) = self.rnn(self.emb(x))
            return self.head(o[:, -1]), h

    net = Net()
    s = summary(net, input_size=(4, 7), dtypes=[autograd.int64], depth=2)
    names = [r.name for r in s.rows]
    assert names == ["", "emb", "rnn", "head", "head.0", "head.1"]  # head.1.* is below depth 2
    by = {r.name: r for r in s.rows}
    assert by[""].output_shape == [[4, 3], [1, 4, 16]]
    assert by["rnn"].output_shape == [[4, 7, 16], [[1, 4, 16], [1, 4, 16]]]
    assert by["head.1"].num_params == 16 * 3 + 3  # its hidden Linear counts on its row
    assert by["head.0"].num_params == 272 and by["head.0"].trainable_params == 16
    total = sum(p.numel() for p in net.parameters())
    assert s.total_params == total == sum(r.num_params for r in s.rows)
    assert s.non_trainable_params == 256
    assert "Partial" in str(s)
    assert by["rnn"].forward_us > 0 and by["rnn"].backward_us > 0
    deep = summary(net, input_size=(4, 7), dtypes=[autograd.int64], depth=3)
    assert [r.name for r in deep.rows][-2:] == ["head.1.0", "head.1.1"]
    shallow = summary(net, input_size=(4, 7), dtypes=[autograd.int64], depth=0)
    assert len(shallow.rows) == 1 and shallow.rows[0].num_params == total


def test_leaves_model_state_alone():
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    m.train()
    w = m[0].weight
    w.grad = autograd.ones_like(w)
    stats = m[1].running_mean.numpy().copy()
    s = summary(m, input_data=autograd.randn(6, 3))
    assert m.training and all(c.training for c in m.children())
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(w.shape))
    assert m[1].bias.grad is None
    np.testing.assert_array_equal(m[1].running_mean.numpy(), stats)  # eval mode: untouched
    assert s.buffer_bytes > 0 and "Buffers size" in str(s)


def test_bad_arguments():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="nn.Module"):
        summary(lambda x: x, input_size=(1, 2))
    with pytest.raises(ValueError, match="input_size or input_data"):
        summary(m)
    with pytest.raises(ValueError, match="dtypes"):
        summary(m, input_size=(1, 2), dtypes=[autograd.float32, autograd.float32])
    with pytest.raises(TypeError, match="input_size"):
        summary(m, input_size="12")
    with pytest.raises(ValueError, match="mode"):
        summary(m, input_size=(1, 2), mode="test")
    with pytest.raises(ValueError, match="depth"):
        summary(m, input_size=(1, 2), depth=-1)


def test_several_inputs():
    class Add(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(5, 2)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    s = summary(Add(), input_size=[(4, 3), (4, 5)])
    assert [r.output_shape for r in s.rows] == [[4, 2], [4, 2], [4, 2]]
    assert s.input_bytes == (12 + 20) * autograd.zeros(1).element_size()
