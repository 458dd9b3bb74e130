"""``autograd.distributions``: the ``torch.distributions`` namespace.

Distributions with ``log_prob``, ``entropy``, moments, ``sample`` and (for the continuous ones)
reparameterised ``rsample`` (the gamma family's by implicit reparameterisation, see
``autograd/ops/sampling.py``); ``kl_divergence`` over a registry of pairs. Every draw comes
from ``autograd``'s default generator (see NOTE [ Random draws in distributions ] in
``distribution.py``).
"""

from . import constraints, kl
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .dirichlet import Dirichlet
from .distribution import Distribution
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Categorical",
    "Dirichlet",
    "Distribution",
    "Gamma",
    "Independent",
    "MultivariateNormal",
    "Normal",
    "Uniform",
    "constraints",
    "kl",
    "kl_divergence",
    "register_kl",
]
