"""Toy datasets a student can see, generated in NumPy from a seed (no downloads), as TensorFlow
Playground draws them.

Classification (two inputs, labels t in {0, 1}, half of each): two moons, circles, XOR, spiral, two
Gaussians. Regression (one input): a smooth curve t = sin(1.5 x) + 0.3 x plus noise.

``noise`` is the standard deviation of Gaussian jitter, in the units of the inputs for
classification (the points move, their labels stay) and of the target for regression. The points
are shuffled by the seed and split into train / validation / test (70 / 15 / 15 by default: the
notes' split for early stopping). ``features`` chooses the network's inputs among the raw
coordinates and TensorFlow Playground's extra features: x^2, y^2, x y, sin x, sin y.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

MAX_POINTS = 4096
CLASSIFICATION = ("moons", "circles", "xor", "spiral", "gaussians")
REGRESSION = ("curve",)
DATASETS = CLASSIFICATION + REGRESSION
TITLES = {"moons": "Two moons", "circles": "Circles", "xor": "XOR", "spiral": "Spiral",
          "gaussians": "Two Gaussians", "curve": "1-D regression curve"}
FEATURES_2D = ("x", "y", "x²", "y²", "xy", "sin x", "sin y")
FEATURES_1D = ("x", "x²", "sin x")
TRAIN, VALIDATION, TEST = 0, 1, 2
SPLIT_NAMES = ("train", "validation", "test")


class Dataset(NamedTuple):
    """N points, their network inputs and targets, and which split each point belongs to."""

    name: str
    task: str  # "classification" or "regression"
    points: np.ndarray  # (N, 2) or (N, 1): raw coordinates, what a chart draws
    inputs: np.ndarray  # (N, n_inputs): the chosen features of the points, what the network sees
    targets: np.ndarray  # (N,): labels 0/1 or real values
    split: np.ndarray  # (N,): TRAIN, VALIDATION or TEST
    feature_names: tuple
    domain: tuple  # ((x0, x1), (y0, y1)) for 2-D data, ((x0, x1),) for 1-D: where to draw maps
    noise: float
    seed: int

    @property
    def n_points(self) -> int:
        return len(self.targets)

    @property
    def n_inputs(self) -> int:
        return self.inputs.shape[1]

    def part(self, which: int):
        """(inputs, targets) of one split: TRAIN, VALIDATION or TEST."""
        chosen = self.split == which
        return self.inputs[chosen], self.targets[chosen]

    @property
    def train(self):
        return self.part(TRAIN)

    @property
    def validation(self):
        return self.part(VALIDATION)

    @property
    def test(self):
        return self.part(TEST)


def _half_sizes(n):
    return n // 2, n - n // 2


def two_moons(rng, n, noise):
    n0, n1 = _half_sizes(n)
    a, b = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(a), np.sin(a)], axis=1)
    lower = np.stack([1.0 - np.cos(b), 0.5 - np.sin(b)], axis=1)
    points = 1.5 * (np.concatenate([upper, lower]) - [0.5, 0.25])
    return points + noise * rng.standard_normal(points.shape), np.r_[np.zeros(n0), np.ones(n1)]


def circles(rng, n, noise):
    """Label 1 inside radius 1, label 0 on a ring of radius 1.4 to 2."""
    n0, n1 = _half_sizes(n)
    radius = np.r_[rng.uniform(1.4, 2.0, n0), rng.uniform(0.0, 1.0, n1)]
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points + noise * rng.standard_normal(points.shape), np.r_[np.zeros(n0), np.ones(n1)]


def xor(rng, n, noise):
    """Uniform in [-2, 2]^2 away from the axes; label 1 where x y > 0 (half the points each)."""
    n0, n1 = _half_sizes(n)
    labels = np.r_[np.zeros(n0), np.ones(n1)]
    sign_x = rng.choice([-1.0, 1.0], n)
    sign_y = np.where(labels == 1, sign_x, -sign_x)
    points = rng.uniform(0.1, 2.0, (n, 2)) * np.stack([sign_x, sign_y], axis=1)
    return points + noise * rng.standard_normal(points.shape), labels


def spiral(rng, n, noise):
    """Two interleaved arms r = 0.4 + 1.6 s, angle = 1.75 turns x s, the second turned by pi."""
    n0, n1 = _half_sizes(n)
    s = rng.uniform(0, 1, n)
    arm = np.r_[np.zeros(n0), np.ones(n1)]
    radius, angle = 0.4 + 1.6 * s, 1.75 * 2 * np.pi * s + np.pi * arm
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points + noise * rng.standard_normal(points.shape), arm


def two_gaussians(rng, n, noise):
    """N((1, 1), 0.5^2 I) with label 1 and N((-1, -1), 0.5^2 I) with label 0."""
    n0, n1 = _half_sizes(n)
    centres = np.r_[np.full((n0, 2), -1.0), np.full((n1, 2), 1.0)]
    points = centres + 0.5 * rng.standard_normal((n, 2))
    return points + noise * rng.standard_normal(points.shape), np.r_[np.zeros(n0), np.ones(n1)]


def regression_curve(rng, n, noise):
    """x ~ U(-3, 3), t = sin(1.5 x) + 0.3 x + noise."""
    x = rng.uniform(-3.0, 3.0, (n, 1))
    return x, np.sin(1.5 * x[:, 0]) + 0.3 * x[:, 0] + noise * rng.standard_normal(n)


GENERATORS = {"moons": two_moons, "circles": circles, "xor": xor, "spiral": spiral,
              "gaussians": two_gaussians, "curve": regression_curve}
DOMAINS = {"curve": ((-3.5, 3.5),)}
DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))


def feature_columns(points: np.ndarray, features) -> np.ndarray:
    """The network inputs: one column per feature name, computed from the raw coordinates."""
    x = points[:, 0]
    y = points[:, 1] if points.shape[1] > 1 else None
    formulas = {"x": lambda: x, "y": lambda: y, "x²": lambda: x**2, "y²": lambda: y**2,
                "xy": lambda: x * y, "sin x": lambda: np.sin(x), "sin y": lambda: np.sin(y)}
    allowed = FEATURES_2D if y is not None else FEATURES_1D
    unknown = [f for f in features if f not in allowed]
    if unknown or not features:
        raise ValueError(f"features must be a non-empty choice of {allowed}, got {tuple(features)}")
    return np.stack([formulas[f]() for f in features], axis=1)


def split_labels(n: int, rng, fractions=(0.7, 0.15, 0.15)) -> np.ndarray:
    """TRAIN / VALIDATION / TEST for each of n points: round(0.7 n), round(0.15 n) and the rest, in a
    random order."""
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")
    n_train, n_val = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    labels = np.r_[np.full(n_train, TRAIN), np.full(n_val, VALIDATION), np.full(n - n_train - n_val, TEST)]
    return rng.permutation(labels).astype(np.int32)


def make_dataset(name: str = "moons", n_points: int = 400, noise: float = 0.1, seed: int = 0,
                 features=None, fractions=(0.7, 0.15, 0.15)) -> Dataset:
    """A dataset from ``DATASETS``; the same arguments give the same points."""
    if name not in GENERATORS:
        raise KeyError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    if not 10 <= int(n_points) <= MAX_POINTS:
        raise ValueError(f"n_points must be between 10 and {MAX_POINTS}, got {n_points}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative number, got {noise}")
    rng = np.random.default_rng(seed)
    points, targets = GENERATORS[name](rng, int(n_points), float(noise))
    order = rng.permutation(len(targets))
    points, targets = points[order], targets[order]
    split = split_labels(len(targets), rng, fractions)
    if features is None:
        features = ("x",) if points.shape[1] == 1 else ("x", "y")
    task = "regression" if name in REGRESSION else "classification"
    return Dataset(name, task, points, feature_columns(points, features), targets.astype(float), split,
                   tuple(features), DOMAINS.get(name, DEFAULT_DOMAIN), float(noise), int(seed))


def dataset_from_rows(values: np.ndarray, task: str, features=None, seed: int = 0,
                      fractions=(0.7, 0.15, 0.15)) -> Dataset:
    """A Dataset from a user's rows: (N, 3) of (x1, x2, label) for classification, (N, 2) of (x, t) for
    regression (already checked: landscapes.user_data.parse_csv). Shuffled and split from ``seed`` like
    the built-in sets; the map's domain is the data's box with a 10 % margin."""
    values = np.asarray(values, dtype=float)
    if task not in ("classification", "regression") or values.ndim != 2 or values.shape[1] != (3 if task == "classification" else 2):
        raise ValueError(f"need (N, 3) rows (x1, x2, label) for classification or (N, 2) rows (x, t) for regression, "
                         f"got {values.shape} for {task!r}")
    if not 10 <= len(values) <= MAX_POINTS:
        raise ValueError(f"a network needs between 10 and {MAX_POINTS} rows here, got {len(values)}")
    rng = np.random.default_rng(seed)
    values = values[rng.permutation(len(values))]
    points, targets = values[:, :-1], values[:, -1]
    split = split_labels(len(targets), rng, fractions)
    if features is None:
        features = ("x",) if points.shape[1] == 1 else ("x", "y")
    low, high = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(0.1 * (high - low), 0.5)
    domain = tuple((float(a), float(b)) for a, b in zip(low - margin, high + margin))
    return Dataset("own", task, points, feature_columns(points, features), targets, split, tuple(features), domain,
                   0.0, int(seed))


def grid_points(domain, resolution: int = 100) -> tuple[np.ndarray, tuple]:
    """A resolution x resolution grid over a 2-D domain (or resolution points over a 1-D one), row-major
    with y varying slowest: the points and the axes (xs, ys) a heatmap needs."""
    xs = np.linspace(*domain[0], resolution)
    if len(domain) == 1:
        return xs[:, None], (xs,)
    ys = np.linspace(*domain[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1), (xs, ys)
