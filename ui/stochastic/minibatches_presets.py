"""The Minibatches page's presets and challenges (widget keys as in pages/stochastic/minibatches.py).

The numbers in the explanations were measured with the page's own computations at the preset's
settings (seed 0); tests/test_presets_minibatches.py checks each one on the page."""

from __future__ import annotations

import math

from analysis.gradient_noise import finite_population_factor, predicted_standard_error, steps_per_epoch
from ui.stochastic.compute import LANDSCAPES, landscape_for
from ui.controls import LEARNING_RATES, nearest
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "mb_landscape", "mb_n", "mb_noise", "mb_batch", "mb_lr", "mb_epochs", "mb_seed",
    "mb_x", "mb_y", "mb_cloud_sampling", "mb_k", "mb_beta",
)


def _on(landscape: str, **values) -> dict:
    """A preset's values with the controls whose default depends on the landscape spelled out: its
    learning rate and the point θ of section 1 (the θ sliders' range is the landscape's domain). A
    preset then sets them to what the page would show for that landscape, whatever was on screen."""
    start = landscape_for(landscape, 64, 1.0).default_start
    return {"mb_landscape": landscape, "mb_lr": nearest(LEARNING_RATES, LANDSCAPES[landscape].default_lr),
            "mb_x": float(start[0]), "mb_y": float(start[1]), **values}


PRESETS = {
    "one_vs_full": Preset(
        "B = 1 vs full batch",
        "Same 10 epochs of data: 640 one-sample steps end at L − L* ≈ 0.007, the 10 full-batch steps only at ≈ 0.9; "
        "the price is a gradient cloud as wide as one sample's spread (standard error = σ).",
        _on("linear_regression", mb_batch=1),
    ),
    "too_large": Preset(
        "η too large for B = 1",
        "η = 0.7 is just inside the full batch's limit 2/λ_max ≈ 0.75, but single samples curve up to λ ≈ 9.8: "
        "B = 1 diverges (at step 42) while B = 4 and the full batch converge.",
        _on("linear_regression", mb_lr=0.7, mb_batch=4),
    ),
    "noise_free": Preset(
        "Noise-free data",
        "With data exactly on a line, every sample's gradient vanishes at the minimum, so even B = 1 needs no "
        "decaying step: 10 epochs reach L − L* ≈ 10⁻¹⁸ (with the default noise it stalls near 0.007).",
        _on("linear_regression", mb_noise=0.0, mb_batch=1),
    ),
    "sorted": Preset(
        "Sorted data",
        "The tanh network's data are stored by increasing x: walking them in that order drags every epoch the same "
        "way, and the last iterates spread about 4× wider (0.062) than with shuffled epochs (0.016).",
        _on("two_layer_tanh", mb_noise=0.0, mb_lr=0.5, mb_batch=4),
    ),
}

# ---- challenges ------------------------------------------------------------------------------

ONE_EPOCH_TARGET = 1e-2
NOISE_TARGET = 0.25


def _changed(context: dict, fixed: dict) -> str | None:
    """A message naming the first fixed setting the student moved, or None."""
    for name, (value, label) in fixed.items():
        if context[name] != value:
            return f"Keep {label} for this challenge (set it up again to restore it)."
    return None


def _one_epoch(results, context):
    moved = _changed(context, {"landscape": ("linear_regression", "the linear regression"),
                               "n": (64, "the dataset size at N = 64"), "noise": (1.0, "the noise in the data at 1"),
                               "epochs": (1, "the budget at 1 epoch")})
    if moved:
        return False, moved
    race, B, lr, l_star = results["race"], context["batch"], context["lr"], context["l_star"]
    run = race[B]
    steps = steps_per_epoch(context["n"], B)
    if run["diverged"]:
        return False, (f"Not yet: B = {B} diverged at step {run['diverged_at']}. With so few samples per step a single "
                       f"curved sample can throw the step out: lower η = {lr:g} or take a larger batch.")
    gap = float(run["loss"][run["within_budget"]][-1] - l_star)
    if gap < ONE_EPOCH_TARGET:
        return True, (f"Solved: with B = {B} and η = {lr:g}, the {steps} steps of one epoch reach L − L* = {gap:.2g} "
                      f"(target {ONE_EPOCH_TARGET:g}).")
    gaps = {b: float(r["loss"][r["within_budget"]][-1] - l_star) for b, r in race.items() if not r["diverged"]}
    better = [b for b in gaps if b < B and gaps[b] < gap]
    if better:
        b = min(better, key=gaps.get)
        hint = (f"in the race below, B = {b} got further with the same data (L − L* = {gaps[b]:.2g}): per sample "
                "processed, more and cheaper steps beat a few exact ones")
    else:
        hint = (f"the {steps} steps are too short to cross the bowl; a larger η covers more ground per step, until "
                "the noisiest batches start to diverge")
    return False, f"Not yet: after one epoch L − L* = {gap:.3g}, {gap / ONE_EPOCH_TARGET:.3g}× the target; {hint}."


def _quarter_noise(results, context):
    moved = _changed(context, {"n": (64, "the dataset size at N = 64")})
    if moved:
        return False, moved
    n, B = context["n"], context["batch"]
    variance = float(results["noise"]["total_variance"])
    if not variance > 0:
        return False, "Here every sample has the same gradient (σ = 0), so there is no noise to cut: add noise to the data."
    sigma = math.sqrt(variance)

    def ratio(b: int) -> float:
        return float(predicted_standard_error(variance, n, [b], replacement=False)[0]) / sigma

    here = ratio(B)
    if here > NOISE_TARGET + 1e-12:
        return False, (f"Not yet: at B = {B} the standard error is {here:.3f} σ, {here / NOISE_TARGET:.2f}× the target "
                       "σ/4. It falls only like 1/√B: how many samples does a quarter of the noise take? Without "
                       "replacement the factor (N − B)/(N − 1) helps a little too.")
    if B > 1 and ratio(B - 1) <= NOISE_TARGET + 1e-12:
        return False, (f"Not yet: SE = {here:.3f} σ is below σ/4, but B = {B} is not the smallest batch that does it: "
                       "every sample you can leave out is a gradient evaluation saved.")
    fpc = float(finite_population_factor(n, B))
    return True, (f"Solved: B = {B} gives SE = {here:.3f} σ ≤ σ/4 (B = {B - 1} gives {ratio(B - 1):.3f} σ). Fewer than "
                  f"the 16 of 1/√B alone, because without replacement the variance also shrinks by (N − B)/(N − 1) = {fpc:.3f}.")


CHALLENGES = {
    "one_epoch": Challenge(
        "One epoch, used well",
        "Linear regression, N = 64, one epoch of data: choose B and η so that your batch size's run ends below "
        "L − L* = 0.01 (section 2, 'loss after the budget').",
        _on("linear_regression", mb_epochs=1),
        _one_epoch,
    ),
    "quarter_noise": Challenge(
        "A quarter of the noise",
        "N = 64: find the smallest batch whose gradient (shuffled, without replacement) has at most a quarter of "
        "one sample's standard error, SE ≤ σ/4 (section 1).",
        _on("linear_regression", mb_batch=8),
        _quarter_noise,
    ),
}
