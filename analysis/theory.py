"""Closed-form predictions for gradient methods on a quadratic with Hessian eigenvalues lambda_i.

On L = 1/2 theta^T H theta, gradient descent multiplies the error along eigenvector i by
(1 - lr lambda_i) every step, so
- it is stable iff |1 - lr lambda_i| < 1 for all i, i.e. 0 < lr < 2 / lambda_max;
- its rate is max_i |1 - lr lambda_i|, smallest at lr* = 2 / (lambda_min + lambda_max), where it is
  (kappa - 1) / (kappa + 1) with kappa = lambda_max / lambda_min;
- heavy-ball momentum (v <- beta v + g, theta <- theta - lr v) at its best setting
  lr = 4 / (sqrt(lambda_max) + sqrt(lambda_min))^2, beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2
  converges at rate (sqrt(kappa) - 1) / (sqrt(kappa) + 1).
"""

from __future__ import annotations

import numpy as np


def stable_lr_limit(lambda_max: float) -> float:
    """GD on the local quadratic diverges for lr > 2 / lambda_max."""
    return 2.0 / lambda_max if lambda_max > 0 else np.inf


def optimal_gd_lr(lambda_min: float, lambda_max: float) -> float:
    return 2.0 / (lambda_min + lambda_max)


def contraction_factors(lr: float, eigenvalues) -> np.ndarray:
    """|1 - lr lambda_i|: how much the error along eigenvector i shrinks per GD step."""
    return np.abs(1.0 - lr * np.asarray(eigenvalues, dtype=float))


def gd_rate(lr: float, eigenvalues) -> float:
    return float(np.max(contraction_factors(lr, eigenvalues)))


def gd_optimal_rate(condition_number: float) -> float:
    return (condition_number - 1.0) / (condition_number + 1.0)


def momentum_optimal_settings(lambda_min: float, lambda_max: float) -> tuple[float, float]:
    """(lr, beta) minimising heavy-ball's rate on the quadratic, in this app's convention."""
    root_kappa = np.sqrt(lambda_max / lambda_min)
    lr = 4.0 / (np.sqrt(lambda_max) + np.sqrt(lambda_min)) ** 2
    beta = ((root_kappa - 1.0) / (root_kappa + 1.0)) ** 2
    return float(lr), float(beta)


def momentum_optimal_rate(condition_number: float) -> float:
    root_kappa = np.sqrt(condition_number)
    return float((root_kappa - 1.0) / (root_kappa + 1.0))


def momentum_rate(lr: float, beta: float, eigenvalues) -> float:
    """Spectral radius of heavy ball's 2x2 iteration matrix, maximised over the eigenvalues.

    Along eigenvector i the error obeys e_{t+1} = (1 + beta - lr lambda_i) e_t - beta e_{t-1}.
    """
    worst = 0.0
    for lam in np.asarray(eigenvalues, dtype=float):
        M = np.array([[1.0 + beta - lr * lam, -beta], [1.0, 0.0]])
        worst = max(worst, float(np.max(np.abs(np.linalg.eigvals(M)))))
    return worst


def gd_error_along_eigenvectors(lr: float, eigenvalues, initial_error, steps: int) -> np.ndarray:
    """(steps + 1, d): the predicted error components (1 - lr lambda_i)^t e_i(0)."""
    t = np.arange(steps + 1)[:, None]
    return (1.0 - lr * np.asarray(eigenvalues, dtype=float))[None, :] ** t * np.asarray(initial_error, dtype=float)[None, :]
