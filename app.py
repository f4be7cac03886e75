"""Navigation frame of the app: `streamlit run app.py`."""

import streamlit as st

from ui.navigation import ROOT, available_pages
from warmup import configure_jax_cache
from ui.theme import apply_page_style

st.set_page_config(page_title="Optimization lab", page_icon=":material/insights:", layout="wide")
configure_jax_cache()  # compiled trajectory programs persist across restarts and replicas

sections: dict[str, list] = {}
for page in available_pages():
    sections.setdefault(page.section, []).append(
        st.Page(str(ROOT / page.path), title=page.title, icon=page.icon,
                url_path=page.url_path or None, default=not page.url_path)
    )

with st.sidebar.container():
    st.toggle("Presentation mode", key="present", help="Large type and thick lines for a projector.", bind="query-params")

apply_page_style()
st.navigation(sections, expanded=True).run()
