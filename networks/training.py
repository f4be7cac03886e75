"""Training a network with the lab's own optimizers: a whole run in one compiled program.

The optimizers train the flat parameter vector theta (``ravel_pytree`` of the list of layers) with
the same ``init``/``update`` pairs the Playground shows (``optimizers.OPTIMIZERS[key]``), so a
student reads one update rule everywhere. The gradient of a step is the mean of the per-example
gradients over a real minibatch.

Minibatches: each epoch is a fresh random permutation of the training points (drawn from the run's
seed and the epoch number), cut into consecutive batches of B; the last batch of an epoch is smaller
when B does not divide the number of training points (as ``optimizers.engine`` does).

Program layout: one compiled program per (architecture, optimizer, snapshot bucket, data-size
bucket, run bucket). Inside it a ``lax.scan`` over snapshot slots; each slot records a snapshot and
then trains ``snapshot_every`` epochs in a loop whose trip count is traced; each epoch loops over
ceil(n_train / B) steps (traced); each step sums the gradient over ceil(B / CHUNK) gathered chunks
of CHUNK = 32 examples (traced count; examples beyond the batch have weight 0). So the learning
rate, momentum, betas, eps, weight decay, the L2 penalty, dropout's keep probabilities, the initial parameters (scheme, scale, bias value), the
data (noise, seed, size within its bucket), the seed, the batch size, the number of epochs and the
snapshot interval are all traced: moving them reruns compiled code. The whole thing is ``vmap``ped
over runs (seeds, or any per-run hyperparameters).

Why chunks for a traced batch size. Measured by ``python -m bench.bench_networks`` on the bare loop
(SGD, 4 x 32 tanh, 280 training points, 100 epochs, warm, 2-core box at load average ~10):

    strategy                                   programs     B = 8    B = 32   B = 128
    static gather of exactly B rows            one per B    0.59 s   0.07 s   0.14 s
    mask over all training rows per step       1            4.4 s    1.05 s   0.35 s
    chunked gather of 32-row chunks (chosen)   1            0.78 s   0.21 s   0.18 s

A static B is fastest but makes every batch size its own compiled program (~9 MB and hundreds of
memory mappings each; issue 11). A mask costs a pass over the whole data per step, ~N/B times the
work. The chunked gather keeps one program for every B at about the static speed for B >= 32 (the
gradient of a step is summed over ceil(B/32) gathered chunks, rows past the batch weighted 0); below
32 a step computes a full chunk, a price paid only by batches that are slow anyway (many steps).

Static sizes are bucketed so that few programs exist: snapshot slots (SNAPSHOT_BUCKETS), the number
of data points (DATA_BUCKETS, padded with masked rows), the number of runs (RUN_BUCKETS, padded by
repeating the last run); output maps and snapshot statistics run in fixed blocks of MAP_BLOCK
parameter vectors. The programs live in the app's bounded least-recently-used table
(``programs.bounded_jit``, issue 11), so a long session cannot pile them up; ``compiled_program_count``
reports how many of this package's programs are live. A typical Training page session (one
architecture and optimizer, 1 and 8 seeds, maps) holds 3: the 1-run and 8-run training programs and
one map program.

Divergence: a step whose gradient or new parameters are non-finite, or whose parameters leave
|theta_i| < DIVERGENCE_BOUND, is not applied; the run stops there (its parameters stay those of the
last good step) and ``TrainingRun.failure_*`` record the epoch, the step, and per layer the parameter
norm before, the gradient norm and the parameter norm the step would have produced (what grew).
A run also stops, by choice, at the first snapshot whose test loss is below ``stop_test_loss``.

Regularization (part 3): ``TrainSettings.l2`` adds l2 theta to every step's gradient (the penalty
(l2/2)||theta||^2 on the whole flat vector). Dropout (``networks.dropout``) is a static switch of the
program (``StaticConfig.dropout``): on, each chunk of a step draws its masks from the key folded from
the run's seed, the epoch, the step and the chunk (a new mask per example and per step), and the
epoch's losses as trained are summed into ``TrainingRun.step_loss``; off (every keep probability 1,
the default), the program is the one without masks. Snapshots never drop units.
"""

from __future__ import annotations

import collections
import math
from dataclasses import asdict, dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.activations import ACTIVATIONS
from networks.datasets import TEST, TRAIN, Dataset
from networks.dropout import DropoutMasks, step_key, validate_keep
from networks.model import (
    Architecture,
    example_correct,
    example_losses,
    flatten_params,
    init_params,
    initial_running,
    network_pass,
    param_layer_index,
    predict,
    unravel_function,
)
from networks.normalization import Running, update_running
from optimizers import OPTIMIZERS
from programs import bounded_jit, clear_programs

