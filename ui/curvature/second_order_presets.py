"""Presets and challenges of the Second-order methods page (widget keys as in pages/curvature/second_order.py).

The start and the GD learning rate have one widget per scene (``newton_start_x_<scene>``,
``newton_gd_lr_<scene>``); a preset sets the ones of its own scene, whose range is that scene's map.
"""

from __future__ import annotations

import numpy as np

from analysis import second_order as so
from analysis.curvature import curvature_at
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
#: (The Hessian-cost measurement at the bottom of the page, ``newton_max_d``, is left alone.)
CONTROLLED_KEYS = (
    "newton_scene", "newton_methods", "newton_step_size", "newton_damping", "newton_adam_lr", "newton_steps",
    *(f"newton_start_{axis}_{scene}" for scene in so.SCENES for axis in ("x", "y")),
    *(f"newton_gd_lr_{scene}" for scene in so.SCENES),
)

PRESETS = {
    "corridor": Preset(
        "Ill-conditioned bowl",
        "On the κ = 20 bowl Newton lands on the minimum in 1 iteration and nonlinear CG in 2, while GD "
        "(η = 0.05) has still not brought |∇L| below 10⁻⁶ after 200.",
        {"newton_scene": "quadratic", "newton_methods": ["sgd", "newton", "bfgs", "conjugate_gradient"]},
    ),
    "newton_saddle": Preset(
        "Newton at a saddle",
        "On x² − y² Newton reaches the saddle in 1 iteration and damped Newton (μ = 0.1) in 5: zero gradient, not "
        "a minimum; saddle-free Newton heads downhill until its run is stopped far off the map at step 14.",
        {"newton_scene": "saddle", "newton_methods": ["newton", "damped_newton", "saddle_free_newton"]},
    ),
    "damped": Preset(
        "Damped vs plain Newton",
        "At the well's rim the radial curvature is 0.004, so the pure Newton step is 254 long and Newton is not "
        "converged after 200 iterations; with μ = 3 no step exceeds 0.34 and damped Newton converges in 22.",
        {"newton_scene": "flat", "newton_methods": ["newton", "damped_newton"], "newton_damping": 3.0},
    ),
    "nonconvex": Preset(
        "Newton where it curves down",
        "At (2.5, 0.5) on the plain the curvature along the radius is −0.64: Newton's first step climbs away from "
        "the well and it never converges in 200 iterations; saddle-free Newton reaches the minimum in 8.",
        {"newton_scene": "flat", "newton_start_x_flat": 2.5, "newton_start_y_flat": 0.5,
         "newton_methods": ["newton", "saddle_free_newton"]},
    ),
}

RIM_BUDGET = 15  # iterations
SADDLE_TARGET = -1.0  # loss damped Newton must get below on x² − y²


def _num(value: float, spec: str = ".3g") -> str:
    """A number for prose, with a real minus sign."""
    return format(value, spec).replace("-", "−")


def _scene_start(context, scene: str) -> bool:
    return np.allclose(context["start"], so.SCENES[scene].start)


def _longest_step(traj) -> float:
    path = traj.path(0)
    return float(np.max(np.linalg.norm(np.diff(path, axis=0), axis=1))) if len(path) > 1 else 0.0


