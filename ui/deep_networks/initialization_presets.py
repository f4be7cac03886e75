"""The Initialization page's presets and challenges (widget keys as in pages/deep_networks/initialization.py).

The numbers in the presets' explanations were measured by the page's own computation at the preset's
settings (tests/test_page_deep_networks.py recomputes them). The checks read the page's results:
``results["explore"]`` (the any-scheme section) and ``results["law"]`` (the variance law)."""

from __future__ import annotations

import numpy as np

from networks import WEIGHT_SCHEMES
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "init_notes_seed", "init_scheme", *(f"init_scale_{k}" for k, s in WEIGHT_SCHEMES.items() if s.scale_name != "none"),
    "init_depth", "init_width", "init_activation", "init_examples", "init_seed",
    "init_law_nvar", "init_law_activation", "init_law_depth", "init_law_width",
    "init_sym_c", "init_sym_lr", "init_sym_epochs", "init_sym_seed",
)

PRESETS = {
    "vanish": Preset(
        "Small weights vanish",
        "Uniform ±0.05 through 10 tanh layers: n·Var(β) = 0.027, so the outputs' spread falls from 0.16 in layer 1 to "
        "1.1e-8 in layer 10, and the gradient reaching layer 1 is 7.3e-8 (see 'Any scheme').",
        {"init_scheme": "uniform", "init_scale_uniform": 0.05, "init_depth": 10, "init_activation": "tanh"},
    ),
    "saturate": Preset(
        "Large weights saturate",
        "Uniform ±1 through 10 tanh layers: n·Var(β) = 10.7, and 30% to 41% of each layer's outputs sit beyond ±0.99, "
        "where tanh's slope is under 0.02 (see 'Any scheme').",
        {"init_scheme": "uniform", "init_scale_uniform": 1.0, "init_depth": 10, "init_activation": "tanh"},
    ),
    "lecun_relu": Preset(
        "LeCun fails for ReLU",
        "n·Var(β) = 1 with ReLU over 20 layers: each layer halves the variance, so Var(z⁽²⁰⁾) is 2.1e-6, on the "
        "halving law 2⁻¹⁹ = 1.9e-6 and far below the notes' law of 1 (see 'The variance law').",
        {"init_law_nvar": 1.0, "init_law_activation": "relu", "init_law_depth": 20},
    ),
    "he_relu": Preset(
        "He holds for ReLU",
        "n·Var(β) = 2 with ReLU over 20 layers: the factor 2 undoes ReLU's halving and Var(z⁽ˡ⁾) stays near 2 "
        "(2.2 at layer 20), while the notes' law without halving would predict 2²⁰ ≈ 10⁶ (see 'The variance law').",
        {"init_law_nvar": 2.0, "init_law_activation": "relu", "init_law_depth": 20},
    ),
    "tied": Preset(
        "Constant weights stay tied",
        "Every weight 0.5 and η = 0.5 for 400 epochs: the units of each layer differ by exactly 0 from start to end, "
        "while the random start's units end up to 6.2 apart (see 'Symmetry').",
        {"init_sym_c": 0.5, "init_sym_lr": 0.5, "init_sym_epochs": 400},
    ),
}

TANH_DEPTH, TANH_SPREAD, TANH_SATURATION = 10, 0.2, 0.05
RELU_DEPTH, RELU_BAND = 20, (0.5, 2.0)


def _deep_tanh(results, context):
    """A tanh network of at least 10 layers whose last layer still spreads (std >= 0.2) with no layer
    more than 5% saturated."""
    r = results["explore"]
    if r["activation"] != "tanh":
        return False, "Keep the activation at tanh: the goal is about tanh's centre and its flat tails."
    if r["depth"] < TANH_DEPTH:
        return False, f"Use at least {TANH_DEPTH} layers (now {r['depth']}): shallow networks hide the problem."
    spread, saturated = float(r["x_std"][-1]), float(r["saturated"].max())
    worst = int(np.argmax(r["saturated"])) + 1
    if spread >= TANH_SPREAD and saturated < TANH_SATURATION:
        return True, (f"Solved: layer {r['depth']}'s outputs have standard deviation {spread:.3g} and the most saturated "
                      f"layer (layer {worst}) has {saturated:.1%} of its outputs beyond ±0.99.")
    if spread < TANH_SPREAD:
        return False, (f"Not yet: layer {r['depth']}'s outputs have standard deviation {spread:.3g} (goal ≥ {TANH_SPREAD}). "
                       "Each layer multiplies the variance by about n·Var(β), shown under the controls: it is below 1, "
                       "so the signal shrinks. Make the weights larger, or choose a scheme that sets n·Var(β) = 1.")
    return False, (f"Not yet: the outputs spread enough ({spread:.3g}), but layer {worst} has {saturated:.1%} of its "
                   f"outputs saturated (goal < {TANH_SATURATION:.0%}): n·Var(β) is well above 1, so z is often large "
                   "and tanh is flat there. Shrink the weights towards n·Var(β) = 1.")


def _relu_twenty_layers(results, context):
    """With ReLU and 20 layers, choose n Var(beta) so that Var(z^(20)) stays within a factor 2 of Var(z^(1))."""
    r = results["law"]
    if r["activation"] != "relu":
        return False, "Choose the ReLU activation in the variance-law section."
    if r["depth"] < RELU_DEPTH:
        return False, f"Use {RELU_DEPTH} layers (now {r['depth']})."
    mean = r["measured"].mean(axis=0)
    ratio = float(mean[-1] / mean[0])
    low, high = RELU_BAND
    if low <= ratio <= high:
        return True, (f"Solved: with n·Var(β) = {r['n_var_beta']:g}, Var(z⁽²⁰⁾) / Var(z⁽¹⁾) = {ratio:.3g}. Each ReLU layer "
                      f"multiplies the variance by n·Var(β)/2 = {r['n_var_beta'] / 2:g}: He's factor 2 makes that 1.")
    direction = "shrinks" if ratio < low else "grows"
    return False, (f"Not yet: Var(z⁽²⁰⁾) / Var(z⁽¹⁾) = {ratio:.3g} (goal between {low:g} and {high:g}). The variance "
                   f"{direction} by n·Var(β)/2 = {r['n_var_beta'] / 2:g} per layer, {r['n_var_beta'] / 2:g}¹⁹ = "
                   f"{(r['n_var_beta'] / 2) ** 19:.3g} over 19 layers: ReLU zeroes half of z, so which factor cancels that?")


CHALLENGES = {
    "deep_tanh": Challenge(
        "Keep ten tanh layers alive",
        "In 'Any scheme', choose a weight scheme and its number so that a tanh network of at least 10 layers has "
        "output standard deviation ≥ 0.2 in its last layer, with no layer more than 5% saturated.",
        {"init_scheme": "uniform", "init_scale_uniform": 0.05, "init_depth": 10, "init_activation": "tanh"},
        _deep_tanh,
    ),
    "relu_twenty": Challenge(
        "Twenty ReLU layers without blow-up or fade-out",
        "In 'The variance law', with ReLU and 20 layers, set n·Var(β) so that Var(z⁽²⁰⁾) stays within a factor 2 "
        "of Var(z⁽¹⁾).",
        {"init_law_nvar": 1.0, "init_law_activation": "relu", "init_law_depth": 20},
        _relu_twenty_layers,
    ),
}
