"""The ``lifecycle`` command line, run in-process with click's CliRunner: every command,
every error class and exit code, and the contents of what is written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import lifecycle
from lifecycle.cli import cli, main
from lifecycle.model import load_model
from lifecycle.outputs import write_manifest
from lifecycle.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MAIN_MODEL = ROOT / "models" / "cluster_lifecycle.mdl"
NAN_MODEL = ROOT / "tests" / "models" / "cli_nan.mdl"
BASELINE = SCENARIOS / "baseline.toml"
NETWORKING = SCENARIOS / "networking_initiative.toml"
SHOCK = SCENARIOS / "disruptive_shock.toml"
NII = "networking initiative intensity"
COMMANDS = ["run", "compare", "params", "validate", "stages"]
SUMMARY_COLUMNS = [
    "scenario",
    "variable",
    "at 20",
    "at 40",
    "at 60",
    "peak",
    "time of peak",
    "final",
    "final vs baseline",
    "final vs baseline %",
    "stages (Firms, Employment)",
]


def invoke(*args: object, ok: int | None = 0):
    """Run ``lifecycle ARGS`` in-process; check the exit code (when ``ok`` is not None)."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if ok is not None:
        assert result.exit_code == ok, (
            result.exit_code,
            result.stdout,
            result.stderr,
            result.exception,
        )
    if result.exit_code in (1, 2):  # a user mistake or a failed run: a message, no traceback
        assert isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert result.stderr.strip()
    return result


def listing(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones too) with its content."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- run: one shared run, its contents checked by several tests ------------------------------


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    """``lifecycle run baseline networking --final-time 20 --set "Startup_Rate=0.15"``."""
    folder = tmp_path_factory.mktemp("run")
    out = folder / "out"
    started = datetime.now(UTC).replace(microsecond=0)
    result = invoke(
        "run", BASELINE, NETWORKING, "-o", out, "--final-time", 20, "--set", "Startup_Rate=0.15"
    )
    return {"out": out, "result": result, "started": started}


def test_run_stdout_is_only_the_output_folder(run_out):
    assert run_out["result"].stdout == f"{run_out['out']}\n"
    assert "2 scenario(s) written" in run_out["result"].stderr
    assert "running scenarios" not in run_out["result"].stderr  # no bar: not a terminal


