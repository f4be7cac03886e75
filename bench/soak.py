"""Soak benchmark: ``.venv/bin/python -m bench.soak [--short]`` (from the repository root; not a pytest test).

Starts one ``streamlit run app.py`` on a free 127.0.0.1 port and keeps a class busy on it for
``--duration`` seconds (default 1200 = 20 minutes; ``--short`` = 120 s):

* **websocket students** (``--students``, default 6): each speaks Streamlit's own protocol over
  ``/_stcore/stream`` (BackMsg ``rerun_script`` with a ClientState, ForwardMsg deltas back). A student
  opens a page in a new session (sometimes from a link the server wrote into an earlier session's URL),
  then changes widgets one at a time as the browser would (the full widget state with one value
  changed), then closes the session and opens the next page. The widgets and what each allows (every
  option of a selectbox / radio / segmented control / multiselect, both states of a checkbox or toggle,
  the ends, default and spread values of a slider or number input, preset buttons) are read from the
  deltas the server sends, so every page, landscape, optimizer, step count and option is reached without
  a hand-written list; one coverage plan per page is shared by all students.
* **browser students** (``--browsers``, default 2): real headless Chromium contexts (Playwright,
  /usr/bin/chromium) that open page links with query parameters (the links the websocket students
  collected), wait for the page to settle, check for exception boxes and move a slider with the keyboard.

Every ``--sample-every`` seconds (default 2) it records the server's mappings (/proc/<pid>/maps lines),
RSS, live compiled programs (from the server log, when the app logs them), interactions and errors so
far, and the latency percentiles of the last minute, into bench/soak_<label>.csv, and draws
bench/soak_<label>.png (mappings and RSS over time, latency below; ``--compare other.csv`` overlays an
earlier run, e.g. before/after). It prints a summary and writes bench/soak_<label>_summary.csv.

Latency is one interaction: BackMsg sent -> the session's script run finished and the session idle
(websocket), or key press / page open -> page idle (browser). Errors: exception elements, script
compile errors, "page not found", interactions that time out (``--timeout``, 180 s), dropped
connections, failed page loads; and the server dying (the run then stops).

Bounded: loopback only, at most 40 websocket and 6 browser students, a hard time limit (duration +
300 s, SIGALRM backstop), and the server is always terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import csv
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_health  # noqa: E402
from ui.navigation import available_pages  # noqa: E402

BENCH = ROOT / "bench"
MAP_LIMIT = 65530
try:
    MAP_LIMIT = int(Path("/proc/sys/vm/max_map_count").read_text())
except (OSError, ValueError):
    pass

#: Lines the app logs about its compiled programs (programs.py: "programs: 42 live (bound 96), ..."), or
#: "live programs: 42", "live_programs=42", "42 live programs".
LIVE_RE = re.compile(r"programs?:\s*(\d+)\s+live|live[ _-]?programs?\D{0,12}?(\d+)|(\d+)\s+live[ _-]?programs?", re.I)

#: Widgets of the app frame (app.py's sidebar), on every page: tried through one shared plan, rarely.
FRAME_KEYS = {"present", "image_format"}

WIDGET_KINDS = ("slider", "selectbox", "multiselect", "checkbox", "radio", "number_input", "button_group", "button")


class Overtime(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# the server and what is measured on it
# --------------------------------------------------------------------------------------------------

def count_maps(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/maps", "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return -1


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class LogWatcher(threading.Thread):
    """Follows the server log: the last live-program count it printed, and error lines."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.live: int | None = None
        self.compiled: int | None = None
        self.evicted: int | None = None
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.path.exists() and not self.stop.is_set():
            time.sleep(0.2)
        with open(self.path, errors="replace") as fh:
            while not self.stop.is_set():
                line = fh.readline()
                if not line:
                    time.sleep(0.3)
                    continue
                m = LIVE_RE.search(line)
                if m:
                    self.live = int(next(g for g in m.groups() if g))
                    for name in ("compiled", "evicted"):
                        n = re.search(rf"(\d+) {name}", line)
                        if n:
                            setattr(self, name, int(n.group(1)))
                if ("Traceback" in line or "LLVM compilation error" in line or "Cannot allocate memory" in line
                        or "Fatal Python error" in line):
                    self.errors.append(line.strip()[:200])


