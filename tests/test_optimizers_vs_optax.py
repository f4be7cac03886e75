"""Our optimizers, schedules and clipping against optax, under the conventions written in
optimizers/first_order.py's docstring:

    sgd      == optax.sgd(lr)
    momentum == optax.sgd(lr, momentum=beta)
    nesterov == optax.sgd(lr, momentum=beta, nesterov=True)
    adagrad  == optax.adagrad(lr, initial_accumulator_value=0, eps=eps)
    rmsprop  == optax.rmsprop(lr, decay=rho, eps=eps, eps_in_sqrt=False)
    adam     == optax.adam(lr, b1, b2, eps)
    adamw    == optax.adamw(lr, b1, b2, eps, weight_decay=wd)

Hyperparameters are deliberately far from the defaults (and eps large) so that a wrong placement of
any of them would show far above the 1e-12 tolerance.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from landscapes import analytic
from landscapes.base import mean_loss
from optimizers import OPTIMIZERS, RunSettings, learning_rate, run_trajectories, schedule_factor, schedule_settings
from optimizers.clipping import clip_by_norm, clip_by_value

RTOL = 1e-12

HYPER = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.97, "eps": 1e-3, "weight_decay": 0.05}


def reference_optax(key, lr, hyper=HYPER):
    """The optax transformation that our optimizer ``key`` must reproduce."""
    return {
        "sgd": lambda: optax.sgd(lr),
        "momentum": lambda: optax.sgd(lr, momentum=hyper["momentum"]),
        "nesterov": lambda: optax.sgd(lr, momentum=hyper["momentum"], nesterov=True),
        "adagrad": lambda: optax.adagrad(lr, initial_accumulator_value=0.0, eps=hyper["eps"]),
        "rmsprop": lambda: optax.rmsprop(lr, decay=hyper["beta2"], eps=hyper["eps"], eps_in_sqrt=False),
        "adam": lambda: optax.adam(lr, b1=hyper["beta1"], b2=hyper["beta2"], eps=hyper["eps"]),
        "adamw": lambda: optax.adamw(lr, b1=hyper["beta1"], b2=hyper["beta2"], eps=hyper["eps"],
                                     weight_decay=hyper["weight_decay"]),
    }[key]()


FIRST_ORDER = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]

# Learning rates that keep 25 steps finite and moving on each surface.
LEARNING_RATES = {
    "quadratic": {"sgd": 0.04, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1, "adamw": 0.1},
    "rosenbrock": {"sgd": 2e-4, "momentum": 1e-4, "nesterov": 1e-4, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.05, "adamw": 0.05},
}

LANDSCAPE_FACTORIES = {"quadratic": analytic.quadratic_corridor, "rosenbrock": analytic.rosenbrock}


def assert_close(actual, expected, rtol=RTOL):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("landscape_key", sorted(LANDSCAPE_FACTORIES))
@pytest.mark.parametrize("key", FIRST_ORDER)
def test_optimizer_step_matches_optax_on_the_same_gradient_sequence(key, landscape_key):
    landscape = LANDSCAPE_FACTORIES[landscape_key]()
    lr = LEARNING_RATES[landscape_key][key]
    optimizer = OPTIMIZERS[key]
    hyper = {name: jnp.asarray(value) for name, value in {**HYPER, "lr": lr}.items()}
    tx = reference_optax(key, lr)

    theta = jnp.asarray(landscape.default_start, dtype=jnp.float64)
    ours, state = theta, optimizer.init(theta)
    theirs, optax_state = theta, tx.init(theta)
    moved = 0.0
    for _ in range(25):
        g = landscape.gradient(ours)  # one gradient, fed to both
        ours, state = optimizer.update(g, state, ours, hyper, None)
        updates, optax_state = tx.update(g, optax_state, theirs)
        theirs = optax.apply_updates(theirs, updates)
        assert np.all(np.isfinite(np.asarray(ours)))
        assert_close(ours, theirs)
        moved = max(moved, float(jnp.linalg.norm(ours - theta)))
    assert moved > 1e-2, "the comparison is vacuous if the parameters barely move"


def test_eps_and_decay_conventions_are_distinguishable_from_the_alternatives():
    """The mapping is not trivially satisfied: optax's other conventions give a different step."""
    g = jnp.array([0.03, -2.0])
    theta = jnp.array([1.0, 1.0])
    hyper = {name: jnp.asarray(value) for name, value in {**HYPER, "lr": 0.1}.items()}
    for key, other in (
        ("rmsprop", optax.rmsprop(0.1, decay=HYPER["beta2"], eps=HYPER["eps"], eps_in_sqrt=True)),
        ("adagrad", optax.adagrad(0.1, initial_accumulator_value=0.1, eps=HYPER["eps"])),
        ("momentum", optax.sgd(0.1, momentum=HYPER["momentum"], nesterov=True)),
    ):
        optimizer = OPTIMIZERS[key]
        state, other_state = optimizer.init(theta), other.init(theta)
        ours, theirs = theta, theta
        for _ in range(3):
            ours, state = optimizer.update(g, state, ours, hyper, None)
            updates, other_state = other.update(g, other_state, theirs)
            theirs = optax.apply_updates(theirs, updates)
        assert float(jnp.max(jnp.abs(ours - theirs))) > 1e-6, key


