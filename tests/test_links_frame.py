"""The app frame's own link parameters: presentation mode however a link spells it, and the chart
image format (issue 12: `?present=1` was dropped without a word, `?image_format=svg` was refused)."""

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
