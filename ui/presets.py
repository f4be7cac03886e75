"""Presets (a named set of widget values) and challenges (a preset plus a goal that is checked
against the run). Applying a preset first returns every listed control to its default, so the view
it produces is the same whatever was on screen before."""

from __future__ import annotations

from typing import Callable, NamedTuple

import streamlit as st

from ui.urlstate import LABELS, write_to_link


class Preset(NamedTuple):
    title: str
    explanation: str
    values: dict


class Challenge(NamedTuple):
    title: str
    goal: str
    setup: dict
    check: Callable  # (results dict, context dict) -> (solved: bool, message: str)


def _apply(values: dict, controlled_keys: tuple) -> None:
    """Return every controlled key to its default (its value and its URL parameter go), then set the
    preset's values; the widgets then write those into the URL, so the link reproduces the preset."""
    for key in controlled_keys:
        st.session_state.pop(key, None)
        if key not in values:
            write_to_link(key, None)
    for key, value in values.items():
        st.session_state[key] = value


def preset_picker(presets: dict[str, Preset], controlled_keys: tuple, key: str = "preset") -> None:
    """A row of buttons, one per preset, that load its values (as callbacks, before the widgets
    exist). Each button's tooltip says what the preset shows. Every page uses the key "preset", so
    the buttons are ``.st-key-preset_<name>`` in the browser."""
    st.caption("Presets: one click sets up a classic case (hover for what it shows).")
    cols = st.columns(len(presets))
    for col, (name, preset) in zip(cols, presets.items()):
        with col:
            st.button(preset.title, key=f"{key}_{name}", help=preset.explanation, width="stretch",
                      on_click=_apply, args=(preset.values, controlled_keys))


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
