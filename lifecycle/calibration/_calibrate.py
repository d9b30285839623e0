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
    the first data year at that model time). Constants such as initial stocks or the model's
    size scale are fitted like any other.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import CalibrationError
from ..model import Model, load_model
from . import _optimise as opt
from ._objective import Objective
from ._result import CalibrationResult
from ._setup import Setup, calendar, observed_series, parameters

__all__ = ["METHODS", "IdentifiabilityWarning", "calibrate", "evaluate"]

METHODS = ("auto", "least_squares", "differential_evolution", "mcmc")
INTERVALS = ("auto", "linear", "bootstrap")
AUTO_STARTS = 8  # the default multi-start design: the initial values and 7 Latin hypercube points


class IdentifiabilityWarning(UserWarning):
    """Fitted parameters that the data cannot separate (|correlation| above the threshold)."""


# -- 1. set-up --------------------------------------------------------------------------------
def _control(model: Model, name: str) -> float:
    key = name.lower().replace(" ", "_")
    control = getattr(model, "control", None)
    if isinstance(control, Mapping) and key in control:
        return float(control[key])
    const = model.constants.get(name)
    if const is not None:
        return float(const.default)
    return float(getattr(model.pysd.components, key)())


def _first(*values):
    return next(float(v) for v in values if v is not None)


