"""warmup.py --pages opens every page once (what a first visit compiles lands in the persistent cache)
and says how far it is, a line per page."""

import warmup
from ui import navigation


def test_warm_pages_opens_each_page_and_prints_a_progress_line_per_page(monkeypatch, capsys):
    pages = [p for p in navigation.PAGES if p.path in ("pages/race/playground.py", "pages/curvature/conditioning.py")]
    monkeypatch.setattr(navigation, "available_pages", lambda: pages)
    failed = warmup.warm_pages(timeout=600)
    out = capsys.readouterr().out
    assert failed == []
    assert "warmup: page 1/2 Optimizer playground in" in out
    assert "warmup: page 2/2 Conditioning in" in out


def test_a_failing_page_is_reported_by_path_and_does_not_stop_the_others(monkeypatch, capsys, tmp_path):
    script = tmp_path / "broken_page.py"
    script.write_text("raise RuntimeError('broken on purpose')\n")
    broken = navigation.PageInfo(str(script), "Broken", ":material/error:", "Race", "broken")
    good = next(p for p in navigation.PAGES if p.path == "pages/curvature/conditioning.py")
    monkeypatch.setattr(navigation, "available_pages", lambda: [broken, good])
    failed = warmup.warm_pages(timeout=600)
    captured = capsys.readouterr()
    assert failed == [str(script)]
    assert f"warmup: {script} failed" in captured.err
    assert "warmup: page 2/2 Conditioning in" in captured.out
