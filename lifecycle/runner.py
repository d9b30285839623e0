"""Run scenarios, summarise them, and write results with a provenance record.

Everything the command line does is a function here, so scripts can do the same.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import engines
from ._csv import write_frame_csv, write_tidy_csv  # noqa: F401 (API)
from .engines import RunSettings
from .engines._base import settings_of
from .errors import ArgumentError, LifecycleError, SimulationError
from .inputs import as_scenario
from .limits import as_names
from .model import Model, refuse_settings
from .outputs import atomic_dir, provenance, slug, versions, write_json  # noqa: F401 (API)
from .scenarios import Scenario, merged_params

#: The variables every user can rely on (issue 2); written and plotted by default.
KEY_VARIABLES = [
    "Firms",
    "Employment",
    "Skilled Workers",
    "Students in Training",
    "Venture Capital",
    "Invested Capital",
    "Network Members",
    "Member Share",
    "Trust",
    "Technology Level",
    "Technology Frontier",
    "Knowledge Diversity",
]
#: The panels of the standard comparison figure.
FIGURE_VARIABLES = [
    "Firms",
    "Employment",
    "Skilled Workers",
    "Network Members",
    "Member Share",
    "Trust",
    "Venture Capital",
    "Relative Technology",
    "Knowledge Diversity",
]


def run(
    model: Model,
    scenario: Scenario | None = None,
    *,
    params: Mapping[str, float] | None = None,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
    variables: Sequence[str] | None = None,
    engine: str = "auto",
) -> pd.DataFrame:
    """Run ``model`` under ``scenario`` (plus ``params`` on top) from a fresh state.

    Keyword settings override the scenario's ``[run]`` table, which overrides the model's.
    ``engine`` is one of :data:`lifecycle.engines.CHOICES`: ``"auto"`` runs the batch
    engine where it supports the model (it reproduces PySD to rounding error, in a
    fraction of the time), ``"pysd"`` the reference.

    Examples
    --------
    >>> from lifecycle import load_model, load_scenario, run
    >>> model = load_model()                                          # doctest: +SKIP
    >>> df = run(model, load_scenario("scenarios/baseline.toml"))    # doctest: +SKIP
    >>> df["Employment"].max()                                        # doctest: +SKIP
    """
    overrides = {"final_time": final_time, "time_step": time_step, "saveper": saveper}
    scenario = as_scenario(scenario, model)
    runner = engines.engine(engine, model)
    return _run_one(model, runner, scenario, params, overrides, variables)


def _run_one(model, runner, scenario, params, overrides, variables) -> pd.DataFrame:
    """One scenario through ``runner``: checked parameters, settings resolved once."""
    where = f"scenario '{scenario.name}'" if scenario is not None else model.name
    checked = refuse_settings(model.check_params(merged_params(scenario, params)), where)
    variables = as_names(variables)
    columns = [model.resolve(v) for v in variables] if variables else model.variables
    columns = list(dict.fromkeys(columns))
    settings = RunSettings.resolve(
        model.control, settings_of(scenario), **overrides, where=model.name
    )
    res = runner.run(checked, 1, columns, settings)
    values = np.column_stack([res.values[name][0] for name in columns])  # a copy, owned
    cal = getattr(scenario, "calendar", None)  # [calendar]: times in calendar years
    time = res.time if cal is None else cal.years(res.time)
    out = pd.DataFrame(values, index=pd.Index(time, name="time"), columns=columns)
    finite = np.isfinite(values).all(axis=0)
    bad = [c for c, ok in zip(columns, finite, strict=True) if not ok]
    if bad:
        raise SimulationError(_failure(model, scenario, out, bad, checked))
    return out


def _failure(model, scenario, out: pd.DataFrame, bad: list[str], checked) -> str:
    """What a user needs when a run fails: the scenario (and file), the variable, the time,
    the constants that were set, and where to look."""
    first = {c: out.index[~np.isfinite(out[c].to_numpy())][0] for c in bad}
    var = min(bad, key=lambda c: first[c])
    where = f"{model.name}"
    if scenario is not None:
        where = f"scenario '{scenario.name}'" + (f" ({scenario.path})" if scenario.path else "")
    others = f" (and {', '.join(b for b in bad if b != var)[:200]})" if len(bad) > 1 else ""
    constants = ", ".join(f"{k} = {v:g}" for k, v in checked.items()) or "none (all defaults)"
    return (
        f"{where}: '{var}' is not finite from time {float(first[var]):g} on{others}, "
        f"on {model.name} with the constants set: {constants} (fix: check those values, "
        "or run with a smaller time_step)"
    )


def run_scenarios(
    model: Model,
    scenarios: Sequence[Scenario],
    *,
    params: Mapping[str, float] | None = None,
    variables: Sequence[str] | None = None,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
    engine: str = "auto",
    on_done: Callable[[Scenario], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Run each scenario from a fresh state; results keyed by scenario name, in order.

    The engine is built once for all of them (see :func:`run` for ``engine``).
    ``on_done(scenario)`` is called after each run (the command line's progress bar).
    """
    overrides = {"final_time": final_time, "time_step": time_step, "saveper": saveper}
    if isinstance(scenarios, str | os.PathLike | Scenario | Mapping):
        raise ArgumentError("`scenarios` must be a list of scenarios (fix: [scenario])")
    scenarios = [as_scenario(s, model) for s in scenarios]
    runner = engines.engine(engine, model)
    out: dict[str, pd.DataFrame] = {}
    for s in scenarios:
        out[s.name] = _run_one(model, runner, s, params, overrides, variables)
        if on_done:
            on_done(s)
    return out


