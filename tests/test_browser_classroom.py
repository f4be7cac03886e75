"""Classroom readiness of every page in a real browser (Debian's Chromium via Playwright against one
`streamlit run app.py`):

a. accessibility: axe-core on every page, no "serious" or "critical" violation (full results in
   tests/artifacts/axe_<page>.json);
b. presentation mode (?present=true) at 1280x720 and 1920x1080: large body text and chart fonts,
   sidebar folded away, no exception (screenshots tests/artifacts/present_<page>_<w>x<h>.png);
c. a shared link reproduces the view: move a slider, open page.url in a fresh browser context, the
   same widget value and the same first figure appear;
d. hostile query strings: no exception, the link warning names every bad value, the charts still draw,
   the server stays healthy;
e. presets on every page: each loads, and its link reopens the same view.

Pages come from ``ui.navigation.available_pages()``, so a new page is covered as soon as its script exists.
Set ``CLASSROOM_APP_URL=http://127.0.0.1:<port>`` to run against an already running server.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request

import pytest

from tests.browser_helpers import assert_no_exception, wait_for_charts, wait_until_idle
from tests.conftest import ARTIFACTS
from ui.navigation import available_pages

pytestmark = pytest.mark.browser

PAGES = available_pages()
IDS = [p.url_path or "playground" for p in PAGES]
LINK_WARNING = "Some settings in this link were not used"
LOAD_TIMEOUT = 150.0  # seconds: a cold page compiles its JAX programs; the box is shared

#: Three bound settings per page that are always on screen, for the hostile-link test. A page missing
#: here falls back to the key its first slider writes into the URL.
HOSTILE_KEYS = {
    "": ["lr", "momentum", "steps"],
    "conditioning": ["cond_steps", "cond_lr_rule", "cond_map_side"],
    "normalization": ["norm_mean1", "norm_corr", "norm_steps"],
    "second-order": ["newton_step_size", "newton_steps", "newton_max_d"],
    "minibatches": ["mb_n", "mb_epochs", "mb_seed"],
    "schedules": ["sched_epochs", "sched_lr", "sched_seed"],
    "networks": ["net_model", "net_basin_grid", "net_basin_steps"],
    "saddles-cliffs": ["sc_newton_lr", "sc_d", "sc_k"],
    "continuation": ["cont_sigma", "cont_stages", "cont_seed"],
}

#: axe findings inside Streamlit's own components that our code cannot change. Each entry is
#: (rule id, CSS selector of the Streamlit container the node lies in, why). Only nodes of that rule
#: inside that container are ignored; every other node of the rule still fails the test.
AXE_EXCEPTIONS = [
    ("list", '[data-testid="stSidebarNav"]',
     "st.navigation renders section headers as non-<li> children of its <ul> (Streamlit markup)"),
    ("listitem", '[data-testid="stSidebarNav"]',
     "st.navigation renders its links as <li> outside a <ul>/<ol> under section headers (Streamlit markup)"),
]

#: default number of Plotly charts per page, recorded by the first test that loads it
CHART_COUNTS: dict[str, int] = {}


# ---- fixtures and helpers -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(request) -> str:
    url = os.environ.get("CLASSROOM_APP_URL")
    return url.rstrip("/") if url else request.getfixturevalue("app_server")


@pytest.fixture()
def new_page(browser):
    """A factory of pages, each in its own browser context (its own Streamlit session)."""
    contexts = []

    def make(width: int = 1600, height: int = 1000):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(LOAD_TIMEOUT * 1000)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs  # a script that ran would open an alert() dialog
        return page

    yield make
    for context in contexts:
        context.close()


def page_url(server: str, info, query: str = "") -> str:
    return f"{server}/{info.url_path}" + (f"?{query}" if query else "")


def minimum_charts(info) -> int:
    return CHART_COUNTS.get(info.url_path, 1)


def load(page, url: str, info, charts: int | None = None) -> None:
    """Open ``url`` and wait until its charts are drawn and Streamlit is idle."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_charts(page, charts or minimum_charts(info), timeout=LOAD_TIMEOUT)
    wait_until_idle(page, timeout=LOAD_TIMEOUT)
    assert page.locator('[role="dialog"]', has_text="Page not found").count() == 0, url
    assert_no_exception(page)
    CHART_COUNTS.setdefault(info.url_path, page.locator(".js-plotly-plot").count())


