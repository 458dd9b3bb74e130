"""The training recipe as tools: sanity checks that catch the bugs that let training fail
silently.

After A. Karpathy, *A Recipe for Training Neural Networks* (2019): a network with a bug usually
still trains, only worse, so confidence is built step by step. Each step is one call here:

- :func:`check_loss_at_init`: the loss of a fresh model against the loss of a constant
  prediction (``log C`` for C-class cross-entropy, the target variance for MSE);
- :func:`init_output_bias_`: the last layer's bias set to the log class priors or the target
  mean, so the model starts at the best constant prediction;
- :func:`overfit_one_batch`: a model that cannot drive the loss of two examples to (near) zero
  is broken (wrong loss, frozen parameters, a ``detach`` in the way);
- :func:`input_independent_baseline`: the same training with the inputs zeroed; the real model
  must do clearly better, or it is not using its input;
- :func:`check_batch_independence`: backprop from one sample's output and check that no other
  sample's input gets a gradient (a ``view``/``transpose`` that mixes the batch, BatchNorm left
  in training mode);
- :func:`check_parameters_update`: after one step, the parameters that got no gradient or did
  not change.

Each returns a :class:`RecipeReport` (falsy when the check failed; ``str()`` gives the verdict
and the numbers) and, by default, raises :class:`RecipeCheckError` with the same text instead of
returning a failing report, as ``autograd.testing.check_module`` does (``raise_exception=False``
to get the report back). The checks never touch their arguments: they run on deep copies of the
model (and of the optimizer, copied together with the model so that the copy steps the copy),
and they put the default random generator back as they found it.

Why here, in ``nn.utils``, and not in ``autograd.testing`` beside the gradient-checking kit:
the tools take Modules, losses and optimizers and train them, and ``autograd`` must not import
``nn``, ``optim`` or ``data``. They also run inside ordinary training scripts, with NumPy only,
while ``autograd.testing`` imports hypothesis (the ``test`` extra) when it is imported. So the
reports follow the kit's ``GradientCheckReport`` (falsy on failure, the diagnosis as ``str``,
``_repr_pretty_``, an ``AssertionError`` subclass carrying ``.report``) without importing it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

import autograd
from autograd.tensor import Tensor

__all__ = [
    "BaselineReport",
    "BatchIndependenceReport",
    "LossAtInitReport",
    "OverfitReport",
    "ParameterUpdateReport",
    "RecipeCheckError",
    "RecipeReport",
    "check_batch_independence",
    "check_loss_at_init",
    "check_parameters_update",
    "init_output_bias_",
    "input_independent_baseline",
    "overfit_one_batch",
]


# -- reports -------------------------------------------------------------------------------------


class RecipeCheckError(AssertionError):
    """Raised by the recipe's checks when one fails; ``.report`` holds the :class:`RecipeReport`
    (its text is the exception message)."""

    def __init__(self, report: RecipeReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(repr=False)
class RecipeReport:
    """What a recipe check found. Falsy when it failed; ``str()`` gives the verdict.

    Attributes
    ----------
    check : str
        The check's name.
    passed : bool
        Whether the check passed (also ``bool(report)``).
    verdict : str
        One line: what was found.
    numbers : dict
        The measured quantities, printed in order (name -> number or short text).
    findings : list of str
        What is wrong, one line each (empty when the check passed).
    notes : list of str
        Informational lines that are not failures.
    """

    check: str = ""
    passed: bool = True
    verdict: str = ""
    numbers: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = "passed" if self.passed else "FAILED"
        lines = [f"{self.check}: {head}" + (f": {self.verdict}" if self.verdict else "")]
        for name, value in self.numbers.items():
            lines.append(f"  {name}: {_fmt(value)}")
        if self.findings:
            lines.append("problems:")
            lines.extend("  " + f for f in self.findings)
        if self.notes:
            lines.append("notes:")
            lines.extend("  " + n for n in self.notes)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle) -> None:  # IPython / hypothesis pretty printer
        p.text(str(self))


@dataclass(repr=False)
class LossAtInitReport(RecipeReport):
    """:func:`check_loss_at_init`'s report: ``loss``, the ``expected`` value it was compared
    with, and ``references`` (the loss of each constant prediction, by name)."""

    loss: float = math.nan
    expected: float = math.nan
    references: dict = field(default_factory=dict)


@dataclass(repr=False)
class OverfitReport(RecipeReport):
    """:func:`overfit_one_batch`'s report: the loss at every step (``losses[0]`` before the
    first step), the first step at which it reached ``tol`` (``None`` if never), and the
    parameters that got no gradient on the first step."""

    losses: list = field(default_factory=list)
    steps_to_tol: int | None = None
    no_grad: list = field(default_factory=list)


@dataclass(repr=False)
class BaselineReport(RecipeReport):
    """:func:`input_independent_baseline`'s report: the evaluation loss after each epoch of the
    real run and of the run on zeroed inputs (``*_curve[0]`` before training)."""

    real_loss: float = math.nan
    baseline_loss: float = math.nan
    real_curve: list = field(default_factory=list)
    baseline_curve: list = field(default_factory=list)


@dataclass(repr=False)
class BatchIndependenceReport(RecipeReport):
    """:func:`check_batch_independence`'s report: ``pairs`` lists ``(i, j, size)`` for every
    output sample ``i`` whose gradient reaches input sample ``j != i`` (``size`` the largest
    absolute gradient entry), ``blind`` the samples whose output ignores their own input."""

    pairs: list = field(default_factory=list)
    blind: list = field(default_factory=list)


@dataclass(repr=False)
class ParameterUpdateReport(RecipeReport):
    """:func:`check_parameters_update`'s report: parameter names by problem, and the relative
    size of each parameter's update, ``|delta| / |p|`` (norms)."""

    frozen: list = field(default_factory=list)
    no_grad: list = field(default_factory=list)
    zero_grad: list = field(default_factory=list)
    not_in_optimizer: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    update_ratio: dict = field(default_factory=dict)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _finish(report: RecipeReport, raise_exception: bool) -> RecipeReport:
    if not report.passed and raise_exception:
        raise RecipeCheckError(report)
    return report


