"""The training recipe's checks (``nn.utils.recipe``): each passes on a correct model and
catches the bug it is meant to catch, planted on purpose."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from data import DataLoader, TensorDataset
from nn.utils.recipe import (
    RecipeCheckError,
    check_batch_independence,
    check_loss_at_init,
    check_parameters_update,
    init_output_bias_,
    input_independent_baseline,
    overfit_one_batch,
)

# -- tiny models and data ------------------------------------------------------------------------


def mlp(d_in=6, hidden=16, d_out=4) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


def classification_data(n=64, d_in=6, classes=4, seed=0):
    """Inputs and labels that depend on them (argmax of a fixed linear map)."""
    x = np.random.default_rng(seed).standard_normal((n, d_in)).astype(np.float32)
    w = np.random.default_rng(1000).standard_normal((d_in, classes))  # the same rule throughout
    y = (x @ w).argmax(axis=1)
    return autograd.tensor(x), autograd.tensor(y)


class Detached(nn.Module):
    """A planted bug: the first layer's output is detached (a `.data`, `.numpy()` round trip or
    `.detach()` left in the forward), so the first layer never learns."""

    def __init__(self, d_in=6, hidden=16, d_out=4):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)).detach())


class DetachedOutput(Detached):
    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x))).detach()


class Unused(Detached):
    """A planted bug: a layer built but never called."""

    def __init__(self):
        super().__init__()
        self.extra = nn.Linear(16, 16)


class BatchMixer(nn.Module):
    """A planted bug: `h.t()` of shape (H, N) put back to (N, H) with a reshape instead of a
    second transpose: every sample's row now holds pieces of several samples."""

    def __init__(self, d_in=6, hidden=8, d_out=4):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = h.t().reshape(h.shape[0], h.shape[1])  # should be h.t().t()
        return self.fc2(h)


class SoftmaxOverBatch(nn.Module):
    """A planted bug: softmax over dim 0 (the batch) instead of dim 1 (the classes)."""

    def __init__(self):
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        return F.softmax(self.net(x), dim=0)


class IgnoresInput(nn.Module):
    """A planted bug: the input never reaches the output (zeroed by a wrong mask)."""

    def __init__(self):
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        return self.net(x * 0.0)


def params_of(model) -> dict:
    return {n: p.detach().numpy().copy() for n, p in model.named_parameters()}


# -- report behaviour ----------------------------------------------------------------------------


def test_report_is_truthy_printable_and_raises_with_the_same_text():
    autograd.manual_seed(0)
    model = mlp()
    x, y = classification_data()
    ok = check_loss_at_init(model, (x, y), nn.CrossEntropyLoss(), num_classes=4)
    assert ok and ok.passed and not ok.findings
    assert str(ok).startswith("loss at init: passed") and repr(ok) == str(ok)
    with autograd.no_grad():
        model[-1].bias.copy_(autograd.tensor([8.0, 0.0, 0.0, 0.0]))
    bad = check_loss_at_init(model, (x, y), nn.CrossEntropyLoss(), raise_exception=False)
    assert not bad and "FAILED" in str(bad)
    with pytest.raises(RecipeCheckError) as e:
        check_loss_at_init(model, (x, y), nn.CrossEntropyLoss())
    assert isinstance(e.value, AssertionError)
    assert str(e.value) == str(e.value.report) == str(bad)


# -- check_loss_at_init --------------------------------------------------------------------------


def test_loss_at_init_classification_near_log_c():
    autograd.manual_seed(0)
    x, y = classification_data(n=128)
    r = check_loss_at_init(mlp(), (x, y), F.cross_entropy, num_classes=4)
    assert abs(r.loss - math.log(4)) < 0.25 * math.log(4)
    assert r.references["uniform prediction, -log(1/4)"] == pytest.approx(math.log(4))
    counts = np.bincount(y.numpy(), minlength=4) / len(y)
    entropy = -(counts * np.log(counts)).sum()
    assert r.references["class-prior prediction"] == pytest.approx(entropy, rel=1e-5)