@dataclass
class Stats:
    """Everything the students record, shared by the asyncio tasks (one thread)."""

    t0: float = field(default_factory=time.time)
    latencies: list = field(default_factory=list)  # (time, seconds, kind)
    errors: list = field(default_factory=list)  # (time, kind, detail)
    interactions: int = 0
    visits: int = 0
    browser_loads: int = 0
    coverage: dict = field(default_factory=dict)  # page -> plan

    def latency(self, seconds: float, kind: str) -> None:
        self.latencies.append((time.time(), seconds, kind))
        self.interactions += 1

    def error(self, kind: str, detail: str) -> None:
        self.errors.append((time.time(), kind, detail[:300]))
        if len(self.errors) <= 20:
            print(f"  error [{kind}] {detail[:200]}", flush=True)

    def window(self, seconds: float = 60.0) -> list[float]:
        since = time.time() - seconds
        return [x for t, x, _ in self.latencies if t >= since]


# --------------------------------------------------------------------------------------------------
# Streamlit's protocol over the websocket
# --------------------------------------------------------------------------------------------------

@dataclass
class Widget:
    id: str
    kind: str
    key: str  # the user key (part of the id), or the label for unkeyed widgets
    label: str
    value: object  # current value, in the WidgetState field's form
    domain: list  # values to try (same form)
    disabled: bool = False


def _user_key(widget_id: str, label: str) -> str:
    # ids are "$$ID-<hash>-<user key>" (the user key may be "None" for unkeyed widgets)
    parts = widget_id.split("-", 2)
    key = parts[2] if len(parts) == 3 else ""
    return key if key and key != "None" else f"label:{label}"


def _spread(lo: float, hi: float, step: float, default: float, is_int: bool, n: int = 6) -> list[float]:
    values = {lo, hi, default}
    if hi > lo:
        for i in range(1, n):
            v = lo + (hi - lo) * i / n
            if step and step > 0:
                v = lo + round((v - lo) / step) * step
            values.add(min(hi, max(lo, v)))
    values = sorted(int(round(v)) if is_int else float(v) for v in values)
    return values


