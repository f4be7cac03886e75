"""Your own landscape in a real browser (issue 16): a typed formula is raced, a hostile one gets a
message while the page keeps working, and a pasted CSV stays in the session that pasted it."""

from __future__ import annotations

import urllib.parse

import pytest

from landscapes.user_data import parse_csv, sample_csv
from tests.browser_helpers import assert_no_exception, chart_json, screenshot, wait_for_change, wait_for_charts, wait_until_idle
from ui.controls import FORMULA_TITLE

pytestmark = pytest.mark.browser
SLOW = 300.0  # seconds: a new formula compiles its race program (5-20 s on a quiet box, minutes under heavy load)


def open_playground(page, app_server: str, landscape_title: str) -> None:
    page.goto(f"{app_server}/?landscape={urllib.parse.quote(landscape_title)}")
    wait_for_charts(page, 3, timeout=SLOW)
    wait_until_idle(page, timeout=SLOW)
    assert_no_exception(page)


def test_a_typed_formula_is_raced_and_a_hostile_one_is_refused(app_server, page):
    open_playground(page, app_server, FORMULA_TITLE)
    box = page.get_by_label("f(x, y) =", exact=True).and_(page.locator("input"))
    before = chart_json(page, 0)
    box.fill("x^2 + 10*sin(y)")
    box.press("Enter")
    wait_for_change(page, 0, before, timeout=SLOW)
    wait_until_idle(page, timeout=SLOW)
    assert_no_exception(page)
    assert "landscape_formula=" in page.url and "sin" in urllib.parse.unquote_plus(page.url)
    screenshot(page, "own_formula_typed")

    before = chart_json(page, 0)
    box.fill("__import__('os').system('id')")
    box.press("Enter")
    page.get_by_text("was not used").first.wait_for(timeout=SLOW * 1000)
    wait_until_idle(page, timeout=SLOW)
    assert_no_exception(page)
    message = page.locator('[data-testid="stAlert"]', has_text="was not used").first.inner_text()
    assert "__import__" in message or "not allowed" in message, message
    assert page.locator(".js-plotly-plot").count() >= 3  # the page still draws (the default formula)
    screenshot(page, "own_formula_hostile")


def test_a_pasted_csv_stays_in_the_session_that_pasted_it(app_server, browser):
    rows = sample_csv("regression", n_rows=30, seed=5)
    fingerprint = parse_csv(rows, "regression").fingerprint
    title = "Linear regression (slope, intercept)"
    a_context, b_context = browser.new_context(viewport={"width": 1500, "height": 1000}), browser.new_context()
    try:
        a = a_context.new_page()
        open_playground(a, app_server, title)
        a.get_by_role("radio", name="Your own CSV").click()
        a.get_by_text("Upload or paste a CSV").first.wait_for(timeout=SLOW * 1000)
        before = chart_json(a, 0)
        area = a.locator("textarea[aria-label=\"…or paste the rows here\"]")
        area.fill(rows)
        area.press("Control+Enter")
        a.get_by_text("Your data: 30 rows").first.wait_for(timeout=SLOW * 1000)
        wait_for_change(a, 0, before, timeout=SLOW)
        wait_until_idle(a, timeout=SLOW)
        assert_no_exception(a)
        assert fingerprint not in a.url and "user_data" not in a.url  # the rows are not in the link
        screenshot(a, "own_data_pasted")

        b = b_context.new_page()
        open_playground(b, app_server, title)
        b.get_by_role("radio", name="Your own CSV").click()
        b.get_by_text("Upload or paste a CSV").first.wait_for(timeout=SLOW * 1000)
        wait_until_idle(b, timeout=SLOW)
        assert b.get_by_text("Your data:").count() == 0  # session B does not see A's rows
        assert_no_exception(b)
    finally:
        a_context.close()
        b_context.close()
