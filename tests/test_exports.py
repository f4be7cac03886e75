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
