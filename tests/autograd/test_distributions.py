"""autograd.distributions: densities, entropies and moments against closed forms, sample
statistics, reparameterised gradients, KL divergences, argument validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd.distributions import (
    Bernoulli,
    Beta,
    Categorical,
    Dirichlet,
    Distribution,
    Gamma,
    Independent,
    MultivariateNormal,
    Normal,
    Uniform,
    constraints,
    kl_divergence,
    register_kl,
)
from autograd.ops.sampling import dirichlet_grad, standard_gamma, standard_gamma_grad
from autograd.testing import check_function
from tests.autograd import _implicit_reference as ag_ref

LG = np.vectorize(math.lgamma)


def t(x, rg=False):
    return ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


def npy(x):
    return np.asarray(x.detach().numpy())


# A 2x2 lower-triangular factor used by the multivariate normal cases.
L = np.array([[1.0, 0.0], [0.5, 2.0]])


def _mvn_logpdf(x, mu, cov):
    d = x - mu
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * (len(mu) * math.log(2 * math.pi) + logdet + d @ np.linalg.solve(cov, d))


# -- log_prob against closed forms ------------------------------------------------------------


def test_normal_log_prob_entropy_moments():
    loc, scale, x = np.array([0.5, -1.0]), np.array([1.5, 0.3]), np.array([0.3, 0.1])
    d = Normal(t(loc), t(scale))
    ref = -((x - loc) ** 2) / (2 * scale**2) - np.log(scale) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(npy(d.log_prob(t(x))), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), 0.5 * np.log(2 * math.pi * math.e * scale**2))
    np.testing.assert_allclose(npy(d.mean), loc)
    np.testing.assert_allclose(npy(d.variance), scale**2)
    np.testing.assert_allclose(npy(d.stddev), scale)
    np.testing.assert_allclose(
        npy(d.cdf(t(x))),
        [0.5 * (1 + math.erf((a - m) / (s * 2**0.5))) for a, m, s in zip(x, loc, scale)],
    )


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli(kind):
    p = np.array([0.2, 0.7, 0.5])
    d = Bernoulli(probs=t(p)) if kind == "probs" else Bernoulli(logits=t(np.log(p / (1 - p))))
    for v in (0.0, 1.0):
        ref = np.log(p) if v else np.log1p(-p)
        np.testing.assert_allclose(npy(d.log_prob(t(np.full(3, v)))), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), -(p * np.log(p) + (1 - p) * np.log1p(-p)))
    np.testing.assert_allclose(npy(d.mean), p, rtol=1e-12)
    np.testing.assert_allclose(npy(d.variance), p * (1 - p), rtol=1e-12)
    mode = npy(d.mode)
    assert mode[0] == 0 and mode[1] == 1 and np.isnan(mode[2])
    assert npy(d.enumerate_support()).tolist() == [[0, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_categorical(kind):
    w = np.array([[1.0, 2.0, 5.0], [3.0, 3.0, 4.0]])
    p = w / w.sum(-1, keepdims=True)
    d = Categorical(probs=t(w)) if kind == "probs" else Categorical(logits=t(np.log(w) + 7.0))
    assert d.batch_shape == (2,) and d.event_shape == ()
    v = np.array([2, 0])
    np.testing.assert_allclose(npy(d.log_prob(ag.tensor(v))), np.log(p[[0, 1], v]), rtol=1e-12)
    np.testing.assert_allclose(npy(d.probs), p, rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), -(p * np.log(p)).sum(-1), rtol=1e-12)
    # log_prob broadcasts a sample batch against the batch shape
    assert d.log_prob(ag.tensor([[0, 1], [2, 2], [1, 0]])).shape == (3, 2)
    assert npy(d.mode).tolist() == [2, 2]
    assert d.support.upper_bound == 2


def test_uniform():
    lo, hi = np.array([0.0, -1.0]), np.array([2.0, 3.0])
    d = Uniform(t(lo), t(hi))
    np.testing.assert_allclose(npy(d.log_prob(t([1.0, 0.0]))), -np.log(hi - lo))
    np.testing.assert_allclose(npy(d.entropy()), np.log(hi - lo))
    np.testing.assert_allclose(npy(d.mean), (lo + hi) / 2)
    np.testing.assert_allclose(npy(d.variance), (hi - lo) ** 2 / 12)
    np.testing.assert_allclose(npy(d.cdf(t([1.0, 0.0]))), [0.5, 0.25])
    out = Uniform(t(lo), t(hi), validate_args=False).log_prob(t([3.0, 0.0]))
    assert npy(out)[0] == -np.inf


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal(param):
    mu, cov = np.array([1.0, 2.0]), L @ L.T
    mat = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov), "scale_tril": L}
    d = MultivariateNormal(t(mu), **{param: t(mat[param])})
    assert d.batch_shape == () and d.event_shape == (2,)
    x = np.array([[0.5, 0.5], [1.0, -1.0]])
    np.testing.assert_allclose(
        npy(d.log_prob(t(x))), [_mvn_logpdf(r, mu, cov) for r in x], rtol=1e-10
    )
    ent = 0.5 * (2 * (1 + math.log(2 * math.pi)) + np.linalg.slogdet(cov)[1])
    np.testing.assert_allclose(npy(d.entropy()), ent, rtol=1e-12)
    np.testing.assert_allclose(npy(d.covariance_matrix), cov, rtol=1e-10)
    np.testing.assert_allclose(npy(d.precision_matrix), np.linalg.inv(cov), rtol=1e-10)
    np.testing.assert_allclose(npy(d.scale_tril), L, rtol=1e-10)
    np.testing.assert_allclose(npy(d.variance), np.diag(cov), rtol=1e-10)


def test_multivariate_normal_batched_loc():
    mu = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 0.5]])
    d = MultivariateNormal(t(mu), scale_tril=t(L))
    assert d.batch_shape == (3,) and d.event_shape == (2,)
    x = np.array([0.3, 0.2])
    np.testing.assert_allclose(
        npy(d.log_prob(t(x))), [_mvn_logpdf(x, m, L @ L.T) for m in mu], rtol=1e-10
    )
    assert d.entropy().shape == (3,)
    assert d.sample((4,)).shape == (4, 3, 2)


def test_gamma():
    a, b, x = np.array([0.5, 3.0]), np.array([2.0, 1.0]), np.array([0.3, 2.5])
    d = Gamma(t(a), t(b))
    ref = a * np.log(b) + (a - 1) * np.log(x) - b * x - LG(a)
    np.testing.assert_allclose(npy(d.log_prob(t(x))), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(d.mean), a / b)
    np.testing.assert_allclose(npy(d.variance), a / b**2)
    # log_prob at 0 with concentration 1 is finite (x log y with x = 0)
    assert npy(Gamma(1.0, 2.0).log_prob(t(0.0))) == pytest.approx(math.log(2.0))


def test_beta():
    a, b, x = np.array([0.5, 3.0]), np.array([2.0, 1.0]), np.array([0.3, 0.9])
    d = Beta(t(a), t(b))
    ref = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - (LG(a) + LG(b) - LG(a + b))
    np.testing.assert_allclose(npy(d.log_prob(t(x))), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(d.mean), a / (a + b))
    np.testing.assert_allclose(npy(d.variance), a * b / ((a + b) ** 2 * (a + b + 1)))


def test_dirichlet():
    c = np.array([[0.5, 3.0, 1.0], [1.0, 1.0, 1.0]])
    x = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    d = Dirichlet(t(c))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    ref = ((c - 1) * np.log(x)).sum(-1) + LG(c.sum(-1)) - LG(c).sum(-1)
    np.testing.assert_allclose(npy(d.log_prob(t(x))), ref, rtol=1e-12)
    c0 = c.sum(-1, keepdims=True)
    np.testing.assert_allclose(npy(d.mean), c / c0)
    np.testing.assert_allclose(npy(d.variance), c * (c0 - c) / (c0**2 * (c0 + 1)))


def test_independent():
    loc, scale = np.array([[0.5, -1.0], [0.0, 1.0]]), np.array([[1.5, 0.3], [1.0, 2.0]])
    base = Normal(t(loc), t(scale))
    d = Independent(base, 1)
    assert d.batch_shape == (2,) and d.event_shape == (2,) and d.has_rsample
    x = t([0.3, 0.1])
    np.testing.assert_allclose(npy(d.log_prob(x)), npy(base.log_prob(x)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), npy(base.entropy()).sum(-1), rtol=1e-12)
    assert repr(d.support) == "IndependentConstraint(Real(), 1)"
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= len"):
        Independent(base, 3)


# -- entropies without a simple closed form: Monte Carlo ------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Gamma(t([0.5, 3.0]), t([2.0, 1.0])),
        lambda: Beta(t([0.5, 3.0]), t([2.0, 1.0])),
        lambda: Dirichlet(t([[0.5, 3.0, 1.0], [2.0, 2.0, 2.0]])),
        lambda: MultivariateNormal(t([1.0, 2.0]), scale_tril=t(L)),
    ],
    ids=["gamma", "beta", "dirichlet", "mvn"],
)
def test_entropy_monte_carlo(make):
    ag.manual_seed(0)
    d = make()
    lp = npy(d.log_prob(d.sample((40000,))))
    mc, se = -lp.mean(0), lp.std(0) / math.sqrt(len(lp))
    assert np.all(np.abs(npy(d.entropy()) - mc) < 5 * se + 1e-9)


# -- sample statistics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Normal(t([0.5, -1.0]), t([1.5, 0.3])),
        lambda: Bernoulli(probs=t([0.2, 0.7])),
        lambda: Uniform(t([0.0, -1.0]), t([2.0, 3.0])),
        lambda: Gamma(t([0.5, 3.0]), t([2.0, 1.0])),
        lambda: Beta(t([0.5, 3.0]), t([2.0, 1.0])),
        lambda: Dirichlet(t([0.5, 3.0, 1.0])),
        lambda: MultivariateNormal(t([1.0, 2.0]), scale_tril=t(L)),
        lambda: Independent(Normal(t([0.5, -1.0]), t([1.5, 0.3])), 1),
    ],
    ids=["normal", "bernoulli", "uniform", "gamma", "beta", "dirichlet", "mvn", "independent"],
)
def test_sample_mean_and_variance(make):
    ag.manual_seed(1)
    d = make()
    n = 40000
    s = npy(d.sample((n,)))
    assert s.shape == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert np.all(npy(d.support.check(ag.tensor(s))))
    mean, var = npy(d.mean), npy(d.variance)
    # 5 standard errors; the variance's standard error from the fourth central moment
    assert np.all(np.abs(s.mean(0) - mean) < 5 * np.sqrt(var / n))
    m4 = ((s - s.mean(0)) ** 4).mean(0)
    assert np.all(np.abs(s.var(0) - var) < 5 * np.sqrt((m4 - var**2) / n) + 1e-12)


def test_categorical_sample_frequencies():
    ag.manual_seed(2)
    p = np.array([[0.2, 0.3, 0.5], [0.7, 0.0, 0.3]])
    d = Categorical(probs=t(p))
    n = 40000
    s = npy(d.sample((n,)))
    assert s.dtype == np.int64 and s.shape == (n, 2)
    freq = np.stack([(s == k).mean(0) for k in range(3)], -1)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-12)
    assert not np.any(s[:, 1] == 1)  # zero probability never drawn


def test_mvn_sample_covariance():
    ag.manual_seed(3)
    d = MultivariateNormal(t([1.0, 2.0]), scale_tril=t(L))
    s = npy(d.sample((50000,)))
    np.testing.assert_allclose(np.cov(s.T), L @ L.T, atol=0.08)


def test_samples_come_from_the_default_generator():
    d = Normal(t([0.0, 1.0]), t([1.0, 2.0]))
    ag.manual_seed(7)
    a = npy(d.sample((3,)))
    ag.manual_seed(7)
    b = npy(d.sample((3,)))
    c = npy(d.sample((3,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    # the draw is a transform of the generator's standard normals
    ag.manual_seed(7)
    eps = ag.randn(3, 2, dtype=ag.float64).numpy()
    np.testing.assert_allclose(a, eps * [1.0, 2.0] + [0.0, 1.0])


def test_sample_has_no_graph_and_rsample_has_one():
    loc = t([0.0, 1.0], rg=True)
    d = Normal(loc, t([1.0, 2.0]))
    assert not d.sample().requires_grad
    assert d.rsample((2,)).requires_grad
    assert not Bernoulli(probs=t([0.3], rg=True)).has_rsample
    with pytest.raises(NotImplementedError, match="has_rsample=False"):
        Bernoulli(probs=t([0.3])).rsample()


# -- gradients ---------------------------------------------------------------------------------


def test_rsample_gradients_normal_uniform():
    check_function(
        lambda m, s: Normal(m, s).rsample((3,)), t([0.5, -1.0], True), t([1.5, 0.3], True)
    )
    check_function(
        lambda a, b: Uniform(a, b).rsample((3,)), t([0.0, -1.0], True), t([2.0, 3.0], True)
    )


def test_rsample_gradients_mvn_and_independent():
    def mvn(mu, a):
        cov = a @ a.mT + ag.eye(2, dtype=ag.float64)
        return MultivariateNormal(mu, covariance_matrix=cov).rsample((4,))

    check_function(mvn, t([1.0, 2.0], True), t([[1.0, 0.2], [0.5, 2.0]], True))
    check_function(
        lambda mu, lt: MultivariateNormal(mu, scale_tril=ag.tril(lt)).rsample((2,)),
        t([1.0, 2.0], True),
        t([[1.0, 0.0], [0.5, 2.0]], True),
    )
    check_function(
        lambda m, s: Independent(Normal(m, s), 1).rsample((3,)),
        t([0.5, -1.0], True),
        t([1.5, 0.3], True),
    )


def test_rsample_is_the_reparameterised_draw():
    loc, scale = t([0.5, -1.0], True), t([1.5, 0.3], True)
    ag.manual_seed(4)
    x = Normal(loc, scale).rsample((5,))
    ag.manual_seed(4)
    eps = ag.randn(5, 2, dtype=ag.float64).numpy()
    gl, gs = ag.grad(x.sum(), [loc, scale])
    np.testing.assert_allclose(gl.numpy(), [5.0, 5.0])
    np.testing.assert_allclose(gs.numpy(), eps.sum(0))


@pytest.mark.parametrize(
    "fn,inputs,value",
    [
        (lambda m, s, v: Normal(m, s).log_prob(v), ([0.5, -1.0], [1.5, 0.3]), [0.3, 0.1]),
        (lambda p, v: Bernoulli(probs=p).log_prob(v), ([0.2, 0.7],), [1.0, 0.0]),
        (lambda lg, v: Bernoulli(logits=lg).log_prob(v), ([0.2, -1.7],), [1.0, 0.0]),
        (
            lambda lg, v: (
                Categorical(logits=lg).entropy() + Categorical(logits=lg).log_prob(v.long())
            ),
            ([[0.2, -1.7, 1.0]],),
            [2.0],
        ),
        (lambda p, v: Categorical(probs=p).log_prob(v.long()), ([[0.2, 0.3, 0.5]],), [1.0]),
        (lambda a, b, v: Uniform(a, b).log_prob(v), ([0.0, -1.0], [2.0, 3.0]), [1.0, 0.0]),
        (
            lambda a, b, v: Gamma(a, b).log_prob(v) + Gamma(a, b).entropy(),
            ([0.5, 3.0], [2.0, 1.0]),
            [0.3, 2.5],
        ),
        (
            lambda a, b, v: Beta(a, b).log_prob(v) + Beta(a, b).entropy(),
            ([0.5, 3.0], [2.0, 1.0]),
            [0.3, 0.9],
        ),
        (
            lambda c, v: Dirichlet(c).log_prob(v) + Dirichlet(c).entropy(),
            ([0.5, 3.0, 1.0],),
            [0.2, 0.3, 0.5],
        ),
    ],
    ids=[
        "normal",
        "bernoulli_probs",
        "bernoulli_logits",
        "categorical_logits",
        "categorical_probs",
        "uniform",
        "gamma",
        "beta",
        "dirichlet",
    ],
)
def test_log_prob_gradients(fn, inputs, value):
    check_function(fn, *[t(x, True) for x in inputs], t(value))


def test_mvn_log_prob_gradients():
    def f(mu, a, x):
        cov = a @ a.mT + ag.eye(2, dtype=ag.float64)
        return MultivariateNormal(mu, covariance_matrix=cov).log_prob(x)

    check_function(
        f,
        t([1.0, 2.0], True),
        t([[1.0, 0.2], [0.5, 2.0]], True),
        t([[0.3, 0.1], [1.0, -1.0]], True),
    )


# -- KL divergence --------------------------------------------------------------------------------

_DISTS = {
    "normal": lambda: Normal(t([0.5, -1.0]), t([1.5, 0.3])),
    "normal2": lambda: Normal(t([0.1, 0.0]), t([1.0, 2.0])),
    "uniform": lambda: Uniform(t([0.1, 0.2]), t([0.5, 0.9])),
    "uniform2": lambda: Uniform(t([0.0, 0.1]), t([1.0, 0.95])),
    "uniform3": lambda: Uniform(t([0.0, -1.0]), t([1.0, 1.5])),
    "gamma": lambda: Gamma(t([1.5, 3.0]), t([2.0, 1.0])),
    "gamma2": lambda: Gamma(t([1.5, 2.0]), t([1.0, 3.0])),
    "beta": lambda: Beta(t([1.5, 3.0]), t([2.0, 1.0])),
    "beta2": lambda: Beta(t([1.5, 2.0]), t([1.0, 3.0])),
    "bernoulli": lambda: Bernoulli(probs=t([0.2, 0.7])),
    "bernoulli2": lambda: Bernoulli(logits=t([0.1, -0.4])),
    "categorical": lambda: Categorical(probs=t([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])),
    "categorical2": lambda: Categorical(logits=t([1.0, 2.0, 3.0])),
    "dirichlet": lambda: Dirichlet(t([[1.5, 3.0, 1.0], [1.0, 1.0, 1.0]])),
    "dirichlet2": lambda: Dirichlet(t([2.0, 3.0, 1.0])),
    "mvn": lambda: MultivariateNormal(t([1.0, 2.0]), scale_tril=t(L)),
    "mvn2": lambda: MultivariateNormal(
        t([0.0, 1.0]), covariance_matrix=t([[2.0, 0.3], [0.3, 1.0]])
    ),
    "independent": lambda: Independent(Normal(t([0.5, -1.0]), t([1.5, 0.3])), 1),
    "independent2": lambda: Independent(Normal(t([0.0, -1.0]), t([1.0, 0.3])), 1),
}
_FINITE = [
    ("normal", "normal2"),
    ("uniform", "uniform2"),
    ("gamma", "gamma2"),
    ("beta", "beta2"),
    ("bernoulli", "bernoulli2"),
    ("categorical", "categorical2"),
    ("dirichlet", "dirichlet2"),
    ("mvn", "mvn2"),
    ("independent", "independent2"),
    ("beta", "normal"),
    ("beta", "gamma"),
    ("beta", "uniform3"),
    ("gamma", "normal"),
    ("uniform", "normal"),
    ("uniform", "beta"),
    ("uniform", "gamma"),
]
_INFINITE = [
    ("normal", "beta"),
    ("normal", "gamma"),
    ("normal", "uniform"),
    ("gamma", "beta"),
    ("gamma", "uniform"),
    ("uniform2", "uniform"),
    ("beta", "uniform"),
]


@pytest.mark.parametrize("pq", _FINITE, ids=lambda pq: "-".join(pq))
def test_kl_against_monte_carlo(pq):
    ag.manual_seed(5)
    p, q = _DISTS[pq[0]](), _DISTS[pq[1]]()
    kl = npy(kl_divergence(p, q))
    x = p.sample((40000,))
    diff = npy(p.log_prob(x)) - npy(q.log_prob(x))
    mc, se = diff.mean(0), diff.std(0) / math.sqrt(len(diff))
    assert kl.shape == mc.shape
    assert np.all(np.abs(kl - mc) < 5 * se + 1e-10), (kl, mc, se)
    assert np.all(np.asarray(npy(kl_divergence(p, p))) < 1e-12)


@pytest.mark.parametrize("pq", _INFINITE, ids=lambda pq: "-".join(pq))
def test_kl_infinite(pq):
    p, q = _DISTS[pq[0]](), _DISTS[pq[1]]()
    assert np.all(np.isinf(npy(kl_divergence(p, q))))


def test_kl_gradient_and_registry():
    check_function(
        lambda m, s: kl_divergence(Normal(m, s), Normal(t([0.0, 1.0]), t([1.0, 2.0]))),
        t([0.5, -1.0], True),
        t([1.5, 0.3], True),
    )
    check_function(
        lambda a, b: kl_divergence(Beta(a, b), Beta(t([1.0, 2.0]), t([2.0, 1.0]))),
        t([0.5, 3.0], True),
        t([2.0, 1.0], True),
    )
    with pytest.raises(NotImplementedError):
        kl_divergence(Categorical(probs=t([0.5, 0.5])), Normal(0.0, 1.0))

    class MyNormal(Normal):
        pass

    # a subclass uses its parent's registration until it registers its own
    p, q = MyNormal(t([0.0]), t([1.0])), Normal(t([1.0]), t([1.0]))
    assert npy(kl_divergence(p, q)) == pytest.approx(0.5)

    @register_kl(MyNormal, Normal)
    def _kl(p, q):
        return p.loc * 0 + 42.0

    assert npy(kl_divergence(p, q)) == pytest.approx(42.0)


# -- validation ------------------------------------------------------------------------------------


def test_parameter_validation_messages():
    with pytest.raises(ValueError) as e:
        Normal(ag.tensor([float("nan"), 0.0, 0.0]), ag.ones(3))
    assert str(e.value).startswith(
        "Expected parameter loc (Tensor of shape (3,)) of distribution Normal(loc: "
    )
    assert "to satisfy the constraint Real(), but found invalid values:\ntensor([nan" in str(
        e.value
    )
    with pytest.raises(
        ValueError,
        match=r"scale: -1.0\) to satisfy the constraint "
        r"GreaterThan\(lower_bound=0.0\), but found invalid values:\n-1.0",
    ):
        Normal(0.0, -1.0)
    with pytest.raises(
        ValueError, match=r"constraint Interval\(lower_bound=0.0, upper_bound=1.0\)"
    ):
        Bernoulli(ag.tensor([1.5]))
    with pytest.raises(
        ValueError, match=r"Either `probs` or `logits` must be specified, but not both."
    ):
        Bernoulli(probs=ag.tensor([0.5]), logits=ag.tensor([0.0]))
    with pytest.raises(ValueError, match=r"constraint LessThan\(upper_bound=0.0\)"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        MultivariateNormal(ag.zeros(2))
    with pytest.raises(ValueError, match=r"constraint PositiveDefinite\(\)"):
        MultivariateNormal(ag.zeros(2), ag.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(
        ValueError, match=r"IndependentConstraint\(GreaterThan\(lower_bound=0.0\), 1\)"
    ):
        Dirichlet(ag.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="constraint Simplex"):
        Categorical(probs=ag.tensor([0.5, -0.5]))
    # validate_args=False skips the checks
    Normal(0.0, -1.0, validate_args=False)


def test_sample_validation_messages():
    d = Normal(ag.zeros(3), ag.ones(3))
    with pytest.raises(
        ValueError, match=r"Value is not broadcastable with batch_shape\+event_shape"
    ):
        d.log_prob(ag.zeros(2))
    with pytest.raises(
        ValueError, match=r"to be within the support \(Boolean\(\)\) of the distribution Bernoulli"
    ):
        Bernoulli(ag.tensor([0.5])).log_prob(ag.tensor([0.5]))
    with pytest.raises(
        ValueError, match=r"support \(IntegerInterval\(lower_bound=0, upper_bound=1\)\)"
    ):
        Categorical(ag.tensor([0.5, 0.5])).log_prob(ag.tensor(2))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        MultivariateNormal(ag.zeros(2), ag.eye(2)).log_prob(ag.zeros(3))


def test_set_default_validate_args():
    try:
        Distribution.set_default_validate_args(False)
        d = Normal(0.0, -1.0)
        assert not d._validate_args
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        Distribution.set_default_validate_args("yes")


def test_constraints_and_reprs():
    assert repr(constraints.real) == "Real()"
    assert repr(constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert repr(constraints.unit_interval) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    assert repr(constraints.simplex) == "Simplex()"
    assert constraints.is_dependent(constraints.dependent)
    assert npy(constraints.simplex.check(ag.tensor([[0.5, 0.5], [0.5, 0.6]]))).tolist() == [
        True,
        False,
    ]
    assert npy(constraints.lower_cholesky.check(t(L))).item()
    assert not npy(constraints.lower_cholesky.check(t(L.T))).item()
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(Independent(Normal(ag.zeros(3), ag.ones(3)), 1)).startswith(
        "Independent(Normal(loc: "
    )


def test_expand():
    d = Normal(t([0.0, 1.0]), t([1.0, 2.0])).expand((3, 2))
    assert d.batch_shape == (3, 2)
    assert d.sample((4,)).shape == (4, 3, 2)
    np.testing.assert_allclose(
        npy(d.log_prob(t([0.0, 1.0])))[2],
        npy(Normal(t([0.0, 1.0]), t([1.0, 2.0])).log_prob(t([0.0, 1.0]))),
    )
    assert Categorical(logits=t([0.0, 1.0, 2.0])).expand((4,)).sample().shape == (4,)
    assert Dirichlet(t([1.0, 2.0])).expand((3,)).sample().shape == (3, 2)


# -- reparameterised Gamma, Beta and Dirichlet draws ------------------------------------------

# torch._standard_gamma_grad and torch._dirichlet_grad of PyTorch 2.13 (CPU) on points that reach
# every branch of their approximations (Taylor, saddle point near and far from the mode,
# rational fit; x near 0, near 1, both concentrations large, elsewhere).
_SGG_PYTORCH = [  # (alpha, x, float64 value, float32 value)
    (0.05, 1e-30, 1.3715941559704339e-27, 1.3715941507261243e-27),
    (0.3, 0.01, 0.14920695356145888, 0.1492069512605667),
    (1.0, 0.5, 0.8069784920049818, 0.8069784641265869),
    (2.5, 0.79, 0.5662045243084929, 0.5662045478820801),
    (0.5, 0.9, 1.7893148278220596, 1.7893147468566895),
    (1.5, 3.0, 1.5474979718411446, 1.5474979877471924),
    (3.0, 2.0, 0.856564023915415, 0.8565640449523926),
    (5.0, 12.0, 1.5510471119736067, 1.5510470867156982),
    (7.9, 0.85, 0.2740592184852121, 0.2740592360496521),
    (0.02, 20.0, 51.90752055569127, 51.90752029418945),
    (8.5, 8.0, 0.9891582591325685, 0.9891582727432251),
    (20.0, 19.0, 0.9827254818951642, 0.9827255010604858),
    (20.0, 25.0, 1.125064410062427, 1.1250643730163574),
    (20.0, 5.0, 0.4658532955884762, 0.4658533036708832),
    (300.0, 250.0, 0.9121131955628752, 0.9121131896972656),
    (1000.0, 1020.0, 1.0101017026531087, 1.0101016759872437),
    (12.0, 0.5, 0.13960961438659977, 0.13960961997509003),
]
_DG_PYTORCH = [  # (x, alpha, total, float64 value, float32 value)
    (0.01, 0.5, 3.0, 0.0760256917017266, 0.07602569460868835),
    (0.3, 2.0, 2.5, 0.282181787262648, 0.2821817696094513),
    (0.9, 3.0, 3.3, 0.3533415370210633, 0.3533425033092499),
    (0.995, 0.5, 3.0, 1.152259771042158, 1.1522598266601562),
    (0.4, 10.0, 25.0, 0.041208661457692475, 0.0412086620926857),
    (0.6, 20.0, 30.0, 0.03222409969880497, 0.03222410008311272),
    (0.5, 2.0, 4.0, 0.29543145370663026, 0.2954314351081848),
    (0.7, 1.5, 2.5, 0.5548276432924915, 0.5548276305198669),
    (0.2, 0.5, 6.0, 0.36275139476450774, 0.3627513647079468),
    (0.999, 40.0, 40.2, 0.025238564939803067, 0.025238128378987312),
    (0.45, 7.0, 16.0, 0.06626225823998706, 0.06626226007938385),
]


def test_standard_gamma_grad_matches_pytorch():
    a, x, v64, v32 = (np.array(c) for c in zip(*_SGG_PYTORCH))
    np.testing.assert_allclose(standard_gamma_grad(a, x), v64, rtol=1e-12)
    out = standard_gamma_grad(a.astype(np.float32), x.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, v32, rtol=1e-6)


def test_dirichlet_grad_matches_pytorch():
    x, a, total, v64, v32 = (np.array(c) for c in zip(*_DG_PYTORCH))
    np.testing.assert_allclose(dirichlet_grad(x, a, total), v64, rtol=1e-11)
    out = dirichlet_grad(*(v.astype(np.float32) for v in (x, a, total)))
    assert out.dtype == np.float32
    # PyTorch evaluates the x-near-0/1 series in float32 for float32 inputs (up to 2e-5 off its
    # own float64 value); ours stays in float64 until the final cast
    np.testing.assert_allclose(out, v32, rtol=2e-5)


def _gamma_region_bound(a, z):
    """PyTorch's worst relative error against the exact implicit gradient, per branch of its
    approximation, measured on a grid of alpha in [0.03, 1000] and CDF levels in [1e-6,
    1 - 1e-6] against ``_implicit_reference``: 2.3e-8 (Taylor, z < 0.25), 1.2e-4 (Taylor, z in
    [0.25, 0.8)), 1.8e-3 (saddle point, alpha > 8), 4.5e-3 (rational fit). Ours is held to
    the same bounds, with some room."""
    taylor = z < 0.8
    saddle = ~taylor & (a > 8)
    return np.select([taylor & (z < 0.25), taylor, saddle], [1e-7, 2e-4, 3e-3], 6e-3)


def test_gamma_rsample_gradient_against_the_implicit_reference():
    """Per draw, d rsample / d concentration is the implicit reparameterisation gradient: the
    derivative of ``z = F^-1(u; alpha)`` at the draw's own level ``u = F(z; alpha)``, computed
    independently (incomplete gamma by series / continued fraction, inverse by Newton, central
    differences in alpha). And d rsample / d rate is ``-rsample / rate``."""
    ag.manual_seed(11)
    a_np = np.repeat(np.logspace(np.log10(0.05), 3, 24), 3)
    conc = t(a_np, rg=True)
    rate = t(np.full_like(a_np, 2.5), rg=True)
    x = Gamma(conc, rate).rsample()
    ga, gr = ag.grad(x.sum(), [conc, rate])
    z = npy(x) * 2.5  # the standard gamma draw
    ref = ag_ref.gamma_dz_dalpha(a_np, z) / 2.5
    rel = np.abs(npy(ga) - ref) / np.abs(ref)
    bound = _gamma_region_bound(a_np, z)
    assert np.all(rel <= bound), (a_np[rel > bound], z[rel > bound], rel[rel > bound])
    assert np.sum(z < 0.25) >= 10  # the tight (1e-7) region is well represented
    np.testing.assert_allclose(npy(gr), -npy(x) / 2.5, rtol=1e-14)


def test_beta_rsample_gradient_against_the_implicit_reference():
    """Beta draws (the first coordinate of a Dirichlet draw over the two concentrations): the
    gradient in each concentration against the exact implicit one (regularised incomplete beta
    by its continued fraction). PyTorch's worst relative error on a grid of concentrations in
    [0.1, 200] is 2.3e-3; ours is held to 3e-3."""
    ag.manual_seed(12)
    grid = np.logspace(-1, 2.3, 8)
    a_np, b_np = (g.ravel() for g in np.meshgrid(grid, grid))
    c1, c0 = t(a_np, rg=True), t(b_np, rg=True)
    x = Beta(c1, c0).rsample()
    g1, g0 = ag.grad(x.sum(), [c1, c0])
    xs = npy(x)
    ok = np.minimum(xs, 1 - xs) > 1e-6  # the reference's finite differences need room
    assert ok.sum() >= 50
    ra, rb = ag_ref.beta_dx_dab(a_np[ok], b_np[ok], xs[ok])
    np.testing.assert_allclose(npy(g1)[ok], ra, rtol=3e-3)
    np.testing.assert_allclose(npy(g0)[ok], rb, rtol=3e-3)


def _trigamma(x):
    return npy(ag.polygamma(1, t(x)))


def _mc_check(per_sample, exact, what):
    """Monte-Carlo mean of per-sample gradients against the analytic derivative of the
    expectation, within 4 standard errors (plus PyTorch's approximation error, 3e-3 relative)."""
    n = per_sample.shape[0]
    mean = per_sample.mean(0)
    se = per_sample.std(0, ddof=1) / math.sqrt(n)
    err = np.abs(mean - exact)
    assert np.all(err <= 4 * se + 3e-3 * np.abs(exact)), (what, mean, exact, se)


@pytest.mark.parametrize("alpha", [0.4, 3.0, 15.0])
def test_gamma_rsample_gradients_are_unbiased(alpha):
    """E[d f(z)/d alpha] = d E[f(z)]/d alpha for f = z, z^2, log z (and d/d rate for f = z),
    z ~ Gamma(alpha, rate): 1/rate, (2 alpha + 1)/rate^2, trigamma(alpha), -alpha/rate^2."""
    n, beta = 20000, 1.5
    ag.manual_seed(13)
    conc = t(np.full(n, alpha), rg=True)
    rate = t(np.full(n, beta), rg=True)
    z = Gamma(conc, rate).rsample()
    cases = [
        (z, 1 / beta, "z"),
        (z * z, (2 * alpha + 1) / beta**2, "z^2"),
        (ag.log(z), _trigamma(np.array([alpha]))[0], "log z"),
    ]
    for f, exact, what in cases:
        (g,) = ag.grad(f.sum(), [conc], retain_graph=True)
        _mc_check(npy(g)[:, None], np.array([exact]), what)
    (g,) = ag.grad(z.sum(), [rate])
    _mc_check(npy(g)[:, None], np.array([-alpha / beta**2]), "z (rate)")


@pytest.mark.parametrize("conc", [[0.5, 2.0, 7.0], [3.0, 3.0, 30.0]])
def test_dirichlet_and_beta_rsample_gradients_are_unbiased(conc):
    """Dirichlet: E[x_0] = c_0 / c_sum and E[log x_0] = psi(c_0) - psi(c_sum), differentiated
    in every concentration; Beta(a, b): d E[x] / d(a, b) = (b, -a) / (a + b)^2."""
    n = 20000
    c = np.array(conc)
    s = c.sum()
    ag.manual_seed(14)
    alpha = t(np.broadcast_to(c, (n, 3)).copy(), rg=True)
    x = Dirichlet(alpha).rsample()
    (g,) = ag.grad(x[:, 0].sum(), [alpha], retain_graph=True)
    exact = -c[0] / s**2 + np.array([1 / s, 0.0, 0.0])
    _mc_check(npy(g), exact, "E[x0]")
    (g,) = ag.grad(ag.log(x[:, 0]).sum(), [alpha])
    exact = -_trigamma(np.array([s]))[0] + np.array([_trigamma(c[:1])[0], 0.0, 0.0])
    _mc_check(npy(g), exact, "E[log x0]")
    a, b = c[0], c[1]
    ca, cb = t(np.full(n, a), rg=True), t(np.full(n, b), rg=True)
    ga, gb = ag.grad(Beta(ca, cb).rsample().sum(), [ca, cb])
    _mc_check(np.stack([npy(ga), npy(gb)], 1), np.array([b, -a]) / (a + b) ** 2, "Beta E[x]")


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64])
def test_gamma_beta_dirichlet_rsample_shapes_and_dtypes(dtype):
    def p(x):
        return ag.tensor(np.asarray(x), dtype=dtype, requires_grad=True)

    dists = [
        (Gamma(p([0.5, 3.0]), p(2.0)), (2,), ()),
        (Beta(p([[0.5, 3.0]]), p([2.0, 1.0])), (1, 2), ()),
        (Dirichlet(p([[0.5, 3.0, 1.0], [2.0, 2.0, 2.0]])), (2,), (3,)),
    ]
    for d, batch, event in dists:
        assert d.has_rsample and type(d).has_rsample
        for shape in [(), (4,), (2, 3)]:
            x = d.rsample(shape)
            assert x.shape == shape + batch + event and x.dtype == dtype
            assert x.requires_grad
            assert not d.sample(shape).requires_grad and d.sample(shape).dtype == dtype
            xs = npy(x)
            assert np.all(xs > 0) and (isinstance(d, Gamma) or np.all(xs < 1))
        big = d.expand((5,) + batch).rsample((2,))
        assert big.shape == (2, 5) + batch + event
    assert dists[0][0].rsample().grad_fn.name() == "DivBackward0"
    assert dists[1][0].rsample().grad_fn.name() == "SelectBackward0"
    assert dists[2][0].rsample().grad_fn.name() == "_DirichletBackward"
    np.testing.assert_allclose(npy(dists[2][0].rsample((6,))).sum(-1), 1.0, rtol=1e-6)
    # numbers give the default dtype, as PyTorch's
    for d in (Gamma(2.0, 1.0), Beta(2.0, 1.0)):
        assert d.rsample().shape == () and d.rsample().dtype == ag.float32


