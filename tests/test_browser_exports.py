"""Every page's chart data downloads as one CSV that parses, in the real browser."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.browser_helpers import assert_no_exception, wait_for_charts, wait_until_idle
from ui.navigation import available_pages

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("info", available_pages(), ids=lambda p: p.url_path or "playground")
def test_chart_data_download_parses(app_server, page, info):
    page.goto(f"{app_server}/{info.url_path}")
    wait_for_charts(page, 1)
    wait_until_idle(page)
    assert_no_exception(page)
    n_charts = page.locator(".js-plotly-plot").count()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_text("This page's chart data").click()
    frame = pd.read_csv(download.value.path())
    assert list(frame.columns) == ["chart", "chart title", "trace", "point", "x", "y", "z"]
    assert len(frame) > 0 and frame["chart"].nunique() >= min(n_charts, 1)
    assert frame["chart"].max() >= n_charts - 2  # charts in closed expanders are drawn too


def test_svg_chosen_in_the_sidebar_applies_to_charts_on_another_page(app_server, page):
    page.goto(app_server + "/")
    wait_for_charts(page, 1)
    wait_until_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("svg", exact=True).click()
    wait_until_idle(page)
    other = next(p for p in available_pages() if p.url_path)
    page.locator('.st-key-lab_navigation').get_by_text(other.title).click()
    page.wait_for_url(f"**/{other.url_path}*")
    wait_for_charts(page, 1)
    wait_until_idle(page)
    formats = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p._context.toImageButtonOptions.format)")
    assert formats and set(formats) == {"svg"}


def test_the_race_downloads_as_an_animated_gif_and_html(app_server, page):
    """The Playground's slide exports, clicked in the browser: a looping GIF with many frames, and a
    self-contained HTML file with plotly.js inlined and one animation frame per sampled step."""
    import io

    from PIL import Image

    page.goto(app_server + "/")
    wait_for_charts(page, 3)
    wait_until_idle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Animated race (GIF)").click()
    assert download.value.suggested_filename.endswith(".gif")
    image = Image.open(io.BytesIO(open(download.value.path(), "rb").read()))
    assert image.format == "GIF" and image.n_frames > 10 and image.size == (960, 720)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Animated race (HTML for slides)").click()
    html = open(download.value.path(), encoding="utf-8").read()
    assert "Plotly.newPlot" in html and "addFrames" in html
    assert len(html) > 1_000_000 and 'src="https://cdn.plot.ly' not in html  # plotly.js is inlined: plays offline
    assert_no_exception(page)
