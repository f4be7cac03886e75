"""Landscapes against hand-derived closed forms: values, gradients, Hessians, critical points.

Every analytic landscape is a mean over samples whose per-sample loss adds a zero-mean tilt a_n . theta,
so the full loss, gradient and Hessian must be exactly the textbook surface's.
"""

from __future__ import annotations

from functools import partial

import jax
import numpy as np
import pytest

from landscapes import LANDSCAPES, analytic, get_landscape, networks
from landscapes.critical_points import classify_eigenvalues

RTOL = 1e-12


def points_in(domain, n=7, seed=0):
    """n fixed pseudo-random points inside a landscape's domain, shape (n, 2)."""
    (x0, x1), (y0, y1) = domain
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=1)


def assert_close(actual, expected, rtol=RTOL):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


# ---- hand-derived closed forms (NumPy, independent of the JAX code) -------------------------

def rosenbrock_reference(p):
    x, y = p[:, 0], p[:, 1]
    value = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    grad = np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=1)
    hess = np.stack(
        [np.stack([2 - 400 * y + 1200 * x**2, -400 * x], -1), np.stack([-400 * x, np.full_like(x, 200.0)], -1)], axis=1
    )
    return value, grad, hess


def saddle_reference(p):
    x, y = p[:, 0], p[:, 1]
    hess = np.broadcast_to(np.array([[2.0, 0.0], [0.0, -2.0]]), (len(x), 2, 2))
    return x**2 - y**2, np.stack([2 * x, -2 * y], axis=1), hess


def monkey_saddle_reference(p):
    x, y = p[:, 0], p[:, 1]
    grad = np.stack([3 * x**2 - 3 * y**2, -6 * x * y], axis=1)
    hess = np.stack([np.stack([6 * x, -6 * y], -1), np.stack([-6 * y, -6 * x], -1)], axis=1)
    return x**3 - 3 * x * y**2, grad, hess


def himmelblau_reference(p):
    x, y = p[:, 0], p[:, 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    grad = np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=1)
    hxy = 4 * x + 4 * y
    hess = np.stack([np.stack([12 * x**2 + 4 * y - 42, hxy], -1), np.stack([hxy, 12 * y**2 + 4 * x - 26], -1)], axis=1)
    return a**2 + b**2, grad, hess


def beale_reference(p):
    x, y = p[:, 0], p[:, 1]
    value = np.zeros_like(x)
    grad = np.zeros((len(x), 2))
    hess = np.zeros((len(x), 2, 2))
    for i, c in ((1, 1.5), (2, 2.25), (3, 2.625)):
        r = c - x + x * y**i
        dr = np.stack([-1 + y**i, i * x * y ** (i - 1)], axis=1)
        d2r_xy = i * y ** (i - 1)
        d2r_yy = i * (i - 1) * x * y ** max(i - 2, 0)
        value += r**2
        grad += 2 * r[:, None] * dr
        second = np.stack([np.stack([np.zeros_like(x), d2r_xy], -1), np.stack([d2r_xy, d2r_yy], -1)], axis=1)
        hess += 2 * (dr[:, :, None] * dr[:, None, :] + r[:, None, None] * second)
    return value, grad, hess


ANALYTIC_REFERENCES = {
    "rosenbrock": (analytic.rosenbrock, rosenbrock_reference),
    "saddle": (analytic.saddle, saddle_reference),
    "monkey_saddle": (analytic.monkey_saddle, monkey_saddle_reference),
    "himmelblau": (analytic.himmelblau, himmelblau_reference),
    "beale": (analytic.beale, beale_reference),
}


@pytest.mark.parametrize("key", sorted(ANALYTIC_REFERENCES))
def test_analytic_loss_gradient_and_hessian_match_hand_derived_formulas(key):
    factory, reference = ANALYTIC_REFERENCES[key]
    landscape = factory()
    p = points_in(landscape.domain)
    value, grad, hess = reference(p)
    assert_close(landscape.loss(p), value)
    assert_close(landscape.gradient(p), grad)
    assert_close(landscape.hessian(p), hess)


