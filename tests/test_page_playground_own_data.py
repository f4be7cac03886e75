"""Your own data on the Playground (issue 16): a pasted or uploaded CSV becomes the data landscape,
the race runs on it, bad rows are reported by row and column, and the rows stay in their session."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes.user_data import parse_csv, sample_csv

ROOT = Path(__file__).resolve().parent.parent


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def own_data_session(landscape: str = "linear_regression") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    ok(at.run())
    ok(at.selectbox(key="landscape").select(landscape).run())
    ok(at.button_group(key="landscape_data_source").set_value("own").run())
    return at


def final_losses(at: AppTest) -> dict:
    table = at.dataframe[0].value
    return dict(zip(table["optimizer"], table["final loss"]))


@pytest.fixture(scope="module")
def session():
    return own_data_session()


def test_a_pasted_csv_is_the_landscape_the_race_runs_on(session):
    at = session
    assert any("Upload or paste" in i.value for i in at.info)
    rows = "x,t\n" + "\n".join(f"{x:.3f},{3.0 - 2.0 * x + 0.1 * np.sin(7 * x):.6f}" for x in np.linspace(-2, 2, 41))
    ok(at.text_area(key="landscape_paste").input(rows).run())
    assert any("41 rows" in s.value and "this session only" in s.value for s in at.success)
    assert not at.error
    values = parse_csv(rows, "regression").values
    w, b = np.polyfit(values[:, 0], values[:, 1], 1)  # an independent least-squares fit
    best = 0.5 * np.mean((w * values[:, 0] + b - values[:, 1]) ** 2)
    losses = final_losses(at)
    assert losses["Newton"] == pytest.approx(best, rel=1e-9, abs=1e-12)  # Newton solves a quadratic in one step
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    minimum = next(t for t in fig["data"] if t.get("name") == "minimum")
    assert (minimum["x"][0], minimum["y"][0]) == pytest.approx((w, b), abs=1e-9)


def test_bad_rows_are_named_and_the_built_in_data_is_shown(session):
    at = session
    ok(at.text_area(key="landscape_paste").input("x,t\n1,2\nfoo,3\n4,inf\n").run())
    message = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))  # Markdown escapes of user text removed
    assert "row 3, column 1 (x)" in message and "row 4, column 2 (t)" in message and "built-in data" in message
    assert len(at.get("plotly_chart")) >= 3  # the page still draws (the built-in data)


def test_an_uploaded_file_for_classification():
    at = own_data_session("logistic_regression")
    content = sample_csv("classification", n_rows=80, seed=3).encode()
    at.file_uploader(key="landscape_upload").upload("points.csv", content, "text/csv")
    ok(at.run())
    assert any("80 rows" in s.value for s in at.success), [s.value for s in at.success]
    assert final_losses(at)  # the race ran


def test_the_rows_stay_in_their_session(session):
    """Session A holds the data and has drawn its maps; session B, asking for exactly what A computed
    (A's settings, with the fingerprint), gets nothing: no shared cache answers (a global cache would
    hand B A's grid without calling the function), and the function cannot find the rows."""
    rows = sample_csv("regression", n_rows=30, seed=11)
    fingerprint = parse_csv(rows, "regression").fingerprint
    a = session
    ok(a.text_area(key="landscape_paste").input(rows).run())
    assert any("30 rows" in s.value for s in a.success)

    def probe():
        import streamlit as st

        from ui.compute import landscape_from, loss_grid, map_layers

        settings = (("user_data", st.session_state["fingerprint"]),)
        for name, call in (("landscape", lambda: landscape_from("linear_regression", settings)),
                           ("grid", lambda: loss_grid("linear_regression", settings)),
                           ("maps", lambda: map_layers("linear_regression", settings, False))):
            try:
                call()
                st.write(f"{name}: reached")
            except LookupError:
                st.write(f"{name}: refused")

    b = AppTest.from_function(probe, default_timeout=120)
    b.session_state["fingerprint"] = fingerprint
    ok(b.run())
    assert [m.value for m in b.markdown] == ["landscape: refused", "grid: refused", "maps: refused"]
