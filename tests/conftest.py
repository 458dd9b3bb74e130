"""Shared test configuration: hypothesis profiles chosen by ``HYPOTHESIS_PROFILE``.

- ``ci`` (the default): derandomized and bounded, so CI is stable and quick.
- ``dev``: random, moderate number of examples.
- ``thorough``: many examples, for local runs before a release.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

_common = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", max_examples=15, derandomize=True, print_blob=True, **_common)
settings.register_profile("dev", max_examples=40, **_common)
settings.register_profile("thorough", max_examples=400, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seed_everything():
    import autograd

    autograd.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002  (tests that use the legacy global RNG stay reproducible)
    yield
