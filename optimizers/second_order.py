"""Second-order methods: use the Hessian H (or an estimate of it) to rescale the gradient.

- Newton:            theta <- theta - lr H^-1 g             (lr = 1 is the pure Newton step)
- Damped Newton:     theta <- theta - lr (H + mu I)^-1 g    (Levenberg damping mu: a trust-region-like brake)
- Saddle-free Newton: theta <- theta - lr (|H| + mu I)^-1 g, |H| = V |Lambda| V^T
                      (flip negative curvature so the step always goes downhill: Dauphin et al. 2014)
- BFGS:              theta <- theta - lr B g, where B approximates H^-1 from the gradient changes
                      s = theta_t - theta_{t-1}, y = g_t - g_{t-1}; no Hessian is ever computed.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


# ---- 2 x 2 linear algebra in closed form ------------------------------------------------------
# The lab's parameters are two numbers. Inside a compiled loop, a general solver or eigensolver is a
# library call per step, many times the cost of the few multiplications a 2 x 2 system needs; other
# sizes (the high-dimensional saddle studies) use the general routines.

def solve(A, b):
    """x with A x = b: for 2 x 2, Cramer's rule x = adj(A) b / det(A)."""
    if A.shape != (2, 2):
        return jnp.linalg.solve(A, b)
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    return jnp.stack([A[1, 1] * b[0] - A[0, 1] * b[1], A[0, 0] * b[1] - A[1, 0] * b[0]]) / det


def symmetric_eigh(H):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix: for 2 x 2,
    H = V diag(m - r, m + r) V^T with m the mean of the diagonal, r = |((h_xx - h_yy)/2, h_xy)| and
    V the rotation by phi, tan(2 phi) = 2 h_xy / (h_xx - h_yy)."""
    if H.shape != (2, 2):
        return jnp.linalg.eigh(H)
    h_xy = 0.5 * (H[0, 1] + H[1, 0])
    half_gap = 0.5 * (H[0, 0] - H[1, 1])
    m, r = 0.5 * (H[0, 0] + H[1, 1]), jnp.hypot(half_gap, h_xy)
    phi = 0.5 * jnp.arctan2(h_xy, half_gap)
    c, s = jnp.cos(phi), jnp.sin(phi)
    return jnp.stack([m - r, m + r]), jnp.array([[-s, c], [c, s]])


class NewtonState(NamedTuple):
    pass


def newton_init(theta):
    return NewtonState()


def newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * H^-1 g"""
    return theta - hyper["lr"] * solve(hessian, g), state


class DampedNewtonState(NamedTuple):
    pass


def damped_newton_init(theta):
    return DampedNewtonState()


def damped_newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * (H + mu I)^-1 g"""
    damped = hessian + hyper["damping"] * jnp.eye(theta.shape[0])
    return theta - hyper["lr"] * solve(damped, g), state


class SaddleFreeNewtonState(NamedTuple):
    pass


def saddle_free_newton_init(theta):
    return SaddleFreeNewtonState()


def saddle_free_newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * (|H| + mu I)^-1 g  with |H| = V |Lambda| V^T"""
    eigenvalues, eigenvectors = symmetric_eigh(hessian)
    # (|H| + mu I)^-1 g = V diag(1 / (|lambda| + mu)) V^T g
    step = eigenvectors @ ((eigenvectors.T @ g) / (jnp.abs(eigenvalues) + hyper["damping"]))
    return theta - hyper["lr"] * step, state


class BfgsState(NamedTuple):
    inverse_hessian: jax.Array
    previous_theta: jax.Array
    previous_gradient: jax.Array
    started: jax.Array


def bfgs_init(theta):
    return BfgsState(jnp.zeros((theta.shape[0],) * 2), jnp.zeros_like(theta), jnp.zeros_like(theta), jnp.array(False))


def bfgs_update(g, state, theta, hyper, hessian=None):
    """s = theta - theta_prev, y = g - g_prev, rho = 1 / (y.s);
    B <- (I - rho s y^T) B (I - rho y s^T) + rho s s^T  (only when y.s > 0);  theta <- theta - lr * B g

    Before any curvature is seen, B = I * 0.1 / |g| (a short probe step); at the first update B is
    rescaled to (y.s / y.y) I, the usual initial guess (Nocedal & Wright, eq. 6.20).
    """
    I = jnp.eye(theta.shape[0])
    s = theta - state.previous_theta
    y = g - state.previous_gradient
    curvature = y @ s
    has_curvature = state.started & (curvature > 1e-12)
    rho = 1.0 / jnp.where(has_curvature, curvature, 1.0)
    first_update = state.started & jnp.all(state.inverse_hessian == 0)
    initial_scale = jnp.where(has_curvature, curvature / jnp.maximum(y @ y, 1e-300), 0.1 / jnp.maximum(jnp.linalg.norm(g), 1e-12))
    B = jnp.where(first_update, initial_scale * I, state.inverse_hessian)
    B_updated = (I - rho * jnp.outer(s, y)) @ B @ (I - rho * jnp.outer(y, s)) + rho * jnp.outer(s, s)
    B = jnp.where(has_curvature, B_updated, B)
    probe = 0.1 / jnp.maximum(jnp.linalg.norm(g), 1e-12) * I
    B_step = jnp.where(state.started, B, probe)
    return theta - hyper["lr"] * B_step @ g, BfgsState(jnp.where(state.started, B, 0.0 * I), theta, g, jnp.array(True))
