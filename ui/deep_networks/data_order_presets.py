"""Presets and challenges of the page "Order of the data" (widget keys as in
pages/deep_networks/data_order.py). The numbers in the explanations were measured by the page's own
runs at the preset's settings; tests/test_page_data_order.py loads each preset and checks them."""

from __future__ import annotations

import numpy as np

from ui.presets import Challenge, Preset

CONTROLLED_KEYS = ("order_flip", "order_start", "order_ramp", "order_lr", "order_budget", "order_drift", "order_buffer",
                   "order_stream_lr")

PRESETS = {
    "long_budget": Preset(
        "A long budget evens it out",
        "The default XOR with 20% flipped labels, read after 512 steps instead of 64: random order reaches 96% test "
        "accuracy and the curriculum 97% (at 64 steps: 59% against 78%). Once the curriculum draws from all the data, "
        "the head start is gone.",
        {"order_budget": 512},
    ),
    "fast_learner": Preset(
        "Clean labels, a larger step",
        "No flipped labels and η = 0.3: random order learns XOR fast and the curriculum is behind, 90% against 93% "
        "after 64 steps and 97.7% against 98.7% after 512: here the easy examples only delay the informative ones.",
        {"order_flip": 0.0, "order_lr": 0.3},
    ),
    "tiny_buffer": Preset(
        "A replay buffer of 8",
        "The class-sorted stream with only 8 slots of replay: on all the data seen, 87.6% against 68.2% for SGD on the "
        "latest examples; on the oldest quarter 85.7% against 40.4% (a buffer of 64: 96.5% and 97.5%).",
        {"order_buffer": 8},
    ),
}

GAIN_GOAL = 0.15
BUFFER_LIMIT, BUFFER_GOAL = 16, 0.93


def _curriculum_gain(results, context):
    """The curriculum's median test accuracy at the budget beats random order's by GAIN_GOAL."""
    c = results["curriculum"]
    gain = c["curriculum_at_budget"] - c["random_at_budget"]
    where = f"after {c['budget']} steps: curriculum {c['curriculum_at_budget']:.1%}, random order {c['random_at_budget']:.1%}"
    if gain >= GAIN_GOAL:
        return True, (f"Solved: {where}, a gain of {gain * 100:.1f} points. The easy examples give a clean signal "
                      "first; the flipped labels, on the wrong side of the boundary, wait until last.")
    return False, f"Not yet: {where} ({gain * 100:+.1f} points; goal +{GAIN_GOAL * 100:.0f})."


def _small_buffer(results, context):
    """Replay from at most BUFFER_LIMIT slots keeps the accuracy on all seen data at BUFFER_GOAL."""
    s = results["stream"]
    accuracy = float(np.median(s["seen_replay"][:, -1]))
    size = s["buffer_size"]
    if s["drift"] != "class":
        return False, "Not yet: the challenge is on the stream sorted by class (one class, then the other)."
    if size > BUFFER_LIMIT:
        return False, f"Not yet: {size} slots is more than the {BUFFER_LIMIT} allowed (accuracy {accuracy:.1%})."
    if accuracy >= BUFFER_GOAL:
        return True, (f"Solved: {size} slots of replay keep {accuracy:.1%} of all the data seen right at the end, "
                      f"against {float(np.median(s['seen_window'][:, -1])):.1%} without replay.")
    return False, f"Not yet: with {size} slots, {accuracy:.1%} of the data seen is right at the end (goal {BUFFER_GOAL:.0%})."


CHALLENGES = {
    "curriculum_gain": Challenge(
        "Make the curriculum pay",
        f"Find settings at which easy-first beats random order by at least {GAIN_GOAL * 100:.0f} points of median test "
        "accuracy at the chosen budget.",
        {"order_flip": 0.0, "order_lr": 0.3, "order_budget": 64},
        _curriculum_gain,
    ),
    "small_buffer": Challenge(
        "Remember with little memory",
        f"On the class-sorted stream, keep at least {BUFFER_GOAL:.0%} of all the data seen right at the end with a "
        f"replay buffer of at most {BUFFER_LIMIT} examples.",
        {"order_drift": "class", "order_buffer": 8},
        _small_buffer,
    ),
}
