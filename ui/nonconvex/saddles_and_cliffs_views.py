"""What the Saddles and cliffs page draws, one cached builder per section, keyed by that section's settings
(and ``present``, presentation mode, which sets type sizes): a rerun that changes nothing in a section costs a
dictionary look-up there, and moving a slider rebuilds only its own section's figures.

The builders return plain dict figures with their arrays already encoded (``ui.charts.encode_arrays``), held
by ``st.cache_resource`` (no copy on a hit): treat them as read-only. The results they are built from stay in
``ui.nonconvex.compute``'s caches for the challenges, which read them only while they are shown.

Entry weights (pickle length of one return value, measured with the defaults) bound ``max_entries`` so that a
full cache stays well under 50 MB: written next to each builder.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.cliffs import CLIPPING_VARIANTS, gd_step_bound, step_lengths, wall_edge
from analysis.high_dim_saddle import HD_OPTIMIZERS, HD_STEPS, minimum_loss
from analysis.matrix_powers import spectral_norms
from landscapes import get_landscape
from optimizers import OPTIMIZERS
from optimizers.engine import RunSettings
from ui import charts
from ui.compute import landscape_from, loss_grid, race
from ui.nonconvex import charts as nc
from ui.nonconvex import compute

NAMES = {k: OPTIMIZERS[k].name for k in HD_OPTIMIZERS}
CLIP_COLORS = dict(zip(CLIPPING_VARIANTS, ["#D55E00", "#0072B2", "#009E73"]))
CLIP_DASHES = dict(zip(CLIPPING_VARIANTS, ["solid", "solid", "dash"]))
SADDLE_SETTINGS = (("noise", 0.5),)
# GD last, so that its curve is drawn on top of Newton's where both sit at the saddle
HD_ORDER = ("newton", "saddle_free_newton", "momentum", "adam", "sgd")
HD_SEEDS = 32
HD_INIT_SCALE = 1e-3
CLIFF_Y_START = 0.5


def hd_hyper(lr: float) -> tuple:
    return (("lr", lr), ("momentum", 0.9), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8), ("newton_lr", 1.0), ("damping", 0.1))


def saddle_run(lr: float, newton_lr: float) -> RunSettings:
    return RunSettings(lr=lr, momentum=0.9, newton_lr=newton_lr, damping=1e-3, n_steps=60)


# 0.17 MB per entry (measured: the 120² contour grid and 5 paths): 128 entries ≤ 22 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def saddle_2d(lr: float, offset: float, newton_lr: float, present: bool) -> dict:
    """Section 1: the paths near x² − y² on the map, their distances from the saddle, the runs that stopped."""
    saddle = landscape_from("saddle", SADDLE_SETTINGS)
    results = race("saddle", SADDLE_SETTINGS, HD_OPTIMIZERS, saddle_run(lr, newton_lr), (-1.5, float(offset)))
    paths = {k: r[0].path(0) for k, r in results.items()}
    fig = nc.contour_figure(saddle, loss_grid("saddle", SADDLE_SETTINGS), "Paths near the saddle x² − y²", height=520)
    charts.add_paths(fig, paths, NAMES)
    distances = {k: np.linalg.norm(p, axis=1) for k, p in paths.items()}
    distance = charts.series_figure(distances, NAMES, "Distance from the saddle", "|θ| (log scale)", height=420, as_dict=True)
    return {"map": charts.encode_arrays(fig), "distance": charts.encode_arrays(distance),
            "stopped": [NAMES[k] for k, r in results.items() if r[0].diverged(0)]}


def hd_runs(d: int, k_neg: int, mu: float, lr: float) -> dict:
    """{optimizer: SaddleRuns} of section 2 (cached in ``compute.saddle_runs``)."""
    return compute.saddle_runs(HD_ORDER, d, k_neg, float(mu), hd_hyper(lr), HD_INIT_SCALE, HD_SEEDS, 0)


# 0.17 MB per entry (measured, d = 10 and d = 64: two band charts of 5 optimizers, the table): 128 entries ≤ 22 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def saddle_hd(d: int, k_neg: int, mu: float, lr: float, present: bool) -> dict:
    """Section 2: loss and distance bands over the 32 runs, the escape table, the downhill share."""
    runs = hd_runs(d, k_neg, mu, lr)
    target = minimum_loss(k_neg, float(mu))
    loss = nc.band_figure({k: r.loss - target for k, r in runs.items()}, NAMES,
                          f"Loss above the minima, 32 small random starts, d = {d}", "L − L_min (log scale)",
                          log_y=True, floor=1e-12, height=420)
    distance = nc.band_figure({k: r.distance for k, r in runs.items()}, NAMES, "Distance from the saddle",
                              "|x| (log scale, floor 10⁻¹⁶)", log_y=True, floor=1e-16, height=420)
    rows = []
    half = 0.5 * target
    if k_neg > 0:
        for k, r in runs.items():
            steps = r.escape_steps(half)
            rows.append({"optimizer": NAMES[k], "escaped (of 32)": int((steps >= 0).sum()),
                         "median steps to escape": f"{np.median(steps[steps >= 0]):.0f}" if (steps >= 0).any() else "—",
                         "final distance from saddle": f"{np.median(r.distance[:, -1]):.2e}",
                         "diverged": int((~r.alive[:, -1]).sum())})
    return {"loss": charts.encode_arrays(loss), "distance": charts.encode_arrays(distance), "rows": rows, "half": half,
            "target": target, "share": compute.downhill_share(d, k_neg, float(mu)), "escape_steps": HD_STEPS}


# 6 kB per entry (measured); one entry per presentation mode
@st.cache_resource(max_entries=4, show_spinner=False)
def minimum_share(present: bool) -> dict:
    d_axis, share, _ = compute.random_hessian_share()
    return charts.encode_arrays(nc.minimum_share_figure(d_axis, share))


def cliff_run(lr: float) -> RunSettings:
    return RunSettings(lr=lr, n_steps=100)


def cliff_start(before_wall: float) -> tuple[float, float]:
    return (wall_edge(CLIFF_Y_START) - before_wall, CLIFF_Y_START)


def cliff_results(lr: float, before_wall: float, clip_norm: float, clip_value: float) -> dict:
    """{variant: Trajectories} of section 3 (cached in ``compute.cliff_runs``)."""
    return compute.cliff_runs("sgd", cliff_start(before_wall), cliff_run(lr), float(clip_norm), float(clip_value))


# 0.30 MB per entry (measured: the 160² window and three 101-step paths): 128 entries ≤ 38 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def cliff(lr: float, before_wall: float, clip_norm: float, clip_value: float, present: bool) -> dict:
    """Section 3: the cliff map with the three runs, their jumps against the caps, the numbers below them."""
    landscape = get_landscape("cliff")
    clipped = cliff_results(lr, before_wall, clip_norm, clip_value)
    paths = {name: t.path(0) for name, t in clipped.items()}
    jumps = {name: step_lengths(p) for name, p in paths.items()}
    everything = np.vstack(list(paths.values()))
    (x0, x1), (y0, y1) = landscape.domain
    x_range = (min(x0, float(everything[:, 0].min()) - 0.5), max(x1, float(everything[:, 0].max()) + 0.5))
    y_range = (min(y0, float(everything[:, 1].min()) - 0.5), max(y1, float(everything[:, 1].max()) + 0.5))
    cut = x_range[1] - x_range[0] > 200 or y_range[1] - y_range[0] > 200
    if cut:
        x_range = (max(x_range[0], -100.0), min(x_range[1], 100.0))
        y_range = (max(y_range[0], -100.0), min(y_range[1], 100.0))
    window = compute.loss_window("cliff", (), tuple(x_range), tuple(y_range))
    bounds = {"clip by norm": gd_step_bound(lr, clip_norm=clip_norm), "clip by value": gd_step_bound(lr, clip_value=clip_value)}
    the_map = nc.cliff_map(landscape, window, paths, CLIP_COLORS, "GD from the cliff's edge, 100 steps", CLIP_DASHES)
    variants = {name: {"largest": float(jumps[name].max()), "final_loss": float(t.losses(0)[-1]),
                       "end": tuple(float(v) for v in t.path(0)[-1]), "diverged": bool(t.diverged(0)),
                       "diverged_at": int(t.diverged_at[0])} for name, t in clipped.items()}
    return {"map": charts.encode_arrays(the_map), "jumps": charts.encode_arrays(nc.jump_figure(jumps, CLIP_COLORS, bounds, CLIP_DASHES)),
            "bounds": bounds, "cut": cut, "variants": variants}


# 10-14 kB per entry (measured, n = 50 and n = 100: two charts of at most 101 points): 1024 entries ≤ 15 MB
@st.cache_resource(max_entries=1024, show_spinner=False)
def powers(lam1: float, lam2: float, angle1: float, angle2: float, n_shown: int, present: bool) -> dict:
    """Section 4: ‖Wⁿ‖ against n, the hidden state in the plane, W and the readouts at n."""
    W, V, by_eigen, by_products, states = compute.matrix_powers_data((lam1, lam2), float(angle1), float(angle2), (1.0, 0.4))
    n_axis = np.arange(int(n_shown) + 1)
    shown = slice(0, len(n_axis))
    gap = float(np.max(np.abs(by_eigen[shown] - by_products[shown]) / np.maximum(1.0, np.abs(by_products[shown]))))
    return {"norm": charts.encode_arrays(nc.power_figure(n_axis, spectral_norms(by_eigen[shown]), (lam1, lam2))),
            "state": charts.encode_arrays(nc.hidden_state_figure(states[shown], V)),
            "W": tuple(float(v) for v in np.asarray(W).ravel()),
            "norm_at_n": float(spectral_norms(by_eigen[int(n_shown)])[()]), "gap": gap}
