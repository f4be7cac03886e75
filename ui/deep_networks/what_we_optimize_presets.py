"""Presets and challenges of the page "0-1 loss vs log-likelihood" (widget keys as in
pages/deep_networks/what_we_optimize.py). The numbers in the explanations were measured by the page's
own computations at the preset's settings; tests/test_page_what_we_optimize.py loads each preset and
checks them."""

from __future__ import annotations

from ui.presets import Challenge, Preset

CONTROLLED_KEYS = ("wwo_spread", "wwo_w1", "wwo_w2", "wwo_lr", "wwo_steps", "wwo_noise", "wwo_train_lr", "wwo_epochs")

PRESETS = {
    "separable": Preset(
        "Separable clouds",
        "Clouds of spread 0.5 and η = 3: after 100 steps GD on the log-likelihood classifies all 64 points right, yet "
        "it keeps going: |w| grows from 6.4 to 7.6 by step 200 and the log-likelihood falls from 0.029 to 0.022, "
        "while GD on the 0-1 loss has not moved from its start (see the first section).",
        {"wwo_spread": 0.5, "wwo_lr": 3.0, "wwo_steps": 200},
    ),
    "surrogate_gap": Preset(
        "The surrogate is not the goal",
        "Overlapping clouds (spread 1), η = 1, 100 steps: on its way GD on the log-likelihood passes weights with 0-1 "
        "loss 10.9% (the best on the whole grid) and ends at the log-likelihood's minimum, which misclassifies 14.1% "
        "(see the first section's loss curves).",
        {"wwo_spread": 1.0, "wwo_lr": 1.0, "wwo_steps": 100},
    ),
    "noisy_moons": Preset(
        "Moons that overlap",
        "Noise 0.25: the moons overlap and no seed's training 0-1 loss reaches zero in 600 epochs, so the notes' claim "
        "has no moment to start from; with noise 0.1 every seed reaches it by epoch 95 (see the second section).",
        {"wwo_noise": 0.25},
    ),
}

SURROGATE_GOAL_STEPS = 30


def _beat_the_minimum(results, context):
    """GD on the log-likelihood, stopped at its last step, classifies better than the log-likelihood's minimizer."""
    gd = results["descent"]
    end, at_minimum = float(gd["log_zero_one"][-1]), results["minimum_zero_one"]
    steps = len(gd["log_zero_one"]) - 1
    if steps > SURROGATE_GOAL_STEPS:
        return False, (f"Not yet: {steps} steps is more than the {SURROGATE_GOAL_STEPS} allowed. The path's 0-1 loss is "
                       f"{end:.1%}; the minimizer's {at_minimum:.1%}.")
    if end < at_minimum:
        return True, (f"Solved: stopped after {steps} steps, GD misclassifies {end:.1%} of the points, fewer than the "
                      f"log-likelihood's own minimizer ({at_minimum:.1%}): the log-likelihood is a surrogate, and its "
                      "minimum is not the 0-1 loss's.")
    return False, (f"Not yet: after {steps} steps the path's 0-1 loss is {end:.1%}, not below the minimizer's "
                   f"{at_minimum:.1%}. Watch the dashed 0-1 curve along the path: where does it dip?")


def _break_the_claim(results, context):
    """A noise level at which no seed's training 0-1 loss reaches zero."""
    reached = results["claim"]["reached"]
    noise = context["noise"]
    if reached == 0:
        return True, (f"Solved: at noise {noise:g} none of the 4 seeds classifies every training point right: the moons "
                      "overlap, zero training error is out of reach, and the claim has nothing to say.")
    return False, f"Not yet: at noise {noise:g}, {reached} of 4 seeds still reach zero training 0-1 loss."


CHALLENGES = {
    "beat_minimum": Challenge(
        "Stop early, classify better",
        f"On overlapping clouds (spread 1), choose η and at most {SURROGATE_GOAL_STEPS} steps so that GD on the "
        "log-likelihood ends with a lower 0-1 loss than the log-likelihood's own minimum has.",
        {"wwo_spread": 1.0, "wwo_lr": 0.1, "wwo_steps": SURROGATE_GOAL_STEPS},
        _beat_the_minimum,
    ),
    "break_claim": Challenge(
        "Where the claim stops",
        "Find a noise level at which no seed's training 0-1 loss ever reaches zero.",
        {"wwo_noise": 0.1},
        _break_the_claim,
    ),
}
