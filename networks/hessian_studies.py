"""Studies of a network's Hessian built on ``networks.hessian``: how the lecture's recommendations change
its conditioning, how far it is from block-diagonal, and what the exact Hessian costs against Lanczos.

NumPy and JAX only (no Streamlit, no Plotly), usable from a notebook:

    >>> from networks.hessian_studies import VARIANTS, condition_study, block_study
    >>> study = condition_study(VARIANTS["tanh"], seeds=range(4))
    >>> study.initial[0].kappa, study.trained[0].n_negative
    >>> blocks = block_study(BLOCK_NETWORKS["batch_skip"], seeds=range(4))
    >>> blocks.share_initial, blocks.share_trained

The condition number of an indefinite matrix. A network's Hessian has negative eigenvalues (it is not
convex), and many eigenvalues are zero or nearly so. With lambda_max the largest eigenvalue and the
floor tau = RELATIVE_FLOOR * lambda_max, eigenvalues with |lambda| <= tau count as flat, those below
-tau as negative, and the condition number of the positive part is

    kappa_+ = lambda_max / lambda_min+,   lambda_min+ = the smallest eigenvalue above tau.

It is the notes' lambda_max / lambda_min on the directions where the loss curves upwards (on a convex
quadratic it is the ordinary condition number, as long as lambda_min > tau). A network's spectrum runs
continuously down to zero, so kappa_+ sits near its ceiling 1 / tau for most networks: the floor decides
it. What the recommendations change is the top of the spectrum, a few outlying eigenvalues far above the
rest; ``top_ratio`` = lambda_1 / lambda_k (k = TOP_K, the k-th largest eigenvalue) measures that spread
and depends on no floor.

The recommendations are tried one at a time against a reference network (two tanh layers of 8 units,
standardized inputs, LeCun-normal weights) on the same two moons, each with the same training
(``STUDY_SETTINGS``). "Raw" inputs shift and stretch one coordinate (x -> scale * x + offset), as
measurements in other units would; "centred" subtracts the training mean of each input, "standardized"
also divides by its standard deviation.

Off-block share (per neuron, ``networks.hessian.off_block_share``): ||H - blockdiag(H)||_F^2 / ||H||_F^2,
the part of the Hessian that couples parameters of different neurons.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from networks.datasets import TRAIN, Dataset, make_dataset
from networks.hessian import (
    eigenvalues,
    hessian,
    lanczos_top,
    n_parameters,
    neuron_blocks,
    off_block_share,
    spectral_density,
    training_data,
)
from networks.model import Architecture, flatten_params, init_params, mlp
from networks.training import TrainSettings, TrainingRun, train

RELATIVE_FLOOR = 1e-3  # eigenvalues within tau = 1e-3 lambda_max of zero count as flat
TOP_K = 10  # the spread of the top of the spectrum: lambda_1 / lambda_10
STUDY_POINTS = 400  # the two moons: 280 training points
STUDY_NOISE = 0.1
STUDY_SETTINGS = TrainSettings(optimizer="adam", lr=0.01, batch_size=32, epochs=200, snapshot_every=200)
RAW_OFFSET, RAW_SCALE = 5.0, 10.0
LARGE_GAIN = 4.0
STUDY_SEEDS = (0, 1, 2, 3)


# ------------------------------------------------------------------------------ the condition number


class Conditioning(NamedTuple):
    lambda_max: float
    lambda_min_positive: float  # the smallest eigenvalue above the floor (NaN if none)
    kappa: float  # lambda_max / lambda_min_positive (NaN if no positive eigenvalue)
    n_negative: int  # eigenvalues below -floor
    n_flat: int  # |lambda| <= floor
    n_positive: int
    most_negative: float  # the smallest eigenvalue
    top_ratio: float  # lambda_1 / lambda_k, the k-th largest eigenvalue (inf if it is not positive)
    k: int


def conditioning(values, relative_floor: float = RELATIVE_FLOOR, k: int = TOP_K) -> Conditioning:
    """The condition number of the positive part of a symmetric matrix's spectrum, and the spread of its
    top k eigenvalues (module docstring)."""
    values = np.sort(np.asarray(values, float))
    top = float(values[-1])
    floor = relative_floor * max(top, 0.0)
    positive = values[values > floor]
    has_positive = bool(positive.size) and top > 0
    smallest = float(positive[0]) if has_positive else float("nan")
    k = int(min(max(k, 1), values.size))
    kth = float(values[-k])
    ratio = top / kth if top > 0 and kth > 0 else float("inf")
    return Conditioning(top, smallest, top / smallest if has_positive else float("nan"),
                        int(np.sum(values < -floor)), int(np.sum(np.abs(values) <= floor)), int(positive.size),
                        float(values[0]), ratio, k)


# ------------------------------------------------------------------------------------- the inputs

INPUTS = ("raw", "centred", "standardized")


def moons(noise: float = STUDY_NOISE, seed: int = 0) -> Dataset:
    return make_dataset("moons", STUDY_POINTS, noise, seed)


def transformed_inputs(dataset: Dataset, kind: str, offset: float = RAW_OFFSET, scale: float = RAW_SCALE) -> Dataset:
    """The dataset with its inputs raw (coordinate 0 -> scale * x + offset, as if measured in other units),
    centred (training mean removed, per input) or standardized (also divided by the training standard
    deviation). The statistics are those of the raw inputs' training split."""
    if kind not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}, got {kind!r}")
    x = np.array(dataset.inputs, float)
    x[:, 0] = scale * x[:, 0] + offset
    train_rows = x[dataset.split == TRAIN]
    if kind == "centred":
        x = x - train_rows.mean(axis=0)
    elif kind == "standardized":
        x = (x - train_rows.mean(axis=0)) / train_rows.std(axis=0)
    return dataset._replace(inputs=x)


