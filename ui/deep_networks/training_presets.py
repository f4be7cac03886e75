"""The Training page's presets and challenges (widget keys as in pages/deep_networks/training.py).

The numbers in the explanations were measured by the page's own run at each preset's settings
(tests/test_page_deep_networks.py loads every preset and checks them). The checks read the page's run
(``results["run"]``, see ``ui.deep_networks.compute.training_run``) and its settings."""

from __future__ import annotations

from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "train_dataset", "train_points", "train_noise", "train_features_2d", "train_features_1d", "train_depth", "train_width",
    "train_widths", "train_activation", "train_scheme", "train_optimizer", "train_lr", "train_momentum", "train_beta1",
    "train_beta2", "train_eps", "train_wd", "train_batch", "train_epochs", "train_stop", "train_seed",
)

PRESETS = {
    "moons": Preset(
        "Two moons",
        "Two tanh layers of 8 units and momentum (η = 0.05, β = 0.9), 300 epochs: every test point right and the test "
        "loss 7e-4. Scrub the epochs to watch the boundary bend around the moons.",
        {"train_dataset": "moons"},
    ),
    "xor_feature": Preset(
        "XOR from one feature",
        "With the product feature xy as the only input, a single tanh unit classifies XOR: 100% of the test points "
        "(98.6% of the training points). From the raw x and y the same unit reaches only 70%.",
        {"train_dataset": "xor", "train_features_2d": ["xy"], "train_depth": 1, "train_width": 1},
    ),
    "spiral_deep": Preset(
        "Deep ReLU spiral",
        "Four ReLU layers of 16 with Adam (η = 0.01) unroll the spiral in 500 epochs: 100% test accuracy, where two "
        "tanh layers of 8 with momentum stop at 87%.",
        {"train_dataset": "spiral", "train_noise": 0.05, "train_depth": 4, "train_width": 16, "train_activation": "relu",
         "train_optimizer": "adam", "train_lr": 0.01, "train_epochs": 500},
    ),
    "diverge": Preset(
        "Too large a step",
        "The 1-D regression with plain gradient descent at η = 1: the squared error's steps overshoot and grow, and the "
        "run is stopped during epoch 2, when the output layer's weights pass the bound (norm 1.8e6 → 2.7e7).",
        {"train_dataset": "curve", "train_optimizer": "sgd", "train_lr": 1.0},
    ),
}

SPIRAL_GOAL, SPIRAL_DEPTH, SPIRAL_EPOCHS = 0.95, 3, 500
XOR_GOAL, XOR_UNITS = 0.95, 2


def _spiral(results, settings):
    run = results["run"]
    if settings["dataset"] != "spiral" or settings["noise"] < 0.05:
        return False, "Train on the spiral with noise at least 0.05 (press 'Set up this challenge')."
    if len(settings["widths"]) > SPIRAL_DEPTH:
        return False, f"Use at most {SPIRAL_DEPTH} hidden layers (now {len(settings['widths'])})."
    if settings["epochs"] > SPIRAL_EPOCHS:
        return False, f"Use at most {SPIRAL_EPOCHS} epochs (now {settings['epochs']})."
    if run["status"] in (1, 2, 3):
        return False, f"Not yet: the run diverged ({run['message']}). Lower the learning rate."
    accuracy = float(run["accuracy"][-1, 2])
    if accuracy >= SPIRAL_GOAL:
        return True, (f"Solved: {accuracy:.1%} of the test points right with {len(settings['widths'])} hidden layers "
                      f"{list(settings['widths'])} after {int(run['epochs'][-1])} epochs.")
    train_accuracy = float(run["accuracy"][-1, 0])
    hint = ("the training points are not fitted either: the network is too small or trains too slowly (more units, "
            "ReLU, Adam)" if train_accuracy < SPIRAL_GOAL else
            "the training points are fitted but the test points are not: the boundary is too wiggly (fewer units, more data)")
    return False, f"Not yet: {accuracy:.1%} test accuracy (goal {SPIRAL_GOAL:.0%}, training {train_accuracy:.1%}); {hint}."


def _xor(results, settings):
    run = results["run"]
    if settings["dataset"] != "xor":
        return False, "Train on XOR (press 'Set up this challenge')."
    units = sum(settings["widths"])
    if units > XOR_UNITS:
        return False, f"Use at most {XOR_UNITS} hidden units in total (now {units}: {list(settings['widths'])})."
    accuracy = float(run["accuracy"][-1, 2])
    if accuracy >= XOR_GOAL:
        return True, (f"Solved: {accuracy:.1%} test accuracy with {units} hidden unit(s) on the features "
                      f"{', '.join(settings['features'])}.")
    return False, (f"Not yet: {accuracy:.1%} test accuracy (goal {XOR_GOAL:.0%}) from the features "
                   f"{', '.join(settings['features'])}. One unit draws one straight boundary in its inputs, and XOR's "
                   "classes are not split by one line in x and y. Which input feature makes them separable?")


CHALLENGES = {
    "spiral": Challenge(
        "The spiral with three layers",
        f"Reach ≥ {SPIRAL_GOAL:.0%} test accuracy on the spiral (noise 0.05) with at most {SPIRAL_DEPTH} hidden layers "
        f"and {SPIRAL_EPOCHS} epochs.",
        {"train_dataset": "spiral", "train_noise": 0.05},
        _spiral,
    ),
    "xor": Challenge(
        "XOR with two units",
        f"Classify XOR at ≥ {XOR_GOAL:.0%} test accuracy with at most {XOR_UNITS} hidden units in the whole network.",
        {"train_dataset": "xor", "train_depth": 1, "train_width": 1},
        _xor,
    ),
}
