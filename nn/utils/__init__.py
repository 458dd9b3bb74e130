"""``nn.utils``: gradient clipping, parameter/vector conversion, the model summary and the
training recipe's sanity checks (:mod:`nn.utils.recipe`)."""

from . import parametrizations, parametrize, recipe, rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .summary import ModelSummary, summary

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "recipe",
    "rnn",
    "vector_to_parameters",
    "summary",
    "ModelSummary",
]