MAX_EPOCHS = 5000
SNAPSHOT_BUCKETS = (17, 33, 65, 129, 257)  # slots, the initial snapshot included
DATA_BUCKETS = (128, 256, 512, 1024, 2048, 4096)
RUN_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
MAP_BLOCK = 16  # parameter vectors per call of the map and snapshot programs
CHUNK = 32
BATCH_BUCKETS = (32, 64, 128, 256, 512, 1024, 2048, 4096)  # rows gathered per step with batch norm
HISTOGRAM_BINS = 30
DIVERGENCE_BOUND = 1e6
HYPERPARAMETERS = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "l2", "keep_input", "keep_hidden")
STATUS = {
    0: "ran to the end",
    1: "the gradient became non-finite",
    2: "the parameters became non-finite",
    3: "the parameters grew beyond the divergence bound",
    4: "the test loss reached the stop condition",
}

#: How many times each compiled program of this module was traced (tests assert it does not grow).
TRACE_COUNTS: collections.Counter = collections.Counter()


@dataclass(frozen=True)
class TrainSettings:
    """Everything a student sets, as plain Python values. Only ``optimizer`` is static.

    ``l2``: the L2 penalty. The loss a training step minimizes is the mean minibatch loss plus
    (l2 / 2) ||theta||^2 over the whole flat vector theta (every weight, bias, slope, gamma and beta),
    so the optimizer receives g + l2 theta (Adam + L2: the penalty's gradient goes through Adam's
    scaling). AdamW's ``weight_decay`` is different: decoupled, subtracted after Adam's step.
    Snapshots report the data loss alone (without the penalty).
    ``keep_input``, ``keep_hidden``: inverted dropout's keep probabilities p of the input layer and
    of every hidden layer in training steps (1 = no dropout; see ``networks.dropout``).
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    l2: float = 0.0
    keep_input: float = 1.0
    keep_hidden: float = 1.0
    batch_size: int = 32
    epochs: int = 300
    snapshot_every: int = 10
    weight_scheme: str = "glorot_normal"
    weight_scale: float | None = None
    bias_scheme: str = "zero"
    bias_value: float = 0.1
    stop_test_loss: float = -math.inf
    seed: int = 0

    def replace(self, **changes) -> "TrainSettings":
        return TrainSettings(**{**asdict(self), **changes})

    @property
    def n_snapshots(self) -> int:
        """Snapshots at epochs 0, k, 2k, ... and at the last epoch."""
        return math.ceil(self.epochs / self.snapshot_every) + 1

    @property
    def snapshot_epochs(self) -> np.ndarray:
        return np.minimum(np.arange(self.n_snapshots) * self.snapshot_every, self.epochs)


class StaticConfig(NamedTuple):
    """What shapes a compiled training program."""

    architecture: Architecture
    optimizer: str
    n_slots: int
    bins: int = HISTOGRAM_BINS
    chunk: int = CHUNK
    dropout: bool = False  # a program with dropout masks (and recorded step losses); without it, none


class LayerSnapshot(NamedTuple):
    """Statistics of one hidden layer over the training inputs (per unit: arrays of its width)."""

    z_mean: jax.Array
    z_std: jax.Array
    x_mean: jax.Array
    x_std: jax.Array
    delta_mean: jax.Array  # delta = dl_n / dz_n, the back-propagated gradient of one example's loss
    delta_std: jax.Array
    z_histogram: jax.Array  # (bins,) counts over every (example, unit) in [-z_range, z_range]
    x_histogram: jax.Array
    delta_histogram: jax.Array
    z_range: jax.Array
    x_range: jax.Array
    delta_range: jax.Array
    saturated_fraction: jax.Array  # share of (example, unit) pairs in saturation
    never_active: jax.Array  # units with z <= 0 on every training input
    dead_units: jax.Array  # never_active for ReLU layers (zero gradient there), else 0


class Snapshot(NamedTuple):
    theta: jax.Array
    loss: jax.Array  # (3,) train, validation, test
    accuracy: jax.Array  # (3,) (NaN for regression)
    grad_norm: jax.Array  # (L + 1,) norm of the training-loss gradient of each layer's parameters
    layers: list  # L LayerSnapshots
    running: list = None  # batch norm: the running averages (one Running per hidden layer), else None
    step_loss: jax.Array = None  # dropout programs: mean minibatch loss of the previous epoch as trained


class Failure(NamedTuple):
    """The first step that was not applied: why, when, its gradient and the parameters it would give."""

    status: jax.Array
    epoch: jax.Array
    step: jax.Array
    gradient: jax.Array
    theta_after: jax.Array


# ----------------------------------------------------------------------------------- statistics


def masked_unit_moments(values, weights, count):
    """Per-unit mean and standard deviation of values (N, width) over the rows with weight 1."""
    mean = weights @ values / count
    variance = weights @ (values - mean) ** 2 / count
    return mean, jnp.sqrt(variance)


def masked_histogram(values, weights, bins: int):
    """Counts of values in ``bins`` equal bins over [-m, m], m = max |value| (rows weighted 0 ignored)."""
    magnitude = jnp.max(jnp.abs(values) * weights[:, None])
    m = jnp.where(magnitude > 0, magnitude, 1.0)
    index = jnp.clip(jnp.floor((values + m) / (2 * m) * bins), 0, bins - 1).astype(jnp.int32)
    # counts[k] = sum_n w_n #{units u: index[n, u] = k}: a compare-and-sum that XLA fuses into one
    # reduction (a scatter-add of every (example, unit) pair was a tenth of the 8-seed training
    # run; bench/results/networks_speed.md). The sums are of 0/1 weights, so the counts are exact.
    counts = jnp.zeros(bins).at[index.ravel()].add(jnp.broadcast_to(weights[:, None], values.shape).ravel())
    return counts, m


def layer_snapshot(activation_key: str, z, x, delta, weights, count, bins: int, activation_input=None,
                   activation_output=None) -> LayerSnapshot:
    """Saturation is read on the activation's output and 'never active' on its input (the same as
    x and z unless the layer is normalized or residual)."""
    activation = ACTIVATIONS[activation_key]
    activation_input = z if activation_input is None else activation_input
    activation_output = x if activation_output is None else activation_output
    z_mean, z_std = masked_unit_moments(z, weights, count)
    x_mean, x_std = masked_unit_moments(x, weights, count)
    d_mean, d_std = masked_unit_moments(delta, weights, count)
    z_hist, z_range = masked_histogram(z, weights, bins)
    x_hist, x_range = masked_histogram(x, weights, bins)
    d_hist, d_range = masked_histogram(delta, weights, bins)
    saturated = jnp.sum(weights[:, None] * activation.saturated(activation_output)) / (count * z.shape[1])
    inactive_everywhere = jnp.all((activation_input <= 0) | (weights[:, None] == 0), axis=0)
    never_active = jnp.sum(inactive_everywhere).astype(jnp.int32)
    dead = never_active if activation.can_die else jnp.zeros((), jnp.int32)
    return LayerSnapshot(z_mean, z_std, x_mean, x_std, d_mean, d_std, z_hist, x_hist, d_hist,
                         z_range, x_range, d_range, saturated, never_active, dead)


def layer_norms(flat, architecture: Architecture):
    """sqrt(sum of squares) of each layer's entries of a flat vector (L + 1 norms; the output last)."""
    ends = np.cumsum(np.bincount(param_layer_index(architecture)))
    starts = np.r_[0, ends[:-1]]
    return jnp.stack([jnp.sqrt(jnp.sum(flat[a:b] ** 2)) for a, b in zip(starts, ends)])


