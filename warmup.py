"""Fill JAX's persistent compilation cache so that the app's first race loads compiled programs.

    python warmup.py                                                # every landscape
    python warmup.py --landscapes rosenbrock --steps 500            # just one race
    python warmup.py --pages                                        # then every page once (AppTest)
    WARMUP_LANDSCAPES=rosenbrock WARMUP_STEPS=500 python warmup.py  # the same, from the environment

A cold trajectory program takes seconds to compile on a small CPU box; with the persistent cache,
later processes (the Streamlit server, other replicas, the next container) read it from disk. The
app calls ``configure_jax_cache()`` before its first JAX computation (environment variables alone,
JAX_COMPILATION_CACHE_DIR and JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0, do the same, as in
the Docker image). Importing this module has no side effects.

The cache is trusted code: only share its directory with processes you trust.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE_DIR = REPO_DIR / ".jax_cache"  # git-ignored
CACHE_DIR_ENV = "JAX_COMPILATION_CACHE_DIR"
LANDSCAPES_ENV = "WARMUP_LANDSCAPES"  # comma-separated keys; unset or empty: all
STEPS_ENV = "WARMUP_STEPS"  # comma-separated step counts; unset or empty: DEFAULT_STEPS
PAGES_ENV = "WARMUP_PAGES"  # "1": also open every page once (what --pages does)

#: The default race: these optimizers, full batch, default start. Programs are compiled per step
#: bucket, so both the playground's default (200 steps) and the benchmark's race (500) are warmed.
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adam", "newton")
DEFAULT_STEPS = (200, 500)
DEFAULT_LR = 1e-3
#: Warmed first: the playground's default landscape, then the benchmark's.
FIRST_LANDSCAPES = ("quadratic", "rosenbrock")
GRID_RESOLUTION = 120

_REPORTED: set[str] = set()


def configure_jax_cache(cache_dir: str | os.PathLike | None = None) -> Path | None:
    """Point JAX's persistent compilation cache at ``cache_dir`` and cache every program.

    The directory is, in order: the argument, $JAX_COMPILATION_CACHE_DIR, ``.jax_cache`` in the repo.
    ``jax_persistent_cache_min_compile_time_secs`` is set to 0 (JAX's default, 1 s, would skip most
    of our programs). Returns the directory, or None when it cannot be created (the app then simply
    runs without the persistent cache). Safe to call on every rerun.
    """
    import jax

    path = Path(cache_dir or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if str(path) not in _REPORTED:  # once per process, not on every rerun
            _REPORTED.add(str(path))
            print(f"warmup: no persistent JAX cache ({path}: {error})", file=sys.stderr)
        return None
    if jax.config.jax_compilation_cache_dir != str(path):
        jax.config.update("jax_compilation_cache_dir", str(path))
    if jax.config.jax_persistent_cache_min_compile_time_secs != 0:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


@contextlib.contextmanager
def _exclusive(cache_dir: Path | None):
    """Hold a lock file in the cache so replicas sharing it warm up one after the other: the first
    compiles, the next ones find everything cached. Without fcntl (or a cache) this does nothing."""
    if cache_dir is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX
        yield
        return
    with open(cache_dir / ".warmup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def warm_landscape(key: str, optimizers=DEFAULT_OPTIMIZERS, steps=DEFAULT_STEPS, lr: float = DEFAULT_LR) -> float:
    """Build the landscape (critical points), its contour grid and the grid's curvature, then run
    the race for each step count: the programs the playground runs first. One race program runs
    every optimizer, and all analytic landscapes share their programs, so warming one of them warms
    the others too (the later ones then take well under a second). Returns the seconds it took."""
    import numpy as np

    from analysis.curvature import curvature_at
    from landscapes import get_landscape
    from optimizers import RunSettings, run_race

    start = time.perf_counter()
    landscape = get_landscape(key)
    xs, ys, _ = landscape.grid(GRID_RESOLUTION)
    X, Y = np.meshgrid(xs, ys)
    curvature_at(landscape, np.stack([X, Y], axis=-1))
    for n_steps in steps:
        run_race(landscape, list(optimizers), RunSettings(lr=lr, n_steps=n_steps))
    return time.perf_counter() - start


def warm_pages(timeout: float = 600.0) -> list[str]:
    """Open every page once with its defaults in-process (Streamlit's AppTest), so every program a
    first visit compiles is in the persistent cache. Prints a progress line per page; returns the
    pages that failed."""
    from streamlit.testing.v1 import AppTest

    from ui.navigation import available_pages

    pages = available_pages()
    failed = []
    app = AppTest.from_file(str(REPO_DIR / "app.py"), default_timeout=timeout)
    app.run()
    for i, page in enumerate(pages, 1):
        began = time.perf_counter()
        try:
            if page.url_path:
                app.switch_page(page.path).run()
            else:
                app.run()
            problem = app.exception[0].message if app.exception else None
        except Exception as error:  # a broken page must not stop the others
            problem = repr(error)
        if problem:
            failed.append(page.path)
            print(f"warmup: {page.path} failed (page {i}/{len(pages)}): {problem}", file=sys.stderr, flush=True)
        else:
            print(f"warmup: page {i}/{len(pages)} {page.title} in {time.perf_counter() - began:.1f} s", flush=True)
    return failed


def default_landscapes() -> list[str]:
    """Every landscape, the ones the app and the benchmark open with first."""
    from landscapes import LANDSCAPES

    first = [k for k in FIRST_LANDSCAPES if k in LANDSCAPES]
    return first + [k for k in LANDSCAPES if k not in first]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--landscapes", nargs="*", help=f"landscape keys (default: ${LANDSCAPES_ENV}, else all)")
    parser.add_argument("--optimizers", nargs="*", default=list(DEFAULT_OPTIMIZERS))
    parser.add_argument("--steps", type=int, nargs="*", help=f"step counts (default: ${STEPS_ENV}, else {DEFAULT_STEPS})")
    parser.add_argument("--cache-dir", help=f"default: ${CACHE_DIR_ENV} or {DEFAULT_CACHE_DIR}")
    parser.add_argument("--pages", action="store_true",
                        help="then open every page once with its defaults (compiles what first visits need)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_DIR))
    cache_dir = configure_jax_cache(args.cache_dir)
    from_env = [k.strip() for k in os.environ.get(LANDSCAPES_ENV, "").split(",") if k.strip()]
    landscapes = args.landscapes or from_env or default_landscapes()
    steps = args.steps or [int(n) for n in os.environ.get(STEPS_ENV, "").split(",") if n.strip()] or list(DEFAULT_STEPS)
    total = time.perf_counter()
    failed = []
    with _exclusive(cache_dir):
        for i, key in enumerate(landscapes, 1):
            try:
                seconds = warm_landscape(key, args.optimizers, steps)
            except Exception:  # one broken landscape must not stop the others
                print(f"warmup: {key} failed:", file=sys.stderr)
                traceback.print_exc()
                failed.append(key)
                continue
            print(f"warmup: landscape {i}/{len(landscapes)} {key} in {seconds:.1f} s", flush=True)
        if args.pages or os.environ.get(PAGES_ENV) == "1":
            failed += warm_pages()
    print(f"warmup: done in {time.perf_counter() - total:.1f} s, cache {cache_dir}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
