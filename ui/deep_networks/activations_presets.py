"""The Activations page's presets and challenge (widget keys as in pages/deep_networks/activations.py).
Numbers in the explanations were measured by the page's own runs at the preset's settings
(tests/test_page_deep_networks.py loads each preset and checks them)."""

from __future__ import annotations

import numpy as np

from ui.presets import Challenge, Preset

CONTROLLED_KEYS = ("act_shown", "act_gain", "act_lr", "act_epochs", "act_seed", "act_large_lr", "act_bias", "act_deep_lr")

PRESETS = {
    "saturate": Preset(
        "Large weights saturate tanh",
        "Glorot weights × 4: at the start 11%, 42% and 50% of the three tanh layers' outputs are beyond ±0.99, "
        "against 2%, 4% and 8% of the sigmoid's outside [0.01, 0.99] (see 'Saturation').",
        {"act_gain": 4.0},
    ),
    "negative_bias": Preset(
        "A negative bias kills ReLUs",
        "Every hidden bias at −1: 3, 10 and 12 of the 16 units of the three ReLU layers are dead before training "
        "starts; leaky ReLU has none (see 'Dying ReLU').",
        {"act_bias": 1.0},
    ),
    "large_step": Preset(
        "A too large step kills ReLUs",
        "η = 2 with zero biases: 19 of the 48 ReLU units are dead after 200 epochs, against 3 at η = 0.05; leaky ReLU "
        "at the same η has none and still reaches 100% test accuracy (see 'Dying ReLU').",
        {"act_large_lr": 2.0, "act_bias": 0.3},
    ),
}

SATURATION_GOAL = 0.25


def _saturate_tanh(results, context):
    """Find the smallest listed weight scale at which tanh's most saturated layer has >= 25% of its outputs saturated."""
    sat = results["saturation"]["tanh"]["saturated"][0]
    gain = context["gain"]
    worst = float(np.max(sat))
    if worst >= SATURATION_GOAL:
        return True, (f"Solved: with Glorot × {gain:g}, {worst:.0%} of one tanh layer's outputs start saturated: "
                      "n·Var(β) is about gain², so z is often beyond ±2.6, where |tanh| > 0.99.")
    return False, (f"Not yet: at Glorot × {gain:g} the most saturated tanh layer starts at {worst:.1%} (goal "
                   f"{SATURATION_GOAL:.0%}). Saturation needs |z| > 2.65: the weights must make z's spread larger.")


CHALLENGES = {
    "saturate": Challenge(
        "Provoke saturation",
        f"Choose a weight scale at which at least {SATURATION_GOAL:.0%} of some tanh layer's outputs start saturated.",
        {"act_gain": 1.0},
        _saturate_tanh,
    ),
}
