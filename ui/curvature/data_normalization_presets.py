"""The Data normalization page's presets and challenges (widget keys as in pages/curvature/data_normalization.py).

The checks read the page's own study: ``results`` is the dict returned by
``ui.curvature.compute.normalization_study`` (per preprocessing: its Hessian report, the GD run and the
minimum loss); ``context`` holds the dataset's settings, c, the steps and the page's tolerance.
"""

from __future__ import annotations

import numpy as np

from analysis.summary import steps_to_tolerance
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "norm_mean1", "norm_scale1", "norm_mean2", "norm_scale2", "norm_corr", "norm_n", "norm_l2", "norm_lr_factor",
    "norm_steps", "norm_hidden", "norm_offset",
)

PRESETS = {
    "mean": Preset(
        "Far-off mean",
        "A round cloud centred at (5, 5): the mean alone adds one steep direction (κ ≈ 53 on raw inputs, GD not within "
        "10⁻⁸ after 100 steps); centering brings κ to ≈ 1.1 and GD there in 5 steps.",
        {"norm_mean1": 5.0, "norm_mean2": 5.0, "norm_scale1": 1.0, "norm_scale2": 1.0, "norm_corr": 0.0},
    ),
    "scales": Preset(
        "Unequal scales",
        "Features on scales 10 and 0.1: κ ≈ 4800 whether or not the data is centered; dividing each feature by its "
        "σ brings κ to ≈ 1.1 and GD to the tolerance in 5 steps.",
        {"norm_mean1": 0.0, "norm_mean2": 0.0, "norm_scale1": 10.0, "norm_scale2": 0.1, "norm_corr": 0.0},
    ),
    "correlated": Preset(
        "Correlated features",
        "Equal scales but correlation 0.95: centering and standardizing all leave κ ≈ 32 and GD short of the "
        "tolerance after 100 steps; only whitening makes the bowl round (κ = 1, one step).",
        {"norm_mean1": 0.0, "norm_mean2": 0.0, "norm_scale1": 1.0, "norm_scale2": 1.0, "norm_corr": 0.95},
    ),
    "shifted_units": Preset(
        "tanh pushed off-centre",
        "In the network section: offset b = −2 moves tanh's mean activation to −0.87 and the sigmoid's to 0.15, and now "
        "tanh's block is the badly conditioned one (median κ ≈ 2000 against ≈ 180): what counts is how far the mean "
        "is from zero.",
        {"norm_offset": -2.0},
    ),
}

#: The dataset of the step-size challenge (the page's default data; only c and the steps may change).
DATASET = {"norm_mean1": 3.0, "norm_mean2": 1.0, "norm_scale1": 1.0, "norm_scale2": 0.3, "norm_corr": 0.5,
           "norm_n": 200, "norm_l2": 0.01}
FEW_STEPS = 15
BACKFIRE_FACTOR = 10.0


def _gd_steps(study: dict, kind: str, tolerance: float):
    run = study[kind]
    return steps_to_tolerance(run["trajectory"].losses(0) - run["minimum_loss"], tolerance)


def _best_step(results, context):
    """GD on the standardized inputs of the default dataset reaches the tolerance within 15 steps."""
    changed = [k for k, v in DATASET.items() if not np.isclose(float(context["dataset"][k]), float(v))]
    if changed:
        return False, ("Keep the dataset as set up (means 3 and 1, scales 1 and 0.3, correlation 0.5, N = 200, "
                       "λ = 0.01): only c may change. Changed: " + ", ".join(f"`{k}`" for k in changed) + ".")
    c, tolerance = context["lr_factor"], context["tolerance"]
    report = results["standardized"]["report"]
    kappa = float(report.condition_number)
    reached = _gd_steps(results, "standardized", tolerance)
    if reached is not None and reached <= FEW_STEPS:
        return True, (f"Solved: with c = {c:g}, GD on the standardized inputs reached loss − min ≤ {tolerance:g} "
                      f"in {reached} steps.")
    flat, steep = abs(1.0 - c / kappa), abs(1.0 - c)
    where = f"in {reached} steps" if reached is not None else f"not within the {context['steps']} steps of the run"
    if steep >= flat:
        hint = (f"now the steep direction is the slow one (|1 − c| = {steep:.3f} against |1 − c/κ| = {flat:.3f} for the "
                "flat one): its error flips sign and shrinks little; take a smaller c")
    else:
        hint = (f"now the flat direction is the slow one (|1 − c/κ| = {flat:.3f} against |1 − c| = {steep:.3f} for the "
                "steep one); a larger c speeds it up, as long as |1 − c| stays smaller")
    return False, (f"Not yet: with c = {c:g} GD on the standardized inputs gets there {where} (goal ≤ {FEW_STEPS}). "
                   f"With η = c/λ_max the error shrinks per step by |1 − c/κ| along the flat direction and |1 − c| along "
                   f"the steep one (κ = {kappa:.3g}); {hint}. The best c makes the two equal.")


def _centering_backfires(results, context):
    """A dataset on which centering makes the condition number at least 10x worse than on raw inputs."""
    raw = float(results["raw"]["report"].condition_number)
    centered = float(results["centered"]["report"].condition_number)
    ratio = centered / raw
    tolerance = context["tolerance"]
    steps = {k: _gd_steps(results, k, tolerance) for k in ("raw", "centered")}
    shown = {k: (f"{v} steps" if v is not None else f"> {context['steps']} steps") for k, v in steps.items()}
    if ratio >= BACKFIRE_FACTOR:
        return True, (f"Solved: κ = {raw:.3g} on raw inputs but {centered:.3g} after centering, {ratio:.3g}× worse "
                      f"(GD: {shown['raw']} raw, {shown['centered']} centered).")
    now = (f"centering improves κ {1 / ratio:.3g}× (from {raw:.3g} to {centered:.3g})" if ratio < 1
           else f"centering makes κ only {ratio:.3g}× worse (from {raw:.3g} to {centered:.3g})")
    return False, (f"Not yet: {now}; the goal is {BACKFIRE_FACTOR:g}× worse. Hint: H = 2(Σ + μμᵀ) + 2λI, and centering "
                   "removes 2μμᵀ, which adds curvature only along the mean μ. That helps when μ points along a direction "
                   "that is already steep, and hurts when it lifts the flattest direction of Σ.")


CHALLENGES = {
    "best_step": Challenge(
        "The best step on standardized data",
        f"Keeping the dataset, choose c in η = c/λ_max so that GD on the standardized inputs reaches loss − min ≤ 10⁻⁸ "
        f"in at most {FEW_STEPS} steps (c = 1 takes 23).",
        {**DATASET, "norm_lr_factor": 1.0, "norm_steps": 100},
        _best_step,
    ),
    "backfire": Challenge(
        "Make centering backfire",
        f"Build a dataset on which centering makes the Hessian at least {BACKFIRE_FACTOR:g}× worse conditioned: "
        "κ(centered) ≥ 10 κ(raw).",
        {},
        _centering_backfires,
    ),
}