def test_run_writes_exactly_the_documented_files(run_out):
    names = sorted(p.name for p in run_out["out"].iterdir())
    assert names == [
        ".lifecycle-manifest.json",
        "baseline.csv",
        "combined.csv",
        "comparison.png",
        "networking_initiative.csv",
        "run.json",
        "summary.csv",
    ]
    assert (run_out["out"] / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    leftovers = [p.name for p in run_out["out"].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_run_per_scenario_csv_columns_rows_and_values(run_out, cluster):
    df = pd.read_csv(run_out["out"] / "networking_initiative.csv")
    assert df.columns[0] == "time"
    assert list(df.columns[1:]) == cluster.variables  # model spelling, every variable
    assert len(df) == 41  # final time 20, SAVEPER 0.5
    np.testing.assert_allclose(df["time"], np.arange(0, 20.5, 0.5))
    # the values are the model's under the scenario plus --set
    scen = load_scenario(NETWORKING, cluster)
    direct = cluster.run(
        {**scen.params, "startup rate": 0.15}, final_time=20, variables=["Firms", "Member Share"]
    )
    np.testing.assert_allclose(df["Firms"], direct["Firms"], rtol=1e-9)
    np.testing.assert_allclose(df["Member Share"], direct["Member Share"], rtol=1e-9)
    # and --set changed them: the default startup rate gives other numbers
    default = cluster.run(scen.params, final_time=20, variables=["Firms"])
    assert abs(df["Firms"].iloc[-1] / default["Firms"].iloc[-1] - 1) > 0.01


# a --set run is labelled by what it sets (issue 8)
B15, N15 = "baseline (startup rate=0.15)", "networking initiative (startup rate=0.15)"


def test_run_combined_csv_is_tidy_and_complete(run_out, cluster):
    comb = pd.read_csv(run_out["out"] / "combined.csv")
    assert list(comb.columns) == ["scenario", "time", "variable", "value"]
    nvars = len(cluster.variables)
    assert len(comb) == 2 * 41 * nvars
    assert list(comb["scenario"].unique()) == [B15, N15]
    assert comb.groupby("scenario").size().tolist() == [41 * nvars] * 2
    assert set(comb["variable"]) == set(cluster.variables)
    per = pd.read_csv(run_out["out"] / "baseline.csv", index_col="time")
    sub = comb[(comb["scenario"] == B15) & (comb["variable"] == "Employment")]
    np.testing.assert_allclose(sub["value"].to_numpy(), per["Employment"].to_numpy())


def test_run_summary_csv(run_out):
    summary = pd.read_csv(run_out["out"] / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["scenario"].unique().tolist() == [B15, N15]
    base = summary[summary["scenario"] == B15]
    assert (base["final vs baseline"] == 0).all()
    # at 40 and 60 lie beyond final time 20
    assert summary["at 40"].isna().all() and summary["at 20"].notna().all()
    np.testing.assert_allclose(summary["at 20"], summary["final"], rtol=1e-5)


def test_run_json_provenance(run_out, cluster):
    import pysd

    rec = json.loads((run_out["out"] / "run.json").read_text())
    assert rec["versions"]["pysd"] == pysd.__version__
    assert rec["versions"]["numpy"] == np.__version__
    assert rec["versions"]["lifecycle"] == lifecycle.__version__
    assert rec["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert rec["model"]["sha256"] == hashlib.sha256(MAIN_MODEL.read_bytes()).hexdigest()
    assert rec["model"]["name"] == "cluster_lifecycle.mdl"
    assert rec["set"] == {"startup rate": 0.15}
    assert rec["settings"]["final_time"] == 20
    assert rec["settings"]["format"] == "csv"
    assert rec["command"] == [
        "lifecycle",
        "run",
        str(BASELINE),
        str(NETWORKING),
        "-o",
        str(run_out["out"]),
        "--final-time",
        "20",
        "--set",
        "Startup_Rate=0.15",
    ]
    created = datetime.fromisoformat(rec["created"])
    assert run_out["started"] <= created <= datetime.now(UTC)
    assert rec["files"]["scenarios"] == {
        B15: "baseline.csv",
        N15: "networking_initiative.csv",
    }
    scens = {s["name"]: s for s in rec["scenarios"]}
    assert list(scens) == [B15, N15]
    for path, s in ((BASELINE, scens[B15]), (NETWORKING, scens[N15])):
        assert s["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert s["file"] == str(path)
        assert set(s["parameters"]) == set(cluster.parameters)  # every constant
        assert s["parameters"]["startup rate"] == 0.15
    net = scens[N15]["parameters"]
    expected = {n: c.default for n, c in cluster.parameters.items()}
    expected.update(load_scenario(NETWORKING, cluster).params)
    expected["startup rate"] = 0.15
    assert net == expected
    assert net[NII] == 1.0
    assert scens[B15]["parameters"][NII] == cluster.parameters[NII].default
    assert scens[B15]["run"] == {"final_time": 80.0}


# -- run: options ----------------------------------------------------------------------------


def test_run_vars_name_matching_and_model_spelling(tmp_path):
    out = tmp_path / "o"
    invoke(
        "run",
        BASELINE,
        "-o",
        out,
        "--final-time",
        5,
        "--vars",
        "member_share",
        "--vars",
        " FIRMS ,trust",
    )
    df = pd.read_csv(out / "baseline.csv")
    assert list(df.columns) == ["time", "Member Share", "Firms", "Trust"]
    assert len(df) == 11
    comb = pd.read_csv(out / "combined.csv")
    assert len(comb) == 1 * 11 * 3
    assert sorted(comb["variable"].unique()) == ["Firms", "Member Share", "Trust"]


def test_run_scenario_run_table_and_time_step_override(tmp_path, cluster):
    scen = write(
        tmp_path,
        "short.toml",
        'name = "short"\n[params]\n"Networking_Initiative_Intensity" = 0.5\n'
        "[run]\nfinal_time = 3\n",
    )
    invoke("run", scen, "-o", tmp_path / "a", "--vars", "Firms")
    assert len(pd.read_csv(tmp_path / "a" / "short.csv")) == 7  # [run] final_time = 3
    rec = json.loads((tmp_path / "a" / "run.json").read_text())
    assert rec["scenarios"][0]["parameters"][NII] == 0.5
    # command-line settings win; SAVEPER stays 0.5 with a finer TIME STEP
    invoke(
        "run",
        scen,
        "-o",
        tmp_path / "b",
        "--vars",
        "Firms",
        "--final-time",
        2,
        "--time-step",
        0.0625,
    )
    df = pd.read_csv(tmp_path / "b" / "short.csv")
    assert df["time"].tolist() == [0, 0.5, 1, 1.5, 2]
    direct = cluster.run({NII: 0.5}, final_time=2, time_step=0.0625, variables=["Firms"])
    np.testing.assert_allclose(df["Firms"], direct["Firms"], rtol=1e-9)


def test_run_netcdf_format(tmp_path):
    import xarray as xr

    out = tmp_path / "nc"
    invoke(
        "run",
        BASELINE,
        "-o",
        out,
        "--final-time",
        2,
        "--vars",
        "Firms,Employment",
        "--format",
        "nc",
        "--figure-format",
        "svg",
    )
    assert sorted(p.name for p in out.iterdir()) == [
        ".lifecycle-manifest.json",
        "baseline.nc",
        "combined.csv",
        "comparison.svg",
        "run.json",
        "summary.csv",
    ]
    with xr.open_dataset(out / "baseline.nc", engine="scipy") as ds:
        assert sorted(ds.data_vars) == ["Employment", "Firms"]
        assert ds["time"].values.tolist() == [0, 0.5, 1, 1.5, 2]
    assert json.loads((out / "run.json").read_text())["settings"]["format"] == "nc"


def test_run_default_output_folder_is_results_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", BASELINE, "--final-time", 1, "--vars", "Firms")
    assert result.stdout == "results/run\n"
    assert len(pd.read_csv(tmp_path / "results" / "run" / "baseline.csv")) == 3


def test_run_same_file_names_in_two_folders_do_not_overwrite(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write(
            tmp_path / sub,
            "s.toml",
            f'name = "{sub}"\n[params]\n"startup rate" = {0.1 if sub == "a" else 0.2}\n',
        )
    out = tmp_path / "o"
    invoke(
        "run",
        tmp_path / "a" / "s.toml",
        tmp_path / "b" / "s.toml",
        "-o",
        out,
        "--final-time",
        5,
        "--vars",
        "Firms",
    )
    rec = json.loads((out / "run.json").read_text())
    assert rec["files"]["scenarios"] == {"a": "s.csv", "b": "s_2.csv"}
    a, b = (pd.read_csv(out / f)["Firms"].iloc[-1] for f in ("s.csv", "s_2.csv"))
    assert a < b  # a higher startup rate, more firms: two different runs kept


def test_run_replaces_its_own_earlier_output_whole(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier run")
    write_manifest(out)  # an earlier lifecycle output holding stale.txt
    invoke("run", BASELINE, "-o", out, "--final-time", 1, "--vars", "Firms")
    assert "stale.txt" not in {p.name for p in out.iterdir()}
    assert (out / "baseline.csv").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folders left


# -- validation errors: exit 2, nothing written ----------------------------------------------


@pytest.fixture
def existing(tmp_path):
    """An output folder from an earlier run, which a failed command must leave untouched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "baseline.csv").write_text("time,Firms\n0,5\n")
    write_manifest(out)  # lifecycle's own: a command may replace it, but only on success
    before = listing(tmp_path)
    yield out
    assert listing(tmp_path) == before, "the output folder was changed or leftovers written"


@pytest.mark.parametrize(
    ("assignment", "message", "fix"),
    [
        (
            "networking intensity=0.5",
            "'networking intensity' is not a constant of cluster_lifecycle.mdl",
            f"did you mean '{NII}'",
        ),
        (
            "Networking_Initiative_Intensity=3",
            f"'{NII}' = 3 is outside the model's range [0, 1]",
            "choose a value inside",
        ),
        (
            "TRUST=0.5",
            "'Trust' is a stock computed by cluster_lifecycle.mdl, not a constant",
            "constants it depends on",
        ),
        ("startup rate=abc", "'startup rate' needs a number, got str 'abc'", "e.g. 0.12"),
        ("FINAL TIME=20", "'FINAL TIME' is a simulation setting", "--final-time"),
        ("startup rate", "'startup rate' is not NAME=VALUE", '--set "startup rate=0.1"'),
    ],
)
def test_run_set_is_validated_like_a_scenario_file(existing, assignment, message, fix):
    result = invoke("run", BASELINE, "-o", existing, "--set", assignment, ok=2)
    assert f"error: --set: {message}" in result.stderr
    assert fix in result.stderr
    assert "1 problem found; nothing was run or written." in result.stderr
    assert result.stdout == ""


def test_run_reports_file_and_set_problems_together(tmp_path, existing):
    bad = write(tmp_path, "bad.toml", '[params]\n"startup rate" = 7\n')
    result = invoke("run", bad, BASELINE, "-o", existing, "--set", "nosuch=1", ok=2)
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert lines[0].startswith(f"error: {bad}:2: 'startup rate' = 7 is outside")
    assert lines[1].startswith("error: --set: 'nosuch' is not a constant")
    assert "2 problems found" in result.stderr
    bad.unlink()  # not part of the output folder's listing


def test_run_failure_exit_1_leaves_the_output_untouched(tmp_path, existing):
    ok = write(tmp_path, "ok.toml", 'name = "ok"\n')
    fail = write(tmp_path, "fail.toml", 'name = "fails"\n[params]\nfail_time = 3\n')
    result = invoke("run", ok, fail, "-o", existing, "--model", NAN_MODEL, ok=1)
    # the scenario and its file, the variable, the time and the constants set (issue 8)
    assert f"scenario 'fails' ({fail})" in result.stderr
    assert "'Double Level' is not finite from time 4 on" in result.stderr
    assert "the constants set: Fail Time = 3" in result.stderr
    assert result.stdout == ""
    ok.unlink()
    fail.unlink()


def test_run_tiny_model_succeeds_with_model_option(tmp_path):
    ok = write(tmp_path, "ok.toml", '[params]\n"fail time" = 50\n')
    out = tmp_path / "o"
    invoke("run", ok, "--model", NAN_MODEL, "-o", out)
    df = pd.read_csv(out / "ok.csv")
    assert list(df.columns) == ["time", "Double Level", "Level"]
    assert len(df) == 11  # the tiny model: FINAL TIME 10, SAVEPER 1
    rec = json.loads((out / "run.json").read_text())
    assert rec["model"]["sha256"] == hashlib.sha256(NAN_MODEL.read_bytes()).hexdigest()
    assert rec["scenarios"][0]["parameters"] == {"Fail Time": 50.0, "Precise Rate": 0.123456789}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--final-time", "-1"], "--final-time"),
        (["--time-step", "0"], "--time-step"),
        (
            ["--vars", "Firmz"],
            "'Firmz' is not a variable of cluster_lifecycle.mdl; did you mean 'Firms'",
        ),
        (["--model", "nowhere.mdl"], "model file not found: nowhere.mdl"),
        (["--format", "xlsx"], "Invalid value for '--format'"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_run_bad_invocation_exit_2(existing, args, message):
    result = invoke("run", BASELINE, "-o", existing, *args, ok=2)
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_invocations_without_arguments(tmp_path):
    assert "Missing argument 'SCENARIOS...'" in invoke("run", ok=2).stderr
    assert "No such command 'runn'" in invoke("runn", ok=2).stderr
    result = invoke("run", tmp_path / "absent.toml", "-o", tmp_path / "o", ok=2)
    assert "absent.toml: scenario file not found" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- validate: every error class, every file at once -----------------------------------------


def test_validate_ok(tmp_path):
    scen = write(
        tmp_path, "n.toml", 'name = "n"\n[params]\n"Networking_Initiative_Intensity" = 1\n'
    )
    result = invoke("validate", BASELINE, NETWORKING, scen)
    assert result.stdout.splitlines() == [
        f"ok: {BASELINE} ('baseline', 0 constant(s) set)",
        f"ok: {NETWORKING} ('networking initiative', 3 constant(s) set)",
        f"ok: {scen} ('n', 1 constant(s) set)",
    ]


def test_validate_and_run_a_cin_changes_file(tmp_path):
    cin = write(
        tmp_path, "policy.cin", "{Vensim changes}\nNetworking_Initiative_Intensity = 0.25\n"
    )
    assert invoke("validate", cin).stdout == f"ok: {cin} ('policy', 1 constant(s) set)\n"
    invoke("run", cin, "-o", tmp_path / "o", "--final-time", 1, "--vars", "Firms")
    rec = json.loads((tmp_path / "o" / "run.json").read_text())
    assert rec["scenarios"][0]["name"] == "policy"
    assert rec["scenarios"][0]["overrides"] == {NII: 0.25}
    assert rec["scenarios"][0]["sha256"] == hashlib.sha256(cin.read_bytes()).hexdigest()
    assert len(pd.read_csv(tmp_path / "o" / "policy.csv")) == 3


def test_validate_all_shipped_scenarios():
    files = sorted(SCENARIOS.glob("*.toml"))
    result = invoke("validate", *files)
    assert len(result.stdout.splitlines()) == len(files)


def test_validate_lists_every_problem_in_every_file(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    files = {
        "unknown.toml": '[params]\n"networking intensity" = 1\n',
        "notconst.toml": "[params]\nmember_share = 0.5\n",
        "range.toml": '[params]\n"startup rate" = 0.9\n',
        "type.toml": '[params]\n"startup rate" = "high"\n',
        "orphan.toml": 'extends = "nowhere.toml"\n',
        "broken.toml": 'name = "x"\n[params\n',
        "broken.cin": "{ok}\nstartup rate 0.1\n",
        "nomodel.toml": 'model = "missing.mdl"\n',
    }
    paths = [write(tmp_path, name, text) for name, text in files.items()]
    paths.insert(0, tmp_path / "a.toml")
    result = invoke("validate", *paths, ok=2)
    err = result.stderr
    expected = [
        f"{tmp_path / 'b.toml'}:1: circular extends: a.toml -> b.toml -> a.toml",
        f"{tmp_path / 'unknown.toml'}:2: 'networking intensity' is not a constant",
        f"did you mean '{NII}'",
        f"{tmp_path / 'notconst.toml'}:2: 'Member Share' is an auxiliary computed",
        f"{tmp_path / 'range.toml'}:2: 'startup rate' = 0.9 is outside the model's range "
        "[0.02, 0.3]",
        f"{tmp_path / 'type.toml'}:2: 'startup rate' needs a number, got str 'high'",
        f"{tmp_path / 'orphan.toml'}:1: extends a missing file: nowhere.toml",
        f"{tmp_path / 'broken.toml'}:2: malformed TOML",
        f"{tmp_path / 'broken.cin'}:2: malformed line 'startup rate 0.1'",
        f"{tmp_path / 'nomodel.toml'}:1: model file not found: missing.mdl",
        "9 problems found; nothing was run or written.",
    ]
    for text in expected:
        assert text in err, text
    assert result.stdout == ""


def test_validate_missing_model_option():
    result = invoke("validate", BASELINE, "--model", "nowhere.mdl", ok=2)
    assert result.stderr.startswith("error: model file not found: nowhere.mdl")


# -- compare ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """compare two short scenarios to .png, .svg and .pdf, twice each (byte stability)."""
    folder = tmp_path_factory.mktemp("figures")
    short = [
        write(folder, f"{s.stem}.toml", f'extends = "{s}"\n[run]\nfinal_time = 12\n')
        for s in (BASELINE, NETWORKING)
    ]
    out = {}
    for fmt in ("png", "svg", "pdf"):
        for k in (1, 2):
            path = folder / f"{fmt}{k}.{fmt}"
            invoke("compare", *short, "--vars", "Firms,member_share", "-o", path)
            out[fmt, k] = path
    return out


@pytest.fixture(scope="module")
def shock_compare(tmp_path_factory):
    """compare baseline and disruptive shock (80 years) to a PNG."""
    path = tmp_path_factory.mktemp("compare") / "shock.png"
    return path, invoke("compare", BASELINE, SHOCK, "--vars", "Firms,member_share", "-o", path)


@pytest.mark.parametrize(
    ("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_compare_figures_are_byte_stable(figures, fmt, magic):
    first, second = figures[fmt, 1], figures[fmt, 2]
    assert first.read_bytes()[: len(magic)] == magic
    assert first.read_bytes() == second.read_bytes()


def test_compare_prints_the_summary_and_writes_it_beside_the_figure(shock_compare, cluster):
    path, result = shock_compare
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns) == SUMMARY_COLUMNS
    assert table[["scenario", "variable"]].values.tolist() == [
        ["baseline", "Firms"],
        ["baseline", "Member Share"],
        ["disruptive shock", "Firms"],
        ["disruptive shock", "Member Share"],
    ]
    assert path.with_suffix(".csv").read_text() == result.stdout
    assert sorted(p.name for p in path.parent.iterdir()) == [
        ".lifecycle-manifest.json",
        "shock.csv",
        "shock.png",
    ]
    base = cluster.run(variables=["Firms"])["Firms"]
    row = table.iloc[0]
    assert row["peak"] == pytest.approx(base.max(), rel=1e-5)
    assert row["time of peak"] == base.idxmax()
    assert row["final"] == pytest.approx(base.iloc[-1], rel=1e-5)
    assert row["at 20"] == pytest.approx(base.loc[20.0], rel=1e-5)
    assert row["final vs baseline"] == 0
    shock = table.iloc[2]
    assert shock["final vs baseline"] == pytest.approx(shock["final"] - row["final"], rel=1e-4)
    assert shock["final"] < 0.5 * row["final"]  # the shock costs most of the firms
    assert shock["final vs baseline %"] == pytest.approx(
        100 * (shock["final"] - row["final"]) / row["final"], rel=1e-4
    )
    assert "decline" in shock["stages (Firms, Employment)"]


def test_compare_to_a_folder_with_options(tmp_path):
    out = tmp_path / "cmp"
    result = invoke(
        "compare",
        BASELINE,
        SHOCK,
        "--vars",
        "Firms",
        "--baseline",
        "disruptive shock",
        "--years",
        "10,50",
        "--diff",
        "--relative",
        "--per-variable",
        "-o",
        out,
    )
    assert sorted(p.name for p in out.iterdir()) == [
        ".lifecycle-manifest.json",
        "firms.png",
        "summary.csv",
    ]
    table = pd.read_csv(out / "summary.csv")
    assert (out / "summary.csv").read_text() == result.stdout
    assert list(table.columns[:4]) == ["scenario", "variable", "at 10", "at 50"]
    assert table["scenario"].tolist() == ["disruptive shock", "baseline"]  # baseline first
    assert table["final vs baseline"].iloc[0] == 0
    assert table["final vs baseline"].iloc[1] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]


def test_compare_diff_changes_the_figure(tmp_path):
    base = write(
        tmp_path, "b.toml", f'name = "b"\nextends = "{BASELINE}"\n[run]\nfinal_time = 20\n'
    )
    net = write(
        tmp_path, "n.toml", f'name = "n"\nextends = "{NETWORKING}"\n[run]\nfinal_time = 20\n'
    )
    paths = {}
    for label, flags in (("plain", []), ("diff", ["--diff"]), ("rel", ["--diff", "--relative"])):
        paths[label] = tmp_path / f"{label}.svg"
        invoke(
            "compare",
            base,
            net,
            "--vars",
            "Member Share",
            "--baseline",
            "b",
            *flags,
            "-o",
            paths[label],
        )
    data = {k: p.read_bytes() for k, p in paths.items()}
    assert len(set(data.values())) == 3
    assert b"%" in data["rel"]  # relative differences are drawn in percent


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--baseline", "nosuch"],
            "error: --baseline: no scenario is named 'nosuch' (fix: "
            "choose one of 'baseline', 'networking initiative')",
        ),
        (["--relative"], "--relative needs --diff"),
        (["--years", "20,forty"], "is not a comma-separated list of years"),
        (["--vars", "Membr Share"], "did you mean 'Member Share'"),
        (["-o", "figure.txt"], "a figure must end in .png, .svg or .pdf"),
    ],
)
def test_compare_bad_invocation_exit_2_writes_nothing(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke("compare", BASELINE, NETWORKING, *args, ok=2)
    assert message in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_an_existing_file_is_refused_and_kept(tmp_path):
    afile = write(tmp_path, "afile", "keep me\n")
    for command in ("run", "compare"):
        result = invoke(command, BASELINE, "-o", afile, ok=2)
        assert "afile" in result.stderr and "is a file" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]
    assert afile.read_text() == "keep me\n"


def test_atomic_dir_keeps_the_target_when_the_body_fails(tmp_path):
    from lifecycle.outputs import atomic_dir

    target = tmp_path / "out"
    target.mkdir()
    (target / "old.csv").write_text("old")
    write_manifest(target)
    before = listing(tmp_path)
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "new.csv").write_text("half")
        raise RuntimeError("failed half-way")
    assert listing(tmp_path) == before
    assert "out/old.csv" in before


def test_compare_run_failure_exit_1(tmp_path):
    ok = write(tmp_path, "ok.toml", 'name = "ok"\n')
    fail = write(tmp_path, "fail.toml", '[params]\n"Fail Time" = 2\n')
    result = invoke(
        "compare", ok, fail, "--model", NAN_MODEL, "--vars", "Level", "-o", tmp_path / "x.png", ok=1
    )
    assert "is not finite from time" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fail.toml", "ok.toml"]


# -- params ----------------------------------------------------------------------------------


def test_params_table(cluster):
    lines = invoke("params").stdout.splitlines()
    assert lines[0].split()[:4] == ["name", "default", "units", "range"]
    rows = [ln for ln in lines[1:] if not ln[:1].isspace()]  # comments continue indented
    assert len(rows) == len(cluster.parameters)
    row = next(ln for ln in lines if ln.startswith("startup rate "))
    assert "0.12" in row and "[0.02, 0.3]" in row and "1/Year" in row
    assert not any(ln.startswith(("FINAL TIME", "TIME STEP")) for ln in lines)


def test_params_csv_has_every_constant(cluster):
    df = pd.read_csv(io.StringIO(invoke("params", "--format", "csv").stdout))
    assert list(df.columns) == ["name", "default", "units", "min", "max", "class", "comment"]
    assert sorted(df["name"]) == sorted(cluster.parameters)
    for _, r in df.iterrows():
        c = cluster.parameters[r["name"]]
        assert (r["default"], r["min"], r["max"]) == (c.default, c.low, c.high)


def test_params_search():
    df = pd.read_csv(
        io.StringIO(invoke("params", "--search", "NETWORKING", "--format", "csv").stdout)
    )
    assert sorted(df["name"]) == [
        f"networking initiative {w}" for w in ("duration", "intensity", "start")
    ]
    result = invoke("params", "--search", "no such words")
    assert result.stdout == "no constant of cluster_lifecycle.mdl matches 'no such words'\n"


def test_params_of_another_model():
    df = pd.read_csv(io.StringIO(invoke("params", "--model", NAN_MODEL, "--format", "csv").stdout))
    assert df["name"].tolist() == ["Fail Time", "Precise Rate"]
    assert df.iloc[0][["default", "min", "max"]].tolist() == [100, 0, 100]


def test_params_toml_template_keeps_every_digit_of_the_defaults(tmp_path):
    text = invoke("params", "--model", NAN_MODEL, "--format", "toml").stdout
    assert '# "Precise Rate" = 0.123456789\n' in text
    every = write(
        tmp_path,
        "every.toml",
        text.replace('\n# "', '\n"'),
    )
    assert load_scenario(every, load_model(NAN_MODEL)).params == {
        "Fail Time": 100.0,
        "Precise Rate": 0.123456789,
    }


def test_params_toml_template_parses_and_validates(tmp_path, cluster):
    text = invoke("params", "--format", "toml").stdout
    data = tomllib.loads(text)
    assert data == {
        "name": "my scenario",
        "description": data["description"],
        "params": {},
    }
    assert '\n# extends = "baseline.toml"' in text  # valid in any folder as written
    commented = [ln for ln in text.splitlines() if ln.startswith('# "')]
    assert len(commented) == len(cluster.parameters)
    line = f'# "{NII}" = 0'
    assert line in commented
    one = write(tmp_path, "one.toml", text.replace(line, line[2:].replace("= 0", "= 0.5")))
    invoke("validate", one)
    assert load_scenario(one, cluster).params == {NII: 0.5}
    # every line uncommented: the defaults themselves, all valid
    every = write(tmp_path, "every.toml", text.replace('\n# "', '\n"'))
    invoke("validate", every)
    got = load_scenario(every, cluster).params
    assert got == {n: c.default for n, c in cluster.parameters.items()}


# -- stages ----------------------------------------------------------------------------------


def test_stages_of_the_disruptive_shock():
    table = invoke("stages", SHOCK, "--format", "csv").stdout
    df = pd.read_csv(io.StringIO(table))
    assert list(df.columns) == ["scenario", "stage", "start", "end", "duration"]
    assert set(df["scenario"]) == {"disruptive shock"}
    assert df["stage"].iloc[-1] == "decline"
    assert df["start"].iloc[-1] >= 45  # the decline follows the shock of year 45
    assert df["end"].iloc[-1] == 80
    np.testing.assert_allclose(df["duration"], df["end"] - df["start"])
    assert (df["start"].iloc[1:].to_numpy() == df["end"].iloc[:-1].to_numpy()).all()


def test_stages_table_and_errors(tmp_path):
    short = write(tmp_path, "short.toml", 'name = "short"\n[run]\nfinal_time = 25\n')
    out = invoke("stages", short).stdout.splitlines()
    assert out[0].split() == ["scenario", "stage", "start", "end", "duration"]
    assert all(ln.split()[0] == "short" for ln in out[1:])
    assert "growth" in out[1]
    assert "is not a variable of" in invoke("stages", short, "--vars", "Firmz", ok=2).stderr
    fail = write(tmp_path, "fail.toml", '[params]\n"Fail Time" = 2\n')
    result = invoke("stages", fail, "--model", NAN_MODEL, "--vars", "Level", ok=1)
    assert "is not finite from time" in result.stderr


# -- help and version ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [None, *COMMANDS])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_has_an_example(command, flag):
    args = [command, flag] if command else [flag]
    result = invoke(*args)
    assert "Example" in result.stdout
    assert "Usage: " in result.stdout
    if command:
        assert "--model" in result.stdout and "--version" in result.stdout


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_version(command):
    args = [command, "--version"] if command else ["--version"]
    assert invoke(*args).stdout == f"lifecycle, version {lifecycle.__version__}\n"


def test_main_entry_point_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"lifecycle, version {lifecycle.__version__}\n"


def test_python_dash_m_lifecycle_version():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "lifecycle", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"lifecycle, version {lifecycle.__version__}\n"


# -- progress bar ----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("tty", "n"), [(True, 2), (False, 2), (True, 1)])
def test_progress_bar_only_on_a_terminal_for_several_scenarios(monkeypatch, capsys, tty, n):
    """The bar is the command line's (lifecycle.cli._shared.progress, fed by run_scenarios'
    on_done); the library itself never writes to stderr."""
    from lifecycle.cli._shared import progress
    from lifecycle.runner import run_scenarios
    from lifecycle.scenarios import Scenario

    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    model = load_model(NAN_MODEL)
    scens = [Scenario(name=f"s{k}", params={"Fail Time": 50.0 + k}) for k in range(n)]
    assert list(run_scenarios(model, scens, final_time=2)) == [s.name for s in scens]
    assert err.getvalue() == ""  # a script's stderr is left alone
    done = []
    with progress(n, "running scenarios") as tick:
        results = run_scenarios(
            model, scens, final_time=2, on_done=lambda s: (done.append(s), tick(s))
        )
    assert list(results) == [s.name for s in scens] and done == scens
    assert ("running scenarios" in err.getvalue()) == (tty and n > 1)
    assert capsys.readouterr().out == ""  # stdout stays clean


# -- which model a scenario runs on, and run settings ------------------------------------------

BASS = ROOT / "models" / "bass_diffusion.mdl"


def test_a_scenario_model_key_is_used_without_model_option(tmp_path):
    scen = write(
        tmp_path,
        "bass.toml",
        f'model = "{os.path.relpath(BASS, tmp_path)}"\n[params]\n"imitation coefficient" = 0.5\n',
    )
    invoke("run", scen, "-o", tmp_path / "out", "--final-time", 5)
    df = pd.read_csv(tmp_path / "out" / "bass.csv")
    assert {"Adopters", "Potential Adopters", "adoption rate"} <= set(df.columns)
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["model"]["name"] == "bass_diffusion.mdl"


def test_scenarios_for_different_models_are_refused_together(tmp_path):
    scen = write(tmp_path, "bass.toml", f'model = "{os.path.relpath(BASS, tmp_path)}"\n')
    result = invoke("run", scen, BASELINE, "-o", tmp_path / "out", ok=2)
    assert "different models: " in result.stderr
    assert f"{scen} names " in result.stderr and "bass_diffusion.mdl" in result.stderr
    assert f"{BASELINE} names none (the main model, cluster_lifecycle.mdl)" in result.stderr
    assert "give --model" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_time_step_that_does_not_divide_saveper_is_refused(tmp_path):
    result = invoke("run", BASELINE, "--time-step", 0.3, "-o", tmp_path / "out", ok=2)
    assert "SAVEPER 0.5 is not a multiple of TIME STEP 0.3" in result.stderr
    assert not (tmp_path / "out").exists()
