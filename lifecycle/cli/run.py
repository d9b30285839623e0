"""The commands that run scenarios: ``run``, ``compare`` and ``stages`` (registered in
:data:`lifecycle.cli.COMMANDS`)."""

from __future__ import annotations

from pathlib import Path

import click

from .. import engines
from ..errors import Problem, ScenarioError, SettingsError
from ..model import Model
from ._shared import (
    POSITIVE,
    collecting,
    command_line,
    figure_format_option,
    force_option,
    model_option,
    output_option,
    progress,
    scenarios_argument,
    split_names,
    version_option,
)


def set_option(f):
    return click.option(
        "--set",
        "assignments",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a constant in every scenario; validated like a scenario file. Repeat.",
    )(f)


def labelled(scens, extra: dict[str, float], *, merge: bool):
    """Scenarios named for what ``--set`` changed (``baseline (startup rate=0.1)``), with
    the values merged into their constants when ``merge``."""
    if not extra:
        return list(scens)
    import dataclasses

    what = ", ".join(f"{k}={v:g}" for k, v in extra.items())
    return [
        dataclasses.replace(
            s,
            name=f"{s.name} ({what})",
            params={**s.params, **extra} if merge else s.params,
        )
        for s in scens
    ]


def _load_with_set(paths, model_path, assignments):
    """Model, scenarios and ``--set`` values; the problems of all of them reported at once."""
    from ..scenarios import parse_assignments

    model, scens, problems = _load(paths, model_path)
    extra = {}
    with collecting(problems):
        extra = parse_assignments(assignments, model)
    if problems:
        raise ScenarioError(problems)
    return model, scens, extra


def _load(paths, model_path: Path | None):
    """``(model, scenarios, problems)`` by the one "which model" rule of
    :func:`lifecycle.inputs.resolve_inputs`."""
    from ..inputs import resolve_inputs

    return resolve_inputs(paths, model_path)


def _load_or_fail(paths, model_path: Path | None):
    model, scens, problems = _load(paths, model_path)
    if problems:
        raise ScenarioError(problems)
    return model, scens


def _resolve_vars(model: Model, names: list[str] | None) -> list[str] | None:
    return [model.resolve(n) for n in names] if names else None


@click.command()
@scenarios_argument
@output_option(
    "Output folder; replaced only if it holds an earlier lifecycle output.",
    default="results/run",
    dest="outdir",
)
@force_option
@click.option(
    "--vars",
    "variables",
    multiple=True,
    help="Variables to write, comma-separated (default: every computed variable).",
)
@click.option("--final-time", type=POSITIVE, help="Override FINAL TIME (years).")
@click.option("--time-step", type=POSITIVE, help="Override TIME STEP (years).")
@set_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "nc"]),
    default="csv",
    show_default=True,
    help="Per-scenario file format.",
)
@figure_format_option
@click.option(
    "--engine",
    # the registry's engines but Simlin, the optional cross-check (lifecycle.ensemble has it)
    type=click.Choice([e for e in engines.CHOICES if e != "simlin"]),
    default="auto",
    show_default=True,
    help="auto: the vectorised batch engine where it supports the model, else PySD; "
    "pysd: the reference engine.",
)
@model_option
@version_option
def run(
    scenarios,
    outdir,
    force,
    variables,
    final_time,
    time_step,
    assignments,
    fmt,
    figure_format,
    engine,
    model_path,
):
    """Run each SCENARIO from a fresh model state and write the results.

    Writes one file per scenario, combined.csv (tidy: scenario, time, variable, value),
    summary.csv, comparison.png and run.json (versions, hashes, every parameter, the
    command) into the output folder, atomically.

    \b
    Example:
      lifecycle run scenarios/*.toml -o results
      lifecycle run scenarios/baseline.toml --set "startup rate=0.1" --vars Firms,Employment
    """
    from ..outputs import check_folder, provenance
    from ..runner import run_scenarios, write_results

    # the files' and --set's problems, reported together
    model, scens, extra = _load_with_set(scenarios, model_path, assignments)
    names = _resolve_vars(model, split_names(variables))
    _check_runs(model, scens, names, final_time=final_time, time_step=time_step)
    scens = labelled(scens, extra, merge=False)  # a --set run is not "baseline"
    inputs = [*scenarios, *(s.path for s in scens if s.path)]
    check_folder(outdir, force=force, inputs=inputs)  # before anything runs
    with progress(len(scens), "running scenarios") as tick:
        results = run_scenarios(
            model,
            scens,
            params=extra,
            variables=names,
            final_time=final_time,
            time_step=time_step,
            engine=engine,
            on_done=tick,
        )
    argv = command_line()[1:]
    record = provenance(
        model,
        scens,
        command=["lifecycle", *argv],
        extra_params=extra,
        settings={
            "final_time": final_time,
            "time_step": time_step,
            "format": fmt,
            "engine": engine,
        },
    )
    out = write_results(
        outdir,
        results,
        model=model,
        scenarios=scens,
        record=record,
        fmt=fmt,
        figure_format=figure_format,
        force=force,
        inputs=inputs,
    )
    click.echo(str(out))
    click.secho(f"{len(results)} scenario(s) written to {out}/", err=True, fg="green")


