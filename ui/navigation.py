"""The app's pages in one list: app.py builds the navigation from it and the tests visit each."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


class PageInfo(NamedTuple):
    path: str  # relative to the repository root
    title: str
    icon: str
    section: str
    url_path: str  # "" for the default page (served at the root URL); else the script's file stem

#: Why url paths equal the file stems: until app.py has called st.navigation once in a server
#: process, Streamlit resolves a URL against the scripts at the top of pages/ (its legacy mode) by
#: file stem; pages/<url path>.py are the entries that then run app.py's frame (ui/first_visit.py).


PAGES = [
    PageInfo("pages/race/playground.py", "Optimizer playground", ":material/sports_score:", "Race", ""),
    PageInfo("pages/curvature/conditioning.py", "Conditioning", ":material/straighten:", "Curvature lab", "conditioning"),
    PageInfo("pages/curvature/data_normalization.py", "Data normalization", ":material/balance:", "Curvature lab", "data_normalization"),
    PageInfo("pages/curvature/second_order.py", "Second-order methods", ":material/functions:", "Curvature lab", "second_order"),
    PageInfo("pages/stochastic/minibatches.py", "Minibatches", ":material/shuffle:", "Stochastic lab", "minibatches"),
    PageInfo("pages/stochastic/schedules.py", "Learning-rate schedules", ":material/timeline:", "Stochastic lab", "schedules"),
    PageInfo("pages/nonconvex/two_layer_networks.py", "Two-layer networks", ":material/hub:", "Non-convex lab", "two_layer_networks"),
    PageInfo("pages/nonconvex/saddles_and_cliffs.py", "Saddles and cliffs", ":material/landscape:", "Non-convex lab", "saddles_and_cliffs"),
    PageInfo("pages/nonconvex/continuation.py", "Continuation", ":material/blur_on:", "Non-convex lab", "continuation"),
    PageInfo("pages/deep_networks/initialization.py", "Initialization", ":material/grain:", "Deep-network lab", "initialization"),
    PageInfo("pages/deep_networks/training.py", "Training a network", ":material/model_training:", "Deep-network lab", "training"),
    PageInfo("pages/deep_networks/activations.py", "Activations", ":material/show_chart:", "Deep-network lab", "activations"),
    PageInfo("pages/deep_networks/normalization_and_skips.py", "Normalization and skip connections", ":material/stacked_line_chart:", "Deep-network lab", "normalization_and_skips"),
    PageInfo("pages/deep_networks/network_hessian.py", "The Hessian of a network", ":material/grid_on:", "Deep-network lab", "network_hessian"),
    PageInfo("pages/deep_networks/regularization.py", "Early stopping and weight decay", ":material/timer:", "Deep-network lab", "regularization"),
    PageInfo("pages/deep_networks/dropout.py", "Dropout", ":material/scatter_plot:", "Deep-network lab", "dropout"),
    PageInfo("pages/deep_networks/what_we_optimize.py", "0-1 loss vs log-likelihood", ":material/flag:", "Deep-network lab", "what_we_optimize"),
    PageInfo("pages/deep_networks/data_order.py", "Order of the data", ":material/sort:", "Deep-network lab", "data_order"),
]


def available_pages() -> list[PageInfo]:
    """The pages whose scripts exist (pages are added issue by issue)."""
    return [p for p in PAGES if (ROOT / p.path).exists()]


_SESSION_PAGES = "_navigation_pages"


def session_pages() -> dict:
    """{section: [st.Page, ...]} for app.py's st.navigation, built once per session.

    Building the 18 st.Page objects cost ~1-3 ms each on every rerun (path checks, icon validation); a
    session reuses its own. Not shared between sessions: st.navigation marks the returned page as the
    one its run may call (``Page._can_be_called``), which two sessions' runs at once would race on."""
    import streamlit as st

    sections = st.session_state.get(_SESSION_PAGES)
    if sections is None:
        sections = {}
        for page in available_pages():
            sections.setdefault(page.section, []).append(
                st.Page(str(ROOT / page.path), title=page.title, icon=page.icon,
                        url_path=page.url_path or None, default=not page.url_path))
        st.session_state[_SESSION_PAGES] = sections
    return sections


NAVIGATION_KEY = "lab_navigation"  # the sidebar container of the page links (CSS class st-key-lab_navigation)


def sidebar_navigation(sections: dict) -> None:
    """The page links in the sidebar, one captioned group per lab: ``st.page_link`` per page.

    app.py hides Streamlit's own navigation menu (``st.navigation(..., position="hidden")``) and draws this
    one instead: Streamlit's menu puts its section headers inside its <ul> and its <li> outside any list,
    which accessibility checkers (axe-core's serious ``list``/``listitem`` rules) report on every page.
    These links switch pages in the same session, as the menu did, and the current page is highlighted."""
    import streamlit as st

    with st.sidebar.container(key=NAVIGATION_KEY):
        for section, pages in sections.items():
            st.caption(section)
            for page in pages:
                st.page_link(page, width="stretch")


class PageEnded(Exception):
    """Raised by ``end_page``: the page has said why it cannot go on and shows nothing more."""


def end_page() -> None:
    """End the page's script here, as ``st.stop()`` would, but let app.py's frame finish its run.

    ``st.stop()`` stops the frame too (every later Streamlit call of that run raises), so the link
    check, the preset values written into the link and the chart-data button would never run after
    a page that stopped early (an empty multiselect in a link). app.py catches this exception."""
    raise PageEnded