# ----------------------------------------------------------------------------- the recommendations


class Variant(NamedTuple):
    """One network of the study: its architecture and inputs, its initial weights' LeCun gain."""

    label: str
    activation: str = "tanh"
    widths: tuple = (8, 8)
    inputs: str = "standardized"
    gain: float = 1.0  # W ~ N(0, gain^2 / n_in)
    normalization: str = "none"
    skip: bool = False

    def architecture(self) -> Architecture:
        return mlp(2, self.widths, self.activation, normalization=self.normalization, skip=self.skip)


VARIANTS = {
    "tanh": Variant("tanh, standardized, LeCun, 8-8"),
    "sigmoid": Variant("sigmoid units", activation="sigmoid"),
    "raw": Variant("raw inputs", inputs="raw"),
    "centred": Variant("centred inputs", inputs="centred"),
    "large_init": Variant(f"LeCun × {LARGE_GAIN:g}", gain=LARGE_GAIN),
    "unequal": Variant("widths 2-32", widths=(2, 32)),
}

#: The notes' recommendations: (title, the variant that breaks it, the variant that follows it) and more.
COMPARISONS = {
    "activation": ("Sigmoid or tanh hidden units", ("sigmoid", "tanh")),
    "inputs": ("Raw, centred or standardized inputs", ("raw", "centred", "tanh")),
    "initialization": ("LeCun or too large an initialization", ("large_init", "tanh")),
    "widths": ("Very unequal or equal layer widths", ("unequal", "tanh")),
}


class ConditionStudy(NamedTuple):
    variant: Variant
    n_parameters: int
    seeds: tuple
    initial_eigenvalues: np.ndarray  # (S, P) ascending, at the initial parameters
    trained_eigenvalues: np.ndarray  # (S, P) after training
    initial: list  # S Conditioning
    trained: list
    train_loss: np.ndarray  # (S, 2) training loss at the start and at the end
    messages: list  # each run's training message
    initial_thetas: np.ndarray  # (S, P)
    trained_thetas: np.ndarray  # (S, P)


def study_data(variant: Variant, offset: float = RAW_OFFSET, scale: float = RAW_SCALE, noise: float = STUDY_NOISE,
               data_seed: int = 0) -> Dataset:
    return transformed_inputs(moons(noise, data_seed), variant.inputs, offset, scale)


def initial_thetas(variant: Variant, seeds, gain: float | None = None) -> np.ndarray:
    architecture = variant.architecture()
    g = variant.gain if gain is None else gain
    return np.stack([flatten_params(init_params(architecture, int(s), "lecun_normal", g)) for s in seeds])


def trained_runs(variant: Variant, dataset: Dataset, settings: TrainSettings = STUDY_SETTINGS, seeds=STUDY_SEEDS,
                 gain: float | None = None) -> TrainingRun:
    """The variant trained from LeCun-normal weights (times its gain) once per seed, in one compiled call."""
    return train(variant.architecture(), dataset, settings, seeds=list(seeds),
                 initial_params=initial_thetas(variant, seeds, gain))


