"""Every page URL has its entry script at the top of pages/ (ui/first_visit.py), so the first visit
after a server start, in Streamlit's legacy pages/ mode, finds it and runs the app's frame."""

from ui import first_visit
from ui.navigation import ROOT


def test_every_page_url_has_its_entry_and_nothing_else_sits_at_the_top_of_pages():
    expected = first_visit.expected_entries()
    present = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert present == set(expected), "run `python -m ui.first_visit` after adding or renaming a page"
    for relative, text in expected.items():
        assert (ROOT / relative).read_text() == text, relative
