"""Analytic two-parameter surfaces, each written as a mean over N samples.

Every sample adds a linear term a_n . theta with sum_n a_n = 0, so the mean over all samples is
exactly the textbook surface while a minibatch sees a tilted copy of it: its gradient is an
unbiased, genuinely noisy estimate of the full gradient (the Hessian is unchanged).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import CriticalPoint, Landscape, zero_mean_perturbations

DEFAULT_SAMPLES = 64


def _with_noise(surface):
    """Per-sample loss l_n(theta) = surface(theta) + a_n . theta, with the rows a_n of ``sample``."""

    def sample_loss(theta, sample, params):
        return surface(theta, params) + jnp.dot(sample, theta)

    sample_loss.__name__ = surface.__name__ + "_sample_loss"
    sample_loss.__doc__ = surface.__doc__
    return sample_loss


def _samples(n_samples: int, noise: float, seed: int):
    return jnp.asarray(zero_mean_perturbations(n_samples, noise, seed))


# ---- surfaces -------------------------------------------------------------------------------

def rotation(angle_degrees):
    a = jnp.deg2rad(angle_degrees)
    return jnp.array([[jnp.cos(a), -jnp.sin(a)], [jnp.sin(a), jnp.cos(a)]])


def quadratic_surface(theta, params):
    """L = 1/2 (theta - c)^T R diag(lambda) R^T (theta - c): Hessian eigenvalues are exactly lambda."""
    R = rotation(params["angle"])
    H = R @ jnp.diag(params["eigenvalues"]) @ R.T
    d = theta - params["center"]
    return 0.5 * d @ H @ d


def saddle_surface(theta, params):
    """L = x^2 - y^2: a minimum along x, a maximum along y."""
    x, y = theta
    return x**2 - y**2


def monkey_saddle_surface(theta, params):
    """L = x^3 - 3 x y^2: three valleys meet at a flat point (the Hessian there is zero)."""
    x, y = theta
    return x**3 - 3 * x * y**2


def cliff_surface(theta, params):
    """A gentle bowl below a high terrace whose edge is a near-vertical wall.

    L = 1/4 ((x - 1.5)^2 + 2 y^2) + h * (1 - tanh((x - x_edge(y)) / w)) / 2 with x_edge(y) = -0.5 + 0.2 y.
    On the wall the slope is about h / (2 w) (400 by default), over a hundred times the bowl's steepest
    (about 3, at the domain's corners): the kind of step a product of large weights through a rectifier makes.
    """
    x, y = theta
    bowl = 0.25 * ((x - 1.5) ** 2 + 2.0 * y**2)
    edge = -0.5 + 0.2 * y
    wall = params["height"] * 0.5 * (1.0 - jnp.tanh((x - edge) / params["width"]))
    return bowl + wall


def plateau_surface(theta, params):
    """L = 1 - exp(-|theta - m|^2 / (2 s^2)) + 0.002 |theta|^2: a narrow well in a nearly flat plain."""
    d = theta - jnp.array([1.0, 0.5])
    return 1.0 - jnp.exp(-(d @ d) / (2 * params["width"] ** 2)) + 0.002 * (theta @ theta)


def rosenbrock_surface(theta, params):
    """L = (1 - x)^2 + 100 (y - x^2)^2: a curved, narrow valley with its minimum at (1, 1)."""
    x, y = theta
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def himmelblau_surface(theta, params):
    """L = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima of equal height, four saddles, one maximum."""
    x, y = theta
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def six_hump_camel_surface(theta, params):
    """L = (4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2: six minima, two of them global."""
    x, y = theta
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def beale_surface(theta, params):
    """L = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2: flat arms, sharp walls, minimum (3, 0.5)."""
    x, y = theta
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


#: The analytic surfaces in one fixed order. Every analytic landscape uses the same per-sample loss,
#: ``analytic_sample_loss``, which picks its surface with ``params["surface"]`` (a traced integer):
#: all nine landscapes then share every compiled program (trajectories, grids, curvature) instead
#: of compiling nine copies of each (see programs.py for why the count of programs matters).
SURFACES = (
    quadratic_surface, saddle_surface, monkey_saddle_surface, cliff_surface, plateau_surface,
    rosenbrock_surface, himmelblau_surface, six_hump_camel_surface, beale_surface,
)


def analytic_surface(theta, params):
    """The surface number params["surface"] of SURFACES at theta (the mean of the per-sample losses)."""
    return jax.lax.switch(params["surface"], SURFACES, theta, params)


analytic_sample_loss = _with_noise(analytic_surface)


def surface_params(surface, eigenvalues=(1.0, 1.0), angle=0.0, center=(0.0, 0.0), height=0.0, width=1.0) -> dict:
    """The params every analytic landscape passes: one structure for all, so programs are shared.

    Fields a surface does not read keep their neutral defaults.
    """
    return {
        "surface": jnp.asarray(SURFACES.index(surface), jnp.int32),
        "eigenvalues": jnp.asarray(eigenvalues, dtype=jnp.float64),
        "angle": jnp.asarray(float(angle)),
        "center": jnp.asarray(center, dtype=jnp.float64),
        "height": jnp.asarray(float(height)),
        "width": jnp.asarray(float(width)),
    }


# ---- factories ------------------------------------------------------------------------------

def quadratic_corridor(
    eigenvalues=(1.0, 20.0), angle=30.0, center=(0.0, 0.0), noise=1.0, n_samples=DEFAULT_SAMPLES, seed=0
) -> Landscape:
    """Ill-conditioned quadratic built from its Hessian's eigenvalues and a rotation angle (degrees)."""
    lam = np.asarray(eigenvalues, dtype=float)
    kind = "minimum" if np.all(lam > 0) else ("maximum" if np.all(lam < 0) else "saddle")
    kappa = lam.max() / max(abs(lam.min()), 1e-300)
    return Landscape(
        key="quadratic",
        title="Quadratic corridor",
        description=(
            f"A rotated bowl with Hessian eigenvalues {lam[0]:g} and {lam[1]:g} (condition number {kappa:.3g}): "
            "steep walls across the corridor, a shallow slope along it."
        ),
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(quadratic_surface, eigenvalues=lam, angle=angle, center=center),
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        default_start=(-2.5, 2.0),
        critical_points=(CriticalPoint(float(center[0]), float(center[1]), kind, 0.0, "centre"),),
        settings={"eigenvalues": tuple(lam), "angle": angle, "noise": noise, "n_samples": n_samples},
    )


def saddle(noise=0.5, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="saddle",
        title="Saddle x² − y²",
        description="Curves up along x and down along y: a critical point that is neither a minimum nor a maximum.",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(saddle_surface),
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        default_start=(-1.8, 0.02),
        critical_points=(CriticalPoint(0.0, 0.0, "saddle", 0.0, "saddle"),),
        log_contours=False,
        settings={"noise": noise, "n_samples": n_samples},
    )


def monkey_saddle(noise=0.5, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="monkey_saddle",
        title="Monkey saddle x³ − 3xy²",
        description="Three downhill valleys meet at a perfectly flat point: the Hessian there is zero, so curvature cannot tell its type.",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(monkey_saddle_surface),
        domain=((-1.5, 1.5), (-1.5, 1.5)),
        default_start=(0.8, 0.1),
        critical_points=(CriticalPoint(0.0, 0.0, "saddle", 0.0, "monkey saddle (H = 0)"),),
        log_contours=False,
        settings={"noise": noise, "n_samples": n_samples},
    )


def cliff(height=4.0, width=0.005, noise=0.1, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="cliff",
        title="Cliff",
        description=(
            "A shallow bowl under a high terrace whose edge is a near-vertical wall: on the wall the gradient is "
            f"about {height / (2 * width):.0f}, elsewhere at most about 3. One plain gradient step there can fling the parameters far away."
        ),
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(cliff_surface, height=height, width=width),
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        default_start=(-2.5, 1.0),
        critical_points=(CriticalPoint(1.5, 0.0, "minimum", 0.0, "minimum"),),
        log_contours=False,
        settings={"height": height, "width": width, "noise": noise, "n_samples": n_samples},
    )


def plateau(width=0.6, noise=0.01, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="plateau",
        title="Plateau",
        description="A narrow well in a vast, almost flat plain: far from the well the gradient is nearly zero and plain GD crawls.",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(plateau_surface, width=width),
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        default_start=(-2.5, -2.0),
        critical_points=(),
        log_contours=False,
        settings={"width": width, "noise": noise, "n_samples": n_samples},
    )


def rosenbrock(noise=2.0, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="rosenbrock",
        title="Rosenbrock valley",
        description="A long, curved, narrow valley: easy to fall into, slow to follow to the minimum at (1, 1).",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(rosenbrock_surface),
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        default_start=(-1.5, 2.0),
        critical_points=(CriticalPoint(1.0, 1.0, "minimum", 0.0, "global minimum"),),
        settings={"noise": noise, "n_samples": n_samples},
    )


def himmelblau(noise=2.0, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    saddles = [(0.086677, 2.884254), (3.385154, 0.073852), (-3.073026, -0.081353), (-0.127961, -1.953715)]
    points = [CriticalPoint(x, y, "minimum", None, "minimum") for x, y in minima]
    points += [CriticalPoint(x, y, "saddle", None, "saddle") for x, y in saddles]
    points.append(CriticalPoint(-0.270845, -0.923039, "maximum", None, "maximum"))
    return Landscape(
        key="himmelblau",
        title="Himmelblau (four minima)",
        description="Four minima of exactly equal loss, separated by saddles around one central maximum: where you end depends on where you start.",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(himmelblau_surface),
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        default_start=(-0.5, 0.5),
        critical_points=tuple(points),
        settings={"noise": noise, "n_samples": n_samples},
    )


def six_hump_camel(noise=0.3, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="six_hump_camel",
        title="Six-hump camel (local minima)",
        description="Two global minima and four worse local ones: a start in the wrong basin settles for a worse answer.",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(six_hump_camel_surface),
        domain=((-2.0, 2.0), (-1.2, 1.2)),
        default_start=(-1.5, 1.0),
        critical_points=(),
        log_contours=False,
        settings={"noise": noise, "n_samples": n_samples},
    )


def beale(noise=1.0, n_samples=DEFAULT_SAMPLES, seed=0) -> Landscape:
    return Landscape(
        key="beale",
        title="Beale",
        description="Flat arms and very steep walls: gradients span many orders of magnitude. Minimum at (3, 0.5).",
        sample_loss=analytic_sample_loss,
        surface=analytic_surface,
        samples=_samples(n_samples, noise, seed),
        params=surface_params(beale_surface),
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        default_start=(-2.0, -2.0),
        critical_points=(CriticalPoint(3.0, 0.5, "minimum", 0.0, "global minimum"),),
        settings={"noise": noise, "n_samples": n_samples},
    )


__all__ = [
    "SURFACES",
    "analytic_surface",
    "analytic_sample_loss",
    "surface_params",
    "quadratic_corridor",
    "saddle",
    "monkey_saddle",
    "cliff",
    "plateau",
    "rosenbrock",
    "himmelblau",
    "six_hump_camel",
    "beale",
    "rotation",
]
