"""What a compiled XLA program costs this CPU process, and what frees it: ``python -m bench.bench_programs``.

Issue 11: every compiled program adds ~290 memory mappings (/proc/self/maps) and ~9 MB RSS; at
``vm.max_map_count`` = 65530 XLA fails with ``LLVM compilation error: Cannot allocate memory``. This
benchmark compiles small *distinct* jitted ``lax.scan`` programs (an Adam trajectory on a 2-D loss with
a distinct constant baked in, the shape of the app's trajectory programs) and measures, each scenario in
its own fresh subprocess (so one scenario's leftovers never count in another's):

* ``jit``        mappings / RSS / compile time per program with plain ``jax.jit`` calls;
* ``aot_drop``   AOT ``jax.jit(f).lower(x).compile()`` kept only in a dict, then the dict deleted +
                 ``gc.collect()``; also whether JAX's ``_cached_compilation`` still holds it;
* ``jit_drop``   plain ``jax.jit`` functions, then the jitted functions deleted + ``gc.collect()``;
* ``clear_cache`` plain ``jax.jit``, then ``f.clear_cache()`` on each jitted function (+ del + gc);
* ``clear_caches`` plain ``jax.jit``, then ``jax.clear_caches()`` + gc (the jitted functions kept);
* ``lru``        an LRU of AOT executables of size ``--lru`` fed many more distinct programs: does the
                 mapping count plateau?
* ``persist``    programs loaded from JAX's persistent compilation cache (a second process);
* flag variants: the ``jit`` scenario under each candidate ``XLA_FLAGS`` setting.

Bounded: ``--n`` programs per scenario (default 30, at most 150 so one scenario stays well below the
map limit), a timeout per subprocess and an overall ``--time-limit``. Writes bench/results/programs.json
and prints a markdown table (the analysis is in bench/PROGRAMS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "programs.json"

#: XLA_FLAGS variants measured with the ``jit`` scenario (names found with ``strings`` on
#: jaxlib/libjax_common.so; see PROGRAMS.md).
FLAG_VARIANTS: dict[str, str] = {
    "default": "",
    "split_count=1": "--xla_cpu_parallel_codegen_split_count=1",
    "split_count=4": "--xla_cpu_parallel_codegen_split_count=4",
    "no_fusion_emitters": "--xla_cpu_use_fusion_emitters=false",
    "split=1+no_fusion_emitters": "--xla_cpu_parallel_codegen_split_count=1 --xla_cpu_use_fusion_emitters=false",
    "no_thunk_runtime": "--xla_cpu_use_thunk_runtime=false",
    "opt_level=0": "--xla_backend_optimization_level=0",
    "llvm_cheap_passes": "--xla_llvm_disable_expensive_passes=true",
    "split=1+no_fusion_emitters+no_xnnpack": "--xla_cpu_parallel_codegen_split_count=1 --xla_cpu_use_fusion_emitters=false --xla_cpu_use_xnnpack=false",
    "split=1+no_fusion_emitters+no_tiled": "--xla_cpu_parallel_codegen_split_count=1 --xla_cpu_use_fusion_emitters=false --xla_cpu_disable_tiled_emitter=true",
    "split=1+no_fusion_emitters+opt_level=0": "--xla_cpu_parallel_codegen_split_count=1 --xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0",
    "no_xnnpack": "--xla_cpu_use_xnnpack=false",
}


# --------------------------------------------------------------------------------------------------
# worker side (runs inside a fresh subprocess)
# --------------------------------------------------------------------------------------------------

def n_maps() -> int:
    with open("/proc/self/maps") as fh:
        return sum(1 for _ in fh)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def malloc_trim() -> float:
    """glibc's ``malloc_trim(0)`` (gives freed heap pages back to the OS); the RSS after it."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return rss_mb()


def snapshot() -> dict:
    return {"maps": n_maps(), "rss": round(rss_mb(), 1)}


