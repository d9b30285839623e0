"""Engines that run a Vensim model other than PySD's own loop.

- :mod:`~lifecycle.engines.batch`: many parameter sets in one vectorised NumPy pass, compiled
  from PySD's parse of the ``.mdl`` (:mod:`~lifecycle.engines.compile`,
  :mod:`~lifecycle.engines.codegen`, :mod:`~lifecycle.engines.optimise`).
- :mod:`~lifecycle.engines.simlin`: the independent Simlin engine (optional ``pysimlin``),
  for cross-checks and unit checking.

Most users call :func:`lifecycle.ensemble`, which picks an engine.
"""

from .batch import BatchModel, BatchResult
from .simlin import SimlinModel, unit_problems

__all__ = ["BatchModel", "BatchResult", "SimlinModel", "unit_problems"]