def _observed(path: Path, columns: list[str] | None, time_column: str | None):
    """An observed CSV as a time-indexed frame of ``columns`` (matched like model names)."""
    import pandas as pd

    from .._names import canonical
    from .._readers import read_text
    from ..errors import DataError

    problems: list[Problem] = []
    text = read_text(path, problems, "data file")
    if text is None:
        raise ScenarioError(problems)
    import io

    try:
        df = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{path}: not a CSV table ({exc}) (fix: comma-separated, a header row)"
        ) from None
    by_key = {canonical(str(c)): c for c in df.columns}
    wanted = [time_column] if time_column else ["time", "year"]
    tcol = next((by_key[canonical(w)] for w in wanted if canonical(w) in by_key), None)
    if tcol is None:
        raise DataError(
            f"{path}: no column {' or '.join(repr(w) for w in wanted)} (fix: name the time "
            "column with --time-column)"
        )
    chosen = []
    for c in columns or []:
        if canonical(c) not in by_key:
            raise DataError(
                f"{path}: no column '{c}' (fix: --vars one of "
                + ", ".join(repr(str(k)) for k in df.columns if k != tcol)
                + ")"
            )
        chosen.append(by_key[canonical(c)])
    out = df.set_index(tcol)[chosen or [c for c in df.columns if c != tcol]]
    try:
        out = out.astype(float)
    except (TypeError, ValueError):
        raise DataError(
            f"{path}: non-numeric values (fix: numbers only, empty for missing)"
        ) from None
    out.index = pd.Index(pd.to_numeric(out.index, errors="coerce"), name="time")
    if out.index.isna().any() or not out.index.is_monotonic_increasing:
        raise DataError(f"{path}: the times in '{tcol}' must be increasing numbers")
    return out.rename(columns={c: str(c) for c in out.columns})


def _check_runs(model: Model, scens, names, **overrides) -> None:
    """Every scenario's settings with the options' overrides, as the run would see them:
    refused before the first run (:func:`lifecycle.scenarios.settings_problems`)."""
    from ..limits import check_size

    problems = []
    for s in scens:
        settings = {**s.run_settings, **{k: v for k, v in overrides.items() if v is not None}}
        try:
            check_size(
                model.control,
                **settings,
                variables=len(names) if names else len(model.variables),
                where=f"scenario '{s.name}'",
            )
        except SettingsError as exc:
            problems.append(Problem(str(s.path or s.name), str(exc)))
    if problems:
        raise ScenarioError(problems)


