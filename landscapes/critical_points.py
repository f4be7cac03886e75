"""Find and classify critical points (grad L = 0) of a two-parameter landscape numerically.

Newton's method applied to the gradient, g(theta) = 0, converges to minima, saddles and maxima
alike, so running it from a grid of starts finds them all; the Hessian's eigenvalues then say
which kind each one is.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from landscapes.base import CriticalPoint, Landscape, mean_loss

CRITICAL_GRADIENT_TOLERANCE = 1e-8


def classify_eigenvalues(eigenvalues, tolerance: float = 1e-9) -> str:
    """'minimum' if all eigenvalues > 0, 'maximum' if all < 0, 'saddle' if both signs, else 'degenerate'."""
    lam = np.asarray(eigenvalues, dtype=float)
    scale = max(float(np.max(np.abs(lam))), 1.0)
    positive = lam > tolerance * scale
    negative = lam < -tolerance * scale
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    if positive.any() and negative.any():
        return "saddle"
    return "degenerate"


@bounded_jit(static_argnums=(0, 4))
def _newton_on_gradient(sample_loss, starts, samples, params, iterations, max_step):
    grad = jax.grad(mean_loss, argnums=1)
    hess = jax.hessian(mean_loss, argnums=1)

    def solve_one(theta):
        def body(_, theta):
            g = grad(sample_loss, theta, samples, params)
            H = hess(sample_loss, theta, samples, params)
            step = jnp.linalg.solve(H, g)
            norm = jnp.linalg.norm(step)
            step = jnp.where(norm > max_step, step * max_step / norm, step)
            new = theta - step
            return jnp.where(jnp.all(jnp.isfinite(new)), new, theta)

        theta = jax.lax.fori_loop(0, iterations, body, theta)
        g = grad(sample_loss, theta, samples, params)
        H = hess(sample_loss, theta, samples, params)
        return theta, jnp.linalg.norm(g), jnp.linalg.eigvalsh(H), mean_loss(sample_loss, theta, samples, params)

    return jax.vmap(solve_one)(starts)


def find_critical_points(landscape: Landscape, grid: int = 21, iterations: int = 60, extra_starts=()) -> list[CriticalPoint]:
    """All critical points reached by Newton-on-the-gradient from a grid over the domain (and extra starts)."""
    (x0, x1), (y0, y1) = landscape.domain
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    if len(extra_starts):
        starts = np.concatenate([starts, np.asarray(extra_starts, dtype=float).reshape(-1, 2)])
    max_step = 0.25 * max(x1 - x0, y1 - y0)
    thetas, gnorms, eigs, losses = _newton_on_gradient(
        landscape.sample_loss, jnp.asarray(starts), landscape.samples, landscape.params, iterations, max_step
    )
    thetas, gnorms, eigs, losses = map(np.asarray, (thetas, gnorms, eigs, losses))
    margin = 0.02 * max(x1 - x0, y1 - y0)
    inside = (
        (thetas[:, 0] >= x0 - margin) & (thetas[:, 0] <= x1 + margin)
        & (thetas[:, 1] >= y0 - margin) & (thetas[:, 1] <= y1 + margin)
    )
    ok = inside & (gnorms < CRITICAL_GRADIENT_TOLERANCE) & np.all(np.isfinite(eigs), axis=1)
    found: list[CriticalPoint] = []
    for theta, lam, loss in zip(thetas[ok], eigs[ok], losses[ok]):
        if any(np.hypot(theta[0] - p.x, theta[1] - p.y) < 1e-5 * max(1.0, np.abs(theta).max()) for p in found):
            continue
        found.append(CriticalPoint(float(theta[0]), float(theta[1]), classify_eigenvalues(lam), float(loss)))
    return sorted(found, key=lambda p: (["minimum", "saddle", "maximum", "degenerate"].index(p.kind), p.loss))


def complete_critical_points(landscape: Landscape) -> Landscape:
    """Refine the landscape's listed critical points and add those found numerically.

    A listed point keeps its label; its coordinates become the refined ones. A listed point whose
    Hessian is singular (the monkey saddle) is kept as given.
    """
    known = landscape.critical_points
    found = find_critical_points(landscape, extra_starts=[p.point for p in known])
    merged: list[CriticalPoint] = []
    used = set()
    for p in known:
        nearest = min(range(len(found)), key=lambda i: np.hypot(found[i].x - p.x, found[i].y - p.y), default=None)
        if nearest is not None and np.hypot(found[nearest].x - p.x, found[nearest].y - p.y) < 1e-3:
            f = found[nearest]
            used.add(nearest)
            merged.append(CriticalPoint(f.x, f.y, f.kind if f.kind != "degenerate" else p.kind, f.loss, p.label or f.kind))
        else:
            loss = float(landscape.loss(p.point))
            merged.append(CriticalPoint(p.x, p.y, p.kind, loss, p.label))
    for i, f in enumerate(found):
        if i not in used:
            merged.append(f._replace(label=f.kind))
    return landscape.with_critical_points(merged)