def network_snapshot(architecture: Architecture, bins: int, theta, unravel, inputs, targets, split,
                     running=None) -> Snapshot:
    """Losses and accuracies per split, and every hidden layer's statistics over the training inputs.
    A batch-normalized network is measured in evaluation mode (with ``running``)."""
    params = unravel(theta)
    train_weight = (split == TRAIN).astype(jnp.float64)
    n_train = jnp.sum(train_weight)
    probes = [jnp.zeros((inputs.shape[0], w)) for w in architecture.hidden_widths]

    def training_loss(params, probes):
        result = network_pass(architecture, params, inputs, probes, running)
        return train_weight @ example_losses(architecture.task, result.output, targets) / n_train, result

    (_, result), (g_params, g_probes) = jax.value_and_grad(training_loss, argnums=(0, 1), has_aux=True)(
        params, probes)
    s, zs, xs = result.output, result.zs, result.xs
    losses = example_losses(architecture.task, s, targets)
    correct = example_correct(architecture.task, s, targets)
    in_split = jnp.stack([split == k for k in range(3)]).astype(jnp.float64)
    per_split = jnp.maximum(jnp.sum(in_split, axis=1), 1.0)
    grad_norms = jnp.stack([jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree.leaves(layer))) for layer in g_params])
    plain = architecture.normalization == "none" and not any(architecture.residual)
    layers = [layer_snapshot(key, z, x, g * n_train, train_weight, n_train, bins,
                             None if plain else a_in, None if plain else a_out)
              for key, z, x, g, a_in, a_out in zip(architecture.activations, zs, xs, g_probes,
                                                    result.activation_inputs, result.activation_outputs)]
    return Snapshot(theta, in_split @ losses / per_split, in_split @ correct / per_split, grad_norms, layers,
                    running)