def test_loss_at_init_catches_an_overconfident_last_layer():
    autograd.manual_seed(0)
    x, y = classification_data(n=128)
    model = mlp()
    with autograd.no_grad():
        model[-1].weight.mul_(50.0)  # planted: a badly scaled init
    r = check_loss_at_init(model, (x, y), nn.CrossEntropyLoss(), raise_exception=False)
    assert not r and r.loss > 3 * math.log(4)
    assert "too large" in str(r) and "init_output_bias_" in str(r)


def test_loss_at_init_catches_the_wrong_number_of_classes():
    autograd.manual_seed(0)
    x, y = classification_data(n=32)
    r = check_loss_at_init(mlp(d_out=7), (x, y), nn.CrossEntropyLoss(), 4, raise_exception=False)
    assert not r and "outputs 7 class scores but num_classes=4" in str(r)


def test_loss_at_init_regression_needs_the_bias_at_the_target_mean():
    autograd.manual_seed(0)
    rng = np.random.default_rng(1)
    x = autograd.tensor(rng.standard_normal((200, 6)).astype(np.float32))
    y = autograd.tensor((50.0 + 2.0 * rng.standard_normal((200, 1))).astype(np.float32))
    model = mlp(d_out=1)
    r = check_loss_at_init(model, (x, y), nn.MSELoss(), raise_exception=False)
    assert not r and "target mean" in str(r)  # loss ~ 2500 vs variance ~ 4
    init_output_bias_(model[-1], y, task="regression")
    r = check_loss_at_init(model, (x, y), nn.MSELoss())
    var = float(np.var(y.numpy()))
    assert r.references["target mean prediction"] == pytest.approx(var, rel=1e-4)
    assert var <= r.loss <= 1.25 * var


def test_loss_at_init_imbalanced_classes_with_prior_bias():
    autograd.manual_seed(0)
    rng = np.random.default_rng(2)
    x = autograd.tensor(rng.standard_normal((400, 6)).astype(np.float32))
    y_np = rng.choice(4, size=400, p=[0.85, 0.05, 0.05, 0.05])
    y = autograd.tensor(y_np)
    model = mlp()
    with autograd.no_grad():
        model[-1].weight.mul_(0.1)
    init_output_bias_(model[-1], y)
    r = check_loss_at_init(model, (x, y), nn.CrossEntropyLoss())
    assert r.expected == pytest.approx(r.references["class-prior prediction"])
    assert r.loss < 0.7 * math.log(4)
    # a bias pointing at the wrong class is caught
    with autograd.no_grad():
        model[-1].bias.copy_(-model[-1].bias)
    assert not check_loss_at_init(model, (x, y), nn.CrossEntropyLoss(), raise_exception=False)


def test_loss_at_init_binary_and_errors():
    autograd.manual_seed(0)
    rng = np.random.default_rng(3)
    x = autograd.tensor(rng.standard_normal((100, 6)).astype(np.float32))
    y = autograd.tensor((rng.random((100, 1)) < 0.3).astype(np.float32))
    r = check_loss_at_init(mlp(d_out=1), (x, y), nn.BCEWithLogitsLoss())
    assert r.references["uniform prediction, log 2"] == pytest.approx(math.log(2), rel=1e-6)
    with pytest.raises(TypeError, match="expected="):
        check_loss_at_init(mlp(d_out=1), (x, y), lambda o, t: ((o - t) ** 4).mean())
    r = check_loss_at_init(mlp(d_out=1), (x, y), lambda o, t: (o - t).abs().mean(), expected=0.5)
    assert r.expected == 0.5
    with pytest.raises(ValueError, match="reduction='sum'"):
        check_loss_at_init(mlp(d_out=1), (x, y), nn.MSELoss(reduction="sum"))
    with pytest.raises(TypeError, match="pair"):
        check_loss_at_init(mlp(d_out=1), x, nn.MSELoss())


def test_loss_at_init_leaves_the_model_and_the_generator_alone():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Linear(8, 4))
    x, y = classification_data(n=32)
    before = params_of(model)
    mean_before = model[1].running_mean.numpy().copy()
    state = autograd.get_rng_state()
    check_loss_at_init(model, (x, y), nn.CrossEntropyLoss(), raise_exception=False)
    assert autograd.get_rng_state() == state
    np.testing.assert_array_equal(model[1].running_mean.numpy(), mean_before)
    for n, v in params_of(model).items():
        np.testing.assert_array_equal(v, before[n])


