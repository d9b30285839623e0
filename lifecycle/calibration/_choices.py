"""The choices of :func:`lifecycle.calibrate` that the command line offers as options: here,
apart from the driver, so that listing them (``lifecycle --help``) loads no optimiser."""

from __future__ import annotations

from .. import engines

__all__ = ["ENGINES", "INTERVALS", "METHODS"]

METHODS = ("auto", "least_squares", "differential_evolution", "mcmc")
INTERVALS = ("auto", "linear", "bootstrap")
ENGINES = tuple(e for e in engines.CHOICES if e != "simlin")  # Simlin: no batch, no speed
