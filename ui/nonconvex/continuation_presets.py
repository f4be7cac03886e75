"""Presets and challenges of the Continuation page (widget keys as in pages/nonconvex/continuation.py).

Every number quoted in an explanation was measured with the page's own computation (256 starts,
seed 1); tests/test_presets_continuation.py checks the main ones. Blurring the rippled bowl by σ scales each
ripple by e^(−2π²σ²/p²) and leaves the bowl's shape alone, so whether the blurred loss still has
side dents depends only on that factor: the threshold is computed below, not assumed.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from analysis.continuation import RUN_ORDER, hermite_rule
from ui.presets import Challenge, Preset

#: Every control a preset may set; applying a preset first returns all of them to their defaults.
CONTROLLED_KEYS = ("cont_landscape", "cont_sigma", "cont_sigma0", "cont_stages", "cont_lr", "cont_seed")

PRESETS = {
    "merge": Preset(
        "Blur that merges the minima",
        "σ = 0.4 keeps only e^(−2π²σ²) ≈ 4 % of each ripple: the blurred rippled bowl has a single minimum "
        "(the 36 dents of the unblurred map are gone; at σ = 0.3 nine remain).",
        {"cont_landscape": "rippled_bowl", "cont_sigma": 0.4},
    ),
    "narrow": Preset(
        "First blur too narrow",
        "σ₀ = 0.2 leaves 45 % of each ripple's height, so every dent survives the blur and continuation "
        "reaches the global minimum no more often than direct descent (1 % of the starts each).",
        {"cont_landscape": "rippled_bowl", "cont_sigma": 0.2, "cont_sigma0": 0.2},
    ),
    "short_stages": Preset(
        "Too many short stages",
        "η = 0.01 with 12 stages of 50 steps: when σ drops below 0.33 at step 100 and the side dents return, "
        "only 16 % of the runs are inside the global minimum's dent; 23 % succeed (2 or 3 longer stages: 100 %).",
        {"cont_landscape": "rippled_bowl", "cont_stages": 12, "cont_lr": 0.01},
    ),
    "too_large": Preset(
        "Too large a learning rate",
        "η = 0.1 is twice 2/λ_max = 2/(1 + 4π²) ≈ 0.049 at the sharp global minimum: continuation brings "
        "every run within 0.5 of it, but on the true loss the last stage bounces and no run settles there.",
        {"cont_landscape": "rippled_bowl", "cont_lr": 0.1},
    ),
}


def ripple_damping(sigma: float, period: float = 1.0) -> float:
    """The factor e^(−2π²σ²/p²) by which the blur scales the ripples (exact)."""
    return math.exp(-2 * math.pi**2 * sigma**2 / period**2)


def run_quadrature_damping(sigma: float, period: float = 1.0) -> float:
    """The same factor as the runs compute it, with their RUN_ORDER-point Gauss–Hermite rule per axis."""
    offsets, weights = hermite_rule(RUN_ORDER)
    return float(np.sum(weights * np.cos(2 * np.pi * sigma * offsets[:, 0] / period)))


def _minima_count(a: float, bowl: float, ripple: float, period: float) -> int:
    """Local minima, per axis, of the rippled bowl blurred to ripple factor a: ½·bowl·u² − ripple·a·cos(2πu/p)."""
    u = np.linspace(-6 * period, 6 * period, 120_001)
    f = 0.5 * bowl * u**2 - ripple * a * np.cos(2 * np.pi * u / period)
    return int(np.sum((f[1:-1] < f[:-2]) & (f[1:-1] < f[2:])))


@lru_cache(maxsize=16)
def merge_threshold(bowl: float, ripple: float, period: float) -> tuple[float, float]:
    """(damping a*, blur σ*): below a* (above σ*) the blurred bowl has no local minimum besides the global one,
    per axis (the blurred loss is a sum over the two axes)."""
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if _minima_count(mid, bowl, ripple, period) > 1 else (mid, hi)
    return hi, period * math.sqrt(math.log(1 / hi) / (2 * math.pi**2))


@lru_cache(maxsize=16)
def quadrature_limit(bowl: float, ripple: float, period: float) -> float:
    """The widest blur (on a 0.01 grid) up to which the runs' quadrature still gives a single minimum."""
    sigma = merge_threshold(bowl, ripple, period)[1]
    while sigma < 2.0 and _minima_count(run_quadrature_damping(sigma + 0.01, period), bowl, ripple, period) == 1:
        sigma += 0.01
    return sigma


def _bowl(landscape) -> tuple[float, float, float]:
    p = landscape.params
    return float(p["bowl"]), float(p["ripple"]), float(p["period"])


def _stages(sigmas: np.ndarray) -> list[tuple[float, int]]:
    """(σ, steps) of each stage, in order."""
    change = np.flatnonzero(np.diff(sigmas) != 0) + 1
    bounds = np.concatenate([[0], change, [len(sigmas)]])
    return [(float(sigmas[a]), int(b - a)) for a, b in zip(bounds[:-1], bounds[1:])]


def _num(x: float, fmt: str = ".3g") -> str:
    return format(x, fmt).replace("-", "−")


