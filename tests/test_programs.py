"""A bounded number of live compiled programs (issue 11), and clear messages for bad settings."""

import math

import numpy as np
import pytest

import programs
from landscapes import get_landscape
from optimizers import RunSettings, run_race, run_trajectories

ROSENBROCK = get_landscape("rosenbrock")
START = [ROSENBROCK.default_start]


def _run(optimizer, n_steps):
    return run_trajectories(ROSENBROCK, optimizer, START, RunSettings(lr=1e-4, n_steps=n_steps))


def test_live_programs_stay_at_the_bound_and_memory_mappings_stop_growing(monkeypatch):
    bound = 4
    monkeypatch.setattr(programs, "MAX_PROGRAMS", bound)
    programs.clear_programs()
    _run("adamw", 50)  # libraries and helper programs that load once per process
    programs.clear_programs()
    distinct = [(opt, steps) for steps in (50, 100) for opt in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")]

    before = programs.memory_mappings()
    for opt, steps in distinct[:bound]:
        _run(opt, steps)
    at_bound = programs.memory_mappings()
    assert programs.live_programs() == bound
    for opt, steps in distinct[bound:]:
        _run(opt, steps)
        assert programs.live_programs() == bound
    after = programs.memory_mappings()

    kept_would_cost = (at_bound - before) * (len(distinct) - bound) / bound  # without eviction
    assert at_bound - before > 0
    assert after - at_bound < 0.25 * kept_would_cost, (before, at_bound, after)
    programs.clear_programs()


def test_an_evicted_program_is_compiled_again_and_gives_the_same_iterates(monkeypatch):
    monkeypatch.setattr(programs, "MAX_PROGRAMS", 2)
    first = _run("sgd", 50)
    _run("momentum", 50)
    _run("adam", 50)  # evicts sgd's program
    compiled = programs.program_stats()["compiled"]
    again = _run("sgd", 50)
    assert programs.program_stats()["compiled"] == compiled + 1
    np.testing.assert_array_equal(first.params, again.params)


def test_a_race_of_any_optimizers_is_one_program_and_sliders_do_not_add_programs():
    settings = RunSettings(lr=1e-3, n_steps=120)
    himmelblau = get_landscape("himmelblau")
    run_race(ROSENBROCK, ["sgd"], settings)
    compiled = programs.program_stats()["compiled"]
    for optimizers, change in ((["adam", "newton"], {"lr": 2e-3}), (["momentum", "bfgs", "rmsprop"], {"momentum": 0.5}),
                               (["sgd"], {"batch_size": 8}), (["adamw"], {"schedule": "cosine", "seed": 3})):
        run_race(ROSENBROCK, optimizers, RunSettings(**{"lr": 1e-3, "n_steps": 150, **change}))
    run_race(himmelblau, ["adam"], settings)  # every analytic landscape shares the program
    assert programs.program_stats()["compiled"] == compiled


def test_the_race_gives_the_same_iterates_as_single_runs():
    settings = RunSettings(lr=2e-3, n_steps=200, batch_size=16)
    race = run_race(ROSENBROCK, ["sgd", "adam", "newton", "bfgs"], settings)
    for key, trajectory in race.items():
        alone = run_trajectories(ROSENBROCK, key, START, settings)
        np.testing.assert_allclose(trajectory.params, alone.params, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(trajectory.diverged_at, alone.diverged_at)


@pytest.mark.parametrize("steps", [math.inf, math.nan, 2.5, "100", -3, 0, 10**6])
def test_n_steps_that_are_not_a_whole_number_in_range_are_rejected_by_name(steps):
    with pytest.raises(ValueError, match="n_steps"):
        run_trajectories(ROSENBROCK, "sgd", START, RunSettings(n_steps=steps))


@pytest.mark.parametrize("start", [(math.nan, 0.0), (0.0, math.inf)])
def test_a_non_finite_start_is_rejected(start):
    with pytest.raises(ValueError, match="start"):
        run_trajectories(ROSENBROCK, "sgd", [start], RunSettings(n_steps=10))
    with pytest.raises(ValueError, match="start"):
        run_race(ROSENBROCK, ["sgd"], RunSettings(n_steps=10), start)


@pytest.mark.parametrize("change, name", [
    ({"lr": math.nan}, "lr"), ({"momentum": math.inf}, "momentum"), ({"beta2": math.nan}, "beta2"),
    ({"schedule": "exponential", "gamma": -0.5}, "gamma"), ({"schedule": "step", "gamma": 0.0}, "gamma"),
    ({"warmup_steps": -1}, "warmup_steps"),
])
def test_settings_that_cannot_make_a_run_are_rejected_by_name(change, name):
    with pytest.raises(ValueError, match=name):
        run_trajectories(ROSENBROCK, "sgd", START, RunSettings(n_steps=10, **change))


@pytest.mark.parametrize("override, name", [
    ({"lr": [0.1, math.nan]}, "lr"), ({"step_size": [0, 5]}, "step_size"), ({"period": [1, 4]}, "period"),
    ({"total_steps": [0, 3]}, "total_steps"), ({"gamma": [-1.0, 0.5]}, "gamma"),
])
def test_overrides_that_cannot_make_a_run_are_rejected_by_name(override, name):
    with pytest.raises(ValueError, match=name):
        run_trajectories(ROSENBROCK, "sgd", START * 2, RunSettings(n_steps=10), overrides=override)


def test_freed_heap_memory_is_given_back_and_one_trimmer_thread_runs():
    import threading

    before = programs.program_stats()["trims"]
    assert programs.release_free_memory() is True  # glibc here (Debian, the Docker image)
    assert programs.program_stats()["trims"] == before + 1
    programs.keep_memory_trimmed(interval=3600)
    programs.keep_memory_trimmed(interval=3600)
    assert [t.name for t in threading.enumerate()].count("malloc-trim") == 1