def make_program(k: int, n_steps: int = 200):
    """A distinct program per ``k``: Adam on a Rosenbrock-like loss whose constant ``1 + k/1000`` is
    baked into the HLO, scanned ``n_steps`` steps, recording the loss and the iterate."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    a = 1.0 + k / 1000.0

    def loss(p):
        return (a - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2

    grad = jax.grad(loss)

    def run(p0, lr):
        def step(carry, _):
            p, m, v, t = carry
            g = grad(p)
            t = t + 1.0
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            mh = m / (1 - 0.9 ** t)
            vh = v / (1 - 0.999 ** t)
            p = p - lr * mh / (jnp.sqrt(vh) + 1e-8)
            return (p, m, v, t), (loss(p), p)

        zeros = jnp.zeros_like(p0)
        _, (losses, path) = lax.scan(step, (p0, zeros, zeros, 0.0), None, length=n_steps)
        return losses, path

    return run


def make_engine_like(k: int, n_steps: int = 100, n_samples: int = 32):
    """A self-contained copy of the *shape* of the app's trajectory program (optimizers/engine.py as of
    issue 11): per-sample ``vmap(value_and_grad)`` over a data set, a ``lax.cond`` between full batch and
    a shuffled minibatch (argsort-based weights), a Hessian (second-order optimizers), Adam/Newton
    update, the divergence-status bookkeeping, five recorded series, ``vmap`` over starts; the constant
    ``1 + k/1000`` and the step count are baked in, so every ``k`` is a distinct program. Kept here
    (not imported) so the benchmark does not move when the engine is redesigned."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    a = 1.0 + k / 1000.0
    second_order = k % 3 == 2

    def sample_loss(theta, x):
        return (a * x[0] - theta[0]) ** 2 + 100.0 * (theta[1] - theta[0] ** 2 + x[1]) ** 2

    per_sample = jax.vmap(jax.value_and_grad(sample_loss), in_axes=(None, 0))

    def weighted(theta, samples, w):
        return jnp.sum(w * jax.vmap(sample_loss, in_axes=(None, 0))(theta, samples))

    hessian = jax.hessian(weighted)

    def batch_weights(t, key, n, batch):
        u = jax.random.uniform(jax.random.fold_in(key, t // 4), (n,))
        place = jnp.argsort(jnp.argsort(u))
        k4 = t % 4
        chosen = ((place >= k4 * batch) & (place < (k4 + 1) * batch)).astype(jnp.float64)
        return chosen / jnp.maximum(jnp.sum(chosen), 1.0)

    def run_one(start, seed, samples, lr, batch, full):
        key = jax.random.PRNGKey(seed)
        n = samples.shape[0]

        def step(carry, t):
            theta, m, v, status, last = carry
            losses, grads = per_sample(theta, samples)
            loss = jnp.mean(losses)
            w = lax.cond(full, lambda: jnp.full((n,), 1.0 / n), lambda: batch_weights(t, key, n, batch))
            g = w @ grads
            g = g * jnp.minimum(1.0, 10.0 / (jnp.linalg.norm(g) + 1e-12))
            tf = t.astype(jnp.float64) + 1.0
            if second_order:
                H = hessian(theta, samples, w) + 1e-3 * jnp.eye(2)
                new = theta - lr * jnp.linalg.solve(H, g)
                m2, v2 = m, v
            else:
                m2 = 0.9 * m + 0.1 * g
                v2 = 0.999 * v + 0.001 * g * g
                new = theta - lr * (m2 / (1 - 0.9 ** tf)) / (jnp.sqrt(v2 / (1 - 0.999 ** tf)) + 1e-8)
            bad = jnp.where(~jnp.isfinite(loss), 1, jnp.where(~jnp.all(jnp.isfinite(new)), 2,
                                                                jnp.where(jnp.any(jnp.abs(new) > 1e3), 3, 0)))
            alive = status == 0
            status2 = jnp.where(alive, bad, status).astype(jnp.int32)
            rec = (jnp.where(alive, theta, last[0]), jnp.where(alive, loss, last[1]),
                   jnp.where(alive, jnp.linalg.norm(g), last[2]), lr * jnp.ones(()))
            keep = status2 == 0
            return (jnp.where(keep, new, theta), jnp.where(keep, m2, m), jnp.where(keep, v2, v), status2,
                    rec[:3]), rec

        zeros = jnp.zeros_like(start)
        init = (start, zeros, zeros, jnp.asarray(0, jnp.int32), (start, jnp.asarray(0.0), jnp.asarray(0.0)))
        (_, _, _, status, _), records = lax.scan(step, init, jnp.arange(n_steps + 1, dtype=jnp.int32))
        return records, status

    def run(starts, seeds, samples, lr, batch, full):
        return jax.vmap(run_one, in_axes=(0, 0, None, 0, None, None))(starts, seeds, samples, lr, batch, full)

    return run


def engine_programs(n: int):
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(0)
    args = (jnp.asarray([[-1.5, 2.0]]), jnp.asarray(np.zeros(1, np.uint32)),
            jnp.asarray(rng.normal(size=(32, 2))), jnp.asarray([1e-3]), jnp.asarray(8, jnp.int32),
            jnp.asarray(True))
    return [(make_engine_like(k), args) for k in range(n)]


def synthetic_programs(n: int):
    import jax.numpy as jnp

    p0 = jnp.array([-1.5, 2.0])
    return [(make_program(k), (p0, 1e-2)) for k in range(n)]


def _static_engine(k, *args):
    """A long-lived (module-level) function with the program's identity as a static argument: the
    pattern ``jax.jit(f, static_argnums=...)`` of the engine."""
    return make_engine_like(k)(*args)


def _static_synthetic(k, *args):
    return make_program(k)(*args)


def app_worker(scenario: str, n: int) -> dict:
    """The ``jit`` scenario through the app's public API, whatever the engine is today:
    ``run_trajectories`` for (step bucket, landscape, optimizer) in the order of issue 11. Reports the
    live-program counter if the engine has one (``live_programs()``)."""
    import gc

    import jax

    jax.config.update("jax_enable_x64", True)
    from landscapes import LANDSCAPES, get_landscape
    from optimizers import OPTIMIZERS, RunSettings, engine, run_trajectories

    if scenario != "jit":
        raise SystemExit("the app family only runs the jit scenario")
    combos = [(b, name, key) for b in engine.STEP_BUCKETS for name in LANDSCAPES for key in OPTIMIZERS]
    out: dict = {"scenario": scenario, "n": n, "xla_flags": os.environ.get("XLA_FLAGS", ""),
                 "jax": jax.__version__, "family": "app"}
    live = getattr(engine, "live_programs", None)
    b, name, key = combos[-1]
    landscape = get_landscape(name)
    run_trajectories(landscape, key, [landscape.default_start], RunSettings(n_steps=b))
    gc.collect()
    out["base"] = snapshot()
    compile_s, run_s, series = [], [], []
    for i, (b, name, key) in enumerate(combos[:n]):
        landscape = get_landscape(name)
        settings = RunSettings(n_steps=b)
        t0 = time.perf_counter()
        run_trajectories(landscape, key, [landscape.default_start], settings)
        compile_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_trajectories(landscape, key, [landscape.default_start], settings)
        run_s.append(time.perf_counter() - t0)
        if (i + 1) % 10 == 0:
            series.append({"programs": i + 1, **snapshot(), "live": live() if callable(live) else None})
    gc.collect()
    out["after_compile"] = snapshot()
    out["series"] = series
    out["compile_ms_median"] = round(1000 * sorted(compile_s)[len(compile_s) // 2], 1)
    out["run_us_median"] = round(1e6 * sorted(run_s)[len(run_s) // 2], 1)
    return out


def worker(scenario: str, n: int, lru: int, family: str = "engine") -> dict:
    import gc
    import weakref
    from collections import OrderedDict

    import jax

    jax.config.update("jax_enable_x64", True)
    from jax._src.interpreters import pxla

    if family == "app":
        return app_worker(scenario, n)
    programs = engine_programs(n + 1) if family == "engine" else synthetic_programs(n + 1)
    static_fn = _static_engine if family == "engine" else _static_synthetic
    args = programs[0][1]
    out: dict = {"scenario": scenario, "n": n, "xla_flags": os.environ.get("XLA_FLAGS", ""),
                 "jax": jax.__version__, "family": family}
    # warm-up: JAX's own small programs (array creation, etc.) and one more trajectory program
    fn, _ = programs.pop()
    jax.block_until_ready(jax.jit(fn)(*args))
    del fn
    gc.collect()
    out["base"] = snapshot()

    def cached() -> int | None:
        try:
            return pxla._cached_compilation.cache_info().currsize
        except Exception:  # noqa: BLE001
            return None

    def mark(key: str) -> None:
        gc.collect()
        out[key] = {**snapshot(), "cached_compilation": cached()}
        if key != "after_compile":
            out[key]["rss_after_malloc_trim"] = round(malloc_trim(), 1)

    def fresh():
        """The next distinct program as a fresh function object (nothing else holds it)."""
        return programs.pop(0)[0]

    if scenario in ("jit", "jit_drop", "clear_cache", "clear_caches", "persist_fill", "persist_load"):
        fns = []
        compile_s, run_s = [], []
        for _ in range(n):
            f = jax.jit(fresh())
            t0 = time.perf_counter()
            jax.block_until_ready(f(*args))
            compile_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for _ in range(5):
                jax.block_until_ready(f(*args))
            run_s.append((time.perf_counter() - t0) / 5)
            fns.append(f)
        del f
        mark("after_compile")
        out["compile_ms_median"] = round(1000 * sorted(compile_s)[len(compile_s) // 2], 1)
        out["run_us_median"] = round(1e6 * sorted(run_s)[len(run_s) // 2], 1)
        if scenario == "jit_drop":
            fns.clear()
            mark("after_del_fns")
        elif scenario == "clear_cache":
            for f in fns:
                f.clear_cache()
            del f
            mark("after_clear_cache_fns_kept")
            fns.clear()
            mark("after_del_fns")
        elif scenario == "clear_caches":
            jax.clear_caches()
            mark("after_clear_caches_fns_kept")
            fns.clear()
            mark("after_del_fns")

    elif scenario in ("aot_drop", "aot_fn_kept"):
        held, fns, refs = {}, [], []
        for k in range(n):
            fn = fresh()
            compiled = jax.jit(fn).lower(*args).compile()
            jax.block_until_ready(compiled(*args))
            held[k] = compiled
            if scenario == "aot_fn_kept":
                fns.append(fn)
            try:
                refs.append(weakref.ref(compiled._executable.xla_executable))
            except (TypeError, AttributeError):
                pass
        del compiled, fn
        mark("after_compile")
        held.clear()
        mark("after_del_compiled")
        out["executables_alive"] = sum(r() is not None for r in refs) if refs else None
        if scenario == "aot_fn_kept":
            jax.clear_caches()
            mark("after_clear_caches")
            out["executables_alive_after_clear_caches"] = sum(r() is not None for r in refs) if refs else None
            fns.clear()
            mark("after_del_fns")

    elif scenario == "aot_static":
        jitted = jax.jit(static_fn, static_argnums=0)
        held = {}
        for k in range(n):
            held[k] = jitted.lower(k, *args).compile()
            jax.block_until_ready(held[k](*args))
        mark("after_compile")
        held.clear()
        mark("after_del_compiled")
        jitted.clear_cache()
        mark("after_jitted_clear_cache")
        jax.clear_caches()
        mark("after_clear_caches")

    elif scenario in ("lru", "lru_static_evict", "lru_static_clear"):
        # an LRU of compiled executables of size ``lru`` fed ``n`` distinct programs
        cache: OrderedDict[int, object] = OrderedDict()
        jitted = jax.jit(static_fn, static_argnums=0)
        series = []
        t_start = time.perf_counter()
        for k in range(n):
            if scenario == "lru":
                compiled = jax.jit(fresh()).lower(*args).compile()  # fresh function: dies with the entry
            else:
                compiled = jitted.lower(k, *args).compile()
            jax.block_until_ready(compiled(*args))
            cache[k] = compiled
            del compiled
            evicted = False
            while len(cache) > lru:
                cache.popitem(last=False)
                evicted = True
            if evicted and scenario == "lru_static_clear":
                jitted.clear_cache()
            if (k + 1) % 10 == 0:
                gc.collect()
                series.append({"programs": k + 1, "live": len(cache), **snapshot(), "cached_compilation": cached()})
        # the live entries still run after the evictions
        for c in cache.values():
            jax.block_until_ready(c(*args))
        out["series"] = series
        out["lru"] = lru
        out["seconds"] = round(time.perf_counter() - t_start, 1)
        mark("after_compile")
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    return out


# --------------------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------------------

def run_worker(scenario: str, n: int, flags: str = "", lru: int = 10, env_extra: dict | None = None,
               timeout: float = 300, family: str = "engine") -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": flags, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    cmd = [sys.executable, "-m", "bench.bench_programs", "--worker", scenario, "--n", str(n), "--lru", str(lru),
           "--family", family]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"scenario": scenario, "xla_flags": flags, "error": f"timeout after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"scenario": scenario, "xla_flags": flags, "error": (proc.stderr or proc.stdout)[-600:]}
    result = json.loads(lines[-1])
    result["wall_s"] = round(wall, 1)
    return result


def per_program(r: dict, key: str = "after_compile") -> tuple[float, float]:
    n = r.get("n") or 1
    return ((r[key]["maps"] - r["base"]["maps"]) / n, (r[key]["rss"] - r["base"]["rss"]) / n)


def describe(r: dict) -> str:
    if "error" in r:
        return f"| {r['scenario']} | `{r.get('xla_flags', '')}` | error: {r['error'][-300:]!r} | | | | |"
    m, mb = per_program(r)
    parts = [f"base {r['base']['maps']} maps / {r['base']['rss']:.0f} MB",
             f"{r['n']} programs: {r['after_compile']['maps']} / {r['after_compile']['rss']:.0f} MB"]
    for key, value in r.items():
        if key.startswith("after_") and key != "after_compile" and isinstance(value, dict):
            parts.append(f"{key[6:]}: {value['maps']} / {value['rss']:.0f} MB"
                         f" (trim {value.get('rss_after_malloc_trim', float('nan')):.0f})")
    if "series" in r:
        parts.append(f"LRU {r.get('lru')}, maps every 10 programs: " + " ".join(str(x["maps"]) for x in r["series"])
                     + "; RSS: " + " ".join(f"{x['rss']:.0f}" for x in r["series"]) + f"; {r.get('seconds', '')} s")
    if "cache_files" in r:
        parts.append(f"{r['cache_files']} files in the persistent cache")
    timing = f"{r.get('compile_ms_median', '')} | {r.get('run_us_median', '')}"
    return f"| {r['scenario']} | `{r['xla_flags']}` | {m:.0f} | {mb:.1f} | {timing} | {'; '.join(parts)} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=20, help="distinct programs per scenario (at most 150)")
    parser.add_argument("--lru", type=int, default=10, help="LRU size of the lru scenario")
    parser.add_argument("--lru-n", type=int, default=60, help="programs fed to the LRU (at most 400)")
    parser.add_argument("--only", default="", help="comma-separated subset: drop,flags,lru,persist")
    parser.add_argument("--flags", default="", help="comma-separated subset of flag variant names")
    parser.add_argument("--family", default="engine", choices=("engine", "synthetic", "app"),
                        help="engine: a copy of the app's trajectory program's shape; synthetic: a small Adam scan")
    parser.add_argument("--time-limit", type=float, default=900.0, help="overall limit, seconds")
    args = parser.parse_args()
    n = max(1, min(args.n, 150))
    if args.worker:
        print(json.dumps(worker(args.worker, n if not args.worker.startswith("lru") else max(1, min(args.n, 400)), args.lru,
                                args.family)))
        return 0

    deadline = time.time() + args.time_limit
    only = set(filter(None, args.only.split(","))) or {"drop", "flags", "lru", "persist"}
    results: list[dict] = []

    def go(*a, **kw):
        if time.time() > deadline:
            print("out of time, skipping", a[0], file=sys.stderr)
            return
        kw.setdefault("timeout", max(30.0, min(400.0, deadline - time.time())))
        kw.setdefault("family", args.family)
        r = run_worker(*a, **kw)
        results.append(r)
        print(describe(r), flush=True)

    print("| scenario | XLA_FLAGS | maps / program | MB / program | compile ms (median) | run µs (median) | details |")
    print("|---|---|---|---|---|---|---|")
    if "drop" in only:
        for scenario in ("aot_drop", "aot_fn_kept", "aot_static", "jit_drop", "clear_cache", "clear_caches"):
            go(scenario, n)
    if "flags" in only:
        names = [x for x in args.flags.split(",") if x] or list(FLAG_VARIANTS)
        for name in names:
            go("jit", n, FLAG_VARIANTS[name])
    if "lru" in only:
        for scenario in ("lru", "lru_static_evict", "lru_static_clear"):
            go(scenario, max(1, min(args.lru_n, 400)), lru=args.lru)
    if "persist" in only:
        with tempfile.TemporaryDirectory(prefix="jaxcache-") as cache_dir:
            env = {"JAX_COMPILATION_CACHE_DIR": cache_dir, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                   "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
            go("persist_fill", n, env_extra=env)
            go("persist_load", n, env_extra=env)
            results[-1]["cache_files"] = len(list(Path(cache_dir).iterdir()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    # merge with earlier runs (one entry per scenario and flag set), so subsets can be run separately
    try:
        earlier = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        earlier = []
    fresh = {(r["scenario"], r.get("xla_flags", ""), r.get("family")) for r in results}
    merged = [r for r in earlier if (r["scenario"], r.get("xla_flags", ""), r.get("family")) not in fresh] + results
    RESULTS.write_text(json.dumps(merged, indent=1))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