# ---- the engine's whole trajectory against optax in a jitted lax.scan ---------------------

@partial(jax.jit, static_argnums=(0, 1, 5))
def optax_trajectory(tx, sample_loss, samples, params, theta0, n_steps):
    """(n_steps + 1, 2): full-batch optax iterates on the mean loss, theta0 first."""
    grad = jax.grad(lambda theta: mean_loss(sample_loss, theta, samples, params))

    def step(carry, _):
        theta, state = carry
        updates, state = tx.update(grad(theta), state, theta)
        return (optax.apply_updates(theta, updates), state), theta

    (last, _), path = jax.lax.scan(step, (theta0, tx.init(theta0)), None, length=n_steps)
    return jnp.concatenate([path, last[None]], axis=0)


N_STEPS = 30


def engine_vs_optax(landscape, key, lr, settings_extra=None, tx=None):
    settings = RunSettings(lr=lr, n_steps=N_STEPS, batch_size=None, **HYPER, **(settings_extra or {}))
    start = np.array(landscape.default_start)
    result = run_trajectories(landscape, key, [start], settings)
    tx = reference_optax(key, lr) if tx is None else tx
    expected = optax_trajectory(tx, landscape.sample_loss, landscape.samples, landscape.params, jnp.asarray(start), N_STEPS)
    assert result.params.shape == (1, N_STEPS + 1, 2)
    assert not result.diverged(0)
    assert_close(result.params[0], expected)
    assert float(np.linalg.norm(result.params[0, -1] - start)) > 1e-2
    return result


@pytest.mark.parametrize("key", FIRST_ORDER)
def test_engine_trajectory_on_quadratic_matches_optax_scan(key):
    engine_vs_optax(analytic.quadratic_corridor(), key, LEARNING_RATES["quadratic"][key])


def test_engine_adam_trajectory_on_rosenbrock_matches_optax_scan():
    engine_vs_optax(analytic.rosenbrock(), "adam", LEARNING_RATES["rosenbrock"]["adam"])


def test_engine_with_schedule_and_warmup_matches_optax_sgd_with_the_same_schedule():
    schedule = dict(schedule="cosine", min_ratio=0.2, warmup_steps=6)
    base_lr, total = 0.08, N_STEPS
    cosine = optax.cosine_decay_schedule(base_lr, total, alpha=0.2)
    # optax's step count is int32: divide in float64.
    tx = optax.sgd(lambda t: cosine(t) * jnp.minimum(1.0, (t.astype(jnp.float64) + 1) / 6))
    result = engine_vs_optax(analytic.quadratic_corridor(), "sgd", base_lr, schedule, tx)
    assert_close(result.lr[0, :N_STEPS], [cosine(t) * min(1.0, (t + 1) / 6) for t in range(N_STEPS)])


def test_engine_with_norm_clipping_matches_optax_clip_by_global_norm_chain():
    tx = optax.chain(optax.clip_by_global_norm(1.5), optax.sgd(0.04))
    result = engine_vs_optax(analytic.quadratic_corridor(), "sgd", 0.04, {"clip_norm": 1.5}, tx)
    assert result.batch_grad_norm[0, 0] == pytest.approx(1.5, rel=1e-12)  # the first gradients are clipped
    assert result.grad_norm[0, 0] > 1.5