def _diagnose(result, context, success: float, larger_lr_allowed: bool) -> str:
    """Why continuation fell short on the rippled bowl, in the page's own terms and numbers."""
    bowl, ripple, period = _bowl(context["landscape"])
    a_star, sigma_star = merge_threshold(bowl, ripple, period)
    sigma0, lr = float(context["sigma0"]), float(context["lr"])
    status = (f"Not yet: continuation reaches the global minimum from {100 * success:.0f} % of the starts "
              f"(direct descent: {100 * float(result.direct_success.mean()):.0f} %; goal: 95 %)")
    exact, computed = ripple_damping(sigma0, period), run_quadrature_damping(sigma0, period)
    if not np.any(result.sigmas > 0):
        return f"{status}. With a single stage nothing is blurred: continuation is plain descent on the true loss. Use more stages."
    if sigma0 < sigma_star:
        return (f"{status}. At σ₀ = {sigma0:g} the ripples keep e^(−2π²σ₀²) = {100 * exact:.0f} % of their height; "
                f"the blurred bowl loses its side dents only once that falls below {100 * a_star:.1f} %, i.e. for "
                f"σ above {sigma_star:.2f}. Widen the first blur.")
    if _minima_count(computed, bowl, ripple, period) > 1:
        return (f"{status}. At σ₀ = {sigma0:g} the runs' {RUN_ORDER}×{RUN_ORDER}-point quadrature cannot follow "
                f"the ripples: it scales them by {_num(computed)} instead of the exact {_num(exact, '.2g')}, so the "
                f"blurred loss the runs descend still has dents. Keep σ₀ at most "
                f"{quadrature_limit(bowl, ripple, period):.2f}.")
    lam = bowl + 4 * math.pi**2 * ripple / period**2  # the true loss's curvature at the global minimum
    if lr * lam > 2:
        return (f"{status}. η = {lr:g} is above 2/λ_max = 2/{lam:.3g} ≈ {2 / lam:.3f} at the sharp global minimum: "
                "the last stage, on the true loss, overshoots it. Take a smaller η.")
    # The side dents return once sigma falls below sigma*: by then a run must be inside the centre's dent.
    paths, sigmas = result.continuation_paths, result.sigmas
    centre = np.asarray(context["landscape"].minima()[0].point)
    t_star = int(np.argmax(sigmas < sigma_star))
    stages = _stages(sigmas)
    stage = int(np.searchsorted(np.cumsum([n for _, n in stages]), t_star, side="right")) + 1
    inside = float(np.mean(np.all(np.abs(paths[:, t_star] - centre) < period / 2, axis=1)))
    start = float(np.median(np.linalg.norm(paths[:, 0] - centre, axis=1)))
    there = float(np.median(np.linalg.norm(paths[:, t_star] - centre, axis=1)))
    return (f"{status}. The side dents come back once σ falls below {sigma_star:.2f}: here at step {t_star} "
            f"(stage {stage} of {len(stages)}, {len(sigmas) // len(stages)} steps each). By then only {100 * inside:.0f} % of the runs "
            f"are inside the global minimum's dent (median distance from the centre {there:.2f}; they started "
            f"{start:.2f} away): on the blurred bowl (curvature ≈ {bowl:g}) each step closes only about a fraction "
            f"η = {lr:g} of that distance. Give the wide blurs more steps: fewer, longer stages"
            + (" or a larger η." if larger_lr_allowed else "."))


def _narrow_blur(results, context):
    """≥ 95 % success on the rippled bowl with σ₀ ≤ 0.35."""
    if context["name"] != "rippled_bowl":
        return False, "Choose the rippled bowl as the loss."
    sigma0 = float(context["sigma0"])
    if sigma0 > 0.35 + 1e-9:
        return False, f"Keep the first blur at σ₀ ≤ 0.35 (it is {sigma0:g}): the point is the narrowest blur that works."
    result = results["result"]
    success = float(result.continuation_success.mean())
    if success >= 0.95:
        return True, (f"Solved: with σ₀ = {sigma0:g} continuation reaches the global minimum from {100 * success:.0f} % "
                      f"of the starts; the ripples kept {100 * ripple_damping(sigma0):.0f} % of their height.")
    return False, _diagnose(result, context, success, larger_lr_allowed=True)


def _small_steps(results, context):
    """≥ 95 % success on the rippled bowl with η ≤ 0.01."""
    if context["name"] != "rippled_bowl":
        return False, "Choose the rippled bowl as the loss."
    lr = float(context["lr"])
    if lr > 0.01 + 1e-12:
        return False, f"Keep the learning rate at η ≤ 0.01 (it is {lr:g}): the point is to work with small steps."
    result = results["result"]
    success = float(result.continuation_success.mean())
    if success >= 0.95:
        stages = _stages(result.sigmas)
        return True, (f"Solved: with {len(stages)} stages of {stages[0][1]} steps and σ₀ = {float(context['sigma0']):g}, "
                      f"continuation reaches the global minimum from {100 * success:.0f} % of the starts at η = {lr:g}.")
    return False, _diagnose(result, context, success, larger_lr_allowed=False)


CHALLENGES = {
    "narrow_blur": Challenge(
        "The narrowest blur that works",
        "Section 2: on the rippled bowl, make continuation reach the global minimum from at least 95 % of the starts with a "
        "first blur σ₀ of at most 0.35.",
        {"cont_landscape": "rippled_bowl", "cont_sigma": 0.3, "cont_sigma0": 0.3},
        _narrow_blur,
    ),
    "small_steps": Challenge(
        "Continuation with small steps",
        "Section 2: on the rippled bowl, with a learning rate η of at most 0.01, make continuation reach the global minimum "
        "from at least 95 % of the starts.",
        {"cont_landscape": "rippled_bowl", "cont_lr": 0.01},
        _small_steps,
    ),
}
