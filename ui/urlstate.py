"""Shareable views: every widget is bound to the URL (``bind="query-params"``); this module checks the
link a page was opened with, and offers the current view's link to copy.

Streamlit silently drops a bound parameter whose value is invalid (wrong type, outside a slider's
range, not an option). A lecturer who pasted a broken link should know, so the first run of a page
compares what the link asked for with what the widgets now hold and warns about every value that
was not taken, and about names that no control on the page uses.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ui.streamlit_internals import clear_initial_query_params, remove_query_params, set_query_param

_INITIAL = "_url_initial_params"
_CHECKED = "_url_checked_pages"

#: Labels that a bound widget writes into the URL instead of its value (selectboxes with a
#: format_func write the label): key -> function value -> label.
LABELS: dict = {}

#: How a link may spell presentation mode on or off (Streamlit itself reads only true/false).
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def normalize_present_param() -> bool:
    """``?present=1`` / ``yes`` / ``on`` mean presentation mode as ``true`` does (and 0/no/off mean off):
    such a value is taken, rewritten as true/false by the toggle, and not dropped without a word.
    Returns whether the link asks for presentation mode."""
    raw = st.query_params.get("present")
    if raw is None:
        return False
    word = raw.strip().lower()
    if word in (TRUE_WORDS | FALSE_WORDS) and raw != word or word in (TRUE_WORDS | FALSE_WORDS) - {"true", "false"}:
        forget_params(["present"])
        st.session_state["present"] = word in TRUE_WORDS
        write_to_link("present", "true" if word in TRUE_WORDS else None)  # the link says it Streamlit's way
    return word in TRUE_WORDS


def _overflowing(raw: str) -> bool:
    """A number Streamlit's own parsing would turn into inf (and then crash on as an integer)."""
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return False
    return not math.isfinite(value) or abs(value) > 1e300


def capture_initial_params(page_id: str) -> None:
    """Remember the query string and page of the session's first run (app.py calls this), and drop
    numbers too large to parse before any widget reads them (the link check then reports them)."""
    if _INITIAL not in st.session_state:
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        st.session_state[_INITIAL] = (page_id, params)
        hostile = [key for key, values in params.items() if any(_overflowing(v) for v in values)]
        if hostile:
            forget_params(hostile)


def forget_params(keys) -> None:
    """Remove parameters from the link before any widget reads them (a bound widget reads its start
    value from the opening query string, and ``st.query_params`` refuses widget-bound keys)."""
    remove_query_params(keys)


def write_to_link(key: str, raw: str | list[str] | None) -> None:
    """Put ``key=raw`` in the page's URL (None: remove it) when it is not there already: for the case
    Streamlit's own sync misses (see ``ui.controls.batch_slider``)."""
    current = st.query_params.get_all(key)
    if (raw is None and not current) or current == ([raw] if isinstance(raw, str) else raw):
        return
    set_query_param(key, raw)


def _retire_initial_link() -> None:
    """Streamlit keeps the query string a session was opened with and seeds from it every widget that
    registers later under a bound key, including a slider that became a new widget because its range
    moved (a batch size whose maximum is the dataset size). That would bring back a value from the old
    link in the middle of a session; once the first run has applied the link, it is forgotten."""
    clear_initial_query_params()


def _matches(raw: str, value, key: str) -> bool:
    candidates = {str(value)}
    if isinstance(value, bool):
        candidates.add(str(value).lower())
    if key in LABELS:
        try:
            candidates.add(str(LABELS[key](value)))
        except Exception:  # a label function that cannot format this value: no match
            pass
    if raw in candidates:
        return True
    try:
        return math.isclose(float(raw), float(value), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


def check_link(page_id: str, container=None) -> None:
    """After the first run of the page the session was opened on, warn (in ``container``) about
    link values that were not taken."""
    opened_on, params = st.session_state.get(_INITIAL, (None, {}))
    checked = st.session_state.setdefault(_CHECKED, set())
    if page_id != opened_on or page_id in checked:
        return
    checked.add(page_id)
    _retire_initial_link()
    problems = []
    for key, raws in params.items():
        if key == "present" and raws and raws[0].strip().lower() in TRUE_WORDS | FALSE_WORDS:
            continue  # taken by normalize_present_param
        if key not in st.session_state:
            problems.append(f"`{key}` is not a setting of this page")
            continue
        value = st.session_state[key]
        values = value if isinstance(value, (list, tuple)) else [value]
        if isinstance(value, (list, tuple)):
            ok = len(raws) == len(values) and all(any(_matches(r, v, key) for v in values) for r in raws)
        else:
            ok = any(_matches(r, value, key) for r in raws)
        if not ok:
            shown = ", ".join(repr(r)[:40] for r in raws)
            problems.append(f"`{key}` = {shown} is not a valid value; the default is used")
    if problems:
        (container or st).warning("Some settings in this link were not used:\n\n- " + "\n- ".join(problems), icon=":material/link_off:")


def current_link() -> str:
    """The URL that reproduces the current view."""
    base = urlsplit(st.context.url or "")
    root = f"{base.scheme}://{base.netloc}{base.path}" if base.netloc else base.path
    query = urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return root + ("?" + query if query else "")


def share_box() -> None:
    """A "copy link" control: the current view's URL in a code box with a copy button."""
    with st.popover("Share this view", icon=":material/link:"):
        st.caption("Copy this link: it opens the page with exactly these settings.")
        st.code(current_link(), language=None, wrap_lines=True)
