"""``lifecycle calibrate`` errors that give the command line's fix (an option), not the
Python one (issue 8: "calibration errors on the command line suggest Python fixes"): the
two raise sites the last session left untested, ``--method`` and the unknown first period.
Each: exit 2, the option named, no Python argument, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle.cli import cli

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "models" / "bass_diffusion.mdl"
EVENT = """{UTF-8}
Level = INTEG(inflow, 0)
\t~\tunit
\t~\tA stock that starts to grow at the event.
\t|
inflow = STEP(1, event time)
\t~\tunit/Year
\t~\tOne a year from the event on.
\t|
event time = 3
\t~\tYear [1,8]
\t~\tWhen the growth starts: a date, so the run's gradient in it is zero.
\t|
FINAL TIME = 10
\t~\tYear
\t~\t|
INITIAL TIME = 0
\t~\tYear
\t~\t|
TIME STEP = 0.25
\t~\tYear
\t~\t|
SAVEPER = 1
\t~\tYear
\t~\t|
"""


def refused(folder: Path, *args) -> str:
    old = os.getcwd()
    os.chdir(folder)
    try:
        before = sorted(p.name for p in folder.iterdir())
        result = CliRunner().invoke(cli, ["calibrate", *map(str, args)])
        after = sorted(p.name for p in folder.iterdir())
    finally:
        os.chdir(old)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert before == after, f"wrote {set(after) - set(before)}"
    return result.stderr


def test_least_squares_on_an_event_date_names_the_method_option(tmp_path):
    (tmp_path / "event.mdl").write_text(EVENT, encoding="utf-8")
    (tmp_path / "d.csv").write_text("time,Level\n0,0\n4,1\n6,3\n8,5\n10,7\n")
    err = refused(
        tmp_path, "d.csv", "--model", "event.mdl", "--param", "event time=1:8",
        "--method", "least_squares", "-o", "fit.toml",
    )  # fmt: skip
    assert "'event time' time an event (STEP, RAMP or PULSE)" in err
    assert "--method auto or differential_evolution, or mcmc; or hold them with --set" in err
    assert "method='auto'" not in err and "differential_evolution'" not in err


def test_an_unknown_method_is_a_usage_error_naming_the_option(tmp_path):
    (tmp_path / "d.csv").write_text("time,adoption rate\n1,30\n2,40\n")
    err = refused(
        tmp_path, "d.csv", "--model", BASS, "--param", "market size=100:5000",
        "--method", "nelder-mead", "-o", "fit.toml",
    )  # fmt: skip
    assert "Invalid value for '--method': 'nelder-mead' is not one of" in err


def test_a_first_total_over_an_unknown_period_names_the_flow_option(tmp_path):
    (tmp_path / "d.csv").write_text("time,sales\n1,30\n2,40\n4,60\n7,90\n")
    err = refused(
        tmp_path, "d.csv", "--model", BASS, "--map", "sales=adoption rate",
        "--flow", "adoption rate=total", "--param", "market size=100:5000", "-o", "fit.toml",
    )  # fmt: skip
    assert "the first value of 'sales' is a total over an unknown period" in err
    assert "leave the first value of 'sales' empty, or --flow 'adoption rate=rate'" in err
    assert "period={" not in err


@pytest.mark.parametrize("flag", ["--flow", "--map"])
def test_a_flow_or_map_without_its_equals_sign_names_the_option(tmp_path, flag):
    (tmp_path / "d.csv").write_text("time,sales\n1,30\n2,40\n")
    err = refused(
        tmp_path, "d.csv", "--model", BASS, flag, "adoption rate", "--param",
        "market size=100:5000", "-o", "fit.toml",
    )  # fmt: skip
    assert flag in err