# -- helpers -------------------------------------------------------------------------------------


class _Isolated:
    """Deep copies of ``objects`` (copied together, so shared references stay shared: the copy
    of an optimizer steps the copy of its model) and the default generator put back on exit."""

    def __init__(self, *objects) -> None:
        self.objects = objects

    def __enter__(self):
        self._state = autograd.get_rng_state()
        return copy.deepcopy(self.objects)

    def __exit__(self, *exc) -> None:
        autograd.set_rng_state(self._state)


def _split_batch(batch, where: str) -> tuple:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(
            f"{where}: batch must be a pair (inputs, targets), got {type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        )
    return batch[0], batch[1]


def _scalar_loss(loss, where: str) -> Tensor:
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(
            f"{where}: loss_fn must return a scalar Tensor (reduction='mean'), got {shape}"
        )
    return loss


def _loss_value(loss_fn, out, y, where: str) -> float:
    return float(_scalar_loss(loss_fn(out, y), where).item())


def _named_trainable(model) -> list:
    return list(model.named_parameters())


def _no_grad_names(model) -> list:
    return [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]


def _frozen_names(model) -> list:
    return [n for n, p in model.named_parameters() if not p.requires_grad]


# -- loss at init --------------------------------------------------------------------------------

# (loss kind, what the model outputs)
_CLASSIFICATION = ("cross_entropy", "nll_loss", "bce_with_logits", "bce")


def _loss_kind(loss_fn) -> str | None:
    from .. import functional as F
    from ..modules import loss as L

    table = [
        (L.CrossEntropyLoss, F.cross_entropy, "cross_entropy"),
        (L.NLLLoss, F.nll_loss, "nll_loss"),
        (L.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, "bce_with_logits"),
        (L.BCELoss, F.binary_cross_entropy, "bce"),
        (L.MSELoss, F.mse_loss, "mse"),
        (L.L1Loss, F.l1_loss, "l1"),
    ]
    for cls, fn, kind in table:
        if isinstance(loss_fn, cls) or loss_fn is fn:
            return kind
    return None


def _class_priors(out: np.ndarray, y: np.ndarray, ignore_index: int) -> np.ndarray:
    """The empirical class distribution of targets ``y`` for scores ``out`` of shape (N, C, ...)
    or (C,): class indices (ignored ones dropped) or class probabilities."""
    c = out.shape[1] if out.ndim >= 2 else out.shape[0]
    if np.issubdtype(y.dtype, np.floating):  # probabilities over the class dim
        axes = tuple(a for a in range(y.ndim) if a != (1 if y.ndim >= 2 else 0))
        p = y.mean(axis=axes)
    else:
        labels = y[y != ignore_index].ravel()
        if labels.size and (labels.min() < 0 or labels.max() >= c):
            raise ValueError(
                f"check_loss_at_init: targets hold classes {int(labels.min())}..."
                f"{int(labels.max())} but the model outputs {c} class scores"
            )
        p = np.bincount(labels, minlength=c) / max(labels.size, 1)
    return p


def _references(kind: str, loss_fn, out: np.ndarray, y: np.ndarray) -> dict:
    """The loss of each constant prediction, computed with ``loss_fn`` itself (so weights,
    label smoothing and ignored targets count exactly as in training)."""
    dt = out.dtype

    def loss_of(const: np.ndarray) -> float:
        pred = autograd.tensor(np.broadcast_to(const, out.shape).astype(dt))
        with autograd.no_grad():
            return _loss_value(loss_fn, pred, autograd.tensor(y), "check_loss_at_init")

    cdim_shape = lambda v: v.reshape((1, -1) + (1,) * (out.ndim - 2)) if out.ndim >= 2 else v  # noqa: E731
    if kind in ("cross_entropy", "nll_loss"):
        c = out.shape[1] if out.ndim >= 2 else out.shape[0]
        p = _class_priors(out, y, getattr(loss_fn, "ignore_index", -100))
        logp = np.log(np.clip(p, 1e-12, None))
        return {
            f"uniform prediction, -log(1/{c})": loss_of(cdim_shape(np.full(c, -math.log(c)))),
            "class-prior prediction": loss_of(cdim_shape(logp)),
        }
    if kind in ("bce_with_logits", "bce"):
        yf = y.astype(np.float64)
        m = yf.mean(axis=0) if yf.ndim >= 1 and yf.shape[0] > 0 else yf
        m = np.clip(m, 1e-6, 1 - 1e-6)
        if kind == "bce_with_logits":
            uni, prior = np.zeros(()), np.log(m / (1 - m))
        else:
            uni, prior = np.full((), 0.5), m
        return {
            "uniform prediction, log 2": loss_of(uni),
            "positive-rate prediction": loss_of(prior),
        }
    yf = y.astype(np.float64)
    center = np.median(yf, axis=0) if kind == "l1" else yf.mean(axis=0)
    what = "median" if kind == "l1" else "mean"
    return {f"target {what} prediction": loss_of(center), "zero prediction": loss_of(np.zeros(()))}


def check_loss_at_init(
    model,
    batch,
    loss_fn,
    num_classes: int | None = None,
    *,
    expected: float | None = None,
    rtol: float = 0.25,
    raise_exception: bool = True,
) -> LossAtInitReport:
    """Compare the loss of a freshly initialised model with what it should be.

    A fresh model knows nothing, so its loss should be that of a constant prediction: for
    ``C``-class cross-entropy ``-log(1/C) = log C`` (uniform scores) or, once the last bias
    holds the log class priors (:func:`init_output_bias_`), the entropy of the class
    distribution; for MSE the target variance (the model predicts the target mean) plus the
    small variance of its initial outputs. A loss far above that means the last layer's outputs
    start too large or off-centre (a badly scaled init, a bias that was not set), which costs
    the first epochs ("hockey-stick" learning curves) or worse; far below it, the targets leak
    into the inputs.

    Parameters
    ----------
    model : nn.Module
        The fresh model; called as ``model(inputs)`` in its current mode on a copy, without grad.
    batch : (inputs, targets)
        A typical batch, e.g. the first of the training loader (a few hundred samples give a
        stable value).
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` gives the mean loss (``reduction='mean'``).
        Recognised: ``nn.CrossEntropyLoss``, ``nn.NLLLoss``, ``nn.BCEWithLogitsLoss``,
        ``nn.BCELoss``, ``nn.MSELoss``, ``nn.L1Loss`` and their ``nn.functional`` forms; any
        other loss needs ``expected``.
    num_classes : int, optional
        The number of classes; checked against the model's output (dim 1 of ``(N, C, ...)``
        scores) and used for the expected value ``log(num_classes)``.
    expected : float, optional
        The expected loss, for a loss the check does not recognise (or to override it).
    rtol : float
        The check passes when ``|loss - reference| <= rtol * reference`` for a reference (the
        uniform or the class-prior prediction for classification, the mean prediction for
        regression, where only the excess counts).
    raise_exception : bool
        Raise :class:`RecipeCheckError` on failure (default) instead of returning the report.

    Returns
    -------
    LossAtInitReport
        Falsy on failure; ``loss``, ``expected``, ``references`` and the verdict.
    """
    where = "check_loss_at_init"
    x, y = _split_batch(batch, where)
    kind = _loss_kind(loss_fn)
    if kind is None and expected is None:
        raise TypeError(
            f"{where}: cannot tell what the loss of a fresh model should be for "
            f"{type(loss_fn).__name__}; pass expected=<the loss of a constant prediction>"
        )
    reduction = getattr(loss_fn, "reduction", "mean")
    if reduction != "mean":
        raise ValueError(f"{where}: loss_fn has reduction={reduction!r}; use reduction='mean'")
    with _Isolated(model) as (m,), autograd.no_grad():
        out = m(x)
        loss = _loss_value(loss_fn, out, y, where)
    out_np = np.asarray(out.detach().numpy())
    y_np = np.asarray(y.numpy() if isinstance(y, Tensor) else y)
    report = LossAtInitReport(check="loss at init", loss=loss)
    n = out_np.shape[0] if out_np.ndim else 1
    name = {
        "cross_entropy": "cross-entropy",
        "nll_loss": "negative log-likelihood",
        "bce_with_logits": "binary cross-entropy (logits)",
        "bce": "binary cross-entropy",
        "mse": "mean squared error",
        "l1": "mean absolute error",
        None: type(loss_fn).__name__,
    }[kind]
    report.numbers["loss"] = loss
    report.numbers["loss function"] = f"{name}, batch of {n}"
    if kind in ("cross_entropy", "nll_loss"):
        c = out_np.shape[1] if out_np.ndim >= 2 else out_np.shape[0]
        report.numbers["classes (model output)"] = c
        if num_classes is not None and int(num_classes) != c:
            report.findings.append(
                f"the model outputs {c} class scores but num_classes={num_classes}: the last "
                f"layer has the wrong number of outputs"
            )
    if kind is not None:
        report.references = _references(kind, loss_fn, out_np, y_np)
    if expected is not None:
        report.references = {"expected (given)": float(expected), **report.references}
    for k, v in report.references.items():
        report.numbers[k] = v

    refs = report.references
    if expected is not None:
        candidates = {"expected (given)": float(expected)}
    elif kind in ("mse", "l1"):
        candidates = {k: v for k, v in refs.items() if k.startswith("target")}
    else:
        candidates = dict(refs)

    def off(ref: float) -> float:
        if kind in ("mse", "l1") and expected is None:
            return max(loss - ref, 0.0) / ref if ref > 0 else math.inf * (loss > 0)
        return abs(loss - ref) / ref if ref > 0 else math.inf * (loss != ref)

    best = min(candidates, key=lambda k: off(candidates[k]))
    report.expected = candidates[best]
    ratio = loss / report.expected if report.expected > 0 else math.inf
    report.numbers["loss / expected"] = ratio
    if not math.isfinite(loss):
        report.findings.append(f"the loss at init is {loss}: the forward overflows or divides by 0")
    elif off(report.expected) > rtol:
        if loss > report.expected:
            fix = (
                "set the last bias to the target mean (init_output_bias_(last, targets, "
                "task='regression'))"
                if kind in ("mse", "l1")
                else "scale down the last layer's weights or set its bias to the log class "
                "priors (init_output_bias_)"
            )
            report.findings.append(
                f"the loss at init is {ratio:.3g}x the {best} ({report.expected:.4g}): the "
                f"outputs start too large or off-centre; {fix}"
            )
        else:
            report.findings.append(
                f"the loss at init is {ratio:.3g}x the {best} ({report.expected:.4g}), lower "
                f"than any constant prediction: do the targets leak into the inputs, or is the "
                f"loss computed on the wrong tensors?"
            )
    report.passed = not report.findings
    report.verdict = (
        f"loss {loss:.4g} vs {best} {report.expected:.4g} (within {rtol:.0%})"
        if report.passed
        else f"loss {loss:.4g} vs {best} {report.expected:.4g}"
    )
    return _finish(report, raise_exception)


# -- init of the last bias -----------------------------------------------------------------------


def init_output_bias_(linear, targets, task: str = "classification"):
    """Set the last layer's bias so that the fresh model predicts the best constant.

    - ``task="classification"`` with ``C > 1`` outputs (softmax / cross-entropy): the bias is
      the log of the class priors, ``log(n_c / N)``, so the initial prediction is the class
      distribution instead of a uniform one (for imbalanced classes this removes the first
      epochs' "hockey stick"). Classes absent from ``targets`` get ``log(0.5 / N)``, a finite
      stand-in for ``log 0``.
    - ``task="classification"`` with one output (a sigmoid / ``BCEWithLogitsLoss``): the bias
      is ``log(p / (1 - p))``, ``p`` the rate of positives (clipped to ``[0.5/N, 1 - 0.5/N]``).
    - ``task="regression"``: the bias is the mean of the targets (per output).

    Parameters
    ----------
    linear : nn.Module
        The output layer (e.g. ``model[-1]``); anything with a ``bias`` Parameter of shape
        ``(C,)``.
    targets : Tensor or array_like
        All training targets: class indices of shape ``(N,)`` (or one-hot / probabilities of
        shape ``(N, C)``) for classification, values of shape ``(N,)`` or ``(N, C)`` for
        regression.
    task : {"classification", "regression"}

    Returns
    -------
    nn.Module
        ``linear``, its bias changed in place (without recording on the autograd graph).
    """
    where = "init_output_bias_"
    if task not in ("classification", "regression"):
        raise ValueError(f"{where}: task must be 'classification' or 'regression', got {task!r}")
    bias = getattr(linear, "bias", None)
    if not isinstance(bias, Tensor):
        raise ValueError(f"{where}: {type(linear).__name__} has no bias to set (bias=None?)")
    c = bias.numel()
    t = np.asarray(targets.detach().numpy() if isinstance(targets, Tensor) else targets)
    if t.size == 0:
        raise ValueError(f"{where}: targets is empty")
    n = t.shape[0] if t.ndim else 1
    if task == "regression":
        value = t.astype(np.float64).mean(axis=0) if t.ndim else t.astype(np.float64)
        value = np.broadcast_to(value, (c,)) if np.ndim(value) == 0 else value
        if value.size != c:
            raise ValueError(f"{where}: targets have {value.size} outputs but the bias has {c}")
    elif c == 1:
        p = float(np.clip(t.astype(np.float64).mean(), 0.5 / n, 1 - 0.5 / n))
        value = np.full(1, math.log(p / (1 - p)))
    else:
        if np.issubdtype(t.dtype, np.floating) and t.ndim == 2:
            if t.shape[1] != c:
                raise ValueError(f"{where}: targets have {t.shape[1]} classes but the bias {c}")
            counts = t.astype(np.float64).sum(axis=0)
        else:
            if not np.issubdtype(t.dtype, np.integer):
                raise TypeError(f"{where}: class targets must be integers, got {t.dtype}")
            if t.min() < 0 or t.max() >= c:
                raise ValueError(
                    f"{where}: targets hold classes {int(t.min())}..{int(t.max())} but the "
                    f"bias has {c} entries"
                )
            counts = np.bincount(t.ravel(), minlength=c).astype(np.float64)
        value = np.log(np.maximum(counts, 0.5) / counts.sum())
    with autograd.no_grad():
        bias.copy_(autograd.tensor(np.asarray(value, dtype=np.float64).reshape(bias.shape)))
    return linear


# -- overfit one batch ---------------------------------------------------------------------------


def overfit_one_batch(
    model,
    batch,
    loss_fn,
    optimizer,
    steps: int = 200,
    tol: float = 1e-2,
    *,
    raise_exception: bool = True,
) -> OverfitReport:
    """Train on one small batch, again and again, and check that the loss goes to (near) zero.

    Any working model can memorise two examples; one that cannot is broken: a wrong loss
    (softmax before ``CrossEntropyLoss``, targets of the wrong kind), parameters that are frozen
    or not in the optimizer, or a ``detach`` that cuts part of the model off.

    Parameters
    ----------
    model : nn.Module
        Trained on a deep copy (with ``optimizer``), in its current mode.
    batch : (inputs, targets)
        A small batch: two to a few examples.
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` gives a scalar loss.
    optimizer : optim.Optimizer
        Over ``model``'s parameters; copied with the model, so the originals are untouched.
    steps : int
        The number of optimisation steps.
    tol : float
        The check passes when the loss gets to ``tol`` or below within ``steps``.
    raise_exception : bool
        Raise :class:`RecipeCheckError` on failure (default) instead of returning the report.

    Returns
    -------
    OverfitReport
        ``losses`` (before each step, then after the last), ``steps_to_tol`` and a diagnosis.
    """
    where = "overfit_one_batch"
    x, y = _split_batch(batch, where)
    losses: list = []
    report = OverfitReport(check="overfit one batch")
    with _Isolated(model, optimizer) as (m, opt):
        for p in m.parameters():
            p.grad = None
        for step in range(int(steps) + 1):
            opt.zero_grad()
            loss = _scalar_loss(loss_fn(m(x), y), where)
            value = float(loss.item())
            losses.append(value)
            if value <= tol:
                report.steps_to_tol = step
                break
            if not math.isfinite(value) or step == steps:
                break
            if loss.requires_grad:  # else nothing upstream is trainable: the loss cannot move
                loss.backward()
            if step == 0:
                report.no_grad = _no_grad_names(m)
            opt.step()
        frozen = _frozen_names(m)
    report.losses = losses
    n = len(y) if hasattr(y, "__len__") else 1
    first, last, low = losses[0], losses[-1], min(losses)
    report.numbers.update(
        {
            "batch size": n,
            "steps run": len(losses) - 1,
            "loss before": first,
            "loss after": last,
            "lowest loss": low,
            "tolerance": tol,
        }
    )
    if report.steps_to_tol is not None:
        report.numbers["reached tolerance at step"] = report.steps_to_tol
        report.verdict = (
            f"the loss fell from {first:.4g} to {last:.4g} in {report.steps_to_tol} steps"
        )
    elif not math.isfinite(last):
        report.findings.append(
            f"the loss became {last} at step {len(losses) - 1}: the learning rate is too high "
            f"or the loss is numerically unstable (log of 0, exp overflow)"
        )
    elif first - low <= 1e-6 * max(abs(first), 1.0):
        report.findings.append(
            f"the loss did not move from {first:.6g} in {steps} steps: nothing is learning "
            f"(frozen parameters, parameters missing from the optimizer, a detach, lr=0)"
        )
    else:
        report.findings.append(
            f"the loss fell from {first:.4g} to {low:.4g} but not to {tol:g} in {steps} steps: "
            f"a model that cannot memorise {n} examples has a wrong loss (softmax before "
            f"CrossEntropyLoss?), too little capacity, part of it cut off by a detach, or too "
            f"small a learning rate / too few steps"
        )
    if report.findings:
        if report.no_grad:
            report.findings.append(
                "parameters with no gradient (behind a detach, or unused): "
                + ", ".join(report.no_grad)
            )
        if frozen:
            report.findings.append("frozen parameters (requires_grad=False): " + ", ".join(frozen))
    report.passed = not report.findings
    if not report.passed:
        report.verdict = f"the loss did not reach {tol:g} in {steps} steps"
    return _finish(report, raise_exception)


# -- input-independent baseline ------------------------------------------------------------------


def _zeros_like_inputs(x):
    if isinstance(x, Tensor):
        return autograd.zeros_like(x)
    if isinstance(x, (tuple, list)):
        return type(x)(_zeros_like_inputs(v) for v in x)
    raise TypeError(f"input_independent_baseline: inputs must be Tensors, got {type(x).__name__}")


def _evaluate(model, loader, loss_fn, zero: bool) -> float:
    model.eval()
    total, n = 0.0, 0
    with autograd.no_grad():
        for batch in loader:
            x, y = _split_batch(batch, "input_independent_baseline")
            if zero:
                x = _zeros_like_inputs(x)
            k = len(y)
            total += _loss_value(loss_fn, model(x), y, "input_independent_baseline") * k
            n += k
    model.train()
    if n == 0:
        raise ValueError("input_independent_baseline: the evaluation loader is empty")
    return total / n


def _run(make_model, make_optimizer, loader, eval_loader, loss_fn, epochs, seed, zero) -> tuple:
    autograd.manual_seed(seed)
    gen = getattr(loader, "generator", None)
    gen_state = gen.get_state() if gen is not None else None
    model = make_model()
    opt = make_optimizer(model.parameters())
    curve = [_evaluate(model, eval_loader, loss_fn, zero)]
    for _ in range(int(epochs)):
        model.train()
        for batch in loader:
            x, y = _split_batch(batch, "input_independent_baseline")
            if zero:
                x = _zeros_like_inputs(x)
            opt.zero_grad()
            loss = _scalar_loss(loss_fn(model(x), y), "input_independent_baseline")
            loss.backward()
            opt.step()
        curve.append(_evaluate(model, eval_loader, loss_fn, zero))
    if gen is not None:
        gen.set_state(gen_state)  # the other run sees the same batches
    return curve


def input_independent_baseline(
    make_model: Callable,
    loader: Iterable,
    loss_fn,
    make_optimizer: Callable | None = None,
    *,
    epochs: int = 3,
    eval_loader: Iterable | None = None,
    seed: int = 0,
    margin: float = 0.1,
    raise_exception: bool = True,
) -> BaselineReport:
    """Train twice, once on the real inputs and once on inputs set to zero, and compare.

    The zero-input model can only learn the targets' distribution (the best constant
    prediction). The real model must do clearly better; if it does not, it is not using its
    input: inputs and targets do not match (a shuffled loader, a wrong transform), or the
    model never looks at ``x``.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` builds a fresh model; called after ``manual_seed(seed)`` for each run,
        so both start from the same weights.
    loader : iterable of (inputs, targets)
        The training batches (a ``DataLoader``); with a ``generator``, both runs see the same
        order.
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` gives the mean loss of a batch.
    make_optimizer : callable, optional
        ``make_optimizer(parameters)``; default ``optim.Adam(parameters, lr=1e-3)``.
    epochs : int
        Epochs of training for each run.
    eval_loader : iterable of (inputs, targets), optional
        Where the final losses are measured (both in eval mode; the baseline also on zeroed
        inputs); default ``loader``. A held-out set makes the comparison sharper.
    seed : int
        Seeds the default generator before each run (the caller's state is restored after).
    margin : float
        The check passes when ``real_loss <= (1 - margin) * baseline_loss``.
    raise_exception : bool
        Raise :class:`RecipeCheckError` on failure (default) instead of returning the report.

    Returns
    -------
    BaselineReport
        The final losses and the per-epoch curves of both runs.
    """
    if make_optimizer is None:
        import optim

        def make_optimizer(params):
            return optim.Adam(params, lr=1e-3)

    eval_loader = loader if eval_loader is None else eval_loader
    state = autograd.get_rng_state()
    try:
        args = (make_model, make_optimizer, loader, eval_loader, loss_fn, epochs, seed)
        real = _run(*args, zero=False)
        base = _run(*args, zero=True)
    finally:
        autograd.set_rng_state(state)
    report = BaselineReport(
        check="input-independent baseline",
        real_loss=real[-1],
        baseline_loss=base[-1],
        real_curve=real,
        baseline_curve=base,
    )
    report.numbers.update(
        {
            "epochs": int(epochs),
            "real inputs: loss": real[-1],
            "zeroed inputs: loss": base[-1],
            "real / baseline": real[-1] / base[-1] if base[-1] > 0 else math.inf,
        }
    )
    if not real[-1] <= (1 - margin) * base[-1]:
        report.findings.append(
            f"the model trained on real inputs reaches loss {real[-1]:.4g}, not clearly below "
            f"the {base[-1]:.4g} of the same model trained on zeros: it does not use its input "
            f"(inputs and targets mismatched in the data pipeline, or x never reaches the output)"
        )
    report.passed = not report.findings
    report.verdict = (
        f"real inputs {real[-1]:.4g} vs zeroed inputs {base[-1]:.4g} after {epochs} epochs"
    )
    return _finish(report, raise_exception)


# -- batch independence --------------------------------------------------------------------------


def _batchnorms_in_training(model) -> list:
    from ..modules.batchnorm import _BatchNorm

    return [
        name or type(mod).__name__
        for name, mod in model.named_modules()
        if isinstance(mod, _BatchNorm) and mod.training
    ]


def check_batch_independence(
    model,
    x,
    *,
    batch_dim: int = 0,
    atol: float = 0.0,
    seed: int = 0,
    max_report: int = 10,
    raise_exception: bool = True,
) -> BatchIndependenceReport:
    """Check, by backprop, that each sample's output depends on its own input only.

    For every sample ``i`` the output of that sample (projected on a fixed random tensor, so no
    output can cancel out, e.g. the rows of a softmax summing to 1) is backpropagated to the
    input: any other sample ``j`` whose input gets a nonzero gradient is mixed into ``i``'s
    output. This catches a ``view``/``reshape``/``transpose`` that moves data across the batch
    (``x.view(C, N)`` for ``x.t()``, a flatten over the batch dim) and BatchNorm run in training
    mode where it should be in eval mode. It costs one backward pass per sample: use a small
    batch (4 to 16 samples).

    Parameters
    ----------
    model : nn.Module
        Run on a copy, in its current mode (call ``model.eval()`` first to check the inference
        path; in training mode BatchNorm mixes the samples by design and is named as such).
    x : Tensor
        A batch of inputs, of shape ``(N, ...)`` (``batch_dim`` 0) or with the batch along
        ``batch_dim``.
    batch_dim : int
        The batch dimension of both the input and the output.
    atol : float
        Gradients up to ``atol`` in absolute value count as zero (exact zero by default: a model
        that keeps the samples apart gives exact zeros).
    seed : int
        Seeds the projection (and the default generator during the forward, e.g. for dropout).
    max_report : int
        At most this many output samples are listed in the text.
    raise_exception : bool
        Raise :class:`RecipeCheckError` on failure (default) instead of returning the report.

    Returns
    -------
    BatchIndependenceReport
        ``pairs`` (output sample, input sample, largest gradient) and ``blind`` samples.
    """
    where = "check_batch_independence"
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: x must be a Tensor, got {type(x).__name__}")
    if x.dim() == 0:
        raise ValueError(f"{where}: x must have a batch dimension, got a 0-d tensor")
    bd = batch_dim % x.dim()
    n = x.shape[bd]
    report = BatchIndependenceReport(check="batch independence")
    report.numbers["samples"] = n
    with _Isolated(model) as (m,):
        autograd.manual_seed(seed)
        leaf = x.detach().clone()
        if not leaf.is_floating_point():
            raise TypeError(f"{where}: x must be floating point to take gradients, got {x.dtype}")
        leaf.requires_grad_(True)
        out = m(leaf)
        bn = _batchnorms_in_training(m)
        if not isinstance(out, Tensor) or out.dim() <= bd or out.shape[bd] != n:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            report.findings.append(
                f"the output has shape {shape} for an input of {n} samples along dim {bd}: a "
                f"view/reshape changed the batch size"
            )
            n_out = 0
        else:
            n_out = n
        rng = np.random.default_rng([seed, 0x7265636970])
        v = rng.standard_normal(tuple(out.shape)) if n_out else None
        for i in range(n_out):
            mask = np.zeros(tuple(out.shape))
            idx = [slice(None)] * out.dim()
            idx[bd] = i
            mask[tuple(idx)] = v[tuple(idx)]
            target = (out * autograd.tensor(mask, dtype=out.dtype)).sum()
            if not target.requires_grad:
                report.blind.append(i)
                continue
            (g,) = autograd.grad(target, leaf, retain_graph=True, allow_unused=True)
            if g is None:
                report.blind.append(i)
                continue
            size = np.abs(np.moveaxis(g.numpy(), bd, 0)).reshape(n, -1).max(axis=1)
            if size[i] <= atol:
                report.blind.append(i)
            for j in np.flatnonzero(size > atol):
                if j != i:
                    report.pairs.append((i, int(j), float(size[j])))
    if report.pairs:
        report.numbers["mixed pairs (output i <- input j)"] = len(report.pairs)
        report.numbers["largest cross-sample gradient"] = max(s for _, _, s in report.pairs)
        by_out: dict = {}
        for i, j, s in report.pairs:
            by_out.setdefault(i, []).append((j, s))
        report.findings.append(
            f"{len(by_out)} of {n} output samples depend on the inputs of other samples:"
        )
        for i, js in list(by_out.items())[:max_report]:
            names = ", ".join(str(j) for j, _ in js[:12]) + (" ..." if len(js) > 12 else "")
            report.findings.append(
                f"  output {i} <- inputs {names} (largest |gradient| {max(s for _, s in js):.3g})"
            )
        if len(by_out) > max_report:
            report.findings.append(f"  ... and {len(by_out) - max_report} more output samples")
        if bn:
            report.findings.append(
                "BatchNorm in training mode mixes the samples through the batch statistics: "
                + ", ".join(bn)
                + " (right while training, a bug at inference: call model.eval() first)"
            )
        else:
            report.findings.append(
                "look for a view/reshape/transpose that moves data across the batch dimension "
                "(x.view(C, N) where x.t() was meant, a flatten that includes the batch)"
            )
    if report.blind:
        report.findings.append(
            f"the outputs of samples {report.blind[:12]} do not depend on their own input "
            f"(a detach, or the input is never used)"
        )
    report.passed = not report.findings
    report.verdict = (
        f"each of the {n} output samples depends on its own input only"
        if report.passed
        else "samples are mixed or cut off from their input"
    )
    return _finish(report, raise_exception)


# -- parameters update ---------------------------------------------------------------------------


def check_parameters_update(
    model,
    batch,
    loss_fn,
    optimizer,
    *,
    ignore: Iterable[str] = (),
    raise_exception: bool = True,
) -> ParameterUpdateReport:
    """Take one optimisation step and list the parameters that got no gradient or did not change.

    Parameters
    ----------
    model : nn.Module
        Stepped on a deep copy (with ``optimizer``), in its current mode.
    batch : (inputs, targets)
        One batch.
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` gives a scalar loss.
    optimizer : optim.Optimizer
        Over ``model``'s parameters; copied with the model.
    ignore : iterable of str
        Names (as in ``model.named_parameters()``) of parameters frozen or unused on purpose.
    raise_exception : bool
        Raise :class:`RecipeCheckError` on failure (default) instead of returning the report.

    Returns
    -------
    ParameterUpdateReport
        Names by problem: ``frozen`` (``requires_grad=False``), ``no_grad`` (not reached by the
        loss: unused, or behind a ``detach``), ``zero_grad`` (a gradient of exact zeros),
        ``not_in_optimizer``, ``unchanged`` (had a gradient but the step did not move it), and
        ``update_ratio``, ``|delta| / |p|`` per parameter (about 1e-3 is healthy for SGD-like
        training, per the recipe).
    """
    where = "check_parameters_update"
    x, y = _split_batch(batch, where)
    ignore = set(ignore)
    report = ParameterUpdateReport(check="parameters update")
    with _Isolated(model, optimizer) as (m, opt):
        named = [(n, p) for n, p in m.named_parameters() if n not in ignore]
        unknown = ignore - {n for n, _ in m.named_parameters()}
        if unknown:
            raise ValueError(f"{where}: ignore names unknown parameters: {sorted(unknown)}")
        in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
        for _, p in m.named_parameters():
            p.grad = None
        before = {n: np.array(p.detach().numpy(), copy=True) for n, p in named}
        loss = _scalar_loss(loss_fn(m(x), y), where)
        if loss.requires_grad:
            loss.backward()
        opt.step()
        for n, p in named:
            if not p.requires_grad:
                report.frozen.append(n)
                continue
            if id(p) not in in_opt:
                report.not_in_optimizer.append(n)
            if p.grad is None:
                report.no_grad.append(n)
            elif not np.any(p.grad.numpy()):
                report.zero_grad.append(n)
            after = p.detach().numpy()
            delta = float(np.linalg.norm((after - before[n]).ravel()))
            norm = float(np.linalg.norm(before[n].ravel()))
            report.update_ratio[n] = delta / norm if norm > 0 else (math.inf if delta else 0.0)
            if (
                delta == 0.0
                and id(p) in in_opt
                and p.grad is not None
                and n not in (report.zero_grad)
            ):
                report.unchanged.append(n)
    report.numbers["loss"] = float(loss.item())
    report.numbers["parameters checked"] = len(named)
    if report.update_ratio:
        finite = [r for r in report.update_ratio.values() if math.isfinite(r) and r > 0]
        if finite:
            report.numbers["update / value, smallest"] = min(finite)
            report.numbers["update / value, largest"] = max(finite)
    why = {
        "frozen": "frozen (requires_grad=False)",
        "no_grad": "got no gradient (not reached by the loss: unused, or behind a detach)",
        "zero_grad": "got a gradient of exact zeros (dead ReLUs, a mask, a product with 0)",
        "not_in_optimizer": "not in the optimizer (built before the layer was added?)",
        "unchanged": "had a gradient but did not change (lr=0? an update below the precision?)",
    }
    for attr, text in why.items():
        names = getattr(report, attr)
        if names:
            report.findings.append(f"{text}: " + ", ".join(names))
    report.passed = not report.findings
    n_ok = len(named) - len(
        set(report.frozen + report.no_grad + report.zero_grad + report.unchanged)
        | set(report.not_in_optimizer)
    )
    report.verdict = f"{n_ok} of {len(named)} parameters updated"
    if ignore:
        report.notes.append("ignored: " + ", ".join(sorted(ignore)))
    return _finish(report, raise_exception)
