"""The app frame's own link parameters: presentation mode however a link spells it, and the chart
image format (issue 12: `?present=1` was dropped without a word, `?image_format=svg` was refused)."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def opened_with(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("spelling, on", [("true", True), ("1", True), ("yes", True), ("ON", True),
                                          ("0", False), ("no", False), ("off", False)])
def test_presentation_mode_is_taken_however_the_link_spells_it(spelling, on):
    at = opened_with(present=spelling)
    assert at.session_state["present"] is on
    assert at.query_params.get("present") == ("true" if on else None)


def test_the_chart_image_format_is_bound_to_the_link():
    at = opened_with(image_format="svg")
    assert at.session_state["image_format"] == "svg"


@pytest.mark.parametrize("page, params, named", [
    ("", {"optimizers": "", "lr": "abc", "zz": "1"}, ["lr", "zz"]),
    ("pages/curvature/second_order.py", {"newton_methods": "", "zz": "1"}, ["zz"]),
    ("pages/stochastic/schedules.py", {"sched_choices": "", "zz": "1"}, ["zz"]),
])
def test_a_page_that_stops_early_still_checks_its_link(page, params, named):
    """An empty multiselect makes these pages end with st.stop(); the frame's link check still runs."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    if page:  # the session's first run is that page, opened with the link
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.info or at.error, "the page did not stop early"
    warnings = " ".join(w.value for w in at.warning)
    assert "Some settings in this link were not used" in warnings
    for key in named:
        assert f"`{key}`" in warnings, (key, warnings)


def test_no_page_calls_st_stop():
    """st.stop() would also stop app.py's frame (link check, preset link values, chart-data button):
    pages end early with ui.navigation.end_page() instead."""
    call = re.compile(r"^\s*(st\.)?stop\(\)", re.M)
    offenders = [str(path.relative_to(ROOT)) for folder in ("pages", "ui") for path in (ROOT / folder).rglob("*.py")
                 if call.search(path.read_text())]
    assert not offenders, offenders
