"""Cached bridges of the page "The Hessian of a network": plain, hashable arguments in, NumPy data out.

Shapes are fixed by the variant (its architecture), the 4 seeds and the moons' data bucket; the epochs,
the learning rate, the raw inputs' offset and scale and the large gain are values (traced arguments of
the training program, or data), so moving them reruns compiled programs and compiles nothing. The floor
tau and k of the condition numbers are applied on the page to cached spectra (NumPy only).

Weights: a study entry holds 2 x 4 spectra and 2 x 4 parameter vectors of at most 135 numbers
(~20 kB); a block study two P x P-free spectra (~5 kB); the cost rows a few numbers."""

from __future__ import annotations

import streamlit as st

from networks import hessian_studies as hs
from networks.hessian import training_data

EPOCH_OPTIONS = (25, 50, 100, 200, 400, 800)
LR_OPTIONS = (0.001, 0.003, 0.01, 0.03, 0.1)


def _settings(epochs: int, lr: float):
    return hs.STUDY_SETTINGS.replace(epochs=int(epochs), snapshot_every=int(epochs), lr=float(lr))


def relevant(key: str, offset: float, scale: float, gain: float) -> tuple:
    """The (offset, scale, gain) a variant depends on; the others at their defaults, so caches are shared."""
    return (float(offset) if key == "raw" else hs.RAW_OFFSET,
            float(scale) if key in ("raw", "centred") else hs.RAW_SCALE,
            float(gain) if key == "large_init" else None)


def study(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float) -> dict:
    return _study(key, int(epochs), float(lr), *relevant(key, offset, scale, gain))


@st.cache_data(max_entries=64, show_spinner=False)
def _study(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float | None) -> dict:
    result = hs.condition_study(hs.VARIANTS[key], _settings(epochs, lr), hs.STUDY_SEEDS, offset, scale, gain)
    return {"initial": result.initial_eigenvalues, "trained": result.trained_eigenvalues,
            "loss": result.train_loss, "messages": result.messages, "P": result.n_parameters,
            "trained_thetas": result.trained_thetas, "initial_thetas": result.initial_thetas,
            "offset": offset, "scale": scale, "gain": gain}


@st.cache_data(max_entries=32, show_spinner=False)
def slq(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float | None, trained: bool) -> dict:
    """The SLQ density of seed 0's Hessian (at the start or after training)."""
    result = _study(key, epochs, lr, offset, scale, gain)
    theta = result["trained_thetas" if trained else "initial_thetas"][0]
    spectrum = hs.slq_spectrum(hs.VARIANTS[key], theta, offset, scale)
    return {"grid": spectrum.grid, "density": spectrum.density}


@st.cache_data(max_entries=32, show_spinner=False)
def blocks(key: str, epochs: int, lr: float) -> dict:
    result = hs.block_study(hs.BLOCK_NETWORKS[key], _settings(epochs, lr), hs.STUDY_SEEDS)
    return {"share_initial": result.share_initial, "share_trained": result.share_trained,
            "full_initial": result.full_initial, "block_initial": result.block_initial,
            "full_trained": result.full_trained, "block_trained": result.block_trained,
            "block_sizes": result.block_sizes}


@st.cache_data(max_entries=8, show_spinner=False)
def cost_rows(widths: tuple) -> list:
    """Live timings of the exact Hessian and of Lanczos (each width compiles its programs once)."""
    data = training_data(hs.study_data(hs.VARIANTS["tanh"]))
    return [hs.cost_row(w, data)._asdict() for w in widths]


@st.cache_data(max_entries=1, show_spinner=False)
def stored_bench() -> dict:
    return hs.stored_bench()._asdict()

