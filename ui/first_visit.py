"""The first visit to a page URL after a server start.

A folder named pages/ beside app.py keeps Streamlit in its legacy multipage mode until st.navigation
has run once in the process: the very first script run resolves the URL against the scripts at the
top of pages/, by file stem, and shows "Page not found" for any other name. The real page scripts
live in pages/<lab>/, so pages/ holds one small entry script per page URL (pages/<url path>.py) that
runs app.py's frame; app.py's st.navigation then opens the real page, and switches the legacy mode
off for every later run (ui/streamlit_internals.py). tests/test_first_visit.py keeps the entries
in step with ui/navigation.py, and a browser test opens a page URL first thing after a server start.
"""

from __future__ import annotations

import runpy

from ui.navigation import ROOT, available_pages

ENTRY = '''"""Entry for the first visit to /{url_path} after a server start (see ui/first_visit.py); the page
itself is {path}."""

from ui.first_visit import run_app_frame

run_app_frame()
'''


def entry_script(url_path: str, path: str) -> str:
    return ENTRY.format(url_path=url_path, path=path)


def expected_entries() -> dict[str, str]:
    """{pages/<url path>.py: its text} for every page with its own URL (whose script exists)."""
    return {f"pages/{p.url_path}.py": entry_script(p.url_path, p.path) for p in available_pages() if p.url_path}


def write_entries() -> None:
    """(Re)write the entry scripts: ``python -m ui.first_visit`` after adding a page."""
    for relative, text in expected_entries().items():
        (ROOT / relative).write_text(text)


def run_app_frame() -> None:
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")


if __name__ == "__main__":
    write_entries()
