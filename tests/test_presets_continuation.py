"""Presets and challenges of the Continuation page under AppTest: every preset loads its values and shows
what its explanation promises; every challenge is checked against the page's own runs.

Every test opens a fresh session: under AppTest a rerun carries the last run's query string, so a
widget that a preset leaves out would be seeded from it instead of returning to its default (in the
browser it does return). Compiled programs and cached runs are shared across sessions, so this is cheap.
"""

from __future__ import annotations


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui.nonconvex.continuation_presets import PRESETS
from tests.apptest_helpers import load_preset, array, ok, titled, widget, open_page as open_at


def open_page():
    return open_at("pages/nonconvex/continuation.py")


def local_minima(fig: dict) -> int:
    """Strict local minima (8 neighbours) of a contour map's loss grid."""
    Z = array([t for t in fig["data"] if t["type"] == "contour"][0]["z"])
    c = Z[1:-1, 1:-1]
    lower = np.ones_like(c, dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lower &= c < Z[1 + di: Z.shape[0] - 1 + di, 1 + dj: Z.shape[1] - 1 + dj]
    return int(lower.sum())


def success_rates(at: AppTest) -> tuple[float, float]:
    """(direct descent, continuation) from the success-rate bars."""
    direct, continuation = array(titled(at, "Success rate")["data"][0]["y"])
    return float(direct), float(continuation)


def verdicts(at: AppTest) -> tuple[str, str]:
    return " ".join(i.value for i in at.info), " ".join(s.value for s in at.success)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_their_view(name):
    at = open_page()
    load_preset(at, PRESETS, name)
    direct, continuation = success_rates(at)
    if name == "merge":
        assert local_minima(titled(at, "The loss L")) == 36
        assert local_minima(titled(at, "Blurred loss")) == 1
        assert continuation == 1.0
    elif name == "narrow":
        assert local_minima(titled(at, "Blurred loss")) == 36  # σ = 0.2 keeps every dent
        assert continuation <= direct + 0.01 and continuation < 0.05
    elif name == "short_stages":
        assert len(np.unique(array(titled(at, "Continuation schedule")["data"][0]["y"]))) == 12
        assert 0.15 < continuation < 0.35 and continuation > direct
    elif name == "too_large":
        assert direct == 0.0 and continuation == 0.0  # default η = 0.03 gives 100 %
        assert not at.error  # the runs stay finite: they bounce, they do not blow up


def test_narrow_blur_challenge_needs_a_wide_enough_blur_and_long_enough_stages():
    at = open_page()
    at.selectbox(key="challenge").set_value("narrow_blur").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    assert widget(at, "cont_sigma0").value == 0.3
    info, success = verdicts(at)
    assert "Not yet" in info and "Widen the first blur" in info and "17 %" in info and not success
    at.slider(key="cont_sigma0").set_value(0.35).run()
    at.number_input(key="cont_stages").set_value(12).run()  # wide enough, but 50-step stages are too short
    info, success = verdicts(at)
    assert "Not yet" in info and "fewer, longer stages" in info and not success
    at.number_input(key="cont_stages").set_value(6).run()
    ok(at)
    info, success = verdicts(at)
    assert "Solved" in success and "Not yet" not in info
    assert success_rates(at)[1] >= 0.95


def test_small_steps_challenge_needs_fewer_longer_stages():
    at = open_page()
    at.selectbox(key="challenge").set_value("small_steps").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    assert widget(at, "cont_lr").value == 0.01
    info, success = verdicts(at)
    assert "Not yet" in info and "28 %" in info and "fewer, longer stages" in info and not success
    at.number_input(key="cont_stages").set_value(12).run()  # more, shorter stages: worse
    info, success = verdicts(at)
    assert "Not yet" in info and not success
    at.number_input(key="cont_stages").set_value(2).run()
    ok(at)
    info, success = verdicts(at)
    assert "Solved" in success and "Not yet" not in info
