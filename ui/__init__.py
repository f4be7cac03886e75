"""Screen layer: the shared kit (charts, controls, links, presets, theme, exports, navigation) and one
folder per lab (ui/<lab>/: its charts, cached bridges and presets). Math lives in landscapes/,
optimizers/, analysis/ and networks/; pages/<lab>/ holds the thin page scripts."""

from ui.streamlit_internals import leave_legacy_pages_mode

# Page scripts live in subfolders of pages/, so Streamlit's legacy pages/ mode (on until
# st.navigation has run once in the process) finds no page of its own and runs app.py; switching it
# off here keeps every later session out of it (ui/streamlit_internals.py).
leave_legacy_pages_mode()
