"""W^n = V diag(lambda^n) V^-1 against numpy.linalg.matrix_power and repeated products."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.matrix_powers import (
    MAX_POWER, angle_gap_ok, hidden_states, matrix_from_eigen, powers_by_eigen, powers_by_products, spectral_norms,
)


@pytest.mark.parametrize("eigenvalues, angles", [((1.1, 0.7), (20.0, 80.0)), ((-0.9, 1.05), (0.0, 135.0)),
                                                 ((0.5, 0.0), (10.0, 30.0)), ((1.0, -1.0), (45.0, 100.0))])
def test_eigen_formula_matches_matrix_power(eigenvalues, angles):
    W, V = matrix_from_eigen(np.array(eigenvalues), *angles)
    W = np.asarray(W)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(W).real), np.sort(eigenvalues), atol=1e-12)
    by_eigen = np.asarray(powers_by_eigen(np.array(eigenvalues), *angles))
    by_products = np.asarray(powers_by_products(W))
    assert by_eigen.shape == (MAX_POWER + 1, 2, 2)
    for n in (0, 1, 2, 7, 30, MAX_POWER):
        reference = np.linalg.matrix_power(W, n)
        scale = max(1.0, np.abs(reference).max())
        np.testing.assert_allclose(by_eigen[n], reference, atol=1e-9 * scale)
        np.testing.assert_allclose(by_products[n], reference, atol=1e-9 * scale)


def test_eigenvalues_of_the_built_matrix_and_the_growth_rate():
    W, V = matrix_from_eigen(np.array([1.2, 0.5]), 30.0, 120.0)
    np.testing.assert_allclose(sorted(np.linalg.eigvals(np.asarray(W)).real), [0.5, 1.2], atol=1e-12)
    norms = spectral_norms(powers_by_eigen(np.array([1.2, 0.5]), 30.0, 120.0))
    assert norms[60] / norms[59] == pytest.approx(1.2, rel=1e-6)  # explodes like 1.2^n
    vanish = spectral_norms(powers_by_eigen(np.array([0.9, 0.5]), 30.0, 120.0))
    assert vanish[MAX_POWER] < 1e-3


def test_hidden_states_follow_w_to_the_n():
    W, _ = matrix_from_eigen(np.array([1.05, -0.8]), 10.0, 70.0)
    h = np.asarray(hidden_states(W, np.array([1.0, 0.5])))
    np.testing.assert_allclose(h[25], np.linalg.matrix_power(np.asarray(W), 25) @ [1.0, 0.5], rtol=1e-10)


def test_moving_the_eigenvalues_does_not_recompile():
    powers_by_eigen(np.array([1.0, 0.5]), 0.0, 90.0)
    before = powers_by_eigen._cache_size()
    for lam in ([1.3, 0.2], [-0.7, 0.9]):
        powers_by_eigen(np.array(lam), 12.0, 77.0)
    assert powers_by_eigen._cache_size() == before


def test_angle_gap():
    assert angle_gap_ok(0, 90) and not angle_gap_ok(10, 12) and not angle_gap_ok(0, 178)
