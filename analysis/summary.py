"""Per-trajectory summaries: the race table and the plain-words divergence explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.curvature import curvature_at
from landscapes.base import Landscape
from optimizers.engine import STATUS, Trajectories


def finite_median(values) -> float:
    """Median of the finite values (nan when there are none, without a warning)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def steps_to_tolerance(values: np.ndarray, tolerance: float) -> int | None:
    """First index at which ``values`` drops to ``tolerance`` or below (None if never)."""
    hits = np.flatnonzero(np.asarray(values) <= tolerance)
    return int(hits[0]) if hits.size else None


def nearest_minimum(landscape: Landscape, point) -> tuple[float, object]:
    """(distance, CriticalPoint) to the nearest known minimum; (nan, None) when none is known."""
    minima = landscape.minima()
    if not minima:
        return float("nan"), None
    d = [float(np.hypot(point[0] - m.x, point[1] - m.y)) for m in minima]
    i = int(np.argmin(d))
    return d[i], minima[i]


def divergence_explanation(landscape: Landscape, trajectory: Trajectories, i: int = 0) -> str | None:
    """Why trajectory i stopped, in plain words, with lr x lambda_max against 2 where that explains it."""
    if not trajectory.diverged(i):
        return None
    at = int(trajectory.diverged_at[i])
    last = max(at - 1, 0)
    reason = STATUS[int(trajectory.status[i])]
    lam_max = float(curvature_at(landscape, trajectory.params[i, last]).lambda_max)
    lr = float(trajectory.lr[i, last])
    product = lr * lam_max
    text = f"Stopped at step {at}: {reason}."
    if lam_max > 0 and product > 2:
        text += f" lr × λ_max = {lr:.3g} × {lam_max:.3g} = {product:.3g} > 2 at step {last}: the step overshoots the local bowl and grows each time."
    elif lam_max > 0:
        text += f" lr × λ_max = {product:.3g} ≤ 2 at step {last}, so the local quadratic was stable; the run left along a direction of negative or vanishing curvature (or a cliff)."
    else:
        text += f" λ_max = {lam_max:.3g} ≤ 0 at step {last}: the surface curves downward (or is flat) in every direction there, so the iterates run off downhill."
    return text


def race_table(landscape: Landscape, results: dict, names: dict, tolerance: float = 1e-6) -> pd.DataFrame:
    """One row per optimizer: final loss, distance to the nearest known minimum, steps to reach a
    loss within ``tolerance`` of the best known minimum, where it diverged, and the final point's type."""
    minima = landscape.minima()
    target = min((m.loss for m in minima if m.loss is not None), default=None)
    rows = []
    for key, traj in results.items():
        path = traj.path(0)
        losses = traj.losses(0)
        final = path[-1]
        distance, minimum = nearest_minimum(landscape, final)
        curv = curvature_at(landscape, final)
        reach = steps_to_tolerance(losses - target, tolerance) if target is not None else None
        rows.append(
            {
                "optimizer": names.get(key, key),
                "final loss": float(losses[-1]),
                "distance to nearest minimum": distance,
                f"steps to loss − L* ≤ {tolerance:g}": reach,
                "diverged at step": int(traj.diverged_at[0]) if traj.diverged(0) else None,
                "final point": f"{curv.kind_names()} ",
                "final |grad|": float(traj.grad_norms(0)[-1]),
            }
        )
    return pd.DataFrame(rows)


def trajectories_frame(results: dict, names: dict, landscape: Landscape | None = None) -> pd.DataFrame:
    """Long-format table of every valid iterate of every trajectory (for CSV export)."""
    frames = []
    for key, traj in results.items():
        for i in range(traj.params.shape[0]):
            n = traj.valid_length(i)
            frame = pd.DataFrame(
                {
                    "optimizer": names.get(key, key),
                    "trajectory": i,
                    "step": np.arange(n),
                    "x": traj.params[i, :n, 0],
                    "y": traj.params[i, :n, 1],
                    "loss": traj.loss[i, :n],
                    "grad_norm": traj.grad_norm[i, :n],
                    "lr": traj.lr[i, :n],
                }
            )
            if landscape is not None:
                curv = curvature_at(landscape, traj.params[i, :n])
                frame["lambda_min"] = curv.lambda_min
                frame["lambda_max"] = curv.lambda_max
                frame["condition_number"] = curv.condition_number
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