def initial_spectra(variant: Variant, seeds=STUDY_SEEDS, offset: float = RAW_OFFSET, scale: float = RAW_SCALE,
                    gain: float | None = None, data_seed: int = 0) -> np.ndarray:
    """(S, P) eigenvalues of the Hessian at each seed's initial parameters (they do not depend on the training)."""
    data = training_data(study_data(variant, offset, scale, data_seed=data_seed))
    return np.array([eigenvalues(variant.architecture(), theta, data) for theta in initial_thetas(variant, seeds, gain)])


def condition_study(variant: Variant, settings: TrainSettings = STUDY_SETTINGS, seeds=STUDY_SEEDS,
                    offset: float = RAW_OFFSET, scale: float = RAW_SCALE, gain: float | None = None,
                    data_seed: int = 0, initial: np.ndarray | None = None) -> ConditionStudy:
    """Exact Hessian spectra of the training loss at initialization and after training, per seed.
    ``initial``: the spectra at the start if already known (``initial_spectra`` with the same arguments)."""
    architecture = variant.architecture()
    dataset = study_data(variant, offset, scale, data_seed=data_seed)
    run = trained_runs(variant, dataset, settings, seeds, gain)
    data = training_data(dataset)
    S = len(run.seeds)
    first = (list(initial) if initial is not None
             else [eigenvalues(architecture, run.theta[r, 0], data) for r in range(S)])
    last = [eigenvalues(architecture, run.final_theta[r], data) for r in range(S)]
    final_loss = run.loss[np.arange(S), [run.valid_snapshots(r) - 1 for r in range(S)], TRAIN]
    return ConditionStudy(variant, n_parameters(architecture), tuple(int(s) for s in seeds), np.array(first),
                          np.array(last), [conditioning(e) for e in first], [conditioning(e) for e in last],
                          np.stack([run.loss[:, 0, TRAIN], final_loss], axis=1), [run.message(r) for r in range(S)],
                          run.theta[:, 0], run.final_theta)


# ------------------------------------------------------------------------------- the neuron blocks

BLOCK_NETWORKS = {
    "plain": Variant("plain"),
    "skip": Variant("skip connection", skip=True),
    "batch": Variant("batch norm", normalization="batch"),
    "batch_skip": Variant("batch norm + skip", normalization="batch", skip=True),
}


class BlockStudy(NamedTuple):
    variant: Variant
    share_initial: np.ndarray  # (S,) off-block share of the Hessian at the initial parameters
    share_trained: np.ndarray  # (S,) after training
    full_initial: np.ndarray  # (P,) eigenvalues of H (seed 0), ascending
    block_initial: np.ndarray  # (P,) eigenvalues of blockdiag(H) (seed 0), ascending
    full_trained: np.ndarray
    block_trained: np.ndarray
    block_sizes: np.ndarray  # parameters per neuron block


def block_diagonal(H: np.ndarray, blocks: list) -> np.ndarray:
    """H with every entry outside the per-neuron blocks set to zero."""
    out = np.zeros_like(H)
    for b in blocks:
        out[np.ix_(b.own, b.own)] = H[np.ix_(b.own, b.own)]
    return out


def block_study(variant: Variant, settings: TrainSettings = STUDY_SETTINGS, seeds=STUDY_SEEDS,
                data_seed: int = 0) -> BlockStudy:
    """The per-neuron block-diagonal part of the exact Hessian against the whole, before and after training."""
    architecture = variant.architecture()
    dataset = study_data(variant, data_seed=data_seed)
    run = trained_runs(variant, dataset, settings, seeds)
    data = training_data(dataset)
    blocks = neuron_blocks(architecture)
    shares, spectra = {"initial": [], "trained": []}, {}
    for when, thetas in (("initial", run.theta[:, 0]), ("trained", run.final_theta)):
        for r, theta in enumerate(thetas):
            H = hessian(architecture, theta, data)
            shares[when].append(off_block_share(H, blocks))
            if r == 0:
                spectra[when] = (np.linalg.eigvalsh(H), np.linalg.eigvalsh(block_diagonal(H, blocks)))
    return BlockStudy(variant, np.array(shares["initial"]), np.array(shares["trained"]), *spectra["initial"],
                      *spectra["trained"], np.array([len(b.own) for b in blocks]))


# ------------------------------------------------------------------------------------------ cost