def parse_widget(element) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind not in WIDGET_KINDS:
        return None
    w = getattr(element, kind)
    wid = getattr(w, "id", "")
    if not wid or getattr(w, "form_id", ""):
        return None
    label = getattr(w, "label", "")
    disabled = bool(getattr(w, "disabled", False))
    key = _user_key(wid, label)
    if kind == "slider":
        if len(w.options):  # select_slider: string_array of option labels
            options = list(w.options)
            current = [options[int(i)] for i in (w.value if w.set_value else w.default)] if options else []
            if len(current) == 2:
                domain = [[options[0], options[-1]], [options[0], options[len(options) // 2]]]
            else:
                domain = [[o] for o in options]
            return Widget(wid, "select_slider", key, label, current, domain, disabled)
        is_int = w.data_type == w.INT
        current = list(w.value if w.set_value else w.default)
        if len(current) == 1:
            domain = [[v] for v in _spread(w.min, w.max, w.step, current[0], is_int)]
        else:
            mid = w.min + (w.max - w.min) / 2
            domain = [[w.min, w.max], [w.min, mid], [mid, w.max], current]
        return Widget(wid, "slider", key, label, current, domain, disabled)
    if kind == "number_input":
        is_int = w.data_type == w.INT
        lo = w.min if w.has_min else (w.default - 10 * (w.step or 1))
        hi = w.max if w.has_max else (w.default + 10 * (w.step or 1))
        current = w.value if w.set_value else w.default
        return Widget(wid, kind, key, label, current, _spread(lo, hi, w.step, current, is_int), disabled)
    if kind in ("selectbox", "radio"):
        options = list(w.options)
        if w.set_value and w.raw_value:
            current = w.raw_value
        else:
            has_default = "default" not in {f.name for f in w.DESCRIPTOR.fields if f.has_presence} or w.HasField("default")
            current = options[w.default] if has_default and 0 <= w.default < len(options) else None
        return Widget(wid, kind, key, label, current, options, disabled)
    if kind == "multiselect":
        options = list(w.options)
        current = list(w.raw_values) if w.set_value else [options[i] for i in w.default if 0 <= i < len(options)]
        domain = [[o] for o in options] + [options, options[: max(1, len(options) // 2)]]
        if w.max_selections:
            domain = [d[: w.max_selections] for d in domain]
        return Widget(wid, kind, key, label, current, domain, disabled)
    if kind == "checkbox":
        current = w.value if w.set_value else w.default
        return Widget(wid, kind, key, label, bool(current), [True, False], disabled)
    if kind == "button_group":
        options = [o.content for o in w.options]
        # the state is the list of selected option indices, as strings
        current = list(w.raw_values) if w.set_value else [str(i) for i in w.default]
        domain = [[str(i)] for i in range(len(options))]
        return Widget(wid, kind, key, label or "button_group", current, domain, disabled)
    if kind == "button":
        return Widget(wid, "button", key, label, None, [True], disabled)
    return None


def widget_state(proto_states, widget: Widget, value) -> None:
    s = proto_states.widgets.add()
    s.id = widget.id
    kind = widget.kind
    if kind == "button":
        s.trigger_value = bool(value)
    elif kind == "slider":
        s.double_array_value.data.extend(float(v) for v in value)
    elif kind in ("select_slider", "multiselect", "button_group"):
        s.string_array_value.data.extend(str(v) for v in value)
    elif kind == "number_input":
        s.double_value = float(value)
    elif kind in ("selectbox", "radio"):
        if value is not None:
            s.string_value = str(value)
    elif kind == "checkbox":
        s.bool_value = bool(value)


class WsSession:
    """One browser tab's worth of Streamlit session over the websocket."""

    def __init__(self, port: int, stats: Stats, timeout: float):
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.ws = None
        self.widgets: dict[str, Widget] = {}
        self.query_string = ""
        self.page = ""

    async def __aenter__(self):
        import websockets

        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
            origin=f"http://127.0.0.1:{self.port}", max_size=None, open_timeout=30, ping_interval=20,
            ping_timeout=60, close_timeout=5,
        )
        return self

    async def __aexit__(self, *exc):
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001
                pass

    async def rerun(self, page: str, query_string: str, changed: tuple[Widget, object] | None = None) -> tuple[bool, float]:
        """Ask for a script run and wait until it has finished and the session is idle: (ok, seconds)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query_string
        cs.page_name = page
        cs.page_script_hash = ""
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"http://127.0.0.1:{self.port}/{page}" + (f"?{query_string}" if query_string else "")
        for w in self.widgets.values():
            if w.kind == "button":
                continue
            value = changed[1] if changed is not None and changed[0].id == w.id else w.value
            if value is None:
                continue
            widget_state(cs.widget_states, w, value)
        if changed is not None and changed[0].kind == "button":
            widget_state(cs.widget_states, changed[0], True)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        ok = await self._until_idle()
        return ok, time.perf_counter() - t0

    async def _until_idle(self) -> bool:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        deadline = time.monotonic() + self.timeout
        finished = False
        ok = True
        seen: dict[str, Widget] = {}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stats.error("timeout", f"{self.page}?{self.query_string[:120]}")
                return False
            try:
                raw = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:
                continue
            if isinstance(raw, str):
                continue
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                d = fm.delta
                if d.WhichOneof("type") == "new_element":
                    el = d.new_element
                    et = el.WhichOneof("type")
                    if et == "exception":
                        ok = False
                        self.stats.error("exception", f"{self.page}?{self.query_string[:120]}: "
                                                      f"{el.exception.type}: {el.exception.message[:160]}")
                    else:
                        w = parse_widget(el)
                        if w is not None:
                            seen[w.id] = w
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            elif kind == "page_not_found":
                ok = False
                self.stats.error("page_not_found", self.page)
            elif kind == "script_finished":
                status = fm.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    ok = False
                    self.stats.error("compile_error", self.page)
                if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
                    finished = True
            elif kind == "session_status_changed":
                if finished and not fm.session_status_changed.script_is_running:
                    break
            elif kind == "new_session":
                finished = False
        if seen:
            # the widgets of the run that just finished (a widget that left the page is forgotten)
            self.widgets = seen
        return ok


# --------------------------------------------------------------------------------------------------
# what to try on each page
# --------------------------------------------------------------------------------------------------

FRAME = "(frame)"


class Plan:
    """Every (widget key, value) pair seen on one page, tried in turn by whoever comes next; then
    random choices. Shared by all students."""

    def __init__(self):
        self.pairs: list[tuple[str, str]] = []
        self.known: set[tuple[str, str]] = set()
        self.done: set[tuple[str, str]] = set()
        self.links: collections.deque[str] = collections.deque(maxlen=200)

    @staticmethod
    def label(value) -> str:
        return repr(value)

    def learn(self, widgets: dict[str, Widget], frame: bool = False) -> None:
        for w in widgets.values():
            if w.disabled or ((w.key in FRAME_KEYS) != frame):
                continue
            for v in w.domain:
                pair = (w.key, self.label(v))
                if pair not in self.known:
                    self.known.add(pair)
                    self.pairs.append(pair)

    def choose(self, widgets: dict[str, Widget], rng: random.Random, frame: bool = False) -> tuple[Widget, object] | None:
        by_key = {w.key: w for w in widgets.values() if not w.disabled and w.domain and (w.key in FRAME_KEYS) == frame}
        if not by_key:
            return None
        for pair in self.pairs:
            if pair in self.done or pair[0] not in by_key:
                continue
            w = by_key[pair[0]]
            for v in w.domain:
                if self.label(v) == pair[1]:
                    self.done.add(pair)
                    return w, v
        # everything on screen was tried: random (buttons rarely, they reset whole pages)
        choices = [w for w in by_key.values() if w.kind != "button" or rng.random() < 0.1]
        w = rng.choice(choices or list(by_key.values()))
        v = rng.choice(w.domain)
        self.done.add((w.key, self.label(v)))
        return w, v


async def ws_student(index: int, port: int, pages: list[str], plans: dict[str, Plan], stats: Stats,
                     deadline: float, args) -> None:
    rng = random.Random(1000 + index)
    order = itertools.cycle(rng.sample(pages, len(pages)))
    while time.time() < deadline:
        page = next(order)
        plan = plans[page]
        query = ""
        if plan.links and rng.random() < 0.4:
            query = rng.choice(list(plan.links))  # a link another student's session wrote
        try:
            async with WsSession(port, stats, args.timeout) as s:
                s.page = page
                s.query_string = query
                ok, seconds = await s.rerun(page, query)
                stats.visits += 1
                if not ok and not s.widgets:
                    continue
                stats.latency(seconds, "ws_open")
                plan.learn(s.widgets)
                plans[FRAME].learn(s.widgets, frame=True)
                for _ in range(rng.randint(args.moves // 2 + 1, args.moves)):
                    if time.time() > deadline:
                        break
                    await asyncio.sleep(rng.uniform(0.2, args.think))
                    frame = rng.random() < 0.05
                    choice = (plans[FRAME] if frame else plan).choose(s.widgets, rng, frame)
                    if choice is None:
                        if frame:
                            continue
                        break
                    ok, seconds = await s.rerun(page, s.query_string, choice)
                    if args.verbose:
                        print(f"  [{index}] {page or 'playground'}: {choice[0].key} = {choice[1]!r} -> "
                              f"{'ok' if ok else 'ERROR'} {seconds:.1f} s, link ?{s.query_string[:150]}", flush=True)
                    if not ok and not s.widgets:
                        break
                    stats.latency(seconds, "ws_move")
                    plan.learn(s.widgets)
                    plans[FRAME].learn(s.widgets, frame=True)
                    if s.query_string:
                        plan.links.append(s.query_string)
        except Exception as error:  # noqa: BLE001 - a dropped connection is a counted error
            if time.time() < deadline:
                stats.error("connection", f"{page}: {type(error).__name__}: {str(error)[:150]}")
                await asyncio.sleep(2.0)


BROWSER_IDLE = """() => document.querySelector('[data-testid="stApp"]') !== null
    && document.querySelector('[data-testid="stStatusWidget"]') === null
    && document.querySelector('[data-testid="stSkeleton"]') === null
    && document.querySelectorAll('[data-testid="stElementContainer"]').length > 3"""


async def browser_student(index: int, browser, port: int, pages: list[str], plans: dict[str, Plan],
                          stats: Stats, deadline: float, args) -> None:
    rng = random.Random(2000 + index)
    while time.time() < deadline:
        page_name = rng.choice(pages)
        plan = plans[page_name]
        query = rng.choice(list(plan.links)) if plan.links else ""
        url = f"http://127.0.0.1:{port}/{page_name}" + (f"?{query}" if query else "")
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            page = await context.new_page()
            t0 = time.perf_counter()
            budget = max(1.0, min(args.timeout, deadline + 60 - time.time())) * 1000
            try:
                await page.goto(url, wait_until="domcontentloaded", timeout=budget)
                await page.wait_for_timeout(300)
                await page.wait_for_function(BROWSER_IDLE, polling=200, timeout=budget)
            except Exception as error:  # noqa: BLE001
                stats.error("browser_load", f"{url[-150:]}: {type(error).__name__}")
                continue
            stats.browser_loads += 1
            stats.latency(time.perf_counter() - t0, "browser_open")
            if await page.locator('[data-testid="stException"]').count():
                stats.error("browser_exception", url[-150:])
            if await page.get_by_text("Page not found").count():
                stats.error("browser_page_not_found", url[-150:])
            sliders = page.locator('[data-testid="stSlider"] input[type="range"]')
            n = await sliders.count()
            for _ in range(min(n, args.browser_moves)):
                if time.time() > deadline:
                    break
                await asyncio.sleep(rng.uniform(0.3, args.think))
                slider = sliders.nth(rng.randrange(n))
                try:
                    await slider.focus(timeout=5000)
                    t0 = time.perf_counter()
                    await slider.press(rng.choice(["ArrowRight", "ArrowLeft"]), timeout=5000)
                    await page.wait_for_timeout(200)
                    await page.wait_for_function(BROWSER_IDLE, polling=100, timeout=budget)
                except Exception as error:  # noqa: BLE001
                    stats.error("browser_move", f"{url[-120:]}: {type(error).__name__}")
                    break
                stats.latency(time.perf_counter() - t0, "browser_move")
                if await page.locator('[data-testid="stException"]').count():
                    stats.error("browser_exception", url[-150:])
                    break
                n = await sliders.count()
                if n == 0:
                    break
        finally:
            await context.close()


# --------------------------------------------------------------------------------------------------
# sampling, CSV and plot
# --------------------------------------------------------------------------------------------------

COLUMNS = ["t_s", "maps", "rss_mb", "live_programs", "programs_compiled", "programs_evicted", "visits", "interactions", "errors", "lat_p50_ms",
           "lat_p95_ms", "lat_max_ms", "server_alive", "load1"]


def _round(x: float):
    return "" if x != x else round(x)


async def sampler(pid: int, server: subprocess.Popen, stats: Stats, log: LogWatcher, rows: list, every: float,
                  stop: asyncio.Event, csv_path: Path) -> None:
    with open(csv_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        while True:
            alive = server.poll() is None
            window = [x * 1000 for x in stats.window(60.0)]
            row = [round(time.time() - stats.t0, 1), count_maps(pid) if alive else -1,
                   round(rss_mb(pid), 1) if alive else float("nan"), "" if log.live is None else log.live,
                   "" if log.compiled is None else log.compiled, "" if log.evicted is None else log.evicted,
                   stats.visits, stats.interactions, len(stats.errors), _round(percentile(window, 0.5)),
                   _round(percentile(window, 0.95)), _round(max(window) if window else float("nan")), int(alive),
                   round(os.getloadavg()[0], 2)]
            rows.append(row)
            writer.writerow(row)
            fh.flush()
            if not alive:
                stats.error("server_died", f"exit code {server.returncode}")
                stop.set()
                return
            try:
                await asyncio.wait_for(stop.wait(), every)
                return
            except asyncio.TimeoutError:
                pass


def read_csv(path: Path) -> list[dict]:
    with open(path) as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def plot(runs: list[tuple[str, list[dict]]], png: Path, title: str) -> None:
    """Three panels (mappings, RSS, latency p50/p95 of the last minute) over time, with Pillow (this
    environment has no matplotlib)."""
    from PIL import Image, ImageDraw, ImageFont

    W, H, left, right, top = 1200, 900, 90, 30, 50
    panel_h, gap = 230, 50
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=14)
        big = ImageFont.load_default(size=18)
    except TypeError:
        font = big = ImageFont.load_default()
    d.text((left, 12), title, fill="black", font=big)
    colors = [("#1f77b4", "#9ecae1"), ("#d62728", "#fcae91"), ("#2ca02c", "#a1d99b")]
    t_max = max([_num(r["t_s"]) for _, rows in runs for r in rows] + [1.0])
    panels = [
        ("memory mappings (/proc/<pid>/maps)", ["maps"], [(MAP_LIMIT / 2, f"half the limit ({MAP_LIMIT // 2})")]),
        ("RSS MB", ["rss_mb"], [(2048, "2 GB")]),
        ("latency ms (last 60 s): p50 solid, p95 light", ["lat_p50_ms", "lat_p95_ms"], []),
    ]
    for p, (name, cols, refs) in enumerate(panels):
        y0 = top + p * (panel_h + gap)
        y1 = y0 + panel_h
        values = [_num(r[c]) for _, rows in runs for r in rows for c in cols]
        values = [v for v in values if v == v and v >= 0]
        v_max = max(values + [ref for ref, _ in refs] + [1.0]) * 1.08
        d.rectangle([left, y0, W - right, y1], outline="black")
        d.text((left, y0 - 20), name, fill="black", font=font)
        for i in range(5):
            v = v_max * i / 4
            y = y1 - (y1 - y0) * i / 4
            d.line([left - 5, y, left, y], fill="black")
            d.text((5, y - 8), f"{v:,.0f}", fill="black", font=font)
            if i:
                d.line([left + 1, y, W - right - 1, y], fill="#eeeeee")
        for ref, label in refs:
            y = y1 - (y1 - y0) * ref / v_max
            for x in range(left, W - right, 12):
                d.line([x, y, min(x + 6, W - right), y], fill="#888888")
            d.text((W - right - 200, y - 16), label, fill="#555555", font=font)
        for i in range(6):
            t = t_max * i / 5
            x = left + (W - right - left) * i / 5
            d.line([x, y1, x, y1 + 5], fill="black")
            d.text((x - 15, y1 + 7), f"{t / 60:.1f} min", fill="black", font=font)
        for r_i, (run_name, rows) in enumerate(runs):
            for c_i, col in enumerate(cols):
                color = colors[r_i % len(colors)][c_i % 2]
                pts = []
                for r in rows:
                    v = _num(r[col])
                    if v == v and v >= 0:
                        pts.append((left + (W - right - left) * _num(r["t_s"]) / t_max, y1 - (y1 - y0) * v / v_max))
                if len(pts) > 1:
                    d.line(pts, fill=color, width=2)
                elif pts:
                    d.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=color)
            if p == 0:
                d.line([left + 10 + 300 * r_i, y0 + 40, left + 30 + 300 * r_i, y0 + 40], fill=colors[r_i % len(colors)][0], width=3)
                d.text((left + 36 + 300 * r_i, y0 + 32), run_name, fill=colors[r_i % len(colors)][0], font=font)
    img.save(png)


# --------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------

async def run(port: int, server: subprocess.Popen, log: LogWatcher, args, csv_path: Path) -> tuple[Stats, list, dict]:
    stats = Stats()
    pages = [p.url_path for p in available_pages()]
    plans = {p: Plan() for p in [*pages, FRAME]}
    rows: list = []
    stop = asyncio.Event()
    deadline = time.time() + args.duration
    sample_task = asyncio.create_task(sampler(server.pid, server, stats, log, rows, args.sample_every, stop, csv_path))
    tasks = []
    for i in range(args.students):
        tasks.append(asyncio.create_task(ws_student(i, port, pages, plans, stats, deadline, args)))
        await asyncio.sleep(min(3.0, args.duration / 40))  # students arrive over the first seconds
    browser = None
    playwright = None
    if args.browsers:
        try:
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for i in range(args.browsers):
                tasks.append(asyncio.create_task(browser_student(i, browser, port, pages, plans, stats, deadline, args)))
        except Exception as error:  # noqa: BLE001
            stats.error("browser_start", f"{type(error).__name__}: {error}")
    try:
        while time.time() < deadline and not stop.is_set():
            await asyncio.sleep(1.0)
        # let the interactions in flight finish (bounded by --timeout)
        done, pending = await asyncio.wait(tasks, timeout=args.timeout + 30)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                stats.error("task", f"{type(task.exception()).__name__}: {str(task.exception())[:150]}")
    finally:
        if browser is not None:
            await browser.close()
        if playwright is not None:
            await playwright.stop()
        stop.set()
        await sample_task
    coverage = {p: (len(plan.done & plan.known), len(plan.known)) for p, plan in plans.items()}
    return stats, rows, coverage


def _or_q(x) -> str:
    return "?" if x in ("", None) or x != x else str(x)


def summary(stats: Stats, rows: list, coverage: dict, duration: float) -> list[tuple[str, str]]:
    lat_all = [x for _, x, _ in stats.latencies]
    by_kind = collections.defaultdict(list)
    for _, x, kind in stats.latencies:
        by_kind[kind].append(x)
    alive_rows = [r for r in rows if r[1] >= 0]
    maps = [r[1] for r in alive_rows]
    rss = [r[2] for r in alive_rows]
    thirds = []
    if stats.latencies:
        t_first = stats.latencies[0][0]
        span = max(1e-9, stats.latencies[-1][0] - t_first)
        for i in range(3):
            part = [x for t, x, _ in stats.latencies if t_first + span * i / 3 <= t <= t_first + span * (i + 1) / 3]
            thirds.append(f"{percentile(part, 0.5) * 1000:.0f}/{percentile(part, 0.95) * 1000:.0f}")
    errors = collections.Counter(kind for _, kind, _ in stats.errors)
    out = [
        ("wall time s", f"{duration:.0f}"),
        ("server alive at the end", str(bool(rows and rows[-1][-1]))),
        ("page visits (websocket sessions)", str(stats.visits)),
        ("browser page loads", str(stats.browser_loads)),
        ("interactions (all latencies)", str(len(lat_all))),
        ("latency p50 / p95 / max ms", f"{percentile(lat_all, 0.5) * 1000:.0f} / {percentile(lat_all, 0.95) * 1000:.0f} / "
                                       f"{max(lat_all) * 1000 if lat_all else float('nan'):.0f}"),
        ("latency p50/p95 ms by third of the run", " · ".join(thirds)),
    ]
    for kind, values in sorted(by_kind.items()):
        out.append((f"  {kind} p50 / p95 ms (n)", f"{percentile(values, 0.5) * 1000:.0f} / "
                                                 f"{percentile(values, 0.95) * 1000:.0f} ({len(values)})"))
    out += [
        ("errors", f"{len(stats.errors)}" + (f" ({', '.join(f'{k} {v}' for k, v in errors.items())})" if errors else "")),
        ("mappings start / max / end", f"{maps[0] if maps else '?'} / {max(maps) if maps else '?'} / {maps[-1] if maps else '?'} "
                                       f"(limit {MAP_LIMIT})"),
        ("RSS MB start / max / end", f"{rss[0]:.0f} / {max(rss):.0f} / {rss[-1]:.0f}" if rss else "?"),
        ("live programs (server log) max / end", (lambda v: f"{max(v)} / {v[-1]}" if v else "not logged")(
            [r[3] for r in rows if r[3] != ""])),
        ("programs compiled / evicted (server log, end)", f"{_or_q(rows[-1][4])} / {_or_q(rows[-1][5])}" if rows else "?"),
        ("widget values tried / seen, per page", ", ".join(f"{p or 'playground'} {a}/{b}" for p, (a, b) in coverage.items())),
    ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=1200.0, help="seconds of load (default 1200)")
    parser.add_argument("--short", action="store_true", help="120 s instead (what `make bench` runs)")
    parser.add_argument("--students", type=int, default=6, help="websocket students (at most 40)")
    parser.add_argument("--browsers", type=int, default=2, help="headless Chromium students (at most 6; 0: none)")
    parser.add_argument("--moves", type=int, default=6, help="widget changes per page visit (websocket)")
    parser.add_argument("--browser-moves", type=int, default=2, help="slider key presses per browser page visit")
    parser.add_argument("--think", type=float, default=1.5, help="maximum think time between actions, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="one interaction's time limit, seconds")
    parser.add_argument("--sample-every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--label", default=None, help="output name: bench/soak_<label>.csv/.png (default: short or long)")
    parser.add_argument("--verbose", action="store_true", help="print every websocket widget change")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="an earlier soak CSV to overlay in the plot (repeatable), e.g. a run before a fix")
    args = parser.parse_args()
    if args.short:
        args.duration = 120.0
    args.duration = max(10.0, min(args.duration, 4 * 3600.0))
    args.students = max(0, min(args.students, 40))
    args.browsers = max(0, min(args.browsers, 6))
    args.moves = max(1, min(args.moves, 50))
    label = args.label or ("short" if args.short else "long")
    csv_path = BENCH / f"soak_{label}.csv"
    png_path = BENCH / f"soak_{label}.png"
    summary_path = BENCH / f"soak_{label}_summary.csv"

    port = free_port()
    log_path = BENCH / "results" / f"soak_{label}_server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    hard_limit = args.duration + args.timeout + 300

    def overtime(signum, frame):
        raise Overtime(f"hard time limit of {hard_limit:.0f} s reached")

    signal.signal(signal.SIGALRM, overtime)
    signal.alarm(int(hard_limit))
    server = start_server(port, log_path)
    log = LogWatcher(log_path)
    log.start()
    t_start = time.time()
    stats, rows, coverage = Stats(), [], {}
    note = ""
    try:
        wait_for_health(f"http://127.0.0.1:{port}", 120, server)
        print(f"server pid {server.pid} on 127.0.0.1:{port}: {count_maps(server.pid)} mappings, "
              f"{rss_mb(server.pid):.0f} MB; {args.students} websocket + {args.browsers} browser students "
              f"for {args.duration:.0f} s", flush=True)
        stats, rows, coverage = asyncio.run(run(port, server, log, args, csv_path))
    except Overtime as error:
        note = str(error)
    finally:
        signal.alarm(0)
        alive = server.poll() is None
        stop_server(server)
        log.stop.set()
    duration = time.time() - t_start
    if note:
        stats.error("overtime", note)
    if not rows and csv_path.exists():
        rows = [[_num(r[c]) if not c.startswith(("live", "programs")) else r[c] for c in COLUMNS] for r in read_csv(csv_path)]
    lines = summary(stats, rows, coverage, duration)
    if not alive:
        lines.insert(1, ("server", f"died (exit code {server.returncode}); last log errors: {log.errors[-3:]}"))
    print()
    for k, v in lines:
        print(f"{k:45s} {v}")
    with open(summary_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["measure", "value"])
        writer.writerows(lines)
        for t, kind, detail in stats.errors[:200]:
            writer.writerow([f"error at {t - stats.t0:.0f} s: {kind}", detail])
    runs = [(f"{label} (this run)", read_csv(csv_path))]
    for other in args.compare:
        runs.append((other.stem.removeprefix("soak_"), read_csv(other)))
    try:
        plot(runs, png_path, f"Soak: {args.students} websocket + {args.browsers} browser students, "
                             f"{args.duration / 60:.0f} min, one streamlit server")
        print(f"wrote {csv_path.relative_to(ROOT)}, {png_path.relative_to(ROOT)}, {summary_path.relative_to(ROOT)}")
    except ImportError:
        print(f"wrote {csv_path.relative_to(ROOT)}, {summary_path.relative_to(ROOT)} (no Pillow: no plot)")
    return 0 if (rows and rows[-1][-1] and not stats.errors) else 1


if __name__ == "__main__":
    sys.exit(main())
