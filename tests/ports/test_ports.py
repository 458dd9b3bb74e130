"""Port-style scripts: each file in ``scripts/`` is written as a PyTorch user writes it, with
``import torch`` replaced by ``import autograd as torch`` (and ``torch.nn`` ... by
``autograd.nn`` ...) and nothing else changed. Each runs on tiny synthetic data, prints its
progress and leaves a ``losses`` list; here each is run in-process and its losses must fall.

Every script also runs on its own (``PYTHONPATH=. python tests/ports/scripts/<name>.py`` from
the repository root, so that this checkout's ``autograd`` is the one imported), and with the
import lines changed back to ``torch`` it runs unchanged on PyTorch with losses that behave the
same way (checked by hand against PyTorch 2.13 CPU).
"""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parent / "scripts"

# script -> the most the mean of the last quarter of its losses may be, as a fraction of the
# mean of the first quarter (measured margins are several times tighter)
FALL = {
    "poly_tensors": 0.5,
    "poly_autograd": 0.5,
    "poly_function": 0.5,
    "poly_nn": 0.5,
    "poly_optim": 0.5,
    "poly_module": 0.5,
    "dynamic_net": 0.5,
    "cnn_classifier": 0.95,
    "vae": 0.8,
    "lstm_lm": 0.92,
    "transformer_lm": 0.6,
    "reinforce": 0.85,
    "gcn": 0.5,
    "lr_schedulers": 0.5,
    "custom_dataset": 0.9,
    "checkpoint_resume": 0.8,
    "handwritten_optimizer": 0.5,
}


def test_every_script_is_listed():
    assert sorted(p.stem for p in SCRIPTS.glob("*.py")) == sorted(FALL)


@pytest.mark.parametrize("name", sorted(FALL))
def test_script_runs_and_its_losses_fall(name, capsys):
    ns = runpy.run_path(str(SCRIPTS / f"{name}.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), "the script prints its progress"
    losses = [float(v) for v in ns["losses"]]
    assert len(losses) >= 4
    assert all(math.isfinite(v) for v in losses), losses
    q = max(1, len(losses) // 4)
    first = sum(losses[:q]) / q
    last = sum(losses[-q:]) / q
    assert last < FALL[name] * first, (name, first, last, losses)
