"""First-order optimizers: each update reads like its formula.

Notation: theta parameters, g the (minibatch) gradient at theta, lr the learning rate at this step,
t the step counter starting at 1 for the bias corrections. Conventions, and how they map to optax
(checked step by step in tests/test_optimizers_vs_optax.py):

- SGD:       theta <- theta - lr g                                          == optax.sgd(lr)
- Momentum:  v <- beta v + g;  theta <- theta - lr v                        == optax.sgd(lr, momentum=beta)
             (the notes write v <- gamma v + eta g; theta <- theta - v: the same path with v_notes = lr v)
- Nesterov:  v <- beta v + g;  theta <- theta - lr (g + beta v)             == optax.sgd(lr, momentum=beta, nesterov=True)
             (the look-ahead form  v <- beta v - lr g(theta + beta v)  rewritten so the gradient is taken at
             the current parameters)
- AdaGrad:   r <- r + g^2;  theta <- theta - lr g / sqrt(r + eps), r_0 = 0  == optax.adagrad(lr, 0, eps)
- RMSProp:   r <- rho r + (1 - rho) g^2;  theta <- theta - lr g / (sqrt(r) + eps)
                                                                            == optax.rmsprop(lr, rho, eps, eps_in_sqrt=False)
- Adam:      m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2;  m^ = m/(1-b1^t);  s^ = s/(1-b2^t)
             theta <- theta - lr m^ / (sqrt(s^) + eps)                        == optax.adam(lr, b1, b2, eps)
- AdamW:     Adam plus decoupled weight decay: theta <- theta - lr (m^/(sqrt(s^) + eps) + wd theta)
                                                                            == optax.adamw(lr, b1, b2, eps, weight_decay=wd)
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class SgdState(NamedTuple):
    pass


def sgd_init(theta):
    return SgdState()


def sgd_update(g, state, theta, hyper, hessian=None):
    """theta <- theta - lr * g"""
    return theta - hyper["lr"] * g, state


class MomentumState(NamedTuple):
    velocity: jax.Array


def momentum_init(theta):
    return MomentumState(velocity=jnp.zeros_like(theta))


def momentum_update(g, state, theta, hyper, hessian=None):
    """v <- beta * v + g;  theta <- theta - lr * v   (heavy ball)"""
    v = hyper["momentum"] * state.velocity + g
    return theta - hyper["lr"] * v, MomentumState(v)


class NesterovState(NamedTuple):
    velocity: jax.Array


def nesterov_init(theta):
    return NesterovState(velocity=jnp.zeros_like(theta))


def nesterov_update(g, state, theta, hyper, hessian=None):
    """v <- beta * v + g;  theta <- theta - lr * (g + beta * v)   (look-ahead folded into the step)"""
    v = hyper["momentum"] * state.velocity + g
    return theta - hyper["lr"] * (g + hyper["momentum"] * v), NesterovState(v)


class AdagradState(NamedTuple):
    sum_of_squares: jax.Array


def adagrad_init(theta):
    return AdagradState(sum_of_squares=jnp.zeros_like(theta))


def adagrad_update(g, state, theta, hyper, hessian=None):
    """r <- r + g^2;  theta <- theta - lr * g / sqrt(r + eps)"""
    r = state.sum_of_squares + g**2
    return theta - hyper["lr"] * g / jnp.sqrt(r + hyper["eps"]), AdagradState(r)


class RmspropState(NamedTuple):
    mean_square: jax.Array


def rmsprop_init(theta):
    return RmspropState(mean_square=jnp.zeros_like(theta))


def rmsprop_update(g, state, theta, hyper, hessian=None):
    """r <- rho * r + (1 - rho) * g^2;  theta <- theta - lr * g / (sqrt(r) + eps)"""
    rho = hyper["beta2"]
    r = rho * state.mean_square + (1 - rho) * g**2
    return theta - hyper["lr"] * g / (jnp.sqrt(r) + hyper["eps"]), RmspropState(r)


class AdamState(NamedTuple):
    count: jax.Array
    first_moment: jax.Array
    second_moment: jax.Array


def adam_init(theta):
    return AdamState(count=jnp.zeros((), jnp.int32), first_moment=jnp.zeros_like(theta), second_moment=jnp.zeros_like(theta))


def adam_update(g, state, theta, hyper, hessian=None):
    """m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2;  theta <- theta - lr * m^ / (sqrt(s^) + eps)"""
    b1, b2 = hyper["beta1"], hyper["beta2"]
    t = state.count + 1
    m = b1 * state.first_moment + (1 - b1) * g
    s = b2 * state.second_moment + (1 - b2) * g**2
    m_hat = m / (1 - b1**t)
    s_hat = s / (1 - b2**t)
    return theta - hyper["lr"] * m_hat / (jnp.sqrt(s_hat) + hyper["eps"]), AdamState(t, m, s)


class AdamwState(NamedTuple):
    count: jax.Array
    first_moment: jax.Array
    second_moment: jax.Array


def adamw_init(theta):
    return AdamwState(count=jnp.zeros((), jnp.int32), first_moment=jnp.zeros_like(theta), second_moment=jnp.zeros_like(theta))


def adamw_update(g, state, theta, hyper, hessian=None):
    """Adam's step plus decoupled weight decay:  theta <- theta - lr * (m^ / (sqrt(s^) + eps) + wd * theta)"""
    adam_theta, adam_state = adam_update(g, AdamState(*state), theta, hyper)
    return adam_theta - hyper["lr"] * hyper["weight_decay"] * theta, AdamwState(*adam_state)