# -- init_output_bias_ ---------------------------------------------------------------------------


def test_init_output_bias_classification_gives_the_priors():
    y = autograd.tensor(np.array([0] * 6 + [1] * 3 + [2] * 1))
    lin = nn.Linear(5, 4)
    assert init_output_bias_(lin, y) is lin
    b = lin.bias.detach().numpy()
    np.testing.assert_allclose(np.exp(b[:3]), [0.6, 0.3, 0.1], rtol=1e-6)
    assert np.isfinite(b[3]) and b[3] < b[2]  # absent class: finite, below every present one
    probs = np.exp(b) / np.exp(b).sum()
    assert probs.argmax() == 0
    # one-hot targets give the same
    lin2 = init_output_bias_(nn.Linear(5, 4), np.eye(4, dtype=np.float32)[y.numpy()])
    np.testing.assert_allclose(lin2.bias.detach().numpy(), b, rtol=1e-6)


def test_init_output_bias_binary_and_regression():
    lin = init_output_bias_(nn.Linear(3, 1), np.array([1.0, 0, 0, 0, 0]))
    p = 1 / (1 + np.exp(-lin.bias.detach().numpy()))
    np.testing.assert_allclose(p, [0.2], rtol=1e-6)
    y = np.array([[1.0, 10.0], [3.0, 30.0]])
    lin = init_output_bias_(nn.Linear(3, 2), y, task="regression")
    np.testing.assert_allclose(lin.bias.detach().numpy(), [2.0, 20.0], rtol=1e-6)
    assert lin.bias.grad_fn is None and lin.bias.requires_grad


def test_init_output_bias_errors():
    with pytest.raises(ValueError, match="no bias"):
        init_output_bias_(nn.Linear(3, 2, bias=False), [0, 1])
    with pytest.raises(ValueError, match="classes 0..5"):
        init_output_bias_(nn.Linear(3, 2), np.array([0, 5]))
    with pytest.raises(ValueError, match="task"):
        init_output_bias_(nn.Linear(3, 2), [0, 1], task="ranking")
    with pytest.raises(ValueError, match="outputs"):
        init_output_bias_(nn.Linear(3, 2), np.zeros((4, 3)), task="regression")


# -- overfit_one_batch ---------------------------------------------------------------------------


def _two_examples():
    x, y = classification_data(n=2, seed=5)
    return x, autograd.tensor([0, 3])


def test_overfit_one_batch_correct_model():
    autograd.manual_seed(0)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    before = params_of(model)
    r = overfit_one_batch(model, _two_examples(), nn.CrossEntropyLoss(), opt, steps=200)
    assert r and r.steps_to_tol is not None and r.losses[-1] <= 1e-2
    assert r.losses[0] > 1.0 and len(r.losses) == r.steps_to_tol + 1
    assert "reached tolerance at step" in str(r)
    for n, v in params_of(model).items():  # trained a copy
        np.testing.assert_array_equal(v, before[n])
    assert not opt.state


def test_overfit_one_batch_catches_softmax_before_cross_entropy():
    autograd.manual_seed(0)
    model = nn.Sequential(mlp(), nn.Softmax(dim=1))  # planted: a wrong loss (double softmax)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    r = overfit_one_batch(
        model, _two_examples(), nn.CrossEntropyLoss(), opt, steps=200, raise_exception=False
    )
    # the best a probability fed to cross-entropy can do with 4 classes: -log(e / (e + 3))
    assert not r and min(r.losses) > 0.5 * -math.log(math.e / (math.e + 3))
    assert "softmax before" in str(r)


def test_overfit_one_batch_catches_a_detach_and_frozen_parameters():
    autograd.manual_seed(0)
    model = DetachedOutput()  # planted: the output is detached
    opt = optim.Adam(model.parameters(), lr=1e-2)
    r = overfit_one_batch(model, _two_examples(), F.cross_entropy, opt, raise_exception=False)
    assert not r and "did not move" in str(r)
    assert set(r.no_grad) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}

    model = mlp().requires_grad_(False)  # planted: everything frozen
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RecipeCheckError, match="frozen parameters"):
        overfit_one_batch(model, _two_examples(), F.cross_entropy, opt, steps=20)


