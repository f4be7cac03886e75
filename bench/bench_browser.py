"""In-browser latency of every page, and the Playground's scrubbing frame time: ``python -m bench.bench_browser``.

Against a ``streamlit run app.py`` it starts itself (or ``--url`` of a running one), in headless Chromium
(``/usr/bin/chromium``, Playwright):

- **key press → charts redrawn**, per page: the first enabled slider of the page is focused and moved one
  step (ArrowRight, then ArrowLeft, alternately); the latency is from the ``keydown`` (captured in the page)
  to the last ``plotly_afterplot`` event of any chart of the page, once the page has been quiet for 1 s.
  p50 / p95 over the presses; also the bytes the server sent over the websocket per press.
- **scrubbing** (Playground): the step scrubber (ui/scrubber.py) is moved with ArrowLeft N times. Per input
  event: the scrubber's own work (``performance.measure("optlab-scrub-frame")``: the contour map's SVG
  layer, the step lines, the readouts) and *input → next frame* (the next ``requestAnimationFrame`` after
  the ``input`` event, so it includes waiting for the frame); the deferred 3-D redraw (Plotly.restyle of the
  WebGL paths, once the scrubber rests) separately; and the websocket bytes sent to the server (a rerun
  request is hundreds of bytes; heartbeats are a few).

Usage: ``python -m bench.bench_browser [--url http://127.0.0.1:8501] [--presses 6] [--scrubs 60] [--pages a,b]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui.navigation import PAGES  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

PROBE = """() => {
  if (window.__lat) return;
  window.__lat = { afterplot: [], key: null };
  const hook = () => document.querySelectorAll('.js-plotly-plot').forEach(gd => {
    if (!gd.__latHooked && gd.on) { gd.__latHooked = true; gd.on('plotly_afterplot', () => window.__lat.afterplot.push(performance.now())); }
  });
  hook(); setInterval(hook, 50);
  document.addEventListener('keydown', () => { window.__lat.key = performance.now(); window.__lat.afterplot = []; }, true);
}"""

SCRUB_PROBE = """() => {
  window.__scrub = { frames: [] };
  const host = [...document.querySelectorAll('.st-key-step_scrubber *')].find(e => e.shadowRoot);
  const input = (host ? host.shadowRoot : document).querySelector('input[type=range]');
  input.addEventListener('input', () => { const t0 = performance.now();
    requestAnimationFrame(() => window.__scrub.frames.push(performance.now() - t0)); }, true);
  performance.clearMeasures('optlab-scrub-frame');
}"""


def pct(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


def wait_ready(page, charts: int = 1, timeout: float = 240.0) -> None:
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=timeout * 1000)
    quiet(page, timeout)


def quiet(page, timeout: float = 120.0, settle: float = 1.0) -> None:
    """Until no status widget is shown and no chart redrew for ``settle`` seconds."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        n = page.evaluate("() => window.__lat ? window.__lat.afterplot.length : 0")
        if running == 0 and n == last:
            time.sleep(settle)
            if page.evaluate("() => window.__lat ? window.__lat.afterplot.length : 0") == n and \
                    page.locator('[data-testid="stStatusWidget"]').count() == 0:
                return
        last = n
        time.sleep(0.1)


#: The slider moved per page (its label); other pages use their first enabled slider. The Playground's first
#: slider is a landscape curvature, which builds a new landscape (critical points, grid): a heavy move.
PREFERRED = {"": "Learning rate"}


def first_slider(page, url_path: str = ""):
    sliders = page.locator('[data-testid="stSlider"]')
    if url_path in PREFERRED:
        chosen = sliders.filter(has=page.locator('[data-testid="stWidgetLabel"]', has_text=PREFERRED[url_path])).first
        if chosen.count():
            return PREFERRED[url_path], chosen.locator('input[type="range"]').first
    for i in range(sliders.count()):
        thumb = sliders.nth(i).locator('input[type="range"]').first
        if thumb.count() and thumb.is_enabled():
            label = sliders.nth(i).locator('[data-testid="stWidgetLabel"]').inner_text().strip()
            return label, thumb
    return None, None