def rotation_matrix(angle_degrees):
    a = np.deg2rad(angle_degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


@pytest.mark.parametrize("angle", [0.0, 17.0, 30.0, 45.0, 90.0, 133.0])
def test_quadratic_corridor_hessian_eigenvalues_equal_the_chosen_ones(angle):
    eigenvalues = np.array([0.7, 35.0])
    center = np.array([0.4, -1.1])
    landscape = analytic.quadratic_corridor(eigenvalues=tuple(eigenvalues), angle=angle, center=tuple(center))
    p = points_in(landscape.domain)
    H = rotation_matrix(angle) @ np.diag(eigenvalues) @ rotation_matrix(angle).T
    d = p - center
    assert_close(landscape.loss(p), 0.5 * np.einsum("ni,ij,nj->n", d, H, d))
    assert_close(landscape.gradient(p), d @ H)
    hessians = np.asarray(landscape.hessian(p))
    assert_close(hessians, np.broadcast_to(H, hessians.shape))
    for h in hessians:
        assert_close(np.linalg.eigvalsh(h), eigenvalues)
        # The first eigenvector is the rotated x axis.
        direction = rotation_matrix(angle)[:, 0]
        assert_close(h @ direction, eigenvalues[0] * direction)


def test_two_layer_linear_gradient_and_hessian_match_closed_form():
    landscape = networks.two_layer_linear(x=1.3, t=0.8, l2=0.05)
    p = points_in(landscape.domain)
    w, v = p[:, 0], p[:, 1]
    x, t, lam = 1.3, 0.8, 0.05
    r = v * w * x - t
    assert_close(landscape.loss(p), r**2 + lam * (v**2 + w**2))
    assert_close(landscape.gradient(p), np.stack([2 * r * v * x + 2 * lam * w, 2 * r * w * x + 2 * lam * v], axis=1))
    off = 4 * v * w * x**2 - 2 * t * x
    hess = np.stack([np.stack([2 * v**2 * x**2 + 2 * lam, off], -1), np.stack([off, 2 * w**2 * x**2 + 2 * lam], -1)], axis=1)
    assert_close(landscape.hessian(p), hess)


def test_two_layer_linear_has_saddle_at_zero_and_minima_at_plus_minus_sqrt_point_nine():
    landscape = networks.two_layer_linear(x=1.0, t=1.0, l2=0.1)
    assert_close(landscape.gradient([0.0, 0.0]), [0.0, 0.0])
    assert_close(landscape.hessian([0.0, 0.0]), [[0.2, -2.0], [-2.0, 0.2]])
    assert classify_eigenvalues(np.linalg.eigvalsh(np.asarray(landscape.hessian([0.0, 0.0])))) == "saddle"
    r = np.sqrt(0.9)
    for sign in (1.0, -1.0):
        point = sign * np.array([r, r])
        assert np.linalg.norm(np.asarray(landscape.gradient(point))) < 1e-12
        assert np.all(np.linalg.eigvalsh(np.asarray(landscape.hessian(point))) > 0)
        assert_close(landscape.loss(point), (0.9 - 1.0) ** 2 + 0.1 * 2 * 0.9)
    listed = sorted((p.x, p.y, p.kind) for p in landscape.critical_points)
    assert listed == sorted([(0.0, 0.0, "saddle"), (r, r, "minimum"), (-r, -r, "minimum")])


def test_two_layer_tanh_matches_numpy_formula():
    landscape = networks.two_layer_tanh(n_samples=17, noise=0.2, target="sine", l2=0.03, seed=4)
    data = networks.tanh_dataset(17, 0.2, "sine", 4)
    x, t, lam = data[:, 0], data[:, 1], 0.03
    p = points_in(landscape.domain)
    for (w, v), value, grad, hess in zip(p, landscape.loss(p), landscape.gradient(p), landscape.hessian(p)):
        s = np.tanh(w * x)
        ds = x * (1 - s**2)  # d tanh(w x) / dw
        d2s = -2 * x**2 * s * (1 - s**2)
        r = v * s - t
        assert_close(value, np.mean(r**2) + lam * (v**2 + w**2))
        assert_close(grad, [np.mean(2 * r * v * ds) + 2 * lam * w, np.mean(2 * r * s) + 2 * lam * v])
        h_ww = np.mean(2 * (v * ds) ** 2 + 2 * r * v * d2s) + 2 * lam
        h_wv = np.mean(2 * v * ds * s + 2 * r * ds)
        h_vv = np.mean(2 * s**2) + 2 * lam
        assert_close(hess, [[h_ww, h_wv], [h_wv, h_vv]])


# ---- the loss is a mean over samples --------------------------------------------------------

ALL_KEYS = sorted(LANDSCAPES)


def _factory(key):
    return LANDSCAPES[key][1]()


@partial(jax.jit, static_argnums=0)
def per_sample_gradients(sample_loss, thetas, samples, params):
    """(P, N, 2): the gradient of each sample's loss at each point, by plain autodiff of sample_loss."""
    one = jax.vmap(jax.grad(sample_loss), in_axes=(None, 0, None))
    return jax.vmap(one, in_axes=(0, None, None))(thetas, samples, params)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_mean_of_per_sample_losses_and_gradients_equals_full_loss_and_gradient(key):
    landscape = _factory(key)
    p = points_in(landscape.domain)
    losses = np.stack([np.asarray(landscape.per_sample_losses(theta)) for theta in p])
    assert losses.shape == (len(p), landscape.n_samples)
    assert_close(losses.mean(axis=1), landscape.loss(p))
    grads = np.asarray(per_sample_gradients(landscape.sample_loss, p, landscape.samples, landscape.params))
    assert grads.shape == (len(p), landscape.n_samples, 2)
    assert_close(grads.mean(axis=1), landscape.gradient(p))


def test_minibatch_gradient_is_the_mean_of_the_batch_samples_gradients():
    landscape = _factory("two_layer_tanh")
    p = points_in(landscape.domain)
    grads = np.asarray(per_sample_gradients(landscape.sample_loss, p, landscape.samples, landscape.params))
    batch = np.array([3, 0, 11, 5, 7])
    assert_close(landscape.minibatch_gradient(p[0], batch), grads[0, batch].mean(axis=0))


@pytest.mark.parametrize("key", ["quadratic", "rosenbrock", "cliff"])
def test_analytic_samples_tilt_the_surface_by_zero_mean_noise(key):
    """Per-sample gradients differ (the noise is real) but average exactly to the surface's gradient."""
    landscape = _factory(key)
    a = np.asarray(landscape.samples)
    assert np.abs(a.mean(axis=0)).max() < 1e-15 * max(1.0, np.abs(a).max())
    assert a.std(axis=0).min() > 0.05
    p = points_in(landscape.domain)
    surface = {"quadratic": analytic.quadratic_surface, "rosenbrock": analytic.rosenbrock_surface,
               "cliff": analytic.cliff_surface}[key]
    surface_grads = np.stack([np.asarray(jax.grad(surface)(theta, landscape.params)) for theta in p[:2]])
    grads = np.asarray(per_sample_gradients(landscape.sample_loss, p, landscape.samples, landscape.params))
    assert_close(grads[:2], surface_grads[:, None, :] + a[None, :, :])


# ---- critical points ------------------------------------------------------------------------

@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_listed_critical_point_has_zero_gradient_and_matching_hessian_type(key):
    landscape = get_landscape(key)
    assert landscape.critical_points, f"{key} lists no critical points"
    points = np.array([p.point for p in landscape.critical_points])
    grads = np.asarray(landscape.gradient(points))
    hessians = np.asarray(landscape.hessian(points))
    for p, g, h in zip(landscape.critical_points, grads, hessians):
        assert np.linalg.norm(g) < 1e-6, (key, p)
        lam = np.linalg.eigvalsh(h)
        if key == "monkey_saddle":
            # The monkey saddle is degenerate: H = 0 there, so its type cannot be read from H.
            assert np.abs(lam).max() < 1e-6, lam
            assert p.kind == "saddle"
            continue
        expected = {"minimum": lam.min() > 0, "maximum": lam.max() < 0, "saddle": lam.min() < 0 < lam.max()}
        assert p.kind in expected and expected[p.kind], (key, p, lam)
        if p.loss is not None:
            assert_close(p.loss, landscape.loss(p.point), rtol=1e-9)


def test_known_critical_points_are_found_where_the_literature_puts_them():
    rosen = get_landscape("rosenbrock")
    assert [(round(p.x, 9), round(p.y, 9)) for p in rosen.minima()] == [(1.0, 1.0)]
    himmel = get_landscape("himmelblau")
    assert sum(p.kind == "minimum" for p in himmel.critical_points) == 4
    assert sum(p.kind == "saddle" for p in himmel.critical_points) == 4
    assert sum(p.kind == "maximum" for p in himmel.critical_points) == 1
    assert all(abs(p.loss) < 1e-12 for p in himmel.minima())
    beale = get_landscape("beale")
    assert any(np.hypot(p.x - 3.0, p.y - 0.5) < 1e-9 for p in beale.minima())


# ---- the cliff ------------------------------------------------------------------------------

def test_cliff_wall_gradient_is_over_100_times_the_rest_of_the_domain():
    landscape = analytic.cliff()
    width = float(landscape.params["width"])
    (x0, x1), (y0, y1) = landscape.domain
    # Grid spacing well below the wall's width so the grid resolves the wall.
    xs = np.linspace(x0, x1, int((x1 - x0) / (0.2 * width)) + 1)
    ys = np.linspace(y0, y1, 41)
    X, Y = np.meshgrid(xs, ys)
    grad_norm = np.linalg.norm(np.asarray(landscape.gradient(np.stack([X, Y], axis=-1))), axis=-1)
    # The wall: a thin band (5 wall widths either side) around its edge x = -0.5 + 0.2 y.
    on_wall = np.abs(X - (-0.5 + 0.2 * Y)) <= 5 * width
    assert on_wall.mean() < 0.05
    wall, rest = grad_norm[on_wall].max(), grad_norm[~on_wall].max()
    assert wall >= 100 * rest, (wall, rest)
