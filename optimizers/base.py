"""What an optimizer is: a pure ``init``/``update`` pair plus what the app needs to show it.

    state = init(theta)
    theta_next, state = update(gradient, state, theta, hyper, hessian)

``hyper`` is a dict of traced scalars: ``lr`` (already scheduled for this step), ``momentum``,
``beta1``, ``beta2``, ``eps``, ``weight_decay``, ``damping``. Because they arrive as traced values,
changing any of them never recompiles a trajectory. ``hessian`` is the minibatch Hessian for the
second-order methods and ``None`` for the rest.
"""

from __future__ import annotations

import inspect
from typing import Callable, NamedTuple


class Optimizer(NamedTuple):
    key: str
    name: str
    init: Callable
    update: Callable
    hyperparameters: tuple[str, ...]
    latex: str
    needs_hessian: bool = False
    family: str = "first-order"

    def source(self) -> str:
        """The code of the state, init and update, as a student would read it."""
        module = inspect.getmodule(self.update)
        state_name = self.update.__annotations__.get("return", "")
        parts = []
        state_cls = getattr(module, f"{_camel(self.key)}State", None)
        if state_cls is not None:
            parts.append(inspect.getsource(state_cls))
        parts.append(inspect.getsource(self.init))
        parts.append(inspect.getsource(self.update))
        del state_name
        return "\n\n".join(p.strip("\n") for p in parts)


def _camel(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))
