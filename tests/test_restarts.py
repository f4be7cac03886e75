"""Random restarts: the measured chance that the best of K runs reaches the global minimum."""

from __future__ import annotations

import numpy as np

from analysis.restarts import MAX_K, best_of_k_probability, restart_study, restarts_needed
from landscapes import get_landscape
from optimizers.engine import RunSettings


def test_best_of_k_formula():
    np.testing.assert_allclose(best_of_k_probability(0.3, [1, 2, 3]), [0.3, 0.51, 0.657])
    assert restarts_needed(0.5, 0.95) == 5  # 1 - 0.5^5 = 0.969 >= 0.95 > 1 - 0.5^4
    assert restarts_needed(0.0) == float("inf")


def test_restart_study_on_six_hump_camel_measures_a_rising_chance_close_to_the_formula():
    camel = get_landscape("six_hump_camel", n_samples=1)
    study = restart_study(camel, "sgd", RunSettings(lr=0.02, n_steps=200), k_max=10, n_trials=150, seed=3)
    assert study.measured.shape == (10,)
    assert 0.2 < study.single_success < 0.95  # some starts end in the four worse local minima
    assert np.all(np.diff(study.measured) >= 0)  # more restarts never hurt
    assert abs(study.measured[0] - study.single_success) < 0.15
    assert np.max(np.abs(study.measured - study.predicted)) < 0.12
    assert study.measured[-1] > 0.95
    # the best loss kept is the minimum over the runs so far
    np.testing.assert_allclose(study.best_loss[:, -1], np.min(np.where(study.labels == -2, np.inf, study.final_loss), axis=1))


def test_restart_study_clamps_k():
    camel = get_landscape("six_hump_camel", n_samples=1)
    study = restart_study(camel, "sgd", RunSettings(lr=0.02, n_steps=50), k_max=10_000, n_trials=2)
    assert len(study.ks) == MAX_K
