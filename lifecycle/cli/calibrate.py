"""``lifecycle calibrate``: fit constants to a CSV of observed series from the command line.

A thin shell over :func:`lifecycle.read_data` and :func:`lifecycle.calibrate`: everything is
checked before the first run, and nothing is written unless the set-up is valid.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from .._names import canonical
from ..calibration import METHODS, IdentifiabilityWarning, calibrate
from ..calibration_objective import ENGINES
from ..data import read_data
from ..model import load_model
from ..outputs import atomic_files, check_files, save_figure
from . import force_option, version_option

__all__ = ["calibrate_command"]


def _pairs(values: tuple[str, ...], option: str, form: str) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, value = text.rpartition("=")
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


def _time_column(path: Path) -> str:
    header = path.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
    for candidate in ("time", "year"):
        if any(canonical(h.strip().strip('"')) == candidate for h in header.split(",")):
            return candidate
    raise click.UsageError(f"{path}: no column 'time' or 'year'; name one with --time-column")


@click.command("calibrate")
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="NAME=LOW:HIGH",
    help="A constant to fit and its bounds (optionally LOW:HIGH:INITIAL). Repeat.",
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
    "--flow",
    "flows",
    multiple=True,
    metavar="VARIABLE=total|rate",
    help="How an observed flow is compared: total over each period, or rate at each time.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The .mdl file [default: the main cluster model].",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    default=None,
    help="Scenario giving the other constants during the fit.",
)
@click.option("--method", type=click.Choice(METHODS), default="least_squares", show_default=True)
@click.option(
    "--starts",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Multi-start: local fits from this many points (least_squares).",
)
@click.option("--seed", type=int, default=None, help="Seed of the multi-start design / DE.")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="auto: the batch engine when it reproduces PySD on the model, else PySD.",
)
@click.option("--time-step", type=float, default=None, help="TIME STEP for the fit.")
@click.option("--final-time", type=float, default=None, help="FINAL TIME of the runs.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fitted scenario (.toml); the figure and the summary are written beside it.",
)
@force_option
@version_option
def calibrate_command(
    data,
    params,
    maps,
    time_column,
    time_offset,
    flows,
    model_path,
    scenario,
    method,
    starts,
    seed,
    engine,
    time_step,
    final_time,
    output,
    force,
):
    """Fit constants of the model to observed series in DATA (a CSV file).

    Writes OUTPUT (a scenario with the fitted values), OUTPUT's name with .png (data against
    the fitted run) and with .txt (the summary, also printed). Exit code 1 when the fit
    does not converge (the files are still written, for inspection).

    Example: lifecycle calibrate data/bass_colour_tv_sales.csv --model
    models/bass_diffusion.mdl --map sales_thousand_units="adoption rate" --time-column year
    --time-offset 1962 --param "innovation coefficient=0.001:0.2" --param "imitation
    coefficient=0.05:2" --param "market size=5000:200000" -o fitted.toml
    """
    bounds = {n: _bounds(v, n) for n, v in _pairs(params, "--param", "NAME=LOW:HIGH").items()}
    columns = _pairs(maps, "--map", "COLUMN=VARIABLE") or None
    flow_modes = _pairs(flows, "--flow", "VARIABLE=total|rate") or None
    targets = [output, output.with_suffix(".png"), output.with_suffix(".txt")]
    inputs = [data, *(p for p in (scenario, model_path) if p)]
    check_files(targets, force=force, inputs=inputs)  # before the fit
    model = load_model(model_path)
    observed = read_data(
        data,
        time_column=time_column or _time_column(data),
        columns=columns,
        time_offset=time_offset,
        model=model,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = calibrate(
            model,
            observed,
            bounds,
            scenario=scenario,
            method=method,
            starts=starts,
            seed=seed,
            engine=engine,
            flows=flow_modes,
            time_step=time_step,
            final_time=final_time,
        )
    summary = fit.summary()
    # the three files as a set: all staged, then moved into place (lifecycle.outputs)
    with atomic_files(targets, force=force, inputs=inputs) as (toml_tmp, png_tmp, txt_tmp):
        fit.to_scenario(toml_tmp)
        save_figure(fit.plot(), png_tmp)
        txt_tmp.write_text(summary + "\n", encoding="utf-8")
    click.echo(summary)
    others = dict.fromkeys(
        str(w.message) for w in caught if not issubclass(w.category, IdentifiabilityWarning)
    )
    for message in others:  # identifiability warnings are in the summary already
        click.secho(f"warning: {message}", fg="yellow", err=True)
    for name in fit.at_bound():
        click.secho(
            f"warning: '{name}' ended on a bound; its interval is not reliable "
            "(widen the bounds or fix the constant)",
            fg="yellow",
            err=True,
        )
    for series, r2 in fit.r2.items():
        if r2 < 0:
            click.secho(
                f"warning: R² of {series} is {r2:.2f}: the fit explains less than the mean "
                "(try other parameters, --method differential_evolution, or a scenario)",
                fg="yellow",
                err=True,
            )
    click.echo(
        f"wrote {output}, {output.with_suffix('.png')}, {output.with_suffix('.txt')}", err=True
    )
    if not fit.success:
        click.secho(f"the fit did not converge: {fit.message}", fg="red", err=True)
        raise SystemExit(1)
