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