def _rim(results, context):
    scene = so.SCENES["flat"]
    if context["scene"] != "flat":
        return False, f"Switch the scene to “{scene.title}”."
    if not _scene_start(context, "flat"):
        return False, f"Start from the scene's start ({scene.start[0]:g}, {scene.start[1]:g})."
    if "damped_newton" not in results:
        return False, "Add Damped Newton to the compared methods."
    traj = results["damped_newton"]
    landscape = context["landscape"]
    iterations = so.iterations_to_tolerance(traj, 1e-6)
    longest = _longest_step(traj)
    mu, eta = context["damping"], context["newton_lr"]
    if iterations is not None and iterations <= RIM_BUDGET:
        end = traj.path(0)[iterations]
        if np.all(np.asarray(curvature_at(landscape, end).eigenvalues) > 0):
            return True, (f"Solved: with μ = {mu:g} and step size {eta:g}, damped Newton reached |∇L| ≤ 10⁻⁶ at the "
                          f"minimum in {iterations} iterations; its longest step was {longest:.3g}.")
        return False, (f"Not yet: damped Newton stopped at ({end[0]:.3g}, {end[1]:.3g}), a critical point that is not "
                       "the minimum.")
    minimum = np.asarray([landscape.minima()[0].x, landscape.minima()[0].y])
    lam_min = float(np.min(curvature_at(landscape, minimum).eigenvalues))
    way = float(np.linalg.norm(minimum - np.asarray(context["start"])))
    lam_start = float(np.min(np.abs(curvature_at(landscape, np.asarray(context["start"])).eigenvalues)))
    took = (f"it needed {iterations} iterations" if iterations is not None else
            f"it did not converge in {context['steps']} iterations")
    if longest > way:
        hint = (f"its longest step was {longest:.3g}, longer than the whole way to the minimum ({way:.2f}): along the "
                f"radius the start's curvature is only λ = {lam_start:.2g}, so 1/(λ + μ) is still large with μ = {mu:g}. "
                "Brake harder")
    else:
        factor = abs(1 - eta * lam_min / (lam_min + mu))
        hint = (f"its steps are short (longest {longest:.3g}) but near the minimum, where λ ≈ {lam_min:.2f}, each step "
                f"only shrinks the error by a factor {factor:.2f} = |1 − η_N λ/(λ + μ)|. Damp less, or take longer steps")
    return False, f"Not yet: {took} (goal: at most {RIM_BUDGET}); {hint}."


def _saddle(results, context):
    scene = so.SCENES["saddle"]
    if context["scene"] != "saddle":
        return False, f"Switch the scene to “{scene.title}”."
    if not _scene_start(context, "saddle"):
        return False, f"Start from the scene's start ({scene.start[0]:g}, {scene.start[1]:g})."
    if abs(context["newton_lr"] - 1.0) > 1e-9:
        return False, "Keep the Newton-family step size at 1: the damping alone must do it."
    if "damped_newton" not in results:
        return False, "Add Damped Newton to the compared methods."
    traj = results["damped_newton"]
    losses = traj.losses(0)
    mu = context["damping"]
    below = np.flatnonzero(losses < SADDLE_TARGET)
    eigenvalues = np.linalg.eigvalsh(np.asarray(context["landscape"].hessian(np.zeros(2))) + mu * np.eye(2))
    shifted = ", ".join(_num(v) for v in eigenvalues)
    if below.size:
        return True, (f"Solved: with μ = {mu:g}, H + μI has eigenvalues {shifted}, all positive, so every step goes "
                      f"downhill; the loss reached {_num(losses[below[0]])} at iteration {below[0]}.")
    iterations = so.iterations_to_tolerance(traj, 1e-6)
    where = (f"damped Newton converged to the saddle at iteration {iterations}" if iterations is not None else
             f"damped Newton's lowest loss was {_num(float(np.min(losses)))}")
    return False, (f"Not yet: {where} (goal: a loss below {_num(SADDLE_TARGET, 'g')}). With μ = {mu:g}, H + μI has eigenvalues "
                   f"{shifted}: while one is negative, the step along that eigenvector still points to the critical "
                   "point of the local model, the saddle. How large must μ be to make both positive?")


CHALLENGES = {
    "rim": Challenge(
        "Rein in Newton at the rim",
        f"On the near-zero-curvature scene, from its start (1.6, 0.5), choose the damping μ (and the step size, if "
        f"you like) so that Damped Newton reaches |∇L| ≤ 10⁻⁶ at the minimum within {RIM_BUDGET} iterations.",
        {"newton_scene": "flat", "newton_methods": ["newton", "damped_newton"]},
        _rim,
    ),
    "saddle": Challenge(
        "Damping that escapes a saddle",
        f"On the saddle scene, with the step size at 1, choose the damping μ so that Damped Newton leaves the "
        f"saddle behind: its loss must fall below {_num(SADDLE_TARGET, 'g')}.",
        {"newton_scene": "saddle", "newton_methods": ["newton", "damped_newton"]},
        _saddle,
    ),
}
