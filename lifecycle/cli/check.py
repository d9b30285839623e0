"""``lifecycle check``: a command-line shell over :mod:`lifecycle.checks`.

No modelling logic lives here; every step is a call a script can make.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ScenarioError
from ._shared import (
    collecting,
    command_line,
    figure_format_option,
    force_option,
    model_option,
    output_option,
    version_option,
)


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_option(
    "Output folder for checks.csv, checks.json and the figure.",
    default="results/checks",
    dest="outdir",
    kind="folder",
)
@click.option(
    "--ensemble",
    "uncertain",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Uncertain file (the Monte Carlo format): report the share of draws in which each "
    "check holds.",
)
@click.option(
    "-n",
    "n",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="With --ensemble: number of draws.",
)
@click.option("--seed", default=1234, show_default=True, type=int, help="Sampling seed.")
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1),
    default=None,
    help="With --ensemble: a check fails (exit 1) when it holds in fewer than this share of "
    "the draws.",
)
@click.option(
    "--discover",
    is_flag=True,
    help="With --ensemble: PRIM boxes of the constants in which each partly failing check "
    "fails (needs the `prim` package: pip install 'lifecycle[discover]').",
)
@click.option(
    "--scenario-values",
    type=click.Choice(["held", "scaled"]),
    default="held",
    show_default=True,
    help="With --ensemble, a sampled constant a scenario changes: held at the scenario's "
    "value in every draw, or scaled (the draw times the scenario's change).",
)
@figure_format_option
@force_option
@model_option
@version_option
def check_command(
    paths,
    outdir,
    uncertain,
    n,
    seed,
    min_share,
    discover,
    scenario_values,
    figure_format,
    force,
    model_path,
):
    """Run the behaviour checks in PATHS (check files, or folders of *.toml check files).

    Each [[check]] states a claim and a condition over metrics of a scenario's run, e.g.
    "final(Member Share) >= 0.5 and peak(Firms) > 1.05 * peak(Firms, scenario='base.toml')".
    Without --ensemble every check runs once at the model's values: exit 0 when all hold,
    1 when any fails (the table says by how much), 2 for an invalid file (nothing is run).
    With --ensemble, the share of draws in which each check holds, with a 95 % Wilson
    interval. Writes checks.csv, checks.json and checks.png into the output folder,
    replacing only an earlier lifecycle output.

    \b
    Example:
      lifecycle check checks/
      lifecycle check checks/ --ensemble scenarios/uncertain/plausible.toml -n 1000 \\
          --min-share 0.8 --discover -o results/robustness
    """
    from ..checks import load_checks, run_checks
    from ..checks.report import render
    from ..uncertain import load_uncertain

    if uncertain is None and (discover or min_share is not None):
        flag = "--discover" if discover else "--min-share"
        raise click.UsageError(f"{flag} needs --ensemble UNCERTAIN.toml")
    problems = []
    checkset = None
    with collecting(problems):
        checkset = load_checks(paths, model_path)
    spec = None
    if uncertain is not None:
        from ..model import load_model

        model = checkset.model if checkset is not None else load_model(model_path)
        with collecting(problems):
            spec = load_uncertain(uncertain, model)
    if problems:
        raise ScenarioError(problems)
    from ..checks.report import write
    from ..outputs import check_folder

    files = [*checkset.files, *checkset.scenarios, *([uncertain] if uncertain else [])]
    check_folder(outdir, force=force, inputs=files)  # before anything runs
    if discover:
        from ..checks.discover import require_prim

        require_prim()
    report = run_checks(
        checkset, spec=spec, n=n, seed=seed, min_share=min_share, scenario_values=scenario_values
    )
    if discover:
        from ..checks.discover import discover_all

        discover_all(report)
    click.echo(render(report), nl=False)
    how = "keeps its own value of" if scenario_values == "held" else "scales each draw of"
    for key, names in report.held_by_scenario.items():
        shown = ", ".join(f"'{n}'" for n in names)
        click.echo(f"note: {key} {how} {shown}", err=True)
    write(report, outdir, command=command_line(), figure_format=figure_format, force=force)
    click.secho(f"wrote {outdir}/ (checks.csv, checks.json, checks.{figure_format})", err=True)
    if not report.all_ok:
        click.get_current_context().exit(1)
