"""Cached bridges between the pages and the math: results are NumPy data keyed by plain settings,
so a rerun with the same settings costs a dictionary look-up, and new settings reuse compiled code."""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.curvature import Curvature, curvature_at
from landscapes import get_landscape
from landscapes.base import Landscape
from optimizers import run_trajectories
from optimizers.engine import RunSettings, Trajectories


def landscape_from(key: str, settings: tuple) -> Landscape:
    """The landscape for (key, sorted settings items); cached in-process by ``get_landscape``."""
    return get_landscape(key, **dict(settings))


@st.cache_data(max_entries=64, show_spinner=False)
def loss_grid(key: str, settings: tuple, resolution: int = 120):
    return landscape_from(key, settings).grid(resolution)


@st.cache_data(max_entries=256, show_spinner=False)
def race(key: str, settings: tuple, optimizer_keys: tuple, run: RunSettings, start: tuple) -> dict:
    """{optimizer: (Trajectories, Curvature along its valid path)} for every optimizer from ``start``."""
    landscape = landscape_from(key, settings)
    out = {}
    for opt in optimizer_keys:
        traj: Trajectories = run_trajectories(landscape, opt, [start], run)
        curv: Curvature = curvature_at(landscape, traj.path(0))
        out[opt] = (traj, curv)
    return out


def finite_or_none(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
