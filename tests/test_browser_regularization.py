"""The Early stopping and weight decay page in a real browser (Debian's Chromium via Playwright against
`streamlit run app.py`): one page load, its eight charts drawn, a slider moved by keyboard redraws the
weight-space chart, no exception, screenshots into tests/artifacts/."""

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

CHARTS = 8
PLANE = 3  # "Weight space: gradient descent stopped at t against ridge ..."


def test_regularization_page_draws_and_a_slider_redraws(app_server, page):
    page.goto(app_server + "/regularization")
    wait_for_charts(page, CHARTS, timeout=300)
    wait_until_idle(page, timeout=300)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0
    screenshot(page, "regularization_early_stopping", full_page=False)
    page.locator(".js-plotly-plot").nth(2).scroll_into_view_if_needed()
    screenshot(page, "regularization_hold_out", full_page=False)
    page.locator(".js-plotly-plot").nth(PLANE).scroll_into_view_if_needed()
    before = chart_json(page, PLANE)
    press_slider(page, "Correlation of the two inputs", presses=2, key="ArrowLeft")
    wait_for_change(page, PLANE, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    screenshot(page, "regularization_ridge", full_page=False)
    page.locator(".js-plotly-plot").nth(5).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "regularization_decay", full_page=False)
    screenshot(page, "regularization_full", full_page=True)
