"""Bad calibration input: a clear error before any run, and nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lifecycle.calibration import calibrate
from lifecycle.cli.calibrate import calibrate_command
from lifecycle.errors import (
    CalibrationError,
    DataError,
    LifecycleError,
    NotAConstantError,
    UnknownParameterError,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.set_index:DeprecationWarning"
)

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "models" / "bass_diffusion.mdl"
TV = ROOT / "data" / "bass_colour_tv_sales.csv"
GOOD = [
    "--model", str(BASS), "--time-column", "year", "--time-offset", "1962",
    "--param", "innovation coefficient=0.001:0.2", "--param", "market size=5000:200000",
]  # fmt: skip
SALES = ["--map", "sales_thousand_units=adoption rate"]


def invoke(args: list[str]):
    """Run ``lifecycle calibrate`` in-process, through the main group once it is registered."""
    try:
        from lifecycle.cli import cli

        command, args = (cli, ["calibrate", *args]) if "calibrate" in cli.commands else (None, args)
    except ImportError:
        command = None
    result = CliRunner().invoke(command or calibrate_command, args)
    return result, command is not None


def csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def tv_with(tmp_path: Path, cell: str = "5118", header: str = "sales") -> Path:
    rows = [f"{1962 + i},{v}" for i, v in enumerate([747, 1480, 2646], start=1)]
    return csv(tmp_path, f"year,{header}\n" + "\n".join(rows) + f"\n1966,{cell}\n")


CASES = {
    "unknown column": (
        lambda d: [str(tv_with(d)), *GOOD], DataError, "'sales' matches no variable"
    ),
    "ambiguous column": (
        lambda d: [
            str(csv(d, "year,Sales,sales\n1963,1,2\n1964,3,4\n")),
            "--map", "sales=adoption rate", *GOOD,
        ],
        DataError,
        "ambiguous",
    ),
    "times outside horizon": (
        lambda d: [str(TV), *SALES, *GOOD, "--time-offset", "0"],
        CalibrationError,
        "outside the simulated horizon",
    ),
    "bounds outside range": (
        lambda d: [str(TV), *SALES, *GOOD, "--param", "innovation coefficient=0:2"],
        CalibrationError,
        r"outside the model's range \[0, 1\]",
    ),
    "reversed bounds": (
        lambda d: [str(TV), *SALES, *GOOD, "--param", "imitation coefficient=2:0.05"],
        CalibrationError,
        "reversed",
    ),
    "not a constant": (
        lambda d: [str(TV), *SALES, *GOOD, "--param", "Adopters=0:10"],
        NotAConstantError,
        "'Adopters' is not a constant",
    ),
    "unknown parameter": (
        lambda d: [str(TV), *SALES, *GOOD, "--param", "imitation coeficient=0:1"],
        UnknownParameterError,
        "did you mean 'imitation coefficient'",
    ),
    "all-missing series": (
        lambda d: [str(csv(d, "year,sales\n1963,\n1964,\n")), "--map", "sales=adoption rate",
                   *GOOD],
        DataError,
        "no values",
    ),
    "empty file": (lambda d: [str(csv(d, "")), *SALES, *GOOD], DataError, "is empty"),
    "non-numeric cell": (
        lambda d: [str(tv_with(d, cell="5,118".replace(",", ";"))), "--map", "sales=adoption rate",
                   *GOOD],
        DataError,
        r"line 5, column 'sales': '5;118' is not a number",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_with_a_clear_error_and_writes_nothing(tmp_path, case):
    make_args, error, match = CASES[case]
    data_dir, out_dir = tmp_path / "in", tmp_path / "out"
    data_dir.mkdir()
    args = [*make_args(data_dir), "-o", str(out_dir / "fitted.toml")]
    result, through_group = invoke(args)
    if through_group:  # the group turns a LifecycleError into one line and exit code 2
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1
    else:
        assert isinstance(result.exception, error), result.output
        assert isinstance(result.exception, LifecycleError) and result.exception.exit_code == 2
    assert re.search(match, result.output if through_group else str(result.exception))
    assert not out_dir.exists() or not any(out_dir.iterdir())


@pytest.mark.parametrize(
    ("param", "match"),
    [("innovation coefficient", "not of the form"), ("market size=5000", "LOW:HIGH")],
)
def test_malformed_param_option_is_a_usage_error(tmp_path, param, match):
    result, _ = invoke([str(TV), *SALES, "--model", str(BASS), "--param", param,
                        "-o", str(tmp_path / "f.toml")])  # fmt: skip
    assert result.exit_code == 2 and match in result.output
    assert not any(tmp_path.iterdir())


def frame(**columns) -> pd.DataFrame:
    times = pd.Index([1.0, 2.0, 4.0, 7.0], name="time")
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()}, index=times)


def test_a_flow_in_unevenly_spaced_data_must_say_total_or_rate(bass):
    data = frame(**{"adoption rate": [30, 40, 60, 90]})
    with pytest.raises(CalibrationError, match=r"ambiguous.*flows=\{'adoption rate': 'total'\}"):
        calibrate(bass, data, {"market size": (100, 5000)})
    with pytest.raises(CalibrationError, match="first value .* total over an unknown period"):
        calibrate(bass, data, {"market size": (100, 5000)}, flows="total")


def test_a_stock_cannot_be_compared_as_a_total(bass):
    data = frame(Adopters=[30, 70, 160, 300])
    with pytest.raises(CalibrationError, match="'Adopters' is a stock, not a flow"):
        calibrate(bass, data, {"market size": (100, 5000)}, flows={"Adopters": "total"})


def test_api_bad_arguments_name_the_argument(bass):
    data = frame(Adopters=[30, 70, 160, 300])
    bounds = {"market size": (100, 5000)}
    with pytest.raises(CalibrationError, match="`method` must be one of"):
        calibrate(bass, data, bounds, method="nelder-mead")
    with pytest.raises(CalibrationError, match="`starts` must be a whole number >= 1"):
        calibrate(bass, data, bounds, starts=0)
    with pytest.raises(CalibrationError, match="`weights` must be a dict or one of"):
        calibrate(bass, data, bounds, weights="max")
    with pytest.raises(CalibrationError, match="`params` is empty"):
        calibrate(bass, data, {})
    with pytest.raises(CalibrationError, match=r"`params\['market size'\]` must be"):
        calibrate(bass, data, {"market size": 100})
    with pytest.raises(DataError, match="has no values"):
        calibrate(bass, frame(Adopters=[np.nan] * 4), bounds)
    with pytest.raises(CalibrationError, match="2 observations cannot fit 3 parameters"):
        calibrate(
            bass,
            frame(Adopters=[1, np.nan, np.nan, 3]),
            {"market size": (100, 5000), "innovation coefficient": (0.01, 0.1),
             "imitation coefficient": (0.1, 1)},
        )  # fmt: skip
    with pytest.raises(CalibrationError, match="'TIME STEP' is a simulation setting"):
        calibrate(bass, data, {"TIME STEP": (0.1, 1)})
    # issue 12, item 3: fitting INITIAL TIME names the way to start earlier (a spin-up)
    with pytest.raises(CalibrationError, match="'INITIAL TIME' is a simulation setting.*spin_up="):
        calibrate(bass, data, {"INITIAL TIME": (-40, 0)})


def test_cli_writes_the_scenario_the_figure_and_the_summary(tmp_path):
    out = tmp_path / "fit" / "fitted.toml"
    result, _ = invoke([str(TV), *SALES, *GOOD, "--param", "imitation coefficient=0.05:2",
                        "--time-step", "0.25", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "innovation coefficient" in result.stdout and "R²" in result.stdout
    names = sorted(p.name for p in out.parent.iterdir())
    assert names == [".lifecycle-manifest.json", "fitted.png", "fitted.toml", "fitted.txt"]
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert '"market size" = 3894' in out.read_text(encoding="utf-8")  # 38,942 (SOURCES.md)


def test_cli_a_fit_that_does_not_converge_exits_1_through_the_error_tree(tmp_path, monkeypatch):
    """Before: ``ctx.exit(1)`` inside the command, past the group's error mapping. Now a
    :class:`ConvergenceError` (a SimulationError, exit code 1) that the group prints, after
    the fit's files are written."""
    from functools import partial

    import lifecycle.calibration as calibration  # the command imports calibrate from it
    from lifecycle.errors import ConvergenceError, SimulationError

    assert issubclass(ConvergenceError, SimulationError) and ConvergenceError.exit_code == 1
    # a real fit stopped by its evaluation limit (scipy's max_nfev), through the command
    fit = partial(calibration.calibrate, options={"max_nfev": 2})
    monkeypatch.setattr(calibration, "calibrate", fit)
    from lifecycle.cli import cli

    out = tmp_path / "fitted.toml"
    args = ["calibrate", str(TV), *SALES, *GOOD, "--param", "imitation coefficient=0.05:2",
            "--method", "least_squares", "--time-step", "0.25", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)  # the group: its handler maps the error
    assert result.exit_code == 1, result.output
    assert "error: the fit did not converge" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.output and out.is_file()  # written for inspection


def test_cli_max_iterations_limits_either_search_and_is_the_named_fix(tmp_path):
    """Before: the command had no iteration limit, and a differential evolution stopped at
    its 60 generations (the regional history's six constants) could only be told to use
    more starts, which do not apply to it."""
    from lifecycle.cli import cli

    base = ["calibrate", str(TV), *SALES, *GOOD, "--param", "imitation coefficient=0.05:2",
            "--time-step", "0.25"]  # fmt: skip
    multi = CliRunner().invoke(
        cli, [*base, "--max-iterations", "2", "-o", str(tmp_path / "a.toml")]
    )
    assert "8 starts in lockstep (2 iterations" in multi.stdout, multi.output
    evolved = CliRunner().invoke(cli, [
        *base, "--method", "differential_evolution", "--max-iterations", "1",
        "-o", str(tmp_path / "b.toml"),
    ])  # fmt: skip
    assert evolved.exit_code == 1, evolved.output
    assert "Maximum number of iterations" in evolved.stdout
    assert "fix: more iterations (--max-iterations)" in evolved.stderr
