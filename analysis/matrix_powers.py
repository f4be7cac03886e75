"""Exploding and vanishing products: one 2 x 2 matrix applied n times, as in a recurrent net.

Build W from its eigen-decomposition W = V diag(lambda) V^-1, where the columns of V are unit
vectors at chosen angles. Then

    W^n = V diag(lambda^n) V^-1,

so along eigenvector i a state is multiplied by lambda_i^n: |lambda_i| > 1 explodes geometrically,
|lambda_i| < 1 vanishes, a negative lambda_i flips sign at every step. A recurrent net multiplies
its hidden state (and, going backwards, its gradient) by the same W at every time step.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

MAX_POWER = 100  # compiled length; the page shows n = 0..N with N <= MAX_POWER
MIN_ANGLE_GAP = 5.0  # degrees between the eigenvectors (V must stay invertible)


def eigenvector_matrix(angle1_degrees, angle2_degrees):
    """V whose columns are the unit vectors at the two angles."""
    a = jnp.deg2rad(jnp.asarray([angle1_degrees, angle2_degrees], dtype=jnp.float64))
    return jnp.stack([jnp.cos(a), jnp.sin(a)])


def matrix_from_eigen(eigenvalues, angle1_degrees, angle2_degrees):
    """(W, V): W = V diag(lambda) V^-1."""
    V = eigenvector_matrix(angle1_degrees, angle2_degrees)
    lam = jnp.asarray(eigenvalues, dtype=jnp.float64)
    return V @ jnp.diag(lam) @ jnp.linalg.inv(V), V


@bounded_jit(static_argnums=(3,))
def powers_by_eigen(eigenvalues, angle1_degrees, angle2_degrees, n_max: int = MAX_POWER):
    """W^n = V diag(lambda^n) V^-1 for n = 0..n_max, shape (n_max + 1, 2, 2)."""
    V = eigenvector_matrix(angle1_degrees, angle2_degrees)
    V_inv = jnp.linalg.inv(V)
    n = jnp.arange(n_max + 1, dtype=jnp.float64)
    lam_n = jnp.asarray(eigenvalues, dtype=jnp.float64)[None, :] ** n[:, None]
    return jnp.einsum("ij,nj,jk->nik", V, lam_n, V_inv)


@bounded_jit(static_argnums=(1,))
def powers_by_products(W, n_max: int = MAX_POWER):
    """W^0, W^1, ..., W^n_max by repeated multiplication (what the recurrent net actually does)."""

    def step(P, _):
        return W @ P, P

    _, out = jax.lax.scan(step, jnp.eye(2, dtype=jnp.float64), None, length=n_max + 1)
    return out


@bounded_jit(static_argnums=(2,))
def hidden_states(W, h0, n_max: int = MAX_POWER):
    """h_n = W^n h_0 for n = 0..n_max: the state of a linear recurrent net with no input."""

    def step(h, _):
        return W @ h, h

    _, out = jax.lax.scan(step, jnp.asarray(h0, dtype=jnp.float64), None, length=n_max + 1)
    return out


def spectral_norms(powers: np.ndarray) -> np.ndarray:
    """||W^n||_2 for each n: the largest factor by which n steps can stretch a vector (or a gradient)."""
    return np.linalg.norm(np.asarray(powers), ord=2, axis=(-2, -1))


def angle_gap_ok(angle1_degrees: float, angle2_degrees: float) -> bool:
    """Eigenvector directions must differ (mod 180 degrees) by at least MIN_ANGLE_GAP."""
    gap = abs((angle1_degrees - angle2_degrees + 90.0) % 180.0 - 90.0)
    return gap >= MIN_ANGLE_GAP