def _load_scenario(scenario, model: Model):
    if scenario is None or hasattr(scenario, "params"):
        return scenario
    if isinstance(scenario, Mapping):  # plain values of other constants
        return SimpleNamespace(params=dict(scenario), final_time=None, time_step=None)
    from ..scenarios import load_scenario

    return load_scenario(scenario, model=model)


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
    if start is not None:
        if scenario is not None or spin_up is not None:
            raise CalibrationError("give start=(scenario, time) or scenario=/spin_up=, not both")
        try:
            scenario, at = start
        except (TypeError, ValueError):
            raise CalibrationError(f"`start` must be (scenario, time), got {start!r}") from None
        spin_up = float(at) - _control(model, "INITIAL TIME")
    scen = _load_scenario(scenario, model)
    fixed = model.check_params(getattr(scen, "params", None) or {})
    if evaluating and not params:
        fitted, members, dates, stepped, defaults = [], {}, set(), set(), {}
    else:
        fitted, members, dates, stepped, defaults = parameters(model, params, ties)
    for group in members.values():
        for const, _ in group:
            fixed.pop(const, None)
    if not evaluating and not any(p.vary for p in fitted):
        raise CalibrationError("every parameter has vary=False: nothing to fit")
    initial = _control(model, "INITIAL TIME")
    dt = _first(time_step, getattr(scen, "time_step", None), _control(model, "TIME STEP"))
    horizon = _first(final_time, getattr(scen, "final_time", None), _control(model, "FINAL TIME"))
    if not dt > 0:
        raise CalibrationError(f"bad run settings: time_step={dt}")
    series = observed_series(model, data, flows, period, weights)
    n_obs = sum(s.times.size for s in series)
    k = sum(p.vary for p in fitted)
    if n_obs < k:
        raise CalibrationError(f"{n_obs} observations cannot fit {k} parameters (fix: fit fewer)")
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
        data_offset=float(data.attrs.get("time_offset", 0.0)),
        spin_up=spin_up,
        initial=initial,
        time_step=dt,
        final_time=horizon,
        model_final=horizon,
    )
    if not end > initial:
        raise CalibrationError(f"bad run settings: the runs would end at {end:g}")
    return Setup(
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


# -- 2. optimisation --------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the optimisation found, in the unit box and in parameter units."""

    method: str
    x: np.ndarray
    success: bool
    message: str
    starts: list = field(default_factory=list)  # (start x, end x, cost, converged)
    chain: Any = None
    notes: list[str] = field(default_factory=list)


def _choose(method: str, stepped: list[str]) -> tuple[str, list[str]]:
    if method == "auto":
        if stepped:
            names = ", ".join(f"'{n}'" for n in stepped)
            return "differential_evolution", [
                f"{names} time an event (STEP, RAMP or PULSE): the run changes only when "
                "they cross a time step, so their gradient is zero; fitted by differential "
                "evolution (derivative-free) instead of least squares"
            ]
        return "least_squares", []
    if method == "least_squares" and stepped:
        names = ", ".join(f"'{n}'" for n in stepped)
        raise CalibrationError(
            f"{names} time an event (STEP, RAMP or PULSE): the run changes only when they "
            "cross a time step, so their gradient is zero and least squares cannot move them "
            "(fix: method='auto' or 'differential_evolution', or 'mcmc'; or hold them fixed)"
        )
    return method, []


def optimise(obj: Objective, setup: Setup, method: str, starts, seed, options) -> Outcome:
    """Find the best fit: multi-start least squares or differential evolution."""
    fitted = obj.fitted
    stepped = [p.name for p in fitted if p.name in setup.stepped]
    chosen, notes = _choose(method, stepped)
    options = dict(options or {})
    u0 = obj.to_u([p.value for p in fitted])
    frozen = np.array([p.name in setup.stepped for p in fitted])
    if chosen == "least_squares":
        n_starts = (AUTO_STARTS if method == "auto" else 1) if starts is None else starts
        if n_starts == 1:
            res = opt.local(obj, u0, options)
            return Outcome(
                "least_squares",
                obj.to_x(res.x),
                bool(res.success),
                str(res.message),
                [(obj.to_x(u0), obj.to_x(res.x), float(res.cost), bool(res.success))],
                notes=notes,
            )
        design = np.vstack(
            [u0, opt.latin_hypercube(n_starts - 1, len(fitted), np.random.default_rng(seed))]
        )
        lock = opt.lockstep(obj, design, max_iter=int(options.pop("max_iter", 100)))
        best = int(np.argmin(lock.cost))
        res = opt.local(obj, lock.U[best], options)  # polish: scipy's own convergence test
        table = [
            (obj.to_x(a), obj.to_x(b), float(c), bool(ok))
            for a, b, c, ok in zip(design, lock.U, lock.cost, lock.converged, strict=True)
        ]
        message = (
            f"{n_starts} starts in lockstep ({lock.iterations} iterations, "
            f"{int(lock.converged.sum())} converged); polish: {res.message}"
        )
        return Outcome(
            f"least_squares, {n_starts} starts",
            obj.to_x(res.x),
            bool(res.success),
            message,
            table,
            notes=notes,
        )
    # differential evolution: derivative-free, one batch per generation
    polish_opts = {k: options.pop(k) for k in ("max_nfev", "ftol", "xtol", "gtol") if k in options}
    glob = opt.evolve(obj, u0, seed, options)
    if frozen.all():
        u, ok, pmsg = glob.x, True, "nothing smooth to polish"
    elif frozen.any():
        lock = opt.lockstep(obj, glob.x[None, :], frozen=frozen)
        u, ok = lock.U[0], bool(lock.converged[0])
        pmsg = "least squares over the smooth parameters, dates held"
        if lock.cost[0] > glob.fun:  # never worse than the search
            u = glob.x
    else:
        res = opt.local(obj, glob.x, polish_opts)
        u, ok, pmsg = res.x, bool(res.success), str(res.message)
    message = f"differential evolution: {glob.message} Polish: {pmsg}"
    return Outcome(
        "differential_evolution",
        obj.to_x(u),
        bool(glob.success) and ok,
        message,
        [(obj.to_x(u0), obj.to_x(u), float(0.5 * np.sum(obj.residuals(u) ** 2)), ok)],
        notes=notes,
    )


# -- uncertainty --------------------------------------------------------------------------------
def _series_sd(obj: Objective, residuals_raw: np.ndarray, k: int) -> np.ndarray:
    """Error sd of each series from the fit's residuals (degrees of freedom shared out)."""
    out, i = [], 0
    n = obj.n
    for s in obj.series:
        e = residuals_raw[i : i + s.times.size]
        i += s.times.size
        dof = max(s.times.size - k * s.times.size / n, 1.0)
        sd = math.sqrt(float(e @ e) / dof)
        out.append(sd if sd > 0 else 1e-9 * (abs(float(np.mean(s.observed))) or 1.0))
    return np.array(out)


def bootstrap(obj: Objective, x: np.ndarray, frozen, n: int, seed) -> np.ndarray:
    """Parametric bootstrap: refit ``n`` synthetic data sets (fit + Gaussian noise of each
    series' residual sd) in lockstep from the fit; returns the estimates (n, k)."""
    P, _ = obj.prediction_matrix(x[None, :])
    pred = P[0]
    sd = _series_sd(obj, obj.observed - pred, len(x))
    sizes = [s.times.size for s in obj.series]
    sig = np.repeat(sd, sizes)
    rng = np.random.default_rng(seed)
    synthetic = pred[None, :] + sig[None, :] * rng.standard_normal((n, pred.size))
    u = np.repeat(obj.to_u(x)[None, :], n, axis=0)
    lock = opt.lockstep(obj, u, observed=synthetic, frozen=frozen, max_iter=50)
    return obj.to_x(lock.U)


def _log_prior(setup: Setup, obj: Objective, priors, model):
    """Uniform within the bounds, or an uncertain file's (truncated) distributions."""
    lows, highs = obj.low, obj.low + obj.span
    dists = {}
    if priors is not None:
        from ..uncertain import UncertainSpec, load_uncertain

        spec = priors if isinstance(priors, UncertainSpec) else load_uncertain(priors, model)
        names = [p.name for p in obj.fitted]
        for u in spec.params:
            if u.name in names:
                dists[names.index(u.name)] = u.frozen()
        unknown = [u.name for u in spec.params if u.name not in names]
        if unknown:
            setup.notes.append(f"priors for {', '.join(unknown)} ignored: not fitted")

    def log_prior(X):
        X = np.atleast_2d(X)
        inside = np.all((X >= lows) & (X <= highs), axis=1)
        lp = np.where(inside, 0.0, -np.inf)
        for j, d in dists.items():
            with np.errstate(divide="ignore"):
                lp = lp + np.where(inside, d.logpdf(np.clip(X[:, j], lows[j], highs[j])), 0.0)
        return lp

    return log_prior, sorted(obj.fitted[j].name for j in dists)


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
    bootstrap_samples: int = 200,
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
        The named scenario's constants, with the first data year at model ``time``.
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
    if starts is not None and (
        isinstance(starts, bool) or not isinstance(starts, int) or starts < 1
    ):
        raise CalibrationError(f"`starts` must be a positive integer, got {starts!r}")
    for name, value in (("steps", steps), ("bootstrap_samples", bootstrap_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CalibrationError(f"`{name}` must be a positive integer, got {value!r}")
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
            sd_values = _given_sd(setup, sd)
        elif sd in ("estimate", "fit"):
            sd_values = _series_sd(obj, obj.observed - P[0], k)
        else:
            raise CalibrationError(f"`sd` must be 'estimate', 'fit' or a dict, got {sd!r}")
        log_prior, with_priors = _log_prior(setup, obj, priors, model)
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


def _given_sd(setup: Setup, sd: Mapping[str, float]) -> np.ndarray:
    from .._names import canonical

    keys = {canonical(k): float(v) for k, v in sd.items()}
    out = []
    for s in setup.series:
        v = keys.get(canonical(s.variable), keys.get(canonical(s.column)))
        if v is None or not v > 0:
            raise CalibrationError(f"`sd` needs a positive value for the series '{s.variable}'")
        out.append(v)
    return np.array(out)


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


# -- 3. report ----------------------------------------------------------------------------------
def report(obj: Objective, setup: Setup, outcome: Outcome, intervals, n_boot, seed):
    """Build the :class:`CalibrationResult`: the reported run, intervals, diagnostics."""
    fitted = obj.fitted
    names = [p.name for p in fitted]
    k = len(fitted)
    chain = outcome.chain
    samples = None
    if chain is not None:
        flat = chain.chain[chain.burn :].reshape(-1, chain.chain.shape[-1])
        cols = names + [f"sd({s.variable})" for s in setup.series] * bool(chain.fit_sd)
        samples = pd.DataFrame(flat, columns=cols)
        x = np.median(flat[:, :k], axis=0)
    else:
        x = outcome.x
    y0 = obj.year_zero(x) if k or setup.year_zero is None else setup.year_zero
    run = obj.simulate(x, variables=_run_variables(obj))  # the reported run: PySD's
    t = run.index.to_numpy(dtype=float)
    values = {v: run[v].to_numpy()[None, :] for v in obj.variables}
    preds = [p[0] for p in obj.predictions(t, values, y0)]
    raw = np.concatenate([s.observed - p for s, p in zip(obj.series, preds, strict=True)])
    residuals = -obj.weights * raw  # weighted, model minus data (scipy's sign)
    u = obj.to_u(x)
    jac = obj.jacobian(u, residuals) / obj.span if k else np.zeros((obj.n, 0))
    frozen = np.array([p.name in setup.stepped for p in fitted], dtype=bool)
    jac[:, frozen] = 0.0
    result = CalibrationResult.build(
        model=setup.model,
        series=setup.series,
        fitted=fitted,
        x=x,
        jac=jac,
        residuals=residuals,
        predictions=preds,
        smooth=~frozen,
        data=setup.data,
        fixed=dict(setup.fixed) | {p.name: p.value for p in setup.held},
        run=run,
        method=outcome.method,
        starts=_start_table(outcome, names),
        success=outcome.success,
        engine=obj.engine,
        message=outcome.message
        + (f" ({obj.failures} runs failed and were penalised)" if obj.failures else ""),
        nfev=obj.runs,
        time_step=setup.time_step,
        final_time=setup.final_time,
        scenario=setup.scenario,
        year_zero=float(y0),
        setup=setup,
        notes=list(outcome.notes) + list(setup.notes),
    )
    result.ci_method = {n: "linear" for n in names}
    for j, p in enumerate(fitted):
        if frozen[j]:
            result.ci[p.name] = (np.nan, np.nan)
            result.ci_method[p.name] = "none (a date: no gradient)"
    if chain is not None:
        result.add_posterior(samples, chain)
        result.least_squares = dict(zip(names, map(float, outcome.x), strict=True))
        result.bands = _bands(obj, setup, samples, chain, seed)
    elif k:
        crosses = [
            j
            for j, p in enumerate(fitted)
            if not frozen[j] and (result.ci[p.name][0] < p.min or result.ci[p.name][1] > p.max)
        ]
        if intervals == "bootstrap" or (intervals == "auto" and crosses):
            if obj.batch is None:
                result.notes.append(
                    "linear intervals cross a bound; the bootstrap needs the batch engine, "
                    "so they are cut at the bounds (marked 'cut')"
                )
                for j in crosses:
                    p = fitted[j]
                    lo, hi = result.ci[p.name]
                    result.ci[p.name] = (max(lo, p.min), min(hi, p.max))
                    result.ci_method[p.name] = "linear, cut at a bound"
            else:
                est = bootstrap(obj, x, frozen, n_boot, seed)
                targets = range(k) if intervals == "bootstrap" else crosses
                for j in targets:
                    if frozen[j]:
                        continue
                    lo, hi = np.percentile(est[:, j], [2.5, 97.5])
                    result.ci[names[j]] = (float(lo), float(hi))
                    result.ci_method[names[j]] = f"bootstrap ({n_boot} refits)"
                result.bootstrap = pd.DataFrame(est, columns=names)
    result.nfev = obj.runs
    return result


def _run_variables(obj: Objective) -> list[str]:
    out = list(obj.variables)
    model = obj.model
    for extra in ("Firms", "Employment"):  # for the ratio panel and the stages
        try:
            name = model.resolve(extra)
        except Exception:  # noqa: BLE001 (a model without them)
            continue
        if name not in out and name in model.variables:
            out.append(name)
    return out


def _start_table(outcome: Outcome, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "start": dict(zip(names, map(float, a), strict=True)),
                "end": dict(zip(names, map(float, b), strict=True)),
                "cost": c,
                "success": s,
            }
            for a, b, c, s in outcome.starts
        ]
    )


def _bands(obj: Objective, setup: Setup, samples: pd.DataFrame, chain, seed, n: int = 200):
    """Posterior-predictive 95 % bands of every series: model runs of ``n`` posterior
    samples plus the series' Gaussian error, at the data's times."""
    rng = np.random.default_rng(None if seed is None else seed + 1)
    k = len(obj.fitted)
    rows = samples.to_numpy()[rng.choice(len(samples), size=min(n, len(samples)), replace=False)]
    P, ok = obj.prediction_matrix(rows[:, :k])
    sizes = [s.times.size for s in setup.series]
    if chain.fit_sd:
        sig = np.exp(rows[:, k:])[:, np.repeat(np.arange(len(sizes)), sizes)]
    else:
        sig = np.repeat(chain.sd, sizes)[None, :]
    Y = (
        P[ok] + sig[ok] * rng.standard_normal(P[ok].shape)
        if chain.fit_sd
        else (P[ok] + sig * rng.standard_normal(P[ok].shape))
    )
    lo, mid, hi = np.percentile(Y, [2.5, 50, 97.5], axis=0)
    out, i = {}, 0
    for s in setup.series:
        j = slice(i, i + s.times.size)
        out[s.variable] = (s.times, lo[j], mid[j], hi[j])
        i += s.times.size
    return out
