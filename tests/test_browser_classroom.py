"""Classroom readiness in a real browser (Debian's Chromium via Playwright against one `streamlit run app.py`).

Every page, ONE page load each (``test_every_page_in_the_classroom``):
a. presentation mode as a link opens it (?present=true) at 1280x720 and 1920x1080: large body text and
   chart fonts, sidebar folded away, no exception (screenshots tests/artifacts/present_<page>_<w>x<h>.png);
b. then, in the same session, the sidebar opened and "Presentation mode" switched off (a rerun, not a
   reload): axe-core finds no "serious" or "critical" violation at the normal view (full results in
   tests/artifacts/axe_<page>.json). axe runs at the normal view only: presentation mode changes sizes and
   nothing else (ui/theme.py), and larger text only lowers WCAG's contrast bar, while the normal view
   also shows the sidebar's controls, which presentation mode folds away.

What the link machinery does on the server is the same shared code on every page, and
tests/test_classroom_pages.py checks it on every page under AppTest (hostile links reported, presets and
copied links reopening the same view). What only a browser shows runs here on a FIXED sample of pages, so
a new page adds one page load to this file:
c. a copied link (the URL the frontend wrote after real key presses) opens the same view in a fresh
   browser context, on one page per kind of first slider (select slider, float slider, int slider);
d. a hostile link never runs its script (no alert() dialog, no <script> element), the link warning names
   every bad key, the server stays healthy;
e. preset buttons clicked, and each URL they leave reopened in a fresh session;
f. the batch-size slider, whose range is 1..N, keeps its value through quick key presses on N and B.

Set ``CLASSROOM_APP_URL=http://127.0.0.1:<port>`` to run against an already running server.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request

import pytest

from tests.browser_helpers import (assert_no_exception, runs_started, slider_text, wait_for_charts,
                                   wait_for_run, wait_for_slider_texts, wait_until_idle)
from tests.conftest import ARTIFACTS
from tests.test_classroom_pages import SCRIPT, hostile_queries
from ui.navigation import available_pages

pytestmark = pytest.mark.browser

PAGES = available_pages()
IDS = [p.url_path or "playground" for p in PAGES]
BY_PATH = {p.url_path: p for p in PAGES}
LINK_WARNING = "Some settings in this link were not used"
LOAD_TIMEOUT = 150.0  # seconds: a cold page compiles its JAX programs; the box is shared


def sample(*paths: str) -> list:
    """The pages of a fixed sample that exist (pages are added issue by issue)."""
    return [pytest.param(BY_PATH[p], id=p or "playground") for p in paths if p in BY_PATH]


#: c. one page per kind of first slider: the Playground (the default page, at the root URL; a select
#: slider of floats), Data normalization (a float slider) and Training a network (an int slider). The
#: batch-size scenarios (f) copy links from Minibatches and Schedules, whose first slider selects ints.
LINK_SAMPLE = sample("", "data_normalization", "training")
#: d. bound settings always on screen: (page, three keys)
HOSTILE_SAMPLE = {"": ["lr", "momentum", "steps"], "minibatches": ["mb_n", "mb_epochs", "mb_seed"]}
#: e. the Playground's presets switch landscapes (widgets that only one landscape shows); Minibatches'
#: move N and B, the slider whose range follows N
PRESET_SAMPLE = sample("", "minibatches")

#: axe findings inside Streamlit's own components that our code cannot change. Each entry is
#: (rule id, CSS selector of the Streamlit container the node lies in, why). Only nodes of that rule
#: inside that container are ignored; every other node of the rule still fails the test.
AXE_EXCEPTIONS: list[tuple[str, str, str]] = []  # none: app.py draws its own page links (ui.navigation)

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


def name_of(info) -> str:
    return info.url_path or "playground"


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
    runs_started(page)  # count the runs from here on


def first_figure_json(page) -> str:
    return page.evaluate(
        """() => { const plot = document.querySelector('.js-plotly-plot');
                   return JSON.stringify(plot._fullData.map(t => [t.type, t.name, t.x, t.y, t.z])); }"""
    )


def wait_for_stable_figure(page, settle: float = 1.0, timeout: float = LOAD_TIMEOUT) -> str:
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


def link_warning(page):
    return page.locator('[data-testid="stAlert"]', has_text=LINK_WARNING)


def health(server: str) -> bool:
    with urllib.request.urlopen(server + "/_stcore/health", timeout=10) as response:
        return response.read().strip() == b"ok"


# ---- a + b. every page: presentation mode, then axe, in one page load ------------------------------

def check_presentation_mode(page, name: str) -> None:
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
        body_px = body_text_px(page)
        assert body_px is not None and body_px >= 20, f"body text {body_px}px at {width}x{height}"
        fonts = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.font.size)")
        assert fonts and all(size >= 18 for size in fonts), f"Plotly layout font sizes {fonts}"
        sidebar = page.evaluate(
            """() => { const s = document.querySelector('[data-testid="stSidebar"]');
                       if (!s) return null; const r = s.getBoundingClientRect();
                       return {collapsed: s.getAttribute('data-collapsed'), expanded: s.getAttribute('aria-expanded'),
                               right: r.right, width: r.width}; }""")
        assert sidebar is None or (sidebar["collapsed"] == "true" and sidebar["right"] <= 0), sidebar


def body_text_px(page) -> float | None:
    return page.evaluate(
        """() => { const p = document.querySelector('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p');
                   return p ? parseFloat(getComputedStyle(p).fontSize) : null; }""")


def leave_presentation_mode(page, info) -> None:
    """Open the folded sidebar and switch "Presentation mode" off, as a lecturer would after class."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]', has_text="Presentation mode")  # st.toggle
    toggle.wait_for(state="visible")
    since = runs_started(page)
    toggle.locator("label").first.click()
    wait_for_run(page, since, timeout=LOAD_TIMEOUT)
    page.wait_for_function("() => !new URLSearchParams(window.location.search).has('present')", timeout=LOAD_TIMEOUT * 1000)
    wait_for_charts(page, minimum_charts(info), timeout=LOAD_TIMEOUT)
    assert_no_exception(page)
    body_px = body_text_px(page)
    assert body_px is not None and body_px < 20, f"body text still {body_px}px after presentation mode was switched off"