# ------------------------------------------------------------------------------------- training


def epoch_order(u, is_train):
    """The epoch's order of the rows: the training rows sorted by u (ties by row number), then the rest.

    The first n_train entries equal ``argsort(where(is_train, u, 2.0))`` (stable); the entries after
    them are unspecified rows (never given weight). ``jax.random.uniform`` draws u = m / 2^52 with an
    integer m < 2^52, so the single unsigned key m * 2^b + row (b bits hold every row number) sorts
    like the pair (u, row): XLA sorts one plain key several times faster than an argsort's pair of
    arrays with a comparator (the argsort was a tenth of the 8-seed run)."""
    n = u.shape[-1]
    b = max(1, (n - 1).bit_length())
    if 52 + b > 64:
        raise ValueError(f"{n} rows do not fit a 64-bit sort key")
    m = (u * 2.0**52).astype(jnp.uint64)
    rows = jnp.arange(n, dtype=jnp.uint64)
    keys = jnp.where(is_train, (m << b) | rows, jnp.uint64(2**64 - 1))
    return (jnp.sort(keys) & jnp.uint64(2**b - 1)).astype(jnp.int32)


def _train_one(config: StaticConfig, theta0, seed, hyper, data, plan):
    architecture, chunk = config.architecture, config.chunk
    optimizer = OPTIMIZERS[config.optimizer]
    unravel = unravel_function(architecture)
    inputs, targets, split = data["inputs"], data["targets"], data["split"]
    n_padded = inputs.shape[0]
    is_train = split == TRAIN
    n_train = jnp.sum(is_train).astype(jnp.int32)
    batch = jnp.clip(plan["batch_size"], 1, n_train)
    steps_per_epoch = (n_train + batch - 1) // batch
    chunks_per_step = (batch + chunk - 1) // chunk
    key = jax.random.PRNGKey(seed)
    batch_norm = architecture.batch_norm

    def weighted_gradient_sum(params, rows, weights, masks=None):
        """(sum_n w_n grad l_n over the gathered rows as a pytree like params, batch statistics).
        With batch norm the weighted rows are the whole minibatch (one chunk holds it) and the
        statistics are those of its batch-normalized layers. With dropout masks: ((gradient sum,
        the weighted loss sum), batch statistics)."""
        def loss_sum(params):
            result = network_pass(architecture, params, inputs[rows], weights=weights if batch_norm else None,
                                  dropout=masks)
            return weights @ example_losses(architecture.task, result.output, targets[rows]), result.batch_statistics
        if masks is None:
            return jax.grad(loss_sum, has_aux=True)(params)
        (value, statistics), gradient = jax.value_and_grad(loss_sum, has_aux=True)(params)
        return (gradient, value), statistics

    def epoch(e, carry):
        u = jax.random.uniform(jax.random.fold_in(key, e), (n_padded,))
        order = epoch_order(u, is_train)
        order = jnp.concatenate([order, jnp.zeros(n_padded + chunk, jnp.int32)])

        def step(j, carry):
            theta, state, failure, running, epoch_loss = carry
            params = unravel(theta)
            start = j * batch
            count = jnp.minimum(batch, n_train - start)

            def chunk_gradient(c):
                rows = jax.lax.dynamic_slice(order, (start + c * chunk,), (chunk,))
                weights = (c * chunk + jnp.arange(chunk) < count).astype(jnp.float64)
                masks = (DropoutMasks(step_key(key, e, j, c), hyper["keep_input"], hyper["keep_hidden"])
                         if config.dropout else None)
                return weighted_gradient_sum(params, rows, weights, masks)

            def add_chunk(c, total):
                return jax.tree.map(jnp.add, total, chunk_gradient(c)[0])

            first, statistics = chunk_gradient(0)
            total = jax.lax.fori_loop(1, chunks_per_step, add_chunk, first)
            if config.dropout:
                total, loss_total = total
                epoch_loss = epoch_loss + loss_total / n_train
            g = ravel_pytree(total)[0] / count + hyper["l2"] * theta  # the L2 penalty's gradient
            new_theta, new_state = optimizer.update(g, state, theta, hyper, None)
            largest_g, largest_theta = jnp.max(jnp.abs(g)), jnp.max(jnp.abs(new_theta))
            problem = jnp.where(~(largest_g < jnp.inf), 1,
                                jnp.where(~(largest_theta < jnp.inf), 2, jnp.where(largest_theta > DIVERGENCE_BOUND, 3, 0)))
            alive = failure.status == 0
            keep = alive & (problem == 0)
            fails_now = alive & (problem != 0)
            recorded = Failure(problem.astype(jnp.int32), e, j, g, new_theta)
            failure = jax.tree.map(lambda new, old: jnp.where(fails_now, new, old), recorded, failure)
            theta = jnp.where(keep, new_theta, theta)
            state = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_state, state)
            if batch_norm:
                new_running = [update_running(r, mean, var) for r, (mean, var) in zip(running, statistics)]
                running = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_running, running)
            return theta, state, failure, running, epoch_loss

        # with dropout the epoch sums its examples' losses as trained (through their masks) / n_train
        start = carry[:4] + (jnp.zeros(()) if config.dropout else None,)
        return jax.lax.fori_loop(0, steps_per_epoch, step, start)

    def take_snapshot(theta, running):
        return network_snapshot(architecture, config.bins, theta, unravel, inputs, targets, split, running)

    def no_snapshot(theta, running):
        return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(take_snapshot, theta, running))

    def slot(carry, s):
        theta, state, failure, running, epoch_loss = carry
        recorded = jax.lax.cond(s < plan["n_snapshots"], take_snapshot, no_snapshot, theta, running)
        if config.dropout:
            recorded = recorded._replace(step_loss=epoch_loss)
        reached = (s < plan["n_snapshots"]) & (recorded.loss[TEST] < plan["stop_test_loss"]) & (failure.status == 0)
        stop = Failure(jnp.int32(4), jnp.minimum(s * plan["snapshot_every"], plan["epochs"]), jnp.int32(0),
                       failure.gradient, failure.theta_after)
        failure = jax.tree.map(lambda new, old: jnp.where(reached, new, old), stop, failure)
        first = s * plan["snapshot_every"]
        last = jnp.where(s < plan["n_snapshots"] - 1, jnp.minimum(first + plan["snapshot_every"], plan["epochs"]), first)

        def more_epochs(loop):
            e, carry = loop
            return (e < last) & (carry[2].status == 0)

        def one_epoch(loop):
            e, carry = loop
            return e + 1, epoch(e, carry)

        _, carry = jax.lax.while_loop(more_epochs, one_epoch, (first, (theta, state, failure, running, epoch_loss)))
        return carry, recorded

    failure = Failure(jnp.int32(0), jnp.int32(-1), jnp.int32(-1), jnp.zeros_like(theta0), theta0)
    running0 = initial_running(architecture, jnp)
    init = (theta0, optimizer.init(theta0), failure, running0, jnp.full((), jnp.nan) if config.dropout else None)
    (theta, _, failure, _, _), snapshots = jax.lax.scan(slot, init, jnp.arange(config.n_slots, dtype=jnp.int32))
    norms = (layer_norms(theta, architecture), layer_norms(failure.gradient, architecture),
             layer_norms(failure.theta_after, architecture))
    return snapshots, failure[:3] + norms, theta


