"""The shared link machinery, checked on every page under Streamlit's AppTest (server-side, no browser):

a. a hostile link (bad values on three real settings, huge numbers, unicode, a script as a key and as a
   value) opens the page without an exception, the link warning names every bad key, and the page draws
   the same view as without the link (every bad value falls back to its default);
b. a copied link: after moving the page's first enabled slider two steps, the URL the page wrote back
   reopens in a fresh session with the same slider value, no link warning and the same first figure;
c. presets: every preset button loads without an exception or a link warning, and the URL it leaves
   reopens in a fresh session the preset's values and the same first figure.

A link is opened as a browser opens one: the session's first run is on the linked page with the link's
query string (``at.query_params`` before the first run, ``switch_page`` resolving the page by its file
stem, which is its url path). The URL a run leaves behind is ``at.query_params`` after the run.

Pages come from ``ui.navigation.available_pages()``; nothing here names a page, so a new page is covered
as soon as its script exists. What only a browser can show (the frontend writing and reading the URL, a
script in a link never running, key presses that interrupt reruns, axe, presentation mode's CSS) is in
tests/test_browser_classroom.py, on a fixed sample of pages.
"""

from __future__ import annotations

import functools
import json
import math
import urllib.parse
from typing import NamedTuple

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import ROOT, ok
from ui.navigation import available_pages

PAGES = available_pages()
IDS = [p.url_path or "playground" for p in PAGES]
LINK_WARNING = "Some settings in this link were not used"
SCRIPT = "<script>alert(1)</script>"
#: the app frame's own bound settings (sidebar of every page), not a page's
FRAME_KEYS = {"present", "image_format"}


# ---- opening a link -------------------------------------------------------------------------------

def open_link(info, query: dict | None = None) -> AppTest:
    """A fresh session whose first run is ``info``'s page opened with ``query`` (a dict as
    ``at.query_params`` holds it: str, or list of str for a repeated key)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if info.url_path:  # the default page is what a bare URL opens
        at.switch_page(info.path)
    at.run()
    ok(at)
    opened_on = at.session_state["_url_initial_params"][0]  # recorded by app.py (ui.urlstate.capture_initial_params)
    assert opened_on == info.url_path, f"opened {opened_on!r}, not {info.url_path!r}"
    return at


def link_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if LINK_WARNING in w.value]


def figures(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def first_figure(at: AppTest) -> dict:
    specs = figures(at)
    assert specs, "the page draws no chart"
    return json.loads(specs[0])


def page_widgets(at: AppTest):
    """Every widget of the page in the order a browser shows them (sidebar first, as in the DOM)."""
    for block in (at.sidebar, at.main):
        for node in block:
            if getattr(node, "proto", None) is not None and hasattr(node, "set_value"):
                yield node


def bound_key(node) -> str | None:
    """The URL parameter a widget is bound to (``bind="query-params"``), if any."""
    return getattr(node.proto, "query_param_key", "") or None


class DefaultView(NamedTuple):
    charts: int
    first_figure: dict
    bound_sliders: list[str]  # keys of the page's URL-bound sliders, in screen order
    bound_choices: list[str]  # keys of its URL-bound selectboxes and radios


@functools.cache
def default_view(url_path: str) -> DefaultView:
    """The page as a bare link opens it (computed once per page)."""
    info = next(p for p in PAGES if p.url_path == url_path)
    at = open_link(info)
    assert not link_warnings(at), link_warnings(at)
    sliders, choices = [], []
    for node in page_widgets(at):
        key = bound_key(node)
        if not key or key in FRAME_KEYS or node.proto.disabled:
            continue
        if node.type in ("slider", "select_slider"):
            sliders.append(key)
        elif node.type in ("selectbox", "radio"):
            choices.append(key)
    return DefaultView(len(figures(at)), first_figure(at), sliders, choices)


# ---- a. hostile links -----------------------------------------------------------------------------

def hostile_queries(keys: list[str]) -> list[tuple[dict, set[str]]]:
    """(query, keys the link warning must name) pairs: each bad value on a real setting. The same
    values as a pasted URL would carry (tests/test_browser_classroom.py sends them through a browser)."""
    k = (keys * 3)[:3]
    first = [(k[0], "abc"), (k[1], "1" + "0" * 400), (k[2], "-1e12"), (SCRIPT, "1")]
    second = [(k[0], "z" * 5000), (k[1], "λ∞😀ü中\u202e"), (k[2], SCRIPT), (k[2], "-5e300")]  # k[2] repeated
    return [(as_query(first), {k[0], k[1], k[2], SCRIPT}), (as_query(second), {k[0], k[1], k[2]})]


def as_query(pairs: list[tuple[str, str]]) -> dict:
    """Pairs as ``at.query_params`` holds them, through a real URL encoding and decoding."""
    parsed = urllib.parse.parse_qs(urllib.parse.urlencode(pairs), keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def hostile_keys(url_path: str) -> list[str]:
    """Three bound settings that are on screen when the page opens: sliders first (a slider's range
    makes every hostile value invalid), then selectboxes and radios."""
    view = default_view(url_path)
    keys = list(dict.fromkeys(view.bound_sliders + view.bound_choices))[:3]
    assert keys, "no URL-bound slider, selectbox or radio on this page"
    return keys


@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_a_hostile_link_is_reported_and_the_page_still_draws(info):
    default = default_view(info.url_path)
    for query, named in hostile_queries(hostile_keys(info.url_path)):
        shown = f"?{urllib.parse.urlencode(query, doseq=True)[:160]}"
        at = open_link(info, query)  # no exception
        warnings = link_warnings(at)
        assert len(warnings) == 1, f"{len(warnings)} link warnings for {shown}"
        missing = [key for key in named if f"`{key}`" not in warnings[0]]
        assert not missing, f"the link warning does not name {missing}: {warnings[0][:500]}"
        assert len(figures(at)) == default.charts, f"{len(figures(at))} charts for {shown}, {default.charts} without it"
        assert first_figure(at) == default.first_figure, f"every value in {shown} is invalid: the default view should show"


# ---- b. a copied link after a slider move ---------------------------------------------------------

def moved(node):
    """The value two steps (arrow-key presses) to the right of the slider's, or to the left at its end."""
    value = node.value
    lower = value[0] if isinstance(value, (list, tuple)) else value
    if node.type == "select_slider":
        labels = list(node.options)
        i = labels.index(node.format_func(lower))
        j = i + 2 if i + 2 < len(labels) else max(i - 2, 0)
        assert j != i, f"select slider {node.key!r} has one option"
        new = option_value(node, labels[j])
    else:
        proto = node.proto
        upper = value[1] if isinstance(value, (list, tuple)) else proto.max
        new = lower + 2 * proto.step if lower + 2 * proto.step <= upper else max(lower - 2 * proto.step, proto.min)
        new = int(round(new)) if isinstance(lower, int) else float(f"{new:.12g}")  # not 0.30000000000000004
        assert new != lower, f"slider {node.key!r} cannot move"
    return (new, value[1]) if isinstance(value, (list, tuple)) else new


