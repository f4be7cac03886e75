"""The page "The Hessian of a network" under AppTest: defaults, the numbers it shows against eigvalsh of
Hessians rebuilt here, every widget moved, each preset and the numbers it quotes, the challenge, and no new
compiled program when a slider that keeps the shapes moves."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from networks import hessian_studies as hs
from networks.hessian import hessian, training_data
from networks.model import flatten_params, init_params
from tests.apptest_helpers import challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge, titled, widget
from ui.deep_networks.network_hessian_presets import CHALLENGES, PRESETS, VARIANT_TITLES

PAGE = "pages/deep_networks/network_hessian.py"
TITLES = ("Conditioning of the Hessian", "Eigenvalues of the Hessian", "Eigenvalues of H and of its neuron blocks",
          "Exact Hessian against Lanczos")


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def reset(at):
    """Every control back to its default (a preset's values stay otherwise)."""
    at.switch_page(PAGE).run()
    ok(at)
    for key, value in (("nh_epochs", 200), ("nh_lr", 0.01), ("nh_offset", 5.0), ("nh_scale", 10.0), ("nh_gain", 4.0),
                       ("nh_floor", 1e-3), ("nh_k", 10), ("nh_spectrum", "tanh"), ("nh_block_net", "batch_skip"),
                       ("nh_block_all", False), ("nh_cost_live", False)):
        if widget(at, key).value != value:
            widget(at, key).set_value(value).run()
    ok(at)


def table(at, index: int = 0):
    return at.dataframe[index].value


def row(at, network_title: str, recommendation_word: str):
    frame = table(at)
    chosen = frame[(frame["network"] == network_title) & frame["recommendation"].str.contains(recommendation_word)]
    assert len(chosen) == 1
    return chosen.iloc[0]


def median_cell(cell: str) -> float:
    return float(cell.split(" (")[0])


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def data_of(at, title: str) -> str:
    return json.dumps(titled(at, title)["data"])


def test_defaults_draw_every_section(page):
    at = page
    reset(at)
    for title in TITLES:
        titled(at, title)
    assert len(titled(at, TITLES[0])["data"]) == 12  # 3 panels x (start, trained) x (bars, seeds)
    names = {t["name"] for t in titled(at, TITLES[1])["data"]}
    assert names == {"exact eigenvalues (histogram)", "stochastic Lanczos quadrature"}
    assert {t["name"] for t in titled(at, TITLES[2])["data"]} == {"full Hessian H", "blocks only"}
    assert len(table(at)) == 9
    assert not at.warning and not at.error
    m = metrics(at)
    assert set(m) >= {"batch norm + skip: off-block share at the start", "Plain network: after training"}


def test_the_conditions_shown_equal_eigvalsh_of_hessians_built_here(page):
    """The reference network's start (initial parameters drawn here) and the sigmoid network after training
    (its runs retrained here): medians of lambda_1/lambda_10, kappa_+ and the negative count."""
    at = page
    reset(at)
    for key, word, when in (("tanh", "Sigmoid", "at start"), ("sigmoid", "Sigmoid", "trained")):
        variant = hs.VARIANTS[key]
        dataset = hs.study_data(variant)
        architecture = variant.architecture()
        if when == "at start":
            thetas = [flatten_params(init_params(architecture, s, "lecun_normal", 1.0)) for s in hs.STUDY_SEEDS]
        else:
            thetas = list(hs.trained_runs(variant, dataset).final_theta)
        values = [np.linalg.eigvalsh(hessian(architecture, t, training_data(dataset))) for t in thetas]
        shown = row(at, VARIANT_TITLES[key], word)
        c = [hs.conditioning(v, 1e-3, 10) for v in values]
        assert median_cell(shown[f"λ₁/λ10 {when}"]) == float(f"{np.median([x.top_ratio for x in c]):.3g}")
        assert median_cell(shown[f"κ₊ {when}"]) == float(f"{np.median([x.kappa for x in c]):.3g}")
        assert median_cell(shown[f"negative {when}"]) == float(f"{np.median([x.n_negative for x in c]):.0f}")


MOVES = [  # (key, value, title of a figure that must change): none of them changes a shape
    ("nh_epochs", 100, TITLES[0]),
    ("nh_lr", 0.03, TITLES[2]),
    ("nh_offset", 10.0, TITLES[0]),
    ("nh_scale", 3.0, TITLES[0]),
    ("nh_gain", 2.0, TITLES[0]),
    ("nh_floor", 1e-2, TITLES[0]),
    ("nh_k", 20, TITLES[0]),
    ("nh_spectrum", "raw", TITLES[1]),  # the same architecture as the reference: its SLQ program exists
]


def test_every_value_slider_moves_its_chart_and_compiles_nothing_new(page):
    at = page
    fresh_caches()
    reset(at)
    compiled = programs.program_stats()["compiled"]
    for key, value, title in MOVES:
        before = data_of(at, title)
        widget(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, title) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"


def test_the_live_cost_panel_shows_lanczos_equal_to_eigvalsh(page):
    at = page
    reset(at)
    widget(at, "nh_cost_live").set_value(True).run()
    ok(at)
    live = [t for t in titled(at, TITLES[3])["data"] if t["name"].startswith("live")]
    assert len(live) == 2
    frame = at.dataframe[-1].value
    assert list(frame["P"]) == [37, 105, 205, 337]
    for exact, lanczos, gap in zip(frame["top 3 by eigvalsh"], frame["top 3 by Lanczos"], frame["largest difference"]):
        np.testing.assert_allclose([float(v) for v in lanczos.split(", ")], [float(v) for v in exact.split(", ")],
                                   atol=2e-6)
        assert float(gap) < 1e-6


def test_preset_raw_outlier_quotes_the_raw_and_standardized_spreads(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "raw_outlier")
    assert row(at, "raw inputs", "Raw")["λ₁/λ10 at start"].startswith("21.5 ")
    assert row(at, VARIANT_TITLES["tanh"], "Raw")["λ₁/λ10 at start"].startswith("3.06 ")
    assert "raw inputs" in titled(at, TITLES[1])["layout"]["title"]["text"]
    assert "21.5" in PRESETS["raw_outlier"].explanation and "3.06" in PRESETS["raw_outlier"].explanation


def test_preset_sigmoid_quotes_the_sigmoid_spread(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "sigmoid")
    assert row(at, "sigmoid units", "Sigmoid")["λ₁/λ10 at start"].startswith("35.2 ")
    assert "35.2" in PRESETS["sigmoid"].explanation
    assert "sigmoid units" in titled(at, TITLES[1])["layout"]["title"]["text"]


def test_preset_blocks_quotes_the_off_block_shares(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "blocks")
    m = metrics(at)
    quoted = [m["Plain network: off-block share at the start"], m["batch norm + skip: off-block share at the start"],
              m["Plain network: after training"], m["batch norm + skip: after training"]]
    assert quoted == ["95.2%", "28.3%", "81.8%", "65.1%"]
    for value in quoted:
        assert value in PRESETS["blocks"].explanation
    widget(at, "nh_block_all").set_value(True).run()  # the four networks side by side
    ok(at)
    bars = titled(at, "Off-block share")["data"]
    assert len(bars) == 4 and bars[0]["x"] == ["plain", "skip connection", "batch norm", "batch norm + skip"]
    before = data_of(at, TITLES[2])  # another network (its study is cached by the comparison above)
    widget(at, "nh_block_net").set_value("skip").run()
    ok(at)
    assert data_of(at, TITLES[2]) != before and "skip connection" in titled(at, TITLES[2])["layout"]["title"]["text"]


def test_preset_floor_shows_kappa_set_by_the_floor(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "floor")
    frame = table(at)
    medians = [median_cell(c) for col in ("κ₊ at start", "κ₊ trained") for c in frame[col]]
    assert 3e5 <= min(medians) and max(medians) <= 1e6


def test_challenge_tame_the_raw_inputs(page):
    at = page
    reset(at)
    set_up_challenge(at, "tame_raw", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "Not yet" in message
    widget(at, "nh_offset").set_value(0.0).run()
    widget(at, "nh_scale").set_value(1.0).run()
    ok(at)
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)
