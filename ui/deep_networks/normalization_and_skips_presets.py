"""The Normalization and skip connections page's presets and challenge (widget keys as in
pages/deep_networks/normalization_and_skips.py). Numbers in the explanations were measured by the page's own
computations at the preset's settings (tests/test_page_normalization_and_skips.py loads each preset and checks them)."""

from __future__ import annotations


from ui.presets import Challenge, Preset

BATCHES = [4, 8, 16, 32]  # every size up to 32 keeps batch norm's gathered chunk (and so the program) the same
DEPTH_RATES = [0.05, 0.1, 0.2, 0.5, 1.0]
CONTROLLED_KEYS = ("nsk_variant", "nsk_lr", "nsk_epochs", "nsk_batch", "nsk_seed", "nsk_depth", "nsk_depth_lr")

PRESETS = {
    "large_step": Preset(
        "Batch norm takes a large step",
        (
            "At η = 1 batch norm's 2/λ_max at the start is 0.0472, twenty times below the step, yet it trains to 100%"
            " test accuracy: λ_max of its Hessian falls from 42.4 at epoch 0 to 1.03 at the next measured snapshot "
            "(see 'Curvature along training'). The plain network's 2/λ_max at the start is 2.89."
        ),
        {"nsk_lr": 1.0},
    ),
    "small_batches": Preset(
        "Small batches: the two modes disagree",
        (
            "Minibatches of 4: the batch-norm network classifies 92% of the held-out points right in evaluation mode "
            "but 86% in training mode with batches of 4; the mean gap between the two modes' probabilities at the end"
            " is 0.122, against 0.067 with batches of 16 (see 'Training mode against evaluation mode')."
        ),
        {"nsk_batch": 4},
    ),
    "layer_norm": Preset(
        "Layer norm instead",
        (
            "Layer normalization: the largest stable step measured from the start is 2.5, against 0.6 for the plain "
            "network, although its 2/λ_max at the start (0.673) is below the plain network's (2.89) (see 'The largest"
            " stable learning rate')."
        ),
        {"nsk_variant": "layer"},
    ),
    "deep": Preset(
        "Sixteen layers need skips",
        (
            "At η = 0.5 for 150 full-batch steps, 16 tanh layers without skips end at a median training loss of 0.34 "
            "(3 seeds); with skip connections at 0.00741. Up to 4 layers both train alike (see 'Depth')."
        ),
        {"nsk_depth": True, "nsk_depth_lr": 0.5},
    ),
}

GAP_GOAL = 0.1


def _mode_gap(results, context):
    """Make training mode (at the chosen batch size) disagree with evaluation mode by at least GAP_GOAL on average
    at the end of training, while evaluation mode still classifies at least 90% of the held-out points right."""
    modes = results["modes"]
    b = list(modes["batches"]).index(context["batch"])
    gap, accuracy = float(modes["gap"][b, -1]), float(modes["acc_eval"][-1])
    if gap >= GAP_GOAL and accuracy >= 0.9:
        return True, (f"Solved: with minibatches of {context['batch']}, training mode is off by {gap:.3f} on average "
                      f"while evaluation mode gets {accuracy:.0%} right: a small batch's mean and variance are noisy "
                      "estimates of the running ones.")
    return False, (f"Not yet: the mean gap at the end is {gap:.3f} (goal {GAP_GOAL}) and evaluation-mode accuracy "
                   f"{accuracy:.0%} (goal 90%). Which setting makes a batch's statistics noisier?")


CHALLENGES = {
    "mode_gap": Challenge(
        "Make the two modes disagree",
        f"Batch norm: make training mode (at your batch size) differ from evaluation mode by at least {GAP_GOAL} in "
        "predicted probability on average at the end, with evaluation mode still at 90% or better.",
        {"nsk_variant": "batch", "nsk_batch": 32},
        _mode_gap,
    ),
}
