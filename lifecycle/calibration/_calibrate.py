"""Fit a model's constants to observed series: :func:`calibrate` and :func:`evaluate`.

:func:`calibrate` adjusts constants, within bounds, so that the model's trajectories match
observed series (from :func:`lifecycle.read_data`) in the weighted least-squares sense, or
samples their posterior (``method="mcmc"``). It runs in three steps: set-up (parameters,
ties, the calendar and the observed series, all checked before the first run), optimisation
(:mod:`._optimise`, batched over one engine) and the report (:mod:`._result`).

How a series is compared with the model
    A level (a stock, or any variable whose units are not per unit of time: ``person``,
    ``firm``, ``Dmnl``) is compared at the data's times. A flow (units per unit of time) can
    be observed two ways, and ``flows=`` says which: ``"total"``, the flow accumulated over
    the period that ends at each data time (annual sales, firms founded in a year), exactly
    as Euler integration accumulates it into a stock; or ``"rate"``, the flow's value at the
    data's times. By default a flow is a ``"total"`` over the data's spacing when the data
    are evenly spaced; with unevenly spaced data the choice must be made explicitly.

How series are weighted
    Each residual is multiplied by the series' weight: ``1 / std`` of its observed values,
    so that series on different scales count alike (``weights="range"``: ``1 / (max -
    min)``; ``"mean"``: ``1 / |mean|``; ``"none"``: 1), times a factor per series when
    ``weights`` is a dict (``{"Firms": 2}`` counts firms twice as much).

Starting mid-life
    The model starts at ``INITIAL TIME`` as the model file has it (an embryonic cluster, say).
    ``spin_up=YEARS`` runs it that long before the first data year, so that the record can
    start with a mature cluster; ``params={"spin up": (20, 60)}`` fits it. ``scenario=``
    gives the other constants during the fit (and ``start=(scenario, time)`` is the same with
    ``start=(scenario, time)`` starts every run from the state of that scenario's run at
    model ``time`` (every stock and every SMOOTH/DELAY stage), which becomes the first data
    year, so the fitted constants act from there on only. Constants such as initial stocks
    (from a spin-up) or the model's size scale are fitted like any other.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import CalibrationError
from ..inputs import as_scenario
from ..limits import check_count
from ..model import Model, load_model
from . import _optimise as opt
from ._choices import INTERVALS, METHODS
from ._objective import Objective
from ._parameters import calendar, parameters
from ._report import report
from ._result import CalibrationResult
from ._search import Outcome, optimise
from ._setup import Setup, observed_series
from ._state import refuse_initial_values, start_state
from ._uncertainty import given_sd, log_prior_of, series_sd

__all__ = ["METHODS", "IdentifiabilityWarning", "calibrate", "evaluate"]


class IdentifiabilityWarning(UserWarning):
    """Fitted parameters that the data cannot separate (|correlation| above the threshold)."""


# -- 1. set-up --------------------------------------------------------------------------------
def _first(*values):
    return next(float(v) for v in values if v is not None)


def _start(model: Model, start, scenario, spin_up):
    """``start=(scenario, time)``: the scenario, its time (the first data year) and the
    spin-up that puts the record there; the state itself is taken in :func:`prepare`."""
    if scenario is not None or spin_up is not None:
        raise CalibrationError("give start=(scenario, time) or scenario=/spin_up=, not both")
    try:
        scenario, at = start
        at = float(at)
    except (TypeError, ValueError):
        raise CalibrationError(f"`start` must be (scenario, time), got {start!r}") from None
    return scenario, at - model.control["initial_time"], at


def _year_zero(scen, data) -> float:
    """The calendar year of model time 0 without a spin-up: the scenario's ``[calendar]``,
    else the data's ``time_offset`` (model time = the data's own index)."""
    cal = getattr(scen, "calendar", None)
    return float(cal.year_zero if cal is not None else data.attrs.get("time_offset", 0.0))


def _enough(series, fitted) -> None:
    n_obs = sum(s.times.size for s in series)
    k = sum(p.vary for p in fitted)
    if n_obs < k:
        raise CalibrationError(f"{n_obs} observations cannot fit {k} parameters (fix: fit fewer)")


def prepare(
    model: Model,
    data: pd.DataFrame,
    params,
    *,
    scenario=None,
    ties=None,
    spin_up=None,
    start=None,
    weights=None,
    flows=None,
    period=None,
    time_step=None,
    final_time=None,
    evaluating: bool = False,
) -> Setup:
    """Check everything and build the :class:`~._setup.Setup`; no model run."""
    at = None
    if start is not None:
        scenario, spin_up, at = _start(model, start, scenario, spin_up)
    scen = as_scenario(scenario, model)
    fixed = model.check_params(getattr(scen, "params", None) or {})
    history = dict(fixed)  # the scenario's own values, fitted ones included: the pre-history
    if evaluating and not params:
        fitted, members, dates, stepped, defaults = [], {}, set(), set(), {}
    else:
        fitted, members, dates, stepped, defaults = parameters(model, params, ties)
    for group in members.values():
        for const, _ in group:
            fixed.pop(const, None)
    if at is not None:
        refuse_initial_values(model, members, f"the scenario at time {at:g}")
    if not evaluating and not any(p.vary for p in fitted):
        raise CalibrationError("every parameter has vary=False: nothing to fit")
    initial = model.control["initial_time"]
    dt = _first(time_step, getattr(scen, "time_step", None), model.control["time_step"])
    horizon = _first(final_time, getattr(scen, "final_time", None), model.control["final_time"])
    if not dt > 0:
        raise CalibrationError(f"bad run settings: time_step={dt}")
    series = observed_series(model, data, flows, period, weights)
    _enough(series, fitted)
    first = min(float(np.nanmin(np.where(s.mode == "total", s.starts, s.times))) for s in series)
    last = max(float(s.times.max()) for s in series)
    fitted, year_zero, end, spin = calendar(
        model,
        fitted,
        members,
        dates,
        defaults,
        first=first,
        last=last,
        data_offset=_year_zero(scen, data),
        spin_up=spin_up,
        initial=initial,
        time_step=dt,
        final_time=horizon,
        model_final=horizon,
    )
    if not end > initial:
        raise CalibrationError(f"bad run settings: the runs would end at {end:g}")
    state = None if at is None else start_state(model, history, at, dt)
    return Setup(
        state=state,
        model=model,
        series=series,
        params=fitted,
        members=members,
        dates=dates,
        stepped=stepped,
        fixed=fixed,
        initial=initial,
        time_step=dt,
        end=end,
        first=first,
        last=last,
        year_zero=year_zero,
        spin_up=spin,
        scenario=scen,
        final_time=getattr(scen, "final_time", None) if final_time is None else final_time,
        data=data,
    )


# -- the driver ---------------------------------------------------------------------------------
def calibrate(
    model: Model | str | os.PathLike,
    data: pd.DataFrame,
    params,
    *,
    scenario: Any = None,
    ties: Mapping[str, Any] | None = None,
    spin_up: float | None = None,
    start: tuple[Any, float] | None = None,
    weights: Mapping[str, float] | Literal["std", "range", "mean", "none"] | None = None,
    method: Literal["auto", "least_squares", "differential_evolution", "mcmc"] = "auto",
    starts: int | None = None,
    seed: int | None = 0,
    flows: Mapping[str, str] | Literal["total", "rate"] | None = None,
    period: Mapping[str, float] | float | None = None,
    time_step: float | None = None,
    final_time: float | None = None,
    correlation_threshold: float = 0.95,
    engine: Literal["auto", "batch", "pysd"] = "auto",
    intervals: Literal["auto", "linear", "bootstrap"] = "auto",
    bootstrap_samples: int = 100,
    walkers: int | None = None,
    steps: int = 2000,
    sd: Literal["estimate", "fit"] | Mapping[str, float] = "estimate",
    priors: Any = None,
    options: Mapping[str, Any] | None = None,
) -> CalibrationResult:
    """Fit constants of ``model`` to the observed series in ``data``.

    Parameters
    ----------
    model : Model or path to a ``.mdl`` file
    data : pandas.DataFrame
        Observed series indexed by time, columns named after model variables (as
        :func:`lifecycle.read_data` returns them); NaN marks a missing value. The calendar
        time of a row is its index plus ``data.attrs["time_offset"]``.
    params : dict or list of Parameter
        Name -> ``(low, high)`` bounds, ``(low, high, initial)``, a dict with ``min``,
        ``max`` and optionally ``value`` and ``vary``, or a :class:`Parameter`. A name is a
        constant of the model, a tie (``ties``) or ``"spin up"``. Dates (constants that time
        a ``STEP``/``RAMP``/``PULSE``) are in calendar years. Bounds must keep every
        constant inside the model's ``[min,max]`` range.
    scenario : Scenario, path or dict, optional
        Values of the other constants (and the run settings) during the fit; a dict gives
        constant values only (model time).
    ties : dict, optional
        ``{tie: [constant, ...]}`` or ``{tie: {constant: offset}}``: one fitted value (named
        ``tie`` in ``params``) sets every constant listed, each plus its offset
        (``"name+2"`` in a list works too).
    spin_up : float, optional
        Years the model runs before the first data time (the first data year is model time
        ``INITIAL TIME + spin_up``). Default: the data's ``time_offset`` fixes the calendar.
    start : (scenario, time), optional
        Start every run from the state of the named scenario's run at model ``time``, the
        first data year; the scenario's constants hold for what is not fitted.
    weights : dict or {"std", "range", "mean", "none"}, optional
        The scale each series is divided by (default its ``std``), or a dict of factors per
        series that multiply it.
    method : {"auto", "least_squares", "differential_evolution", "mcmc"}
        ``"auto"``: least squares from 8 starts run in lockstep over the batch engine, or,
        when a date is fitted, differential evolution (dates have no gradient). ``"mcmc"``:
        the best fit of ``"auto"``, then emcee's posterior around it.
    starts : int, optional
        Number of least-squares starts: the initial values and ``starts - 1`` Latin
        hypercube points (default 8 for ``"auto"``, 1 for ``"least_squares"``).
    seed : int, default 0
        Seed of the multi-start design, differential evolution, bootstrap and MCMC.
    flows : dict or {"total", "rate"}, optional
        How each observed flow is compared (see the module notes).
    period : dict or float, optional
        Length of the period each ``"total"`` covers; default the spacing of the data.
    time_step, final_time : float, optional
        Run settings; default the scenario's, then the model's. Without a spin-up, every
        data time must lie inside ``[INITIAL TIME, final_time]``.
    correlation_threshold : float, default 0.95
        Pairs of fitted parameters whose estimates correlate more than this (in absolute
        value) raise an :class:`IdentifiabilityWarning` naming them.
    engine : {"auto", "batch", "pysd"}
        ``"auto"``: the vectorised batch engine when it supports the model and reproduces
        PySD's run at the starting values, else PySD. The reported run is always PySD's.
    intervals : {"auto", "linear", "bootstrap"}
        95 % intervals: from the linearisation (Student's t), or a parametric bootstrap
        (refits of synthetic data, run in lockstep over the engine). ``"auto"``: linear
        where that interval stays inside the bounds, else the bootstrap's.
    bootstrap_samples : int, default 200
    walkers, steps : int, optional
        MCMC ensemble size (default ``max(32, 4 * dimensions)``) and chain length.
    sd : {"estimate", "fit"} or dict
        MCMC error sd of each series: estimated from the best fit's residuals, sampled with
        the parameters (``"fit"``), or given (series -> sd, in the series' units).
    priors : path or UncertainSpec, optional
        MCMC priors from an uncertain file's distributions (truncated to the bounds);
        parameters it does not name have a uniform prior within their bounds.
    options : dict, optional
        Extra keywords for the scipy routine (``max_nfev``, ``popsize``...); ``maxiter``
        (or ``max_iter``) is the iteration limit of either search: the generations of
        differential evolution (default 60) or the lockstep iterations of multi-start least
        squares (default 40); a single-start least squares stops by scipy's ``max_nfev``.

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
    >>> data = read_data("data/bass_colour_tv_sales.csv",
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
    if intervals not in INTERVALS:
        raise CalibrationError(f"`intervals` must be one of {INTERVALS}, got {intervals!r}")
    if starts is not None:
        check_count(starts, "starts", 1, CalibrationError)
    for name, value in (("steps", steps), ("bootstrap_samples", bootstrap_samples)):
        check_count(value, name, 1, CalibrationError)
    setup = prepare(
        model, data, params, scenario=scenario, ties=ties, spin_up=spin_up, start=start,
        weights=weights, flows=flows, period=period, time_step=time_step,
        final_time=final_time,
    )  # fmt: skip
    obj = Objective(setup, engine)
    k = len(obj.fitted)
    if method == "mcmc":
        dim = k + (len(setup.series) if sd == "fit" else 0)
        walkers = max(32, 4 * dim) if walkers is None else walkers
        if isinstance(walkers, bool) or not isinstance(walkers, int) or walkers < 2 * dim:
            raise CalibrationError(
                f"`walkers` must be an integer of at least twice the dimensions ({2 * dim}), "
                f"got {walkers!r}"
            )
    outcome = optimise(obj, setup, "auto" if method == "mcmc" else method, starts, seed, options)
    if method == "mcmc":
        outcome.method = f"mcmc after {outcome.method}"
        fit_runs = obj.runs
        P, _ = obj.prediction_matrix(outcome.x[None, :])
        if isinstance(sd, Mapping):
            sd_values = given_sd(setup, sd)
        elif sd in ("estimate", "fit"):
            sd_values = series_sd(obj, obj.observed - P[0], k)
        else:
            raise CalibrationError(f"`sd` must be 'estimate', 'fit' or a dict, got {sd!r}")
        log_prior, with_priors = log_prior_of(setup, obj, priors, model)
        outcome.chain = opt.sample(
            obj, outcome.x, sd=sd_values, fit_sd=sd == "fit", log_prior=log_prior,
            walkers=walkers, steps=steps, seed=seed,
        )  # fmt: skip
        outcome.chain.sd = sd_values
        outcome.chain.fit_sd = sd == "fit"
        outcome.chain.priors = with_priors
        outcome.chain.runs = obj.runs - fit_runs
    result = report(obj, setup, outcome, intervals, bootstrap_samples, seed)
    for msg in result.identifiability(correlation_threshold):
        warnings.warn(msg, IdentifiabilityWarning, stacklevel=2)
    return result


def evaluate(
    model: Model | str | os.PathLike,
    data: pd.DataFrame,
    *,
    scenario: Any = None,
    params: Mapping[str, float] | None = None,
    spin_up: float | None = None,
    start: tuple[Any, float] | None = None,
    weights=None,
    flows=None,
    period=None,
    time_step: float | None = None,
    final_time: float | None = None,
) -> CalibrationResult:
    """Score a scenario against the data without fitting: R², cost, the figure.

    ``params`` holds extra constant values (dates in calendar years); the result has no
    fitted parameters, only the run and its fit.
    """
    if not isinstance(model, Model):
        model = load_model(model)
    held = {k: {"min": v, "max": v, "value": v, "vary": False} for k, v in (params or {}).items()}
    setup = prepare(
        model, data, held, scenario=scenario, spin_up=spin_up, start=start, weights=weights,
        flows=flows, period=period, time_step=time_step, final_time=final_time,
        evaluating=True,
    )  # fmt: skip
    obj = Objective(setup, "pysd")
    outcome = Outcome("evaluate (no fit)", np.zeros(0), True, "scored without fitting")
    return report(obj, setup, outcome, "linear", 0, None)
