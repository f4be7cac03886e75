"""Loss landscapes over two parameters, each a mean over samples.

    >>> from landscapes import get_landscape, LANDSCAPES
    >>> rosen = get_landscape("rosenbrock")
    >>> rosen.loss([1.0, 1.0]), rosen.gradient([0.0, 0.0]), rosen.hessian([1.0, 1.0])
    >>> [p for p in rosen.critical_points if p.kind == "minimum"]
"""

from __future__ import annotations

from functools import lru_cache

from landscapes import analytic, networks, regression
from landscapes.base import CriticalPoint, Landscape
from landscapes.critical_points import classify_eigenvalues, complete_critical_points, find_critical_points

#: Every landscape by key: (title, factory). The factory's keyword arguments are its settings.
LANDSCAPES = {
    "quadratic": ("Quadratic corridor (ill-conditioned)", analytic.quadratic_corridor),
    "rosenbrock": ("Rosenbrock valley", analytic.rosenbrock),
    "saddle": ("Saddle x² − y²", analytic.saddle),
    "monkey_saddle": ("Monkey saddle x³ − 3xy²", analytic.monkey_saddle),
    "cliff": ("Cliff", analytic.cliff),
    "plateau": ("Plateau", analytic.plateau),
    "himmelblau": ("Himmelblau (four minima)", analytic.himmelblau),
    "six_hump_camel": ("Six-hump camel (local minima)", analytic.six_hump_camel),
    "beale": ("Beale", analytic.beale),
    "two_layer_linear": ("Two-layer linear network", networks.two_layer_linear),
    "two_layer_tanh": ("Two-layer tanh network", networks.two_layer_tanh),
    "linear_regression": ("Linear regression (slope, intercept)", regression.linear_regression),
    "logistic_regression": ("Logistic regression (2 weights)", regression.logistic_regression),
}


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def get_landscape(key: str, **settings) -> Landscape:
    """Build the landscape ``key`` with the given settings, its critical points found and classified.

    Results are cached per (key, settings), so calling this again is free.
    """
    if key not in LANDSCAPES:
        raise KeyError(f"unknown landscape {key!r}; choose one of {sorted(LANDSCAPES)}")
    return _cached_landscape(key, tuple(sorted((k, _freeze(v)) for k, v in settings.items())))


@lru_cache(maxsize=256)
def _cached_landscape(key, frozen_settings):
    factory = LANDSCAPES[key][1]
    return complete_critical_points(factory(**dict(frozen_settings)))


__all__ = [
    "LANDSCAPES",
    "Landscape",
    "CriticalPoint",
    "get_landscape",
    "find_critical_points",
    "classify_eigenvalues",
]
