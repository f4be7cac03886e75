"""Small helpers for the Playwright tests (waiting for Streamlit to settle, reading charts)."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.conftest import ARTIFACTS


def wait_until_idle(page: Page, timeout: float = 120.0) -> None:
    """Wait until Streamlit has finished running the script: the app root reports the script state
    'notRunning' (Streamlit's own attribute, set the moment a run ends) and no status widget or
    skeleton shows, twice in a row 0.4 s apart (a rerun asked for meanwhile starts again)."""
    deadline = time.time() + timeout
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    time.sleep(0.3)

    def idle() -> bool:
        state = page.locator('[data-testid="stApp"]').first.get_attribute("data-test-script-state")
        return (state == "notRunning" and page.locator('[data-testid="stStatusWidget"]').count() == 0
                and page.locator('[data-testid="stSkeleton"]').count() == 0)

    while time.time() < deadline:
        if idle():
            time.sleep(0.4)
            if idle():
                return
        time.sleep(0.25)
    raise TimeoutError("the app kept running")


def wait_for_charts(page: Page, minimum: int, timeout: float = 120.0) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot').length >= {minimum}", timeout=timeout * 1000
    )


def assert_no_exception(page: Page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def first_path_trace(page: Page) -> str:
    """JSON of the first optimizer path on the first map, to see whether a chart changed."""
    return page.evaluate(
        """() => { const plot = document.querySelector('.js-plotly-plot');
                   const trace = plot.data.find(t => t.mode === 'lines+markers');
                   return JSON.stringify([trace.x, trace.y]); }"""
    )


def chart_json(page, index: int) -> str:
    """The data of the index-th Plotly chart on the page, as JSON (to see that it changed)."""
    return page.evaluate(
        """(i) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                    return plot ? JSON.stringify(plot.data.map(t => [t.name, t.x, t.y, t.z])) : ''; }""",
        index,
    )


def wait_for_change(page, index: int, before: str, timeout: float = 240.0) -> None:
    """Wait until the index-th chart's data differs from ``before`` (a chart_json)."""
    page.wait_for_function(
        """([i, before]) => { const plot = document.querySelectorAll('.js-plotly-plot')[i];
                              return plot && JSON.stringify(plot.data.map(t => [t.name, t.x, t.y, t.z])) !== before; }""",
        arg=[index, before], timeout=timeout * 1000,
    )


def press_slider(page, label: str, presses: int = 1, key: str = "ArrowRight") -> None:
    """Focus the slider labelled ``label`` and press ``key`` ``presses`` times (in quick succession)."""
    slider = page.locator('[data-testid="stSlider"]', has_text=label).first.locator('input[type="range"], [role="slider"]').first
    slider.focus()
    for _ in range(presses):
        slider.press(key)


#: Counts the script runs that start on a page: a MutationObserver on Streamlit's script-state
#: attribute of the app root (installed once per loaded document; a reload starts from zero).
_RUN_COUNTER = """() => {
    if (window.__runsStarted === undefined) {
        window.__runsStarted = 0;
        const app = document.querySelector('[data-testid="stApp"]');
        new MutationObserver((records) => {  // every change, also two in one batch: a run left 'notRunning'
            for (const r of records) if (r.oldValue === 'notRunning') window.__runsStarted += 1;
        }).observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
    }
    return window.__runsStarted;
}"""


def runs_started(page: Page) -> int:
    """How many script runs have started on the page since it was loaded (call it once before an
    action, then ``wait_for_run(page, since=...)`` after it)."""
    page.wait_for_selector('[data-testid="stApp"]')
    return page.evaluate(_RUN_COUNTER)


def wait_for_run(page: Page, since: int, timeout: float = 120.0) -> None:
    """Wait until a script run has started after ``runs_started`` returned ``since`` and the app is
    idle again: no fixed sleep that a loaded machine could outlast before the rerun even begins."""
    page.wait_for_function("(since) => window.__runsStarted > since", arg=since, timeout=timeout * 1000)
    wait_until_idle(page, timeout=timeout)


def slider_text(page: Page, label: str) -> str:
    """What the slider labelled ``label`` shows (its thumb's aria-valuetext, else its value)."""
    thumb = page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first.locator('input[type="range"], [role="slider"]').first
    return thumb.evaluate("e => e.getAttribute('aria-valuetext') || e.value || e.getAttribute('aria-valuenow')")


def wait_for_slider_texts(page: Page, expected: dict[str, str], timeout: float = 60.0) -> dict[str, str]:
    """Wait until every slider labelled as a key of ``expected`` shows its value; returns what they
    show (the caller asserts, so a timeout reports the values instead of raising)."""
    deadline = time.time() + timeout
    while True:
        shown = {label: slider_text(page, label) for label in expected}
        if shown == expected or time.time() > deadline:
            return shown
        time.sleep(0.2)
