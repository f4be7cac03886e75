"""The page "Order of the data" under AppTest: defaults (figures, and the numbers on screen against the
studies), every widget moved without a new compiled program, each preset's quoted numbers, both
challenges checked, the link to the continuation page."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from tests.apptest_helpers import challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge, titled, widget
from ui.deep_networks.data_order_compute import curriculum_study, stream_study
from ui.deep_networks.data_order_presets import CHALLENGES, PRESETS

PAGE = "pages/deep_networks/data_order.py"


@pytest.fixture(scope="module")
def page():
    fresh_caches()
    return open_page(PAGE)


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def medians_at(study: dict, step: int) -> tuple[float, float]:
    i = list(study["steps"]).index(step)
    return float(np.median(study["random"][:, i])), float(np.median(study["curriculum"][:, i]))


def test_defaults_show_the_curriculum_and_the_stream_with_their_measured_numbers(page):
    at = page
    m = metrics(at)
    random_at, curriculum_at = medians_at(curriculum_study(0.2, 0.2, 0.5, 0.1), 64)
    assert m["Test accuracy after 64 steps: random order"] == f"{random_at:.1%}" == "58.7%"
    assert m["Curriculum after 64 steps"] == f"{curriculum_at:.1%}" == "78.0%"
    stream = stream_study("class", 64, 0.3)
    assert m["All data seen, after 512 steps: latest only / replay"] == (
        f"{np.median(stream['seen_window'][:, -1]):.1%} / {np.median(stream['seen_replay'][:, -1]):.1%}")
    curves = titled(at, "random order vs easy first")
    names = [t.get("name") for t in curves["data"]]
    assert "random order: median" in names and "curriculum (easy first): median" in names and "budget" in names
    seen = titled(at, "Accuracy on all the data seen so far")
    assert {"latest examples only: median", "with replay: median"} <= {t.get("name") for t in seen["data"]}
    assert titled(at, "The stream, in the order it arrives")["data"][0]["type"] == "scatter"
    assert titled(at, "easiest first")["data"][0]["type"] == "scatter"
    assert any("continuation" in str(link.proto) for link in at.get("page_link"))


def test_every_widget_moves_its_chart_and_compiles_nothing_new(page):
    at = page
    fresh_caches()
    at.run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    moves = [("order_flip", 0.1, "random order vs easy first"), ("order_start", 0.4, "random order vs easy first"),
             ("order_ramp", 0.75, "random order vs easy first"), ("order_lr", 0.05, "random order vs easy first"),
             ("order_budget", 128, "random order vs easy first"), ("order_drift", "x", "all the data seen"),
             ("order_buffer", 16, "all the data seen"), ("order_stream_lr", 0.1, "all the data seen")]
    for key, value, title in moves:
        before = json.dumps(titled(at, title)["data"])
        widget(at, key).set_value(value).run()
        ok(at)
        assert json.dumps(titled(at, title)["data"]) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"


def test_preset_long_budget_evens_out_curriculum_and_random_order(page):
    at = page
    load_preset(at, PRESETS, "long_budget")
    study = curriculum_study(0.2, 0.2, 0.5, 0.1)
    assert medians_at(study, 512) == pytest.approx((0.96, 0.97), abs=0.002)
    assert medians_at(study, 64) == pytest.approx((0.587, 0.78), abs=0.002)
    assert metrics(at)["Curriculum after 512 steps"] == "97.0%"


def test_preset_fast_learner_shows_the_curriculum_behind(page):
    at = page
    load_preset(at, PRESETS, "fast_learner")
    study = curriculum_study(0.0, 0.2, 0.5, 0.3)
    random64, curriculum64 = medians_at(study, 64)
    random512, curriculum512 = medians_at(study, 512)
    assert (random64, curriculum64) == pytest.approx((0.927, 0.90), abs=0.002)
    assert (random512, curriculum512) == pytest.approx((0.987, 0.977), abs=0.002)
    assert curriculum64 < random64 and curriculum512 < random512


def test_preset_tiny_buffer_still_remembers_most_of_the_past(page):
    at = page
    load_preset(at, PRESETS, "tiny_buffer")
    tiny, full = stream_study("class", 8, 0.3), stream_study("class", 64, 0.3)
    med = lambda a: float(np.median(a[:, -1]))  # noqa: E731
    assert (med(tiny["seen_replay"]), med(tiny["seen_window"])) == pytest.approx((0.876, 0.682), abs=0.001)
    assert (med(tiny["first_replay"]), med(tiny["first_window"])) == pytest.approx((0.857, 0.404), abs=0.001)
    assert (med(full["seen_replay"]), med(full["first_replay"])) == pytest.approx((0.965, 0.975), abs=0.001)
    assert metrics(at)["All data seen, after 512 steps: latest only / replay"] == "68.2% / 87.6%"


def test_challenges_are_checked_against_the_page(page):
    at = page
    set_up_challenge(at, "curriculum_gain", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "Not yet" in message
    widget(at, "order_lr").set_value(0.1).run()
    widget(at, "order_flip").set_value(0.2).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    set_up_challenge(at, "small_buffer", CHALLENGES)
    assert not challenge_verdict(at)[0]
    widget(at, "order_buffer").set_value(16).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    widget(at, "order_buffer").set_value(32).run()
    assert not challenge_verdict(at)[0]  # more than the allowed slots
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)