COST_WIDTHS = (4, 8, 12, 16)  # two hidden tanh layers: P = 37, 105, 205, 337
COST_STEPS = 32
COST_TOP = 3


class CostRow(NamedTuple):
    width: int
    n_parameters: int
    exact_seconds: float  # jax.hessian (warm) + eigvalsh, wall time
    eigvalsh_seconds: float
    lanczos_seconds: float  # COST_STEPS Hessian-vector products + T's eigenvalues (warm), wall time
    exact_bytes: int  # the P x P matrix
    lanczos_bytes: int  # the m x P basis
    exact_top: np.ndarray  # the COST_TOP largest eigenvalues by eigvalsh
    lanczos_top: np.ndarray  # by Lanczos


def _timed(function, repeats: int = 3):
    function()  # the first call compiles
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def cost_row(width: int, data=None, steps: int = COST_STEPS, k: int = COST_TOP) -> CostRow:
    """Time and memory of the exact Hessian and of Lanczos on two hidden tanh layers of ``width`` units
    at a LeCun-normal start, on the study's moons. Times are the best of 3 warm calls (wall)."""
    architecture = mlp(2, (width, width), "tanh")
    data = training_data(study_data(VARIANTS["tanh"])) if data is None else data
    theta = flatten_params(init_params(architecture, 0, "lecun_normal", 1.0))
    P = n_parameters(architecture)
    m = min(steps, P)
    exact_seconds, H = _timed(lambda: hessian(architecture, theta, data))
    eig_seconds, values = _timed(lambda: np.linalg.eigvalsh(H))
    lanczos_seconds, top = _timed(lambda: lanczos_top(architecture, theta, data, k=k, steps=m))
    return CostRow(width, P, exact_seconds + eig_seconds, eig_seconds, lanczos_seconds, int(H.nbytes), 8 * m * P,
                   values[::-1][:k], np.asarray(top))


BENCH_RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "network_hessian.md"


class StoredBench(NamedTuple):
    """The benchmark's table (bench/bench_network_hessian.py): per size, CPU seconds (NaN past the exact limit)."""

    widths: np.ndarray
    n_parameters: np.ndarray
    exact_cpu: np.ndarray  # warm jax.hessian, CPU seconds
    lanczos_cpu: dict  # steps -> CPU seconds
    exact_megabytes: np.ndarray  # P^2 x 8 bytes


def stored_bench(path: Path = BENCH_RESULTS) -> StoredBench:
    """Read the markdown table the benchmark wrote (columns: net, P, first call, warm wall / CPU, memory, ...)."""
    widths, ps, exact, mem, lanczos = [], [], [], [], {}
    header = None
    for line in path.read_text().splitlines():
        if line.startswith("| net"):
            header = [c.strip() for c in line.strip("|").split("|")]
            continue
        match = re.match(r"\|\s*2 x (\d+)\s*\|", line)
        if not match or header is None:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        widths.append(int(match.group(1)))
        ps.append(int(cells[1]))
        warm = re.findall(r"[\d.]+", cells[3])
        exact.append(float(warm[1]) if len(warm) >= 2 else float("nan"))
        mem.append(float(re.findall(r"[\d.]+", cells[4])[0]))
        for name, cell in zip(header, cells):
            steps = re.match(r"Lanczos (\d+) HVPs", name)
            if steps:
                numbers = re.findall(r"[\d.]+", cell)
                lanczos.setdefault(int(steps.group(1)), []).append(float(numbers[1]))
    return StoredBench(np.array(widths), np.array(ps), np.array(exact), {m: np.array(v) for m, v in lanczos.items()},
                       np.array(mem))


# ------------------------------------------------------------------------------------ the spectrum


class Spectrum(NamedTuple):
    grid: np.ndarray  # eigenvalue axis of the stochastic Lanczos quadrature density
    density: np.ndarray


def slq_spectrum(variant: Variant, theta, offset: float = RAW_OFFSET, scale: float = RAW_SCALE,
                 data_seed: int = 0) -> Spectrum:
    """The SLQ density (4 Rademacher starts, 64 Lanczos steps) of the Hessian at theta, on the variant's data."""
    dataset = study_data(variant, offset, scale, data_seed=data_seed)
    density = spectral_density(variant.architecture(), theta, training_data(dataset), n_vectors=4, steps=64,
                               n_grid=400)
    return Spectrum(density.grid, density.density)
