"""The Conditioning page's presets and challenges (widget keys as in pages/curvature/conditioning.py).

The checks read the page's own runs: ``results`` holds the gradient-descent run of the sidebar's
settings ("gd") and the momentum run of the momentum section ("momentum"); ``context`` holds the
settings and the page's ``QuadraticReadouts`` (see the page for how they are built).
"""

from __future__ import annotations

import numpy as np

from analysis import conditioning as cond
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "cond_form", "cond_alpha1", "cond_alpha2", "cond_kappa", "cond_lam_max", "cond_angle", "cond_lr_rule", "cond_lr",
    "cond_steps", "cond_mom_optimal", "cond_mom_lr", "cond_mom_beta", "cond_map_side",
)

PRESETS = {
    "corridor": Preset(
        "Ill-conditioned corridor",
        "κ = 100: even at its best η, GD keeps 98% of its error every step (about 690 steps to shrink it 10⁶×), "
        "while momentum at its optimal η and β measures about 0.82 per step and gets there in under 100.",
        {"cond_form": "rotated", "cond_kappa": 100.0, "cond_lam_max": 20.0, "cond_lr_rule": "optimal", "cond_steps": 800},
    ),
    "too_large": Preset(
        "Too large a learning rate",
        "η = 0.15 is above 2/λ_max = 0.1: along the steep direction |1 − ηλ| = 2, so that error doubles and flips "
        "sign every step, and after 18 steps the run leaves the bounded region and stops.",
        {"cond_form": "separable", "cond_alpha1": 0.5, "cond_alpha2": 10.0, "cond_lr_rule": "manual", "cond_lr": 0.15},
    ),
    "notes_lr": Preset(
        "The lecture's η zig-zags",
        "η = 0.99/α_max sits just inside the limit: the steep error flips sign every step and shrinks only by 0.98, "
        "so at κ = 20 the steep direction, not the flat one (0.90), sets the pace: about 680 steps for 10⁶×.",
        {"cond_form": "separable", "cond_alpha1": 0.5, "cond_alpha2": 10.0, "cond_lr_rule": "notes"},
    ),
    "round": Preset(
        "Round bowl (κ = 1)",
        "With equal curvatures the optimal η = 1/λ cancels the error in every direction at once: "
        "gradient descent lands on the minimum in a single step.",
        {"cond_form": "separable", "cond_alpha1": 0.5, "cond_alpha2": 0.5, "cond_lr_rule": "optimal"},
    ),
}

#: Challenges whose verdict belongs in the momentum section (its controls are there); others go on top.
MOMENTUM_CHALLENGES = {"momentum"}

GD_GOAL, GD_STEPS = 1e-6, 50
MOMENTUM_GOAL, MOMENTUM_STEPS = 1e-6, 100


def _same_spectrum(context, expected) -> bool:
    return np.allclose(sorted(context["eigenvalues"]), sorted(expected), rtol=1e-9)


def _gd_in_50(results, context):
    """GD with a hand-set η reaches loss < 1e-6 before step 50 on the bowl with λ = 1 and 10."""
    if context["rule"] != "manual":
        return False, "Choose the rule 'set by hand' and pick η yourself: the optimal rule would do the thinking for you."
    if not _same_spectrum(context, (1.0, 10.0)):
        lam = sorted(context["eigenvalues"])
        return False, f"Keep the bowl at λ = 1 and 10 (α₁ = 0.5, α₂ = 5); it now has λ = {lam[0]:g}, {lam[1]:g}."
    r, lr = context["readouts"], context["lr"]
    traj = results["gd"]
    losses = traj.losses(0)
    hits = np.flatnonzero(losses < GD_GOAL)
    if hits.size and hits[0] < GD_STEPS:
        return True, (f"Solved: with η = {lr:g}, GD reached loss {losses[hits[0]]:.2e} at step {hits[0]}; "
                      f"the slowest direction shrinks by max|1 − ηλᵢ| = {r.rate:.3f} per step.")
    if traj.diverged(0) or r.rate >= 1.0:
        return False, (f"Not yet: at η = {lr:g} the steep direction has |1 − ηλ_max| = {r.contraction[-1]:.3g} ≥ 1, "
                       f"so its error never shrinks (the loss at the end of the run is {losses[-1]:.3g}). "
                       f"Stay below 2/λ_max = {r.stable_lr_limit:.3g}.")
    if len(losses) < GD_STEPS:
        return False, f"Not yet: the run has only {len(losses) - 1} steps; raise Steps to at least {GD_STEPS}."
    at_goal = losses[GD_STEPS - 1]
    slow = "flat" if r.flattest_rate >= r.contraction[-1] else "steep"
    return False, (f"Not yet: after {GD_STEPS - 1} steps the loss is {at_goal:.2e}, {at_goal / GD_GOAL:.3g}× the goal. "
                   f"At η = {lr:g} the {slow} direction is the slow one: the error shrinks by "
                   f"|1 − ηλ_min| = {r.flattest_rate:.3f} along the flat direction and |1 − ηλ_max| = {r.contraction[-1]:.3f} "
                   "along the steep one. Look for the η that makes the larger of the two as small as possible.")


