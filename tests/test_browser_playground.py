"""The Playground in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`."""

from __future__ import annotations

import pytest

from tests.browser_helpers import assert_no_exception, first_path_trace, screenshot, wait_for_charts, wait_until_idle

pytestmark = pytest.mark.browser


def test_playground_loads_and_learning_rate_slider_changes_the_charts(app_server, page):
    page.goto(app_server + "/")
    wait_for_charts(page, 5)
    wait_until_idle(page)
    assert_no_exception(page)
    screenshot(page, "playground_default")
    before = first_path_trace(page)

    lr_slider = page.locator('[data-testid="stSlider"]', has_text="Learning rate").locator('input[type="range"]')
    lr_slider.focus()
    for _ in range(3):
        lr_slider.press("ArrowRight")
    wait_until_idle(page)
    page.wait_for_function(
        """(before) => { const plot = document.querySelector('.js-plotly-plot');
                         const t = plot && plot.data.find(t => t.mode === 'lines+markers');
                         return t && JSON.stringify([t.x, t.y]) !== before; }""",
        arg=before, timeout=60_000,
    )
    assert_no_exception(page)
    assert "lr=" in page.url
    screenshot(page, "playground_after_lr_change")
