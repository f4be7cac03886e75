"""Presets and challenges of the Two-layer networks page (widget keys as in pages/nonconvex/two_layer_networks.py).

Every number quoted in an explanation was measured with the page's own computation (default data of
the tanh network, seeds as on the page); tests/test_presets_two_layer_networks.py checks the main ones.
"""

from __future__ import annotations

import math

import numpy as np

from analysis.basins import DIVERGED, UNSETTLED
from analysis.curvature import curvature_at
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = (
    "net_model", "net_n", "net_noise", "net_target",
    "net_init_scale", "net_init_lr",
    "net_basin_opt", "net_basin_lr", "net_basin_grid", "net_basin_steps", "net_basin_color",
    "net_rs_loss", "net_rs_lr", "net_rs_k",
    "net_pl_opts", "net_pl_lr", "net_pl_tol",
)

PRESETS = {
    "saddle": Preset(
        "Stuck near the saddle",
        "Starts of size 0.001 with η = 0.005 (section 2): near zero the distance grows only by a factor "
        "1 + 1.8η per step, so none of the six random starts gets past |θ| = 0.1 within 300 steps.",
        {"net_model": "two_layer_linear", "net_init_scale": 0.001, "net_init_lr": 0.005},
    ),
    "mirror": Preset(
        "Mirror-image basins",
        "tanh network, GD with η = 0.3 (section 3): every start settles, and the map splits into two "
        "point-symmetric halves of exactly 50 % each, one per mirror-image minimum.",
        {"net_model": "two_layer_tanh", "net_basin_opt": "sgd", "net_basin_lr": 0.3},
    ),
    "too_large": Preset(
        "Too large a learning rate",
        "Linear network, GD with η = 0.7 > 2/λ_max = 2/3.6 ≈ 0.56 at the minima (section 3): not one start "
        "settles; 56 % diverge and the rest bounce around the minima.",
        {"net_model": "two_layer_linear", "net_basin_opt": "sgd", "net_basin_lr": 0.7, "net_basin_color": "divergence"},
    ),
    "camel": Preset(
        "Restarts on the six-hump camel",
        "Section 4: one GD run from a random start finds a global minimum of the camel 60 % of the time; "
        "the best of K = 4 runs does so 98.5 % of the time (the formula 1 − 0.4⁴ says 97 %).",
        {"net_rs_loss": "six_hump_camel", "net_rs_lr": 0.02, "net_rs_k": 4},
    ),
}

#: The page section whose results a challenge checks: its verdict is shown right after that section's
#: controls, where the student is working.
SECTION = {"escape": "zero_init", "settle": "basins"}


def checked_in(challenge, section: str) -> bool:
    return any(c is challenge and SECTION[name] == section for name, c in CHALLENGES.items())


def _num(x: float) -> str:
    return f"{x:.2g}".replace("-", "−")


def _eigenvalues(landscape, point) -> np.ndarray:
    return np.asarray(curvature_at(landscape, np.asarray(point, dtype=float)[None, :]).eigenvalues[0], dtype=float)