def run_axe(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
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


@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_every_page_in_the_classroom(server, new_page, info):
    """Readable from the back of the room in presentation mode, and no serious or critical axe finding."""
    page = new_page(1280, 720)
    name = name_of(info)
    load(page, page_url(server, info, "present=true"), info)
    check_presentation_mode(page, name)
    leave_presentation_mode(page, info)
    page.screenshot(path=str(ARTIFACTS / f"page_{name}.png"))
    run_axe(page, name)


# ---- c. a copied link, in a fresh browser context (sample) -----------------------------------------

@pytest.mark.parametrize("info", LINK_SAMPLE)
def test_a_copied_link_reproduces_the_view(server, new_page, info):
    page = new_page()
    load(page, page_url(server, info), info)
    slider, thumb = first_enabled_slider(page)
    label = slider.locator('[data-testid="stWidgetLabel"]').inner_text().strip()
    url_before, value_before = page.url, slider_value(slider)
    since = runs_started(page)
    thumb.focus()
    for _ in range(2):
        thumb.press("ArrowRight")
    page.wait_for_function("(before) => window.location.href !== before", arg=url_before, timeout=LOAD_TIMEOUT * 1000)
    wait_for_run(page, since, timeout=LOAD_TIMEOUT)
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
    assert link_warning(other).count() == 0
    assert wait_for_stable_figure(other) == figure, f"first figure differs after opening {link}"


# ---- d. hostile query strings (sample) -----------------------------------------------------------

@pytest.mark.parametrize("info, keys", [pytest.param(BY_PATH[p], keys, id=p or "playground")
                                        for p, keys in HOSTILE_SAMPLE.items() if p in BY_PATH])
def test_a_script_in_a_hostile_link_never_runs(server, new_page, info, keys):
    for query, named in hostile_queries(keys):
        encoded = urllib.parse.urlencode(query, doseq=True)
        page = new_page()
        load(page, page_url(server, info, encoded), info)  # charts drawn, no exception
        warning = link_warning(page)
        assert warning.count() == 1, f"no link warning for ?{encoded[:120]}"
        text = warning.inner_text()
        missing = [key for key in named if key not in text]
        assert not missing, f"the link warning does not name {missing}: {text[:500]}"
        assert not page.dialogs, f"a script in the link ran: {page.dialogs}"
        assert page.locator("script", has_text="alert(1)").count() == 0
        assert SCRIPT in text  # shown as text, not run
    assert health(server)


# ---- e. preset buttons (sample) --------------------------------------------------------------------

@pytest.mark.parametrize("info", PRESET_SAMPLE)
def test_clicked_presets_leave_a_link_that_reproduces_them(server, new_page, info):
    """Clicking a preset redraws the page without an error or a link warning, and the URL it leaves
    behind reopens exactly that view in a fresh session."""
    page, other = new_page(), new_page()
    load(page, page_url(server, info), info)
    buttons = page.locator('[class*="st-key-preset_"] button:visible')
    titles = list(dict.fromkeys(t.strip() for t in buttons.all_inner_texts()))
    assert len(titles) >= 2, f"{info.title}: expected presets, found {titles}"
    for i, title in enumerate(titles):
        since = runs_started(page)
        buttons.filter(has_text=title).first.click()
        wait_for_run(page, since, timeout=LOAD_TIMEOUT)
        wait_for_charts(page, 1, timeout=LOAD_TIMEOUT)
        assert_no_exception(page)
        assert link_warning(page).count() == 0, title
        figure, link = wait_for_stable_figure(page), page.url
        page.screenshot(path=str(ARTIFACTS / f"preset_{name_of(info)}_{i}.png"))
        load(other, link, info, charts=1)
        assert link_warning(other).count() == 0, link
        assert wait_for_stable_figure(other) == figure, f"preset {title!r}: first figure differs after opening {link}"


# ---- f. the batch size follows the dataset size, under quick key presses ------------------------------

def press(page, label: str, key: str, times: int, expected: dict[str, str]) -> dict[str, str]:
    """Press ``key`` on a slider ``times`` times in quick succession, as a student tapping the arrow
    key does (each press starts a rerun that the next one interrupts); wait for a run to start and end
    and for the sliders to show ``expected`` (labels -> values); return what they show once idle."""
    thumb = page.locator('[data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first.locator('input[type="range"]').first
    since = runs_started(page)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    wait_for_run(page, since, timeout=LOAD_TIMEOUT)
    wait_for_slider_texts(page, expected, timeout=LOAD_TIMEOUT)
    wait_until_idle(page, timeout=LOAD_TIMEOUT)
    return {name: slider_text(page, name) for name in expected}


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
    if path not in BY_PATH:
        pytest.skip(f"no {path} page")
    info = BY_PATH[path]
    query, steps = BATCH_SCENARIOS[scenario]
    page = new_page()
    load(page, page_url(server, info, f"{prefix}_{query}" if query else ""), info)
    for label, key, times, (n, b) in steps:
        expected = {"Dataset size": n, "Batch size": str(BATCH_DEFAULTS[prefix] + int(b)) if b.startswith("+") else b}
        shown = press(page, label, key, times, expected)
        assert shown == expected, f"after {label} {key} x{times}: {shown}, expected {expected}"
    figure = wait_for_stable_figure(page)
    # The browser writes a moved slider into the URL when its run's messages arrive: on a loaded machine the
    # address bar can lag the slider. Wait (bounded) for the shown N to be in the link, or for N to be at its
    # default (64, left out of links); a link that never gets it still fails below.
    n_key = f"{prefix}_n="
    deadline = time.time() + 30
    while time.time() < deadline and shown["Dataset size"] != "64" and f"{n_key}{shown['Dataset size']}" not in page.url:
        time.sleep(0.5)
    link = page.url

    other = new_page()
    load(other, link, info)
    assert {name: slider_text(other, name) for name in shown} == shown, link
    assert wait_for_stable_figure(other) == figure, f"first figure differs after opening {link}"
