"""Learning-rate schedules: lr(t) = base_lr * factor(t), t = 0, 1, 2, ... the step index.

The schedule's kind is a traced integer, so switching kinds (or any parameter) never recompiles.

- constant:     1
- step:         gamma ** floor(t / step_size)
- exponential:  gamma ** (t / step_size)                        (optax.exponential_decay)
- cyclical:     triangular between min_ratio and 1, period steps (Smith's CLR, starting at the top)
- cosine:       min_ratio + (1 - min_ratio) (1 + cos(pi min(t, T) / T)) / 2   (optax.cosine_decay_schedule)
and, on top of any of them, a linear warm-up: factor * min(1, (t + 1) / warmup_steps) when warmup_steps > 0.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

SCHEDULES = ("constant", "step", "exponential", "cyclical", "cosine")


def schedule_settings(kind="constant", gamma=0.5, step_size=100, period=100, min_ratio=0.01, total_steps=500, warmup_steps=0):
    """The schedule as a dict of arrays (what the compiled trajectory receives; NumPy, so building
    it dispatches nothing to the device)."""
    return {
        "kind": np.asarray(SCHEDULES.index(kind), np.int32),
        "gamma": np.asarray(float(gamma), np.float64),
        "step_size": np.asarray(float(max(step_size, 1)), np.float64),
        "period": np.asarray(float(max(period, 2)), np.float64),
        "min_ratio": np.asarray(float(min_ratio), np.float64),
        "total_steps": np.asarray(float(max(total_steps, 1)), np.float64),
        "warmup_steps": np.asarray(float(max(warmup_steps, 0)), np.float64),
    }


def schedule_factor(t, schedule):
    """factor(t) for the schedule dict; t may be an array."""
    t = jnp.asarray(t, jnp.float64)
    s = schedule
    gamma, min_ratio = s["gamma"], s["min_ratio"]
    constant = jnp.ones_like(t)
    step = gamma ** jnp.floor(t / s["step_size"])
    exponential = gamma ** (t / s["step_size"])
    phase = jnp.mod(t, s["period"]) / s["period"]
    cyclical = min_ratio + (1 - min_ratio) * jnp.abs(1 - 2 * phase)
    progress = jnp.minimum(t, s["total_steps"]) / s["total_steps"]
    cosine = min_ratio + (1 - min_ratio) * 0.5 * (1 + jnp.cos(jnp.pi * progress))
    factor = jnp.select(
        [s["kind"] == i for i in range(len(SCHEDULES))], [constant, step, exponential, cyclical, cosine]
    )
    warmup = jnp.where(s["warmup_steps"] > 0, jnp.minimum(1.0, (t + 1) / jnp.maximum(s["warmup_steps"], 1)), 1.0)
    return factor * warmup


def learning_rate(t, base_lr, schedule):
    """lr(t) = base_lr * factor(t)."""
    return base_lr * schedule_factor(t, schedule)
