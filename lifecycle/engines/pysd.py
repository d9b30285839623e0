"""PySD's own engine, the reference: one run at a time, from a fresh state.

:class:`PySDEngine` runs a :class:`~lifecycle.model.Model`'s PySD model; :func:`frame` is
one run, used by :meth:`Model.run <lifecycle.model.Model.run>` and by the engine's loop.
It removes PySD's trap of parameters that leak from one run into the next: every constant
set by the previous run and not by this one goes back to its default.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelParseError, SimulationError
from ._base import EngineResult, RunSettings, run_each


def frame(
    model, params: Mapping[str, float], columns: Sequence[str], settings: RunSettings
) -> pd.DataFrame:
    """One PySD run of ``model`` with checked ``params``; a float DataFrame indexed by time.

    Non-finite values are returned as they are; the caller decides whether they fail.
    """
    overrides = {n: model.constants[n].default for n in model._dirty - set(params)}
    overrides.update(params)
    model._dirty = set(params)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN/inf is the caller's to check
        # known third-party warnings, by message: pandas 3.1 deprecates an argument
        # PySD 3.14 passes; PySD warns on every lookup extrapolation (held as Vensim)
        warnings.filterwarnings("ignore", "The inplace keyword in DataFrame.set_index")
        warnings.filterwarnings("ignore", "(?s).*extrapolating data", UserWarning)
        try:
            out = model.pysd.run(
                params=overrides,
                return_columns=list(columns),
                progress=False,
                # PySD advises against output caching when TIME STEP << SAVEPER
                cache_output=False,
                **settings.as_kwargs(),
            )
        except RecursionError as exc:  # auxiliaries that need each other
            raise ModelParseError(
                f"{model.name}: simultaneous equations (a loop without a stock), which "
                "PySD cannot order (fix: put a stock, e.g. a SMOOTH, in the loop)"
            ) from exc
        except Exception as exc:
            raise SimulationError(f"{model.name}: the run failed: {exc}") from exc
    out.index.name = "time"
    return out.astype(float)


class PySDEngine:
    """The :class:`~lifecycle.engines.Engine` of PySD: ``n`` runs, one after the other."""

    name = "pysd"

    def __init__(self, model):
        self.model = model

    def run(
        self, params: Mapping[str, Any], n: int, variables: Sequence[str], settings: RunSettings
    ) -> EngineResult:
        """``n`` runs; array-valued ``params`` differ between runs (see :class:`Engine`)."""
        columns = list(variables)
        return run_each(
            lambda p: frame(self.model, p, columns, settings), params, n, columns, self.name
        )
