"""Presets (a named set of widget values) and challenges (a preset plus a goal that is checked
against the run). Applying a preset first returns every listed control to its default, so the view
it produces is the same whatever was on screen before."""

from __future__ import annotations

from typing import Callable, NamedTuple

import streamlit as st


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
    for key in controlled_keys:
        st.session_state.pop(key, None)
    for key, value in values.items():
        st.session_state[key] = value


def preset_picker(presets: dict[str, Preset], controlled_keys: tuple, key: str) -> None:
    """Buttons, one per preset, that load its values (as callbacks, before the widgets exist)."""
    st.caption("Presets")
    cols = st.columns(len(presets))
    for col, (name, preset) in zip(cols, presets.items()):
        with col:
            st.button(preset.title, key=f"{key}_{name}", help=preset.explanation, width="stretch",
                      on_click=_apply, args=(preset.values, controlled_keys))


def challenge_box(challenges: dict[str, Challenge], controlled_keys: tuple, key: str):
    """A challenge selector with its goal and a button that sets it up; returns the chosen Challenge."""
    name = st.selectbox("Challenge", ["none", *challenges], key=key,
                        format_func=lambda k: "— pick a challenge —" if k == "none" else challenges[k].title)
    if name == "none":
        return None
    challenge = challenges[name]
    st.markdown(f"**Goal:** {challenge.goal}")
    st.button("Set up this challenge", key=f"{key}_setup", on_click=_apply, args=(challenge.setup, controlled_keys))
    return challenge
