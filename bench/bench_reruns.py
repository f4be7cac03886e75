"""Server script time per rerun on every page, and the bytes each rerun sends: ``python -m bench.bench_reruns``.

Each page of ``ui.navigation.PAGES`` is opened in a fresh ``AppTest`` session (as the page tests do) and
warmed up. Then:

- **plain rerun**: ``at.run()`` with nothing changed (nothing new to compute), repeated;
- **slider move**: a few of the page's sliders moved one step and back, after a first pass that filled the
  caches, so the timed moves need no new heavy computation (they may still rebuild figures).

AppTest compiles the scripts afresh on every ``at.run()`` (it makes a new ``ScriptCache`` per run, ~80 ms
for app.py and a page); a server keeps one ``ScriptCache`` for its lifetime. The bench therefore gives
AppTest one shared ``ScriptCache`` (``--fresh-bytecode`` measures AppTest's own behaviour instead).

Two times are reported per rerun: the *script* time (the page's code, timed around Streamlit's
``exec_func_with_error_handling``, i.e. without AppTest's own bookkeeping and without the post-script GC)
and the *wall* time of ``at.run()``. Medians over the repeats.

Bytes (issue 10, point 7): every ForwardMsg the script enqueues is measured (``ByteSize()``). Streamlit has
a forward-message cache: a ``new_element`` delta of at least ``global.minCachedMessageSize`` (10 kB) gets a
hash, the browser keeps it and reports the hashes it holds with each rerun request, and the server then
sends a 40-byte reference instead of the element. AppTest reports no hashes, so the table shows what was
built (``built kB``) and what a browser that cached the previous run would actually receive
(``sent kB``: elements under 10 kB plus elements whose hash changed since the previous run).

Usage: ``python -m bench.bench_reruns [--repeats N] [--pages playground,schedules] [--markdown]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.runtime.scriptrunner import script_runner  # noqa: E402
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from ui.navigation import PAGES  # noqa: E402

#: Sliders moved per page (keys); pages not listed use their first two plain sliders.
MOVES = {
    "pages/race/playground.py": ["momentum", "landscape_angle"],
}

_SCRIPT_TIMES: list[float] = []
_MESSAGES: list[tuple[int, bool, str]] = []  # (bytes, cacheable, hash) of every ForwardMsg of the current run


def _share_script_cache() -> None:
    """One ScriptCache for every AppTest run, as in a server (see the module docstring)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def _install_probes() -> None:
    original_exec = script_runner.exec_func_with_error_handling
    if getattr(original_exec, "_bench_probe", False):
        return

    def timed_exec(func, ctx):
        started = time.perf_counter()
        try:
            return original_exec(func, ctx)
        finally:
            _SCRIPT_TIMES.append(time.perf_counter() - started)

    timed_exec._bench_probe = True
    script_runner.exec_func_with_error_handling = timed_exec

    original_enqueue = ScriptRunContext.enqueue

    def measured_enqueue(self, msg):
        original_enqueue(self, msg)  # fills msg.hash and msg.metadata.cacheable
        if msg.WhichOneof("type") == "delta":
            _MESSAGES.append((msg.ByteSize(), bool(msg.metadata.cacheable), msg.hash))

    ScriptRunContext.enqueue = measured_enqueue


def _run(at: AppTest) -> tuple[float, float, list]:
    """(script seconds, wall seconds, messages) of one ``at.run()``."""
    _SCRIPT_TIMES.clear()
    _MESSAGES.clear()
    started = time.perf_counter()
    at.run()
    wall = time.perf_counter() - started
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return sum(_SCRIPT_TIMES), wall, list(_MESSAGES)


def _bytes(messages: list, previous_hashes: set) -> tuple[float, float, int, int]:
    """(built kB, kB a caching browser receives, number of cacheable elements, of which unchanged)."""
    built = sum(b for b, _, _ in messages)
    sent = sum(b if not (cacheable and h in previous_hashes) else 40 for b, cacheable, h in messages)
    cacheable = [h for _, c, h in messages if c]
    return built / 1e3, sent / 1e3, len(cacheable), sum(h in previous_hashes for h in cacheable)


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    if page != PAGES[0].path:
        at.switch_page(page).run()
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return at


