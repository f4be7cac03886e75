"""The deep-network lab's part-3 pages "0-1 loss vs log-likelihood" and "Order of the data" in a real
browser (Debian's Chromium via Playwright against `streamlit run app.py`): one page load each, charts
drawn, a slider pressed by keyboard changes a chart, no exception, screenshots into tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.browser_helpers import (
    assert_no_exception,
    chart_json,
    press_slider,
    screenshot,
    wait_for_change,
    wait_for_charts,
    wait_until_idle,
)

pytestmark = pytest.mark.browser


def open_page(page, app_server: str, path: str, charts: int) -> None:
    page.goto(app_server + path)
    wait_for_charts(page, charts, timeout=300)
    wait_until_idle(page, timeout=300)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0


def test_what_we_optimize_page_draws_and_the_start_slider_moves_the_paths(app_server, page):
    open_page(page, app_server, "/what_we_optimize", 5)
    screenshot(page, "part3_what_we_optimize_top", full_page=False)
    before = chart_json(page, 0)
    press_slider(page, "Start w₁", presses=5)
    wait_for_change(page, 0, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    histograms = 4
    page.locator(".js-plotly-plot").nth(histograms).scroll_into_view_if_needed()
    frames = page.evaluate("(i) => document.querySelectorAll('.js-plotly-plot')[i]._transitionData._frames.length", histograms)
    assert frames > 10, "the margin histogram has no snapshots to scrub"
    wait_until_idle(page, timeout=60)
    screenshot(page, "part3_what_we_optimize_margins", full_page=False)
    screenshot(page, "part3_what_we_optimize_full", full_page=True)


def test_data_order_page_draws_and_the_budget_slider_moves_the_comparison(app_server, page):
    open_page(page, app_server, "/data_order", 5)
    screenshot(page, "part3_data_order_top", full_page=False)
    before = chart_json(page, 0)
    press_slider(page, "Budget (steps)", presses=2)
    wait_for_change(page, 0, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    page.locator(".js-plotly-plot").nth(2).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "part3_data_order_stream", full_page=False)
