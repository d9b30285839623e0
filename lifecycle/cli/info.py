"""The commands that describe a model and check scenario files without running them:
``params``, ``vars`` and ``validate`` (registered in :data:`lifecycle.cli.COMMANDS`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..model import load_model
from ._shared import model_option, version_option
from .run import _load_or_fail


@click.command()
@click.argument("names", nargs=-1)
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
def params(names, search, fmt, model_path):
    """List every constant with its default, units, range and comment; with NAMES, each
    named constant (or variable) in full, wrapped to the terminal.

    \b
    Example:
      lifecycle params --search network
      lifecycle params "startup rate"
      lifecycle params --format toml > scenarios/my_policy.toml
    """
    from ..params import format_params
    from ..variables import describe

    model = load_model(model_path)
    if names:
        click.echo("\n".join(describe(model, n) for n in names), nl=False)
        return
    click.echo(format_params(model, search=search, fmt=fmt), nl=False)


@click.command("vars")
@click.option("--search", help="Only variables whose name or comment contains TEXT.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["stock", "flow", "auxiliary", "constant", "lookup", "setting"]),
    help="Only variables of this kind (repeat for several).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@model_option
@version_option
def variables(search, kinds, fmt, model_path):
    """List every variable of the model (stocks, flows, auxiliaries, constants) with its
    kind, units, range and comment; comments wrap to the terminal, never cut.

    \b
    Example:
      lifecycle vars --search trust
      lifecycle vars --kind stock --format csv
    """
    from ..variables import format_variables, variables_frame

    model = load_model(model_path)
    if kinds:
        df = variables_frame(model, search)
        df = df[df["kind"].isin(kinds)].reset_index(drop=True)
        if fmt == "csv":
            click.echo(df.to_csv(index=False), nl=False)
            return
        names = set(df["name"])
        text = format_variables(model, search=search)
        head, *rest = text.splitlines()
        keep, show = [head], False
        for line in rest:  # a row starts at column 0; its wrapped comment lines are indented
            if not line.startswith(" "):
                show = line.split("  ")[0].strip() in names
            if show:
                keep.append(line)
        click.echo("\n".join(keep))
        return
    click.echo(format_variables(model, search=search, fmt=fmt), nl=False)


@click.command()
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
