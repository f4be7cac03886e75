"""Early stopping as a prior near the start: gradient descent on least squares against ridge regression.

The model is linear, prediction x . w, and the loss is the mean squared error over n examples

    L(w) = (1 / 2n) ||X w - y||^2,    its Hessian H = X^T X / n (eigenvalues s_i, eigenvectors q_i),
                                       its gradient H w - b with b = X^T y / n.

Gradient descent with step eta from w_0:  w_{t+1} = w_t - eta (H w_t - b).  With w* = H^-1 b the
least-squares solution, w_t - w* = (I - eta H)^t (w_0 - w*), so in each eigen-direction

    q_i . (w_t - w_0) = [1 - (1 - eta s_i)^t] q_i . (w* - w_0)                      (closed form)

Ridge toward w_0 (an L2 penalty centred on the start; w_0 = 0 is ordinary ridge):

    w(lam) = argmin L(w) + (lam / 2) ||w - w_0||^2 = (H + lam I)^-1 (b + lam w_0),
    q_i . (w(lam) - w_0) = [s_i / (s_i + lam)] q_i . (w* - w_0).

Both move from w_0 toward w* by a factor per eigen-direction (a "filter factor"): GD's
f_t(s) = 1 - (1 - eta s)^t, ridge's g_lam(s) = s / (s + lam). With lam = 1 / (eta t) and x = eta s t,
g = x / (1 + x) and, for small eta s, f is close to 1 - e^{-x}. Both are ~x for x << 1 (the
direction has barely moved from w_0: strongly regularized) and ~1 for x >> 1 (converged), and
differ most around x ~ 2.5, by up to ~0.2: early stopping at step t keeps the directions of small
curvature (s_i << 1 / (eta t)) near the start, as ridge with lam = 1 / (eta t) does. Starting near
zero and stopping early is therefore like an L2 penalty.

The bound (tested). For 0 < eta s <= 1, Bernoulli's inequality gives (1 - eta s)^t <= 1 / (1 + x),
so 0 <= f - g; and ln(1 - a) >= -a - a^2 for a <= 1/2 gives f - g <= 1/(1 + x) - e^{-x (1 + a)}
(a = eta s). ``filter_gap_bound`` returns that bound; the weights then differ by at most

    ||w_t - w(1/(eta t))|| <= max_i gap_i * ||w* - w_0||.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: The largest gap between 1 - e^{-x} and x / (1 + x) over x >= 0 (at x ~ 2.51): the small-step limit
#: of the gap between the two filter factors.
CONTINUOUS_GAP = 0.2036


class Problem(NamedTuple):
    X: np.ndarray  # (n, 2)
    y: np.ndarray  # (n,)
    hessian: np.ndarray  # (2, 2) X^T X / n
    b: np.ndarray  # (2,) X^T y / n
    eigenvalues: np.ndarray  # (2,) ascending
    eigenvectors: np.ndarray  # (2, 2) columns
    solution: np.ndarray  # (2,) least squares w*


def least_squares_problem(X, y) -> Problem:
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    H = X.T @ X / n
    b = X.T @ y / n
    s, Q = np.linalg.eigh(H)
    return Problem(X, y, H, b, s, Q, np.linalg.solve(H, b))


def correlated_problem(n: int = 100, correlation: float = 0.9, noise: float = 0.5, true_w=(1.5, -0.5),
                       seed: int = 0) -> Problem:
    """n examples of two standard-normal features with the given correlation, y = x . w_true + noise:
    the Hessian's eigenvalues are about 1 +- correlation, so a strong correlation makes one direction flat."""
    if not -0.99 <= correlation <= 0.99:
        raise ValueError(f"correlation must be within [-0.99, 0.99], got {correlation}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    X = np.stack([z[:, 0], correlation * z[:, 0] + np.sqrt(1 - correlation**2) * z[:, 1]], axis=1)
    y = X @ np.asarray(true_w, dtype=float) + noise * rng.standard_normal(n)
    return least_squares_problem(X, y)


def loss(problem: Problem, W) -> np.ndarray:
    """L(w) at every row of W (..., 2)."""
    W = np.asarray(W, dtype=float)
    residual = W @ problem.X.T - problem.y
    return 0.5 * np.mean(residual**2, axis=-1)


def gd_iterates(problem: Problem, lr: float, steps: int, start=(0.0, 0.0)) -> np.ndarray:
    """Gradient descent iterated step by step: (steps + 1, 2), row t = w_t."""
    w = np.asarray(start, dtype=float).copy()
    path = [w.copy()]
    for _ in range(steps):
        w = w - lr * (problem.hessian @ w - problem.b)
        path.append(w.copy())
    return np.array(path)


def gd_filter(eigenvalues, lr: float, t) -> np.ndarray:
    """f_t(s) = 1 - (1 - eta s)^t for every t (rows) and eigenvalue (columns)."""
    t = np.asarray(t, dtype=float)[..., None]
    return 1.0 - (1.0 - lr * np.asarray(eigenvalues)) ** t


def ridge_filter(eigenvalues, lam) -> np.ndarray:
    """g_lam(s) = s / (s + lam) for every lam (rows) and eigenvalue (columns); lam = inf gives 0."""
    lam = np.asarray(lam, dtype=float)[..., None]
    s = np.asarray(eigenvalues, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isinf(lam), 0.0, s / (s + lam))


def _from_filter(problem: Problem, factors, start) -> np.ndarray:
    start = np.asarray(start, dtype=float)
    Q = problem.eigenvectors
    coefficients = Q.T @ (problem.solution - start)  # (2,)
    return start + (factors * coefficients) @ Q.T


def gd_closed_form(problem: Problem, lr: float, t, start=(0.0, 0.0)) -> np.ndarray:
    """w_t from the eigen-decomposition, for every t: (len(t), 2)."""
    return _from_filter(problem, gd_filter(problem.eigenvalues, lr, t), start)


def ridge_solution(problem: Problem, lam, start=(0.0, 0.0)) -> np.ndarray:
    """w(lam) = (H + lam I)^-1 (b + lam w_0) via the eigen-decomposition, for every lam: (len(lam), 2)."""
    return _from_filter(problem, ridge_filter(problem.eigenvalues, lam), start)


def ridge_direct(problem: Problem, lam: float, start=(0.0, 0.0)) -> np.ndarray:
    """The same by a linear solve (a reference for tests)."""
    start = np.asarray(start, dtype=float)
    return np.linalg.solve(problem.hessian + lam * np.eye(2), problem.b + lam * start)


def matched_lambda(lr: float, t) -> np.ndarray:
    """lam = 1 / (eta t) (inf at t = 0)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(t > 0, 1.0 / (lr * np.maximum(t, 1e-300)), np.inf)


def filter_gap_bound(eigenvalues, lr: float, t) -> np.ndarray:
    """Upper bound of f_t(s) - g_{1/(eta t)}(s) >= 0 for 0 < eta s <= 1/2: 1/(1+x) - e^{-x(1 + eta s)}, x = eta s t."""
    a = lr * np.asarray(eigenvalues, dtype=float)
    x = np.asarray(t, dtype=float)[..., None] * a
    return 1.0 / (1.0 + x) - np.exp(-x * (1.0 + a))


class Correspondence(NamedTuple):
    steps: np.ndarray  # (T + 1,) t = 0..T
    gd_path: np.ndarray  # (T + 1, 2)
    ridge_at_steps: np.ndarray  # (T + 1, 2) w(1 / (eta t))
    distance: np.ndarray  # (T + 1,) ||w_t - w(1/(eta t))|| / ||w* - w_0||
    bound: np.ndarray  # (T + 1,) max_i gap bound (valid when eta s_max <= 1/2)
    gd_factors: np.ndarray  # (T + 1, 2)
    ridge_factors: np.ndarray  # (T + 1, 2)
    ridge_path: np.ndarray  # (K, 2) w(lam) for lam from large to small
    lambdas: np.ndarray  # (K,)
    bound_holds: bool  # eta s_max <= 1/2: the stated bound applies
    converges: bool  # eta s_max < 2: gradient descent converges at all


def gd_vs_ridge(problem: Problem, lr: float, steps: int, start=(0.0, 0.0), n_lambdas: int = 200) -> Correspondence:
    """Both paths and their distance at matched points lam = 1 / (eta t), t = 0..steps."""
    t = np.arange(steps + 1)
    lam = matched_lambda(lr, t)
    gd = gd_closed_form(problem, lr, t, start)
    ridge = ridge_solution(problem, lam, start)
    scale = max(float(np.linalg.norm(problem.solution - np.asarray(start, dtype=float))), 1e-300)
    distance = np.linalg.norm(gd - ridge, axis=1) / scale
    bound = np.max(filter_gap_bound(problem.eigenvalues, lr, t), axis=1)
    s = problem.eigenvalues
    lambdas = np.r_[np.inf, np.geomspace(1e3 * s[-1], 1e-4 * s[0], n_lambdas - 2), 0.0]
    a_max = lr * s[-1]
    return Correspondence(t, gd, ridge, distance, bound, gd_filter(s, lr, t), ridge_filter(s, lam),
                          ridge_solution(problem, lambdas, start), lambdas, bool(a_max <= 0.5), bool(a_max < 2.0))
