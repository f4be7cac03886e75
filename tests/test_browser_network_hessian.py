"""The page "The Hessian of a network" in a real browser (Debian's Chromium via Playwright against
`streamlit run app.py`): one page load, its four charts drawn, a slider moved by keyboard redraws the
conditioning chart, no exception, screenshots."""

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


def test_network_hessian_page_draws_and_a_slider_redraws(app_server, page):
    page.goto(app_server + "/network_hessian")
    wait_for_charts(page, 4, timeout=400)
    wait_until_idle(page, timeout=400)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0
    screenshot(page, "network_hessian_top", full_page=False)
    conditioning = 0
    page.locator(".js-plotly-plot").nth(conditioning).scroll_into_view_if_needed()
    before = chart_json(page, conditioning)
    press_slider(page, "k of the top spread", presses=3)
    wait_for_change(page, conditioning, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    screenshot(page, "network_hessian_conditioning", full_page=False)
    for index, name in ((1, "spectrum"), (2, "blocks"), (3, "cost")):
        page.locator(".js-plotly-plot").nth(index).scroll_into_view_if_needed()
        wait_until_idle(page, timeout=60)
        screenshot(page, f"network_hessian_{name}", full_page=False)
    screenshot(page, "network_hessian_full", full_page=True)
