"""Helpers shared by the AppTest files: open a page, find a widget by key whatever its kind, read
Plotly figures and arrays out of the page's protos."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
WIDGET_KINDS = ("radio", "selectbox", "multiselect", "select_slider", "slider", "toggle", "number_input")


def open_page(page: str) -> AppTest:
    """A fresh session of app.py switched to ``page`` (e.g. "pages/nonconvex/continuation.py"), checked for exceptions."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(page).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def widget(at: AppTest, key: str):
    for kind in WIDGET_KINDS:
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise KeyError(key)


def array(value) -> np.ndarray:
    """A Plotly data array from figure JSON (plain list, or base64 'bdata' with dtype and shape)."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out
    return np.asarray(value, dtype=float)


def titled(at: AppTest, text: str) -> dict:
    for chart in at.get("plotly_chart"):
        fig = json.loads(chart.proto.spec)
        if text in ((fig.get("layout", {}).get("title") or {}).get("text") or ""):
            return fig
    raise AssertionError(f"no figure titled {text!r}")


def challenge_boxes(at: AppTest) -> tuple[list[str], list[str]]:
    """(texts of the challenge's 'Not yet' boxes, texts of its 'Solved' boxes)."""
    return ([i.value for i in at.info if "Challenge" in i.value], [s.value for s in at.success if "Challenge" in s.value])


def challenge_verdict(at: AppTest) -> tuple[bool, str]:
    """(solved, message) of the one verdict the page shows."""
    open_, solved = challenge_boxes(at)
    assert len(solved) + len(open_) == 1, (solved, open_)
    return (True, solved[0]) if solved else (False, open_[0])


def set_up_challenge(at: AppTest, name: str, challenges: dict) -> None:
    """Pick challenge ``name`` and press "Set up this challenge"; its settings must then hold."""
    at.selectbox(key="challenge").set_value(name).run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    for key, value in challenges[name].setup.items():
        assert at.session_state[key] == value, key


def load_preset(at: AppTest, presets: dict, name: str) -> None:
    """Click preset ``name``; the page must run cleanly with every widget holding the preset's value."""
    at.button(key=f"preset_{name}").click().run()
    ok(at)
    for key, value in presets[name].values.items():
        assert widget(at, key).value == value, key


def fresh_caches() -> None:
    """Empty Streamlit's caches, as on a fresh server: the next page run computes, and so compiles or
    reuses, every program it needs. A no-recompile test calls this before loading its page. Without it,
    results cached by an earlier test skip the programs at load, and in a long suite those programs may
    have left the bounded table (programs.py) meanwhile: the first slider move would then compile them
    again, though a server that had just drawn the page would not."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