def option_value(node, label: str):
    """The option of a select slider shown as ``label``. AppTest has the labels and the current value
    only, so try the label itself and the number it spells, of the current value's type first."""
    candidates = [label]
    try:
        number = float(label.replace("\u2212", "-"))
        candidates = [number, int(number), label] if number.is_integer() else [number, label]
    except ValueError:
        pass
    current = node.value[0] if isinstance(node.value, (list, tuple)) else node.value
    candidates.sort(key=lambda v: type(v) is not type(current))
    for candidate in candidates:
        try:
            if node.format_func(candidate) == label:
                return candidate
        except (TypeError, ValueError):
            continue
    raise AssertionError(f"no value of select slider {node.key!r} is shown as {label!r}")


def url_value(node, value) -> str | list[str]:
    """How the frontend writes a slider's value into the URL: numbers as Streamlit formats them
    (5.0 as "5"), a select slider's option as its label; a range as the parameter repeated."""
    def one(v):
        if node.type == "select_slider":
            return str(node.format_func(v))
        return str(int(v)) if isinstance(v, float) and math.isfinite(v) and v == int(v) else str(v)
    return [one(v) for v in value] if isinstance(value, (list, tuple)) else one(value)


def first_enabled_slider(at: AppTest):
    for node in page_widgets(at):
        if node.type in ("slider", "select_slider") and not node.proto.disabled and bound_key(node) not in FRAME_KEYS:
            return node
    pytest.skip("no enabled slider on this page")


@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_a_copied_link_after_a_slider_move_reopens_the_same_view(info):
    at = open_link(info)
    slider = first_enabled_slider(at)
    key, before = slider.key, slider.value
    assert key, "the first slider has no key, so no link can carry it"
    target = moved(slider)
    # What the browser does on a key press: it writes the new value into the URL, then asks for a rerun
    # with that query string and the widget's new state. What the page writes itself comes on top.
    at.query_params[bound_key(slider)] = url_value(slider, target)
    slider.set_value(target).run()
    ok(at)
    value = _value(at, key)
    assert value != before, f"slider {key!r} did not move from {before!r}"
    link = dict(at.query_params)
    assert bound_key(_node(at, key)) in link, f"the URL {link} does not carry the moved slider {key!r}"
    figure = first_figure(at)

    other = open_link(info, link)
    assert not link_warnings(other), (link, link_warnings(other))
    assert _value(other, key) == value, f"{key!r} is {_value(other, key)!r} in the copied link, not {value!r} ({link})"
    assert first_figure(other) == figure, f"the first figure differs after opening {link}"


def _node(at: AppTest, key: str):
    return next(node for node in page_widgets(at) if node.key == key)


def _value(at: AppTest, key: str):
    return _node(at, key).value


# ---- c. presets -----------------------------------------------------------------------------------

def preset_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if (b.key or "").startswith("preset_")]


@pytest.mark.parametrize("info", PAGES, ids=IDS)
def test_every_preset_loads_and_its_link_reopens_it(info):
    """One session clicks the presets one after another (each must set up its whole view whatever came
    before); after each, a fresh session opens the URL it left and shows the same values and figure."""
    at = open_link(info)
    buttons = preset_buttons(at)
    assert len(buttons) >= 2, f"{info.title}: expected presets, found {buttons}"
    for button in buttons:
        at.button(key=button).click().run()
        ok(at)
        assert not link_warnings(at), (button, link_warnings(at))
        link, figure = dict(at.query_params), first_figure(at)
        state = {node.key: node.value for node in page_widgets(at) if bound_key(node) and bound_key(node) not in FRAME_KEYS}

        other = open_link(info, link)
        assert not link_warnings(other), (button, link, link_warnings(other))
        reopened = {node.key: node.value for node in page_widgets(other) if bound_key(node) and bound_key(node) not in FRAME_KEYS}
        differ = {k: (state.get(k), reopened.get(k)) for k in state.keys() | reopened.keys() if state.get(k) != reopened.get(k)}
        assert not differ, f"{button}: widgets differ after opening {link}: {differ}"
        assert first_figure(other) == figure, f"{button}: the first figure differs after opening {link}"