def _momentum_by_hand(results, context):
    """Heavy ball with a hand-set (η, β) brings the distance below 1e-6 of the start within 100 steps, κ = 100."""
    if context["use_optimal"]:
        return False, "Switch off 'Use the optimal η and β' and set them yourself (typing them or clicking the rate map)."
    if not _same_spectrum(context, (0.2, 20.0)):
        lam = sorted(context["eigenvalues"])
        return False, f"Keep the corridor at λ = 0.2 and 20 (κ = 100, λ_max = 20); it now has λ = {lam[0]:g}, {lam[1]:g}."
    r, lr, beta = context["readouts"], context["mom_lr"], context["mom_beta"]
    traj = results["momentum"]
    if traj.diverged(0):
        return False, (f"Not yet: momentum diverged. η λ_max = {lr * r.eigenvalues[-1]:.3g} must stay below "
                       f"2(1 + β) = {2 * (1 + beta):.3g}.")
    distance = np.linalg.norm(traj.path(0), axis=-1)
    relative = distance / distance[0]
    hits = np.flatnonzero(relative <= MOMENTUM_GOAL)
    gd_steps = r.steps_to_shrink(MOMENTUM_GOAL, r.optimal_rate)
    if hits.size and hits[0] <= MOMENTUM_STEPS:
        return True, (f"Solved: with η = {lr:.4g}, β = {beta:.3f} momentum is within 10⁻⁶ of its starting distance at "
                      f"step {hits[0]}; GD at its best η needs about {gd_steps:.0f} steps.")
    if len(relative) <= MOMENTUM_STEPS:
        return False, f"Not yet: the momentum run has only {len(relative) - 1} steps; raise Steps to at least {MOMENTUM_STEPS}."
    rate = float(cond.heavy_ball_rate(lr, beta, r.eigenvalues))
    return False, (f"Not yet: after {MOMENTUM_STEPS} steps the distance is {relative[MOMENTUM_STEPS]:.2e} of the start "
                   f"(goal 10⁻⁶). This (η, β) has the predicted rate {rate:.3f} per step; the best possible is "
                   f"(√κ − 1)/(√κ + 1) = {r.momentum_optimal_rate:.3f}, reached with β = ((√κ − 1)/(√κ + 1))² and "
                   "η = 4/(√λ_max + √λ_min)². The rate map's darkest cells show where it is.")


CHALLENGES = {
    "gd_50": Challenge(
        "GD to 10⁻⁶ in under 50 steps",
        "On the bowl with λ = 1 and 10 (κ = 10), set η by hand so that gradient descent reaches loss < 10⁻⁶ "
        "in under 50 steps.",
        {"cond_form": "separable", "cond_alpha1": 0.5, "cond_alpha2": 5.0, "cond_lr_rule": "manual", "cond_lr": 0.07,
         "cond_steps": 100},
        _gd_in_50,
    ),
    "momentum": Challenge(
        "Momentum through the corridor",
        "On the κ = 100 corridor, set momentum's η and β by hand so that its distance to the minimum falls below "
        "10⁻⁶ of where it started within 100 steps (GD at its best η needs about 690).",
        {"cond_form": "rotated", "cond_kappa": 100.0, "cond_lam_max": 20.0, "cond_mom_optimal": False,
         "cond_mom_lr": 0.1, "cond_mom_beta": 0.5, "cond_steps": 150},
        _momentum_by_hand,
    ),
}
