"""The Normalization and skip connections page in a real browser (Debian's Chromium via Playwright against
`streamlit run app.py`): one page load, every chart drawn, the learning-rate slider moved by keyboard retrains
and redraws the loss curves, the depth study on demand, no exception, screenshots."""

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
CHARTS = 11


def test_normalization_page_draws_and_a_slider_retrains(app_server, page):
    page.goto(app_server + "/normalization_and_skips")
    wait_for_charts(page, CHARTS, timeout=400)
    wait_until_idle(page, timeout=400)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0
    screenshot(page, "nsk_top", full_page=False)
    before = chart_json(page, 0)
    press_slider(page, "Learning rate η", presses=1)
    wait_for_change(page, 0, before)
    wait_until_idle(page, timeout=300)
    assert_no_exception(page)
    for index, name in ((4, "nsk_curvature"), (6, "nsk_sweep"), (7, "nsk_smoothness"),
                        (9, "nsk_modes")):
        page.locator(".js-plotly-plot").nth(index).scroll_into_view_if_needed()
        screenshot(page, name, full_page=False)
    page.get_by_text("Run the depth study").click()
    wait_for_charts(page, CHARTS + 1, timeout=300)
    screenshot(page, "nsk_depth_drawn", full_page=False)
    wait_until_idle(page, timeout=300)
    assert_no_exception(page)
    page.locator(".js-plotly-plot").nth(CHARTS).scroll_into_view_if_needed()
    screenshot(page, "nsk_depth", full_page=False)