def test_standard_gamma_op_names_and_second_order_like_pytorch():
    conc = t([0.5, 2.0], rg=True)
    z = Gamma(conc, 1.0).rsample()
    assert [n.name() for n, _ in z.grad_fn.next_functions if n is not None][0] == (
        "StandardGammaBackward0"
    )
    (g,) = ag.grad(z.sum(), [conc], create_graph=True)
    with pytest.raises(
        NotImplementedError, match="the derivative for '_standard_gamma_grad' is not implemented"
    ):
        g.sum().backward()
    # Dirichlet's backward is once differentiable: a create_graph gradient has no graph
    c = t([1.0, 2.0, 3.0], rg=True)
    (g,) = ag.grad(Dirichlet(c).rsample()[0], [c], create_graph=True)
    assert g.grad_fn is None and not g.requires_grad


def test_standard_gamma_draws_edge_cases():
    # float32 draws are at least the smallest normal float32; a zero/negative/NaN concentration
    # gives it too (PyTorch's sampler); integers are refused
    tiny = np.finfo(np.float32).tiny
    z = standard_gamma(ag.tensor([1e-3, 0.0, -1.0, float("nan")]))
    assert z.dtype == ag.float32 and np.all(npy(z) >= tiny)
    np.testing.assert_array_equal(npy(z)[1:], tiny)
    with pytest.raises(NotImplementedError, match="gamma_cpu"):
        standard_gamma(ag.tensor([1, 2]))
    # Dirichlet coordinates stay inside [tiny, 1) even for tiny concentrations
    x = npy(Dirichlet(ag.tensor([1e-3, 1e-3, 1e-3])).sample((200,)))
    assert np.all(x >= tiny) and np.all(x < 1)


