"""Cached bridges between the pages and the math: results are NumPy data keyed by plain settings,
so a rerun with the same settings costs a dictionary look-up, and new settings reuse compiled code."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from analysis.curvature import Curvature, curvature_from_hessians
from landscapes import get_landscape
from landscapes.base import Landscape
from optimizers import run_race
from optimizers.engine import RunSettings


# ---- your own data: kept in its session only -------------------------------------------------------
# A landscape built from a user's CSV carries ("user_data", <fingerprint>) in its settings. The rows live
# in that session's st.session_state; every cached bridge below sends such settings to a session-scoped
# twin of its cache (Streamlit drops it when the session ends), so nothing computed from them is ever
# in a cache another session reads, and nothing is written to disk.

USER_DATA = "_user_data"  # st.session_state key: {fingerprint: UserData}
PRIVATE_ENTRIES = 8  # entries per session of each session-scoped cache


def is_private(settings: tuple) -> bool:
    return any(name == "user_data" for name, _ in settings)


def check_owned(settings: tuple) -> None:
    """Refuse settings that name rows this session does not hold, before any cache is consulted: the
    session-scoped caches are one wall, this is the other (it holds even where sessions share an id,
    as AppTest's do)."""
    fingerprint = dict(settings).get("user_data")
    if fingerprint not in st.session_state.get(USER_DATA, {}):
        raise LookupError("this session holds no data with that fingerprint (uploaded data stays in its own session)")


def remember_user_data(data) -> str:
    """Keep validated rows in this session; returns the fingerprint that goes into the settings."""
    store = st.session_state.setdefault(USER_DATA, {})
    store.clear()  # one dataset per session at a time: the latest upload
    store[data.fingerprint] = data
    return data.fingerprint


def both_scopes(cache, **kwargs):
    """``cache(**kwargs)`` (st.cache_data or st.cache_resource) for ordinary settings, and a
    session-scoped twin for settings that hold a user's data (first two arguments: key, settings)."""
    def wrap(function):
        shared = cache(show_spinner=False, **kwargs)(function)
        private = cache(show_spinner=False, **{**kwargs, "max_entries": PRIVATE_ENTRIES}, scope="session")(function)

        @functools.wraps(function)
        def call(key, settings, *args, **kwargs):
            if is_private(settings):
                check_owned(settings)
                return private(key, settings, *args, **kwargs)
            return shared(key, settings, *args, **kwargs)

        def clear():
            shared.clear()
            try:
                private.clear()  # this session's entries; outside a session there are none
            except st.errors.StreamlitAPIException:
                pass

        call.clear = clear
        return call
    return wrap


@st.cache_resource(scope="session", max_entries=PRIVATE_ENTRIES, show_spinner=False)
def _private_landscape(key: str, settings: tuple) -> Landscape:
    from landscapes.user_data import landscape_from_data

    options = dict(settings)
    data = st.session_state[USER_DATA][options.pop("user_data")]
    return landscape_from_data(key, data, **options)


def landscape_from(key: str, settings: tuple) -> Landscape:
    """The landscape for (key, sorted settings items); cached in-process by ``get_landscape`` (a typed
    formula by ``formula_landscape``'s bounded cache; a user's data in its session)."""
    if key == "formula":
        from landscapes.formula import formula_landscape

        return formula_landscape(**dict(settings))
    if is_private(settings):
        check_owned(settings)
        return _private_landscape(key, settings)
    return get_landscape(key, **dict(settings))


@both_scopes(st.cache_data, max_entries=64)
def loss_grid(key: str, settings: tuple, resolution: int = 120):
    return landscape_from(key, settings).grid(resolution)


@both_scopes(st.cache_data, max_entries=256)
def race(key: str, settings: tuple, optimizer_keys: tuple, run: RunSettings, start: tuple) -> dict:
    """{optimizer: (Trajectories, Curvature along its valid path)} for every optimizer from ``start``."""
    landscape = landscape_from(key, settings)
    out = {}
    for opt, traj in run_race(landscape, optimizer_keys, run, start).items():  # one compiled call for all
        curv: Curvature = curvature_from_hessians(traj.hessian[0, : traj.valid_length(0)])
        out[opt] = (traj, curv)
    return out


# ---- the Playground's views, cached by their inputs ---------------------------------------------
# st.cache_resource hands back the same objects (no copy): callers must treat them as read-only and
# build new top-level figure dicts around them (ui.charts says so too). Entries are shared by every
# session with the same settings, so a class on the default view computes them once.

CONTOUR_TITLE = "Contour map: paths and Hessian eigenvectors"


@both_scopes(st.cache_resource, max_entries=32)
def map_layers(key: str, settings: tuple, present: bool) -> dict:
    """What the Playground's two maps draw whatever the run: the contour grid, the click grid, the
    critical points, the surface (``present``: presentation mode, which sets sizes)."""
    from ui import charts

    landscape = landscape_from(key, settings)
    grid = loss_grid(key, settings)
    contour = charts.contour_map(landscape, grid, CONTOUR_TITLE, click_grid=True, as_dict=True)
    surface, transform, z_range = charts.surface_base(landscape, grid)
    for fig in (contour, surface):  # the grids go as float32: half the bytes to build, hash and send
        fig["data"][0] = {**fig["data"][0], "z": np.asarray(fig["data"][0]["z"], dtype=np.float32)}
    return {"grid": grid, "contour": charts.encode_arrays(contour), "surface": charts.encode_arrays(surface),
            "transform": transform, "z_range": z_range}


@both_scopes(st.cache_resource, max_entries=64)
def race_views(key: str, settings: tuple, optimizer_keys: tuple, run: RunSettings, start: tuple, present: bool) -> dict:
    """The race and everything the Playground derives from it that does not depend on the scrubbed step:
    paths on the surface, readouts at every scrubber position, the line charts, the table, divergence notes."""
    from analysis.summary import divergence_explanation, race_table
    from optimizers import OPTIMIZERS
    from ui import charts
    from ui.scrubber import payload, positions, readouts

    landscape = landscape_from(key, settings)
    layers = map_layers(key, settings, present)
    results = race(key, settings, optimizer_keys, run, start)
    trajectories = {k: r[0] for k, r in results.items()}
    curvatures = {k: r[1] for k, r in results.items()}
    paths = {k: t.path(0) for k, t in trajectories.items()}
    names = {k: OPTIMIZERS[k].name for k in optimizer_keys}
    longest = max(len(p) for p in paths.values()) - 1
    steps = positions(max(longest, 0))
    surface_paths = {k: charts.surface_path_z(landscape, layers["transform"], layers["z_range"], p) for k, p in paths.items()}
    best = min([m.loss for m in landscape.minima() if m.loss is not None]
               or [min(float(t.losses(0).min()) for t in trajectories.values())])
    gaps = {k: np.maximum(t.losses(0) - best, 1e-16) for k, t in trajectories.items()}
    first_order = [k for k in optimizer_keys if OPTIMIZERS[k].family == "first-order"]
    limits = {"2/η (first-order)": trajectories[first_order[0]].learning_rates(0)} if first_order else {}
    line_charts = {
        "loss": charts.series_figure(gaps, names, "Loss above the best minimum", "L − L* (log scale)", step=0, as_dict=True),
        "grad_norm": charts.series_figure({k: t.grad_norms(0) for k, t in trajectories.items()}, names, "Gradient norm",
                                          "|∇L| (log scale)", step=0, as_dict=True),
        "stability": charts.stability_figure({k: c.lambda_max for k, c in curvatures.items()}, limits, names, step=0, as_dict=True),
    }
    return {
        **{name: charts.encode_arrays(fig) for name, fig in line_charts.items()},
        "trajectories": trajectories, "curvatures": curvatures, "paths": paths, "names": names, "longest": longest,
        "steps": steps, "surface_paths": surface_paths,
        "explanations": {k: divergence_explanation(landscape, t) for k, t in trajectories.items()},
        "scrubber": payload(
            longest=max(longest, 0), domain=landscape.domain,
            bar_base=0.09 * max(np.ptp(landscape.domain[0]), np.ptp(landscape.domain[1])),
            optimizers=[{"key": k, "name": names[k], "x": paths[k][:, 0], "y": paths[k][:, 1], "z": surface_paths[k][2],
                         "readouts": readouts(steps, paths[k], trajectories[k].losses(0), trajectories[k].grad_norms(0), curvatures[k])}
                        for k in optimizer_keys]),
        "table": race_table(landscape, trajectories, names),
    }


@both_scopes(st.cache_resource, max_entries=8)
def race_animation(key: str, settings: tuple, optimizer_keys: tuple, run: RunSettings, start: tuple, present: bool) -> dict:
    """The animated race (a dict figure with frames), built only when it is asked for."""
    from ui import charts

    views = race_views(key, settings, optimizer_keys, run, start, present)
    return charts.encode_arrays(charts.animation_figure(landscape_from(key, settings), map_layers(key, settings, present)["grid"],
                                                        views["paths"], views["names"], as_dict=True))


@functools.lru_cache(maxsize=None)
def optimizer_source(key: str) -> str:
    """An optimizer's source code for the page (``inspect.getsource`` reads files: once per process)."""
    from optimizers import OPTIMIZERS

    return OPTIMIZERS[key].source()
