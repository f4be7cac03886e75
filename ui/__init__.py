"""Screen layer: Plotly figure builders, shared Streamlit controls, theme. Math lives in
landscapes/, optimizers/ and analysis/; pages/ are thin scripts on top of this package."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# Streamlit treats a folder named pages/ beside app.py as a legacy multipage app until app.py has
# called st.navigation once in this process, so the very first session after a server start that
# opens a page's own URL would run that page alone, without app.py's frame (layout, navigation,
# presentation mode). Every page imports this package: switch the legacy mode off and rerun, and
# the rerun goes through app.py.
if PagesManager.uses_pages_directory and st.runtime.exists():
    PagesManager.uses_pages_directory = False
    st.rerun()