def bench_page(browser, url: str, info, presses: int) -> dict:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    started = time.time()
    page.goto(f"{url}/{info.url_path}", wait_until="domcontentloaded")
    page.evaluate(PROBE)
    wait_ready(page)
    load_s = time.time() - started
    label, thumb = first_slider(page, info.url_path)
    latencies, sent_kb = [], []
    if thumb is not None:
        thumb.focus()
        for i in range(presses):
            received.clear()
            thumb.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            quiet(page)
            latency = page.evaluate("() => window.__lat.afterplot.length ? Math.max(...window.__lat.afterplot) - window.__lat.key : null")
            latencies.append(latency)
            sent_kb.append(sum(received) / 1e3)
    context.close()
    return {"page": info.url_path or "playground", "slider": label or "-", "load_s": load_s,
            "p50": pct(latencies, 50), "p95": pct(latencies, 95), "n": sum(v is not None for v in latencies),
            "kb": statistics.median(sent_kb) if sent_kb else float("nan")}


def bench_scrubbing(browser, url: str, scrubs: int) -> dict | None:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.goto(url + "/", wait_until="domcontentloaded")
    page.evaluate(PROBE)
    wait_ready(page, 5)
    scrubber = page.locator('.st-key-step_scrubber input[type="range"]')
    if scrubber.count() == 0:
        context.close()
        return None
    page.wait_for_function("() => !!document.querySelector('.st-key-contour g.optlab-scrub path')", timeout=60_000)
    page.evaluate(SCRUB_PROBE)
    time.sleep(0.5)
    sent.clear()
    scrubber.focus()
    for _ in range(scrubs):
        scrubber.press("ArrowLeft")
    time.sleep(1.5)
    work = page.evaluate("() => performance.getEntriesByName('optlab-scrub-frame').map(e => e.duration)")
    frames = page.evaluate("() => window.__scrub.frames")
    surface = page.evaluate("() => { const s = [...window.__optlabScrubbers.values()].pop(); return s ? s.stats.surface : []; }")
    context.close()
    return {"work_p50": pct(work, 50), "work_p95": pct(work, 95), "frame_p50": pct(frames, 50), "frame_p95": pct(frames, 95),
            "n": len(frames), "surface_p50": pct(surface, 50), "surface_n": len(surface),
            "rerun_requests": sum(1 for n in sent if n > 64), "sent_bytes": sum(sent)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--presses", type=int, default=6)
    parser.add_argument("--scrubs", type=int, default=60)
    parser.add_argument("--pages", default="")
    parser.add_argument("--slider", default="", help="label of the Playground slider to press (default: Learning rate)")
    args = parser.parse_args(argv)
    if args.slider:
        PREFERRED[""] = args.slider
    from playwright.sync_api import sync_playwright

    from tests.conftest import free_port, wait_for_health

    server = None
    url = args.url.rstrip("/")
    if not url:
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, 120, server)
    wanted = {p.strip() for p in args.pages.split(",") if p.strip()}
    pages = [p for p in PAGES if (ROOT / p.path).exists() and (not wanted or Path(p.path).stem in wanted)]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench_browser {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {url}, load average {load}", flush=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            rows = []
            print("| page | slider | key press → charts redrawn p50 / p95 ms (n) | kB received per press | first load s |", flush=True)
            print("|---|---|---|---|---|", flush=True)
            for info in pages:
                try:
                    r = bench_page(browser, url, info, args.presses)
                except Exception as error:  # noqa: BLE001
                    print(f"| {info.url_path or 'playground'} | failed: {error!r} |", flush=True)
                    continue
                rows.append(r)
                print(f"| {r['page']} | {r['slider']} | {r['p50']:.0f} / {r['p95']:.0f} ({r['n']}) | {r['kb']:.0f} | {r['load_s']:.1f} |", flush=True)
            every = [r for r in rows if r["n"]]
            if every:
                print(f"\nmedian over pages of the per-page p50: {statistics.median(r['p50'] for r in every):.0f} ms; "
                      f"worst p95: {max(r['p95'] for r in every):.0f} ms", flush=True)
            if not wanted or "playground" in wanted:
                s = bench_scrubbing(browser, url, args.scrubs)
                if s is None:
                    print("\nscrubbing: no browser scrubber on this version (the step is a server slider)")
                else:
                    print(f"\nscrubbing ({s['n']} inputs): scrubber work p50 {s['work_p50']:.2f} ms / p95 {s['work_p95']:.2f} ms; "
                          f"input → next frame p50 {s['frame_p50']:.1f} ms / p95 {s['frame_p95']:.1f} ms; "
                          f"3-D redraw after a rest p50 {s['surface_p50']:.0f} ms ({s['surface_n']}x); "
                          f"rerun requests sent {s['rerun_requests']} ({s['sent_bytes']} bytes sent in all)")
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        print(f"load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
