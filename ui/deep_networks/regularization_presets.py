"""The Early stopping and weight decay page's presets, challenges and widget keys (the page is
pages/deep_networks/regularization.py). Numbers in the explanations were measured by the page's own
computations at the preset's settings (tests/test_page_regularization.py loads each preset and checks them)."""

from __future__ import annotations

from ui.presets import Challenge, Preset

RIDGE_LRS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.26, 0.5, 0.8, 1.0, 1.2]
GD_STEPS = [10, 20, 50, 100, 200, 500, 1000]
STARTS = {"origin": "the origin (0, 0)", "away": "away from zero (−1, 2)"}
L2_STRENGTHS = [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]
DECAY_STRENGTHS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]

CONTROLLED_KEYS = ("reg_points", "reg_noise", "reg_lr", "reg_patience", "reg_seed", "reg_corr", "reg_ridge_lr",
                   "reg_steps", "reg_start", "reg_decay_lr", "reg_l2", "reg_wd")

PRESETS = {
    "impatient": Preset(
        "No patience",
        "Patience 0 stops at the first epoch without a new low: at epoch 7, restoring epoch 6, test loss 0.531, against "
        "0.472 with patience 10 (stops at 32, restores 21) and 0.558 trained to the end (see 'Early stopping').",
        {"reg_patience": 0},
    ),
    "large_step": Preset(
        "Too large a step for the ridge match",
        "η = 0.8, so ηs₂ = 1.51: gradient descent overshoots along the steep direction and the paths part; the largest "
        "relative distance is 0.451 (0.164 at η = 0.1), beyond what the bound allows (it needs ηs ≤ ½).",
        {"reg_ridge_lr": 0.8},
    ),
    "away": Preset(
        "A prior centred on the start",
        "Start at (−1, 2): stopped early, gradient descent stays near its start, as ridge pulling toward (−1, 2) does; "
        "the matched points stay within 0.188 of each other (relative), inside the bound 0.240 (see 'prior near the start').",
        {"reg_start": "away"},
    ),
    "same_lambda": Preset(
        "The same λ for L2 and AdamW",
        "λ = λ_w = 0.01 with η = 0.01: Adam + L2 ends at test loss 0.418, AdamW at 0.705, no better than no decay (0.700). "
        "AdamW removes ηλ_w = 10⁻⁴ of every weight per step; under Adam the penalty removes ηλ/√v̂, more for every "
        "parameter here since all √v̂ are below 1 (see 'An L2 penalty under Adam').",
        {"reg_l2": 0.01, "reg_wd": 0.01},
    ),
}

PART_GOAL = 0.3
NORM_TOLERANCE = 0.25


def _part_the_paths(results, context):
    """Find a step at which gradient descent still converges but ends far from the matched ridge solutions."""
    ridge = results["ridge"]
    if not ridge["converges"]:
        return False, "Gradient descent diverges at this step: there is no path to compare. Take a smaller η."
    worst = float(ridge["result"]["distance"].max())
    if worst > PART_GOAL:
        return True, (f"Solved: at η = {ridge['lr']:g} the matched points are up to {worst:.3f} apart (relative): with ηs₂ "
                      "close to 1 or beyond, one step along the steep direction goes (nearly) all the way, ridge with "
                      "λ = 1/(ηt) only part of it.")
    return False, (f"Not yet: the largest relative distance is {worst:.3f} (goal above {PART_GOAL}). The match is good while "
                   "ηs is small in every direction.")


def _match_the_norm(results, context):
    """Find a decoupled weight decay that shrinks the weights as much as the L2 penalty does."""
    decay = results["decay"]
    l2_norm, adamw_norm = float(decay["norms"][1]), float(decay["norms"][2])
    if decay["l2"] <= 0:
        return False, "Set an L2 penalty λ above 0 first."
    ratio = adamw_norm / l2_norm
    if abs(ratio - 1) <= NORM_TOLERANCE:
        return True, (f"Solved: λ_w = {decay['wd']:g} gives ‖θ‖ = {adamw_norm:.3g} against {l2_norm:.3g} for Adam + L2 with "
                      f"λ = {decay['l2']:g}: a decoupled decay {decay['wd'] / decay['l2']:.3g} times larger. Compare their test losses.")
    return False, (f"Not yet: AdamW ends with ‖θ‖ = {adamw_norm:.3g}, Adam + L2 with {l2_norm:.3g} ({ratio:.2f} times; goal "
                   f"within {NORM_TOLERANCE:.0%}).")


CHALLENGES = {
    "part": Challenge(
        "Part the paths",
        f"Find a step η at which gradient descent still converges but its iterates end up more than {PART_GOAL} (relative) "
        "from the ridge solutions with λ = 1/(ηt).",
        {"reg_ridge_lr": 0.1},
        _part_the_paths,
    ),
    "match": Challenge(
        "Match the shrinkage",
        f"With the L2 penalty at λ = 0.003, find a weight decay λ_w at which AdamW's final ‖θ‖ is within "
        f"{NORM_TOLERANCE:.0%} of Adam + L2's.",
        {"reg_l2": 3e-3, "reg_wd": 0.01, "reg_decay_lr": 0.01},
        _match_the_norm,
    ),
}
