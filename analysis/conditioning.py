"""Conditioning of a quadratic bowl: what its Hessian's eigenvalues predict about gradient descent
and heavy-ball momentum, and the measurements that check those predictions.

Two ways to write the same family of bowls over theta = (theta_1, theta_2):

- separable:  E(theta) = sum_i alpha_i (theta_i - theta*_i)^2,   Hessian diag(2 alpha_i)
- rotated:    E(theta) = 1/2 (theta - theta*)^T R diag(lambda) R^T (theta - theta*)

The separable form is the rotated one at angle 0 with lambda_i = 2 alpha_i. Both are built with
``landscapes.analytic.quadratic_corridor`` with noise 0, so the eigenvalues and the angle are
traced parameters and changing them never recompiles a trajectory.

Predictions (error e_i = u_i . (theta - theta*) along eigenvector u_i):
- GD multiplies e_i by (1 - lr lambda_i) each step, so e_i(t)^2 = (1 - lr lambda_i)^(2t) e_i(0)^2;
- stable iff lr < 2 / lambda_max; the lecture's choice lr = 0.99 / alpha_max = 1.98 / lambda_max sits
  just inside; the best constant step 2 / (lambda_min + lambda_max) gives rate (k - 1) / (k + 1);
- heavy ball (v <- beta v + g, theta <- theta - lr v) along eigenvector i follows
  e_{t+1} = (1 + beta - lr lambda_i) e_t - beta e_{t-1}; it is stable iff 0 <= beta < 1 and
  0 < lr lambda_i < 2 (1 + beta), and at its best setting the rate is (sqrt(k) - 1) / (sqrt(k) + 1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from analysis import theory
from landscapes import get_landscape
from landscapes.base import Landscape
from optimizers import RunSettings, run_trajectories

#: Rate maps are limited to this many cells per side (a map is side^2 real runs).
MAX_MAP_SIDE = 60
#: Distances below this fraction of the start are ignored (the bowl's minimum is the origin and its gradient
#: is exactly H theta, so relative precision holds until floating point underflows).
RELATIVE_FLOOR = 1e-250


def quadratic_landscape(eigenvalues, angle: float = 0.0) -> Landscape:
    """The exact bowl with Hessian eigenvalues ``eigenvalues`` rotated by ``angle`` degrees,
    minimum at the origin, one noiseless sample (the gradient is exactly H theta; one sample keeps rate maps
    of a thousand runs fast)."""
    lam = tuple(float(v) for v in eigenvalues)
    return get_landscape("quadratic", eigenvalues=lam, angle=float(angle), noise=0.0, n_samples=1)


def separable_eigenvalues(alphas) -> np.ndarray:
    """Hessian eigenvalues of sum_i alpha_i (theta_i - theta*_i)^2: lambda_i = 2 alpha_i."""
    return 2.0 * np.asarray(alphas, dtype=float)


def eigenvalues_from_condition(lambda_max: float, condition_number: float) -> np.ndarray:
    """(lambda_min, lambda_max) with lambda_max / lambda_min = condition_number."""
    return np.array([lambda_max / condition_number, lambda_max])


def eigenvectors(angle: float) -> np.ndarray:
    """Columns u_1, u_2: the eigenvectors belonging to eigenvalues[0], eigenvalues[1] of the rotated bowl."""
    a = np.deg2rad(angle)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


class QuadraticReadouts(NamedTuple):
    """Everything the Hessian's spectrum predicts for gradient descent with step ``lr``."""

    eigenvalues: np.ndarray  # ascending
    condition_number: float
    lr: float
    contraction: np.ndarray  # |1 - lr lambda_i|, same order as eigenvalues
    stable_lr_limit: float  # 2 / lambda_max
    notes_lr: float  # 0.99 / alpha_max = 1.98 / lambda_max
    optimal_lr: float  # 2 / (lambda_min + lambda_max)
    rate: float  # max_i |1 - lr lambda_i|
    flattest_rate: float  # |1 - lr lambda_min|
    optimal_rate: float  # (k - 1) / (k + 1)
    notes_flattest_rate: float  # |1 - 1.98 lambda_min / lambda_max|
    momentum_lr: float
    momentum_beta: float
    momentum_optimal_rate: float  # (sqrt(k) - 1) / (sqrt(k) + 1)

    @property
    def stable(self) -> bool:
        return bool(0.0 < self.lr < self.stable_lr_limit)

    def steps_to_shrink(self, factor: float = 1e-6, rate: float | None = None) -> float:
        """Steps for the error to shrink by ``factor`` at ``rate`` (default: the run's rate)."""
        rate = self.rate if rate is None else rate
        if rate <= 0.0:
            return 1.0
        if rate >= 1.0:
            return np.inf
        return float(np.ceil(np.log(factor) / np.log(rate)))