@bounded_jit(static_argnums=(0,))
def _train_program(config: StaticConfig, thetas, seeds, hyper, data, plan):
    TRACE_COUNTS[("train", config)] += 1
    one = partial(_train_one, config)
    return jax.vmap(one, in_axes=(0, 0, 0, None, None))(thetas, seeds, hyper, data, plan)


@bounded_jit(static_argnums=(0,))
def _output_map_program(architecture: Architecture, thetas, grid_inputs, running=None):
    TRACE_COUNTS[("map", architecture)] += 1
    unravel = unravel_function(architecture)
    return jax.lax.map(lambda pair: predict(architecture, unravel(pair[0]), grid_inputs, pair[1]), (thetas, running))


@bounded_jit(static_argnums=(0, 1))
def _snapshot_program(architecture: Architecture, bins: int, thetas, inputs, targets, split, running=None):
    TRACE_COUNTS[("snapshot", architecture, bins)] += 1
    unravel = unravel_function(architecture)
    return jax.vmap(lambda theta, r: network_snapshot(architecture, bins, theta, unravel, inputs, targets, split, r))(
        thetas, running)


#: Every jitted program of the networks package (experiments adds its own on import).
PROGRAMS = [_train_program, _output_map_program, _snapshot_program]


def compiled_program_count() -> int:
    """How many compiled programs of the networks package are live right now (they are held in the
    app's bounded table, ``programs.py``, with every other page's programs)."""
    return sum(program._cache_size() for program in PROGRAMS)


