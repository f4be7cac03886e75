"""Presets, challenges and widget keys of the page "The Hessian of a network" (pages/deep_networks/network_hessian.py).
Numbers in the explanations were measured by the page's own computation at the preset's settings
(tests/test_page_network_hessian.py loads each preset and checks them against what the page shows)."""

from __future__ import annotations

from ui.presets import Challenge, Preset

CONTROLLED_KEYS = ("nh_epochs", "nh_lr", "nh_offset", "nh_scale", "nh_gain", "nh_floor", "nh_k", "nh_spectrum",
                   "nh_block_net", "nh_block_all", "nh_cost_live")

OFFSETS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
SCALES = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
GAINS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
FLOORS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)

VARIANT_TITLES = {
    "tanh": "reference (tanh, standardized, LeCun, 8-8)",
    "sigmoid": "sigmoid units",
    "raw": "raw inputs",
    "centred": "centred inputs",
    "large_init": "too large a start",
    "unequal": "widths 2-32",
}
SHORT_TITLES = {"tanh": "reference", "sigmoid": "sigmoid", "raw": "raw", "centred": "centred",
                "large_init": "large start", "unequal": "widths 2-32"}
BLOCK_TITLES = {"plain": "plain", "skip": "skip connection", "batch": "batch norm", "batch_skip": "batch norm + skip"}

PRESETS = {
    "raw_outlier": Preset(
        "Raw inputs make an outlier",
        "x → 10 x + 20 on one input: at the start the raw network's top spread λ₁/λ₁₀ is 21.5 (median of 4 seeds) "
        "against 3.06 with standardized inputs, and its largest eigenvalue stands alone in the spectrum.",
        {"nh_offset": 20.0, "nh_spectrum": "raw"},
    ),
    "sigmoid": Preset(
        "Sigmoid units: one eigenvalue far above the rest",
        "Sigmoid outputs are all positive, so like uncentred inputs they make one large eigenvalue: at the start "
        "λ₁/λ₁₀ is 35.2 against 3.06 for tanh (medians of 4 seeds).",
        {"nh_spectrum": "sigmoid"},
    ),
    "blocks": Preset(
        "Batch norm and skips uncouple the neurons",
        "At the start 95.2% of the plain network's squared Hessian entries lie outside the neuron blocks, against 28.3% "
        "with batch norm and a skip connection (medians of 4 seeds); after training the two are closer (81.8% and 65.1%).",
        {"nh_block_net": "batch_skip"},
    ),
    "floor": Preset(
        "The floor decides κ₊",
        "With τ = 10⁻⁶ every network's median κ₊ is between 3 × 10⁵ and 10⁶, at the start and after training: the "
        "eigenvalues reach down to zero continuously, so κ₊ measures the floor more than the network. Compare the top spread.",
        {"nh_floor": 1e-6},
    ),
}

TAME_GOAL = 1.5


def _tame_raw_inputs(results, context):
    """Raw inputs whose top spread at the start is within TAME_GOAL of the standardized reference's."""
    spread = results["recommendations"]["spread"]
    raw, reference = spread["raw"]["at initialization"], spread["tanh"]["at initialization"]
    setting = f"x → {context['scale']:g} x + {context['offset']:g}"
    if raw <= TAME_GOAL * reference:
        return True, (f"Solved: with {setting} the raw network's λ₁/λ{results['k']} at the start is {raw:.3g}, within "
                      f"{TAME_GOAL:g}× the standardized reference's {reference:.3g}. Inputs near zero with a spread near 1 "
                      "do what standardizing does.")
    return False, (f"Not yet: with {setting} the raw network's λ₁/λ{results['k']} at the start is {raw:.3g}, "
                   f"{raw / reference:.3g}× the reference's {reference:.3g} (goal: at most {TAME_GOAL:g}×).")


CHALLENGES = {
    "tame_raw": Challenge(
        "Tame the raw inputs",
        f"Choose the raw inputs' offset and scale so that their network's top spread λ₁/λ₁₀ at the start is at most "
        f"{TAME_GOAL:g}× the standardized reference's.",
        {"nh_offset": 20.0, "nh_scale": 10.0, "nh_spectrum": "raw"},
        _tame_raw_inputs,
    ),
}
