"""Activations: formulas, derivatives against autodiff, saturation thresholds, NumPy in / NumPy out."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import networks.model  # noqa: F401  (float64)
from networks.activations import ACTIVATIONS, activate, activation_derivative, sigmoid, sigmoid_saturated, tanh_saturated

Z = np.linspace(-6, 6, 241) + 1e-3  # avoid the kink at exactly 0


@pytest.mark.parametrize("key", sorted(ACTIVATIONS))
def test_derivative_matches_autodiff(key):
    slope = 0.3
    autodiff = jax.vmap(jax.grad(lambda z: activate(key, z, slope)))(jnp.asarray(Z))
    np.testing.assert_allclose(activation_derivative(key, Z, slope), np.asarray(autodiff), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("key", sorted(ACTIVATIONS))
def test_numpy_inputs_give_numpy_outputs(key):
    assert isinstance(activate(key, Z, 0.25), np.ndarray)
    assert isinstance(activation_derivative(key, Z, 0.25), np.ndarray)


def test_sigmoid_is_the_logistic_function_and_never_overflows():
    np.testing.assert_allclose(sigmoid(Z), 1 / (1 + np.exp(-Z)), rtol=1e-13)
    with np.errstate(all="raise"):
        assert sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_relu_family_values():
    z = np.array([-2.0, 0.5])
    assert activate("relu", z).tolist() == [0.0, 0.5]
    assert activate("leaky_relu", z).tolist() == [-0.02, 0.5]
    assert activate("prelu", z, 0.25).tolist() == [-0.5, 0.5]
    assert activate("linear", z).tolist() == [-2.0, 0.5]


def test_saturation_thresholds():
    assert tanh_saturated(np.array([0.99, 0.991, -0.995, 0.5])).tolist() == [False, True, True, False]
    assert sigmoid_saturated(np.array([0.009, 0.01, 0.5, 0.99, 0.995])).tolist() == [True, False, False, False, True]
    assert not np.any(ACTIVATIONS["relu"].saturated(np.array([0.0, 100.0])))
