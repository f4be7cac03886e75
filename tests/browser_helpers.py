"""Small helpers for the Playwright tests (waiting for Streamlit to settle, reading charts)."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from tests.conftest import ARTIFACTS


def wait_until_idle(page: Page, timeout: float = 120.0) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    deadline = time.time() + timeout
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    time.sleep(0.5)
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        skeleton = page.locator('[data-testid="stSkeleton"]').count()
        if running == 0 and skeleton == 0:
            time.sleep(0.4)
            if page.locator('[data-testid="stStatusWidget"]').count() == 0:
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
