"""The Early stopping and weight decay page's presets, challenges and widget keys (the page is
pages/deep_networks/regularization.py). Numbers in the explanations were measured by the page's own
computations at the preset's settings (tests/test_page_regularization.py loads each preset and checks them)."""

from __future__ import annotations

from ui.presets import Challenge, Preset

RIDGE_LRS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.26, 0.5, 0.8, 1.0, 1.2]
GD_STEPS = [10, 20, 50, 100, 200, 500, 1000]
STARTS = {"origin": "the origin (0, 0)", "away": "away from zero (−1, 2)"}
DECAY_STRENGTHS = [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]

CONTROLLED_KEYS = ("reg_points", "reg_noise", "reg_lr", "reg_patience", "reg_seed", "reg_corr", "reg_ridge_lr",
                   "reg_steps", "reg_start", "reg_strength", "reg_decay_lr")

PRESETS = {"tmp": Preset("tmp", "tmp", {"reg_patience": 0})}

CHALLENGES: dict = {}