def test_gamma_dirichlet_rsample_replay_under_compile():
    """The draws go through compiler.arrays: a compiled function replays them (fresh numbers
    each call, the same as eager for the same seed), with the same gradients."""
    a = t([0.5, 2.0, 3.0], rg=True)
    r = t(2.0, rg=True)

    def f(a, r):
        g = Gamma(a, r).rsample((4,))
        return (g**2).sum() + Dirichlet(a).rsample((2,))[..., 0].sum() + Beta(a, r).rsample().sum()

    cf = ag.compile(f, fullgraph=True)
    values = []
    for seed in range(4):
        ag.manual_seed(seed)
        y = f(a, r)
        ge = ag.grad(y, [a, r])
        ag.manual_seed(seed)
        yc = cf(a, r)
        gc = ag.grad(yc, [a, r])
        assert npy(yc) == npy(y)
        for u, v in zip(ge, gc):
            np.testing.assert_array_equal(npy(u), npy(v))
        values.append(float(npy(y)))
    assert len(set(values)) == 4
    assert type(yc.grad_fn).__name__ == "CompiledNode"


def test_sampling_replays_under_compile():
    """Normal/Uniform/MultivariateNormal rsample and Bernoulli/Categorical sample draw through
    ``autograd.random.draw``: a compiled function replays them (no eager fallback) and gives
    the eager numbers from the same seed."""
    import warnings

    from autograd.distributions import Bernoulli, Categorical, MultivariateNormal, Normal, Uniform

    mu = ag.zeros(4, requires_grad=True)
    logits = ag.randn(3, 5)

    def f(mu, logits):
        n = Normal(mu, ag.ones(4)).rsample() + Uniform(mu - 1, mu + 1).rsample()
        m = MultivariateNormal(mu, ag.eye(4)).rsample((2,))
        c = Categorical(logits=logits).sample((2,))
        b = Bernoulli(probs=ag.sigmoid(logits)).sample()
        return n.sum() + m.sum() + c.sum() + b.sum()

    cf = ag.compile(f)
    outs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager warns
        for fn in (f, cf):
            ag.manual_seed(0)
            outs.append([fn(mu, logits).item() for _ in range(5)])
    assert outs[0] == outs[1]
    assert len(set(outs[0])) == 5  # fresh draws at every call
    assert cf.cache_info()["hits"] >= 3
