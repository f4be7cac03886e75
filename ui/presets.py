"""Presets (a named set of widget values) and challenges (a preset plus a goal that is checked
against the run). Applying a preset first returns every listed control to its default, so the view
it produces is the same whatever was on screen before."""

from __future__ import annotations

from typing import Callable, NamedTuple

import streamlit as st

from ui.streamlit_internals import registered_widget_default
from ui.urlstate import LABELS, forget_params, write_to_link


class Preset(NamedTuple):
    title: str
    explanation: str
    values: dict


class Challenge(NamedTuple):
    title: str
    goal: str
    setup: dict
    check: Callable  # (results dict, context dict) -> (solved: bool, message: str)


def _apply(values: dict, controlled_keys: tuple, title: str | None = None, explanation: str | None = None) -> None:
    """Return every controlled key to its default (its value and its URL parameter go), then set the
    preset's values; the widgets then write those into the URL, so the link reproduces the preset."""
    # Streamlit seeds a widget it sees as new (a slider whose range moved) from the URL on every rerun,
    # which would beat the values below: the preset's keys leave the URL first.
    forget_params(controlled_keys)
    for key in controlled_keys:
        if key in values:  # popping a key that is set below would hide it from Streamlit's URL sync
            continue
        on_screen, default = registered_widget_default(key)
        if on_screen:  # set it back explicitly: a popped widget keeps its old value in the browser
            st.session_state[key] = default
        else:
            st.session_state.pop(key, None)
        write_to_link(key, None)  # also when the preset hides the widget: no stale parameter stays behind
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[_PENDING] = dict(values)
    if title:
        st.session_state[_ANNOUNCE] = (title, explanation)


_PENDING = "_preset_values_to_link"
_ANNOUNCE = "_preset_just_applied"


def link_preset_values() -> None:
    """After the run that applied a preset (app.py calls this after the page): put into the URL every
    preset value whose widget Streamlit did not sync, because the widget was not on screen before the
    preset (a start point of another landscape, a slider that only one model shows)."""
    pending = st.session_state.pop(_PENDING, None)
    if not pending:
        return
    for key, value in pending.items():
        if key not in st.session_state or key in st.query_params:
            continue
        if isinstance(value, (list, tuple)):
            raw = [str(LABELS[key](v)) if key in LABELS else str(v) for v in value]
        elif isinstance(value, bool):
            raw = str(value).lower()
        else:
            raw = str(LABELS[key](value)) if key in LABELS else str(value)
        write_to_link(key, raw)


def preset_picker(presets: dict[str, Preset], controlled_keys: tuple, key: str = "preset") -> None:
    """A row of buttons, one per preset, that load its values (as callbacks, before the widgets
    exist). Each button's tooltip says what the preset shows. Every page uses the key "preset", so
    the buttons are ``.st-key-preset_<name>`` in the browser."""
    st.caption("Presets: one click sets up a classic case (hover for what it shows).")
    cols = st.columns(len(presets))
    for col, (name, preset) in zip(cols, presets.items()):
        with col:
            st.button(preset.title, key=f"{key}_{name}", help=preset.explanation, width="stretch",
                      on_click=_apply, args=(preset.values, controlled_keys, preset.title, preset.explanation))
    announced = st.session_state.pop(_ANNOUNCE, None)
    if announced:  # the effect is often further down a long page: say what to look for
        st.toast(f"**{announced[0]}.** {announced[1]}", icon=":material/tune:", duration="long")


def challenge_box(challenges: dict[str, Challenge], controlled_keys: tuple, key: str = "challenge"):
    """A challenge selector (bound to the URL, so a lecturer can hand out a challenge as a link) with
    its goal and a button that sets it up; returns the chosen Challenge or None."""
    titles = {"none": "— pick a challenge —", **{k: c.title for k, c in challenges.items()}}
    LABELS[key] = titles.get
    name = st.selectbox("Challenge", list(titles), key=key, format_func=titles.get, bind="query-params")
    if name == "none":
        return None
    challenge = challenges[name]
    st.markdown(f"**Goal:** {challenge.goal}")
    st.button("Set up this challenge", key=f"{key}_setup", on_click=_apply, args=(challenge.setup, controlled_keys))
    return challenge


def show_challenge_result(challenge: Challenge | None, solved: bool, message: str) -> None:
    """The verdict of a challenge's check, in the page above the charts."""
    if challenge is None:
        return
    (st.success if solved else st.info)(f"**Challenge — {challenge.title}.** {message}",
                                        icon=":material/emoji_events:" if solved else ":material/flag:")
