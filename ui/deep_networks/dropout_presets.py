"""The Dropout page's presets and challenges (widget keys as in pages/deep_networks/dropout.py).
Numbers in the explanations were measured by the page's own computation at the preset's settings
(tests/test_page_dropout.py loads each preset and checks them)."""

from __future__ import annotations

from ui.presets import Challenge, Preset

KEEPS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
EXPECTATION_MASKS = [10, 30, 100, 300, 1000, 3000, 10000]
SUBNETWORKS = [8, 16, 32, 64, 128, 256]

CONTROLLED_KEYS = ("drop_exp_keep", "drop_exp_masks", "drop_keep", "drop_keep_input", "drop_points", "drop_noise",
                   "drop_lr", "drop_seed", "drop_masks")

PRESETS = {
    "half": Preset(
        "Half the hidden units: the gap closes",
        "80 noisy points, p = 0.5 in every hidden layer: the test − train loss gap falls from 0.688 to 0.070 (test "
        "loss 0.731 → 0.276) at the same 86.7% test accuracy; the largest |w| shrinks from 2.75 to 1.88 and the loss "
        "as trained moves about 3 times as much between epochs (roughness 0.016 → 0.053).",
        {"drop_keep": 0.5},
    ),
    "light": Preset(
        "A little dropout: a little help",
        "p = 0.8: the gap only falls from 0.688 to 0.513 (test loss 0.644, accuracy 86.0%): most sub-networks "
        "are nearly the whole network.",
        {"drop_keep": 0.8},
    ),
    "heavy": Preset(
        "Too much dropout underfits",
        "p = 0.2: the sub-networks are too thin to fit the moons: the training loss (0.401) is above the test loss "
        "(0.373), the test accuracy drops to 81.3% (86.7% without), and the loss as trained jumps by 0.20 on average "
        "from one recorded epoch to the next.",
        {"drop_keep": 0.2},
    ),
    "inputs": Preset(
        "Dropping inputs: noise on the data",
        "No hidden dropout, each input coordinate kept with probability 0.6 (a kept one is scaled by 1/0.6): the "
        "gap falls from 0.688 to 0.046 (test loss 0.345, accuracy 85.3%). Each step sees a jittered version of the "
        "80 points.",
        {"drop_keep": 1.0, "drop_keep_input": 0.6},
    ),
}

GAP_GOAL = 0.1


def _close_the_gap(results, context):
    """Dropout must bring the gap (test - train loss) under GAP_GOAL at a test accuracy no worse than without."""
    gap = results["gap"]
    with_gap, without_gap = float(gap["gap"][1]), float(gap["gap"][0])
    acc_with, acc_without = (float(a) for a in gap["accuracy"][::-1])
    if gap["keep_hidden"] == 1.0 and gap["keep_input"] == 1.0:
        return False, "Not yet: both keep probabilities are 1, so nothing is dropped."
    if with_gap < GAP_GOAL and acc_with >= acc_without:
        return True, (f"Solved: with dropout the gap is {with_gap:.3f} (without: {without_gap:.3f}) and the test "
                      f"accuracy {acc_with:.1%} (without: {acc_without:.1%}).")
    return False, (f"Not yet: the gap with dropout is {with_gap:.3f} (goal < {GAP_GOAL}) and its test accuracy "
                   f"{acc_with:.1%} against {acc_without:.1%} without. Too little dropout leaves the gap, too much "
                   "makes the network too weak to fit.")


def _agree(results, context):
    e, gap = results["ensemble"], results["gap"]
    if gap["keep_hidden"] == 1.0 and gap["keep_input"] == 1.0:
        return False, "Not yet: both keep probabilities are 1, so every sub-network is the full network."
    if e["n_masks"] >= 32 and e["mean_difference"] < 0.03 and e["ensemble_accuracy"] >= e["member_accuracy"]:
        return True, (f"Solved: {e['n_masks']} sub-networks average to within {e['mean_difference']:.3f} of the full "
                      f"network, and their mean ({e['ensemble_accuracy']:.1%}) beats one sub-network "
                      f"({e['member_accuracy']:.1%}).")
    return False, (f"Not yet: {e['n_masks']} sub-networks differ from the full network by {e['mean_difference']:.3f} "
                   "on average (goal < 0.03 with at least 32 sub-networks). The fewer units a sub-network loses, the "
                   "closer the full network is to their mean.")


CHALLENGES = {
    "gap": Challenge(
        "Close the gap",
        f"Find keep probabilities for which dropout brings the test − train loss gap under {GAP_GOAL} without "
        "losing test accuracy.",
        {"drop_keep": 1.0},
        _close_the_gap,
    ),
    "agree": Challenge(
        "One pass for the ensemble",
        "With dropout on, make the full network agree with the mean of at least 32 sampled sub-networks to "
        "within 0.03 on average, the mean beating a single sub-network.",
        {"drop_masks": 8},
        _agree,
    ),
}