def test_overfit_one_batch_catches_lr_zero():
    autograd.manual_seed(0)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.0)
    r = overfit_one_batch(model, _two_examples(), F.cross_entropy, opt, 30, raise_exception=False)
    assert not r and r.losses[0] == r.losses[-1] and "lr=0" in str(r)


# -- input_independent_baseline ------------------------------------------------------------------


def _loaders(shuffle_labels=False):
    x, y = classification_data(n=160, seed=7)
    xv, yv = classification_data(n=64, seed=8)
    if shuffle_labels:  # planted: a data pipeline that pairs inputs with the wrong targets
        y = autograd.tensor(np.random.default_rng(0).permutation(y.numpy()))
    g = autograd.Generator().manual_seed(0)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=g)
    return train, DataLoader(TensorDataset(xv, yv), batch_size=64)


def _adam(params):
    return optim.Adam(params, lr=3e-2)


def test_input_independent_baseline_real_model_beats_zeros():
    train, val = _loaders()
    state = autograd.get_rng_state()
    r = input_independent_baseline(
        mlp, train, nn.CrossEntropyLoss(), _adam, epochs=4, eval_loader=val
    )
    assert autograd.get_rng_state() == state
    assert r and r.real_loss < 0.6 * r.baseline_loss
    assert len(r.real_curve) == len(r.baseline_curve) == 5
    assert r.real_curve[0] == pytest.approx(r.baseline_curve[0], rel=0.3)  # same init
    assert "zeroed inputs: loss" in str(r)


def test_input_independent_baseline_catches_a_model_that_ignores_its_input():
    train, val = _loaders()
    with pytest.raises(RecipeCheckError, match="does not use its input") as e:
        input_independent_baseline(
            IgnoresInput, train, nn.CrossEntropyLoss(), _adam, epochs=2, eval_loader=val
        )
    r = e.value.report
    assert r.real_curve == r.baseline_curve  # zeros either way: identical runs


def test_input_independent_baseline_catches_mismatched_targets():
    train, val = _loaders(shuffle_labels=True)
    r = input_independent_baseline(
        mlp, train, nn.CrossEntropyLoss(), _adam, epochs=3, eval_loader=val,
        raise_exception=False,
    )  # fmt: skip
    assert not r and r.real_loss > 0.9 * r.baseline_loss


# -- check_batch_independence --------------------------------------------------------------------


def test_batch_independence_correct_models():
    autograd.manual_seed(0)
    x, _ = classification_data(n=5)
    assert check_batch_independence(mlp(), x)
    # a softmax output: the projection keeps rows that sum to 1 from hiding the dependency
    assert check_batch_independence(nn.Sequential(mlp(), nn.Softmax(dim=1)), x)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32, 3))
    assert check_batch_independence(cnn, autograd.randn(3, 1, 4, 4))
    bn = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Linear(8, 4)).eval()
    assert check_batch_independence(bn, x)


def test_batch_independence_catches_a_reshape_that_mixes_the_batch():
    autograd.manual_seed(0)
    x, _ = classification_data(n=4)
    r = check_batch_independence(BatchMixer(), x, raise_exception=False)
    assert not r and r.pairs
    assert all(i != j for i, j, _ in r.pairs)
    assert "output 0 <- inputs" in str(r) and "view/reshape/transpose" in str(r)


def test_batch_independence_catches_softmax_over_the_batch():
    autograd.manual_seed(0)
    x, _ = classification_data(n=4)
    r = check_batch_independence(SoftmaxOverBatch(), x, raise_exception=False)
    assert not r
    assert {(i, j) for i, j, _ in r.pairs} == {(i, j) for i in range(4) for j in range(4) if i != j}


def test_batch_independence_names_batchnorm_in_training_mode():
    autograd.manual_seed(0)
    x, _ = classification_data(n=4)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Linear(8, 4))
    mean_before = model[1].running_mean.numpy().copy()
    with pytest.raises(RecipeCheckError, match=r"BatchNorm in training mode .*: 1 ") as e:
        check_batch_independence(model, x)
    assert len(e.value.report.pairs) == 4 * 3
    np.testing.assert_array_equal(model[1].running_mean.numpy(), mean_before)  # a copy ran
    assert check_batch_independence(model.eval(), x)


