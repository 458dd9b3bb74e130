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
from autograd.testing import check_function

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
