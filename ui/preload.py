"""Import every module the pages use, once, before any page runs.

Streamlit runs each session's script on its own thread. On a cold server, two first visits at once
would import the math packages concurrently, and two threads importing packages that import each
other in different orders can each wait on a module the other is initializing: Python breaks that
deadlock by handing one thread a partially initialized module, and the page fails with
"cannot import name ... from partially initialized module". app.py imports this module first: the
second thread then waits for the first to finish all of it, and no import is ever shared half-done.
"""

import importlib
import pkgutil

import analysis
import landscapes
import optimizers
import ui

PACKAGES = [analysis, landscapes, optimizers, ui]
try:  # the deep-network lab's core, when present
    import networks

    PACKAGES.append(networks)
except ImportError:  # pragma: no cover
    pass

for package in PACKAGES:
    for module in pkgutil.iter_modules(package.__path__):
        if module.name != "preload":
            importlib.import_module(f"{package.__name__}.{module.name}")
