"""Schedules match their formulas (and optax's schedule functions where they exist); seed bands,
last-iterate jitter and the growing-batch runner behave as stated."""

from __future__ import annotations

import numpy as np
import optax
import pytest

from analysis import schedules_study as ss
from landscapes.regression import linear_regression
from optimizers.engine import RunSettings, run_trajectories, step_bucket
from optimizers.schedules import schedule_factor, schedule_settings

T = 300
STEPS = np.arange(T)


def curve(label, gamma=0.5, step_size=40, period=60, min_ratio=0.05, warmup=25):
    return ss.schedule_curve(label, T, gamma, step_size, period, min_ratio, warmup)


def optax_values(schedule):
    return np.array([float(schedule(t)) for t in STEPS])


def test_step_and_exponential_decay_match_optax_exponential_decay():
    staircase = optax.exponential_decay(1.0, transition_steps=40, decay_rate=0.5, staircase=True)
    smooth = optax.exponential_decay(1.0, transition_steps=40, decay_rate=0.5)
    np.testing.assert_allclose(curve("step decay"), optax_values(staircase), rtol=1e-6)
    np.testing.assert_allclose(curve("exponential decay"), optax_values(smooth), rtol=1e-6)


def test_cosine_matches_optax_cosine_decay_schedule():
    reference = optax.cosine_decay_schedule(1.0, decay_steps=T, alpha=0.05)
    np.testing.assert_allclose(curve("cosine"), optax_values(reference), rtol=1e-6, atol=1e-7)


def test_linear_warm_up_matches_optax_linear_schedule_joined_to_a_constant():
    W = 25
    warm = optax.join_schedules([optax.linear_schedule(1.0 / W, 1.0, W - 1), optax.constant_schedule(1.0)], [W - 1])
    alone = np.asarray(schedule_factor(STEPS, schedule_settings("constant", warmup_steps=W)))
    np.testing.assert_allclose(alone, optax_values(warm), rtol=1e-6)
    cosine = optax_values(optax.cosine_decay_schedule(1.0, decay_steps=T, alpha=0.05))
    np.testing.assert_allclose(curve("warm-up + cosine", warmup=W), cosine * optax_values(warm), rtol=1e-6, atol=1e-7)


def test_cyclical_is_a_triangle_between_min_ratio_and_one():
    values = curve("cyclical")
    phase = (STEPS % 60) / 60
    np.testing.assert_allclose(values, 0.05 + 0.95 * np.abs(1 - 2 * phase), rtol=1e-12)
    assert values[0] == 1.0 and values[30] == pytest.approx(0.05) and values[60] == 1.0
    np.testing.assert_allclose(curve("constant"), 1.0)


def test_seed_band_and_last_iterate_jitter():
    values = np.array([[1.0, 4.0], [2.0, 5.0], [3.0, 9.0]])
    band = ss.seed_band(values, 0.0, 1.0)
    np.testing.assert_allclose(band.median, [2.0, 5.0])
    np.testing.assert_allclose(band.low, [1.0, 4.0])
    np.testing.assert_allclose(band.high, [3.0, 9.0])
    square = np.array([[[9.0, 9.0], [1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]])
    np.testing.assert_allclose(ss.last_iterate_jitter(square, 4), [np.sqrt(2.0)])


def test_growing_batch_plan_covers_every_epoch_with_growing_batches():
    plan = ss.growing_batch_plan(20, 2, 2.0, 1, 6)
    np.testing.assert_array_equal(ss.growing_batch_sizes(20, 2, 2.0, 1, 6), [2, 4, 8, 16, 20, 20])
    for e in range(6):
        assert plan.samples_per_step[plan.epoch == e].sum() == 20
    assert plan.n_steps == 10 + 5 + 3 + 2 + 1 + 1
    assert plan.samples_processed()[-1] == 6 * 20
    counts = ss.plan_membership(plan, 20, seed=3)
    for e in range(6):
        assert np.all(counts[plan.epoch == e].sum(axis=0) == 1)  # every sample once per epoch


@pytest.fixture(scope="module")
def land():
    return linear_regression(n_samples=24, noise=0.5)


@pytest.mark.parametrize("sampling", ["shuffle", "replacement", "sorted"])
def test_growing_batch_runner_with_a_constant_batch_is_exactly_the_engine(land, sampling):
    plan = ss.growing_batch_plan(24, 5, 1.0, 1, 4, sampling)
    runs = ss.run_growing_batch(land, [land.default_start] * 2, [0, 9], plan, 0.2, sampling)
    engine = run_trajectories(land, "sgd", [land.default_start] * 2,
                              RunSettings(lr=0.2, batch_size=5, sampling=sampling, n_steps=plan.n_steps), seeds=[0, 9])
    np.testing.assert_array_equal(runs.params, engine.params)
    np.testing.assert_allclose(runs.loss, engine.loss, rtol=1e-13)


def test_decaying_the_lr_or_growing_the_batch_shrinks_the_final_jitter(land):
    """Eight seeds, fixed: the median spread of the last iterates drops by well over half."""
    seeds = np.arange(8)
    settings = RunSettings(lr=0.3, batch_size=2, n_steps=240, gamma=0.25, step_size=60)
    runs = ss.schedule_band_runs(land, ["constant", "step decay"], settings, land.default_start, seeds)
    assert len(runs["constant"].params) == 8
    np.testing.assert_allclose(runs["step decay"].lr[0, [0, 59, 60, 120]], 0.3 * np.array([1, 1, 0.25, 0.0625]))
    constant = np.median(ss.last_iterate_jitter(runs["constant"].params, 24))
    decayed = np.median(ss.last_iterate_jitter(runs["step decay"].params, 24))
    assert decayed < 0.3 * constant
    plan = ss.growing_batch_plan(24, 2, 4.0, 5, 20)
    grown = ss.run_growing_batch(land, np.tile(land.default_start, (8, 1)), seeds, plan, 0.3)
    assert grown.alive.all()
    assert np.median(ss.last_iterate_jitter(grown.params, 6)) < 0.5 * constant


def test_changing_the_growth_or_learning_rate_does_not_recompile(land):
    """The plan is traced: only the step bucket (as in the engine) is part of the compiled shape."""
    def run(growth, every, lr):
        plan = ss.growing_batch_plan(24, 2, growth, every, 10)
        assert step_bucket(plan.n_steps) == 100
        ss.run_growing_batch(land, [land.default_start], [0], plan, lr)

    run(2.0, 4, 0.1)
    before = ss._growing_batch._cache_size()
    run(1.5, 3, 0.05)
    run(3.0, 5, 0.2)
    assert ss._growing_batch._cache_size() == before
