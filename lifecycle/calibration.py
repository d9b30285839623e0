"""Fit a model's constants to observed series.

:func:`calibrate` adjusts constants, within bounds, so that the model's trajectories match
observed series (from :func:`lifecycle.read_data`) in the weighted least-squares sense. It
runs the model through one loaded :class:`~lifecycle.model.Model` (translated once, never
rebuilt per evaluation) and returns a :class:`~lifecycle.calibration_result.CalibrationResult`.

How a series is compared with the model
    A stock or an auxiliary is compared at the data's times. A flow (a variable that a stock
    integrates, or any variable measured per unit of time) can be observed two ways, and
    ``flows=`` says which: ``"total"``, the flow accumulated over the period that ends at
    each data time (annual sales, firms founded in a year), exactly as Euler integration
    accumulates it into a stock; or ``"rate"``, the flow's value at the data's times. By
    default a flow is a ``"total"`` over the data's spacing when the data are evenly
    spaced; with unevenly spaced data the choice is ambiguous and must be made explicitly.

How series are weighted
    Each residual is multiplied by the series' weight, by default ``1 / std`` of its
    observed values, so that series on different scales count alike (``weights="range"``:
    ``1 / (max - min)``; ``"mean"``: ``1 / |mean|``; ``"none"``: 1; or a dict of weights per
    series, the rest keeping the default).
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from .calibration_objective import Objective
from .calibration_result import CalibrationResult
from .calibration_setup import Parameter, fit_parameters, observed_series
from .errors import CalibrationError
from .model import Model, load_model

__all__ = ["IdentifiabilityWarning", "Parameter", "calibrate"]

METHODS = ("least_squares", "differential_evolution")


class IdentifiabilityWarning(UserWarning):
    """Fitted parameters that the data cannot separate (|correlation| above the threshold)."""


def _local(obj: Objective, u0, options) -> optimize.OptimizeResult:
    kwargs = {"method": "trf", "jac": obj.jacobian, "x_scale": 1.0}
    kwargs.update(options)
    return optimize.least_squares(obj.residuals, u0, bounds=(0.0, 1.0), **kwargs)


def _latin_hypercube(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    cells = np.stack([rng.permutation(n) for _ in range(k)], axis=1)
    return (cells + rng.uniform(size=(n, k))) / n


def _rng_kwarg(func, seed) -> dict:
    return {"rng": seed} if "rng" in inspect.signature(func).parameters else {"seed": seed}


def calibrate(
    model: Model | str | os.PathLike,
    data: pd.DataFrame,
    params: Mapping[str, Any],
    *,
    scenario: Any = None,
    weights: Mapping[str, float] | Literal["std", "range", "mean", "none"] | None = None,
    method: Literal["least_squares", "differential_evolution"] = "least_squares",
    starts: int = 1,
    seed: int | None = None,
    flows: Mapping[str, str] | Literal["total", "rate"] | None = None,
    period: Mapping[str, float] | float | None = None,
    time_step: float | None = None,
    final_time: float | None = None,
    correlation_threshold: float = 0.95,
    engine: Literal["auto", "batch", "pysd"] = "auto",
    options: Mapping[str, Any] | None = None,
) -> CalibrationResult:
    """Fit constants of ``model`` to the observed series in ``data``.

    Parameters
    ----------
    model : Model or path to a ``.mdl`` file
    data : pandas.DataFrame
        Observed series indexed by model time, columns named after model variables (as
        :func:`lifecycle.read_data` returns them); NaN marks a missing value.
    params : dict
        Constant name -> ``(low, high)`` bounds, ``(low, high, initial)``, a dict with
        ``min``, ``max`` and optionally ``value`` and ``vary``, or a :class:`Parameter`.
        Bounds must lie inside the model's ``[min,max]`` range for the constant.
    scenario : Scenario, path or dict, optional
        Values of the other constants (and the run settings) during the fit; a dict gives
        constant values only.
    weights : dict or {"std", "range", "mean", "none"}, optional
        Residual multipliers per series; default ``1 / std`` of each observed series.
    method : {"least_squares", "differential_evolution"}
        Bounded trust-region least squares (scipy ``least_squares``), or a global
        ``differential_evolution`` search polished by ``least_squares``.
    starts : int, default 1
        For ``least_squares``: local fits from the initial values and ``starts - 1`` Latin
        hypercube points; the best is kept.
    seed : int, optional
        Seed of the multi-start design and of differential evolution.
    flows : dict or {"total", "rate"}, optional
        How each observed flow is compared (see the module notes). Default: ``"total"``
        over the data's spacing for evenly spaced data; an error when uneven.
    period : dict or float, optional
        Length of the period each ``"total"`` covers; default the spacing of the data.
    time_step, final_time : float, optional
        Run settings; default the scenario's, then the model's. The simulated horizon is
        ``[INITIAL TIME, final_time]``; every data time must lie inside it.
    correlation_threshold : float, default 0.95
        Pairs of fitted parameters whose estimates correlate more than this (in absolute
        value) raise an :class:`IdentifiabilityWarning` naming them.
    engine : {"auto", "batch", "pysd"}
        ``"auto"``: the vectorised batch engine when it supports the model and reproduces
        PySD's run at the starting values, else PySD. The reported run is always PySD's.
    options : dict, optional
        Extra keywords for the scipy routine (``max_nfev``, ``maxiter``, ``popsize``...).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    DataError, CalibrationError, UnknownParameterError, NotAConstantError
        For a set-up that cannot be fitted, before any model run.

    Examples
    --------
    >>> from lifecycle import calibrate, load_model, read_data
    >>> model = load_model("models/bass_diffusion.mdl")                # doctest: +SKIP
    >>> data = read_data("data/bass_colour_tv_sales.csv", time_column="year",
    ...                  columns={"sales_thousand_units": "adoption rate"},
    ...                  time_offset=1962)                           # doctest: +SKIP
    >>> fit = calibrate(model, data, {"innovation coefficient": (0.001, 0.2),
    ...                               "imitation coefficient": (0.05, 2),
    ...                               "market size": (5000, 200000)},
    ...                 time_step=0.25)                              # doctest: +SKIP
    >>> print(fit.summary())                                         # doctest: +SKIP
    """
    if not isinstance(model, Model):
        model = load_model(model)
    if method not in METHODS:
        raise CalibrationError(f"`method` must be one of {METHODS}, got {method!r}")
    if isinstance(starts, bool) or not isinstance(starts, int) or starts < 1:
        raise CalibrationError(f"`starts` must be a positive integer, got {starts!r}")
    scen = _load_scenario(scenario, model)
    fixed = model.check_params(getattr(scen, "params", None) or {})
    fitted = fit_parameters(model, params)
    for p in fitted:
        fixed.pop(p.name, None)
    fixed.update({p.name: p.initial for p in fitted if not p.vary})
    varying = [p for p in fitted if p.vary]
    if not varying:
        raise CalibrationError("every parameter has vary=False: nothing to fit")

    initial = model.control["initial_time"]
    horizon = _first(final_time, getattr(scen, "final_time", None), model.control["final_time"])
    dt = _first(time_step, getattr(scen, "time_step", None), model.control["time_step"])
    if not (dt > 0 and horizon > initial):
        raise CalibrationError(f"bad run settings: time_step={dt}, final_time={horizon}")
    series = observed_series(model, data, flows, period, weights, initial, horizon)
    n_obs = sum(s.times.size for s in series)
    if n_obs < len(varying):
        raise CalibrationError(
            f"{n_obs} observations cannot fit {len(varying)} parameters (fix: fit fewer)"
        )
    t_max = max(float(s.times.max()) for s in series)
    end = min(horizon, initial + np.ceil((t_max - initial) / dt - 1e-9) * dt)

    obj = Objective(model, series, varying, fixed, dt, end, engine=engine)
    options = dict(options or {})
    u0 = obj.to_u([p.initial for p in varying])
    start_table = []
    if method == "least_squares":
        design = [u0]
        if starts > 1:
            design += list(_latin_hypercube(starts - 1, len(varying), np.random.default_rng(seed)))
        best = None
        for u in design:
            res = _local(obj, u, options)
            start_table.append((obj.to_x(u), obj.to_x(res.x), res.cost, res.success))
            if best is None or res.cost < best.cost:
                best = res
        message = best.message
    else:
        de_opts = {"maxiter": 60, "popsize": 12, "tol": 1e-7, "polish": False}
        local_opts = {
            k: options.pop(k) for k in ("max_nfev", "ftol", "xtol", "gtol") if k in options
        }
        de_opts.update(options)
        de_opts.update(vectorized=True, updating="deferred")
        glob = optimize.differential_evolution(
            obj.costs,
            [(0.0, 1.0)] * len(varying),
            x0=u0,
            **_rng_kwarg(optimize.differential_evolution, seed),
            **de_opts,
        )
        best = _local(obj, glob.x, local_opts)
        start_table.append((obj.to_x(glob.x), obj.to_x(best.x), best.cost, best.success))
        message = f"differential evolution: {glob.message} Polish: {best.message}"

    x = obj.to_x(best.x)
    run = obj.simulate(x, final_time=end)  # the reported run: PySD's, the reference engine
    values = {v: run[v].to_numpy()[None, :] for v in obj.variables}
    preds = [p[0] for p in obj.predictions(run.index.to_numpy(dtype=float), values)]
    jac_x = np.asarray(best.jac, dtype=float) / obj.span
    result = CalibrationResult.build(
        model=model,
        data=data,
        series=series,
        fitted=varying,
        fixed={k: v for k, v in fixed.items()},
        x=x,
        jac=jac_x,
        residuals=np.asarray(best.fun, dtype=float),
        predictions=preds,
        run=run,
        method=method,
        starts=pd.DataFrame(
            [
                {
                    "start": dict(zip([p.name for p in varying], a, strict=True)),
                    "end": dict(zip([p.name for p in varying], b, strict=True)),
                    "cost": c,
                    "success": s,
                }
                for a, b, c, s in start_table
            ]
        ),
        success=bool(best.success),
        engine=obj.engine,
        message=message
        + (f" ({obj.failures} runs failed and were penalised)" if obj.failures else ""),
        nfev=obj.runs,
        time_step=dt,
        final_time=getattr(scen, "final_time", None) if final_time is None else final_time,
        scenario=scen,
    )
    for msg in result.identifiability(correlation_threshold):
        warnings.warn(msg, IdentifiabilityWarning, stacklevel=2)
    return result


def _first(*values):
    return next(float(v) for v in values if v is not None)


def _load_scenario(scenario, model: Model):
    if scenario is None or hasattr(scenario, "params"):
        return scenario
    if isinstance(scenario, Mapping):  # plain values of other constants
        return SimpleNamespace(params=dict(scenario), final_time=None, time_step=None)
    from .scenarios import load_scenario  # the lead's module; imported when first needed

    return load_scenario(scenario, model=model)
