"""The Hessian studies (networks/hessian_studies.py) against references computed another way: spectra against
finite differences of an independently written gradient, the off-block share against a mask built by hand
from the parameter layout, Lanczos against eigvalsh, the condition numbers against a matrix of chosen
eigenvalues, and the stored benchmark against the parameter counts it claims."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from networks import hessian_studies as hs
from networks.datasets import TRAIN
from networks.hessian import hessian, n_parameters, training_data
from networks.model import example_losses, forward, mlp, unflatten_params

SHORT = hs.STUDY_SETTINGS.replace(epochs=25, snapshot_every=25)


def test_conditioning_of_a_matrix_with_chosen_eigenvalues():
    chosen = np.array([-0.3, -1e-9, 0.0, 2e-7, 1e-3, 0.01, 0.5, 2.0, 4.0, 10.0])
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((10, 10)))
    values = np.linalg.eigvalsh(Q @ np.diag(chosen) @ Q.T)
    c = hs.conditioning(values, relative_floor=1e-6, k=3)
    # floor = 1e-5: -1e-9, 0 and 2e-7 are flat, -0.3 is negative, 1e-3 is the smallest positive
    assert (c.n_negative, c.n_flat, c.n_positive) == (1, 3, 6)
    np.testing.assert_allclose([c.lambda_max, c.lambda_min_positive, c.kappa, c.top_ratio, c.most_negative],
                               [10.0, 1e-3, 1e4, 10.0 / 2.0, -0.3], rtol=1e-9)
    coarse = hs.conditioning(values, relative_floor=1e-2, k=3)  # floor 0.1: 1e-3 and 0.01 are flat now
    assert (coarse.n_negative, coarse.n_flat) == (1, 5)
    np.testing.assert_allclose(coarse.kappa, 10.0 / 0.5, rtol=1e-9)
    assert hs.conditioning(values, k=100).k == 10  # k is capped at the size
    assert hs.conditioning(-np.abs(values) - 1).kappa != hs.conditioning(-np.abs(values) - 1).kappa  # NaN: no positive part


def test_inputs_raw_centred_standardized():
    data = hs.moons()
    raw = hs.transformed_inputs(data, "raw", offset=5.0, scale=10.0)
    np.testing.assert_allclose(raw.inputs[:, 0], 10.0 * data.inputs[:, 0] + 5.0)
    np.testing.assert_allclose(raw.inputs[:, 1], data.inputs[:, 1])
    train = data.split == TRAIN
    centred = hs.transformed_inputs(data, "centred", scale=10.0).inputs
    np.testing.assert_allclose(centred[train].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(centred[train].std(axis=0), [10 * data.inputs[train, 0].std(), data.inputs[train, 1].std()])
    standard = hs.transformed_inputs(data, "standardized").inputs
    np.testing.assert_allclose(standard[train].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(standard[train].std(axis=0), 1.0)
    with pytest.raises(ValueError):
        hs.transformed_inputs(data, "whitened")


def _finite_difference_hessian(architecture, theta, dataset, h=1e-5):
    """Central differences of the gradient of the plain mean loss over the unpadded training points, written
    here with networks.model's forward (not networks.hessian's padded, weighted loss)."""
    x, t = dataset.train

    def loss(th):
        s = forward(architecture, unflatten_params(architecture, th), jnp.asarray(x))
        return jnp.mean(example_losses(architecture.task, s, jnp.asarray(t)))

    grad = jax.grad(loss)
    columns = []
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        columns.append((np.asarray(grad(jnp.asarray(theta + e))) - np.asarray(grad(jnp.asarray(theta - e)))) / (2 * h))
    H = np.array(columns).T
    return (H + H.T) / 2


def test_the_study_spectra_and_condition_numbers_equal_those_of_a_finite_difference_hessian():
    variant = hs.VARIANTS["raw"]
    study = hs.condition_study(variant, SHORT, seeds=(0, 1, 2, 3), offset=5.0, scale=10.0)
    dataset = hs.study_data(variant, 5.0, 10.0)
    for theta, values, shown in ((study.initial_thetas[1], study.initial_eigenvalues[1], study.initial[1]),
                                 (study.trained_thetas[0], study.trained_eigenvalues[0], study.trained[0])):
        reference = np.linalg.eigvalsh(_finite_difference_hessian(variant.architecture(), theta, dataset))
        np.testing.assert_allclose(values, reference, atol=1e-6 * reference[-1])
        again = hs.conditioning(reference)
        np.testing.assert_allclose([shown.lambda_max, shown.top_ratio], [again.lambda_max, again.top_ratio], rtol=1e-5)
        assert shown.n_negative == again.n_negative
        np.testing.assert_allclose(shown.kappa, again.kappa, rtol=1e-3)
    assert study.train_loss.shape == (4, 2) and np.all(study.train_loss[:, 1] < study.train_loss[:, 0])
    # the spectra at the start on their own (the page caches them apart from the training) are the same
    np.testing.assert_array_equal(hs.initial_spectra(variant, (0, 1, 2, 3), 5.0, 10.0), study.initial_eigenvalues)


def _neuron_mask(architecture):
    """Same-neuron mask built from the parameter layout: entry (i, j) is 1 when theta_i and theta_j both belong
    to unit k of one layer (its column W[:, k], its b[k], and its slope, gamma, beta if any)."""
    P = n_parameters(architecture)
    layout = unflatten_params(architecture, np.arange(P))
    owner = np.full(P, -1)
    unit = 0
    for layer in layout:
        for k in range(layer.W.shape[1]):
            owner[layer.W[:, k]] = unit
            for leaf in (layer.b, layer.slope, layer.gamma, layer.beta):
                if leaf is not None:
                    owner[leaf[k]] = unit
            unit += 1
    assert np.all(owner >= 0)
    return owner[:, None] == owner[None, :]


@pytest.mark.parametrize("key", ["plain", "batch_skip"])
def test_the_off_block_share_equals_its_definition_by_brute_force(key):
    variant = hs.BLOCK_NETWORKS[key]
    result = hs.block_study(variant, SHORT, seeds=(0, 1, 2, 3))
    architecture = variant.architecture()
    dataset = hs.study_data(variant)
    run = hs.trained_runs(variant, dataset, SHORT, (0, 1, 2, 3))
    mask = _neuron_mask(architecture)
    for r in range(4):
        for theta, share in ((run.theta[r, 0], result.share_initial[r]), (run.final_theta[r], result.share_trained[r])):
            H = hessian(architecture, theta, training_data(dataset))
            outside = np.sum(H[~mask] ** 2)
            np.testing.assert_allclose(share, outside / np.sum(H**2), rtol=1e-10)
    H0 = hessian(architecture, run.theta[0, 0], training_data(dataset))
    np.testing.assert_allclose(result.block_initial, np.linalg.eigvalsh(np.where(mask, H0, 0.0)), atol=1e-12)
    np.testing.assert_allclose(result.full_initial, np.linalg.eigvalsh(H0), atol=1e-12)
    assert 0 < result.share_initial.min() and result.share_initial.max() < 1


def test_batch_norm_and_a_skip_connection_lower_the_off_block_share_at_the_start():
    plain = hs.block_study(hs.BLOCK_NETWORKS["plain"], SHORT)
    both = hs.block_study(hs.BLOCK_NETWORKS["batch_skip"], SHORT)
    assert np.median(both.share_initial) < np.median(plain.share_initial)


def test_the_cost_panels_lanczos_values_equal_eigvalsh():
    data = training_data(hs.study_data(hs.VARIANTS["tanh"]))
    for width in hs.COST_WIDTHS:
        row = hs.cost_row(width, data)
        architecture = mlp(2, (width, width), "tanh")
        assert row.n_parameters == n_parameters(architecture)
        np.testing.assert_allclose(row.lanczos_top, row.exact_top, rtol=0, atol=1e-6)
        assert row.exact_bytes == 8 * row.n_parameters**2
        assert row.lanczos_bytes == 8 * min(hs.COST_STEPS, row.n_parameters) * row.n_parameters
        assert row.exact_seconds > 0 and row.lanczos_seconds > 0


def test_the_stored_benchmark_is_read_with_its_parameter_counts():
    stored = hs.stored_bench()
    assert len(stored.widths) == 7
    for w, P, mb in zip(stored.widths, stored.n_parameters, stored.exact_megabytes):
        assert P == n_parameters(mlp(2, (int(w), int(w)), "tanh"))
        np.testing.assert_allclose(mb, P * P * 8 / 1e6, rtol=0.02, atol=0.006)  # printed to 2 decimals
    assert np.all(np.isfinite(stored.exact_cpu[stored.n_parameters <= 2500]))
    assert np.all(np.isnan(stored.exact_cpu[stored.n_parameters > 2500]))
    assert set(stored.lanczos_cpu) == {16, 32, 64} and all(len(v) == 7 for v in stored.lanczos_cpu.values())


def test_the_slq_density_is_a_density_that_reaches_the_top_eigenvalue():
    variant = hs.VARIANTS["tanh"]
    study = hs.condition_study(variant, SHORT)
    spectrum = hs.slq_spectrum(variant, study.trained_thetas[0])
    area = np.sum(spectrum.density) * (spectrum.grid[1] - spectrum.grid[0])
    assert abs(area - 1) < 1e-2
    top = study.trained_eigenvalues[0, -1]
    assert spectrum.grid[0] <= study.trained_eigenvalues[0, 0] and spectrum.grid[-1] >= top
