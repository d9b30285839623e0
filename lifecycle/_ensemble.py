"""Run one model for many parameter sets: the entry point of Monte Carlo and sensitivity work.

:func:`ensemble` takes a table of samples (one row per run, one column per constant) and
returns an :class:`xarray.Dataset` with dimensions ``(run, time)``. By default it uses the
vectorised batch engine (:mod:`lifecycle.engines.batch`), which reproduces PySD to rounding
error at a small fraction of the cost; ``engine="pysd"`` loops over PySD itself and
``engine="simlin"`` over the independent Simlin engine.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from . import engines
from .engines import RunSettings
from .engines._base import settings_of
from .errors import (
    ArgumentError,
    OutOfRangeError,
    SimulationError,
    UnknownParameterError,
)
from .inputs import as_scenario
from .limits import as_names
from .model import CONTROL, Model, load_model

if TYPE_CHECKING:
    from .scenarios import Scenario

ENGINES = engines.CHOICES


def ensemble(
    model: Model | str | os.PathLike,
    samples: pd.DataFrame,
    *,
    scenario: Scenario | str | os.PathLike | None = None,
    variables: list[str] | None = None,
    engine: str = "auto",
) -> xr.Dataset:
    """Run ``model`` once per row of ``samples``, each from a fresh state.

    Parameters
    ----------
    model : Model, str or os.PathLike
        A :class:`~lifecycle.model.Model`, or the path of a ``.mdl`` file.
    samples : pandas.DataFrame
        One row per run, one column per constant (any Vensim spelling of its name). Every
        value is checked against the constant's ``[min,max]`` range in the model.
    scenario : Scenario, str or os.PathLike, optional
        A scenario or the path of a scenario file: its constants apply beneath the
        samples, its ``final_time``/``time_step``/``saveper`` to every run
        (:class:`~lifecycle.engines.RunSettings`).
    variables : list of str, optional
        Variables to return (default every stock, flow and auxiliary).
    engine : {"auto", "batch", "pysd", "simlin"}, default "auto"
        From :func:`lifecycle.engines.engine`: ``"auto"`` is the batch engine, or PySD if
        the model uses a construct the batch engine does not support.

    Returns
    -------
    xarray.Dataset
        One data variable per requested variable (model spelling), dimensions ``(run,
        time)``; ``run`` is the index of ``samples``. ``attrs`` record the engine used and
        the model's name and SHA-256. A run that fails (NaN, overflow) holds NaN.

    Raises
    ------
    UnknownParameterError, NotAConstantError, OutOfRangeError
        For a column that is not a settable constant, or a value outside its range.
    UnsupportedFunctionError
        With ``engine="batch"`` when the model uses a construct the batch engine lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from lifecycle import load_model
    >>> from lifecycle import ensemble
    >>> model = load_model()                                        # doctest: +SKIP
    >>> samples = pd.DataFrame({"startup rate": [0.08, 0.12, 0.16]})
    >>> ds = ensemble(model, samples, variables=["Firms"])          # doctest: +SKIP
    >>> ds["Firms"].sel(time=40).values                             # doctest: +SKIP
    """
    if not isinstance(model, Model):
        model = load_model(model)
    if not isinstance(samples, pd.DataFrame):
        raise ArgumentError(f"`samples` must be a pandas DataFrame, not {type(samples).__name__}")
    runner = engines.engine(engine, model)
    scenario = as_scenario(scenario, model)
    variables = as_names(variables)
    columns = _check_samples(model, samples)
    base = model.check_params(getattr(scenario, "params", None) or {})
    for name in (*columns, *CONTROL):
        base.pop(name, None)
    names = [model.resolve(v) for v in variables] if variables else model.variables
    names = list(dict.fromkeys(names))
    settings = RunSettings.resolve(model.control, settings_of(scenario), where=model.name)
    n = len(samples)
    res = runner.run({**base, **columns}, n, names, settings)
    if n and res.failed.all() and res.engine != "batch":
        raise SimulationError(f"{model.name}: every run of the ensemble failed")
    index = samples.index
    run = np.arange(n) if isinstance(index, pd.RangeIndex) else index.to_numpy()
    data = {}
    for name in names:
        values = np.array(res.values[name], dtype=float)  # owned, never the engine's buffer
        values[~np.isfinite(values)] = np.nan
        data[name] = (("run", "time"), values)
    ds = xr.Dataset(data, coords={"run": run, "time": np.asarray(res.time, dtype=float)})
    ds.attrs.update(engine=res.engine, model=model.name, model_sha256=model.hash, runs=n)
    return ds


def _check_samples(model: Model, samples: pd.DataFrame) -> dict[str, np.ndarray]:
    """Resolve every column with :meth:`Model.check_value`; range-check all values at once."""
    out: dict[str, np.ndarray] = {}
    for col in samples.columns:
        const = model.resolve_constant(str(col))
        if const.name in CONTROL:
            raise UnknownParameterError(
                str(col), model.name, [], kind="constant that can vary between runs"
            )
        if const.name in out:
            raise ArgumentError(f"columns of `samples` name '{const.name}' twice")
        try:
            values = samples[col].to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ArgumentError(f"column '{col}' of `samples` must hold numbers") from exc
        bad = ~np.isfinite(values)
        if const.low is not None:
            bad |= values < const.low
        if const.high is not None:
            bad |= values > const.high
        if bad.any():
            value = float(values[bad][0])
            model.check_value(const.name, value)  # raises the project's error for NaN, inf
            raise OutOfRangeError(const.name, value, const.low, const.high)
        out[const.name] = values
    return out