# ---- schedules ------------------------------------------------------------------------------

STEPS = np.arange(0, 301)


# The kind and every parameter are traced, so this compiles once for all schedules.
_schedule_factor = jax.jit(schedule_factor)


def factors(kind, **kw):
    return np.asarray(_schedule_factor(jnp.asarray(STEPS), schedule_settings(kind, **kw)))


def test_constant_schedule_is_one():
    assert_close(factors("constant"), np.ones(len(STEPS)))


def test_step_schedule_matches_optax_staircase_exponential_decay():
    expected = optax.exponential_decay(1.0, transition_steps=25, decay_rate=0.7, staircase=True)(STEPS)
    assert_close(factors("step", gamma=0.7, step_size=25), expected)
    assert factors("step", gamma=0.7, step_size=25)[24] == 1.0


def test_exponential_schedule_matches_optax_smooth_exponential_decay():
    expected = optax.exponential_decay(1.0, transition_steps=40, decay_rate=0.3, staircase=False)(STEPS)
    assert_close(factors("exponential", gamma=0.3, step_size=40), expected)


@pytest.mark.parametrize("alpha", [0.0, 0.05, 0.5])
def test_cosine_schedule_matches_optax_cosine_decay_with_alpha(alpha):
    expected = optax.cosine_decay_schedule(1.0, decay_steps=200, alpha=alpha)(STEPS)
    assert_close(factors("cosine", min_ratio=alpha, total_steps=200), expected)
    assert factors("cosine", min_ratio=alpha, total_steps=200)[-1] == pytest.approx(alpha)


def test_cyclical_schedule_is_triangular_between_min_ratio_and_one():
    period, low = 40, 0.1
    # Piecewise linear through (0, 1), (period / 2, low), (period, 1), repeated.
    expected = np.interp(STEPS % period, [0, period / 2, period], [1.0, low, 1.0])
    assert_close(factors("cyclical", period=period, min_ratio=low), expected)
    assert factors("cyclical", period=period, min_ratio=low)[period // 2] == pytest.approx(low)


@pytest.mark.parametrize("kind", ["constant", "step", "cosine"])
def test_warmup_multiplies_any_schedule_by_a_linear_ramp(kind):
    warmup = 10
    ramp = optax.linear_schedule(1.0 / warmup, 1.0, warmup - 1)(STEPS)  # (t + 1) / W, then 1
    assert_close(ramp[:warmup], (STEPS[:warmup] + 1) / warmup)
    kw = dict(gamma=0.5, step_size=7, total_steps=100)
    assert_close(factors(kind, warmup_steps=warmup, **kw), factors(kind, **kw) * ramp)


def test_learning_rate_is_base_lr_times_factor():
    schedule = schedule_settings("exponential", gamma=0.5, step_size=10)
    assert_close(jax.jit(learning_rate)(jnp.asarray(STEPS), 0.3, schedule), 0.3 * 0.5 ** (STEPS / 10))


# ---- clipping -------------------------------------------------------------------------------

GRADIENTS = [np.array([3.0, -4.0]), np.array([1e-3, 2e-3]), np.array([0.0, 0.0]), np.array([-250.0, 1e-2]), np.array([0.6, 0.8])]


@pytest.mark.parametrize("max_norm", [0.5, 1.0, 5.0, math.inf])
def test_clip_by_norm_matches_optax_clip_by_global_norm(max_norm):
    tx = optax.clip_by_global_norm(max_norm)
    for g in GRADIENTS:
        expected, _ = tx.update(jnp.asarray(g), tx.init(jnp.asarray(g)))
        clipped = np.asarray(clip_by_norm(jnp.asarray(g), max_norm))
        assert_close(clipped, expected)
        assert np.linalg.norm(clipped) <= min(max_norm, np.linalg.norm(g)) * (1 + 1e-12)


@pytest.mark.parametrize("max_value", [0.5, 3.5, math.inf])
def test_clip_by_value_matches_optax_clip(max_value):
    tx = optax.clip(max_value)
    for g in GRADIENTS:
        expected, _ = tx.update(jnp.asarray(g), tx.init(jnp.asarray(g)))
        assert_close(clip_by_value(jnp.asarray(g), max_value), expected)
