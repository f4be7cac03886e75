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


class NewtonState(NamedTuple):
    pass


def newton_init(theta):
    return NewtonState()


def newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * H^-1 g"""
    return theta - hyper["lr"] * jnp.linalg.solve(hessian, g), state


class DampedNewtonState(NamedTuple):
    pass


def damped_newton_init(theta):
    return DampedNewtonState()


def damped_newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * (H + mu I)^-1 g"""
    damped = hessian + hyper["damping"] * jnp.eye(theta.shape[0])
    return theta - hyper["lr"] * jnp.linalg.solve(damped, g), state


class SaddleFreeNewtonState(NamedTuple):
    pass


def saddle_free_newton_init(theta):
    return SaddleFreeNewtonState()


def saddle_free_newton_update(g, state, theta, hyper, hessian):
    """theta <- theta - lr * (|H| + mu I)^-1 g  with |H| = V |Lambda| V^T"""
    eigenvalues, eigenvectors = jnp.linalg.eigh(hessian)
    abs_hessian = eigenvectors @ jnp.diag(jnp.abs(eigenvalues) + hyper["damping"]) @ eigenvectors.T
    return theta - hyper["lr"] * jnp.linalg.solve(abs_hessian, g), state


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
