"""Command-line shells over :mod:`lifecycle.montecarlo` and :mod:`lifecycle.sensitivity`.

:data:`lifecycle.cli.COMMANDS` registers :data:`montecarlo_command` and
:data:`sensitivity_command` in the ``lifecycle`` group. No modelling logic lives here;
every step is a call a script can make.
Errors derived from :class:`~lifecycle.errors.LifecycleError` propagate to the group, which
turns them into one red line and exit code 2.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..errors import ScenarioError
from ..inputs import resolve_model
from ..model import load_model
from ..outputs import check_folder
from ._shared import (
    SEED,
    collecting,
    command_line,
    figure_format_option,
    force_option,
    model_option,
    output_option,
    split_names,
    version_option,
)


def _model_and_scenario(scenario: Path, model_path: Path | None):
    """The model (the one rule of :func:`lifecycle.inputs.resolve_inputs`) and the
    validated scenario."""
    from ..inputs import load_inputs

    model, (scen,) = load_inputs([scenario], model_path)
    return model, scen


def _inputs(scenario: Path, uncertain: Path, model_path: Path | None):
    """Model, scenario and uncertain constants; problems in both files reported together."""
    from ..uncertain import load_uncertain

    problems = []
    try:
        model, scen = _model_and_scenario(scenario, model_path)
    except ScenarioError as exc:
        problems += exc.problems
        model, scen = resolve_model([scenario], model_path)[0] or load_model(None), None
    with collecting(problems):
        spec = load_uncertain(uncertain, model)
    if problems:
        raise ScenarioError(problems)
    replaced = spec.replaced(scen)
    if replaced:
        click.secho(
            f"note: {uncertain} replaces the value {scenario} sets for "
            + ", ".join(f"'{n}'" for n in replaced)
            + " by its distribution",
            fg="yellow",
            err=True,
        )
    return model, scen, spec


_common = [
    click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path)),
    click.option(
        "--uncertain",
        "uncertain",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file with an [uncertain] table of distributions.",
    ),
    click.option("--seed", default=1234, show_default=True, type=SEED, help="Sampling seed."),
    model_option,
    figure_format_option,  # --figure-format, as in run: --format is a command's data format
    force_option,
    version_option,
]


def _with_common(f):
    for deco in reversed(_common):
        f = deco(f)
    return f


@click.command("montecarlo")
@_with_common
@click.option(
    "-n", "n", default=1000, show_default=True, type=click.IntRange(min=1), help="Number of runs."
)
@click.option(
    "--vars",
    "variables",
    multiple=True,
    help="Variables to record (repeat or comma-separate; default: the stocks).",
)
@output_option("Output folder (default: results/montecarlo/<scenario>).")
def montecarlo_command(
    scenario, uncertain, seed, model_path, figure_format, force, n, variables, output
):
    """Monte Carlo of SCENARIO: percentile bands (50/75/95/100 %) of sampled runs.

    Writes bands.csv, samples.csv, one figure per variable and montecarlo.json into
    results/montecarlo/<scenario> (or -o), replacing only an earlier lifecycle output.

    \b
    Example:
      lifecycle montecarlo scenarios/baseline.toml \\
          --uncertain scenarios/uncertain/baseline_uncertain.toml -n 1000
    """
    from ..montecarlo import monte_carlo  # the analysis modules load with their command

    model, scen, spec = _inputs(scenario, uncertain, model_path)
    target = output or Path("results") / "montecarlo" / Path(scenario).stem
    check_folder(target, force=force, inputs=[scenario, uncertain])  # before anything runs
    result = monte_carlo(model, scen, spec, n=n, seed=seed, variables=split_names(variables))
    result.options["command"] = " ".join(shlex.quote(a) for a in command_line())
    result.write(target, fmt=figure_format, force=force, inputs=[scenario, uncertain])
    click.echo(f"wrote {target} ({n} runs, seed {seed})", err=True)


@click.command("sensitivity")
@_with_common
@click.option(
    "--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True
)
@click.option(
    "-n",
    "n",
    default=None,
    type=click.IntRange(min=1),
    help="Sobol': base sample size, a power of two (default 1024). "
    "Morris: trajectories (default 100).",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    required=True,
    help='Repeatable: "Employment@40", "peak(Firms)", "tpeak(Firms)", '
    '"final(Firms)", "mean(Firms, 20, 40)".',
)
@click.option("--second-order", is_flag=True, help="Sobol': also second-order indices.")
@click.option(
    "--levels", default=4, show_default=True, type=click.IntRange(min=2), help="Morris grid levels."
)
@output_option("Output folder (default: results/sensitivity/<scenario>-<method>).")
def sensitivity_command(
    scenario,
    uncertain,
    seed,
    model_path,
    figure_format,
    force,
    method,
    n,
    metrics,
    second_order,
    levels,
    output,
):
    """Global sensitivity (Sobol' or Morris) of metrics of SCENARIO to uncertain constants.

    Writes indices.csv, samples.csv, outputs.csv, sensitivity.<figure format> and sensitivity.json
    into results/sensitivity/<scenario>-<method> (or -o), and prints the ranked indices.

    \b
    Example:
      lifecycle sensitivity scenarios/baseline.toml \\
          --uncertain scenarios/uncertain/baseline_uncertain.toml --method sobol -n 1024 \\
          --metric "Employment@40" --metric "peak(Firms)"
    """
    from ..sensitivity import morris, sobol  # SALib: loaded with the command

    model, scen, spec = _inputs(scenario, uncertain, model_path)
    target = output or Path("results") / "sensitivity" / f"{Path(scenario).stem}-{method}"
    check_folder(target, force=force, inputs=[scenario, uncertain])  # before anything runs
    size = {} if n is None else {"n": n}  # the library's default where -n is not given
    if method == "sobol":
        result = sobol(
            model,
            scen,
            spec,
            list(metrics),
            **size,
            seed=seed,
            calc_second_order=second_order,
        )
        cols = ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    else:
        result = morris(
            model,
            scen,
            spec,
            list(metrics),
            **size,
            seed=seed,
            num_levels=levels,
        )
        cols = ["metric", "parameter", "mu_star", "mu_star_conf", "sigma"]
    result.options["command"] = " ".join(shlex.quote(a) for a in command_line())
    result.write(target, fmt=figure_format, force=force, inputs=[scenario, uncertain])
    click.echo(result.indices[cols].to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    click.echo(f"wrote {target} ({len(result.samples)} runs, seed {seed})", err=True)
