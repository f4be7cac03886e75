"""Cliffs: without clipping one step jumps far; clipping by norm or by value bounds every step."""

from __future__ import annotations

import numpy as np

from analysis.cliffs import clipping_runs, gd_step_bound, step_lengths, wall_edge
from landscapes import get_landscape
from optimizers.engine import RunSettings


def test_clipping_bounds_the_jump_distance_per_step_on_the_cliff():
    cliff = get_landscape("cliff")
    start = (wall_edge(0.5) - 0.004, 0.5)  # just before the wall's edge
    lr, c = 0.05, 1.0
    runs = clipping_runs(cliff, "sgd", start, RunSettings(lr=lr, n_steps=100), clip_norm=c, clip_value=c)
    jumps = {name: step_lengths(traj.path(0)) for name, traj in runs.items()}
    assert jumps["no clipping"][0] > 5.0  # the wall's gradient flings the first step far away
    assert np.all(jumps["clip by norm"] <= gd_step_bound(lr, clip_norm=c) + 1e-12)
    assert np.all(jumps["clip by value"] <= gd_step_bound(lr, clip_value=c) + 1e-12)
    assert gd_step_bound(lr, clip_value=c) == lr * c * np.sqrt(2)
    for traj in runs.values():
        assert not traj.diverged(0)


def test_step_lengths():
    np.testing.assert_allclose(step_lengths(np.array([[0, 0], [3, 4], [3, 5]])), [5.0, 1.0])
