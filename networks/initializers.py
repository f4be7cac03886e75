"""Initialization schemes for a layer's weights W (shape n_in x n_out, z = x W + b) and biases b.

Each scheme is a NumPy draw from a ``numpy.random.Generator`` (no XLA program is compiled, and a seed
reproduces it exactly). The variance law of the notes, Var(z) = n_in Var(W) Var(x), is what the
scaled schemes keep at one:

    zeros                 W = 0
    constant              W = c
    uniform(a)            W ~ U(-a, a)                         Var(W) = a^2 / 3
    normal(variance)      W ~ N(0, sigma^2)                    Var(W) = sigma^2
    lecun_normal          W ~ N(0, 1 / n_in)                   n_in Var(W) = 1
    glorot_uniform        W ~ U(-a, a), a = sqrt(6 / (n_in + n_out))   Var(W) = 2 / (n_in + n_out)
    glorot_normal         W ~ N(0, 2 / (n_in + n_out))
    he_normal             W ~ N(0, 2 / n_in)                   n_in Var(W) = 2 (ReLU halves the variance)

``gain`` multiplies the standard deviation of the scaled schemes (the "init scale" slider).
Biases are initialized separately: zero, a constant, or a negative constant (which kills ReLU units).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np


def zeros(rng, n_in, n_out):
    return np.zeros((n_in, n_out))


def constant(rng, n_in, n_out, value=0.5):
    return np.full((n_in, n_out), float(value))


def uniform(rng, n_in, n_out, a=0.05):
    """W ~ U(-a, a)."""
    return rng.uniform(-a, a, size=(n_in, n_out))


def normal(rng, n_in, n_out, variance=1.0):
    """W ~ N(0, variance)."""
    return math.sqrt(variance) * rng.standard_normal((n_in, n_out))


def lecun_normal(rng, n_in, n_out, gain=1.0):
    """W ~ N(0, gain^2 / n_in)."""
    return gain * math.sqrt(1.0 / n_in) * rng.standard_normal((n_in, n_out))


def glorot_uniform(rng, n_in, n_out, gain=1.0):
    """W ~ U(-a, a) with a = gain sqrt(6 / (n_in + n_out))."""
    a = gain * math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out))


def glorot_normal(rng, n_in, n_out, gain=1.0):
    """W ~ N(0, 2 gain^2 / (n_in + n_out))."""
    return gain * math.sqrt(2.0 / (n_in + n_out)) * rng.standard_normal((n_in, n_out))


def he_normal(rng, n_in, n_out, gain=1.0):
    """W ~ N(0, 2 gain^2 / n_in)."""
    return gain * math.sqrt(2.0 / n_in) * rng.standard_normal((n_in, n_out))


class WeightScheme(NamedTuple):
    key: str
    name: str
    draw: Callable
    scale_name: str  # what the scheme's one number means
    default_scale: float
    variance: Callable  # (n_in, n_out, scale) -> Var(W) the draw has
    latex: str


WEIGHT_SCHEMES: dict[str, WeightScheme] = {
    s.key: s
    for s in (
        WeightScheme("zeros", "Zeros", lambda rng, i, o, scale: zeros(rng, i, o), "none", 0.0,
                     lambda i, o, scale: 0.0, r"W = 0"),
        WeightScheme("constant", "Constant", lambda rng, i, o, scale: constant(rng, i, o, scale), "value c", 0.5,
                     lambda i, o, scale: 0.0, r"W = c"),
        WeightScheme("uniform", "Uniform ±a", lambda rng, i, o, scale: uniform(rng, i, o, scale), "a", 0.05,
                     lambda i, o, scale: scale**2 / 3.0, r"W \sim U(-a, a)"),
        WeightScheme("normal", "Normal N(0, σ²)", lambda rng, i, o, scale: normal(rng, i, o, scale), "variance σ²",
                     0.01, lambda i, o, scale: scale, r"W \sim \mathcal N(0, \sigma^2)"),
        WeightScheme("lecun_normal", "LeCun", lambda rng, i, o, scale: lecun_normal(rng, i, o, scale), "gain", 1.0,
                     lambda i, o, scale: scale**2 / i, r"W \sim \mathcal N(0, 1/n_{in})"),
        WeightScheme("glorot_uniform", "Glorot / Xavier uniform",
                     lambda rng, i, o, scale: glorot_uniform(rng, i, o, scale), "gain", 1.0,
                     lambda i, o, scale: 2.0 * scale**2 / (i + o),
                     r"W \sim U\left(-\sqrt{6/(n_{in}+n_{out})}, \sqrt{6/(n_{in}+n_{out})}\right)"),
        WeightScheme("glorot_normal", "Glorot / Xavier normal",
                     lambda rng, i, o, scale: glorot_normal(rng, i, o, scale), "gain", 1.0,
                     lambda i, o, scale: 2.0 * scale**2 / (i + o), r"W \sim \mathcal N(0, 2/(n_{in}+n_{out}))"),
        WeightScheme("he_normal", "He", lambda rng, i, o, scale: he_normal(rng, i, o, scale), "gain", 1.0,
                     lambda i, o, scale: 2.0 * scale**2 / i, r"W \sim \mathcal N(0, 2/n_{in})"),
    )
}


def draw_weights(rng, scheme: str, n_in: int, n_out: int, scale: float | None = None) -> np.ndarray:
    """W (n_in x n_out) from ``scheme``; ``scale`` is its one number (a, variance, value or gain)."""
    chosen = WEIGHT_SCHEMES[scheme]
    return chosen.draw(rng, n_in, n_out, chosen.default_scale if scale is None else float(scale))


def weight_variance(scheme: str, n_in: int, n_out: int, scale: float | None = None) -> float:
    """The exact Var(W) of ``draw_weights`` with the same arguments."""
    chosen = WEIGHT_SCHEMES[scheme]
    return float(chosen.variance(n_in, n_out, chosen.default_scale if scale is None else float(scale)))


BIAS_SCHEMES = ("zero", "constant", "negative_constant")


def draw_biases(scheme: str, n_out: int, value: float = 0.1) -> np.ndarray:
    """b (n_out,): zero; a constant ``value``; or the negative constant -|value|."""
    if scheme == "zero":
        return np.zeros(n_out)
    if scheme == "constant":
        return np.full(n_out, float(value))
    if scheme == "negative_constant":
        return np.full(n_out, -abs(float(value)))
    raise KeyError(f"unknown bias scheme {scheme!r}; choose one of {BIAS_SCHEMES}")
