"""``lifecycle calibrate``: fit constants to a CSV of observed series from the command line.

A thin shell over :func:`lifecycle.read_data`, :func:`lifecycle.calibrate` and
:func:`lifecycle.calibration.evaluate`: options are parsed here, everything else (the
checks, the warnings of :meth:`CalibrationResult.diagnostics`) lives in the library.
Everything is checked before the first run, and nothing is written unless the set-up is
valid.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ..calibration._choices import ENGINES, INTERVALS, METHODS
from ..data import read_data
from ..errors import CalibrationError, ConvergenceError
from ..inputs import resolve_model
from ..model import load_model
from ..outputs import atomic_files, check_files, save_figure
from ._shared import POSITIVE, force_option, model_option, output_option, version_option

__all__ = ["calibrate_command"]


def _pairs(values: tuple[str, ...], option: str, form: str) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, value = text.partition("=") if option == "--tie" else text.rpartition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.UsageError(f"{option} '{text}' is not of the form {form}")
        out[name.strip()] = value.strip()
    return out


def _bounds(text: str, name: str) -> tuple[float, ...]:
    parts = text.split(":")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) not in (2, 3):
        raise click.UsageError(
            f"--param '{name}={text}': give LOW:HIGH (or LOW:HIGH:INITIAL) as numbers"
        )
    return values


def _values(pairs: dict[str, str], option: str) -> dict[str, float]:
    out = {}
    for name, text in pairs.items():
        try:
            out[name] = float(text)
        except ValueError:
            raise click.UsageError(
                f"{option} '{name}={text}': the value must be a number"
            ) from None
    return out


def _targets(output: Path, mcmc: bool) -> list[Path]:
    """The files a run writes: the scenario, figure, summary (and the posterior's)."""
    out = [output, output.with_suffix(".png"), output.with_suffix(".txt")]
    if mcmc:  # the posterior's samples and pair plot
        out += [
            output.with_name(output.stem + "-samples.csv"),
            output.with_name(output.stem + "-posterior.png"),
        ]
    return out


def _report(summary: str, caught, targets) -> None:
    """The summary on stdout; warnings not in it and the files written on stderr."""
    from ..calibration import IdentifiabilityWarning

    click.echo(summary)
    others = dict.fromkeys(
        str(w.message) for w in caught if not issubclass(w.category, IdentifiabilityWarning)
    )
    for message in others:  # the diagnostics are in the summary already
        click.secho(f"warning: {message}", fg="yellow", err=True)
    click.echo("wrote " + ", ".join(str(p) for p in targets), err=True)


def _start_option(text, scenario, spin_up):
    """``--start SCENARIO@TIME`` as ``(path, time)``."""
    if text is None:
        return None
    if scenario is not None or spin_up is not None:
        raise click.UsageError("give --start, or --scenario/--spin-up, not both")
    path, sep, at = text.rpartition("@")
    try:
        when = float(at)
    except ValueError:
        when = None
    if not sep or not path or when is None:
        raise click.UsageError(
            f"--start {text!r}: expected SCENARIO@TIME, e.g. scenarios/baseline.toml@30"
        )
    if not Path(path).is_file():
        raise click.BadParameter(f"{path}: no such scenario file", param_hint="--start")
    return path, when


def _fit(model, observed, bounds, held, evaluate_only, options, fitting):
    """Evaluate the scenario, or fit ``bounds`` with ``held`` constants held."""
    from ..calibration import calibrate, evaluate  # scipy: loaded when a fit runs

    if evaluate_only:
        return evaluate(model, observed, params=held, **options)
    spec = dict(bounds)
    for name, value in held.items():
        if name in spec:
            raise CalibrationError(f"'{name}' is given both by --param and by --set")
        spec[name] = {"min": value, "max": value, "value": value, "vary": False}
    return calibrate(model, observed, spec, **options, **fitting)


@click.command("calibrate")
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=LOW:HIGH",
    help="A constant (or a tie, or 'spin up') to fit and its bounds (optionally "
    "LOW:HIGH:INITIAL); dates in calendar years. Repeat.",
)
@click.option(
    "--tie",
    "ties",
    multiple=True,
    metavar="TIE=A,B+OFFSET",
    help="Fit one value TIE for several constants, each plus an optional offset; give TIE "
    "its bounds with --param. Repeat.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="Hold a constant at VALUE during the fit (dates in calendar years). Repeat.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=VARIABLE",
    help="Fit the data column COLUMN to the model variable VARIABLE. Repeat. Default: every "
    "column except the time column, matched to variables by name.",
)
@click.option("--time-column", default=None, help="Column of times [default: time or year].")
@click.option(
    "--time-offset",
    type=float,
    default=0.0,
    show_default=True,
    help="Data time at which model time is 0 (1962 makes 1963 model time 1).",
)
@click.option(
    "--spin-up",
    type=float,
    default=None,
    metavar="YEARS",
    help="Run the model this long before the first data year (a mature start); replaces "
    "--time-offset. Fit it with --param 'spin up=LOW:HIGH'.",
)
@click.option(
    "--start",
    "start",
    default=None,
    metavar="SCENARIO@TIME",
    help="Start every run from the state of SCENARIO's run at model TIME, the first data "
    "year (a mature start whose history is that scenario's); replaces --scenario and "
    "--spin-up.",
)
@click.option(
    "--flow",
    "flows",
    multiple=True,
    metavar="VARIABLE=total|rate",
    help="How an observed flow is compared: total over each period, or rate at each time.",
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="VARIABLE=FACTOR",
    help="Multiply the series' default weight (1/sd) by FACTOR. Repeat.",
)
@model_option
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scenario giving the other constants during the fit.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="auto",
    show_default=True,
    help="auto: least squares from 8 starts in lockstep, or differential evolution when a "
    "date is fitted; mcmc: the posterior (emcee) around the best fit.",
)
@click.option(
    "--evaluate",
    "evaluate_only",
    is_flag=True,
    help="Score the scenario against the data without fitting (no --param needed).",
)
@click.option(
    "--starts", type=click.IntRange(min=1), default=None, help="Least-squares starts [8 for auto]."
)
@click.option(
    "--max-iterations",
    type=click.IntRange(min=1),
    default=None,
    help="Iteration limit of the search: generations of differential evolution [60] or "
    "lockstep iterations of multi-start least squares [40].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random draw.")
