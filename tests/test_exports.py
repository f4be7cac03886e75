"""Every page offers its charts' data as one CSV, and the camera button's format follows the sidebar."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from ui.exports import figures_csv, figures_frame

ROOT = Path(__file__).resolve().parent.parent


def test_figures_frame_flattens_lines_and_grids():
    line = go.Figure(go.Scatter(x=[0, 1, 2], y=[3.0, 4.0, 5.0], name="path"))
    line.update_layout(title="Loss")
    grid = go.Figure(go.Contour(x=[0.0, 1.0], y=[10.0, 20.0, 30.0], z=np.arange(6.0).reshape(3, 2), name="loss"))
    frame = figures_frame([line, grid])
    path = frame[frame.trace == "path"]
    assert list(path.y) == [3.0, 4.0, 5.0] and set(path["chart title"]) == {"Loss"}
    cells = frame[frame.trace == "loss"]
    assert len(cells) == 6
    assert cells[(cells.x == 1.0) & (cells.y == 30.0)].z.item() == 5.0
    parsed = pd.read_csv(io.BytesIO(figures_csv([line, grid])))
    assert len(parsed) == 9 and list(parsed.columns) == ["chart", "chart title", "trace", "point", "x", "y", "z"]


def test_the_camera_button_format_follows_the_sidebar():
    """(AppTest drops app.py's own elements from its tree after a rerun, so the chart-data button is
    checked on the first run here and on every page in tests/test_browser_exports.py.)"""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert any(b.key == "download_chart_data" for b in at.get("download_button"))
    assert all(json.loads(c.proto.config)["toImageButtonOptions"]["format"] == "png" for c in at.get("plotly_chart"))
    at.segmented_control(key="image_format").set_value("svg").run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) >= 5
    assert all(json.loads(c.proto.config)["toImageButtonOptions"]["format"] == "svg" for c in charts)


def test_dict_figures_export_and_reach_the_browser_unvalidated():
    """ui.charts builds dict figures (arrays as typed-array specs); the CSV reads them like go.Figures, and
    ui.exports hands them to st.plotly_chart as a TrustedFigure: the spec sent is the dict itself. This pins
    the installed Streamlit's path (a dict would otherwise be validated by building a go.Figure)."""
    from ui.charts import encode_arrays, new_figure, style

    fig = new_figure([{"type": "scatter", "x": np.arange(3.0), "y": np.array([3.0, 4.0, 5.0]), "name": "path"},
                      {"type": "contour", "x": [0.0, 1.0], "y": [10.0, 20.0, 30.0], "z": np.arange(6.0).reshape(3, 2), "name": "loss"}])
    fig["layout"]["title"] = {"text": "Loss"}
    encoded = encode_arrays(fig)
    assert "bdata" in encoded["data"][0]["y"] and isinstance(fig["data"][0]["y"], np.ndarray)  # the original is untouched
    for figure in (fig, encoded):
        frame = figures_frame([figure])
        path = frame[frame.trace == "path"]
        assert list(path.y) == [3.0, 4.0, 5.0] and set(path["chart title"]) == {"Loss"}
        cells = frame[frame.trace == "loss"]
        assert len(cells) == 6 and cells[(cells.x == 1.0) & (cells.y == 30.0)].z.item() == 5.0

    from ui.charts import _template

    _template()  # the house template is built once per process (with a go.Figure), before the count starts
    calls = []
    import plotly.graph_objects

    original = plotly.graph_objects.Figure.__init__
    at = AppTest.from_string(
        "import numpy as np\nimport streamlit as st\nimport ui.exports\nfrom ui.charts import new_figure, style\n"
        "st.plotly_chart(style(new_figure([{'type': 'scatter', 'x': np.arange(3.0), 'y': [1, 2, 3], 'name': 'a'}]), 'T'), key='c')\n",
        default_timeout=60)
    plotly.graph_objects.Figure.__init__ = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    try:
        at.run()
    finally:
        plotly.graph_objects.Figure.__init__ = original
    assert not at.exception, [e.value for e in at.exception]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["name"] == "a" and spec["layout"]["title"]["text"] == "T"
    assert spec["layout"]["template"]["layout"]  # the house template, as style() sets it
    assert not calls, "Streamlit validated the dict figure (built a go.Figure)"
