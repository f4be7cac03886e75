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


def test_a_click_on_the_contour_map_moves_the_start_point(app_server, page):
    page.goto(app_server + "/")
    wait_for_charts(page, 5)
    wait_until_idle(page)
    start_x = page.locator('[data-testid="stNumberInput"]', has_text="Start x").locator("input")
    assert float(start_x.input_value()) == -2.5
    plot = page.locator(".js-plotly-plot").first
    box = plot.locator(".nsewdrag").first.bounding_box()
    # click the upper-right part of the map, where the default start is not
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    page.wait_for_function(
        """() => { const i = [...document.querySelectorAll('[data-testid="stNumberInput"]')]
                       .find(e => e.innerText.includes('Start x')).querySelector('input');
                   return parseFloat(i.value) > 0; }""", timeout=60_000)
    wait_until_idle(page)
    assert_no_exception(page)
    assert float(start_x.input_value()) > 0
    start_y = page.locator('[data-testid="stNumberInput"]', has_text="Start y").locator("input")
    assert float(start_y.input_value()) > 0
    path = page.evaluate(
        """() => { const plot = document.querySelector('.js-plotly-plot');
                   const t = plot._fullData.find(t => t.mode === 'lines+markers');
                   return [t.x[0], t.y[0]]; }""")
    assert abs(path[0] - float(start_x.input_value())) < 1e-9 and abs(path[1] - float(start_y.input_value())) < 1e-9
    screenshot(page, "playground_after_click")


def test_the_first_session_after_a_server_start_may_open_a_page_url_directly(browser):
    """A folder named pages/ makes Streamlit run a page alone (legacy mode) until app.py has run once;
    the very first visitor of a page URL must still get app.py's frame (navigation, wide layout)."""
    import subprocess
    import sys

    from tests.conftest import ROOT, free_port, wait_for_health
    from ui.navigation import available_pages

    # A url path that differs from its file stem would meet "Page not found" here (ui/navigation.py).
    targets = [p for p in available_pages() if p.url_path]
    assert all(p.url_path == p.path.split("/")[-1].removesuffix(".py") for p in targets)
    target = targets[-1]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, 120, server)
        page = context.new_page()
        page.goto(f"{url}/{target.url_path}")
        wait_for_charts(page, 1)
        wait_until_idle(page)
        assert_no_exception(page)
        assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0
        assert page.locator("h1").first.inner_text().startswith(target.title.split(":")[0])
        nav = page.locator('.st-key-lab_navigation').inner_text()
        assert "Optimizer playground" in nav and target.title in nav  # app.py's navigation, not the legacy list
        for other in [p for p in targets if p is not target][:3]:  # then other page URLs, one after another, same tab
            page.goto(f"{url}/{other.url_path}")
            wait_for_charts(page, 1)
            wait_until_idle(page)
            assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0, other.url_path
            assert_no_exception(page)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Presentation mode").count() == 1
    finally:
        context.close()
        server.terminate()
        server.wait(20)


def test_a_shorter_run_keeps_the_scrubber_in_range_and_in_the_link(app_server, page, browser):
    """Scrub, then ask for fewer steps: the scrubber's range shrinks (Streamlit makes it a new widget and
    may restore an old position, even one beyond the new end). The page must stay error-free, the
    scrubber inside the new range, and the copied link must reopen the same position."""
    page.goto(app_server + "/")
    wait_for_charts(page, 5)
    wait_until_idle(page)
    scrubber = page.locator(SCRUBBER)  # in the browser (ui/scrubber.py), not a Streamlit slider
    value = "e => e.getAttribute('aria-valuetext') || e.value"
    scrubber.focus()
    for _ in range(3):
        scrubber.press("ArrowLeft")
    page.wait_for_function("() => window.location.href.includes('step=197')", timeout=60_000)
    wait_until_idle(page)
    page.locator('[data-testid="stExpander"] summary', has_text="Minibatches and run").click()
    steps = page.locator('[data-testid="stNumberInput"]', has_text="Steps").locator("input")
    for n in ("40", "20"):
        steps.fill(n)
        steps.press("Enter")
        page.wait_for_function(f"() => window.location.href.includes('steps={n}')", timeout=60_000)
        wait_until_idle(page)
        assert_no_exception(page)
        position = int(scrubber.evaluate(value))
        assert 0 <= position <= int(n)
    other = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    other.goto(page.url)
    wait_for_charts(other, 5)
    wait_until_idle(other)
    twin = other.locator(SCRUBBER)
    assert int(twin.evaluate(value)) == position, page.url
    other.context.close()


SCRUBBER = '.st-key-step_scrubber input[type="range"][aria-label="Step (moves every view)"]'

VIEWS = """() => {
  const gd = k => document.querySelector(`.st-key-${k} .js-plotly-plot`);
  const layer = gd('contour').querySelector('g.optlab-scrub');
  const surface = gd('surface')._fullData.filter(t => t.type === 'scatter3d').map(t => t.x.length);
  return {
    map: layer ? [...layer.querySelectorAll('path')].map(p => p.getAttribute('d')).join('|') : null,
    lines: ['loss', 'grad_norm', 'stability'].map(k => gd(k).querySelector('.shapelayer path').getAttribute('d')),
    readouts: (() => { const host = [...document.querySelectorAll('.st-key-step_scrubber *')].find(e => e.shadowRoot);
                       const root = host ? host.shadowRoot : document.querySelector('.st-key-step_scrubber');
                       return root.querySelector('.readouts').innerText; })(),
    surface,
  };
}"""


def test_scrubbing_moves_every_view_in_the_browser_without_a_rerun(app_server, page):
    """The step scrubber moves the map's paths, heads and eigenvector bars, the line charts' step line, the
    3-D paths and the readouts, and keeps the step in the link, without asking the server: the browser
    sends no rerun request and Streamlit's "running" indicator never appears."""
    import time

    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.goto(app_server + "/")
    wait_for_charts(page, 5)
    wait_until_idle(page)
    scrubber = page.locator(SCRUBBER)
    page.wait_for_function("() => !!document.querySelector('.st-key-contour g.optlab-scrub path')", timeout=60_000)
    before = page.evaluate(VIEWS)
    assert before["surface"] == [201] * 4 and "step 200" in before["readouts"]
    time.sleep(1.0)
    sent.clear()
    scrubber.focus()
    running_seen = False
    for _ in range(40):
        scrubber.press("ArrowLeft")
        running_seen |= page.locator('[data-testid="stStatusWidget"]').count() > 0
    page.wait_for_function("() => window.location.href.includes('step=160')", timeout=30_000)
    page.wait_for_function("() => document.querySelector('.st-key-surface .js-plotly-plot')._fullData"
                           ".filter(t => t.type === 'scatter3d').every(t => t.x.length === 161)", timeout=30_000)
    after = page.evaluate(VIEWS)
    for _ in range(8):  # nothing reran meanwhile
        time.sleep(0.25)
        running_seen |= page.locator('[data-testid="stStatusWidget"]').count() > 0
    assert after["map"] != before["map"]
    assert all(a != b for a, b in zip(after["lines"], before["lines"]))
    assert "step 160" in after["readouts"] and after["readouts"] != before["readouts"]
    assert after["surface"] == [161] * 4
    assert int(scrubber.evaluate("e => e.getAttribute('aria-valuetext')")) == 160
    assert not running_seen, "the server reran while scrubbing"
    assert not [n for n in sent if n > 64], f"the browser sent the server {sent} (a rerun request) while scrubbing"
    assert_no_exception(page)
    screenshot(page, "playground_scrubbed")
