"""The patience rule of networks.early_stopping against a plain loop, and the hold-out comparison."""

from __future__ import annotations

import numpy as np
import pytest

from networks import make_dataset
from networks.datasets import TEST, TRAIN, VALIDATION
from networks.early_stopping import early_stop, early_stops, hold_out_cost, split_for_retraining


def reference(values, patience):
    """The rule written as a loop with a counter of epochs without a strict improvement."""
    best, best_value, wait = 0, values[0] if np.isfinite(values[0]) else np.inf, 0
    for e in range(1, len(values)):
        v = values[e] if np.isfinite(values[e]) else np.inf
        if v < best_value:
            best, best_value, wait = e, v, 0
        else:
            wait += 1
        if wait > patience:
            return e, best, True
    return len(values) - 1, best, False


@pytest.mark.parametrize("seed", range(40))
def test_rule_equals_the_loop_on_random_curves_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    values = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.random(n).cumsum()[::-1] + rng.random(n)
    for patience in (0, 1, 2, 5, n - 1, n, n + 3):
        got = early_stop(values, patience)
        stop, best, triggered = reference(values, patience)
        assert (got.stop_epoch, got.best_epoch, got.triggered) == (stop, best, triggered), (values, patience)
        # the restored epoch is the first argmin of the losses actually run
        assert got.best_epoch == int(np.argmin(values[:got.stop_epoch + 1]))
        assert got.best_loss == values[got.best_epoch]


def test_patience_zero_stops_at_the_first_epoch_without_a_strict_improvement():
    values = [3.0, 2.0, 2.0, 1.0, 0.5]
    rule = early_stop(values, 0)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (2, 1, True)  # the tie at epoch 2 is no improvement
    rule = early_stop(values, 1)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (4, 4, False)  # waits through the tie, then improves


def test_patience_as_long_as_the_run_never_stops_and_restores_the_global_minimum():
    values = [5.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    rule = early_stop(values, len(values))
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (5, 1, False)
    rule = early_stop(values, 3)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (5, 1, True)  # 5 - 1 = 4 > 3


def test_non_finite_losses_are_no_improvement():
    rule = early_stop([2.0, np.nan, np.inf, 1.0], 1)
    assert (rule.stop_epoch, rule.best_epoch) == (2, 0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        early_stop([], 3)
    with pytest.raises(ValueError):
        early_stop([1.0, 2.0], -1)


def test_retraining_split_moves_only_the_validation_points():
    data = make_dataset("curve", 100, 0.5, 3)
    moved = split_for_retraining(data)
    assert np.sum(moved.split == VALIDATION) == 0
    assert np.sum(moved.split == TRAIN) == np.sum(data.split == TRAIN) + np.sum(data.split == VALIDATION)
    assert np.array_equal(moved.split == TEST, data.split == TEST)
    assert np.array_equal(moved.inputs, data.inputs) and np.array_equal(moved.targets, data.targets)


def test_hold_out_cost_reads_both_runs_at_the_restored_epoch():
    rng = np.random.default_rng(0)
    first, second = rng.random((3, 30, 3)), rng.random((3, 30, 3))
    cost = hold_out_cost(first, second, 4)
    for r, rule in enumerate(early_stops(first[:, :, VALIDATION], 4)):
        assert cost.best_epochs[r] == rule.best_epoch and cost.stop_epochs[r] == rule.stop_epoch
        assert cost.early_stopped_test[r] == first[r, rule.best_epoch, TEST]
        assert cost.retrained_test[r] == second[r, rule.best_epoch, TEST]
        assert cost.end_of_run_test[r] == first[r, -1, TEST]
