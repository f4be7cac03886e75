"""The Curvature lab pages in a real browser (Debian's Chromium via Playwright against `streamlit run app.py`)."""

from __future__ import annotations

import time

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
    """Open the app's root first (so the server knows the st.navigation pages), then the page's URL."""
    page.goto(app_server + "/")
    wait_for_charts(page, 1, timeout=240)
    page.goto(app_server + path)
    wait_for_charts(page, charts, timeout=240)
    wait_until_idle(page, timeout=240)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0


def show(page, chart_index: int, name: str) -> None:
    """Scroll chart ``chart_index`` into view and screenshot the viewport (what a projector shows)."""
    page.locator(".js-plotly-plot").nth(chart_index).scroll_into_view_if_needed()
    time.sleep(0.8)
    screenshot(page, name, full_page=False)


def test_conditioning_page_slider_and_rate_map_click(app_server, page):
    open_page(page, app_server, "/conditioning", 6)
    screenshot(page, "conditioning_default", full_page=False)
    show(page, 1, "conditioning_eigen_directions")

    before = chart_json(page, 1)
    press_slider(page, "α₂", 2)
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 1, before)
    assert_no_exception(page)
    assert "cond_alpha2=" in page.url

    # click a cell of the rate map: the momentum charts above switch to that (lr, beta)
    rate_map = page.locator(".js-plotly-plot").nth(5)
    rate_map.scroll_into_view_if_needed()
    time.sleep(1.0)
    box = page.locator(".js-plotly-plot").nth(5).locator(".nsewdrag").first.bounding_box()
    before = chart_json(page, 3)
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + 0.35 * box["height"])
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 3, before)
    assert_no_exception(page)
    assert "cond_mom_optimal=false" in page.url.lower()
    screenshot(page, "conditioning_rate_map_after_click", full_page=False)
    show(page, 3, "conditioning_momentum_after_click")


def test_data_normalization_page_slider_changes_the_charts(app_server, page):
    open_page(page, app_server, "/data_normalization", 9)
    screenshot(page, "normalization_default", full_page=False)
    show(page, 1, "normalization_condition_numbers")
    show(page, 3, "normalization_weight_space")
    show(page, 7, "normalization_network_units")
    before = chart_json(page, 1)
    press_slider(page, "Correlation", 4, "ArrowLeft")
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 1, before)
    assert_no_exception(page)
    assert "norm_corr=" in page.url
    show(page, 1, "normalization_after_correlation_change")


def test_second_order_page_scene_and_slider(app_server, page):
    open_page(page, app_server, "/second_order", 5)
    screenshot(page, "second_order_default", full_page=False)
    show(page, 3, "second_order_cost")
    before = chart_json(page, 0)
    press_slider(page, "Newton-family step size", 4, "ArrowLeft")
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 0, before)
    assert_no_exception(page)
    assert "newton_step_size=" in page.url
    before = chart_json(page, 0)
    page.locator('[data-testid="stSelectbox"]', has_text="What to show").click()
    page.locator('[role="option"]', has_text="Near a saddle").click()
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 0, before, timeout=240)
    assert_no_exception(page)
    assert "newton_scene=Near+a+saddle" in page.url  # a bound selectbox stores the displayed label
    show(page, 0, "second_order_saddle")
    before = chart_json(page, 0)
    page.locator('[data-testid="stSelectbox"]', has_text="What to show").click()
    page.locator('[role="option"]', has_text="Near-zero curvature").click()
    wait_until_idle(page, timeout=240)
    wait_for_change(page, 0, before, timeout=240)
    assert_no_exception(page)
    show(page, 0, "second_order_near_zero_curvature")
