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

Part 2 (normalization, skip connections, the Hessian):

    >>> bn = mlp(2, [32] * 4, "tanh", normalization="batch", skip=True)   # or "layer"; norm_position="after"
    >>> run = train(bn, data, TrainSettings(optimizer="momentum", lr=0.05, epochs=100), seeds=range(4))
    >>> run.running_at(0, -1)        # batch norm's running averages (evaluation mode uses them)
    >>> from networks import hessian as nh
    >>> nh.eigenvalues(net, run.theta[0, -1], data)           # exact, up to nh.EXACT_LIMIT parameters
    >>> nh.lanczos_top(net, run.theta[0, -1], data, k=5)       # Hessian-vector products only
    >>> nh.spectral_density(net, run.theta[0, -1], data)       # stochastic Lanczos quadrature
    >>> nh.formula_blocks(net, run.theta[0, -1], data)         # the per-neuron block approximation

Part 3 (regularization):

    >>> run = train(net, data, TrainSettings(optimizer="adam", lr=0.01, l2=1e-3, keep_hidden=0.5,
    ...                                      keep_input=0.9, epochs=200), seeds=range(4))
    >>> run.step_loss[0]             # per epoch: the training loss as trained (through the masks)
    >>> from networks import dropout as nd
    >>> nd.mask_average(x, keep=0.5, n_masks=1000)                  # E[X (D < p) / p] = X, measured
    >>> nd.sampled_predictions(net, run.theta[0, -1], data.inputs, 0.9, 0.5, n_masks=64)  # sub-networks

- L2 penalty: ``TrainSettings.l2`` (traced): a step minimizes mean loss + (l2/2)||theta||^2 over
  the whole flat vector, its gradient l2 theta goes into the optimizer (Adam + L2); AdamW's
  ``weight_decay`` is the decoupled alternative (both traced hyperparameters of every run);
- dropout (``networks.dropout``): inverted dropout X (D < p) / p with traced keep probabilities
  ``keep_input`` and ``keep_hidden``, a new mask per example and step (run key, epoch, step, chunk),
  in training steps only; a static ``StaticConfig.dropout`` flag keeps runs without dropout on their
  own, unchanged program (``train(..., dropout=True)`` keeps one program for every p, 1 included);
- early stopping: snapshots carry train/validation/test losses (``snapshot_every=1`` gives every
  epoch) and the parameters, so the patience rule and the restored best parameters are read off them;
  ``stop_test_loss`` already freezes a run at a threshold.

Batch norm and the training program: the statistics of a minibatch couple its rows, so a batch-
normalized network gathers its whole minibatch in one chunk (``StaticConfig.chunk`` is the batch
size rounded up to ``training.BATCH_BUCKETS``: one program per bucket, not per batch size); the
running averages ride in the training loop's carry next to the optimizer state and are recorded at
every snapshot. Snapshots (losses, statistics, maps) evaluate a batch-normalized network in
evaluation mode.
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
    initial_running,
    mean_loss,
    mlp,
    network_pass,
    predict,
    unflatten_params,
)
from networks.normalization import NORMALIZATIONS, Running, batch_norm, layer_norm
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
    "predict", "unflatten_params", "initial_running", "network_pass",
    "NORMALIZATIONS", "Running", "batch_norm", "layer_norm",
    "TRACE_COUNTS", "TrainingRun", "TrainSettings", "clear_compiled_programs", "compiled_program_count",
    "output_maps", "snapshot_of", "train",
]
