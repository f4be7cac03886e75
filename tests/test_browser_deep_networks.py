"""The deep-network lab's pages in a real browser (Debian's Chromium via Playwright against
`streamlit run app.py`): one page load each, charts drawn, a slider moves them, no exception, screenshots."""

from __future__ import annotations

import pytest

from tests.browser_helpers import assert_no_exception, screenshot, wait_for_charts, wait_until_idle

pytestmark = pytest.mark.browser


def chart_json(page, index: int) -> str:
    return page.evaluate(
        """(i) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                    return plot ? JSON.stringify(plot.data.map(t => [t.name, t.x, t.y, t.z])) : ''; }""",
        index,
    )


def wait_for_change(page, index: int, before: str, timeout: float = 240.0) -> None:
    page.wait_for_function(
        """([i, before]) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                              return plot && JSON.stringify(plot.data.map(t => [t.name, t.x, t.y, t.z])) !== before; }""",
        arg=[index, before], timeout=timeout * 1000,
    )


def press_slider(page, label: str, presses: int = 1, key: str = "ArrowRight") -> None:
    slider = page.locator('[data-testid="stSlider"]', has_text=label).first.locator('input[type="range"], [role="slider"]').first
    slider.focus()
    for _ in range(presses):
        slider.press(key)


def open_page(page, app_server: str, path: str, charts: int) -> None:
    """Open the app's root first, as the other labs' browser tests do: on a fresh server the first visit
    to a page URL can meet Streamlit's "Page not found" before st.navigation has run once."""
    page.goto(app_server + "/")
    wait_for_charts(page, 1, timeout=300)
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
