"""Classroom load test: ``.venv/bin/python -m bench.load_test`` (from the repository root; not a pytest test).

Starts its own ``streamlit run app.py`` on a free 127.0.0.1 port, then for each N in ``--sessions``
(default 1, 10, 30) opens N browser sessions at once (Playwright contexts in one headless Debian
Chromium), each loading the playground and moving the learning-rate slider ``--moves`` times. It measures

* latency per interaction: key press -> the first map's first optimizer path has new data *and*
  Streamlit is idle in that session (no status widget), polled in the page every 50 ms;
* errors: exception boxes, interactions or page loads that time out;
* the server's resident memory (VmRSS from /proc/<pid>/status), sampled every 0.5 s;

prints a markdown table and writes it to bench/results/load.md and bench/LOAD.md. Everything is bounded:
a per-level time budget, a hard overall limit (``--time-limit``, default 600 s, enforced with SIGALRM
as a backstop) and the server is always terminated.

Each session opens the playground with its own start point (``start_x_quadratic``), so every session's
race is a cache miss on the server: the worst case, not 30 students replaying one cached link.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_name  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_health  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.md"
LOAD_MD = ROOT / "bench" / "LOAD.md"

PATH_JSON = """() => { const plot = document.querySelector('.js-plotly-plot');
                       const t = plot && plot.data && plot.data.find(t => t.mode === 'lines+markers');
                       return t ? JSON.stringify([t.x, t.y]) : null; }"""

CHANGED_AND_IDLE = """(before) => { const plot = document.querySelector('.js-plotly-plot');
                         const t = plot && plot.data && plot.data.find(t => t.mode === 'lines+markers');
                         if (!t || JSON.stringify([t.x, t.y]) === before) return false;
                         return document.querySelector('[data-testid="stStatusWidget"]') === null; }"""

READY = """() => document.querySelectorAll('.js-plotly-plot').length >= 5
                 && document.querySelector('[data-testid="stStatusWidget"]') === null
                 && document.querySelector('[data-testid="stSkeleton"]') === null"""


class Overtime(Exception):
    pass


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    try:
        return ", ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def session(browser, url: str, index: int, moves: int, deadline: float, record: dict) -> None:
    """One student: open the playground, then move the learning-rate slider ``moves`` times."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await context.new_page()
        start = -2.5 + 0.01 * index  # a different start per session: no shared cache entries
        t0 = time.perf_counter()
        try:
            await page.goto(f"{url}/?start_x_quadratic={start:.2f}", wait_until="domcontentloaded",
                            timeout=max(1.0, deadline - time.time()) * 1000)
            await page.wait_for_function(READY, polling=100, timeout=max(1.0, deadline - time.time()) * 1000)
        except Exception as error:  # noqa: BLE001 - a page load that times out is a counted error
            record["load_errors"].append(f"session {index}: {type(error).__name__}")
            return
        record["loads"].append(time.perf_counter() - t0)
        slider = page.locator('[data-testid="stSlider"]', has_text="Learning rate η").first.locator('input[type="range"]')
        for move in range(moves):
            await asyncio.sleep(random.uniform(0.3, 1.0))  # think time, not measured
            if time.time() > deadline:
                record["timeouts"] += moves - move
                return
            before = await page.evaluate(PATH_JSON)
            await slider.focus()
            t0 = time.perf_counter()
            await slider.press("ArrowLeft")
            try:
                await page.wait_for_function(CHANGED_AND_IDLE, arg=before, polling=50,
                                             timeout=max(1.0, deadline - time.time()) * 1000)
            except Exception:  # noqa: BLE001
                record["timeouts"] += 1
                state = await page.evaluate(
                    """(before) => { const plot = document.querySelector('.js-plotly-plot');
                        const t = plot && plot.data && plot.data.find(t => t.mode === 'lines+markers');
                        return {changed: !!t && JSON.stringify([t.x, t.y]) !== before,
                                running: document.querySelector('[data-testid="stStatusWidget"]') !== null,
                                url: location.search.slice(0, 80)}; }""", before)
                record.setdefault("timeout_states", []).append((index, move, state))
                continue
            record["latencies"].append(time.perf_counter() - t0)
            if await page.locator('[data-testid="stException"]').count():
                record["exceptions"] += 1
    finally:
        await context.close()


async def sample_memory(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


async def run_level(browser, url: str, pid: int, n: int, moves: int, budget: float) -> dict:
    record = {"n": n, "latencies": [], "loads": [], "load_errors": [], "timeouts": 0, "exceptions": 0,
              "rss_before": rss_mb(pid)}
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, samples, stop))
    deadline = time.time() + budget
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(session(browser, url, i, moves, deadline, record)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=budget + 30)
    for task in pending:  # should not happen: every wait inside is bounded by the deadline
        task.cancel()
        record["load_errors"].append("session cancelled at the level's time budget")
    for task in done:
        if task.exception() is not None:
            record["load_errors"].append(f"{type(task.exception()).__name__}: {str(task.exception())[:80]}")
    record["wall"] = time.perf_counter() - t0
    stop.set()
    await sampler
    await asyncio.sleep(3.0)  # let the server drop the closed sessions
    record["rss_peak"] = max([s for s in samples if s == s] or [float("nan")])
    record["rss_after"] = rss_mb(pid)
    record["expected"] = n * moves
    return record