def readouts(eigenvalues, lr: float) -> QuadraticReadouts:
    lam = np.sort(np.asarray(eigenvalues, dtype=float))
    lam_min, lam_max = float(lam[0]), float(lam[-1])
    kappa = lam_max / lam_min
    momentum_lr, momentum_beta = theory.momentum_optimal_settings(lam_min, lam_max)
    return QuadraticReadouts(
        eigenvalues=lam,
        condition_number=kappa,
        lr=float(lr),
        contraction=theory.contraction_factors(lr, lam),
        stable_lr_limit=theory.stable_lr_limit(lam_max),
        notes_lr=0.99 / (lam_max / 2.0),
        optimal_lr=theory.optimal_gd_lr(lam_min, lam_max),
        rate=theory.gd_rate(lr, lam),
        flattest_rate=float(abs(1.0 - lr * lam_min)),
        optimal_rate=theory.gd_optimal_rate(kappa),
        notes_flattest_rate=float(abs(1.0 - 1.98 * lam_min / lam_max)),
        momentum_lr=momentum_lr,
        momentum_beta=momentum_beta,
        momentum_optimal_rate=theory.momentum_optimal_rate(kappa),
    )


# ---- measured quantities ------------------------------------------------------------------------

def eigen_errors(path, angle: float, center=(0.0, 0.0)) -> np.ndarray:
    """(T, 2): e_i(t) = u_i . (theta_t - theta*), the error split into the two eigen-directions."""
    return (np.asarray(path, dtype=float) - np.asarray(center, dtype=float)) @ eigenvectors(angle)


def predicted_eigen_errors(lr: float, eigenvalues, initial_error, steps: int) -> np.ndarray:
    """(steps + 1, 2): (1 - lr lambda_i)^t e_i(0)."""
    return theory.gd_error_along_eigenvectors(lr, eigenvalues, initial_error, steps)


def predicted_loss(lr: float, eigenvalues, initial_error, steps: int) -> np.ndarray:
    """1/2 sum_i lambda_i (1 - lr lambda_i)^(2t) e_i(0)^2."""
    errors = predicted_eigen_errors(lr, eigenvalues, initial_error, steps)
    return 0.5 * np.sum(np.asarray(eigenvalues, dtype=float)[None, :] * errors**2, axis=1)


def heavy_ball_errors(lr: float, beta: float, eigenvalues, initial_error, steps: int) -> np.ndarray:
    """(steps + 1, 2): the exact heavy-ball error along each eigenvector from rest (v_0 = 0):
    e_1 = (1 - lr lambda) e_0, e_{t+1} = (1 + beta - lr lambda) e_t - beta e_{t-1}."""
    lam = np.asarray(eigenvalues, dtype=float)
    e = np.zeros((steps + 1, lam.size))
    e[0] = np.asarray(initial_error, dtype=float)
    if steps >= 1:
        e[1] = (1.0 - lr * lam) * e[0]
    for t in range(1, steps):
        e[t + 1] = (1.0 + beta - lr * lam) * e[t] - beta * e[t - 1]
    return e


def heavy_ball_rate(lr, beta, eigenvalues) -> np.ndarray:
    """Largest |root| of z^2 - (1 + beta - lr lambda) z + beta = 0 over the eigenvalues, for arrays
    ``lr`` and ``beta`` of any (broadcastable) shape: heavy ball's asymptotic rate per step."""
    lr = np.asarray(lr, dtype=float)[..., None]
    beta = np.asarray(beta, dtype=float)[..., None]
    lam = np.asarray(eigenvalues, dtype=float)
    b = 1.0 + beta - lr * lam
    root = np.sqrt((b**2 - 4.0 * beta).astype(complex))
    radius = np.maximum(np.abs((b + root) / 2.0), np.abs((b - root) / 2.0))
    return radius.max(axis=-1)


