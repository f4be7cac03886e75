"""Contracts of ui/streamlit_internals.py with the installed Streamlit: each private-API function
runs inside a real script run (AppTest) in strict mode and its effect is checked. A Streamlit
upgrade that changes these internals fails here, not silently in a lecturer's browser."""

import streamlit
from streamlit.testing.v1 import AppTest

from ui import streamlit_internals


def test_the_installed_streamlit_is_the_one_these_contracts_were_checked_against():
    assert streamlit.__version__ == streamlit_internals.TESTED_STREAMLIT, (
        "Streamlit changed: re-check every function of ui/streamlit_internals.py against its source, "
        "then update TESTED_STREAMLIT")


def _script():
    import streamlit as st

    from ui import streamlit_internals as si

    value = st.slider("a", 0, 10, 3, key="a", bind="query-params")
    on_screen, default = si.registered_widget_default("a", strict=True)
    missing = si.registered_widget_default("not_a_widget", strict=True)
    st.write(f"value={value} on_screen={on_screen} default={default} missing={missing}")
    action = st.session_state.get("action", "")
    if action == "set":
        si.set_query_param("a", "9", strict=True)
        si.set_query_param("extra", ["1", "2"], strict=True)
    elif action == "remove":
        si.remove_query_params(["a", "zz"], strict=True)
    elif action == "clear":
        si.clear_initial_query_params(strict=True)
        from streamlit.runtime.state import get_session_state

        with get_session_state().query_params() as qp:
            st.write(f"initial={dict(qp._initial_query_params)}")


def _values(at, key) -> list:
    value = at.query_params[key]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _app(action: str, **params) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.session_state["action"] = action
    return at.run()


def test_registered_widget_default_reads_the_default_of_a_widget_on_screen():
    at = _app("", a="7")
    assert not at.exception
    assert "value=7 on_screen=True default=3 missing=(False, None)" in at.markdown[0].value


def test_set_query_param_writes_a_widget_bound_key_and_lists_into_the_link():
    at = _app("set")
    assert not at.exception
    assert _values(at, "a") == ["9"] and _values(at, "extra") == ["1", "2"]


def test_remove_query_params_takes_bound_and_unbound_keys_out_of_the_link():
    at = _app("remove", a="7", zz="1", keep="yes")
    assert not at.exception
    assert "a" not in at.query_params and "zz" not in at.query_params
    assert _values(at, "keep") == ["yes"]


def test_clear_initial_query_params_forgets_the_opening_link():
    at = _app("clear", a="7", zz="1")
    assert not at.exception
    assert "initial={}" in at.markdown[1].value


def test_leave_legacy_pages_mode_switches_the_process_wide_flag_off():
    from streamlit.runtime.pages_manager import PagesManager

    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = True
        assert streamlit_internals.leave_legacy_pages_mode() is True
        assert PagesManager.uses_pages_directory is False
        assert streamlit_internals.leave_legacy_pages_mode() is False
    finally:
        PagesManager.uses_pages_directory = saved


def test_no_other_module_touches_streamlit_internals():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in list((root / "ui").rglob("*.py")) + list((root / "pages").rglob("*.py")) + [root / "app.py"]:
        if path.name == "streamlit_internals.py":
            continue
        text = path.read_text()
        if "streamlit.runtime" in text or "get_session_state" in text or "PagesManager" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
