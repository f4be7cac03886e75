"""The Playground's presets and challenges (widget keys as in ui/controls.py)."""

from __future__ import annotations

import numpy as np

from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "landscape", "optimizers", "lr", "momentum", "beta1", "beta2", "eps", "wd", "newton_lr", "damping",
    "schedule", "gamma", "step_size", "period", "min_ratio", "warmup", "clip", "clip_norm", "batch", "sampling",
    "seed", "steps", "landscape_lam1", "landscape_lam2", "landscape_angle",
    "start_x_quadratic", "start_y_quadratic", "start_x_saddle", "start_y_saddle", "start_x_cliff", "start_y_cliff",
    "start_x_rosenbrock", "start_y_rosenbrock",
)

PRESETS = {
    "corridor": Preset(
        "Ill-conditioned corridor",
        "κ = 100: GD must keep η below 2/100 and then crawls along the corridor; momentum and Adam do better.",
        {"landscape": "quadratic", "landscape_lam1": 1.0, "landscape_lam2": 100.0, "optimizers": ["sgd", "momentum", "nesterov", "adam"],
         "lr": 0.015, "momentum": 0.8, "steps": 300},
    ),
    "newton_saddle": Preset(
        "Newton at a saddle",
        "On x² − y² Newton jumps straight onto the saddle point; saddle-free Newton (|H|) runs downhill instead.",
        {"landscape": "saddle", "optimizers": ["sgd", "newton", "saddle_free_newton"], "lr": 0.1,
         "start_x_saddle": -1.5, "start_y_saddle": 0.3, "steps": 50},
    ),
    "too_large": Preset(
        "Too large a learning rate",
        "η = 0.15 > 2/λ_max = 0.1: every step overshoots the steep direction a little more.",
        {"landscape": "quadratic", "optimizers": ["sgd"], "lr": 0.15, "steps": 100},
    ),
    "cliff": Preset(
        "Cliff, no clipping",
        "One step on the cliff's wall throws GD far across the map; switch on clipping to tame it.",
        {"landscape": "cliff", "optimizers": ["sgd", "momentum"], "lr": 0.1, "momentum": 0.5, "steps": 200},
    ),
    "minibatch": Preset(
        "Noisy minibatches",
        "Batches of 4 out of 64 samples: SGD jitters around the minimum instead of settling.",
        {"landscape": "quadratic", "optimizers": ["sgd", "momentum", "adam"], "lr": 0.03, "batch": 4, "steps": 400},
    ),
}


def _momentum_fast(results, context):
    if context["landscape"] != "quadratic" or "momentum" not in results:
        return False, "Race Momentum on the quadratic corridor."
    if tuple(context["settings"].get("eigenvalues", ())) != (1.0, 20.0):
        return False, "Keep the corridor's curvatures at λ = 1 and 20."
    losses = results["momentum"].losses(0)
    hits = np.flatnonzero(losses < 1e-6)
    if hits.size and hits[0] <= 30:
        return True, f"Solved: Momentum reached loss {losses[hits[0]]:.2e} at step {hits[0]}."
    best = f"its loss after 30 steps is {losses[min(30, len(losses) - 1)]:.2e}"
    return False, f"Not yet: {best}. Theory says the best β is about ((√κ − 1)/(√κ + 1))² ≈ 0.40 with η ≈ 0.13."


def _gd_in_50(results, context):
    if context["landscape"] != "quadratic" or "sgd" not in results:
        return False, "Race GD / SGD on the quadratic corridor."
    if tuple(context["settings"].get("eigenvalues", ())) != (1.0, 10.0):
        return False, "Keep the corridor's curvatures at λ = 1 and 10 (κ = 10)."
    losses = results["sgd"].losses(0)
    hits = np.flatnonzero(losses < 1e-6)
    if hits.size and hits[0] < 50:
        return True, f"Solved: with η = {context['run'].lr:g}, GD reached loss {losses[hits[0]]:.2e} at step {hits[0]}."
    final = losses[min(49, len(losses) - 1)]
    if context["run"].lr >= 0.2 - 1e-12 or not np.isfinite(final):
        hint = "the steps overshoot across the corridor: at η ≥ 2/λ_max = 0.2 the steep direction never settles"
    else:
        hint = "the slow direction still dominates; the best fixed η balances both, η = 2/(λ_min + λ_max) ≈ 0.18"
    return False, f"Not yet: after 50 steps the loss is {final:.2e}; {hint}."


def _cliff_tamed(results, context):
    if context["landscape"] != "cliff" or "sgd" not in results:
        return False, "Race GD / SGD on the cliff."
    if context["run"].lr < 0.1:
        return False, "Keep η at 0.1 or above: the point is to tame the jump, not to tiptoe."
    traj = results["sgd"]
    path = traj.path(0)
    jump = float(np.max(np.linalg.norm(np.diff(path, axis=0), axis=1))) if len(path) > 1 else 0.0
    near = float(np.hypot(path[-1, 0] - 1.5, path[-1, 1]))
    if jump < 1.0 and near < 0.05 and not traj.diverged(0):
        return True, f"Solved: the longest step was {jump:.3f} and GD ended {near:.3f} from the minimum."
    return False, f"Not yet: the longest step was {jump:.3g} (must stay below 1) and GD ended {near:.3g} from the minimum."


CHALLENGES = {
    "gd_50": Challenge(
        "GD to 10⁻⁶ in under 50 steps",
        "On the κ = 10 corridor, find a learning rate with which plain GD reaches loss < 10⁻⁶ in under 50 steps.",
        {"landscape": "quadratic", "landscape_lam1": 1.0, "landscape_lam2": 10.0, "optimizers": ["sgd"], "lr": 0.01,
         "steps": 100},
        _gd_in_50,
    ),
    "momentum": Challenge(
        "Momentum in under 30 steps",
        "On the κ = 20 corridor, choose η and β so that Momentum's loss falls below 10⁻⁶ within 30 steps.",
        {"landscape": "quadratic", "optimizers": ["sgd", "momentum"], "steps": 60},
        _momentum_fast,
    ),
    "cliff": Challenge(
        "Tame the cliff",
        "With GD at η ≥ 0.1 on the cliff, reach the minimum (within 0.05) without any step longer than 1.",
        {"landscape": "cliff", "optimizers": ["sgd"], "lr": 0.1, "steps": 300},
        _cliff_tamed,
    ),
}
