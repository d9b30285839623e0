"""Commands that explain a model: ``loops``, ``diagram``, ``doc`` and ``export``.

They use pysimlin (the ``simlin`` extra) for the model's causal structure and for Loops
That Matter; the work is done in :mod:`lifecycle.explain`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._shared import (
    command_line,
    figure_format_option,
    force_option,
    model_option,
    output_option,
    scenarios_argument,
    split_names,
    version_option,
)
from .run import _load_or_fail


def _needs_simlin():
    try:
        import simlin  # noqa: F401
    except ImportError:
        raise ImportError("this command needs pysimlin: pip install 'lifecycle[simlin]'") from None


@click.command("loops")
@scenarios_argument
@output_option(
    "Output folder, replaced whole (only if it is lifecycle's own output, or --force).",
    default="results/loops",
    dest="outdir",
    kind="folder",
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
    multiple=True,
    help="Compare only the loops that pass through VARIABLE (comma-separated: through any "
    "of them). Default: all scored loops.",
)
@figure_format_option
@force_option
@model_option
@version_option
def loops_command(scenarios, outdir, variables, periods, through, figure_format, force, model_path):
    """Which feedback loops dominate each life-cycle stage of each SCENARIO.

    Loops That Matter (through pysimlin) scores the model's named loops (the
    <model>.loops.toml file beside it) or, on a small model without one, every loop.
    Writes loops.csv (scenario, variable, stage, start, end, loop, polarity, share),
    a figure of the trajectory with its stage bands and the dominant loop in each band,
    and with --periods periods.csv (scenario, start, end, loop, polarity, share).

    \b
    Example:
      lifecycle loops scenarios/baseline.toml scenarios/shock_with_renewal.toml -o results/loops
    """
    _needs_simlin()
    from ..explain.loops import loops_file
    from ..explain.report import analyse, stage_summary, write_report
    from ..outputs import atomic_dir, check_folder

    model, scens = _load_or_fail(scenarios, model_path)
    names = [model.resolve(n) for n in split_names(variables) or []]
    inputs = [*scenarios, model.path, loops_file(model.path)]
    check_folder(outdir, force=force, inputs=inputs)  # before anything runs
    runs = analyse(model, scens, variables=names, through=split_names(through))
    units = {v: model.units(v) for v in names}
    with atomic_dir(outdir, force=force, inputs=inputs, command=command_line()) as tmp:
        write_report(tmp, runs, names, periods=periods, figure_format=figure_format, units=units)
    click.echo(stage_summary(runs))
    click.secho(f"loops by stage written to {outdir}/", err=True, fg="green")


@click.command("diagram")
@click.option(
    "--sector",
    help="Draw one sector (a group of the .mdl); 'all' draws every sector and the overview "
    "into the folder -o. Default: the overview (stocks, flows and the named loops).",
)
@output_option("A .svg or .png file (a folder with --sector all).", required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png"]),
    default="svg",
    show_default=True,
    help="With --sector all: the format of the files.",
)
@force_option
@model_option
@version_option
def diagram_command(sector, output, fmt, force, model_path):
    """Draw the model's stock-and-flow diagram with pysimlin's layout and renderer.

    The overview shows every stock with its flows and the named loops (the
    <model>.loops.toml beside the model) as arrows between them; a sector diagram shows the
    sector's stocks, flows and auxiliaries and the variables of other sectors they use.
    The same model gives the same bytes.

    \b
    Example:
      lifecycle diagram -o overview.svg
      lifecycle diagram --sector Trust -o trust.png
      lifecycle diagram --sector all -o docs/diagrams
    """
    _needs_simlin()
    from ..explain.diagram import check_output, draw, draw_all
    from ..model import DEFAULT_MODEL
    from ..outputs import atomic_dir, atomic_files

    path = _checked(model_path or DEFAULT_MODEL)
    inputs = [path]
    if sector is not None and sector.lower() == "all":
        with atomic_dir(output, force=force, inputs=inputs, command=command_line()) as tmp:
            names = [p.name for p in draw_all(path, tmp, fmt)]
        for name in names:
            click.echo(str(Path(output) / name))
        return
    check_output(output)
    with atomic_files([output], force=force, inputs=inputs) as (staged,):
        draw(path, staged, sector=sector)
    click.echo(str(output))


def _checked(path: Path) -> Path:
    """``path`` once PySD translates it: a model file lifecycle cannot use is one error
    naming the file, the equation and the fix (lifecycle._mdl), before any output."""
    from ..model import translate

    translate(path)
    return path


@click.command("doc")
@output_option("The HTML file to write.", default="results/model.html", kind="file")
@force_option
@model_option
@version_option
def doc_command(output, force, model_path):
    """Write the model reference: one self-contained HTML page.

    Every variable by sector with its equation, units, range, comment and source class,
    what it uses and what uses it (links both ways); the constants table with class and
    value; the named feedback loops. No network is needed to view it.

    \b
    Example:
      lifecycle doc -o results/model.html
      lifecycle doc --model models/bass_diffusion.mdl -o results/bass.html
    """
    _needs_simlin()
    from ..explain.doc import write_doc
    from ..explain.loops import loops_file
    from ..model import DEFAULT_MODEL
    from ..outputs import atomic_files

    path = _checked(model_path or DEFAULT_MODEL)
    with atomic_files([output], force=force, inputs=[path, loops_file(path)]) as (staged,):
        write_doc(path, staged)
    click.echo(str(output))


@click.command("export")
@click.option("--xmile", "xmile", is_flag=True, required=True, help="Write XMILE (for Stella).")
@output_option("The file to write (.xmile, .stmx or .xml).", kind="file", required=True)
@force_option
@model_option
@version_option
def export_command(xmile, output, force, model_path):
    """Export the model to another format: XMILE, with a laid-out diagram.

    \b
    Example:
      lifecycle export --xmile -o cluster_lifecycle.xmile
    """
    _needs_simlin()
    from ..explain.export import check_output, export_xmile
    from ..model import DEFAULT_MODEL
    from ..outputs import atomic_files

    if not xmile:
        raise click.UsageError("choose a format: --xmile")
    path = _checked(model_path or DEFAULT_MODEL)
    check_output(output)
    with atomic_files([output], force=force, inputs=[path]) as (staged,):
        export_xmile(path, staged)
    click.echo(str(output))