async def run_all(url: str, pid: int, levels: list[int], moves: int, hard_deadline: float) -> list[dict]:
    from playwright.async_api import async_playwright

    results = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # one warm-up session so the first level does not pay the JAX compiles alone
            warm = {"latencies": [], "loads": [], "load_errors": [], "timeouts": 0, "exceptions": 0}
            await session(browser, url, 999, 1, min(hard_deadline, time.time() + 240), warm)
            weights = {n: n + 2 for n in levels}
            for i, n in enumerate(levels):
                remaining = hard_deadline - time.time() - 20
                share = remaining * weights[n] / sum(weights[m] for m in levels[i:])
                if remaining < 20:
                    print(f"N={n}: skipped, out of time", flush=True)
                    break
                print(f"N={n}: {n} sessions x {moves} moves, budget {share:.0f} s", flush=True)
                record = await run_level(browser, url, pid, n, moves, share)
                results.append(record)
                print(table([record]).splitlines()[-1], flush=True)
                for state in record.get("timeout_states", [])[:5]:
                    print("  timed out (session, move, state):", state, flush=True)
        finally:
            await browser.close()
    return results


def table(results: list[dict]) -> str:
    lines = ["| sessions N | interactions done / planned | latency p50 ms | p95 ms | max ms | errors (exception boxes / timeouts / failed loads) | page load p50 / max s | server RSS before / peak / after MB | level wall s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lat = [x * 1000 for x in r["latencies"]]
        loads = r["loads"]
        lines.append(
            f"| {r['n']} | {len(lat)} / {r['expected']} | {percentile(lat, 0.5):.0f} | {percentile(lat, 0.95):.0f} | "
            f"{max(lat) if lat else float('nan'):.0f} | {r['exceptions']} / {r['timeouts']} / {len(r['load_errors'])} | "
            f"{statistics.median(loads) if loads else float('nan'):.1f} / {max(loads) if loads else float('nan'):.1f} | "
            f"{r['rss_before']:.0f} / {r['rss_peak']:.0f} / {r['rss_after']:.0f} | {r['wall']:.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,10,30", help="comma-separated session counts (each at most 40)")
    parser.add_argument("--moves", type=int, default=5, help="learning-rate slider moves per session")
    parser.add_argument("--time-limit", type=float, default=600.0, help="hard limit for the whole run, seconds")
    args = parser.parse_args()
    levels = [min(40, max(1, int(n))) for n in args.sessions.split(",")]
    moves = max(1, min(args.moves, 20))

    started = dt.datetime.now(dt.timezone.utc)
    hard_deadline = time.time() + args.time_limit
    load_before = load_average()
    port = free_port()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(port, RESULTS.parent / "load_server.log")

    def overtime(signum, frame):
        raise Overtime(f"hard time limit of {args.time_limit:.0f} s reached")

    signal.signal(signal.SIGALRM, overtime)
    signal.alarm(int(args.time_limit) + 30)
    results: list[dict] = []
    note = ""
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, 120, server)
        print(f"server pid {server.pid} on {url}, RSS {rss_mb(server.pid):.0f} MB", flush=True)
        results = asyncio.run(run_all(url, server.pid, levels, moves, hard_deadline))
    except Overtime as error:
        note = f"\n\n**Stopped early:** {error}."
    finally:
        signal.alarm(0)
        stop_server(server)

    body = table(results)
    load_after = load_average()
    header = (f"Run {started:%Y-%m-%d %H:%M} UTC on {machine()}; {moves} learning-rate moves per session; "
              f"load average {load_before} before, {load_after} after.")
    print(header)
    print(body + note)
    RESULTS.write_text(f"# Load test\n\n{header}\n\n{body}{note}\n")
    LOAD_MD.write_text(LOAD_TEMPLATE.format(date=f"{started:%Y-%m-%d %H:%M} UTC", header=header, table=body + note,
                                            moves=moves, notes=""))
    print(f"wrote {RESULTS.relative_to(ROOT)} and {LOAD_MD.relative_to(ROOT)}")
    return 0


LOAD_TEMPLATE = """# Classroom load test

`.venv/bin/python -m bench.load_test` (from the repository root) starts its own `streamlit run app.py` on a
free 127.0.0.1 port and, for N = 1, 10 and 30, opens N browser sessions at the same moment (Playwright
contexts in one headless Debian Chromium), each loading the playground and then moving the learning-rate
slider {moves} times (ArrowLeft, 0.3-1 s of think time between moves). It writes this file and
bench/results/load.md.

* **Latency** of one interaction: key press until the first map's first optimizer path holds new data
  *and* that session is idle again (no Streamlit status widget), polled in the page every 50 ms. It
  includes the browser's own Plotly redraw of six charts (one a WebGL surface in software rendering).
* **Errors**: exception boxes after an interaction / interactions that did not finish before the level's
  time budget / page loads that failed.
* **Memory**: the server process's VmRSS (/proc/<pid>/status), sampled every 0.5 s; "after" is 3 s after
  the level's sessions closed.
* Every session starts the race from its own point (`start_x_quadratic`), so no session is served from
  another's cache: the worst case, not 30 students replaying one cached link.
* Bounded: each level gets a share of a hard overall limit (600 s by default, SIGALRM backstop), sessions
  are at most 40, and the server is always terminated.

## Result ({date})

{header}

{table}

## Reading it

**The machine.** This is the 2-core development box, and the browser runs on the same two cores as the
server: at N = 30, thirty headless Chromium renderers redraw six Plotly charts each (including a WebGL
surface in software) while the one Streamlit process runs thirty sessions' reruns. The latencies are
therefore an upper bound for the server on a dedicated machine with the students' browsers elsewhere.
Other helpers' test suites were also running on the box during the run (see the load average above), so
treat the absolute numbers as noisy, by up to ~2x.

{notes}
"""

if __name__ == "__main__":
    sys.exit(main())
