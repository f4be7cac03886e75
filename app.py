"""Navigation frame of the app: `streamlit run app.py`."""

import streamlit as st

from warmup import configure_jax_cache

configure_jax_cache()  # before any module compiles: programs persist across restarts and replicas
import programs  # noqa: E402

programs.keep_memory_trimmed()  # once per server process: freed heap pages go back to the system (RSS)
import ui.preload  # noqa: E402,F401  (every module once, in one thread: see its docstring)
from ui.navigation import PageEnded, session_pages, sidebar_navigation
from ui.exports import chart_data_button, start_recording
from ui.presets import link_preset_values
from ui.urlstate import capture_initial_params, check_link, normalize_present_param
from ui.theme import apply_page_style

# A link with ?present=true (or 1, yes, on) opens in presentation mode with the sidebar folded away.
presenting = normalize_present_param() or st.session_state.get("present", False)
st.set_page_config(page_title="Optimization lab", page_icon=":material/insights:", layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")

sections = session_pages()

page = st.navigation(sections, position="hidden")
sidebar_navigation(sections)
with st.sidebar.container():
    st.toggle("Presentation mode", key="present", help="Large type and thick lines for a projector.", bind="query-params")
    st.segmented_control("Chart image format", ["png", "svg"], default="png", key="image_format",
                         help="What each chart's camera button saves.", bind="query-params")

apply_page_style()
capture_initial_params(page.url_path)
link_warnings = st.container()
start_recording()
try:
    page.run()
except PageEnded:  # the page ended early (no optimizer chosen, ...): the frame still checks the link
    pass
check_link(page.url_path, link_warnings)
link_preset_values()
chart_data_button(page.url_path)
