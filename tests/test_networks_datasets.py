"""Datasets: stated sizes and splits, reproducible from the seed, features as named."""

from __future__ import annotations

import numpy as np
import pytest

from networks.datasets import (CLASSIFICATION, DATASETS, TEST, TRAIN, VALIDATION, Dataset, feature_columns,
                               grid_points, make_dataset)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("n_points", [10, 401, 4096])
def test_sizes_and_default_split_are_70_15_15(name, n_points):
    data = make_dataset(name, n_points=n_points, noise=0.2, seed=3)
    assert isinstance(data, Dataset)
    assert data.points.shape[0] == data.inputs.shape[0] == data.targets.shape[0] == n_points
    counts = [np.sum(data.split == k) for k in (TRAIN, VALIDATION, TEST)]
    assert counts[0] == round(0.7 * n_points) and counts[1] == round(0.15 * n_points)
    assert sum(counts) == n_points
    assert [len(data.part(k)[1]) for k in (TRAIN, VALIDATION, TEST)] == counts


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = (make_dataset(name, 300, 0.1, seed) for seed in (5, 5, 6))
    for field in ("points", "inputs", "targets", "split"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.points, c.points)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_labels_are_balanced_zero_one(name):
    data = make_dataset(name, 401, 0.1, 0)
    assert data.task == "classification" and set(np.unique(data.targets)) == {0.0, 1.0}
    assert abs(np.sum(data.targets == 1) - np.sum(data.targets == 0)) <= 1


def test_noise_zero_gives_clean_xor_and_noise_moves_points_only():
    clean = make_dataset("xor", 500, 0.0, 1)
    assert np.all((clean.points[:, 0] * clean.points[:, 1] > 0) == (clean.targets == 1))
    noisy = make_dataset("xor", 500, 0.5, 1)
    np.testing.assert_array_equal(clean.targets, noisy.targets)
    assert np.std(noisy.points - clean.points) == pytest.approx(0.5, rel=0.1)


def test_regression_curve_noise_is_target_noise():
    data = make_dataset("curve", 4000, 0.3, 2)
    x = data.points[:, 0]
    residual = data.targets - (np.sin(1.5 * x) + 0.3 * x)
    assert data.task == "regression" and data.n_inputs == 1
    assert np.std(residual) == pytest.approx(0.3, rel=0.05)


def test_playground_features_are_the_named_columns():
    data = make_dataset("circles", 100, 0.1, 0, features=("x", "y", "x²", "y²", "xy", "sin x", "sin y"))
    x, y = data.points.T
    np.testing.assert_array_equal(data.inputs, np.stack([x, y, x**2, y**2, x * y, np.sin(x), np.sin(y)], axis=1))
    assert data.feature_names == ("x", "y", "x²", "y²", "xy", "sin x", "sin y")
    only_squares = make_dataset("circles", 100, 0.1, 0, features=("x²", "y²"))
    np.testing.assert_array_equal(only_squares.inputs, data.inputs[:, 2:4])


def test_bad_arguments_are_rejected_with_their_name():
    with pytest.raises(ValueError, match="n_points"):
        make_dataset("moons", 5000)
    with pytest.raises(ValueError, match="noise"):
        make_dataset("moons", 100, noise=-1)
    with pytest.raises(ValueError, match="features"):
        make_dataset("curve", 100, features=("y",))
    with pytest.raises(KeyError):
        make_dataset("mnist")


def test_grid_points_cover_the_domain_row_major():
    grid, (xs, ys) = grid_points(((-1, 1), (-2, 2)), 5)
    assert grid.shape == (25, 2) and grid[0].tolist() == [-1, -2] and grid[4].tolist() == [1, -2]
    assert feature_columns(grid, ("xy",)).shape == (25, 1)


def test_a_users_rows_become_a_dataset_split_like_the_built_in_ones():
    import pytest

    from networks.datasets import TEST, TRAIN, VALIDATION, dataset_from_rows

    rng = np.random.default_rng(0)
    rows = np.c_[rng.normal(size=(200, 2)), rng.integers(0, 2, 200)]
    data = dataset_from_rows(rows, "classification", ("x", "y", "xy"), seed=3)
    assert data.task == "classification" and data.inputs.shape == (200, 3)
    assert [int(np.sum(data.split == s)) for s in (TRAIN, VALIDATION, TEST)] == [140, 30, 30]
    np.testing.assert_allclose(data.inputs[:, 2], data.points[:, 0] * data.points[:, 1])
    assert sorted(map(tuple, np.c_[data.points, data.targets])) == sorted(map(tuple, rows))  # the same rows, shuffled
    (x0, x1), (y0, y1) = data.domain
    assert x0 < data.points[:, 0].min() and data.points[:, 0].max() < x1 and y0 < data.points[:, 1].min()
    curve = dataset_from_rows(np.c_[np.linspace(-1, 1, 50), np.linspace(0, 2, 50)], "regression")
    assert curve.task == "regression" and curve.feature_names == ("x",) and len(curve.domain) == 1
    with pytest.raises(ValueError, match="rows"):
        dataset_from_rows(rows[:, :2], "classification")
    with pytest.raises(ValueError, match="between 10"):
        dataset_from_rows(rows[:5], "classification")
