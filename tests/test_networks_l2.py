"""The L2 penalty of ``TrainSettings.l2``: a step minimizes mean loss + (l2/2)||theta||^2, so Adam + L2
equals optax's ``chain(add_decayed_weights(l2), adam(...))`` step by step, while AdamW's decoupled
``weight_decay`` equals ``optax.adamw``; the two are different rules."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

from networks.model import flatten_params, init_params, mean_loss, mlp
from networks.training import TrainSettings, train
from networks.datasets import make_dataset

DATA = make_dataset("moons", 40, 0.2, 1)  # 28 training points
NET = mlp(2, [6, 5], ("tanh", "relu"))
FULL_BATCH = TrainSettings(optimizer="adam", batch_size=1000, epochs=5, snapshot_every=1, lr=0.05, beta1=0.85,
                           beta2=0.97, eps=1e-3)


def optax_path(transform, settings):
    """theta after 0, 1, ..., epochs full-batch steps of an optax transformation on the pytree."""
    params = init_params(NET, settings.seed, settings.weight_scheme)
    inputs, targets = DATA.train
    state = transform.init(params)
    path = [flatten_params(params)]
    for _ in range(settings.epochs):
        grads = jax.grad(lambda p: mean_loss(NET, p, inputs, targets))(params)
        updates, state = transform.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        path.append(flatten_params(params))
    return np.array(path)


@pytest.mark.parametrize("l2", [0.3, 0.02])
def test_adam_with_l2_equals_optax_adam_after_added_decayed_weights(l2):
    settings = FULL_BATCH.replace(l2=l2)
    run = train(NET, DATA, settings)
    s = settings
    reference = optax_path(optax.chain(optax.add_decayed_weights(l2), optax.adam(s.lr, s.beta1, s.beta2, s.eps)), s)
    np.testing.assert_allclose(run.theta[0], reference, rtol=1e-12, atol=1e-12)
    # and it is not the plain Adam path: the penalty did something
    plain = optax_path(optax.adam(s.lr, s.beta1, s.beta2, s.eps), s)
    assert np.max(np.abs(plain[-1] - reference[-1])) > 1e-4


def test_adamw_weight_decay_equals_optax_adamw_and_differs_from_adam_with_l2():
    wd = 0.3
    settings = FULL_BATCH.replace(optimizer="adamw", weight_decay=wd)
    s = settings
    run = train(NET, DATA, settings)
    reference = optax_path(optax.adamw(s.lr, s.beta1, s.beta2, s.eps, weight_decay=wd), s)
    np.testing.assert_allclose(run.theta[0], reference, rtol=1e-12, atol=1e-12)
    l2_run = train(NET, DATA, FULL_BATCH.replace(l2=wd))
    assert np.max(np.abs(l2_run.theta[0, -1] - run.theta[0, -1])) > 1e-4


def test_sgd_with_l2_is_gradient_descent_on_the_penalized_loss():
    """SGD's step is theta - lr (g + l2 theta): the gradient of the penalized loss, by autodiff."""
    settings = TrainSettings(optimizer="sgd", batch_size=1000, epochs=3, snapshot_every=1, lr=0.2, l2=0.7)
    run = train(NET, DATA, settings)
    params = init_params(NET, 0, settings.weight_scheme)
    inputs, targets = DATA.train

    def penalized(p):
        theta = jax.flatten_util.ravel_pytree(p)[0]
        return mean_loss(NET, p, inputs, targets) + settings.l2 / 2 * theta @ theta

    for epoch in range(3):
        np.testing.assert_allclose(run.theta[0, epoch], flatten_params(params), rtol=1e-12, atol=1e-13)
        grads = jax.grad(penalized)(params)
        params = jax.tree.map(lambda p, g: p - settings.lr * g, params, grads)
    np.testing.assert_allclose(run.final_theta[0], flatten_params(params), rtol=1e-12, atol=1e-13)


def test_snapshot_losses_are_the_data_loss_without_the_penalty():
    run = train(NET, DATA, FULL_BATCH.replace(l2=0.5))
    params = run.params(0, -1)
    np.testing.assert_allclose(run.loss[0, -1, 0], mean_loss(NET, params, *DATA.train), rtol=1e-12)


def test_l2_per_run_overrides_equal_separate_runs():
    both = train(NET, DATA, FULL_BATCH, seeds=[0, 0], hyper_overrides={"l2": [0.0, 0.3]})
    alone = train(NET, DATA, FULL_BATCH.replace(l2=0.3))
    np.testing.assert_allclose(both.theta[1], alone.theta[0], rtol=1e-12, atol=1e-14)
    assert not np.allclose(both.theta[0, -1], both.theta[1, -1])


def test_a_negative_or_non_finite_penalty_is_refused():
    for bad in (-0.1, np.inf, np.nan):
        with pytest.raises(ValueError):
            train(NET, DATA, FULL_BATCH.replace(l2=bad))
