"""Early stopping: the patience rule read off a run's validation curve, and what the held-out data costs.

The rule (NumPy, no training inside). A run records the validation loss v_0, v_1, ..., v_E after each
epoch (v_0 at the initial parameters). Walking through the epochs, the best epoch so far is the
first epoch of the smallest value seen (a later epoch must be strictly lower to replace it: a tie
is no improvement). Training stops at the first epoch e whose distance to the best epoch so far
exceeds the patience p:

    stop = min{ e : e - best(e) > p },   best(e) = first argmin of v_0 .. v_e

so p = 0 stops at the first epoch that does not improve, and p = 3 tolerates three epochs without
improvement and stops at the fourth. If no epoch triggers the rule the run goes to the end (stop = E).
The parameters restored are those of best(stop): the argmin of the validation loss over the
epochs actually run (the test loss there is what early stopping reports). Non-finite validation
losses (a diverged run) count as no improvement.

The cost (the notes' disadvantage): 15 % of the points are held out to watch the validation loss, so
the parameters are estimated from 70 % only. ``split_for_retraining`` turns the validation points
into training points, so the same network can be trained on train + validation for the number of
epochs early stopping chose, and its test loss compared with the early-stopped one's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from networks.datasets import TRAIN, VALIDATION, Dataset


class EarlyStop(NamedTuple):
    stop_epoch: int  # index of the epoch where the rule stops training (len - 1 if it never does)
    best_epoch: int  # index of the restored parameters: the first argmin of the losses up to stop_epoch
    triggered: bool  # whether the patience rule stopped the run before its end
    best_loss: float  # the validation loss at best_epoch


def early_stop(validation_losses, patience: int) -> EarlyStop:
    """The patience rule on one validation curve (values per epoch, index 0 = before training)."""
    values = np.asarray(validation_losses, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"need a non-empty 1-D curve of validation losses, got shape {values.shape}")
    if patience < 0:
        raise ValueError(f"patience must be at least 0, got {patience}")
    values = np.where(np.isfinite(values), values, np.inf)
    # best(e) for every e at once: the first index of each running minimum
    running_min = np.minimum.accumulate(values)
    improved = np.r_[True, values[1:] < running_min[:-1]]
    best_so_far = np.maximum.accumulate(np.where(improved, np.arange(values.size), 0))
    waited = np.arange(values.size) - best_so_far
    over = np.flatnonzero(waited > patience)
    stop = int(over[0]) if over.size else values.size - 1
    best = int(best_so_far[stop])
    return EarlyStop(stop, best, bool(over.size), float(values[best]))


def early_stops(validation_curves, patience: int) -> list[EarlyStop]:
    """The rule on each row of (R, n) curves."""
    return [early_stop(curve, patience) for curve in np.atleast_2d(validation_curves)]


def split_for_retraining(dataset: Dataset) -> Dataset:
    """The same points with the validation points moved into the training set (the test set unchanged)."""
    split = np.where(dataset.split == VALIDATION, TRAIN, dataset.split).astype(np.int32)
    return dataset._replace(split=split)


class HoldOutCost(NamedTuple):
    """Per seed: the early-stopped test loss (train only, restored at its best epoch), the test loss of
    the same network trained on train + validation for that many epochs, and the end-of-run test loss."""

    stop_epochs: np.ndarray  # (R,) where the rule stopped
    best_epochs: np.ndarray  # (R,) the restored epochs
    early_stopped_test: np.ndarray  # (R,)
    retrained_test: np.ndarray  # (R,) train + validation, trained for best_epochs epochs
    end_of_run_test: np.ndarray  # (R,) train only, trained to the last epoch


def hold_out_cost(train_only_loss, retrained_loss, patience: int) -> HoldOutCost:
    """From two runs' losses (R, n, 3): one on the training points only, the other, with the same
    seeds and settings, on train + validation; snapshot i of both is after i epochs (snapshot_every=1).
    The retrained network is read at the epoch the first run's early stopping restored."""
    train_only_loss, retrained_loss = np.asarray(train_only_loss), np.asarray(retrained_loss)
    stops = early_stops(train_only_loss[:, :, VALIDATION], patience)
    best = np.array([s.best_epoch for s in stops])
    rows = np.arange(len(stops))
    test = 2
    return HoldOutCost(np.array([s.stop_epoch for s in stops]), best, train_only_loss[rows, best, test],
                       retrained_loss[rows, best, test], train_only_loss[:, -1, test])