def tidy(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Long format: one row per scenario, time and variable."""
    frames = []
    for name, df in results.items():
        long = df.reset_index().melt(id_vars="time", var_name="variable", value_name="value")
        long.insert(0, "scenario", name)
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


def value_at(series: pd.Series, year: float) -> float:
    """Linear interpolation of a time-indexed series at ``year`` (NaN outside)."""
    t = series.index.to_numpy(dtype=float)
    if year < t[0] or year > t[-1]:
        return float("nan")
    return float(np.interp(year, t, series.to_numpy(dtype=float)))


SIZE_VARIABLES = ("Firms", "Employment")


def comparable_stages(
    results: Mapping[str, pd.DataFrame],
    baseline: str | None = None,
    variables: Sequence[str] = SIZE_VARIABLES,
    *,
    strict: bool = False,
) -> dict[str, list]:
    """The stage sequence of every run, on one yardstick: each run's size index (by default
    firms and employment) is measured against the baseline's peaks, so runs that share a
    history share its stages. Without a baseline each run is measured against its own peaks.
    A run whose stages cannot be classified gets an empty list (or raises, if ``strict``)."""
    from .stages import stage_sequence

    base = results.get(baseline) if baseline else None
    size = [v for v in variables if base is not None and v in base]
    scale = {v: float(base[v].max()) for v in size} if size else None
    reference = None
    if scale:
        index = np.mean([base[v].to_numpy() / scale[v] for v in size], axis=0)
        reference = float(index.max())
    out = {}
    for name, df in results.items():
        names = [v for v in variables if v in df]
        try:
            out[name] = stage_sequence(df, names, scale=scale, reference=reference)
        except LifecycleError:
            if strict:
                raise
            out[name] = []
    return out


def summary_table(
    results: Mapping[str, pd.DataFrame],
    variables: Sequence[str],
    *,
    years: Sequence[float] = (20, 40, 60),
    baseline: str | None = None,
) -> pd.DataFrame:
    """Per scenario and variable: values at ``years``, peak, time of peak, final value,
    difference of the final value from the baseline, and the stage sequence of the run
    (:func:`comparable_stages`)."""
    from .stages import describe

    stages = comparable_stages(results, baseline)
    rows = []
    for name, df in results.items():
        seq = describe(stages[name])
        for var in variables:
            s = df[var]
            row = {"scenario": name, "variable": var}
            for y in years:
                row[f"at {y:g}"] = value_at(s, y)
            row["peak"] = float(s.max())
            row["time of peak"] = float(s.idxmax())
            row["final"] = float(s.iloc[-1])
            if baseline and baseline in results and var in results[baseline]:
                ref = float(results[baseline][var].iloc[-1])
                row["final vs baseline"] = float(s.iloc[-1]) - ref
                row["final vs baseline %"] = (
                    100 * (float(s.iloc[-1]) - ref) / abs(ref) if ref != 0 else float("nan")
                )
            # one sequence per scenario, from its size index (Firms and Employment)
            row["stages (Firms, Employment)"] = seq
            rows.append(row)
    return pd.DataFrame(rows)


def write_results(
    outdir: str | os.PathLike,
    results: Mapping[str, pd.DataFrame],
    *,
    model: Model,
    scenarios: Sequence[Scenario],
    record: Mapping,
    fmt: str = "csv",
    figure_format: str = "png",
    figure_variables: Iterable[str] | None = None,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write one file per scenario, ``combined.csv`` (tidy), ``summary.csv``, the standard
    comparison figure and ``run.json`` into ``outdir``, atomically, replacing only an
    earlier lifecycle output unless ``force`` (:func:`lifecycle.outputs.atomic_dir`)."""
    from .plotting import plot_scenarios, save_figure
    from .stages import stage_sequence

    names = list(results)
    baseline = "baseline" if "baseline" in results else names[0]
    columns = list(next(iter(results.values())).columns)
    with atomic_dir(outdir, force=force, inputs=inputs, command=record.get("command")) as tmp:
        files = {}
        used = {"combined", "summary", "run", "comparison"}  # never overwrite these
        for s in scenarios:
            df = results[s.name]
            stem = first = slug(s.path.stem if s.path else s.name)
            k = 2
            while stem in used:  # same file name in two folders, or a reserved name
                stem, k = f"{first}_{k}", k + 1
            used.add(stem)
            if fmt == "nc":
                path = tmp / f"{stem}.nc"
                df.to_xarray().to_netcdf(path, engine="scipy")
            else:
                path = tmp / f"{stem}.csv"
                write_frame_csv(df, path)
            files[s.name] = path.name
        write_tidy_csv(results, tmp / "combined.csv")
        keyvars = [v for v in KEY_VARIABLES if v in columns] or columns[:6]
        zeros = {getattr(s.calendar, "year_zero", 0.0) for s in scenarios}  # [calendar]s
        years = tuple(y + (min(zeros) if len(zeros) == 1 else 0.0) for y in (20, 40, 60))
        summary_table(results, keyvars, baseline=baseline, years=years).to_csv(
            tmp / "summary.csv", index=False, float_format="%.6g"
        )
        figvars = [v for v in (figure_variables or FIGURE_VARIABLES) if v in columns]
        if not figvars:  # another model: its stocks, else the first variables written
            figvars = [v for v in model.stocks if v in columns][:9] or columns[:9]
        if figvars:
            units = {v: model.units(v) for v in figvars}
            try:
                stages = stage_sequence(
                    results[baseline], [v for v in ("Firms", "Employment") if v in columns]
                )
            except LifecycleError:
                stages = None
            fig = plot_scenarios(
                results,
                figvars,
                baseline=baseline,
                units=units,
                stages=stages,
                title=f"{model.name}: scenarios compared",
            )
            save_figure(fig, tmp / f"comparison.{figure_format}")
            import matplotlib.pyplot as plt

            plt.close(fig)
        rec = dict(record)
        rec["files"] = {"scenarios": files, "combined": "combined.csv", "summary": "summary.csv"}
        write_json(rec, tmp / "run.json")
    return Path(outdir)
