"""What a landscape is: a loss over two parameters that is a mean over samples.

    L(theta) = (1/N) * sum_n l(theta, sample_n; params)

The per-sample loss ``sample_loss(theta, sample, params)`` is a plain module-level function, so the
trajectory engine can compile it once and reuse the compiled code for every dataset and every
setting of ``params`` (both are passed as traced arrays, never baked into the program).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

SampleLoss = Callable[[jax.Array, jax.Array, dict], jax.Array]


class CriticalPoint(NamedTuple):
    """A point where the gradient vanishes, with its type read from the Hessian's eigenvalues."""

    x: float
    y: float
    kind: str  # "minimum", "saddle", "maximum" or "degenerate"
    loss: float | None = None
    label: str = ""

    @property
    def point(self) -> np.ndarray:
        return np.array([self.x, self.y])


@dataclass(frozen=True, eq=False)
class Landscape:
    """A loss surface over theta = (x, y) defined as a mean of per-sample losses.

    ``samples`` is an (N, k) array, one row per sample; ``params`` a dict of scalars or arrays that
    shape the surface (eigenvalues, rotation, regularisation...). ``sample_loss`` must be a
    module-level function so that its identity is stable across reruns.
    """

    key: str
    title: str
    description: str
    sample_loss: SampleLoss
    samples: jax.Array
    params: dict
    domain: tuple[tuple[float, float], tuple[float, float]]
    default_start: tuple[float, float]
    critical_points: tuple[CriticalPoint, ...] = ()
    axis_labels: tuple[str, str] = ("x", "y")
    log_contours: bool = True
    settings: dict = field(default_factory=dict)
    #: For surfaces whose samples only tilt them (l_n = surface + sample_n . theta, the analytic
    #: ones): the noise-free ``surface(theta, params)``. The engine then evaluates the full loss in
    #: closed form and a minibatch gradient as grad surface + the batch's mean tilt, instead of
    #: differentiating every sample. None for surfaces that are genuine means over data.
    surface: Callable | None = None

    # ---- the loss and its derivatives -------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def data(self) -> tuple[jax.Array, dict]:
        """The traced inputs of the loss: (samples, params)."""
        return self.samples, self.params

    def per_sample_losses(self, theta) -> jax.Array:
        return per_sample_losses(self.sample_loss, jnp.asarray(theta, dtype=jnp.float64), self.samples, self.params)

    def loss(self, theta) -> np.ndarray:
        """Mean loss at one point (2,) or at many points (..., 2), as NumPy."""
        return self._at_points(_batched_mean_loss, theta, ())

    def gradient(self, theta) -> np.ndarray:
        return self._at_points(_batched_gradient, theta, (2,))

    def hessian(self, theta) -> np.ndarray:
        return self._at_points(_batched_hessian, theta, (2, 2))

    def _at_points(self, batched, theta, trailing: tuple) -> np.ndarray:
        """Apply a compiled batched function to points (..., 2), padded to ``padded_length`` points so
        that paths of every length share a few compiled programs (no recompile per length)."""
        theta = np.asarray(theta, dtype=np.float64)
        flat = theta.reshape(-1, 2)
        n = flat.shape[0]
        padded = np.zeros((padded_length(n), 2))
        padded[:n] = flat
        values = np.asarray(batched(self.sample_loss, jnp.asarray(padded), self.samples, self.params))[:n]
        return values.reshape(theta.shape[:-1] + trailing)

    def minibatch_gradient(self, theta, indices) -> jax.Array:
        """Gradient of the mean loss over the samples ``indices`` only."""
        batch = self.samples[jnp.asarray(indices)]
        return jax.grad(mean_loss, argnums=1)(self.sample_loss, jnp.asarray(theta, dtype=jnp.float64), batch, self.params)

    def grid(self, resolution: int = 120):
        """Loss on a regular grid over the plotting domain: (xs, ys, Z) with Z[i, j] = L(xs[j], ys[i])."""
        (x0, x1), (y0, y1) = self.domain
        xs = np.linspace(x0, x1, resolution)
        ys = np.linspace(y0, y1, resolution)
        X, Y = np.meshgrid(xs, ys)
        Z = np.asarray(self.loss(np.stack([X, Y], axis=-1)))
        return xs, ys, Z

    def minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(p for p in self.critical_points if p.kind == "minimum")

    def with_critical_points(self, points) -> "Landscape":
        return replace(self, critical_points=tuple(points))


#: Lengths that point batches are padded to: 1 + each trajectory step bucket, so every prefix of a
#: trajectory (the step scrubber) and the whole trajectory share one compiled program.
PADDED_LENGTHS = (1, 51, 101, 201, 501, 1001, 2001, 5001)


def padded_length(n: int) -> int:
    for length in PADDED_LENGTHS:
        if n <= length:
            return length
    return 1 << (n - 1).bit_length()


# ---- compiled building blocks (module level: compiled once per sample_loss and shape) ---------

def mean_loss(sample_loss: SampleLoss, theta, samples, params):
    return jnp.mean(jax.vmap(sample_loss, in_axes=(None, 0, None))(theta, samples, params))


def weighted_loss(sample_loss: SampleLoss, theta, samples, params, weights):
    """sum_n weights_n * l_n(theta): a minibatch mean when weights are 1/B on the batch, 0 elsewhere."""
    losses = jax.vmap(sample_loss, in_axes=(None, 0, None))(theta, samples, params)
    return jnp.sum(weights * losses)


@bounded_jit(static_argnums=0)
def per_sample_losses(sample_loss, theta, samples, params):
    return jax.vmap(sample_loss, in_axes=(None, 0, None))(theta, samples, params)


@bounded_jit(static_argnums=0)
def _batched_mean_loss(sample_loss, thetas, samples, params):
    return jax.vmap(mean_loss, in_axes=(None, 0, None, None))(sample_loss, thetas, samples, params)


@bounded_jit(static_argnums=0)
def _batched_gradient(sample_loss, thetas, samples, params):
    grad = jax.grad(mean_loss, argnums=1)
    return jax.vmap(grad, in_axes=(None, 0, None, None))(sample_loss, thetas, samples, params)


@bounded_jit(static_argnums=0)
def _batched_hessian(sample_loss, thetas, samples, params):
    hess = jax.hessian(mean_loss, argnums=1)
    return jax.vmap(hess, in_axes=(None, 0, None, None))(sample_loss, thetas, samples, params)


def zero_mean_perturbations(n_samples: int, scale: float, seed: int = 0) -> np.ndarray:
    """N rows a_n in R^2 with mean exactly zero: adding a_n . theta to each sample's loss keeps
    the mean loss equal to the analytic surface while making minibatch gradients noisy."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_samples, 2))
    a -= a.mean(axis=0)
    return scale * a
