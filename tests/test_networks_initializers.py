"""Initialization schemes: the empirical variance of a large draw equals the scheme's within its
sampling error; constants are exact; biases separate."""

from __future__ import annotations

import numpy as np
import pytest

from networks.initializers import WEIGHT_SCHEMES, draw_biases, draw_weights, weight_variance

N_IN, N_OUT = 400, 300  # 120,000 weights per draw


def expected_variance(scheme, scale):
    """The textbook formulas, written out independently of the module."""
    return {
        "uniform": scale**2 / 3,
        "normal": scale,
        "lecun_normal": scale**2 / N_IN,
        "glorot_uniform": 2 * scale**2 / (N_IN + N_OUT),
        "glorot_normal": 2 * scale**2 / (N_IN + N_OUT),
        "he_normal": 2 * scale**2 / N_IN,
    }[scheme]


@pytest.mark.parametrize("scheme", ["uniform", "normal", "lecun_normal", "glorot_uniform", "glorot_normal", "he_normal"])
@pytest.mark.parametrize("scale", [0.05, 1.0, 2.5])
def test_random_schemes_have_their_variance_within_sampling_error(scheme, scale):
    W = draw_weights(np.random.default_rng(11), scheme, N_IN, N_OUT, scale)
    variance = expected_variance(scheme, scale)
    assert weight_variance(scheme, N_IN, N_OUT, scale) == pytest.approx(variance, rel=1e-12)
    # standard error of the sample variance: sqrt((mu4 - sigma^4) / N); mu4 = 3 s^4 (normal), 9/5 s^4 (uniform)
    kurtosis = 9 / 5 if "uniform" in scheme else 3.0
    standard_error = variance * np.sqrt((kurtosis - 1) / W.size)
    assert abs(np.var(W) - variance) < 4 * standard_error
    assert abs(np.mean(W)) < 4 * np.sqrt(variance / W.size)


def test_uniform_draws_stay_inside_plus_minus_a():
    W = draw_weights(np.random.default_rng(0), "uniform", 100, 100, 0.5)
    assert W.min() >= -0.5 and W.max() <= 0.5 and W.max() > 0.49
    a = np.sqrt(6 / (100 + 50))
    G = draw_weights(np.random.default_rng(0), "glorot_uniform", 100, 50)
    assert G.min() >= -a and G.max() <= a and G.max() > 0.99 * a


def test_zeros_and_constant_are_exact():
    assert np.all(draw_weights(None, "zeros", 3, 4) == 0)
    assert np.all(draw_weights(None, "constant", 3, 4, 0.7) == 0.7)
    assert weight_variance("constant", 3, 4, 0.7) == 0.0


def test_same_seed_same_draw():
    a = draw_weights(np.random.default_rng(4), "he_normal", 20, 30)
    b = draw_weights(np.random.default_rng(4), "he_normal", 20, 30)
    np.testing.assert_array_equal(a, b)


def test_bias_schemes():
    assert np.all(draw_biases("zero", 5) == 0)
    assert np.all(draw_biases("constant", 5, 0.3) == 0.3)
    assert np.all(draw_biases("negative_constant", 5, 0.3) == -0.3)
    assert np.all(draw_biases("negative_constant", 5, -0.3) == -0.3)
    with pytest.raises(KeyError):
        draw_biases("random", 5)


def test_every_scheme_is_registered_with_a_formula():
    assert set(WEIGHT_SCHEMES) == {"zeros", "constant", "uniform", "normal", "lecun_normal", "glorot_uniform",
                                   "glorot_normal", "he_normal"}
    assert all(s.latex for s in WEIGHT_SCHEMES.values())
