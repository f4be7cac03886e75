"""Optimizers as pure init/update pairs, schedules, clipping and the trajectory engine.

    >>> from landscapes import get_landscape
    >>> from optimizers import run_race, RunSettings
    >>> result = run_race(get_landscape("rosenbrock"), ["sgd", "adam"], RunSettings(lr=1e-3, n_steps=500))
    >>> result["adam"].loss[0, -1]
"""

from __future__ import annotations

from optimizers import first_order as fo
from optimizers import second_order as so
from optimizers.base import Optimizer

_ALL = [
    Optimizer("sgd", "GD / SGD", fo.sgd_init, fo.sgd_update, ("lr",),
              r"\theta \leftarrow \theta - \eta\, g"),
    Optimizer("momentum", "Momentum", fo.momentum_init, fo.momentum_update, ("lr", "momentum"),
              r"v \leftarrow \beta v + g,\qquad \theta \leftarrow \theta - \eta\, v"),
    Optimizer("nesterov", "Nesterov", fo.nesterov_init, fo.nesterov_update, ("lr", "momentum"),
              r"v \leftarrow \beta v + g,\qquad \theta \leftarrow \theta - \eta\,(g + \beta v)"),
    Optimizer("adagrad", "AdaGrad", fo.adagrad_init, fo.adagrad_update, ("lr", "eps"),
              r"r \leftarrow r + g \odot g,\qquad \theta \leftarrow \theta - \frac{\eta}{\sqrt{r + \epsilon}} \odot g"),
    Optimizer("rmsprop", "RMSProp", fo.rmsprop_init, fo.rmsprop_update, ("lr", "beta2", "eps"),
              r"r \leftarrow \rho r + (1-\rho)\, g \odot g,\qquad \theta \leftarrow \theta - \frac{\eta}{\sqrt{r} + \epsilon} \odot g"),
    Optimizer("adam", "Adam", fo.adam_init, fo.adam_update, ("lr", "beta1", "beta2", "eps"),
              r"m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g\odot g,\quad "
              r"\theta \leftarrow \theta - \eta \frac{m/(1-\beta_1^t)}{\sqrt{s/(1-\beta_2^t)} + \epsilon}"),
    Optimizer("adamw", "AdamW", fo.adamw_init, fo.adamw_update, ("lr", "beta1", "beta2", "eps", "weight_decay"),
              r"\theta \leftarrow \theta - \eta \left(\frac{\hat m}{\sqrt{\hat s} + \epsilon} + \lambda_{wd}\, \theta\right)"),
    Optimizer("newton", "Newton", so.newton_init, so.newton_update, ("newton_lr",),
              r"\theta \leftarrow \theta - \eta_N\, H^{-1} g", needs_hessian=True, family="second-order"),
    Optimizer("damped_newton", "Damped Newton", so.damped_newton_init, so.damped_newton_update, ("newton_lr", "damping"),
              r"\theta \leftarrow \theta - \eta_N\, (H + \mu I)^{-1} g", needs_hessian=True, family="second-order"),
    Optimizer("saddle_free_newton", "Saddle-free Newton", so.saddle_free_newton_init, so.saddle_free_newton_update,
              ("newton_lr", "damping"),
              r"\theta \leftarrow \theta - \eta_N\, (|H| + \mu I)^{-1} g,\quad |H| = V|\Lambda|V^\top",
              needs_hessian=True, family="second-order"),
    Optimizer("bfgs", "BFGS", so.bfgs_init, so.bfgs_update, ("newton_lr",),
              r"B \leftarrow (I-\rho s y^\top) B (I-\rho y s^\top) + \rho s s^\top,\quad \theta \leftarrow \theta - \eta_N B g",
              family="second-order"),
]

#: Every optimizer by key.
OPTIMIZERS: dict[str, Optimizer] = {o.key: o for o in _ALL}

from optimizers.engine import RunSettings, Trajectories, run_race, run_trajectories  # noqa: E402
from optimizers.schedules import SCHEDULES, learning_rate, schedule_factor, schedule_settings  # noqa: E402

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "RunSettings",
    "Trajectories",
    "run_race",
    "run_trajectories",
    "SCHEDULES",
    "learning_rate",
    "schedule_factor",
    "schedule_settings",
]