def momentum_stability_limit(beta, lambda_max: float) -> np.ndarray:
    """Heavy ball is stable for 0 < lr < 2 (1 + beta) / lambda_max (and 0 <= beta < 1)."""
    return 2.0 * (1.0 + np.asarray(beta, dtype=float)) / lambda_max


def measured_rates(distances, valid_lengths, relative_floor: float = RELATIVE_FLOOR) -> np.ndarray:
    """Per-step contraction of the distance to the minimum, measured on runs (S, T+1).

    Over the part of each run before the distance reaches ``relative_floor`` x its start (rounding
    level), take the second half and compare the largest distance in its last quarter of the run with
    the largest in the quarter before: rate = (M_late / M_early)^(1 / gap). Taking maxima makes the
    measure insensitive to momentum's oscillations; on a monotone run it is the exact geometric-mean
    contraction. Runs that diverged get inf.
    """
    d = np.atleast_2d(np.asarray(distances, dtype=float))
    valid_lengths = np.atleast_1d(np.asarray(valid_lengths))
    S, T1 = d.shape
    rates = np.full(S, np.inf)
    for s in range(S):
        n = int(valid_lengths[s])
        if n < T1:
            continue
        run = d[s]
        start = run[0]
        if start == 0.0:
            rates[s] = 0.0
            continue
        below = np.flatnonzero(run <= relative_floor * start)
        end = int(below[0]) if below.size else T1
        if end < 8:
            rates[s] = float((max(run[end - 1], relative_floor * start) / start) ** (1.0 / max(end - 1, 1))) if end > 1 else 0.0
            continue
        q = end // 4
        early = run[end - 2 * q : end - q].max()
        late = run[end - q : end].max()
        rates[s] = float((late / early) ** (1.0 / q))
    return rates


class RateMap(NamedTuple):
    lrs: np.ndarray  # (n_lr,)
    betas: np.ndarray  # (n_beta,)
    measured: np.ndarray  # (n_beta, n_lr); inf where the run diverged
    predicted: np.ndarray  # (n_beta, n_lr) heavy ball's spectral radius
    diverged: np.ndarray  # (n_beta, n_lr) bool


def rate_map(eigenvalues, angle: float, lrs, betas, start, n_steps: int = 200) -> RateMap:
    """Heavy-ball momentum at every (lr, beta) of the grid, all runs in ONE vectorized jitted call
    (``run_trajectories`` with per-trajectory overrides), and the rate each run measured."""
    landscape = quadratic_landscape(eigenvalues, angle)
    lrs, betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
    LR, BETA = np.meshgrid(lrs, betas)
    S = LR.size
    starts = np.repeat(np.asarray(start, dtype=float)[None, :], S, axis=0)
    traj = run_trajectories(landscape, "momentum", starts, RunSettings(n_steps=int(n_steps), bound=1e6),
                            overrides={"lr": LR.ravel(), "momentum": BETA.ravel()})
    return rate_map_from(traj, eigenvalues, lrs, betas)


def rate_map_from(traj, eigenvalues, lrs, betas) -> RateMap:
    lengths = np.array([traj.valid_length(i) for i in range(traj.params.shape[0])])
    distances = np.linalg.norm(traj.params, axis=-1)
    measured = measured_rates(distances, lengths).reshape(len(betas), len(lrs))
    LR, BETA = np.meshgrid(lrs, betas)
    predicted = heavy_ball_rate(LR, BETA, eigenvalues)
    return RateMap(lrs, betas, measured, predicted, ~np.isfinite(measured))


def rate_map_axes(lambda_max: float, n_lr: int, n_beta: int, beta_max: float = 0.98):
    """lr from just above 0 to 4.2 / lambda_max (past the largest stable lr, 4 / lambda_max at beta -> 1);
    beta from 0 to ``beta_max``."""
    lr_max = 4.2 / lambda_max
    return np.linspace(lr_max / n_lr, lr_max, n_lr), np.linspace(0.0, beta_max, n_beta)


def run_quadratic(eigenvalues, angle: float, optimizer: str, lr: float, n_steps: int, start, beta: float = 0.0):
    """One run of ``optimizer`` ("sgd" or "momentum") on the exact bowl: Trajectories with S = 1."""
    landscape = quadratic_landscape(eigenvalues, angle)
    return run_trajectories(landscape, optimizer, [tuple(start)],
                            RunSettings(lr=float(lr), momentum=float(beta), n_steps=int(n_steps), bound=1e6))
