"""What the Continuation page draws, cached by the settings each part depends on (and ``present``,
presentation mode, which sets type sizes): moving the blur slider rebuilds only the blurred map, the run
settings only the run section.

The builders return plain dict figures with their arrays already encoded (``ui.charts.encode_arrays``), held
by ``st.cache_resource`` (no copy on a hit): treat them as read-only. The challenges read the results from
``ui.nonconvex.compute.continuation_compare``'s cache.

Entry weights (pickle length of one return value, measured with the defaults) bound ``max_entries`` so that a
full cache stays under 50 MB: written next to each builder.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import charts
from ui.nonconvex import charts as nc
from ui.nonconvex import compute

EXAMPLE_COLORS = ["#000000", "#F0E442", "#56B4E9"]


# 0.12 MB per entry (measured: a 100² grid): 256 entries ≤ 30 MB (the σ slider has 101 stops per loss)
@st.cache_resource(max_entries=256, show_spinner=False)
def blurred_map(name: str, sigma: float, present: bool) -> dict:
    """The loss blurred with width ``sigma``."""
    landscape = compute.continuation_landscape(name)
    grid = compute.smoothed_grid(name, float(sigma))
    return charts.encode_arrays(nc.contour_figure(landscape, grid, f"Blurred loss L_σ, σ = {sigma:g}", height=500))


# 0.12 MB per entry (measured); one per loss and presentation mode
@st.cache_resource(max_entries=8, show_spinner=False)
def loss_map(name: str, present: bool) -> dict:
    """The loss itself (σ = 0) as a map."""
    landscape = compute.continuation_landscape(name)
    return charts.encode_arrays(nc.contour_figure(landscape, compute.smoothed_grid(name, 0.0), "The loss L", height=500))


# 0.32 MB per entry (measured: two 100² maps, 256 starts, six example paths): 128 entries ≤ 41 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def runs(name: str, sigma0: float, n_stages: int, lr: float, seed: int, n_starts: int, present: bool) -> dict:
    """Section 2: where each start ends with direct descent and with continuation, the success rates, σ per step."""
    landscape = compute.continuation_landscape(name)
    raw = compute.smoothed_grid(name, 0.0)
    result = compute.continuation_compare(name, float(sigma0), int(n_stages), float(lr), int(seed), int(n_starts))
    starts = result.direct_paths[:, 0]
    maps = {}
    for label, ok, paths, key in (("Direct descent", result.direct_success, result.direct_paths, "cont_direct_map"),
                                  ("Continuation", result.continuation_success, result.continuation_paths, "cont_cont_map")):
        fig = nc.contour_figure(landscape, raw, f"{label}: starts coloured by success", height=500)
        nc.add_start_points(fig, starts[ok], "start → global minimum", "#009E73")
        nc.add_start_points(fig, starts[~ok], "start → elsewhere", "#D55E00", symbol="x")
        examples = {f"example path {i + 1}": paths[i] for i in range(3)}
        nc.add_named_paths(fig, examples, dict(zip(examples, EXAMPLE_COLORS)), markers=False)
        maps[key] = charts.encode_arrays(fig)
    cont_rate, direct_rate = float(result.continuation_success.mean()), float(result.direct_success.mean())
    bad = ~np.isfinite(result.continuation_loss) | ~np.isfinite(result.direct_loss)
    return {**maps, "cont_rate": cont_rate, "direct_rate": direct_rate,
            "direct_median": float(np.median(result.direct_loss)), "cont_median": float(np.median(result.continuation_loss)),
            "bad": int(bad.sum()),
            "success": charts.encode_arrays(nc.success_figure(["direct descent", "continuation"], [direct_rate, cont_rate])),
            "schedule": charts.encode_arrays(nc.sigma_figure(result.sigmas))}
