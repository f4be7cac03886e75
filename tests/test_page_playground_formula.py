"""Your own formula on the Playground (issue 16): typed, checked, raced; hostile text gets a message
and the page keeps working; the formula travels in the link."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.selectbox(key="landscape").select("formula").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """What a user reads in a message box: the app escapes Markdown characters of user text
    (ui.controls.literal), the browser shows them plain."""
    return re.sub(r"\\(.)", r"\1", markdown)


def contour(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def _type(at, text: str):
    at.text_input(key="landscape_formula").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_typed_formula_is_raced_and_its_contours_are_the_formula(app):
    _type(app, "x^2 + 10*sin(y)")
    assert not app.error
    fig = contour(app)
    grid = next(t for t in fig["data"] if t.get("type") == "contour")
    assert "x ** 2 + 10 * sin(y)" in app.markdown[0].value or any("sin" in m.value for m in app.markdown)
    table = app.dataframe[0].value
    assert len(table) == 4  # the four default optimizers raced on it
    assert np.all(np.isfinite(table["final loss"].to_numpy(dtype=float)))
    assert grid  # the map is drawn


@pytest.mark.parametrize("hostile, says", [
    ("__import__('os').system('id')", "unknown name '__import__'"),
    ("().__class__.__bases__[0]", "not allowed"),
    ("x**y", "exponent must be a constant number"),
    ("9**9**9**9", "too large"),
    ("x" * 400, "too long"),
])
def test_hostile_or_invalid_text_gets_a_specific_message_and_the_page_keeps_working(app, hostile, says):
    _type(app, hostile[:300] if says != "too long" else hostile)
    messages = " ".join(shown(e.value) for e in app.error)
    if says == "too long":  # the text field itself stops at 300 characters
        assert len(app.text_input(key="landscape_formula").value) <= 300
    else:
        assert says in messages, messages
        assert "Showing f(x, y) = log(1 + x^2 + 5*y^2) instead" in messages
    assert len(app.get("plotly_chart")) >= 4  # the race on the default formula is still drawn


def test_a_formula_undefined_on_part_of_the_domain_is_masked_with_a_warning(app):
    _type(app, "log(x) + y^2")
    assert any("not finite on" in w.value for w in app.warning)
    app.number_input(key="start_x_formula").set_value(-1.0).run()  # log(-1): no loss at the start
    assert not app.exception, [e.value for e in app.exception]
    assert any("The loss is not finite at the start (-1" in e.value for e in app.error)
    app.number_input(key="start_x_formula").set_value(1.5).run()
    assert not app.exception and len(app.get("plotly_chart")) >= 4


def test_the_formula_is_in_the_link_and_a_link_reopens_it():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["landscape"] = "Your own formula f(x, y)"
    at.query_params["landscape_formula"] = "x^2 + 3*y^2"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="landscape_formula").value == "x^2 + 3*y^2"
    assert not at.error
