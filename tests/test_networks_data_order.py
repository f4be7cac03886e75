"""networks.data_order: the plans (curriculum sorted by its stated difficulty, the sliding window, a
replay buffer that samples uniformly from the past with reservoir semantics), the training program
against a step-by-step reference, forgetting without replay measured over several seeds, and no
recompilation over learning rate, seed or buffer size."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import jax
import programs
from networks import flatten_params, init_params, make_dataset, mlp, unflatten_params
from networks import data_order as do
from networks.model import example_correct, forward, mean_loss
from ui.deep_networks.data_order_compute import curriculum_data, stream_study, xor_boundary_margin


def test_easy_first_is_sorted_by_the_stated_difficulty_and_the_curriculum_draws_from_the_easiest_share():
    d = curriculum_data(0.2)
    ranked = do.easy_first(d["train_rows"], d["difficulty"])
    assert sorted(ranked) == sorted(d["train_rows"])
    assert np.all(np.diff(d["difficulty"][ranked]) >= 0)
    # the difficulty is minus the signed distance to XOR's axes, and every flipped label is on the wrong side
    assert d["difficulty"] == pytest.approx(-xor_boundary_margin(d["points"], d["targets"]))
    assert np.all(d["difficulty"][d["flipped"]] >= 0) and len(d["flipped"]) > 100
    clean = d["train_rows"][~np.isin(d["train_rows"], d["flipped"])]
    assert np.mean(d["difficulty"][clean] < 0) > 0.97
    plan = do.curriculum_plan(d["train_rows"], d["difficulty"], 200, 16, seed=3, start_share=0.2, ramp=0.5)
    rank = {int(r): k for k, r in enumerate(ranked)}
    shares = do.curriculum_share(200, 0.2, 0.5)
    assert shares[0] == 0.2 and shares[100] == 1.0 and np.all(np.diff(shares) >= 0)
    for t in range(200):
        allowed = max(16, int(np.ceil(shares[t] * len(ranked))))
        assert max(rank[int(r)] for r in plan.rows[t]) < allowed
        assert len(set(plan.rows[t].tolist())) == 16  # without replacement within a step
    early = np.array([rank[int(r)] for r in plan.rows[:10].ravel()])
    assert early.max() < 0.3 * len(ranked)


def test_random_plan_is_a_permutation_per_epoch():
    rows = np.arange(10, 74)
    plan = do.random_plan(rows, 12, 16, seed=0)  # 3 epochs of 4 batches
    for epoch in range(3):
        assert sorted(plan.rows[4 * epoch:4 * epoch + 4].ravel()) == list(rows)


def test_window_plan_holds_the_latest_examples():
    plan = do.window_plan(100, 60, 2, 16)
    for t in range(60):
        seen = min(2 * (t + 1), 100)
        latest = list(range(max(0, seen - 16), seen))
        assert plan.rows[t, :len(latest)].tolist() == latest
        assert plan.weights[t].sum() == len(latest)


def test_reservoir_keeps_every_past_example_with_probability_size_over_seen():
    n, size, trials = 200, 20, 3000
    counts = np.zeros(n)
    for trial in range(trials):
        rng = np.random.default_rng(trial)
        buffer, filled = np.zeros(size, np.int64), 0
        for i in range(n):
            filled = do.reservoir_update(buffer, filled, i, i + 1, rng)
        assert filled == size and len(set(buffer.tolist())) == size
        counts[buffer] += 1
    expected = trials * size / n
    chi2, p = stats.chisquare(counts, np.full(n, expected))
    assert p > 1e-3, f"reservoir inclusion is not uniform: chi2 {chi2:.0f}, p {p:.2g}"
    # a broken reservoir (always replace a random slot) keeps recent items far more often
    assert counts[:50].sum() == pytest.approx(counts[150:].sum(), rel=0.1)


@pytest.mark.parametrize("buffer_size", [16, 1024])
def test_replay_samples_uniformly_from_all_past_examples(buffer_size):
    n, steps, new, batch, step = 400, 120, 2, 16, 100
    counts = np.zeros(n)
    for seed in range(400):
        plan = do.replay_plan(n, steps, new, batch, buffer_size, seed)
        seen = step * new
        assert plan.rows[step, :new].tolist() == [seen, seen + 1]  # the newest
        replayed = plan.rows[step, new:]
        assert np.all(replayed < seen) and plan.weights[step].sum() == batch
        counts[replayed] += 1
    past = counts[:step * new]
    assert counts[step * new:].sum() == 0
    chi2, p = stats.chisquare(past, np.full(len(past), past.sum() / len(past)))
    assert p > 1e-3, f"replay is not uniform over the past: chi2 {chi2:.0f}, p {p:.2g}"


def test_the_training_program_equals_a_step_by_step_reference():
    data = make_dataset("moons", 120, 0.1, 0)
    net = mlp(2, (6,), "tanh")
    plans = [do.random_plan(np.arange(100), 20, 8, 0), do.replay_plan(120, 20, 2, 8, 16, 1)]
    thetas = np.stack([flatten_params(init_params(net, s)) for s in (0, 1)])
    run = do.run_plans(net, thetas, plans, data.inputs, data.targets, optimizer="momentum", checkpoints=4, lr=0.2, momentum=0.5)
    grad = jax.grad(lambda th, x, t, w: mean_loss(net, unflatten_params(net, th), x, t, w))
    for r, plan in enumerate(plans):
        theta, velocity = thetas[r].copy(), np.zeros_like(thetas[r])
        for t in range(20):
            rows, w = plan.rows[t], plan.weights[t]
            g = np.asarray(grad(theta, data.inputs[rows], data.targets[rows], w))
            velocity = 0.5 * velocity + g
            theta = theta - 0.2 * velocity
            if (t + 1) % 5 == 0:
                out = forward(net, unflatten_params(net, theta), data.inputs)
                assert run.correct[r, (t + 1) // 5] == pytest.approx(np.asarray(example_correct("classification", out, data.targets)))
        assert run.theta[r] == pytest.approx(theta, abs=1e-10)
    assert run.steps.tolist() == [0, 5, 10, 15, 20] and run.finite.all()


def test_without_replay_the_oldest_data_is_forgotten_and_replay_keeps_it():
    study = stream_study("class", 64, 0.3)
    arrived = list(study["steps"]).index(128)  # the first quarter has arrived by step 128
    assert np.all(study["first_window"][:, arrived] > 0.9), "the oldest points were never learned"
    assert np.all(study["first_window"][:, -1] < 0.6), "without replay the oldest quarter was not forgotten"
    assert np.all(study["first_replay"][:, -1] > 0.85)
    assert np.all(study["seen_replay"][:, -1] - study["seen_window"][:, -1] > 0.15)
    shuffled = stream_study("none", 64, 0.3)  # no drift: nothing to forget
    assert np.all(shuffled["seen_window"][:, -1] > 0.95)


def test_no_recompilation_over_learning_rate_seed_and_buffer_size():
    program = do._order_program.unbounded
    stream_study("class", 64, 0.3)
    live, compiled = programs.programs_for(program), programs.program_stats()["compiled"]
    for drift, size, lr in (("class", 8, 0.1), ("x", 1024, 0.05), ("none", 16, 1.0)):
        stream_study(drift, size, lr)
    assert programs.programs_for(program) == live and programs.program_stats()["compiled"] == compiled
    net = mlp(2, (6,), "tanh")
    data = make_dataset("moons", 120, 0.1, 0)
    runs = []
    for seed, lr in ((0, 0.1), (5, 0.7)):
        plans = [do.random_plan(np.arange(100), 20, 8, seed)]
        runs.append(do.run_plans(net, flatten_params(init_params(net, seed))[None], plans, data.inputs, data.targets,
                                 checkpoints=4, lr=lr))
        if seed == 0:
            live, compiled = programs.programs_for(program), programs.program_stats()["compiled"]
    assert programs.programs_for(program) == live and programs.program_stats()["compiled"] == compiled
    assert not np.allclose(runs[0].theta, runs[1].theta)