def clear_compiled_programs() -> None:
    """Drop every held program, of this package and of the rest of the app (``programs.clear_programs``)."""
    clear_programs()


# --------------------------------------------------------------------------------- Python side


def bucket(n: int, buckets) -> int:
    """The smallest bucket that holds n."""
    for size in buckets:
        if n <= size:
            return size
    raise ValueError(f"{n} is larger than the largest bucket {buckets[-1]}")


def padded_data(dataset: Dataset) -> dict:
    """The dataset's inputs, targets and split padded to a DATA_BUCKETS size (padding has split -1)."""
    n = dataset.n_points
    size = bucket(n, DATA_BUCKETS)
    inputs = np.zeros((size, dataset.n_inputs))
    inputs[:n] = dataset.inputs
    targets = np.zeros(size)
    targets[:n] = dataset.targets
    split = np.full(size, -1, np.int32)
    split[:n] = dataset.split
    return {"inputs": inputs, "targets": targets, "split": split}


class TrainingRun(NamedTuple):
    """R runs, each with n snapshots (index 0 = the initial parameters). NumPy arrays throughout."""

    architecture: Architecture
    settings: TrainSettings
    seeds: np.ndarray  # (R,)
    epochs: np.ndarray  # (n,) epoch of each snapshot
    theta: np.ndarray  # (R, n, P)
    loss: np.ndarray  # (R, n, 3) train, validation, test
    accuracy: np.ndarray  # (R, n, 3)
    grad_norm: np.ndarray  # (R, n, L + 1)
    layers: list  # L LayerSnapshots of arrays (R, n, ...)
    status: np.ndarray  # (R,) key into STATUS
    failure_epoch: np.ndarray  # (R,) completed epochs before the failing step (-1 if none)
    failure_step: np.ndarray  # (R,) its step within that epoch, from 0
    failure_param_norm_before: np.ndarray  # (R, L + 1)
    failure_grad_norm: np.ndarray  # (R, L + 1)
    failure_param_norm_after: np.ndarray  # (R, L + 1)
    final_theta: np.ndarray  # (R, P) after the last epoch (or the last good step)
    running: list = None  # batch norm: per hidden layer Running(mean, var) of arrays (R, n, width), else None
    #: dropout programs (R, n): the mean loss of the training examples as trained (through their masks,
    #: without the L2 penalty) over the epoch before each snapshot (NaN at snapshot 0); else None
    step_loss: np.ndarray = None

    def running_at(self, run: int = 0, snapshot: int = -1):
        """The running averages of one run at one snapshot (None without batch norm)."""
        if self.running is None:
            return None
        return [Running(np.asarray(r.mean[run, snapshot]), np.asarray(r.var[run, snapshot])) for r in self.running]

    def params(self, run: int = 0, snapshot: int = -1) -> list:
        """The parameter pytree of one run at one snapshot."""
        from networks.model import unflatten_params
        return unflatten_params(self.architecture, self.theta[run, snapshot])

    def valid_snapshots(self, run: int = 0) -> int:
        """How many snapshots hold real training states (all, unless the run stopped early)."""
        if self.status[run] == 0:
            return len(self.epochs)
        return int(np.searchsorted(self.epochs, self.failure_epoch[run], side="right"))

    def message(self, run: int = 0) -> str:
        """What happened to run ``run``, in words: what grew and when, for a divergence."""
        status = int(self.status[run])
        if status == 0:
            return STATUS[0]
        epoch = int(self.failure_epoch[run])
        if status == 4:
            return f"{STATUS[4]} after epoch {epoch}"
        before, after, grad = (self.failure_param_norm_before[run], self.failure_param_norm_after[run],
                               self.failure_grad_norm[run])
        names = [f"layer {l + 1}" for l in range(self.architecture.depth)] + ["the output layer"]
        growth = np.where(np.isfinite(after), after / np.maximum(before, 1e-300), np.inf)
        worst = int(np.argmax(np.where(np.isfinite(grad), 0, 1) * 1e300 + np.nan_to_num(growth, nan=np.inf)))
        return (f"stopped during epoch {epoch + 1} (step {int(self.failure_step[run]) + 1}): {STATUS[status]}; "
                f"{names[worst]} grew most: parameter norm {before[worst]:.3g} -> {after[worst]:.3g}, "
                f"gradient norm {grad[worst]:.3g}")


