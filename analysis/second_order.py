"""Second-order methods on two-parameter landscapes: the scenes the lab shows, the Newton step's
anatomy at a point, nonlinear conjugate gradient, and iterations to a tolerance.

Newton's step solves H p = -g: on a quadratic bowl it lands on the minimum from anywhere; near a
saddle it lands on the saddle (it goes to the nearest critical point of the local quadratic, whatever
its kind); where an eigenvalue of H is nearly zero, 1 / lambda is huge and so is the step.

Nonlinear conjugate gradient (Polak-Ribiere+, restarted whenever the direction is not downhill):

    beta_t = max(0, g_t . (g_t - g_{t-1}) / |g_{t-1}|^2),   d_t = -g_t + beta_t d_{t-1}
    theta_{t+1} = theta_t + alpha_t d_t

with alpha_t from a line search: first the minimiser of the local quadratic along d_t,
alpha = -g.d / (d^T H d) (one Hessian-vector product, never the Hessian itself), then halved until the
Armijo condition f(theta + alpha d) <= f(theta) + 1e-4 alpha g.d holds. On a quadratic in n dimensions
with exact line searches it reaches the minimum in n steps (here 2).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from analysis.curvature import curvature_at
from landscapes import get_landscape
from landscapes.base import Landscape, mean_loss
from optimizers import RunSettings, run_trajectories
from optimizers.engine import MAX_STEPS, Trajectories


class Scene(NamedTuple):
    title: str
    landscape_key: str
    settings: tuple  # sorted (name, value) items for get_landscape
    start: tuple[float, float]
    lesson: str


SCENES = {
    "quadratic": Scene(
        "Quadratic bowl: one step from anywhere", "quadratic", (("angle", 30.0), ("eigenvalues", (1.0, 20.0))),
        (-2.5, 2.0),
        "On a quadratic the local model is the function itself, so the Newton step lands exactly on the minimum, "
        "whatever the start and however ill-conditioned the bowl.",
    ),
    "rosenbrock": Scene(
        "Non-quadratic valley: a few steps", "rosenbrock", (), (-1.2, 1.0),
        "Away from a quadratic, each step jumps to the minimum of the local quadratic model; a handful of steps "
        "reach the minimum, and near it the number of correct digits roughly doubles per step.",
    ),
    "saddle": Scene(
        "Near a saddle: Newton walks onto it", "saddle", (), (-1.2, 0.6),
        "Newton's step goes to the critical point of the local quadratic, and here that is the saddle: it "
        "reaches a point of zero gradient that is not a minimum. Saddle-free Newton uses |H| instead, so "
        "negative curvature pushes it downhill and away.",
    ),
    "flat": Scene(
        "Near-zero curvature: the step explodes", "plateau", (), (1.6, 0.5),
        "On the rim of the well the curvature along the radius passes through zero. The gradient is not small "
        "there, so H⁻¹g divides it by a tiny eigenvalue and the step flies far across the plain.",
    ),
}

#: Methods compared on each scene; "conjugate_gradient" is run by ``run_conjugate_gradient``.
METHODS = ("sgd", "adam", "newton", "damped_newton", "saddle_free_newton", "bfgs", "conjugate_gradient")
CG_NAME = "Nonlinear CG"


def scene_landscape(key: str) -> Landscape:
    scene = SCENES[key]
    return get_landscape(scene.landscape_key, **dict(scene.settings))


class NewtonStep(NamedTuple):
    point: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray  # ascending
    step: np.ndarray  # -H^{-1} g
    step_length: float
    landing: np.ndarray
    kind: str  # the Hessian's type at the point


def newton_step_at(landscape: Landscape, point) -> NewtonStep:
    """The pure Newton step -H^{-1} g at ``point`` and where it lands."""
    point = np.asarray(point, dtype=float)
    g = np.asarray(landscape.gradient(point))
    H = np.asarray(landscape.hessian(point))
    curv = curvature_at(landscape, point)
    with np.errstate(all="ignore"):
        try:
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.full(2, np.inf)
    return NewtonStep(point, g, H, np.asarray(curv.eigenvalues), step, float(np.linalg.norm(step)), point + step,
                      str(curv.kind_names()))


# ---- nonlinear conjugate gradient ------------------------------------------------------------------

BACKTRACKS = 40


@bounded_jit(static_argnums=(0, 1))
def _conjugate_gradient(sample_loss, n_steps, start, samples, params, bound, max_step):
    f = lambda theta: mean_loss(sample_loss, theta, samples, params)  # noqa: E731
    grad = jax.grad(f)

    def step(carry, t):
        theta, d_prev, g_prev, started, status, diverged_at = carry
        loss, g = jax.value_and_grad(f)(theta)
        beta = jnp.where(started, jnp.maximum(0.0, g @ (g - g_prev) / jnp.maximum(g_prev @ g_prev, 1e-300)), 0.0)
        d = -g + beta * d_prev
        d = jnp.where(d @ g < 0.0, d, -g)
        slope = g @ d
        curvature = d @ jax.jvp(grad, (theta,), (d,))[1]
        d_norm = jnp.maximum(jnp.linalg.norm(d), 1e-300)
        alpha0 = jnp.where(curvature > 0.0, -slope / jnp.where(curvature > 0.0, curvature, 1.0), max_step / d_norm)
        alpha0 = jnp.minimum(alpha0, max_step / d_norm)
        alphas = alpha0 * 0.5 ** jnp.arange(BACKTRACKS)
        trial = jax.vmap(lambda a: f(theta + a * d))(alphas)
        ok = jnp.isfinite(trial) & (trial <= loss + 1e-4 * alphas * slope)
        alpha = jnp.where(jnp.any(ok), alphas[jnp.argmax(ok)], 0.0)
        new_theta = theta + alpha * d

        alive = status == 0
        bad_here = jnp.where(~jnp.isfinite(loss), 1, jnp.where(~jnp.all(jnp.isfinite(g)), 4, 0))
        bad_next = jnp.where(~jnp.all(jnp.isfinite(new_theta)), 2, jnp.where(jnp.any(jnp.abs(new_theta) > bound), 3, 0))
        status_now = jnp.where(alive, bad_here, status)
        ok_here = status_now == 0
        status_next = jnp.where(ok_here, bad_next, status_now).astype(jnp.int32)
        diverged_at = jnp.where(alive & (bad_here != 0), t, jnp.where(ok_here & (bad_next != 0), t + 1, diverged_at))
        keep = status_next == 0
        record = (theta, loss, jnp.linalg.norm(g), alpha)
        carry = (jnp.where(keep, new_theta, theta), jnp.where(keep, d, d_prev), jnp.where(keep, g, g_prev),
                 jnp.array(True), status_next, diverged_at.astype(jnp.int32))
        return carry, record

    init = (start, jnp.zeros_like(start), jnp.zeros_like(start), jnp.array(False), jnp.asarray(0, jnp.int32),
            jnp.asarray(n_steps + 1, jnp.int32))
    (_, _, _, _, status, diverged_at), records = jax.lax.scan(step, init, jnp.arange(n_steps + 1, dtype=jnp.int32))
    return records, status, diverged_at


def run_conjugate_gradient(landscape: Landscape, start, n_steps: int = 100) -> Trajectories:
    """Nonlinear CG from ``start``, packaged like the engine's output (S = 1; ``lr`` holds the
    line-search step alpha_t)."""
    n_steps = int(np.clip(n_steps, 1, MAX_STEPS))
    (x0, x1), (y0, y1) = landscape.domain
    size = max(x1 - x0, y1 - y0)
    records, status, diverged_at = _conjugate_gradient(
        landscape.sample_loss, n_steps, jnp.asarray(start, dtype=jnp.float64), landscape.samples, landscape.params,
        jnp.asarray(1000.0 * size), jnp.asarray(2.0 * size))
    thetas, losses, gnorms, alphas = (np.asarray(r)[None] for r in records)
    diverged_at = np.minimum(np.asarray(diverged_at).reshape(1), n_steps + 1)
    status = np.where(diverged_at <= n_steps, np.asarray(status).reshape(1), 0)
    return Trajectories(thetas, losses, gnorms, gnorms.copy(), alphas, diverged_at, status)


# ---- comparing methods ----------------------------------------------------------------------------

def run_method(landscape: Landscape, method: str, start, settings: RunSettings) -> Trajectories:
    if method == "conjugate_gradient":
        return run_conjugate_gradient(landscape, start, settings.n_steps)
    return run_trajectories(landscape, method, [tuple(start)], settings)


def iterations_to_tolerance(traj: Trajectories, tolerance: float = 1e-6) -> int | None:
    """First iteration at which the full gradient's norm is at most ``tolerance`` (None if never
    reached before the run ended or diverged)."""
    hits = np.flatnonzero(traj.grad_norms(0) <= tolerance)
    return int(hits[0]) if hits.size else None

