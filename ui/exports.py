"""Exports available on every page: each chart's data as one CSV, and the camera button's format.

Importing this module wraps ``st.plotly_chart`` once for the process: every figure a page draws gets
the chosen image format for its camera button and, while app.py records (each session has its own
list in its session state), is kept; after the page has run, one button at its foot downloads the data of
all its charts.

A figure may be a ``go.Figure`` or a plain dict (``ui.charts`` builds dicts). Streamlit validates a dict
by building a ``go.Figure`` from it (``plotly.tools.return_figure_from_figure_or_data``), which is what
dict figures are meant to avoid; the wrapper hands a dict over as a ``TrustedFigure``, a ``go.Figure``
whose ``to_dict`` returns the dict as it is (Streamlit then only serialises it, with ``validate=False``).
Only dicts built by our own code reach it. ``tests/test_exports.py`` pins this to the installed Streamlit.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.theme import chart_config

_FIGURES = "_page_figures"
# Kept on the streamlit module, so a re-import of this module never wraps the wrapper.
_original_plotly_chart = getattr(st, "_unwrapped_plotly_chart", st.plotly_chart)
st._unwrapped_plotly_chart = _original_plotly_chart


class TrustedFigure(go.Figure):
    """A dict figure that Streamlit takes as already validated: ``to_dict`` returns the dict itself.
    Nothing else of ``go.Figure`` is set up (no validation, no template copy); do not use it otherwise."""

    def __init__(self, figure: dict):  # noqa: D107 - deliberately skips go.Figure.__init__
        object.__setattr__(self, "_trusted", figure)

    def to_dict(self) -> dict:
        return self._trusted

    def to_plotly_json(self) -> dict:
        return self._trusted


def _recording_plotly_chart(figure_or_data, *args, **kwargs):
    figures = st.session_state.get(_FIGURES)
    if figures is not None:
        figures.append(figure_or_data)
    config = {**chart_config(), **(kwargs.pop("config", None) or {})}
    if isinstance(figure_or_data, dict):
        from ui.charts import encode_arrays

        figure_or_data = TrustedFigure(encode_arrays(figure_or_data))
    return _original_plotly_chart(figure_or_data, *args, config=config, **kwargs)


st.plotly_chart = _recording_plotly_chart


def start_recording() -> None:
    """Record the figures the page about to run draws (call before the page runs)."""
    st.session_state[_FIGURES] = []


def _column(values) -> np.ndarray | None:
    if values is None:
        return None
    if isinstance(values, dict) and "bdata" in values:  # a typed-array spec (ui.charts.typed)
        from ui.charts import decode_array

        values = decode_array(values)
    array = np.asarray(values, dtype=object)
    return array if array.size else None


def _title(fig) -> str:
    if isinstance(fig, dict):
        title = (fig.get("layout") or {}).get("title")
        return (title.get("text") if isinstance(title, dict) else title) or ""
    return getattr(getattr(fig.layout, "title", None), "text", None) or ""


def _traces(fig) -> list[dict]:
    """Each trace as a mapping (a dict figure's own dicts; a go trace's properties)."""
    if isinstance(fig, dict):
        return [t for t in fig.get("data") or () if isinstance(t, dict)]
    return [{"type": t.type, "name": t.name, "x": getattr(t, "x", None), "y": getattr(t, "y", None), "z": getattr(t, "z", None)}
            for t in getattr(fig, "data", ())]


def figures_frame(figures) -> pd.DataFrame:
    """Long table of every trace's points: chart, chart title, trace, point, x, y (and z). Figures may be
    go.Figures or plain dicts."""
    rows = []
    for number, fig in enumerate(figures, start=1):
        title = _title(fig)
        for trace in _traces(fig):
            x, y, z = (_column(trace.get(name)) for name in ("x", "y", "z"))
            name = trace.get("name") or trace.get("type")
            if z is not None and z.ndim == 2:  # a grid: contour, heatmap, surface
                ys = y if y is not None else np.arange(z.shape[0])
                xs = x if x is not None else np.arange(z.shape[1])
                for i, yv in enumerate(ys):
                    for j, xv in enumerate(xs):
                        rows.append((number, title, name, i * len(xs) + j, xv, yv, z[i, j]))
                continue
            n = max((len(a) for a in (x, y, z) if a is not None and a.ndim == 1), default=0)
            for k in range(n):
                rows.append((number, title, name, k,
                             *(a[k] if a is not None and a.ndim == 1 and k < len(a) else None for a in (x, y, z))))
    return pd.DataFrame(rows, columns=["chart", "chart title", "trace", "point", "x", "y", "z"])


def figures_csv(figures) -> bytes:
    buffer = io.StringIO()
    figures_frame(figures).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def chart_data_button(page_id: str) -> None:
    """A button at the foot of the page: the data of every chart it drew, as one CSV (built only when clicked).

    on_click="ignore": a click must not rerun the page. With a rerun, the run that the click starts
    replaces the button's deferred file, and on a busy server the browser's request for the old one
    can arrive after it was dropped: the file never comes (seen in CI on a loaded machine)."""
    figures = list(st.session_state.get(_FIGURES) or [])
    if figures:
        st.download_button(
            "This page's chart data (CSV)", lambda: figures_csv(figures), file_name=f"{page_id or 'playground'}_charts.csv",
            mime="text/csv", key="download_chart_data", on_click="ignore", icon=":material/table_view:", width="stretch",
        )
