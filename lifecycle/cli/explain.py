"""Commands that explain a model: ``loops``, ``diagram``, ``doc`` and ``export``.

They use pysimlin (the ``simlin`` extra) for the model's causal structure and for Loops
That Matter; the work is done in :mod:`lifecycle.explain`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import LifecycleError
from . import model_option, split_names, version_option
from .run import _load_or_fail


def _needs_simlin():
    try:
        import simlin  # noqa: F401
    except ImportError:
        raise LifecycleError(
            "this command needs pysimlin: pip install 'lifecycle[simlin]'"
        ) from None


@click.command("loops")
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("loops"),
    show_default=True,
    help="Output folder (only loops.csv, loops.<fmt> and periods.csv in it are replaced).",
)
@click.option(
    "--vars",
    "variables",
    multiple=True,
    default=("Firms,Employment",),
    show_default=True,
    help="Series whose life-cycle stages are used (a size index of them, as in `stages`).",
)
@click.option("--periods", is_flag=True, help="Also write periods.csv: the dominance periods.")
@click.option(
    "--through",
    metavar="VARIABLE",
    help="Compare only the loops that pass through VARIABLE (default: all scored loops).",
)
@click.option(
    "--figure-format", type=click.Choice(["png", "svg", "pdf"]), default="png", show_default=True
)
@model_option
@version_option
def loops_command(scenarios, outdir, variables, periods, through, figure_format, model_path):
    """Which feedback loops dominate each life-cycle stage of each SCENARIO.

    Loops That Matter (through pysimlin) scores the model's named loops (the
    <model>.loops.toml file beside it) or, on a small model without one, every loop.
    Writes loops.csv (scenario, variable, stage, start, end, loop, polarity, share),
    a figure of the trajectory with its stage bands and the dominant loop in each band,
    and with --periods periods.csv (scenario, start, end, loop, polarity, share).

    \b
    Example:
      lifecycle loops scenarios/baseline.toml scenarios/shock_with_renewal.toml -o loops
    """
    _needs_simlin()
    from ..explain.report import analyse, stage_summary, write_report

    model, scens = _load_or_fail(scenarios, model_path)
    names = [model.resolve(n) for n in split_names(variables) or []]
    runs = analyse(model, scens, variables=names, through=through)
    written = write_report(
        outdir,
        runs,
        names,
        periods=periods,
        figure_format=figure_format,
        units={v: model.units(v) for v in names},
    )
    click.echo(stage_summary(runs))
    click.secho("written: " + ", ".join(str(p) for p in written), err=True, fg="green")
