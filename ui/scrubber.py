"""A step scrubber that runs in the browser: moving it moves every view of the page with no server round trip.

Design (issue 10, point 2). Three ways were possible:

1. *Plotly frames and a layout slider in each figure.* A layout slider animates only its own figure, so
   the five views would have five sliders, and the readouts (HTML, not Plotly) could not follow at all.
2. *One figure with every view as a subplot.* One slider, but the 3-D scene, the click-on-map selection
   and the page's separate charts (tests, CSV export, camera buttons) would all change shape.
3. **A small custom component** (``st.components.v2``, JavaScript in the app's page, no iframe): one range
   input that, on every ``input`` event, redraws the views Streamlit has already drawn — chosen.

The component receives the whole run once per server rerun (paths, and the curvature readouts at each
scrubber position, as base64 float64 arrays; cached with the run) and then, per position:

- the contour map: the path prefixes, the heads and the eigenvector bars are drawn as a few SVG paths in a
  layer of our own inside the map's plot area (positioned and clipped like Plotly's traces, pixel
  coordinates from the axes' ``c2p``); Plotly's copies of those traces, drawn by the server at its step, are
  hidden. Measured first with ``Plotly.animate(..., {frame: {redraw: false}})``: 40 ms for a trivial plot and
  ~100 ms for the map on this box (every call re-runs Plotly's defaults for the whole figure), far over
  the 16 ms budget; the SVG layer costs ~1-2 ms. Hover labels stay those of the server's step.
- the line charts: the dotted step line (``layout.shapes[0]``) is moved in the SVG, and Plotly's copy of
  its ``x0``/``x1`` is updated so that a redraw (resize, zoom) keeps it;
- the readouts (loss, eigenvalues, κ, type of point, |∇L| per optimizer): DOM text, so they live in the
  component instead of ``st.metric``;
- the 3-D surface's paths: WebGL, so ``Plotly.restyle`` (40-150 ms here) once the scrubber rests for
  120 ms, not on every key press.

``window.Plotly`` is the plotly.js that Streamlit's own chart chunk installs (its UMD build sets the
global); charts are found by their keys (``.st-key-<key> .js-plotly-plot``). The browser tests scrub and
fail loudly if either goes away.

**Links.** The server renders every view at the step of the link (``?step=``, absent = the end), and the
component starts there. Scrubbing writes the position into the URL with ``history.replaceState`` (and again
whenever a rerun's URL update dropped it), so a copied link keeps the step. The server never learns a
scrubbed position (that is the point); when it reruns for another control, the component keeps the
position scrubbed in the browser and draws it over the new charts, unless the server moved the step
itself (a new link, or a run of another length, which resets the scrubber to the end as before).

Runs longer than ``MAX_POSITIONS`` steps are scrubbed in strides (every k-th step and the last one); the
paths themselves are always drawn in full.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import streamlit as st

from analysis.curvature import CURVATURE_TYPES
from ui.theme import optimizer_color, optimizer_dash, sizes
from ui.urlstate import write_to_link

MAX_POSITIONS = 1000
_JS = (Path(__file__).with_name("scrubber.js")).read_text(encoding="utf-8")
_CSS = """
.scrub { font-family: var(--st-font); color: var(--st-text-color); margin: 0.25rem 0 0.75rem 0; }
.scrub .row { display: flex; align-items: center; gap: 0.75rem; }
.scrub .label { font-size: 0.875rem; }
.scrub .value { font-variant-numeric: tabular-nums; font-weight: 600; }
.scrub .controls { margin: 0.25rem 0 0.5rem 0; }
.scrub input[type=range] { flex: 1; accent-color: var(--st-primary-color); height: 1.5rem; }
.scrub .play { font: inherit; font-size: 0.875rem; padding: 0.25rem 0.75rem; border-radius: var(--st-button-radius, 0.5rem);
  border: 1px solid var(--st-border-color, #d5d5d5); background: var(--st-background-color, #fff); color: inherit; cursor: pointer; }
.scrub .readouts { display: grid; gap: 1rem; }
.scrub .metric-label { font-size: 0.875rem; margin-top: 0.25rem; }
.scrub .metric { font-size: 1.55rem; line-height: 1.3; font-variant-numeric: tabular-nums; }
.scrub .caption { font-size: 0.875rem; color: #5F5E5C; }
.scrub.present .label, .scrub.present .play, .scrub.present .metric-label, .scrub.present .caption { font-size: 19px; }
.scrub.present .name { font-size: 21px; }
.scrub.present .metric { font-size: 2.3rem; font-weight: 600; }
"""

_component = None


def _renderer():
    global _component
    if _component is None:
        _component = st.components.v2.component("optlab_step_scrubber", js=_JS, css=_CSS)
    return _component


def b64(values) -> str:
    """A float64 array as base64 (decoded in the browser as a Float64Array; nan/inf survive)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


def positions(longest: int) -> np.ndarray:
    """The steps the scrubber can show: every step, or every k-th one plus the last for long runs."""
    stride = max(1, int(np.ceil(longest / MAX_POSITIONS)))
    steps = np.arange(0, longest + 1, stride)
    return steps if steps[-1] == longest else np.append(steps, longest)


def step_from_link(longest: int, key: str = "step", reset: bool = False) -> int:
    """The server's step for this run: the link's ``?step=`` on the first run (kept in the session state
    under ``key``, so the link check sees it taken), the end of the run when there is none, when it is not a
    step of this run, or when ``reset`` (a run of another length). The browser scrubs from there."""
    state = st.session_state
    if reset or key not in state:
        value = longest
        if not reset and key in st.query_params:
            try:
                value = int(st.query_params[key])
            except ValueError:
                value = longest
            if not 0 <= value <= longest:
                value = longest
            # From now on the browser keeps the step in the URL; a stale copy on the server would come back
            # with every rerun's URL update.
            write_to_link(key, None)
        state[key] = value
    return min(int(state[key]), longest)


def payload(*, longest: int, optimizers: list[dict], domain, bar_base: float) -> dict:
    """The part of the scrubber's data that depends on the run only (cache it with the run): ``optimizers``
    holds one dict per optimizer with ``key``, ``name``, its path ``x``/``y``, the path's height ``z`` on the
    surface (nan outside the domain) and ``readouts`` (shape (positions, 10), from ``readouts``)."""
    steps = positions(longest)
    return {
        "longest": int(longest), "steps": steps.tolist(), "bar_base": float(bar_base),
        "domain": [[float(v) for v in axis] for axis in domain], "kinds": list(CURVATURE_TYPES),
        "optimizers": [{"key": o["key"], "name": o["name"], "n": int(len(o["x"])), "color": optimizer_color(o["key"]),
                        "dash": optimizer_dash(o["key"]), "x": b64(o["x"]), "y": b64(o["y"]), "z": b64(o["z"]),
                        "readouts": b64(o["readouts"])} for o in optimizers],
    }


def scrubber(*, key: str, label: str, help: str, step: int, run: dict, charts: dict, contour: dict, surface: dict) -> None:
    """Mount the scrubber at the server's ``step`` with the run's ``payload``. ``charts``: the Streamlit keys of
    the views (``contour``, ``surface``, ``lines``); ``contour``/``surface``: trace indices per optimizer."""
    data = {**run, "label": label, "help": help, "step": int(step), "url_key": "step",
            "present": bool(st.session_state.get("present", False)), "sizes": sizes(),
            "charts": charts, "contour": contour, "surface": surface}
    _renderer()(key=key, data=data)


def readouts(steps: np.ndarray, path: np.ndarray, losses, grad_norms, curvature) -> np.ndarray:
    """Per scrubber position: (λ₀, λ₁, v₀₀, v₀₁, v₁₀, v₁₁, κ, type, loss, |∇L|) of one optimizer at
    ``min(step, its last valid index)`` (the browser takes the point itself from the path)."""
    i = np.minimum(steps, len(path) - 1)
    vec = np.asarray(curvature.eigenvectors)[i].reshape(len(i), 4)
    return np.column_stack([
        np.asarray(curvature.eigenvalues)[i], vec, np.asarray(curvature.condition_number)[i], np.asarray(curvature.kind)[i],
        np.asarray(losses)[i], np.asarray(grad_norms)[i],
    ]).astype(float)
