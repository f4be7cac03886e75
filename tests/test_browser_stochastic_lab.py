"""The Stochastic lab in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`."""

from __future__ import annotations

import time

import pytest

from tests.browser_helpers import assert_no_exception, screenshot, wait_for_charts, wait_until_idle

pytestmark = pytest.mark.browser


def chart_json(page, index: int) -> str:
    """The data of the index-th Plotly chart on the page, to see whether it changed."""
    return page.evaluate(
        """(i) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                    return plot ? JSON.stringify(plot.data.map(t => [t.name, t.x, t.y])) : ''; }""",
        index,
    )


def press_slider(page, label: str, key: str = "ArrowRight", times: int = 1) -> None:
    slider = page.locator('[data-testid="stSlider"]', has_text=label).first.locator('input[type="range"]')
    slider.focus()
    for _ in range(times):
        slider.press(key)


def wait_for_change(page, index: int, before: str) -> None:
    page.wait_for_function(
        """([i, before]) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                              return plot && JSON.stringify(plot.data.map(t => [t.name, t.x, t.y])) !== before; }""",
        arg=[index, before], timeout=120_000,
    )


def section_shot(page, key: str, name: str) -> None:
    """Scroll the keyed chart to the middle of the window and screenshot what a projector would show."""
    page.locator(f".st-key-{key}").first.evaluate("e => e.scrollIntoView({block: 'center'})")
    time.sleep(1.0)
    screenshot(page, name, full_page=False)


def test_minibatches_page_loads_and_the_batch_size_moves_the_cloud(app_server, page):
    page.goto(app_server + "/minibatches")
    wait_for_charts(page, 10, timeout=240)
    wait_until_idle(page, timeout=240)
    assert_no_exception(page)
    screenshot(page, "minibatches_default")
    before = chart_json(page, 1)  # the gradient cloud
    press_slider(page, "Batch size B", times=8)
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 1, before)
    assert_no_exception(page)
    assert "mb_batch=16" in page.url
    section_shot(page, "mb_cloud", "minibatches_after_batch_change")
    section_shot(page, "mb_se", "minibatches_standard_error")
    section_shot(page, "mb_per_sample", "minibatches_per_sample")
    section_shot(page, "mb_order_map", "minibatches_sampling_order")
    section_shot(page, "mb_membership", "minibatches_membership")
    section_shot(page, "mb_duel_loss", "minibatches_momentum_vs_batch")


def test_schedules_page_loads_and_the_decay_factor_moves_the_band(app_server, page):
    page.goto(app_server + "/schedules")
    wait_for_charts(page, 4, timeout=240)
    wait_until_idle(page, timeout=240)
    assert_no_exception(page)
    screenshot(page, "schedules_default")
    before = chart_json(page, 1)  # the loss bands
    press_slider(page, "Decay factor", "ArrowLeft", times=3)
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 1, before)
    assert_no_exception(page)
    assert "sched_gamma=0.35" in page.url
    section_shot(page, "sched_band", "schedules_after_gamma_change")
    section_shot(page, "sched_jitter_map", "schedules_jitter")
