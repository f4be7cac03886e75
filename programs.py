"""A bounded number of live compiled XLA programs in this process.

Every compiled CPU program holds a few hundred memory mappings and ~9 MB (see bench/PROGRAMS.md);
near 230 of them a process meets the kernel's default ``vm.max_map_count`` and XLA dies with
"Cannot allocate memory". A teaching server must survive any sequence of clicks, so the expensive
programs (trajectories, races, grids) are compiled ahead of time here and kept in one
least-recently-used table of at most ``MAX_PROGRAMS`` entries; the program that was used longest ago
is dropped when a new one arrives.

    compiled_call(function, static_args, dynamic_args)

looks the program up by (function, static arguments, shapes and dtypes of the dynamic arguments),
compiles it on a miss (reading JAX's persistent cache when one is configured), and runs it.

Why a fresh function per program: JAX's own caches keep every executable compiled from a traced
Python function alive as long as that function object lives (the tracing caches are keyed on it,
and hold the lowered module that keeps the executable; bench/PROGRAMS.md). So each program is
traced from a new closure over the static arguments, and the table holds only the compiled
program: evicting it lets the closure, its traces and its executable go, and the mappings with it. A call with new *values* of the same shapes reuses the program: sliders never recompile.

Every ``LOG_EVERY`` new programs a line goes to stderr with the live count and the process's
memory mappings, so a deployment can watch both.
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import functools
import inspect
import os
import sys
import threading
import time

#: XLA CPU flags that make each program one JIT-linked object instead of one per kernel: ~64 memory
#: mappings per program instead of ~150, and faster compiles (bench/PROGRAMS.md). Read when JAX
#: creates its CPU backend, so they are set here, at import, before any computation.
XLA_CPU_FLAGS = "--xla_cpu_use_fusion_emitters=false --xla_cpu_parallel_codegen_split_count=1"
if os.environ.get("OPTLAB_DEFAULT_XLA_FLAGS") != "1" and "xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + XLA_CPU_FLAGS).strip()

import jax  # noqa: E402
import numpy as np  # noqa: E402

#: At most this many compiled programs are held here. Mappings allowed ~100 (~155 each with the flags
#: above: far below the default limit of 65,530); memory sets the bound: in the 20-minute soak
#: (bench/SOAK.md) the server's RSS grew by ~12 MB per live program over a ~600 MB base and reached
#: 1.96-2.2 GB with 96 live, so 64 keep a server near 1.4 GB.
MAX_PROGRAMS = int(os.environ.get("OPTLAB_MAX_PROGRAMS", "64"))
LOG_EVERY = 10

_lock = threading.RLock()
_programs: "collections.OrderedDict[tuple, jax.stages.Compiled]" = collections.OrderedDict()
_stats = collections.Counter()


def _signature(args) -> tuple:
    """Shapes, dtypes and tree structure of the dynamic arguments: what a compiled program is for."""
    leaves, tree = jax.tree.flatten(args)
    return (tree, tuple(_leaf_signature(x) for x in leaves))


def _leaf_signature(x) -> tuple:
    if isinstance(x, (bool, int, float, complex)):  # Python scalars are weakly typed in JAX
        return ((), type(x).__name__)
    return (np.shape(x), str(getattr(x, "dtype", None) or np.result_type(x)))


def _is_traced(args) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(args))


def compiled_call(function, static_args: tuple, dynamic_args: tuple):
    """``function(*static_args, *dynamic_args)``, compiled once per (static args, argument shapes) and
    held in the bounded table. ``function`` is a plain (not jitted) module-level function; the static
    arguments must be hashable, the dynamic ones arrays, Python scalars or pytrees of them."""
    return _call(function, tuple(range(len(static_args))), static_args + tuple(dynamic_args))


def _call(function, static_argnums: tuple, args: tuple):
    static = tuple(args[i] for i in static_argnums)
    dynamic = tuple(a for i, a in enumerate(args) if i not in static_argnums)
    if _is_traced(dynamic):  # called while tracing another program: become part of it
        return function(*args)
    key = (function, static_argnums, static, _signature(dynamic))
    with _lock:
        program = _programs.get(key)
        if program is not None:
            _programs.move_to_end(key)
            _stats["hits"] += 1
    if program is None:
        program = _compile(function, static_argnums, static, dynamic)
        with _lock:
            _programs[key] = program
            _programs.move_to_end(key)
            _stats["compiled"] += 1
            while len(_programs) > MAX_PROGRAMS:
                _programs.popitem(last=False)
                _stats["evicted"] += 1
            evicted = _stats["evicted"]
            if _stats["compiled"] % LOG_EVERY == 0:
                print(f"programs: {len(_programs)} live (bound {MAX_PROGRAMS}), {_stats['compiled']} compiled, "
                      f"{_stats['evicted']} evicted, {memory_mappings()} memory mappings", file=sys.stderr)
        if evicted:
            _trim_soon()
    return program(*dynamic)


def _compile(function, static_argnums, static, dynamic):
    # Compiled outside the lock, so one session's compile does not hold up another's calls.
    n_args = len(static) + len(dynamic)

    def program_function(*dynamic_args):
        supplied, given = iter(static), iter(dynamic_args)
        return function(*(next(supplied) if i in static_argnums else next(given) for i in range(n_args)))

    program_function.__name__ = getattr(function, "__name__", "program")
    return jax.jit(program_function).lower(*dynamic).compile()


#: glibc keeps the heap pages that dropped programs (and closed sessions, evicted cache entries) freed,
#: so RSS stays at its high-water mark (bench/PROGRAMS.md: one malloc_trim(0) after 22 evictions took
#: 18.5 ms and gave back 38 MB). At most one trim per TRIM_INTERVAL seconds after evictions, and every
#: TRIM_INTERVAL seconds from the server's trimmer thread (keep_memory_trimmed).
TRIM_INTERVAL = 30.0
_trim = {"last": 0.0, "thread": None, "count": 0}


def _libc_malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
        return None


_MALLOC_TRIM = _libc_malloc_trim()


def release_free_memory() -> bool:
    """Give the heap's free pages back to the operating system (glibc ``malloc_trim(0)``). Returns
    False where the C library has no such call."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    with _lock:
        _trim["last"], _trim["count"] = time.monotonic(), _trim["count"] + 1
    return True


