"""Engines that run a Vensim model: one interface, one settings object, one registry.

Every engine implements :class:`Engine` (``run(params, n, variables, settings)`` returning
an :class:`EngineResult`) for a :class:`~lifecycle.model.Model`, with the time axis in one
frozen :class:`RunSettings`:

- ``pysd`` (:mod:`~lifecycle.engines.pysd`): PySD's own loop, the reference.
- ``batch`` (:mod:`~lifecycle.engines.batch`): many parameter sets in one vectorised NumPy
  pass, compiled from PySD's parse of the ``.mdl`` (:mod:`~lifecycle.engines.compile`,
  :mod:`~lifecycle.engines.codegen`, :mod:`~lifecycle.engines.optimise`).
- ``simlin`` (:mod:`~lifecycle.engines.simlin`): the independent Simlin engine (optional
  ``pysimlin``), for cross-checks and unit checking.

:func:`engine` is the one place that turns a name into an engine; ``"auto"`` is the batch
engine where it supports the model and PySD elsewhere. A new engine is one module and one
line of :data:`ENGINES`. Most users call :func:`lifecycle.ensemble` or :func:`lifecycle.run`.
"""

from __future__ import annotations

from importlib import import_module as _import_module

from .._lazy import lazy_attributes as _lazy_attributes
from ..errors import ArgumentError as _ArgumentError
from ..errors import UnsupportedFunctionError as _UnsupportedFunctionError
from ._base import Engine, EngineResult, RunSettings, State

#: engine name -> (module, class); loaded on first use
ENGINES = {
    "batch": ("batch", "BatchEngine"),
    "pysd": ("pysd", "PySDEngine"),
    "simlin": ("simlin", "SimlinEngine"),
}
#: what an ``engine=`` argument accepts
CHOICES = ("auto", *ENGINES)

_LAZY = {
    "BatchModel": "batch",
    "BatchResult": "batch",
    "SimlinModel": "simlin",
    "unit_problems": "simlin",
}


def engine(name: str, model) -> Engine:
    """The engine ``name`` (one of :data:`CHOICES`) built for ``model``.

    ``"auto"`` runs the batch engine and falls back to PySD when the model uses a
    construct the batch engine lacks (found when compiling the model, or when building
    the program for a particular set of varying constants).

    Raises
    ------
    ArgumentError
        For a name that is not an engine.
    UnsupportedFunctionError
        With ``"batch"`` for a model the batch engine cannot compile.
    """
    if name not in CHOICES:
        raise _ArgumentError(f"`engine` must be one of {', '.join(CHOICES)}; got {name!r}")
    if name == "auto":
        return _Auto(model)
    module, cls = ENGINES[name]
    return getattr(_import_module(f".{module}", __name__), cls)(model)


class _Auto:
    """The batch engine where it supports the model, else PySD (``EngineResult.engine``
    says which ran)."""

    name = "auto"

    def __init__(self, model):
        self.model = model
        try:
            self.chosen = engine("batch", model)
        except _UnsupportedFunctionError:
            self.chosen = engine("pysd", model)

    def run(self, params, n, variables, settings) -> EngineResult:
        try:
            return self.chosen.run(params, n, variables, settings)
        except _UnsupportedFunctionError:
            self.chosen = engine("pysd", self.model)
            return self.chosen.run(params, n, variables, settings)

    def state_at(self, params, n, settings):
        try:
            return self.chosen.state_at(params, n, settings)
        except _UnsupportedFunctionError:
            self.chosen = engine("pysd", self.model)
            return self.chosen.state_at(params, n, settings)


__getattr__, __dir__ = _lazy_attributes(globals(), _LAZY)

__all__ = [
    "CHOICES",
    "ENGINES",
    "BatchModel",
    "BatchResult",
    "Engine",
    "EngineResult",
    "RunSettings",
    "State",
    "SimlinModel",
    "engine",
    "unit_problems",
]
