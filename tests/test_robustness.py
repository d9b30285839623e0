"""Bad input gets one clear error, exit code 2, no traceback, nothing run (issue 8).

One test per failure the issue lists under "tracebacks for user mistakes", "silent
acceptance and runaway resources" and "poor messages"; each failed before the change.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle.cli import cli
from lifecycle.errors import ArgumentError, SettingsError
from lifecycle.limits import check_size, fmt
from lifecycle.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
UNCERTAIN = ROOT / "scenarios" / "uncertain" / "baseline_uncertain.toml"
LINEAR = ROOT / "tests" / "models" / "sa_linear.mdl"
HUGE = "9" * 400


def invoke(*args, ok=2):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if ok == 2:
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.stderr.strip()
    return result


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# -- tracebacks for user mistakes ---------------------------------------------------------


def test_a_400_digit_integer_in_a_scenario_is_a_problem(tmp_path):
    bad = write(tmp_path, "huge.toml", f'[params]\n"startup rate" = {HUGE}\n')
    result = invoke("validate", bad)
    assert "huge.toml:2: 'startup rate' = a 400-digit number, too large" in result.stderr


def test_a_400_digit_integer_in_an_uncertain_file_is_a_problem(tmp_path, cluster):
    bad = write(
        tmp_path, "u.toml", f'[uncertain]\n"startup rate" = {{dist="uniform", min=0, max={HUGE}}}\n'
    )
    result = invoke("montecarlo", BASELINE, "--uncertain", bad, "-n", 2, "-o", tmp_path / "o")
    assert "u.toml:2" in result.stderr and "must be a finite number" in result.stderr
    assert len(result.stderr) < 400  # the number is not printed whole


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"startup rate = 0.1 {\xe9t\xe9}\n", "is not UTF-8 text (byte 0xe9"),
        (b"\x00\x01\x02binary", "is a binary file"),
        (bytes(range(1, 256)) * 3, "is a binary file"),  # no NUL byte, still not text
    ],
    ids=["latin-1", "binary", "binary-without-nul"],
)
def test_latin1_and_binary_cin_files_are_named(tmp_path, content, message):
    path = write(tmp_path, "c.cin", content)
    result = invoke("validate", path)
    assert message in result.stderr and "c.cin" in result.stderr


def test_a_latin1_uncertain_file_is_named(tmp_path):
    bad = write(tmp_path, "u.toml", b"[uncertain]\n# caf\xe9\n")
    result = invoke("montecarlo", BASELINE, "--uncertain", bad, "-n", 2, "-o", tmp_path / "o")
    assert "u.toml:2: is not UTF-8 text" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--time-step", "nan", "'nan' is not a finite number"),
        ("--time-step", "inf", "'inf' is not a finite number"),
        ("--final-time", "nan", "'nan' is not a finite number"),
        ("--final-time", "-5", "must be positive"),
        ("--final-time", HUGE, "is not a finite number"),
    ],
)
def test_run_options_must_be_finite_positive_numbers(tmp_path, option, value, message):
    result = invoke("run", BASELINE, option, value, "-o", tmp_path / "o")
    assert message in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("seed", ["-1", str(2**32), HUGE])
@pytest.mark.parametrize("command", ["montecarlo", "sensitivity"])
def test_seeds_out_of_numpys_range_are_refused(tmp_path, command, seed):
    extra = ["--metric", "final(Firms)"] if command == "sensitivity" else []
    result = invoke(command, BASELINE, "--uncertain", UNCERTAIN, "--seed", seed, *extra)
    assert "--seed" in result.stderr and "range" in result.stderr


def test_symlink_loops_in_cin_and_extends_are_problems(tmp_path):
    (tmp_path / "a.cin").symlink_to(tmp_path / "b.cin")
    (tmp_path / "b.cin").symlink_to(tmp_path / "a.cin")
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    child = write(tmp_path, "child.toml", 'extends = "a.toml"\n')
    result = invoke("validate", tmp_path / "a.cin", child)
    assert "a.cin: cannot read the changes file: a symbolic link loop" in result.stderr
    assert "child.toml:1: extends a broken or looping symbolic link: a.toml" in result.stderr


def test_an_extends_chain_2000_files_deep_is_a_problem(tmp_path):
    write(tmp_path, "s0.toml", 'name = "root"\n')
    for k in range(1, 2000):
        write(tmp_path, f"s{k}.toml", f'name = "s{k}"\nextends = "s{k - 1}.toml"\n')
    result = invoke("validate", tmp_path / "s1999.toml")
    assert "extends chain deeper than 64 files" in result.stderr


# -- silent acceptance and runaway resources -----------------------------------------------


@pytest.mark.parametrize(
    ("run_table", "message"),
    [
        ("final_time = 1e9", "8,000,000,000 time steps"),
        ("time_step = 1e-7", "800,000,000 time steps"),
        ("time_step = 0.3", "SAVEPER 0.5 is not a multiple of TIME STEP 0.3"),
        ("time_step = 0.125\nsaveper = 0.01", "saveper 0.01 is shorter than time_step"),
        ("saveper = 1000", "saveper 1000 is longer than the whole run (80)"),
        ("final_time = 0.1", "time_step 0.125 is longer than the whole run"),
    ],
)
def test_validate_reports_what_run_would_reject(tmp_path, run_table, message):
    """``validate`` passed all of these; ``run`` then hung, grew past 2 GB, failed after
    running earlier scenarios, or wrote a one-row result with exit code 0."""
    bad = write(tmp_path, "bad.toml", f'name = "bad"\n[run]\n{run_table}\n')
    for command in ("validate", "run"):
        args = [command, BASELINE, bad] + (["-o", tmp_path / "o"] if command == "run" else [])
        result = invoke(*args)
        assert "bad.toml:3" in result.stderr and message in result.stderr, result.stderr
    assert not (tmp_path / "o").exists()


def test_run_checks_every_scenario_with_the_overrides_before_the_first_run(tmp_path):
    result = invoke("run", BASELINE, "--time-step", 0.3, "-o", tmp_path / "o")
    assert "scenario 'baseline'" in result.stderr and "nothing was run" in result.stderr


def test_ensembles_too_large_are_refused_with_the_figure(tmp_path):
    mc = invoke("montecarlo", BASELINE, "--uncertain", UNCERTAIN, "-n", 10_000_000)
    assert "10,000,000 runs x 640 time steps = 6,400,000,000 steps" in mc.stderr
    assert "a smaller -n" in mc.stderr
    sa = invoke(
        "sensitivity", BASELINE, "--uncertain", UNCERTAIN, "-n", 8388608, "--metric", "final(Firms)"
    )
    assert "runs x 640 time steps" in sa.stderr


def test_memory_is_estimated_and_refused(monkeypatch, cluster):
    monkeypatch.setenv("LIFECYCLE_MAX_MEMORY_MB", "1")
    with pytest.raises(SettingsError, match=r"about \d+ MB .*641 saved times x 200 variables"):
        check_size(cluster.control, saveper=0.125, variables=200, runs=10, where="x")
    monkeypatch.delenv("LIFECYCLE_MAX_MEMORY_MB")
    assert check_size(cluster.control, saveper=0.125, variables=200, runs=10) == 640


def test_the_api_checks_ensemble_size_and_seed(cluster):
    from lifecycle.montecarlo import monte_carlo
    from lifecycle.uncertain import load_uncertain

    spec = load_uncertain(UNCERTAIN, cluster)
    with pytest.raises(SettingsError, match="6,400,000,000 steps"):
        monte_carlo(cluster, None, spec, n=10_000_000)
    with pytest.raises(ArgumentError, match="seed"):
        monte_carlo(cluster, None, spec, n=2, seed=-1)
    with pytest.raises(ArgumentError, match="whole number"):
        monte_carlo(cluster, None, spec, n=2.5)


def test_sensitivity_n_zero_is_refused_not_replaced_by_the_default():
    result = invoke(
        "sensitivity", BASELINE, "--uncertain", UNCERTAIN, "-n", 0, "--metric", "final(Firms)"
    )
    assert "0 is not in the range x>=1" in result.stderr


def test_run_json_is_strict_json_without_nan(tmp_path):
    out = tmp_path / "o"
    invoke("run", BASELINE, "-o", out, "--final-time", 1, "--vars", "Firms", ok=0)
    text = (out / "run.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in run.json"))


def test_duplicate_assignments_in_cin_and_set_are_refused(tmp_path):
    cin = write(tmp_path, "d.cin", "startup rate = 0.1\nStartup_Rate = 0.2\n")
    result = invoke("validate", cin)
    assert "d.cin:2: 'Startup_Rate' sets 'startup rate' again (already set on line 1)" in (
        result.stderr
    )
    result = invoke(
        "run",
        BASELINE,
        "--set",
        "startup rate=0.1",
        "--set",
        "Startup Rate=0.2",
        "-o",
        tmp_path / "o",
    )
    assert "'Startup Rate=0.2' sets 'startup rate' again" in result.stderr


def test_five_thousand_problems_are_reported_quickly(tmp_path):
    text = "[params]\n" + "".join(f"unknown_{k} = 1\n" for k in range(5000))
    bad = write(tmp_path, "many.toml", text)
    t0 = time.perf_counter()
    result = invoke("validate", bad)
    elapsed = time.perf_counter() - t0
    assert "4900 more entries of [params] not checked after 100 problems" in result.stderr
    assert "101 problems found" in result.stderr
    assert elapsed < 15, f"{elapsed:.1f} s (was 38 s)"


# -- Vensim-friendly .cin ---------------------------------------------------------------------


def test_vensim_cin_syntax_is_accepted(tmp_path, cluster):
    cin = write(
        tmp_path,
        "v.cin",
        '{ a Vensim changes file }\n"startup rate" := 0.1\nnetworking_initiative_start = 9\n',
    )
    assert load_scenario(cin, cluster).params == {
        "startup rate": 0.1,
        "networking initiative start": 9.0,
    }


def test_a_cin_line_starting_with_a_colon_is_refused_with_what_to_write(tmp_path):
    cin = write(tmp_path, "v.cin", ":SCREEN main\nstartup rate = 0.1\n")
    result = invoke("validate", cin)
    assert "v.cin:1: malformed line ':SCREEN main'" in result.stderr
    assert "`name := value`" in result.stderr


# -- poor messages -------------------------------------------------------------------------------


def test_a_value_just_outside_the_range_is_not_rounded_into_it(tmp_path):
    bad = write(tmp_path, "r.toml", '[params]\n"startup rate" = 0.3000000001\n')
    result = invoke("validate", bad)
    assert "= 0.3000000001 is outside" in result.stderr


def test_a_utf8_byte_order_mark_is_accepted(tmp_path, cluster):
    path = write(
        tmp_path, "bom.toml", b'\xef\xbb\xbfname = "bom"\n[params]\n"startup rate" = 0.1\n'
    )
    assert load_scenario(path, cluster).params == {"startup rate": 0.1}


def test_extends_to_a_folder_says_so(tmp_path):
    (tmp_path / "dir").mkdir()
    child = write(tmp_path, "c.toml", 'extends = "dir"\n')
    result = invoke("validate", child)
    assert "c.toml:1: extends a folder, not a file: dir" in result.stderr


def test_fmt_never_rounds_a_number_into_another():
    assert fmt(0.3) == "0.3"
    assert fmt(0.3000000001) == "0.3000000001"
    assert fmt(8_000_000_000) == "8,000,000,000"


# -- the Python API applies the same checks -----------------------------------------------------


@pytest.mark.parametrize("how", ["lifecycle.run", "Model.run"])
def test_the_api_refuses_settings_duplicates_and_huge_numbers_in_params(cluster, how):
    import lifecycle

    def go(params):
        return (
            lifecycle.run(cluster, params=params) if how == "lifecycle.run" else cluster.run(params)
        )

    with pytest.raises(SettingsError, match="'FINAL TIME' is a simulation setting.*final_time="):
        go({"FINAL TIME": 10})  # was silently ignored: an 80-year run
    with pytest.raises(ArgumentError, match="'Startup_Rate' sets 'startup rate' again"):
        go({"startup rate": 0.1, "Startup_Rate": 0.2})  # the last value won
    with pytest.raises(ArgumentError, match="401-digit number"):
        go({"startup rate": 10**400})  # OverflowError traceback


def test_a_run_time_failure_names_scenario_variable_time_and_constants(tmp_path):
    fail = write(tmp_path, "fail.toml", 'name = "fails"\n[params]\nfail_time = 3\n')
    model = ROOT / "tests" / "models" / "cli_nan.mdl"
    result = invoke("run", fail, "--model", model, "-o", tmp_path / "o", ok=1)
    assert f"scenario 'fails' ({fail})" in result.stderr
    assert "is not finite from time 4 on" in result.stderr  # the NaN starts after Fail Time
    assert "constants set: Fail Time = 3" in result.stderr
    assert not (tmp_path / "o").exists()