def _trim_soon() -> None:
    if time.monotonic() - _trim["last"] >= TRIM_INTERVAL:
        release_free_memory()


def keep_memory_trimmed(interval: float = TRIM_INTERVAL) -> None:
    """Start, once per process, a daemon thread that releases free heap memory every ``interval``
    seconds (the Streamlit server calls this: sessions close and caches evict between compiles too)."""
    with _lock:
        if _trim["thread"] is not None or _MALLOC_TRIM is None:
            return

        def loop() -> None:
            while True:
                time.sleep(interval)
                release_free_memory()

        _trim["thread"] = threading.Thread(target=loop, name="malloc-trim", daemon=True)
        _trim["thread"].start()


def bounded_jit(function=None, *, static_argnums=()):
    """Like ``jax.jit(function, static_argnums=...)``, but its programs live in the bounded table.

    Used as ``@bounded_jit`` or ``@bounded_jit(static_argnums=(0,))`` on module-level functions.
    """
    if function is None:
        return lambda f: bounded_jit(f, static_argnums=static_argnums)
    argnums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()  # every argument by position, defaults included
        return _call(function, argnums, tuple(bound.args))

    wrapper._cache_size = lambda: programs_for(function)  # the name jax.jit uses, for tests
    wrapper.unbounded = function
    return wrapper


def live_programs() -> int:
    """How many compiled programs this table holds now (≤ MAX_PROGRAMS)."""
    with _lock:
        return len(_programs)


def program_stats() -> dict:
    """Counters since the process started: compiled, evicted, hits; and the live count."""
    with _lock:
        return {**_stats, "live": len(_programs), "bound": MAX_PROGRAMS, "trims": _trim["count"]}


def programs_for(function) -> int:
    """Live programs of one function (tests: a slider move must not add one)."""
    with _lock:
        return sum(1 for key in _programs if key[0] is function)


def clear_programs() -> None:
    """Drop every held program (tests and benchmarks)."""
    with _lock:
        _programs.clear()


def memory_mappings() -> int:
    """Lines of /proc/self/maps: the count the kernel bounds by vm.max_map_count (-1 off Linux)."""
    try:
        with open("/proc/self/maps", "rb") as maps:
            return sum(1 for _ in maps)
    except OSError:
        return -1