def _moves(at: AppTest, page: str) -> list[tuple[object, object, object]]:
    """(widget, value a, value b) for the sliders to move: one step of each, within its range."""
    sliders = {s.key: s for s in at.slider if s.key and not s.disabled and not isinstance(s.value, tuple)}
    keys = [k for k in MOVES.get(page, []) if k in sliders] or list(sliders)[:2]
    out = []
    for key in keys:
        s = sliders[key]
        a = s.value
        b = a + s.step if a + s.step <= s.max else a - s.step
        out.append((key, a, b))
    return out


def bench_page(page: str, repeats: int) -> dict:
    at = _open(page)
    for _ in range(2):  # warm-up: caches filled, modules imported
        _run(at)
    *_, messages = _run(at)
    hashes = {h for _, _, h in messages}
    plain, plain_wall, plain_bytes = [], [], []
    for _ in range(repeats):
        script, wall, messages = _run(at)
        plain.append(script)
        plain_wall.append(wall)
        plain_bytes.append(_bytes(messages, hashes))
        hashes = {h for _, _, h in messages}

    moves = _moves(at, page)
    for key, a, b in moves:  # first pass: every value computed once
        at.slider(key=key).set_value(b)
        _run(at)
        at.slider(key=key).set_value(a)
        _run(at)
    *_, messages = _run(at)
    hashes = {h for _, _, h in messages}
    moved, moved_wall, moved_bytes = [], [], []
    for _ in range(max(1, repeats // 2)):
        for key, a, b in moves:
            for value in (b, a):
                at.slider(key=key).set_value(value)
                script, wall, messages = _run(at)
                moved.append(script)
                moved_wall.append(wall)
                moved_bytes.append(_bytes(messages, hashes))
                hashes = {h for _, _, h in messages}
    med = statistics.median
    return {
        "page": page,
        "plain_ms": 1e3 * med(plain), "plain_wall_ms": 1e3 * med(plain_wall),
        "move_ms": 1e3 * med(moved) if moved else float("nan"),
        "move_wall_ms": 1e3 * med(moved_wall) if moved_wall else float("nan"),
        "moved": ", ".join(k for k, _, _ in moves) or "-",
        "plain_built_kb": med(b[0] for b in plain_bytes), "plain_sent_kb": med(b[1] for b in plain_bytes),
        "plain_cached": f"{plain_bytes[-1][3]}/{plain_bytes[-1][2]}",
        "move_built_kb": med(b[0] for b in moved_bytes) if moved_bytes else float("nan"),
        "move_sent_kb": med(b[1] for b in moved_bytes) if moved_bytes else float("nan"),
        "move_cached": f"{moved_bytes[-1][3]}/{moved_bytes[-1][2]}" if moved_bytes else "-",
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| page | plain rerun: script ms (wall) | slider move: script ms (wall) | sliders moved | "
        "plain: built kB → sent kB (unchanged/cacheable elements) | move: built kB → sent kB (unchanged/cacheable) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r['plain_ms']:.0f} ({r['plain_wall_ms']:.0f}) | {r['move_ms']:.0f} ({r['move_wall_ms']:.0f}) | "
            f"{r['moved']} | {r['plain_built_kb']:.0f} → {r['plain_sent_kb']:.0f} ({r['plain_cached']}) | "
            f"{r['move_built_kb']:.0f} → {r['move_sent_kb']:.0f} ({r['move_cached']}) |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--pages", default="", help="comma-separated page names (file stems); default: all")
    parser.add_argument("--fresh-bytecode", action="store_true", help="let AppTest recompile the scripts on every run")
    args = parser.parse_args(argv)
    _install_probes()
    if not args.fresh_bytecode:
        _share_script_cache()
    wanted = {p.strip() for p in args.pages.split(",") if p.strip()}
    pages = [p.path for p in PAGES if (ROOT / p.path).exists() and (not wanted or Path(p.path).stem in wanted)]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench_reruns {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, load average {load}, "
          f"{os.cpu_count()} cores, repeats {args.repeats}, "
          f"{'fresh' if args.fresh_bytecode else 'shared'} ScriptCache", flush=True)
    rows = []
    for page in pages:
        try:
            rows.append(bench_page(page, args.repeats))
        except Exception as error:  # noqa: BLE001 - one broken page must not hide the others
            print(f"{page}: failed: {error!r}", flush=True)
            continue
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(rows))
    print(f"\nload average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
