"""The Dropout page in a real browser (Debian's Chromium via Playwright against `streamlit run app.py`):
one page load, every chart drawn, the keep-probability slider of the expectation check redraws its
chart, no exception, screenshots into tests/artifacts/."""

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

CHARTS = 7  # expectation, losses, maps, loss as trained, weights, agreement, sub-networks


def test_dropout_page_draws_and_a_slider_redraws(app_server, page):
    page.goto(app_server + "/dropout")
    wait_for_charts(page, CHARTS, timeout=400)
    wait_until_idle(page, timeout=400)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0
    screenshot(page, "dropout_expectation", full_page=False)
    before = chart_json(page, 0)
    press_slider(page, "Keep probability p", presses=2, key="ArrowLeft")
    wait_for_change(page, 0, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "dropout_gap", full_page=False)
    page.locator(".js-plotly-plot").nth(3).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "dropout_rough", full_page=False)
    page.locator(".js-plotly-plot").nth(5).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "dropout_ensemble", full_page=False)
    screenshot(page, "dropout_full", full_page=True)
