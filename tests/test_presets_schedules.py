"""The Learning-rate schedules page's presets and challenges under Streamlit's AppTest. One session for
the module: the presets are clicked one after another, so each must set up its whole view whatever
came before."""

from __future__ import annotations


import pytest

from ui.stochastic.schedules_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from tests.apptest_helpers import challenge_verdict as verdict, ok, open_page, set_up_challenge



@pytest.fixture(scope="module")
def app():
    at = open_page("pages/stochastic/schedules.py")
    at.defaults = {key: at.session_state[key] for key in CONTROLLED_KEYS}  # the page as first opened
    return at


def table(at) -> dict[str, dict]:
    """The results table, one row per schedule."""
    frame = at.dataframe[0].value
    return {row["schedule"]: row for row in frame.to_dict("records")}


FINAL = "final L − L* (median)"
SPREAD = "spread of last iterates (median)"


# Reverse order: every preset is loaded on top of a different one than the page's own order gives.
@pytest.mark.parametrize("name", list(reversed(PRESETS)))
def test_presets_load_their_view(app, name):
    app.button(key=f"preset_{name}").click().run()
    ok(app)
    preset = PRESETS[name].values
    for key in CONTROLLED_KEYS:  # the preset's values, everything else back at the page's defaults
        assert app.session_state[key] == preset.get(key, app.defaults[key]), key
    rows = table(app)
    assert list(rows) == preset["sched_choices"]
    if name == "floor":  # the constant η stays on its noise floor, cosine goes far below
        assert rows["constant"][FINAL] > 1000 * rows["cosine"][FINAL]
        assert rows["constant"][SPREAD] > 20 * rows["cosine"][SPREAD]
        assert 0.01 < rows["constant"][FINAL] < 0.1 and rows["cosine"][FINAL] < 3e-5
    if name == "mirror":  # the same path of η/B: similar ends, far fewer steps for the growing batch
        step, grow = rows["step decay"], rows["growing batch"]
        assert step[FINAL] < 1e-4 and grow[FINAL] < 1e-4 and 1 / 3 < step[FINAL] / grow[FINAL] < 3
        assert rows["constant"][FINAL] > 100 * max(step[FINAL], grow[FINAL])
        assert (step["steps"], grow["steps"]) == (320, 150)
        assert step["final η / η₀"] == pytest.approx(1 / 8) and grow["final batch"] == 8 * step["final batch"]
    if name == "warmup":  # cosine alone mostly diverges at η₀ = 1.5, with a warm-up no run does
        assert rows["cosine"]["diverged runs"] >= 6 and rows["warm-up + cosine"]["diverged runs"] == 0
        assert any("**cosine**" in e.value and "diverged" in e.value for e in app.error)
        assert not any("warm-up" in e.value for e in app.error)


def set_up(at, name: str) -> None:
    set_up_challenge(at, name, CHALLENGES)


def move(at, **values) -> None:
    for key, value in values.items():
        at.slider(key=key).set_value(value)
    at.run()
    ok(at)


def test_step_decay_challenge_has_a_window(app):
    set_up(app, "step_decay")
    solved, message = verdict(app)
    assert not solved and "Decay further" in message  # γ = ½ every 5 epochs: a cloud at η₀/8
    assert table(app)["step decay"][FINAL] > 1e-5
    move(app, sched_gamma=0.3, sched_every=5)
    solved, message = verdict(app)
    assert solved, message
    assert table(app)["step decay"][FINAL] < 1e-5
    move(app, sched_gamma=0.05, sched_every=1)  # η collapses before the run reaches the minimum
    solved, message = verdict(app)
    assert not solved and "Decay later" in message
    app.select_slider(key="sched_lr").set_value(0.5).run()
    assert "Keep η₀ at 0.2" in verdict(app)[1]


def test_growing_batch_challenge_needs_few_steps_and_a_low_loss(app):
    set_up(app, "growing_batch")
    solved, message = verdict(app)
    assert not solved and "over the budget" in message  # ρ = 2 every 5 epochs: 150 steps
    move(app, sched_growth=4.0, sched_every=5)
    solved, message = verdict(app)
    assert solved, message
    row = table(app)["growing batch"]
    assert row["steps"] <= 120 and row[FINAL] < 1e-5
    move(app, sched_growth=8.0, sched_every=1)  # few steps, but the batch grew before the run got close
    solved, message = verdict(app)
    assert not solved and "Grow later" in message and table(app)["growing batch"][FINAL] > 1e-5
