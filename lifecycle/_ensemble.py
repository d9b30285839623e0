"""Run one model for many parameter sets: the entry point of Monte Carlo and sensitivity work.

:func:`ensemble` takes a table of samples (one row per run, one column per constant) and
returns an :class:`xarray.Dataset` with dimensions ``(run, time)``. By default it uses the
vectorised batch engine (:mod:`lifecycle.engines.batch`), which reproduces PySD to rounding
error at a small fraction of the cost; ``engine="pysd"`` loops over PySD itself and
``engine="simlin"`` over the independent Simlin engine.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .errors import (
    ArgumentError,
    OutOfRangeError,
    SimulationError,
    UnknownParameterError,
    UnsupportedFunctionError,
)
from .model import CONTROL, Model, load_model

ENGINES = ("auto", "batch", "pysd", "simlin")


def ensemble(
    model: Model | str | os.PathLike,
    samples: pd.DataFrame,
    *,
    scenario=None,
    variables: list[str] | None = None,
    engine: str = "auto",
) -> xr.Dataset:
    """Run ``model`` once per row of ``samples``, each from a fresh state.

    Parameters
    ----------
    model : a :class:`~lifecycle.model.Model` or the path of a ``.mdl`` file.
    samples : one row per run, one column per constant (any Vensim spelling of its name).
        Every value is checked against the constant's ``[min,max]`` range in the model.
    scenario : a :class:`~lifecycle.scenarios.Scenario` or the path of a scenario file; its
        constants apply beneath the samples, its ``final_time``/``time_step``/``saveper``
        to every run.
    variables : variables to return (default every stock, flow and auxiliary).
    engine : ``"auto"`` (the batch engine, or PySD if the model uses a construct the batch
        engine does not support), ``"batch"``, ``"pysd"`` or ``"simlin"``.

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
    if engine not in ENGINES:
        raise ArgumentError(f"`engine` must be one of {', '.join(ENGINES)}; got {engine!r}")
    if not isinstance(model, Model):
        model = load_model(model)
    if not isinstance(samples, pd.DataFrame):
        raise ArgumentError(f"`samples` must be a pandas DataFrame, not {type(samples).__name__}")
    if scenario is not None and isinstance(scenario, (str, os.PathLike)):
        from .scenarios import load_scenario

        scenario = load_scenario(Path(scenario), model)
    columns = _check_samples(model, samples)
    base = dict(getattr(scenario, "params", None) or {}) if scenario is not None else {}
    base = model.check_params(base)
    for name in columns:
        base.pop(name, None)
    names = [model.resolve(v) for v in variables] if variables else model.variables
    names = list(dict.fromkeys(names))
    settings = {k: getattr(scenario, k, None) for k in ("final_time", "time_step", "saveper")}
    n = len(samples)
    if engine in ("auto", "batch"):
        try:
            time, data = _run_batch(model, columns, base, n, names, settings)
            used = "batch"
        except UnsupportedFunctionError:
            if engine == "batch":
                raise
            engine = "pysd"
    if engine in ("pysd", "simlin"):
        time, data = _run_loop(model, columns, base, n, names, settings, engine)
        used = engine
    index = samples.index
    run = np.arange(n) if isinstance(index, pd.RangeIndex) else index.to_numpy()
    ds = xr.Dataset(
        {name: (("run", "time"), data[name]) for name in names},
        coords={"run": run, "time": np.asarray(time, dtype=float)},
    )
    ds.attrs.update(engine=used, model=model.name, model_sha256=model.hash, runs=n)
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
        for value in values[bad][:1]:
            model.check_value(const.name, float(value))  # raises the project's error
            raise OutOfRangeError(const.name, float(value), const.low, const.high)
        out[const.name] = values
    return out


def _controls(model: Model, settings: dict) -> dict:
    """Explicit run settings for every run: the scenario's, else the model file's."""
    out = {k: v for k, v in settings.items() if v is not None}
    try:  # the values written in the file (PySD's live ones keep the last run's)
        from .engines.batch import BatchModel

        prog = BatchModel(model.path).program(set(), [])
        defaults = prog.controls({})
    except UnsupportedFunctionError:
        cv = model.pysd.components._control_vars
        defaults = {k: cv[k]() for k in ("final_time", "time_step", "saveper")}
    for k in ("final_time", "time_step", "saveper"):
        out.setdefault(k, float(defaults[k]))
    return out


def _run_batch(model, columns, base, n, names, settings):
    from .engines.batch import BatchModel

    bm = BatchModel(model.path)
    params: dict = dict(base)
    params.update(columns)
    res = bm.run(params, n, names, **settings)
    data = {}
    for name in names:
        v = np.asarray(res.values[bm.comp.nodes[bm.key(name)].name], dtype=float)  # owned
        v[~np.isfinite(v)] = np.nan
        data[name] = v
    return res.time, data


def _run_loop(model, columns, base, n, names, settings, engine):
    settings = _controls(model, settings)
    if engine == "simlin":
        from .engines.simlin import SimlinModel

        runner = SimlinModel(model.path)

        def one(params):
            return runner.run(params, variables=names, **settings)
    else:

        def one(params):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PySD's lookup extrapolation, pandas notes
                return model.run(params, variables=names, **settings)

    data = {name: None for name in names}
    time = None
    for i in range(n):
        params = dict(base)
        params.update({k: float(v[i]) for k, v in columns.items()})
        try:
            df = one(params)
        except SimulationError:
            continue
        if time is None:
            time = df.index.to_numpy(dtype=float)
            for name in names:
                data[name] = np.full((n, len(time)), np.nan)
        for name in names:
            data[name][i] = df[name].to_numpy(dtype=float)
    if time is None:
        raise SimulationError(f"{model.name}: every run of the ensemble failed")
    for name in names:
        data[name][~np.isfinite(data[name])] = np.nan
    return time, data