def first_figure_json(page) -> str:
    return page.evaluate(
        """() => { const plot = document.querySelector('.js-plotly-plot');
                   return JSON.stringify(plot._fullData.map(t => [t.type, t.name, t.x, t.y, t.z])); }"""
    )


def wait_for_stable_figure(page, settle: float = 1.0, timeout: float = 60.0) -> str:
    """The first figure's data once it has stopped changing for ``settle`` seconds."""
    deadline = time.time() + timeout
    last, since = first_figure_json(page), time.time()
    while time.time() < deadline:
        time.sleep(0.25)
        now = first_figure_json(page)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= settle:
            return now
    raise TimeoutError("the first figure kept changing")


def first_enabled_slider(page):
    sliders = page.locator('[data-testid="stSlider"]')
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        thumb = slider.locator('input[type="range"]').first
        if thumb.count() and thumb.is_enabled():
            return slider, thumb
    pytest.skip("no enabled slider on this page")


def slider_value(slider) -> str:
    return slider.locator('input[type="range"]').first.evaluate(
        "e => e.getAttribute('aria-valuetext') || e.value")


def health(server: str) -> bool:
    with urllib.request.urlopen(server + "/_stcore/health", timeout=10) as response:
        return response.read().strip() == b"ok"


# ---- a. accessibility -----------------------------------------------------------------------------

@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_axe_finds_no_serious_or_critical_violation(server, new_page, info):
    from axe_playwright_python.sync_playwright import Axe

    page = new_page()
    load(page, page_url(server, info), info)
    results = Axe().run(page).response
    name = info.url_path or "playground"
    (ARTIFACTS / f"axe_{name}.json").write_text(json.dumps(results, indent=1))

    failures, excused = [], []
    for violation in results["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            target = node["target"][0] if len(node["target"]) == 1 else node["target"]
            containers = [c for rule, c, _ in AXE_EXCEPTIONS if rule == violation["id"]]
            inside = page.evaluate(
                """([target, containers]) => { const e = typeof target === 'string' ? document.querySelector(target) : null;
                                               return !!e && containers.some(c => e.closest(c)); }""",
                [target, containers],
            ) if containers else False
            entry = f"{violation['id']} ({violation['impact']}): {target} — {node.get('failureSummary', '').splitlines()[-1:]}"
            (excused if inside else failures).append(entry)
    (ARTIFACTS / f"axe_{name}_summary.txt").write_text(
        "FAILURES\n" + "\n".join(failures) + "\n\nEXCUSED (Streamlit's own markup)\n" + "\n".join(excused) + "\n")
    assert not failures, "\n".join(failures)


# ---- b. presentation mode -------------------------------------------------------------------------

@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_presentation_mode_is_readable_from_the_back_of_the_room(server, new_page, info):
    page = new_page(1280, 720)
    load(page, page_url(server, info, "present=true"), info)
    name = info.url_path or "playground"
    for width, height in ((1280, 720), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        time.sleep(1.0)  # Plotly's responsive resize
        page.evaluate("window.scrollTo(0, 0)")
        page.locator('[data-testid="stMain"]').evaluate("e => e.scrollTo && e.scrollTo(0, 0)")
        time.sleep(0.3)
        page.screenshot(path=str(ARTIFACTS / f"present_{name}_{width}x{height}.png"))
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=str(ARTIFACTS / f"present_{name}_{width}x{height}_chart.png"))

        assert_no_exception(page)
        body_px = page.evaluate(
            """() => { const p = document.querySelector('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p');
                       return p ? parseFloat(getComputedStyle(p).fontSize) : null; }""")
        assert body_px is not None and body_px >= 20, f"body text {body_px}px at {width}x{height}"
        fonts = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.font.size)")
        assert fonts and all(size >= 18 for size in fonts), f"Plotly layout font sizes {fonts}"
        sidebar = page.evaluate(
            """() => { const s = document.querySelector('[data-testid="stSidebar"]');
                       if (!s) return null; const r = s.getBoundingClientRect();
                       return {collapsed: s.getAttribute('data-collapsed'), expanded: s.getAttribute('aria-expanded'),
                               right: r.right, width: r.width}; }""")
        assert sidebar is None or (sidebar["collapsed"] == "true" and sidebar["right"] <= 0), sidebar


