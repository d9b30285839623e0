"""The ``lifecycle`` command line: a thin click layer over the package's functions.

Exit codes: 0 success, 1 a run failed, 2 bad invocation or invalid scenario. A user
mistake gives one red line per problem on stderr, never a traceback; stdout is for data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import LifecycleError, Problem, ScenarioError
from .model import DEFAULT_MODEL, Model, load_model

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: commands in their own modules, imported only when used (they pull in scipy and SALib)
LAZY_COMMANDS = {
    "calibrate": ("lifecycle.calibrate_cli", "calibrate_command"),
    "montecarlo": ("lifecycle.ensemble_cli", "montecarlo_command"),
    "sensitivity": ("lifecycle.ensemble_cli", "sensitivity_command"),
}


class LifecycleGroup(click.Group):
    """Maps every :class:`LifecycleError` to its message and exit code, in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str):
        if name in LAZY_COMMANDS and name not in self.commands:
            from importlib import import_module

            module, attr = LAZY_COMMANDS[name]
            cmd = getattr(import_module(module), attr)
            cmd.context_settings = {**CONTEXT, **(cmd.context_settings or {})}
            self.add_command(cmd)
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # the command line as given, for run.json (sys.argv is the host's when run in-process)
        ctx.meta["lifecycle.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            for problem in exc.problems:
                click.secho(f"error: {problem}", err=True, fg="red")
            n = len(exc.problems)
            click.secho(
                f"{n} problem{'s' * (n != 1)} found; nothing was run or written.",
                err=True,
                fg="red",
            )
            ctx.exit(exc.exit_code)
        except LifecycleError as exc:
            click.secho(f"error: {exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)


def model_option(f):
    return click.option(
        "--model",
        "model_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Model file (.mdl). Default: {DEFAULT_MODEL.name}.",
    )(f)


def version_option(f):
    return click.version_option(__version__, "--version", prog_name="lifecycle")(f)


def command_line() -> list[str]:
    """The command as the user gave it (``sys.argv`` is the host's when run in-process)."""
    ctx = click.get_current_context(silent=True)
    argv = ctx.meta.get("lifecycle.argv") if ctx is not None else None
    return ["lifecycle", *(argv if argv is not None else sys.argv[1:])]


def split_names(values: tuple[str, ...] | None) -> list[str] | None:
    """``--vars A,B --vars C`` -> ["A", "B", "C"]; None when not given."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _model(path: Path | None) -> Model:
    return load_model(path)


def _load(paths, model_path: Path | None):
    """The scenarios and the model they run on: ``--model`` if given, else the model the
    files name (their ``model`` key), else the main model. Returns ``(model, scenarios,
    problems)``; the model is usable for further checks even when there are problems."""
    from .scenarios import load_scenarios

    model = _model(model_path) if model_path is not None else None
    try:
        scens = load_scenarios(paths, model)
    except ScenarioError as exc:
        return model or _model(None), [], list(exc.problems)
    if model is None:
        used = {s.model_path.resolve() for s in scens if s.model_path is not None}
        if len(used) > 1:
            names = ", ".join(sorted(p.name for p in used))
            return (
                _model(None),
                scens,
                [
                    Problem(
                        "scenarios",
                        f"the scenarios are for different models ({names})",
                        None,
                        "run the scenarios of each model separately",
                    )
                ],
            )
        model = _model(used.pop() if used else None)
    return model, scens, []


def _load_or_fail(paths, model_path: Path | None):
    model, scens, problems = _load(paths, model_path)
    if problems:
        raise ScenarioError(problems)
    return model, scens


def _resolve_vars(model: Model, names: list[str] | None) -> list[str] | None:
    return [model.resolve(n) for n in names] if names else None


@click.group(cls=LifecycleGroup, context_settings=CONTEXT)
@version_option
def cli():
    """Regional industrial cluster life cycles: run, compare and calibrate a
    system-dynamics model.

    \b
    Example:
      lifecycle validate scenarios/*.toml
      lifecycle run scenarios/*.toml -o results
      lifecycle compare scenarios/baseline.toml scenarios/disruptive_shock.toml -o shock.png
    """


@cli.command(context_settings=CONTEXT)
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--vars",
    "variables",
    multiple=True,
    help="Variables to write, comma-separated (default: every computed variable).",
)
@click.option("--final-time", type=float, help="Override FINAL TIME (years).")
@click.option("--time-step", type=float, help="Override TIME STEP (years).")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a constant in every scenario; validated like a scenario file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "nc"]),
    default="csv",
    show_default=True,
    help="Per-scenario file format.",
)
@click.option(
    "--figure-format", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True
)
@model_option
@version_option
def run(
    scenarios, outdir, variables, final_time, time_step, assignments, fmt, figure_format, model_path
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
    from .runner import provenance, run_scenarios, write_results
    from .scenarios import parse_assignments

    _check_times(final_time, time_step)
    # the files' and --set's problems, reported together
    model, scens, problems = _load(scenarios, model_path)
    try:
        extra = parse_assignments(assignments, model)
    except ScenarioError as exc:
        problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    names = _resolve_vars(model, split_names(variables))
    results = run_scenarios(
        model, scens, params=extra, variables=names, final_time=final_time, time_step=time_step
    )
    argv = command_line()[1:]
    record = provenance(
        model,
        scens,
        command=["lifecycle", *argv],
        extra_params=extra,
        settings={"final_time": final_time, "time_step": time_step, "format": fmt},
    )
    out = write_results(
        outdir,
        results,
        model=model,
        scenarios=scens,
        record=record,
        fmt=fmt,
        figure_format=figure_format,
    )
    click.echo(str(out))
    click.secho(f"{len(results)} scenario(s) written to {out}/", err=True, fg="green")


def _check_times(final_time, time_step):
    if final_time is not None and final_time <= 0:
        raise click.BadParameter("must be positive", param_hint="--final-time")
    if time_step is not None and time_step <= 0:
        raise click.BadParameter("must be positive", param_hint="--time-step")


@cli.command(context_settings=CONTEXT)
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
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
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("comparison"),
    show_default=True,
    help="A figure file (.png/.svg/.pdf) or a folder for figures and summary.csv.",
)
@model_option
@version_option
def compare(
    scenarios, baseline, variables, diff, relative, years, per_variable, output, model_path
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
    from .compare import compare_scenarios

    if relative and not diff:
        raise click.BadParameter("--relative needs --diff", param_hint="--relative")
    try:
        year_list = [float(y) for y in years.split(",") if y.strip()]
    except ValueError:
        raise click.BadParameter(
            f"'{years}' is not a comma-separated list of years", param_hint="--years"
        ) from None
    model, scens = _load_or_fail(scenarios, model_path)
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
    )
    click.echo(table.to_csv(index=False, float_format="%.6g"), nl=False)
    click.secho(f"figures and summary written to {output}", err=True, fg="green")


@cli.command(context_settings=CONTEXT)
@click.option("--search", help="Only constants whose name or comment contains TEXT.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "toml"]),
    default="table",
    show_default=True,
    help="toml prints a ready-to-edit scenario template.",
)
@model_option
@version_option
def params(search, fmt, model_path):
    """List every constant with its default, units, range and comment.

    \b
    Example:
      lifecycle params --search network
      lifecycle params --format toml > scenarios/my_policy.toml
    """
    from .params import format_params

    model = _model(model_path)
    click.echo(format_params(model, search=search, fmt=fmt), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@model_option
@version_option
def validate(scenarios, model_path):
    """Check SCENARIO files without running them; list every problem in every file.

    \b
    Example:
      lifecycle validate scenarios/*.toml
    """

    model, scens = _load_or_fail(scenarios, model_path)
    for s in scens:
        click.echo(f"ok: {s.path} ('{s.name}', {len(s.params)} constant(s) set)")


@cli.command(context_settings=CONTEXT)
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--vars",
    "variables",
    multiple=True,
    default=("Firms,Employment",),
    show_default=True,
    help="Series to classify (a size index of them).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@model_option
@version_option
def stages(scenarios, variables, fmt, model_path):
    """Print the life-cycle stage sequence of each SCENARIO with start and end years.

    When a scenario is named "baseline", every run is measured against the baseline's
    peaks, so runs that share a history share its stages.

    \b
    Example:
      lifecycle stages scenarios/baseline.toml scenarios/shock_with_renewal.toml
    """
    import pandas as pd

    from .runner import SIZE_VARIABLES, comparable_stages, run_scenarios
    from .stages import stage_table

    model, scens = _load_or_fail(scenarios, model_path)
    names = _resolve_vars(model, split_names(variables))
    results = run_scenarios(model, scens, variables=names)
    # with a scenario named baseline, every run is measured against its peaks
    base = "baseline" if "baseline" in results else None
    sequences = comparable_stages(results, base, names or SIZE_VARIABLES, strict=True)
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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="lifecycle")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