@click.command()
@scenarios_argument
@click.option(
    "--baseline",
    help="Scenario name drawn as the baseline (default: 'baseline' if present, else the first).",
)
@click.option("--vars", "variables", multiple=True, help="Variables, comma-separated.")
@click.option("--diff", is_flag=True, help="Plot differences from the baseline.")
@click.option("--relative", is_flag=True, help="With --diff: differences in percent.")
@click.option(
    "--years",
    default="20,40,60",
    show_default=True,
    help="Years for the summary table, comma-separated.",
)
@click.option(
    "--per-variable",
    is_flag=True,
    help="One figure per variable instead of a small-multiples grid.",
)
@output_option(
    "A figure file (.png/.svg/.pdf) or a folder for figures and summary.csv.",
    default="results/compare",
)
@force_option
@set_option
@model_option
@version_option
def compare(
    scenarios,
    baseline,
    variables,
    diff,
    relative,
    years,
    per_variable,
    output,
    force,
    assignments,
    model_path,
):
    """Run SCENARIOS and plot their trajectories together, with a summary table.

    The baseline is black and thick, its life-cycle stages shaded. The summary (value at
    chosen years, peak, time of peak, final value, stage sequence) is printed as CSV on
    stdout and written beside the figure.

    \b
    Example:
      lifecycle compare scenarios/baseline.toml scenarios/networking_initiative.toml \\
          --vars "Member Share,Trust,Employment" -o networking.png
      lifecycle compare scenarios/*.toml --diff --relative -o compare/
    """
    from ..compare import compare_scenarios

    if relative and not diff:
        raise click.BadParameter("--relative needs --diff", param_hint="--relative")
    try:
        year_list = [float(y) for y in years.split(",") if y.strip()]
    except ValueError:
        raise click.BadParameter(
            f"'{years}' is not a comma-separated list of years", param_hint="--years"
        ) from None
    model, scens, extra = _load_with_set(scenarios, model_path, assignments)
    scens = labelled(scens, extra, merge=True)
    names = _resolve_vars(model, split_names(variables))
    table = compare_scenarios(
        model,
        scens,
        output,
        baseline=baseline,
        variables=names,
        diff=diff,
        relative=relative,
        years=year_list,
        per_variable=per_variable,
        force=force,
    )
    click.echo(table.to_csv(index=False, float_format="%.6g"), nl=False)
    click.secho(f"figures and summary written to {output}", err=True, fg="green")


@click.command()
@scenarios_argument(required=False)
@click.option(
    "--vars",
    "variables",
    multiple=True,
    default=("Firms,Employment",),
    show_default=True,
    help="Series to classify (a size index of them); with --data, columns of the CSV.",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Classify observed series: a CSV with a time (or year) column. Repeat.",
)
@click.option("--time-column", default=None, help="With --data: the column of times.")
@set_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@model_option
@version_option
def stages(scenarios, variables, data, time_column, assignments, fmt, model_path):
    """Print the life-cycle stage sequence of each SCENARIO (or observed --data CSV) with
    start and end years.

    When a scenario is named "baseline", every run is measured against the baseline's
    peaks, so runs that share a history share its stages.

    \b
    Example:
      lifecycle stages scenarios/baseline.toml scenarios/shock_with_renewal.toml
      lifecycle stages --data data/my_cluster.csv --vars firms,employees
    """
    import pandas as pd

    from ..runner import SIZE_VARIABLES, comparable_stages, run_scenarios
    from ..stages import stage_sequence, stage_table

    if not scenarios and not data:
        raise click.UsageError("give SCENARIO files, or observed series with --data FILE.csv")
    results, names = {}, None
    if scenarios:
        model, scens, extra = _load_with_set(scenarios, model_path, assignments)
        scens = labelled(scens, extra, merge=True)
        names = _resolve_vars(model, split_names(variables))
        results = run_scenarios(model, scens, variables=names)
    # observed series: their own columns (--vars names them when no scenario is given)
    cols = None if scenarios and variables == ("Firms,Employment",) else split_names(variables)
    observed = {p.stem: _observed(p, cols, time_column) for p in data}
    # with a scenario named baseline, every run is measured against its peaks
    base = "baseline" if "baseline" in results else None
    sequences = (
        comparable_stages(results, base, names or SIZE_VARIABLES, strict=True) if results else {}
    )
    for name, df in observed.items():
        sequences[f"{name} (observed)"] = stage_sequence(df, list(df.columns))
    frames = []
    for name, seq in sequences.items():
        t = stage_table(seq)
        t.insert(0, "scenario", name)
        frames.append(t)
    table = pd.concat(frames, ignore_index=True)
    if fmt == "csv":
        click.echo(table.to_csv(index=False, float_format="%.4g"), nl=False)
    else:
        click.echo(table.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
