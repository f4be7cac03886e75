"""The deep-network lab's pages in a real browser (Debian's Chromium via Playwright against
`streamlit run app.py`): one page load each, charts drawn, a slider moves them, no exception, screenshots."""

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
    """One page load: the page's URL directly (pages/<url path>.py is its first-visit entry, ui/first_visit.py)."""
    page.goto(app_server + path)
    wait_for_charts(page, charts, timeout=300)
    wait_until_idle(page, timeout=300)
    assert_no_exception(page)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0


def test_initialization_page_draws_and_a_slider_redraws(app_server, page):
    open_page(page, app_server, "/initialization", 13)
    screenshot(page, "deep_initialization_notes", full_page=False)
    heatmap = 3  # "Outputs x by layer" of the any-scheme section
    page.locator(".js-plotly-plot").nth(heatmap).scroll_into_view_if_needed()
    before = chart_json(page, heatmap)
    press_slider(page, "Depth (layers)", presses=2)
    wait_for_change(page, heatmap, before)
    wait_until_idle(page, timeout=120)
    assert_no_exception(page)
    screenshot(page, "deep_initialization_explore", full_page=False)
    page.locator(".js-plotly-plot").nth(9).scroll_into_view_if_needed()
    wait_until_idle(page, timeout=60)
    screenshot(page, "deep_initialization_symmetry", full_page=False)
    screenshot(page, "deep_initialization_full", full_page=True)


def heatmap_z(page) -> str:
    return page.evaluate("""() => { const plot = document.querySelector('.js-plotly-plot');
                                   return JSON.stringify(plot.data[0].z && plot.data[0].z.length ? plot.data[0].z[25] : null); }""")


def test_training_page_retrains_on_a_slider_and_scrubs_in_the_browser(app_server, page):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    open_page(page, app_server, "/training", 4)
    before = chart_json(page, 0)
    press_slider(page, "Learning rate η", presses=1, key="ArrowLeft")
    wait_for_change(page, 0, before)
    wait_until_idle(page, timeout=240)
    assert_no_exception(page)
    screenshot(page, "deep_training_end", full_page=False)
    before, messages = heatmap_z(page), len(sent)
    rail = page.locator(".js-plotly-plot").first.locator(".slider-rail-touch-rect").first
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)  # the first epoch
    page.wait_for_function("""(before) => { const plot = document.querySelector('.js-plotly-plot');
                                             return JSON.stringify(plot.data[0].z[25]) !== before; }""", arg=before,
                           timeout=30_000)
    assert len(sent) == messages, "scrubbing the epochs sent a message to the server"
    assert_no_exception(page)
    screenshot(page, "deep_training_epoch0", full_page=False)
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()
    screenshot(page, "deep_training_layers", full_page=False)


def test_activations_page_draws_and_a_slider_redraws(app_server, page):
    open_page(page, app_server, "/activations", 6)
    index = 1  # saturation over training
    page.locator(".js-plotly-plot").nth(index).scroll_into_view_if_needed()
    before = chart_json(page, index)
    press_slider(page, "Weight scale", presses=2)
    wait_for_change(page, index, before)
    wait_until_idle(page, timeout=240)
    assert_no_exception(page)
    screenshot(page, "deep_activations_saturation", full_page=False)
    page.locator(".js-plotly-plot").nth(3).scroll_into_view_if_needed()
    screenshot(page, "deep_activations_dying", full_page=False)
