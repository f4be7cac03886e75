"""Colours and type: one colour-blind-safe colour per optimizer (Okabe-Ito), used on every page,
and a presentation mode for projectors (large type, thick lines, high contrast)."""

from __future__ import annotations

import streamlit as st

#: The same optimizer has the same colour (and dash) on every page.
OPTIMIZER_STYLE = {
    "sgd": ("#0072B2", "solid"),
    "momentum": ("#E69F00", "solid"),
    "nesterov": ("#CC79A7", "solid"),
    "adagrad": ("#56B4E9", "dash"),
    "rmsprop": ("#009E73", "dash"),
    "adam": ("#D55E00", "solid"),
    "adamw": ("#D55E00", "dot"),
    "newton": ("#000000", "solid"),
    "damped_newton": ("#000000", "dash"),
    "saddle_free_newton": ("#009E73", "solid"),
    "bfgs": ("#CC79A7", "dash"),
    "conjugate_gradient": ("#56B4E9", "dashdot"),
}

SEQUENCE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
CRITICAL_POINT_SYMBOLS = {"minimum": "star", "saddle": "x", "maximum": "triangle-up", "degenerate": "diamond"}


def optimizer_color(key: str) -> str:
    return OPTIMIZER_STYLE.get(key, ("#444444", "solid"))[0]


def optimizer_dash(key: str) -> str:
    return OPTIMIZER_STYLE.get(key, ("#444444", "solid"))[1]


def presentation_on() -> bool:
    return bool(st.session_state.get("present", False))


def sizes() -> dict:
    """Font sizes and line widths for figures, larger in presentation mode."""
    if presentation_on():
        return {"font": 20, "title": 24, "line": 4.5, "marker": 12, "tick": 18}
    return {"font": 14, "title": 17, "line": 2.5, "marker": 8, "tick": 13}


#: Accessibility fixes found by axe-core (tests/test_browser_classroom.py):
#: - WCAG AA contrast (>= 4.5:1) for text Streamlit draws faded: st.caption (dark text at opacity 0.6,
#:   #828180 on white, 3.9:1; now 6.5:1) and the selected option of st.segmented_control (primary #0072B2
#:   on its #DFEBF0 tint, 4.3:1; now 6.1:1);
#: - KaTeX display formulas (st.latex, $$ in markdown) sit in an `overflow-x: auto` box that overflows by
#:   a pixel or two, which makes it a scrollable region that keyboard users cannot focus: show it whole.
ACCESSIBLE_CSS = """
<style>
[data-testid="stCaptionContainer"] { opacity: 1; color: #5F5E5C; }
[data-testid="stCaptionContainer"] p { color: #5F5E5C; }
button[data-variant="segmented_control"][data-selected="true"] p { color: #005A8C; }
.katex-display { overflow: visible !important; }
</style>
"""

PRESENTATION_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 21px; line-height: 1.5; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.3rem !important; font-weight: 600; }
[data-testid="stWidgetLabel"] p { font-size: 19px; }
h1 { font-size: 2.6rem !important; } h2 { font-size: 2.0rem !important; } h3 { font-size: 1.6rem !important; }
</style>
""" + ACCESSIBLE_CSS

BASE_CSS = """
<style>
[data-testid="stMetricValue"] { font-size: 1.55rem; }
</style>
""" + ACCESSIBLE_CSS


def apply_page_style() -> None:
    st.markdown(PRESENTATION_CSS if presentation_on() else BASE_CSS, unsafe_allow_html=True)


def chart_config() -> dict:
    """Plotly config for st.plotly_chart: the camera button saves PNG (2x) or SVG, as chosen in the sidebar."""
    fmt = st.session_state.get("image_format") or "png"
    return {"toImageButtonOptions": {"format": fmt, "scale": 2 if fmt == "png" else 1}, "displaylogo": False}