def _escape(results, context):
    """All six tiny random starts of section 2 must end at a minimum within 300 GD steps."""
    if context["model"] != "two_layer_linear":
        return False, "Switch the network (top of the page) to the linear one: this challenge is about its saddle at zero."
    scale = float(context["init_scale"])
    if scale > 1e-3 * (1 + 1e-9):
        return False, f"Keep the random starts tiny: scale 0.001 (it is {scale:g}). Larger starts escape too easily."
    landscape, traj, lr = context["landscape"], results["init"], float(context["init_lr"])
    minima = landscape.minima()
    best = min(m.loss for m in minima)
    n = traj.params.shape[0] - 1  # run 0 starts at zero; runs 1..n are the random starts
    norms = [np.linalg.norm(traj.path(i), axis=1) for i in range(1, n + 1)]
    gaps = [float(traj.losses(i)[-1]) - best for i in range(1, n + 1)]
    settled = [not traj.diverged(i) and g < 1e-6 for i, g in zip(range(1, n + 1), gaps)]
    escaped = [bool(np.any(r > 0.1)) for r in norms]
    if all(settled):
        slowest = max(int(np.argmax(r > 0.1)) for r in norms)
        return True, (f"Solved: with η = {lr:g} all {n} random starts left the saddle (the slowest passed |θ| = 0.1 "
                      f"at step {slowest}) and ended at a minimum.")
    status = (f"Not yet: with η = {lr:g}, {sum(escaped)} of {n} random starts got past |θ| = 0.1 and {sum(settled)} "
              f"ended at a minimum (the worst ended {max(gaps):.3g} above the minimum's error)")
    lam_max = float(_eigenvalues(landscape, minima[0].point).max())
    if lr >= 2.0 / lam_max:
        return False, (f"{status}. The runs do escape, but η is above 2/λ_max = 2/{lam_max:.2g} ≈ {2 / lam_max:.2f} "
                       "at the minima (table in section 1), so they bounce around a minimum instead of settling.")
    if not all(escaped):
        lam_min = float(_eigenvalues(landscape, (0.0, 0.0)).min())
        growth = 1.0 + lr * abs(lam_min)
        needed = math.log(0.1 / scale) / math.log(growth)
        return False, (f"{status}. At the saddle the error curves down with λ = {_num(lam_min)}, so each GD step only "
                       f"multiplies the distance along that direction by 1 + {abs(lam_min):.2g}η = {growth:.4g}: from "
                       f"0.001 to 0.1 that takes about {needed:.0f} steps, more for starts that point mostly along the "
                       "upward-curving direction. A larger η escapes sooner.")
    lam_small = float(_eigenvalues(landscape, minima[0].point).min())
    return False, (f"{status}. They escaped but are still sliding into the minimum: along its flat direction "
                   f"(λ = {lam_small:.2g}) each step removes only a fraction {lam_small:.2g}·η = {lam_small * lr:.3g} "
                   "of the remaining gap. A larger η (still below 2/λ_max) settles sooner.")


def _settle(results, context):
    """GD on the tanh network's basin map: at least 99 % of the starts settle in a minimum within 200 steps."""
    if context["model"] != "two_layer_tanh":
        return False, "Switch the network (top of the page) to tanh: its saturating units make the plateaus."
    if context["optimizer"] != "sgd":
        return False, "Use plain GD (optimizer “GD / SGD”) for the basin map."
    basin = results["basin"]
    if basin.n_steps > 200:
        return False, f"Keep the steps per run at 200 or fewer (now {basin.n_steps})."
    lr, landscape = float(context["lr"]), context["landscape"]
    shares = basin.fractions()
    settled = sum(v for k, v in shares.items() if k >= 0)
    unsettled, diverged = shares.get(UNSETTLED, 0.0), shares.get(DIVERGED, 0.0)
    starts = basin.label.size
    if settled >= 0.99:
        return True, (f"Solved: with η = {lr:g}, {100 * settled:.1f} % of the {starts:,} starts settle in a minimum "
                      f"within {basin.n_steps} steps.")
    status = (f"Not yet: with η = {lr:g}, {100 * settled:.1f} % of the starts settle (goal: 99 %); "
              f"{100 * unsettled:.1f} % have not settled and {100 * diverged:.1f} % diverged")
    if diverged >= unsettled:
        lam_max = max(float(_eigenvalues(landscape, m.point).max()) for m in landscape.minima())
        return False, (f"{status}. GD is stable only where the curvature stays below 2/η = {2 / lr:.3g}. At the minima "
                       f"λ_max = {lam_max:.3g} (so η must stay below {2 / lam_max:.2f} there), and on the way to them the "
                       "surface curves more steeply still. Take a smaller η.")
    stuck = basin.final_points[basin.label == UNSETTLED].reshape(-1, 2)
    grad = float(np.median(np.linalg.norm(np.asarray(landscape.gradient(stuck)), axis=-1)))
    return False, (f"{status}. The unsettled runs sit where tanh saturates: the median |∇E| at their end points is "
                   f"{grad:.2g}, and a GD step moves only η·|∇E| = {lr * grad:.2g} there (section 5 shows these "
                   "plateaus). A larger η crosses them in fewer steps.")


CHALLENGES = {
    "escape": Challenge(
        "Escape the saddle",
        "Section 2: keep the random starts tiny (scale 0.001) on the linear network and choose the learning rate "
        "so that all six of them end at a minimum within the 300 GD steps.",
        {"net_model": "two_layer_linear", "net_init_scale": 0.001, "net_init_lr": 0.005},
        _escape,
    ),
    "settle": Challenge(
        "Settle every start",
        "Section 3: on the tanh network, choose a learning rate with which plain GD settles at least 99 % of the "
        "basin map's starts in a minimum within 200 steps.",
        {"net_model": "two_layer_tanh", "net_basin_opt": "sgd", "net_basin_lr": 0.05, "net_basin_grid": 64},
        _settle,
    ),
}
