"""Moving a slider on the Playground never traces or compiles a JAX program again."""

from __future__ import annotations

from pathlib import Path

import jax.monitoring
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

# (widget kind, key, a value used to warm up, a new value that must reuse compiled code)
MOVES = [
    ("select_slider", "lr", 0.05, 0.03),
    ("slider", "momentum", 0.8, 0.7),
    ("slider", "beta1", 0.8, 0.85),
    ("select_slider", "beta2", 0.99, 0.95),
    ("select_slider", "eps", 1e-6, 1e-7),
    ("slider", "newton_lr", 0.9, 0.8),
    ("selectbox", "schedule", "cosine", "exponential"),
    ("slider", "gamma", 0.6, 0.7),
    ("slider", "warmup", 5, 8),
    ("toggle", "clip", True, False),
    ("select_slider", "clip_norm", 2.0, 5.0),
    ("slider", "batch", 16, 8),
    ("selectbox", "sampling", "replacement", "sorted"),
    ("number_input", "seed", 3, 4),
    ("number_input", "start_x_quadratic", -2.0, -1.5),
    ("number_input", "start_y_quadratic", 1.5, 1.0),
    ("select_slider", "landscape_lam2", 10.0, 50.0),
    ("slider", "landscape_angle", 10, 60),
    ("slider", "landscape_quadratic_noise", 2.0, 0.5),
    ("session_state", "step", 50, 20),  # the server's step (a link's ?step=); scrubbing itself is in the browser
]


def move(at, kind, key, value) -> None:
    if kind == "session_state":
        at.session_state[key] = value
        at.run()
    else:
        getattr(at, kind)(key=key).set_value(value).run()


def test_slider_moves_reuse_compiled_programs():
    events = []

    def listener(event, duration, **kwargs):
        if event in (TRACE_EVENT, COMPILE_EVENT):
            events.append(event)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    for kind, key, warm, _ in MOVES:  # first visit of each setting may compile (e.g. a new path length)
        move(at, kind, key, warm)
    assert not at.exception
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        for kind, key, _, new in MOVES:
            move(at, kind, key, new)
            assert not at.exception, key
            assert not events, f"moving {key} traced or compiled a JAX program: {events}"
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