def _validate(architecture: Architecture, dataset: Dataset, settings: TrainSettings):
    optimizer = OPTIMIZERS.get(settings.optimizer)
    if optimizer is None or optimizer.family != "first-order":
        first = sorted(k for k, o in OPTIMIZERS.items() if o.family == "first-order")
        raise KeyError(f"optimizer must be a first-order one of {first}, got {settings.optimizer!r}")
    if dataset.n_inputs != architecture.n_inputs:
        raise ValueError(f"the network takes {architecture.n_inputs} inputs, the dataset has {dataset.n_inputs}")
    if dataset.task != architecture.task:
        raise ValueError(f"the network is for {architecture.task}, the dataset for {dataset.task}")
    if not 1 <= settings.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS}, got {settings.epochs}")
    if not 1 <= settings.snapshot_every <= settings.epochs:
        raise ValueError(f"snapshot_every must be between 1 and epochs, got {settings.snapshot_every}")
    if settings.n_snapshots > SNAPSHOT_BUCKETS[-1]:
        raise ValueError(f"{settings.n_snapshots} snapshots is more than {SNAPSHOT_BUCKETS[-1]}: "
                         "raise snapshot_every")
    if settings.batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {settings.batch_size}")
    for name in HYPERPARAMETERS:
        if not np.isfinite(getattr(settings, name)):
            raise ValueError(f"{name} must be a finite number, got {getattr(settings, name)}")


def train(architecture: Architecture, dataset: Dataset, settings: TrainSettings, seeds=None,
          initial_params=None, hyper_overrides: dict | None = None, dropout: bool | None = None) -> TrainingRun:
    """Train one network per seed (default: ``settings.seed``) in one compiled, vmapped call.

    Each seed draws its own initial parameters (``settings.weight_scheme`` ...) and its own minibatch
    order. ``initial_params`` (a list of R pytrees, or an (R, P) array) replaces the drawn ones;
    ``hyper_overrides`` maps a hyperparameter name (lr, momentum, ...) to R values (one per run).
    ``dropout``: whether the program draws dropout masks; None (default) = whenever a keep
    probability of some run is below 1. True keeps one program for every keep probability, 1
    included (a keep-probability slider then never switches programs; p = 1 gives the same numbers
    as the program without masks, whose steps cost what they cost without dropout).
    """
    _validate(architecture, dataset, settings)
    seeds = np.atleast_1d(np.asarray([settings.seed] if seeds is None else seeds, dtype=np.int64))
    n_runs = len(seeds)
    if initial_params is None:
        thetas = np.stack([flatten_params(init_params(architecture, int(s), settings.weight_scheme,
                                                      settings.weight_scale, settings.bias_scheme,
                                                      settings.bias_value)) for s in seeds])
    elif isinstance(initial_params, np.ndarray) and initial_params.ndim == 2:
        thetas = np.asarray(initial_params, dtype=float)
    else:
        thetas = np.stack([flatten_params(p) for p in initial_params])
    if thetas.shape[0] != n_runs:
        raise ValueError(f"{thetas.shape[0]} initial parameter vectors for {n_runs} seeds")
    hyper = {name: np.full(n_runs, float(getattr(settings, name))) for name in HYPERPARAMETERS}
    for name, values in (hyper_overrides or {}).items():
        if name not in HYPERPARAMETERS:
            raise KeyError(f"unknown hyperparameter {name!r}; choose one of {HYPERPARAMETERS}")
        hyper[name] = np.broadcast_to(np.asarray(values, dtype=float), (n_runs,)).copy()
    if np.any(hyper["l2"] < 0):
        raise ValueError(f"l2 is a penalty strength, at least 0; got {hyper['l2']}")
    validate_keep("keep_input", hyper["keep_input"])
    validate_keep("keep_hidden", hyper["keep_hidden"])
    if dropout is None:
        dropout = bool(np.any(hyper["keep_input"] < 1) or np.any(hyper["keep_hidden"] < 1))
    elif not dropout and (np.any(hyper["keep_input"] < 1) or np.any(hyper["keep_hidden"] < 1)):
        raise ValueError("dropout=False with a keep probability below 1")

    size = bucket(n_runs, RUN_BUCKETS)
    repeat_last = np.r_[np.arange(n_runs), np.full(size - n_runs, n_runs - 1)]
    plan = {
        "batch_size": np.int32(settings.batch_size),
        "epochs": np.int32(settings.epochs),
        "snapshot_every": np.int32(settings.snapshot_every),
        "n_snapshots": np.int32(settings.n_snapshots),
        "stop_test_loss": np.float64(settings.stop_test_loss),
    }
    config = StaticConfig(architecture, settings.optimizer, bucket(settings.n_snapshots, SNAPSHOT_BUCKETS),
                          dropout=bool(dropout))
    if architecture.batch_norm:  # the whole minibatch in one gathered chunk (its statistics couple the rows)
        n_train = int(np.sum(dataset.split == TRAIN))
        config = config._replace(chunk=bucket(max(1, min(settings.batch_size, n_train)), BATCH_BUCKETS))
    snapshots, (status, epoch, step, norm_before, grad_norm, norm_after), final_theta = _train_program(
        config, thetas[repeat_last], (seeds[repeat_last] % 2**32).astype(np.uint32),
        {k: v[repeat_last] for k, v in hyper.items()}, padded_data(dataset), plan)
    n = settings.n_snapshots
    cut = lambda a: np.asarray(a)[:n_runs, :n]  # noqa: E731
    return TrainingRun(
        architecture, settings, seeds, settings.snapshot_epochs, cut(snapshots.theta), cut(snapshots.loss),
        cut(snapshots.accuracy), cut(snapshots.grad_norm), [jax.tree.map(cut, layer) for layer in snapshots.layers],
        *(np.asarray(a)[:n_runs] for a in (status, epoch, step, norm_before, grad_norm, norm_after, final_theta)),
        None if snapshots.running is None else [jax.tree.map(cut, r) for r in snapshots.running],
        None if snapshots.step_loss is None else cut(snapshots.step_loss),
    )


