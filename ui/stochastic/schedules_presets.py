"""The Learning-rate schedules page's presets and challenges (widget keys as in pages/stochastic/schedules.py).

The numbers in the explanations were measured with the page's own computation at the preset's
settings (8 seeds from seed 0); tests/test_presets_schedules.py checks each one on the page."""

from __future__ import annotations

import numpy as np

from analysis.summary import finite_median
from ui.stochastic.compute import LANDSCAPES
from ui.controls import LEARNING_RATES, nearest
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "sched_landscape", "sched_n", "sched_noise", "sched_batch", "sched_lr", "sched_epochs", "sched_seeds",
    "sched_seed", "sched_choices", "sched_gamma", "sched_every", "sched_growth", "sched_cycle", "sched_min_ratio",
    "sched_warmup_epochs",
)


def _on(landscape: str, **values) -> dict:
    """A preset's values with the landscape and the one control whose default depends on it, η₀ (the
    page's default is twice the landscape's usual learning rate), spelled out: a preset then sets η₀ to
    what the page would show for that landscape, whatever was on screen."""
    return {"sched_landscape": landscape, "sched_lr": nearest(LEARNING_RATES, 2 * LANDSCAPES[landscape].default_lr),
            **values}


PRESETS = {
    "floor": Preset(
        "Constant η: a noise floor",
        "η₀ = 0.5: after the first epoch the constant η makes no more progress (its median L − L* hovers around 0.03), "
        "while cosine, which ends at 2 % of η₀, reaches ≈ 10⁻⁵ with a cloud of last iterates 35× tighter.",
        _on("linear_regression", sched_lr=0.5, sched_choices=["constant", "cosine"]),
    ),
    "mirror": Preset(
        "Step decay ↔ growing batch",
        "Halving η every 5 epochs and doubling B every 5 epochs lower η/B alike: both end near L − L* ≈ 7·10⁻⁵ "
        "(constant η: 10⁻²), but the growing batch takes 150 steps instead of 320.",
        _on("linear_regression", sched_choices=["constant", "step decay", "growing batch"]),
    ),
    "warmup": Preset(
        "Warm-up rescues a large η₀",
        "Tanh network, η₀ = 1.5: stable near the minimum (2/λ_max ≈ 1.54 there) but not at the start, where the "
        "saturated tanh gives λ_max ≈ 1.74; cosine diverges in 7 of 8 seeds, warm-up + cosine in none.",
        _on("two_layer_tanh", sched_lr=1.5, sched_choices=["cosine", "warm-up + cosine"]),
    ),
}

# ---- challenges ------------------------------------------------------------------------------

TARGET = 1e-5
MAX_GROWING_STEPS = 120
#: The problem both challenges fix (the page's defaults): name in the check's context -> (value, label).
FIXED = {
    "landscape": ("linear_regression", "the linear regression"),
    "n": (64, "the dataset size at N = 64"),
    "noise": (1.0, "the noise in the data at 1"),
    "lr": (0.2, "η₀ at 0.2"),
    "batch": (4, "B₀ at 4"),
    "epochs": (20, "the run at 20 epochs"),
}


def _problem_changed(context: dict, label: str) -> str | None:
    for name, (value, text) in FIXED.items():
        if context[name] != value:
            return f"Keep {text} for this challenge (set it up again to restore it)."
    if context["n_seeds"] < 8:
        return "Keep at least 8 seeds: the verdict is a median over seeds, not one lucky run."
    if label not in context["runs"]:
        return f"Add “{label}” to the schedules to compare."
    return None


def _offset_and_spread(run: dict, minimum) -> tuple[float, float]:
    """How far the mean of every seed's last iterates sits from the minimum (what the run has not yet
    travelled), and the median spread of each seed's last iterates (the noise cloud)."""
    centre = np.asarray(run["last_iterates"]).mean(axis=0)
    return float(np.linalg.norm(centre - np.asarray(minimum))), float(finite_median(run["jitter"]))


def _final_gap(run: dict, l_star: float) -> float:
    return float(finite_median(np.asarray(run["final_loss"]) - l_star))


def _step_decay(results, context):
    moved = _problem_changed(context, "step decay")
    if moved:
        return False, moved
    run = results["step decay"]
    if run["n_diverged"]:
        return False, f"Not yet: {run['n_diverged']} runs diverged."
    gap = _final_gap(run, context["l_star"])
    gamma, every = context["gamma"], context["every"]
    final = float(run["curve"][-1])
    if gap < TARGET:
        return True, (f"Solved: with γ = {gamma:g} every {every} epochs step decay ends at median L − L* = {gap:.2g} "
                      f"(final η = {final:.3g} η₀).")
    offset, spread = _offset_and_spread(run, context["minimum"])
    if offset > spread:
        hint = (f"the last iterates sit {offset:.2g} from the minimum, more than their own spread ({spread:.2g}): "
                f"η fell to {final:.3g} η₀ before the run got there. Decay later or by less")
    else:
        hint = (f"the last iterates surround the minimum in a cloud of spread {spread:.2g}, and that cloud scales with "
                f"the final η = {final:.3g} η₀. Decay further (a smaller γ or a shorter interval)")
    return False, f"Not yet: median L − L* = {gap:.2g}, {gap / TARGET:.3g}× the target; {hint}."


def _growing_batch(results, context):
    moved = _problem_changed(context, "growing batch")
    if moved:
        return False, moved
    run = results["growing batch"]
    if run["n_diverged"]:
        return False, f"Not yet: {run['n_diverged']} runs diverged."
    gap, steps = _final_gap(run, context["l_star"]), int(run["n_steps"])
    final_batch = int(run["batch_sizes"][-1])
    if gap < TARGET and steps <= MAX_GROWING_STEPS:
        return True, (f"Solved: growing B by ρ = {context['growth']:g} every {context['every']} epochs ends at median "
                      f"L − L* = {gap:.2g} in {steps} steps (final batch {final_batch}).")
    if steps > MAX_GROWING_STEPS:
        return False, (f"Not yet: {steps} steps, {steps - MAX_GROWING_STEPS} over the budget (L − L* = {gap:.2g}). An "
                       f"epoch at batch B takes ⌈64/B⌉ steps, so grow the batch sooner or by more.")
    offset, spread = _offset_and_spread(run, context["minimum"])
    if offset > spread:
        hint = (f"the last iterates sit {offset:.2g} from the minimum, more than their spread ({spread:.2g}): the batch "
                "grew before the cheap early steps had brought the run close. Grow later or by less")
    else:
        hint = (f"the last iterates jitter around the minimum (spread {spread:.2g}); the noise of a step scales like "
                f"η/B and B only reached {final_batch}. Grow it further")
    return False, f"Not yet: {steps} steps, but median L − L* = {gap:.2g}, {gap / TARGET:.3g}× the target; {hint}."


CHALLENGES = {
    "step_decay": Challenge(
        "Step decay below 10⁻⁵",
        "Linear regression, η₀ = 0.2, B₀ = 4, 20 epochs: choose the decay factor γ and the interval k so that step "
        "decay ends at a median L − L* below 10⁻⁵ (the constant η stalls near 10⁻²).",
        _on("linear_regression", sched_choices=["constant", "step decay"]),
        _step_decay,
    ),
    "growing_batch": Challenge(
        "Growing batch in ≤ 120 steps",
        "Same problem: choose the growth ρ and the interval k so that the growing batch ends at a median L − L* below "
        "10⁻⁵ within 120 steps (a constant B₀ = 4 takes 320 steps for the 20 epochs).",
        _on("linear_regression", sched_choices=["step decay", "growing batch"]),
        _growing_batch,
    ),
}