def test_batch_independence_catches_a_detached_input_and_a_changed_batch_size():
    autograd.manual_seed(0)
    x, _ = classification_data(n=3)
    r = check_batch_independence(Detached(), x, raise_exception=False)
    assert not r and r.blind == [0, 1, 2] and "do not depend on their own input" in str(r)
    flat = nn.Sequential(nn.Flatten(0), nn.Linear(18, 4))  # planted: flattens the batch too
    r = check_batch_independence(flat, x, raise_exception=False)
    assert not r and "changed the batch size" in str(r)


def test_batch_independence_batch_dim():
    autograd.manual_seed(0)
    rnn = nn.RNN(3, 5)  # (L, N, H_in): the batch is dim 1

    class Last(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = rnn

        def forward(self, x):
            return self.rnn(x)[0]

    x = autograd.randn(4, 3, 3)
    assert check_batch_independence(Last(), x, batch_dim=1)
    assert not check_batch_independence(Last(), x, batch_dim=0, raise_exception=False)


# -- check_parameters_update ---------------------------------------------------------------------


def test_parameters_update_correct_model():
    autograd.manual_seed(0)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = params_of(model)
    r = check_parameters_update(model, classification_data(n=16), F.cross_entropy, opt)
    assert r and set(r.update_ratio) == set(before)
    assert all(v > 0 for v in r.update_ratio.values())
    assert "4 of 4 parameters updated" in str(r)
    for n, v in params_of(model).items():
        np.testing.assert_array_equal(v, before[n])


def test_parameters_update_catches_a_detach_and_an_unused_layer():
    autograd.manual_seed(0)
    batch = classification_data(n=16)
    model = Detached()
    r = check_parameters_update(
        model, batch, F.cross_entropy, optim.Adam(model.parameters()), raise_exception=False
    )
    assert not r and r.no_grad == ["fc1.weight", "fc1.bias"]
    assert "behind a detach" in str(r) and "fc1.weight, fc1.bias" in str(r)
    model = Unused()
    r = check_parameters_update(
        model, batch, F.cross_entropy, optim.Adam(model.parameters()), raise_exception=False
    )
    assert set(r.no_grad) == {"fc1.weight", "fc1.bias", "extra.weight", "extra.bias"}


def test_parameters_update_catches_frozen_missing_dead_and_lr_zero():
    autograd.manual_seed(0)
    batch = classification_data(n=16)
    model = mlp()
    model[0].weight.requires_grad_(False)  # planted: a frozen layer
    with pytest.raises(RecipeCheckError, match=r"frozen \(requires_grad=False\): 0.weight"):
        check_parameters_update(model, batch, F.cross_entropy, optim.Adam(model.parameters()))
    assert check_parameters_update(
        model, batch, F.cross_entropy, optim.Adam(model.parameters()), ignore=["0.weight"]
    )
    with pytest.raises(ValueError, match="unknown"):
        check_parameters_update(model, batch, F.cross_entropy, optim.Adam(model.parameters()),
                                ignore=["nope"])  # fmt: skip

    model = mlp()  # planted: the optimizer was built over the last layer only
    r = check_parameters_update(
        model, batch, F.cross_entropy, optim.Adam(model[2].parameters()), raise_exception=False
    )
    assert r.not_in_optimizer == ["0.weight", "0.bias"] and r.unchanged == []

    model = mlp()
    with autograd.no_grad():
        model[0].bias.fill_(-100.0)  # planted: every ReLU dead
    r = check_parameters_update(
        model, batch, F.cross_entropy, optim.Adam(model.parameters()), raise_exception=False
    )
    assert r.zero_grad == ["0.weight", "0.bias", "2.weight"]

    model = mlp()
    r = check_parameters_update(
        model, batch, F.cross_entropy, optim.SGD(model.parameters(), lr=0.0), raise_exception=False
    )
    assert len(r.unchanged) == 4 and "did not change" in str(r)