# ---- c. URL round trip ----------------------------------------------------------------------------

#: Known bug, open: on these two pages a view reached by moving "Dataset size N" differs from the view
#: its copied link opens (the run lengths differ: 600 vs 1046 points on Schedules). A value derived from
#: N is kept from before the move in one and recomputed in the other; not yet found. Marked, not hidden:
#: the test runs, and reports XPASS once it is fixed.
@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_a_copied_link_reproduces_the_view(server, new_page, info):
    page = new_page()
    load(page, page_url(server, info), info)
    slider, thumb = first_enabled_slider(page)
    label = slider.locator('[data-testid="stWidgetLabel"]').inner_text().strip()
    url_before, value_before = page.url, slider_value(slider)
    thumb.focus()
    for _ in range(2):
        thumb.press("ArrowRight")
    page.wait_for_function("(before) => window.location.href !== before", arg=url_before, timeout=60_000)
    wait_until_idle(page, timeout=LOAD_TIMEOUT)
    assert_no_exception(page)
    value = slider_value(slider)
    assert value != value_before, f"slider {label!r} did not move"
    figure = wait_for_stable_figure(page)
    link = page.url

    other = new_page()
    load(other, link, info)
    twin = other.locator('[data-testid="stSlider"]').filter(
        has=other.locator('[data-testid="stWidgetLabel"]', has_text=label)).first
    assert slider_value(twin) == value, f"{label!r} shows {slider_value(twin)} in the copied link, not {value} ({link})"
    assert other.locator('[data-testid="stAlert"]', has_text=LINK_WARNING).count() == 0
    assert wait_for_stable_figure(other) == figure, f"first figure differs after opening {link}"


def slider_by_label(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first


def press(page, label: str, key: str, times: int) -> None:
    """Press ``key`` on a slider ``times`` times in quick succession, as a student tapping the arrow
    key does (each press starts a rerun that the next one interrupts), then wait for the page."""
    thumb = slider_by_label(page, label).locator('input[type="range"]').first
    thumb.focus()
    before = page.url
    for _ in range(times):
        thumb.press(key)
    page.wait_for_function("(before) => window.location.href !== before", arg=before, timeout=60_000)
    time.sleep(0.5)
    wait_until_idle(page, timeout=LOAD_TIMEOUT)


#: (query, [(slider, key, presses, (N, B) shown after)]): N moved first, B moved first, from a link with B = 40.
BATCH_SCENARIOS = {
    "untouched": ("", [("Dataset size", "ArrowRight", 2, ("256", "+0"))]),
    "clean": ("", [("Batch size", "ArrowRight", 3, ("64", "+3")), ("Dataset size", "ArrowRight", 1, ("128", "+3")),
                   ("Dataset size", "ArrowLeft", 2, ("32", "+3"))]),
    "linked": ("batch=40", [("Dataset size", "ArrowLeft", 1, ("32", "32")), ("Dataset size", "ArrowRight", 1, ("64", "32")),
                            ("Batch size", "ArrowLeft", 3, ("64", "29"))]),
}
BATCH_DEFAULTS = {"mb": 8, "sched": 4}


@pytest.mark.parametrize("scenario", list(BATCH_SCENARIOS))
@pytest.mark.parametrize("path, prefix", [("minibatches", "mb"), ("schedules", "sched")])
def test_the_batch_size_follows_the_dataset_size_into_the_link(server, new_page, path, prefix, scenario):
    """The batch slider's range is 1..N, so moving N makes it a new widget in Streamlit. B must keep its
    value (capped at the new N), and after every step the link must reopen the same view."""
    info = next(p for p in PAGES if p.url_path == path)
    query, steps = BATCH_SCENARIOS[scenario]
    page = new_page()
    load(page, page_url(server, info, f"{prefix}_{query}" if query else ""), info)
    for label, key, times, (n, b) in steps:
        expected = (n, str(BATCH_DEFAULTS[prefix] + int(b)) if b.startswith("+") else b)
        press(page, label, key, times)
        shown = (slider_value(slider_by_label(page, "Dataset size")), slider_value(slider_by_label(page, "Batch size")))
        assert shown == expected, f"after {label} {key} x{times}: (N, B) = {shown}, expected {expected}"
    figure, link = wait_for_stable_figure(page), page.url

    other = new_page()
    load(other, link, info)
    assert (slider_value(slider_by_label(other, "Dataset size")), slider_value(slider_by_label(other, "Batch size"))) == shown, link
    assert wait_for_stable_figure(other) == figure, f"first figure differs after opening {link}"


# ---- d. hostile query strings ---------------------------------------------------------------------

def hostile_queries(keys: list[str]) -> list[tuple[str, set[str]]]:
    """(query string, keys the link warning must name) pairs: each bad value on a real setting."""
    k = (keys * 3)[:3]
    script = "<script>alert(1)</script>"
    first = [(k[0], "abc"), (k[1], "1" + "0" * 400), (k[2], "-1e12"), (script, "1")]
    second = [(k[0], "z" * 5000), (k[1], "λ∞😀ü中\u202e"), (k[2], script), (k[2], "-5e300")]  # k[2] repeated
    return [(urllib.parse.urlencode(first), {k[0], k[1], k[2], script}),
            (urllib.parse.urlencode(second), {k[0], k[1], k[2]})]


def discover_key(page, server: str, info) -> str:
    load(page, page_url(server, info), info)
    _, thumb = first_enabled_slider(page)
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_function("() => window.location.search.length > 1", timeout=60_000)
    return urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query)[0][0]


