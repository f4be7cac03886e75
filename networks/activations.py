"""Activation functions of hidden units, their derivatives, and where they saturate.

Each function works on NumPy arrays (returning NumPy, so analysis code compiles no XLA program)
and on JAX arrays or tracers (returning JAX), so the network's forward pass and the Initialization
page's NumPy experiments share one definition.

    sigmoid(z)    = 1 / (1 + e^-z)            sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))
    tanh(z)                                   tanh'(z)    = 1 - tanh(z)^2
    relu(z)       = max(z, 0)                 relu'(z)    = 1 if z > 0 else 0
    leaky_relu(z) = z if z > 0 else 0.01 z    derivative  = 1 or 0.01
    prelu(z; a)   = z if z > 0 else a z       d/dz = 1 or a;  d/da = 0 or z   (a is learned, He et al. 2015)
    linear(z)     = z                         linear'(z)  = 1

Saturation (the derivative is nearly zero, so the unit barely learns): |tanh(z)| > 0.99, or
sigmoid(z) outside [0.01, 0.99]. ReLU-type and linear units do not saturate; a ReLU unit instead
*dies* when z <= 0 on every input (see ``networks.model``).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np

LEAKY_SLOPE = 0.01
PRELU_INITIAL_SLOPE = 0.25
TANH_SATURATION = 0.99
SIGMOID_SATURATION = (0.01, 0.99)


def _xp(z):
    """NumPy for NumPy inputs, jax.numpy for JAX arrays and tracers."""
    return np if isinstance(z, (np.ndarray, np.generic, float, int)) else jnp


def sigmoid(z):
    """1 / (1 + e^-z), written as (1 + tanh(z/2)) / 2, which never overflows."""
    return 0.5 * (1.0 + _xp(z).tanh(0.5 * z))


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return _xp(z).tanh(z)


def tanh_derivative(z):
    return 1.0 - _xp(z).tanh(z) ** 2


def relu(z):
    """max(z, 0), written as a ``where`` so that autodiff gives relu'(0) = 0 like ``relu_derivative``
    (the gradient of ``maximum`` at a tie is 1/2; z = 0 exactly happens after a dead layer)."""
    return _xp(z).where(z > 0, z, 0.0)


def relu_derivative(z):
    return _xp(z).where(z > 0, 1.0, 0.0)


def leaky_relu(z, slope=LEAKY_SLOPE):
    return _xp(z).where(z > 0, z, slope * z)


def leaky_relu_derivative(z, slope=LEAKY_SLOPE):
    return _xp(z).where(z > 0, 1.0, slope)


def prelu(z, slope):
    """z for z > 0, a z otherwise; the slope a is a parameter (one per unit)."""
    return _xp(z).where(z > 0, z, slope * z)


def prelu_derivative(z, slope):
    return _xp(z).where(z > 0, 1.0, slope)


def prelu_slope_derivative(z):
    """d prelu / d a = z where z <= 0, else 0."""
    return _xp(z).where(z > 0, 0.0, z)


def linear(z):
    return z


def linear_derivative(z):
    return _xp(z).ones_like(z)


def tanh_saturated(x):
    """Units whose output is in tanh's flat tails: |x| > 0.99."""
    return _xp(x).abs(x) > TANH_SATURATION


def sigmoid_saturated(x):
    """Units whose output is in the sigmoid's flat tails: x < 0.01 or x > 0.99."""
    low, high = SIGMOID_SATURATION
    return (x < low) | (x > high)


def never_saturated(x):
    return _xp(x).zeros_like(x, dtype=bool)


class Activation(NamedTuple):
    key: str
    name: str
    function: Callable  # x = f(z) (PReLU also takes the slope)
    derivative: Callable  # f'(z)
    saturated: Callable  # boolean mask over activations x
    latex: str
    has_parameter: bool = False
    can_die: bool = False  # exactly zero gradient for z <= 0


ACTIVATIONS: dict[str, Activation] = {
    a.key: a
    for a in (
        Activation("sigmoid", "Sigmoid", sigmoid, sigmoid_derivative, sigmoid_saturated,
                   r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
        Activation("tanh", "tanh", tanh, tanh_derivative, tanh_saturated, r"\tanh(z)"),
        Activation("relu", "ReLU", relu, relu_derivative, never_saturated, r"\max(z, 0)", can_die=True),
        Activation("leaky_relu", "Leaky ReLU", leaky_relu, leaky_relu_derivative, never_saturated,
                   r"\max(z, 0.01 z)"),
        Activation("prelu", "PReLU", prelu, prelu_derivative, never_saturated,
                   r"\max(z, a z),\ a \text{ learned}", has_parameter=True),
        Activation("linear", "Linear", linear, linear_derivative, never_saturated, "z"),
    )
}


def activate(key: str, z, slope=None):
    """x = f(z) for the activation ``key`` (``slope`` is PReLU's learned a)."""
    activation = ACTIVATIONS[key]
    return activation.function(z, slope) if activation.has_parameter else activation.function(z)


def activation_derivative(key: str, z, slope=None):
    """f'(z) for the activation ``key``."""
    activation = ACTIVATIONS[key]
    return activation.derivative(z, slope) if activation.has_parameter else activation.derivative(z)