@click.option(
    "--intervals",
    type=click.Choice(INTERVALS),
    default="auto",
    show_default=True,
    help="95 % intervals: linear, or a parametric bootstrap where linear ones cross a bound.",
)
@click.option("--walkers", type=click.IntRange(min=2), default=None, help="MCMC walkers.")
@click.option(
    "--steps", type=click.IntRange(min=1), default=2000, show_default=True, help="MCMC steps."
)
@click.option(
    "--fit-sd", is_flag=True, help="MCMC: sample each series' error sd (default: estimated)."
)
@click.option(
    "--priors",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="MCMC priors from an uncertain file (default: uniform within the bounds).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="auto: the batch engine when it reproduces PySD on the model, else PySD.",
)
@click.option("--time-step", type=POSITIVE, default=None, help="TIME STEP for the fit.")
@click.option("--final-time", type=POSITIVE, default=None, help="FINAL TIME of the runs.")
@output_option(
    "Fitted scenario (.toml); the figure and the summary are written beside it.",
    kind="file",
    required=True,
)
@force_option
@version_option
def calibrate_command(
    data,
    params,
    ties,
    sets,
    maps,
    time_column,
    time_offset,
    spin_up,
    start,
    flows,
    weights,
    model_path,
    scenario,
    method,
    evaluate_only,
    starts,
    max_iterations,
    seed,
    intervals,
    walkers,
    steps,
    fit_sd,
    priors,
    engine,
    time_step,
    final_time,
    output,
    force,
):
    """Fit constants of the model to observed series in DATA (a CSV file).

    Writes OUTPUT (a scenario with the fitted values), OUTPUT's name with .png (data against
    the fitted run, in calendar years) and with .txt (the summary, also printed); with
    --method mcmc also -samples.csv (the posterior) and -posterior.png (its pair plot).
    Exit code 1 when the fit does not converge (the files are still written, for
    inspection).

    Example: lifecycle calibrate data/bass_colour_tv_sales.csv --model
    models/bass_diffusion.mdl --map sales_thousand_units="adoption rate" --time-offset 1962
    --param "innovation coefficient=0.001:0.2" --param "imitation coefficient=0.05:2"
    --param "market size=5000:200000" --time-step 0.25 -o fitted.toml
    """
    bounds = {n: _bounds(v, n) for n, v in _pairs(params, "--param", "NAME=LOW:HIGH").items()}
    tie_map = _pairs(ties, "--tie", "TIE=A,B+OFFSET")
    held = _values(_pairs(sets, "--set", "NAME=VALUE"), "--set")
    columns = _pairs(maps, "--map", "COLUMN=VARIABLE") or None
    flow_modes = _pairs(flows, "--flow", "VARIABLE=total|rate") or None
    factors = _values(_pairs(weights, "--weight", "VARIABLE=FACTOR"), "--weight") or None
    if not bounds and not evaluate_only:
        raise click.UsageError("give at least one --param NAME=LOW:HIGH (or --evaluate)")
    if evaluate_only and bounds:
        raise click.UsageError("--evaluate scores a scenario as it is: leave out --param")
    begin = _start_option(start, scenario, spin_up)
    mcmc = method == "mcmc" and not evaluate_only
    targets = _targets(output, mcmc)
    inputs = [data, *(p for p in (scenario, begin and begin[0], model_path, priors) if p)]
    check_files(targets, force=force, inputs=inputs)  # before the fit
    model = resolve_model([scenario] if scenario else [], model_path)[0] or load_model(None)
    observed = read_data(
        data, time_column=time_column, columns=columns, time_offset=time_offset, model=model
    )
    options = {
        "scenario": scenario, "spin_up": spin_up, "start": begin, "weights": factors,
        "flows": flow_modes,
        "time_step": time_step, "final_time": final_time,
    }  # fmt: skip
    fitting = {
        "ties": tie_map or None, "method": method, "starts": starts, "seed": seed,
        "engine": engine, "intervals": intervals, "walkers": walkers, "steps": steps,
        "sd": "fit" if fit_sd else "estimate", "priors": priors,
    }  # fmt: skip
    if max_iterations is not None:
        fitting["options"] = {"max_iter": max_iterations}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = _fit(model, observed, bounds, held, evaluate_only, options, fitting)
    summary = fit.summary()
    # the files as a set: all staged, then moved into place (lifecycle.outputs)
    with atomic_files(targets, force=force, inputs=inputs) as staged:
        fit.to_scenario(staged[0])
        save_figure(fit.plot(), staged[1])
        staged[2].write_text(summary + "\n", encoding="utf-8")
        if mcmc:
            fit.write_samples(staged[3])
            save_figure(fit.plot_posterior(), staged[4])
    _report(summary, caught, targets)
    if not fit.success:  # the group's handler prints it and exits with its code, 1
        raise ConvergenceError(
            f"the fit did not converge: {fit.message} (the files were written for inspection; "
            "fix: more iterations (--max-iterations) or starts (--starts), wider or better "
            "bounds, or fewer parameters)"
        )
