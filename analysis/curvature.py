"""Curvature readouts: the Hessian's eigen-decomposition at many points at once.

For a 2x2 symmetric Hessian H = V diag(lambda) V^T (eigenvalues ascending):
- condition number  kappa = max_i |lambda_i| / min_i |lambda_i|  (inf when an eigenvalue is 0); at a
  minimum this is lambda_max / lambda_min, and it stays meaningful (>= 1) at saddles and maxima
- the number of negative eigenvalues, and the point's type from the signs:
  all > 0 minimum-like (convex here), mixed saddle-like, all < 0 maximum-like.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from landscapes.base import Landscape, mean_loss, padded_length

CURVATURE_TYPES = ("bowl (all curvatures > 0)", "saddle (mixed signs)", "dome (all curvatures < 0)", "flat direction (a zero curvature)")


class Curvature(NamedTuple):
    eigenvalues: np.ndarray  # (..., 2) ascending
    eigenvectors: np.ndarray  # (..., 2, 2), column j belongs to eigenvalue j
    condition_number: np.ndarray  # (...,) max |lambda| / min |lambda|
    n_negative: np.ndarray  # (...,)
    kind: np.ndarray  # (...,) index into CURVATURE_TYPES

    @property
    def lambda_max(self) -> np.ndarray:
        return self.eigenvalues[..., -1]

    @property
    def lambda_min(self) -> np.ndarray:
        return self.eigenvalues[..., 0]

    def kind_names(self) -> np.ndarray:
        return np.asarray(CURVATURE_TYPES, dtype=object)[self.kind]


@bounded_jit(static_argnums=0)
def _eigh_at(sample_loss, thetas, samples, params):
    hess = jax.hessian(mean_loss, argnums=1)
    H = jax.vmap(hess, in_axes=(None, 0, None, None))(sample_loss, thetas, samples, params)
    return jnp.linalg.eigh(H)


def curvature_at(landscape: Landscape, points, tolerance: float = 1e-9) -> Curvature:
    """Eigen-decomposition of the Hessian at every point of ``points`` (..., 2), in one vectorized call."""
    points = np.asarray(points, dtype=float)
    flat = points.reshape(-1, 2)
    # Padded so that paths of every length share a few compiled programs.
    padded = np.zeros((padded_length(flat.shape[0]), 2))
    padded[: flat.shape[0]] = flat
    lam, vec = _eigh_at(landscape.sample_loss, jnp.asarray(padded), landscape.samples, landscape.params)
    lam, vec = np.asarray(lam)[: flat.shape[0]], np.asarray(vec)[: flat.shape[0]]
    return curvature_from_eigen(lam.reshape(points.shape), vec.reshape(points.shape + (2,)), tolerance)


def curvature_from_hessians(hessians, tolerance: float = 1e-9) -> Curvature:
    """The same readouts from Hessians already computed (..., 2, 2), e.g. those a race records at
    every iterate (``Trajectories.hessian``): NumPy's eigh, no compiled program needed."""
    H = np.asarray(hessians, dtype=float)
    lam, vec = np.linalg.eigh(0.5 * (H + np.swapaxes(H, -1, -2)))
    return curvature_from_eigen(lam, vec, tolerance)


def curvature_from_eigen(lam: np.ndarray, vec: np.ndarray, tolerance: float = 1e-9) -> Curvature:
    scale = np.maximum(np.max(np.abs(lam), axis=-1, keepdims=True), 1.0)
    positive = lam > tolerance * scale
    negative = lam < -tolerance * scale
    n_negative = negative.sum(axis=-1)
    kind = np.where(
        positive.all(-1), 0, np.where(negative.all(-1), 2, np.where(positive.any(-1) & negative.any(-1), 1, 3))
    )
    magnitudes = np.abs(lam)
    smallest = magnitudes.min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = magnitudes.max(axis=-1) / smallest
    kappa = np.where(smallest <= tolerance * scale[..., 0], np.inf, kappa)
    return Curvature(lam, vec, kappa, n_negative, kind)


def hessian_of_quadratic(eigenvalues, angle_degrees) -> np.ndarray:
    """R diag(lambda) R^T for a rotation by angle (degrees): the quadratic corridor's exact Hessian."""
    a = np.deg2rad(angle_degrees)
    R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return R @ np.diag(eigenvalues) @ R.T
