"""Presets and challenges of the Saddles and cliffs page (widget keys as in pages/nonconvex/saddles_and_cliffs.py).

Each preset sets up one of the page's four sections; each challenge belongs to one section, and the page
shows its verdict in that section.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.cliffs import step_lengths
from analysis.high_dim_saddle import HD_STEPS, minimum_loss
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "sc_lr", "sc_offset", "sc_newton_lr",  # 1. the 2-D saddle
    "sc_d", "sc_k", "sc_mu", "sc_hd_lr",  # 2. the saddle in d dimensions
    "sc_cliff_lr", "sc_cliff_gap", "sc_clip_norm", "sc_clip_value",  # 3. the cliff
    "sc_lam1", "sc_lam2", "sc_angle1", "sc_angle2", "sc_n",  # 4. powers of W
)

PRESETS = {
    "newton_saddle": Preset(
        "Newton at a saddle",
        "Started 10⁻⁴ off the ridge, Newton lands on the saddle in one step (|θ| ≈ 10⁻¹⁷) and stays; GD is still "
        "only 0.03 from it after 60 steps, while saddle-free Newton leaves the plotted region by step 26.",
        {"sc_offset": 1e-4},
    ),
    "many_down": Preset(
        "Many ways down (d = 64)",
        "With 32 of 64 directions curving down as steeply as the rest curve up (μ = 1), about half of all random "
        "directions lead downhill (49 %): every first-order method escapes in all 32 runs, Newton in none.",
        {"sc_d": 64, "sc_k": 32, "sc_mu": 1.0},
    ),
    "cliff": Preset(
        "Cliff: clip or not",
        "At η = 0.1 the unclipped step off the wall is 23 long, far past the minimum; clipping the norm at c = 1 "
        "keeps every step within η c = 0.1 and GD walks down to about 0.01 from the minimum.",
        {"sc_cliff_lr": 0.1},
    ),
    "vanishing": Preset(
        "Vanishing Wⁿ",
        "With λ₁ = 0.9 and λ₂ = −0.5 on orthogonal eigenvectors, ‖W⁵⁰‖ = 0.9⁵⁰ ≈ 0.005: a signal (or a gradient) "
        "passed through 50 time steps keeps half a percent of its size; the state's part along eigenvector 2 halves "
        "and changes side at every step.",
        {"sc_lam1": 0.9, "sc_lam2": -0.5, "sc_angle1": 60, "sc_angle2": 150},
    ),
}

ESCAPE_SETTING = {"d": 10, "k": 1, "mu": 0.1}
ESCAPE_BUDGET = 50  # median steps
CLIFF_MAX_STEP = 0.1
CLIFF_TOLERANCE = 1e-3
CLIFF_CURVATURES = (0.5, 1.0)  # the cliff's bowl 1/4 ((x - 1.5)² + 2 y²): Hessian diag(0.5, 1)


def _escape(results, context):
    d, k, mu = ESCAPE_SETTING["d"], ESCAPE_SETTING["k"], ESCAPE_SETTING["mu"]
    if (context["d"], context["k"], context["mu"]) != (d, k, mu):
        return False, f"Set the saddle back to d = {d}, k = {k}, μ = {mu:g}: the learning rate is the only knob."
    runs = results["sgd"]
    lr = context["lr"]
    steps = runs.escape_steps(0.5 * minimum_loss(k, mu))
    escaped, diverged = int((steps >= 0).sum()), int((~runs.alive[:, -1]).sum())
    n = len(steps)
    median = float(np.median(steps[steps >= 0])) if escaped else math.inf
    if escaped == n and not diverged and median <= ESCAPE_BUDGET:
        return True, (f"Solved: with η = {lr:g} GD escaped in all {n} runs, after a median of {median:.0f} steps; each "
                      f"step multiplied the downhill coordinate by 1 + ημ = {1 + lr * mu:.3g}.")
    if diverged:
        factor = f"{1 - lr:.3g}".replace("-", "−")
        return False, (f"Not yet: {diverged} of {n} runs diverged. Along the {d - k} upward directions (curvature 1) "
                       f"each step multiplies a coordinate by 1 − η = {factor}, and |1 − η| > 1 once η > 2/λ = 2.")
    estimate = math.log(math.sqrt(mu) / 1e-3) / math.log1p(lr * mu)
    done = (f"all {n} runs escaped, but after a median of {median:.0f} steps" if escaped == n else
            f"only {escaped} of {n} runs escaped within {HD_STEPS} steps")
    return False, (f"Not yet: {done} (goal: at most {ESCAPE_BUDGET}). Each step multiplies the downhill coordinate by "
                   f"1 + ημ = {1 + lr * mu:.3g}, so growing from |x| ≈ 10⁻³ to the minimum at √μ ≈ {math.sqrt(mu):.2f} "
                   f"takes about ln({math.sqrt(mu) / 1e-3:.0f}) / ln(1 + ημ) ≈ {estimate:.0f} steps; the upward directions "
                   "set the limit on η.")


def _cliff(results, context):
    traj = results["clip by norm"]
    lr, cap = context["lr"], context["clip_norm"]
    longest = float(step_lengths(traj.path(0)).max())
    end = traj.path(0)[-1]
    distance = float(np.linalg.norm(end - np.asarray(context["minimum"])))
    short = longest <= CLIFF_MAX_STEP * (1 + 1e-9)
    close = distance <= CLIFF_TOLERANCE and not traj.diverged(0)
    if short and close:
        return True, (f"Solved: with η = {lr:g} and c = {cap:g} the longest step was {longest:.3g} (at most η c = "
                      f"{lr * cap:.3g}) and GD ended {distance:.2g} from the minimum.")
    problems = []
    if not short:
        problems.append(f"the longest step was {longest:.3g}, more than {CLIFF_MAX_STEP:g}: a norm-clipped GD step is "
                        f"at most η c = {lr * cap:.3g} long")
    if not close:
        way = float(np.linalg.norm(np.asarray(context["minimum"]) - np.asarray(context["start"])))
        reach = context["steps"] * lr * cap
        if reach < way:
            hint = (f"{context['steps']} steps of at most η c = {lr * cap:.3g} cover at most {reach:.3g}, less than the "
                    f"way from the start to the minimum ({way:.2f})")
        else:
            factor = max(abs(1 - lr * c) for c in CLIFF_CURVATURES)
            hint = ("near the minimum |g| < c, so clipping is off, and the bowl curves 0.5 along x and 1 along y: each "
                    f"plain GD step shrinks the distance by a factor max(|1 − η/2|, |1 − η|) = {factor:.3g}")
            hint += (": a larger η closes in faster" if factor < 1 else
                     f", not below 1, because η is above 2/λ_max = {2 / max(CLIFF_CURVATURES):g}")
        problems.append(f"GD ended {distance:.2g} from the minimum (goal: {CLIFF_TOLERANCE:g}); {hint}")
    return False, "Not yet: " + "; and ".join(problems) + "."


CHALLENGES = {
    "escape": Challenge(
        "GD off a saddle in 50 steps",
        f"Section 2, d = 10 with one downhill direction (μ = 0.1): choose the learning rate so that GD escapes in "
        f"all 32 runs, after a median of at most {ESCAPE_BUDGET} steps, with no run diverging.",
        {"sc_d": 10, "sc_k": 1, "sc_mu": 0.1, "sc_hd_lr": 0.1},
        _escape,
    ),
    "cliff": Challenge(
        "Short steps, yet arrive",
        f"Section 3, clipping by norm: choose η and the norm cap c so that no step is longer than {CLIFF_MAX_STEP:g} "
        f"and GD ends its 100 steps within {CLIFF_TOLERANCE:g} of the minimum.",
        {"sc_cliff_lr": 0.05, "sc_clip_norm": 1.0},
        _cliff,
    ),
}
