"""The Minibatches page's presets and challenges under Streamlit's AppTest. One session for the module:
the presets are clicked one after another, so each must set up its whole view whatever came before."""

from __future__ import annotations

import re

import pytest

from ui.stochastic.compute import best_loss, landscape_for
from tests.apptest_helpers import challenge_verdict as verdict, ok, open_page, set_up_challenge
from ui.stochastic.minibatches_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS



@pytest.fixture(scope="module")
def app():
    at = open_page("pages/stochastic/minibatches.py")
    at.defaults = {key: at.session_state[key] for key in CONTROLLED_KEYS}  # the page as first opened
    return at


def race_gaps(at) -> dict[int, float]:
    """L − L* after the budget, per batch size, from the table of section 2."""
    land = landscape_for(at.session_state["mb_landscape"], at.session_state["mb_n"], at.session_state["mb_noise"])
    table = at.dataframe[0].value
    return dict(zip(table["batch size B"], table["loss after the budget"] - best_loss(land)))


def spreads(at) -> dict[str, float]:
    """The final spread of the iterates per sampling scheme, from the caption of section 3."""
    caption = next(c.value for c in at.caption if "final spread of the iterates" in c.value)
    return {name.strip(): float(value) for name, value in re.findall(r"([a-z ]+): final spread of the iterates ([0-9.e+-]+)", caption)}


def metric(at, label_start: str) -> float:
    return float(next(m.value for m in at.metric if m.label.startswith(label_start)))


# Reverse order: every preset is loaded on top of a different one than the page's own order gives.
@pytest.mark.parametrize("name", list(reversed(PRESETS)))
def test_presets_load_their_view(app, name):
    app.button(key=f"preset_{name}").click().run()
    ok(app)
    preset = PRESETS[name].values
    for key in CONTROLLED_KEYS:  # the preset's values, everything else back at the page's defaults
        assert app.session_state[key] == preset.get(key, app.defaults[key]), key
    assert [m.value for m in app.metric][1] == str(preset["mb_batch"])

    gaps = race_gaps(app)
    errors = " ".join(e.value for e in app.error)
    if name == "one_vs_full":  # per sample processed, B = 1 is far ahead of the full batch
        assert set(gaps) == {1, 64}
        assert gaps[1] < 0.01 and gaps[64] > 0.5
        assert metric(app, "standard error at B = 1") == metric(app, "σ = √tr Σ")
    if name == "too_large":  # B = 1 diverges, B = 4 and the full batch do not
        assert "**B = 1** diverged" in errors and "**B = 4**" not in errors and "**B = 64**" not in errors
        assert gaps[4] < 0.1 and gaps[64] < 0.1
    if name == "noise_free":  # no noise at the minimum: B = 1 converges all the way
        assert gaps[1] < 1e-12 and not errors.count("**B = 1**")
        assert spreads(app)["shuffled epochs"] < 1e-6
    if name == "sorted":  # the stored order makes the iterates swing about 4x wider
        spread = spreads(app)
        assert spread["sorted order"] > 3 * spread["shuffled epochs"], spread


def set_up(at, name: str) -> None:
    set_up_challenge(at, name, CHALLENGES)


def test_one_epoch_challenge_is_checked_against_the_race(app):
    set_up(app, "one_epoch")
    solved, message = verdict(app)
    assert not solved and "Not yet" in message and "B = 1 got further" in message  # B = 8, η = 0.1: L − L* ≈ 1
    app.slider(key="mb_batch").set_value(1).run()
    solved, message = verdict(app)
    assert not solved and "larger η" in message  # B = 1 at η = 0.1 ends near 0.04
    app.select_slider(key="mb_lr").set_value(0.2).run()
    ok(app)
    solved, message = verdict(app)
    assert solved and "B = 1" in message
    gap = race_gaps(app)[1]
    assert gap < 0.01 and f"{gap:.2g}" in message
    app.select_slider(key="mb_lr").set_value(0.7).run()  # too large for single samples
    solved, message = verdict(app)
    assert not solved and "diverged" in message
    app.slider(key="mb_batch").set_value(64).run()  # one exact step per epoch
    solved, message = verdict(app)
    assert not solved and race_gaps(app)[64] > 0.01
    app.slider(key="mb_epochs").set_value(2).run()
    assert "Keep the budget at 1 epoch" in verdict(app)[1]


def test_quarter_noise_challenge_wants_the_smallest_batch(app):
    set_up(app, "quarter_noise")
    solved, message = verdict(app)
    assert not solved and "1/√B" in message
    for batch, expected in ((12, False), (13, True), (16, False)):
        app.slider(key="mb_batch").set_value(batch).run()
        ok(app)
        ratio = metric(app, f"standard error at B = {batch}") / metric(app, "σ = √tr Σ")
        solved, message = verdict(app)
        assert solved is expected, (batch, message)
        assert (ratio <= 0.25 + 5e-3) is (batch >= 13), ratio  # the page's own readout agrees (3 digits shown)
    assert "not the smallest" in message
