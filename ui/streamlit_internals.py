"""Every use of Streamlit's private API, in one place (checked against Streamlit 1.67.0).

Streamlit has no public way to do four things the shared links need, so these functions reach into
its session objects. Each one has a contract test in tests/test_streamlit_internals.py that
runs it inside a real script run and checks its effect; after a Streamlit upgrade those tests fail
loudly, instead of links breaking silently in a browser. At run time a failure is logged once per
function and the app falls back to Streamlit's own behaviour.

- ``remove_query_params``: take parameters out of the link (and out of the query string that bound
  widgets read their first value from); ``st.query_params`` refuses widget-bound keys.
- ``set_query_param``: write a widget-bound key into the link when Streamlit's own sync missed it.
- ``registered_widget_default``: the default of the widget registered under a key.
- ``clear_initial_query_params``: forget the query string the session was opened with, so a widget
  created later in the session is not seeded from the old link.
- ``leave_legacy_pages_mode``: a ``pages/`` folder beside app.py puts Streamlit in its legacy
  multipage mode until st.navigation has run once in the process.
"""

from __future__ import annotations

import logging

TESTED_STREAMLIT = "1.67.0"

_log = logging.getLogger(__name__)
_reported: set[str] = set()


def _report(name: str, error: Exception) -> None:
    if name not in _reported:
        _reported.add(name)
        _log.warning("streamlit_internals.%s no longer works with this Streamlit (%r); links fall back to "
                     "Streamlit's own behaviour. Re-check ui/streamlit_internals.py (tested with %s).",
                     name, error, TESTED_STREAMLIT)


def _query_params():
    from streamlit.runtime.state import get_session_state

    return get_session_state().query_params()


def remove_query_params(keys, strict: bool = False) -> None:
    """Remove ``keys`` from the link and from the opening query string."""
    try:
        with _query_params() as qp:
            for key in keys:
                qp._initial_query_params.pop(key, None)
                qp._query_params.pop(key, None)
            qp._send_query_param_msg()
    except Exception as error:  # noqa: BLE001
        if strict:
            raise
        _report("remove_query_params", error)


def set_query_param(key: str, raw: str | list[str] | None, strict: bool = False) -> None:
    """``key=raw`` in the link (None: remove it), also for a widget-bound key."""
    try:
        with _query_params() as qp:
            if raw is None:
                qp._query_params.pop(key, None)
            else:
                qp._query_params[key] = raw
            qp._send_query_param_msg()
    except Exception as error:  # noqa: BLE001
        if strict:
            raise
        _report("set_query_param", error)


def registered_widget_default(key: str, strict: bool = False) -> tuple[bool, object]:
    """(True, default) of the widget registered under ``key`` in this run, else (False, None)."""
    from streamlit.runtime.state import get_session_state

    try:
        state = get_session_state()._state
        widget_id = state._key_id_mapper.get_id_from_key(key, None)
        metadata = state._new_widget_state.widget_metadata.get(widget_id) if widget_id else None
        return (True, metadata.deserializer(None)) if metadata is not None else (False, None)
    except Exception as error:  # noqa: BLE001
        if strict:
            raise
        _report("registered_widget_default", error)
        return False, None


def clear_initial_query_params(strict: bool = False) -> None:
    """Forget the query string this session was opened with."""
    try:
        with _query_params() as qp:
            qp._initial_query_params.clear()
    except Exception as error:  # noqa: BLE001
        if strict:
            raise
        _report("clear_initial_query_params", error)


def leave_legacy_pages_mode() -> bool:
    """Switch Streamlit's legacy ``pages/`` mode off for this process; True if it was on.

    Until st.navigation has run once, Streamlit runs a first visitor's page URL through its legacy
    multipage mode. The page scripts live in subfolders of pages/ (pages/<lab>/<page>.py), where the
    legacy mode finds none, so it falls back to app.py, whose st.navigation then opens the right page;
    switching the mode off as soon as our code runs keeps later sessions from ever entering it.
    """
    from streamlit.runtime.pages_manager import PagesManager

    was_on = bool(PagesManager.uses_pages_directory)
    PagesManager.uses_pages_directory = False
    return was_on