def _in_blocks(program, thetas: np.ndarray, *args, running=None):
    """Run ``program(thetas_block, *args[, running=running_block])`` over fixed blocks of MAP_BLOCK
    parameter vectors (the last padded), so the number of vectors never changes the compiled shape;
    concatenate the results. ``running`` (batch norm) holds one set of running averages per vector."""
    M = thetas.shape[0]
    pad = lambda a: np.concatenate([a, np.repeat(a[-1:], -M % MAP_BLOCK, axis=0)])  # noqa: E731
    padded = pad(thetas)
    running = None if running is None else jax.tree.map(lambda a: pad(np.asarray(a)), running)
    blocks = []
    for i in range(0, len(padded), MAP_BLOCK):
        extra = {} if running is None else {"running": jax.tree.map(lambda a: a[i:i + MAP_BLOCK], running)}
        blocks.append(program(padded[i:i + MAP_BLOCK], *args, **extra))
    return jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:M], *blocks)


def output_maps(run: TrainingRun, grid_inputs: np.ndarray) -> np.ndarray:
    """The network's output (probability of class 1, or the prediction) on every grid point for every
    run and snapshot: (R, n, G). ``grid_inputs`` are the features of the grid points (see
    ``datasets.grid_points`` and ``datasets.feature_columns``)."""
    R, n, P = run.theta.shape
    program = partial(_output_map_program, run.architecture)
    running = None if run.running is None else jax.tree.map(lambda a: np.asarray(a).reshape(R * n, -1), run.running)
    maps = _in_blocks(program, run.theta.reshape(R * n, P), np.asarray(grid_inputs, dtype=float), running=running)
    return maps.reshape(R, n, -1)


def snapshot_of(architecture: Architecture, thetas: np.ndarray, dataset: Dataset, bins: int = HISTOGRAM_BINS,
                running=None):
    """The snapshot statistics of arbitrary parameter vectors (M, P) on a dataset's training points
    (batch norm: ``running``, a list of Running of arrays (M, width), gives evaluation mode)."""
    data = padded_data(dataset)
    program = partial(_snapshot_program, architecture, bins)
    return _in_blocks(program, np.atleast_2d(thetas), data["inputs"], data["targets"], data["split"], running=running)
