"""The report of a fit: the reported run (PySD's), intervals, the result object."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._objective import Objective
from ._profile import profile_intervals
from ._result import CalibrationResult
from ._search import Outcome
from ._setup import Setup
from ._uncertainty import bands, bootstrap


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
        result.bands = bands(obj, setup, samples, chain, seed)
    elif k:
        _intervals(result, obj, x, frozen, intervals, n_boot, seed)
        if frozen.any() and intervals != "linear":
            profile_intervals(result, obj, x, frozen)
    result.nfev = obj.runs
    return result


def _intervals(result, obj: Objective, x, frozen, intervals, n_boot, seed) -> None:
    """Replace linear intervals that cross a bound (or all, for ``"bootstrap"``) by a
    parametric bootstrap's percentiles; without the batch engine, cut them at the bounds."""
    fitted = obj.fitted
    names = [p.name for p in fitted]
    k = len(fitted)
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
                result.stderr[names[j]] = float(np.std(est[:, j], ddof=1))
                result.ci_method[names[j]] = f"bootstrap ({n_boot} refits)"
            result.bootstrap = pd.DataFrame(est, columns=names)


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
