"""Batch normalization and layer normalization, written like their formulas.

Batch normalization of a layer's values v (rows = the examples of a minibatch, columns = units):

    mu_k      = (1/B) sum_n v_nk                       per-unit mean over the minibatch
    sigma2_k  = (1/B) sum_n (v_nk - mu_k)^2            per-unit (biased) variance over the minibatch
    v_hat_nk  = (v_nk - mu_k) / sqrt(sigma2_k + eps)   mean 0, variance sigma2/(sigma2 + eps) ~ 1
    y_nk      = gamma_k v_hat_nk + beta_k              learned scale and shift (start at 1 and 0)

A minibatch given as rows with weights w_n in {0, 1} (the training code gathers a fixed number of
rows and weights the ones in the batch) uses B = sum_n w_n and weighted sums.

Evaluation mode has no minibatch: it standardizes with running averages kept during training,
exponentially weighted moving averages of the minibatch statistics,

    running_mean <- rho running_mean + (1 - rho) mu
    running_var  <- rho running_var  + (1 - rho) sigma2          (rho = MOMENTUM = 0.9)

starting from mean 0 and variance 1 (so a fresh network in evaluation mode is almost the plain one).

Layer normalization standardizes each example over the units of the layer instead (the same in
training and evaluation, no running averages):

    mu_n = (1/K) sum_k v_nk,   sigma2_n = (1/K) sum_k (v_nk - mu_n)^2,   y_nk = gamma_k (v_nk - mu_n) / sqrt(sigma2_n + eps) + beta_k

Works on JAX arrays and tracers (and NumPy arrays, returning JAX ones).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

EPS = 1e-5
MOMENTUM = 0.9  # rho of the running averages (PyTorch's momentum = 1 - rho = 0.1)
NORMALIZATIONS = ("none", "batch", "layer")
POSITIONS = ("before", "after")  # normalize z before the activation, or the activation's output


class Running(NamedTuple):
    """Running averages of one batch-normalized layer (per unit)."""

    mean: object
    var: object


def batch_statistics(values, weights=None):
    """(mu, sigma2): per-unit mean and biased variance over the rows (weighted by 0/1 ``weights``)."""
    if weights is None:
        mean = jnp.mean(values, axis=0)
        return mean, jnp.mean((values - mean) ** 2, axis=0)
    count = jnp.sum(weights)
    mean = weights @ values / count
    return mean, weights @ (values - mean) ** 2 / count


def standardize(values, mean, var, eps=EPS):
    """(v - mu) / sqrt(sigma2 + eps)."""
    return (values - mean) / jnp.sqrt(var + eps)


def batch_norm(values, gamma, beta, weights=None, eps=EPS):
    """Training mode: (gamma * standardized + beta, (mu, sigma2) of this minibatch)."""
    mean, var = batch_statistics(values, weights)
    return gamma * standardize(values, mean, var, eps) + beta, (mean, var)


def batch_norm_evaluation(values, gamma, beta, running: Running, eps=EPS):
    """Evaluation mode: standardized with the running averages instead of the batch's statistics."""
    return gamma * standardize(values, running.mean, running.var, eps) + beta


def update_running(running: Running, batch_mean, batch_var, momentum=MOMENTUM) -> Running:
    """One step of the exponentially weighted moving averages."""
    return Running(momentum * running.mean + (1 - momentum) * batch_mean,
                   momentum * running.var + (1 - momentum) * batch_var)


def initial_running(width: int, xp=jnp) -> Running:
    return Running(xp.zeros(width), xp.ones(width))


def layer_norm(values, gamma, beta, eps=EPS):
    """Each example (row) standardized over its units, then scaled and shifted per unit."""
    mean = jnp.mean(values, axis=-1, keepdims=True)
    var = jnp.mean((values - mean) ** 2, axis=-1, keepdims=True)
    return gamma * standardize(values, mean, var, eps) + beta