@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_hostile_links_are_reported_not_fatal(server, new_page, info):
    page = new_page()
    keys = HOSTILE_KEYS.get(info.url_path) or [discover_key(page, server, info)]
    for query, named in hostile_queries(keys):
        page = new_page()
        load(page, page_url(server, info, query), info)  # charts drawn, no exception
        warning = page.locator('[data-testid="stAlert"]', has_text=LINK_WARNING)
        assert warning.count() == 1, f"no link warning for ?{query[:120]}"
        text = warning.inner_text()
        missing = [key for key in named if key not in text]
        assert not missing, f"the link warning does not name {missing}: {text[:500]}"
        assert not page.dialogs, f"a script in the link ran: {page.dialogs}"
        assert page.locator("script", has_text="alert(1)").count() == 0
    assert health(server)


# ---- e. presets on every page ----------------------------------------------------------------------

@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_every_preset_loads_and_its_link_reproduces_it(server, new_page, info):
    """Each page offers presets; clicking one redraws the page without an error or a link warning, and
    the URL it leaves behind reopens exactly that view in a fresh session."""
    page, other = new_page(), new_page()
    load(page, page_url(server, info), info)
    buttons = page.locator('[class*="st-key-preset_"] button:visible')
    titles = list(dict.fromkeys(t.strip() for t in buttons.all_inner_texts()))
    assert len(titles) >= 2, f"{info.title}: expected presets, found {titles}"
    for i, title in enumerate(titles):
        before = page.url
        buttons.filter(has_text=title).first.click()
        time.sleep(0.5)
        wait_until_idle(page, timeout=LOAD_TIMEOUT)
        wait_for_charts(page, 1, timeout=LOAD_TIMEOUT)
        assert_no_exception(page)
        assert page.locator('[data-testid="stAlert"]', has_text=LINK_WARNING).count() == 0, title
        figure, link = wait_for_stable_figure(page), page.url
        page.screenshot(path=str(ARTIFACTS / f"preset_{info.url_path or 'playground'}_{i}.png"))
        load(other, link, info, charts=1)
        assert other.locator('[data-testid="stAlert"]', has_text=LINK_WARNING).count() == 0, link
        assert wait_for_stable_figure(other) == figure, f"preset {title!r}: first figure differs after opening {link}"
