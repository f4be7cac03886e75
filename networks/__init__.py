"""The deep-network lab's core: datasets, initializers, activations, an MLP, and its training.

NumPy and JAX only (no Streamlit, no Plotly), usable from a notebook:

    >>> from networks import make_dataset, mlp, train, TrainSettings, output_maps, grid_points, feature_columns
    >>> data = make_dataset("moons", n_points=400, noise=0.1, seed=0)
    >>> net = mlp(data.n_inputs, [32, 32, 32, 32], "tanh")
    >>> run = train(net, data, TrainSettings(optimizer="momentum", lr=0.05, epochs=300, snapshot_every=10),
    ...             seeds=range(8))
    >>> run.loss[0, -1], run.layers[0].saturated_fraction[0], run.message(0)
    >>> grid, axes = grid_points(data.domain, 100)
    >>> maps = output_maps(run, feature_columns(grid, data.feature_names))   # (8, 31, 10000)

Where parts 2 and 3 plug in:

- batch / layer normalization: extra fields of ``model.Layer`` (default ``None``, so existing
  parameter vectors keep their layout) read by ``model.forward_layers``; running averages are a
  non-trained state next to the optimizer state in ``training._train_one``'s carry;
- skip connections: ``Architecture`` gains a field and ``forward_layers`` adds x^(l-1) to x^(l);
- the network's Hessian: ``jax.hessian`` (or HVPs) of ``model.mean_loss`` over
  ``model.unflatten_params(architecture, theta)``, at any ``TrainingRun.theta[r, i]``;
- dropout: a mask drawn from the run's key per step inside ``_train_one``'s step (the key is there);
- early stopping: snapshots carry train/validation/test losses (``snapshot_every=1`` gives every
  epoch) and the parameters, so the patience rule and the restored best parameters are read off them;
  ``stop_test_loss`` already freezes a run at a threshold;
- weight decay: ``weight_decay`` is a traced hyperparameter of every run (AdamW uses it).
"""

from networks.activations import ACTIVATIONS, activate, activation_derivative
from networks.datasets import DATASETS, Dataset, feature_columns, grid_points, make_dataset
from networks.initializers import BIAS_SCHEMES, WEIGHT_SCHEMES, draw_biases, draw_weights, weight_variance
from networks.model import (
    Architecture,
    Layer,
    flatten_params,
    forward,
    forward_layers,
    init_params,
    mean_loss,
    mlp,
    predict,
    unflatten_params,
)
from networks.training import (
    TRACE_COUNTS,
    TrainingRun,
    TrainSettings,
    clear_compiled_programs,
    compiled_program_count,
    output_maps,
    snapshot_of,
    train,
)

__all__ = [
    "ACTIVATIONS", "activate", "activation_derivative",
    "DATASETS", "Dataset", "feature_columns", "grid_points", "make_dataset",
    "BIAS_SCHEMES", "WEIGHT_SCHEMES", "draw_biases", "draw_weights", "weight_variance",
    "Architecture", "Layer", "flatten_params", "forward", "forward_layers", "init_params", "mean_loss", "mlp",
    "predict", "unflatten_params",
    "TRACE_COUNTS", "TrainingRun", "TrainSettings", "clear_compiled_programs", "compiled_program_count",
    "output_maps", "snapshot_of", "train",
]
