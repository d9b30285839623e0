"""Every registered command through the group, and the conveniences issue 8 asks for:
``vars``, ``params NAME``, ``--set`` labels and ``--set`` on compare/stages, a figure for
any model, ``stages --data``."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

import lifecycle
from lifecycle.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
BASS = ROOT / "models" / "bass_diffusion.mdl"


def invoke(*args, ok=0, env=None):
    result = CliRunner(env=env).invoke(cli, [str(a) for a in args])
    assert result.exit_code == ok, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def test_the_command_table_is_what_the_group_lists():
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        assert cli.get_command(ctx, name).name == name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_version_help_and_an_example(name):
    """The README promises ``-h`` with an example and ``--version`` for every command;
    a command another module registers in COMMANDS is checked here without more work."""
    assert invoke(name, "--version").stdout == f"lifecycle, version {lifecycle.__version__}\n"
    text = invoke(name, "-h").stdout
    assert "Example:" in text, f"`lifecycle {name} -h` shows no example"
    example = text.split("Example:", 1)[1]
    assert f"lifecycle {name}" in example, f"the example of {name} does not run {name}"
    assert "--model" in text or name in ("check",), f"{name} has no --model"


# -- vars and params NAME ------------------------------------------------------------------


def test_vars_lists_stocks_flows_and_auxiliaries_with_full_comments(cluster):
    out = invoke("vars", "--format", "csv").stdout
    df = pd.read_csv(pd.io.common.StringIO(out), keep_default_na=False)
    kinds = dict(zip(df["name"], df["kind"], strict=True))
    assert kinds["Trust"] == "stock"
    assert kinds["Trust Building"] == "flow"
    assert kinds["startup rate"] == "constant"
    assert kinds["TIME STEP"] == "setting"
    assert set(cluster.stocks) == {n for n, k in kinds.items() if k == "stock"}
    assert len(df) == len(cluster.doc)
    longest = max(cluster.doc["Comment"].dropna(), key=len)
    assert " ".join(longest.split()) in set(df["comment"])  # nothing cut


def test_vars_search_and_kind_filter():
    out = invoke("vars", "--search", "trust", "--kind", "stock", "--format", "csv").stdout
    assert pd.read_csv(pd.io.common.StringIO(out))["name"].tolist() == ["Trust"]


def test_vars_table_wraps_comments_to_the_terminal_without_cutting(monkeypatch, cluster):
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((70, 24))
    )
    # a phrase of one comment only, so that the table holds one row
    text = invoke("vars", "--search", "formulation choice, not a numerical device").stdout
    assert max(len(line) for line in text.splitlines()) <= 100
    comment = " ".join(
        cluster.doc.set_index("Real Name").loc["minimum response time", "Comment"].split()
    )
    assert " ".join(" ".join(line.split()) for line in text.splitlines()[1:]).endswith(
        comment.split()[-1]
    )
    assert "..." not in text


def test_params_name_prints_everything_about_one_constant(cluster):
    text = invoke("params", "Startup_Rate").stdout
    const = cluster.parameters["startup rate"]
    assert text.startswith("startup rate\n")
    assert "default: 0.12" in text and "range:   [0.02, 0.3]" in text
    assert " ".join(text.split()).endswith(" ".join(const.comment.split()))


def test_params_of_an_unknown_name_is_exit_2_with_suggestions():
    result = invoke("params", "startup rat", ok=2)
    assert "did you mean 'startup rate'" in result.stderr


# -- the params table: comments wrapped to the terminal, nothing cut -------------------------

LONG_MODEL = """{UTF-8}
Venture capital per newly founded knowledge intensive firm = 12345678
	~	MUSD/(firm*Year*person) [0,100000000]
	~	Assumption: a deliberately long name, a long unit and a default of eight \\
		significant digits, so that a table which cuts names, units or digits shows it. \\
		The last word of this comment is sentinel.
	|

Short = 0.123456789
	~	Dmnl [0,1]
	~	Short comment.
	|

Level = INTEG(Short * Venture capital per newly founded knowledge intensive firm, 0)
	~	MUSD
	~	A stock.
	|

FINAL TIME  = 10
	~	Year
	~	The final time for the simulation.
	|

INITIAL TIME  = 0
	~	Year
	~	The initial time for the simulation.
	|

SAVEPER  = 1
	~	Year [0,?]
	~	The frequency with which output is stored.
	|

TIME STEP  = 0.5
	~	Year [0,?]
	~	The time step for the simulation.
	|
"""


def _terminal(monkeypatch, columns):
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((columns, 24))
    )


def _rows(text):
    """The table's rows: a row starts at column 0 with its name, its comment may continue
    on indented lines; each row as one whitespace-normalised string."""
    rows = []
    for line in text.splitlines()[1:]:
        if line[:1].isspace():
            rows[-1] += " " + line
        else:
            rows.append(line)
    return [" ".join(r.split()) for r in rows]


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_params_table_wraps_every_comment_to_the_terminal_and_cuts_nothing(
    monkeypatch, cluster, columns
):
    _terminal(monkeypatch, columns)
    text = invoke("params").stdout
    assert max(len(line) for line in text.splitlines()) <= columns
    rows = _rows(text)
    assert len(rows) == len(cluster.parameters)
    consts = sorted(cluster.parameters.values(), key=lambda c: c.name.lower())
    for row, const in zip(rows, consts, strict=True):
        assert row.startswith(const.name + " "), (row, const.name)
        assert row.endswith(" ".join(const.comment.split())), (columns, row)
        assert f" {const.units} " in row
    # no ellipsis of the table's own: any "..." is one the comments themselves contain
    assert text.count("...") == sum(c.comment.count("...") for c in consts)
    assert "\u2026" not in text


def test_params_table_keeps_long_names_units_and_every_digit(monkeypatch, tmp_path):
    _terminal(monkeypatch, 100)
    model = tmp_path / "long.mdl"
    model.write_text(LONG_MODEL)
    text = invoke("params", "--model", model).stdout
    assert max(len(line) for line in text.splitlines()) <= 100
    short_row, long_row = _rows(text)  # sorted by name
    assert long_row.startswith(
        "Venture capital per newly founded knowledge intensive firm 12345678 "
        "MUSD/(firm*Year*person) [0, 1e+08] Assumption: a deliberately long name"
    ), long_row
    assert long_row.endswith("The last word of this comment is sentinel.")
    assert short_row.startswith("Short 0.123456789 Dmnl [0, 1] Short comment.")


def test_params_table_is_80_wide_when_not_a_terminal(monkeypatch, cluster):
    monkeypatch.delenv("COLUMNS", raising=False)

    def no_terminal(*args):
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    text = invoke("params").stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    assert len(_rows(text)) == len(cluster.parameters)


# -- --set -----------------------------------------------------------------------------------


def test_a_set_run_is_labelled_by_what_it_sets(tmp_path):
    out = tmp_path / "o"
    invoke(
        "run",
        BASELINE,
        "--set",
        "startup rate=0.1",
        "-o",
        out,
        "--final-time",
        2,
        "--vars",
        "Firms",
    )
    combined = pd.read_csv(out / "combined.csv")
    assert set(combined["scenario"]) == {"baseline (startup rate=0.1)"}


def test_compare_and_stages_take_set(tmp_path):
    base = invoke("stages", BASELINE, "--format", "csv").stdout
    lower = invoke("stages", BASELINE, "--set", "startup rate=0.02", "--format", "csv").stdout
    assert "baseline (startup rate=0.02)" in lower
    assert base != lower.replace("baseline (startup rate=0.02)", "baseline")
    table = invoke(
        "compare", BASELINE, "--set", "startup rate=0.02", "--vars", "Firms", "-o", tmp_path / "c"
    ).stdout
    low = pd.read_csv(pd.io.common.StringIO(table))
    normal = pd.read_csv(
        pd.io.common.StringIO(
            invoke("compare", BASELINE, "--vars", "Firms", "-o", tmp_path / "d").stdout
        )
    )
    assert low["scenario"].tolist() == ["baseline (startup rate=0.02)"]
    assert low["peak"].iloc[0] < normal["peak"].iloc[0]  # fewer start-ups, a smaller peak


# -- a figure for any model; stages of observed data ------------------------------------------


def test_run_draws_a_figure_for_a_model_without_the_cluster_variables(tmp_path):
    scen = tmp_path / "b.toml"
    scen.write_text('name = "bass"\n')
    out = tmp_path / "o"
    invoke("run", scen, "--model", BASS, "-o", out)
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"


def test_stages_classifies_an_observed_csv_like_the_run_it_came_from(tmp_path):
    out = tmp_path / "o"
    invoke("run", BASELINE, "-o", out, "--vars", "Firms,Employment")
    observed = tmp_path / "observed.csv"
    pd.read_csv(out / "baseline.csv").rename(columns={"time": "year"}).to_csv(observed, index=False)
    run_stages = pd.read_csv(
        pd.io.common.StringIO(invoke("stages", BASELINE, "--format", "csv").stdout)
    )
    data_stages = pd.read_csv(
        pd.io.common.StringIO(
            invoke(
                "stages", "--data", observed, "--vars", "firms,employment", "--format", "csv"
            ).stdout
        )
    )
    assert data_stages["scenario"].unique().tolist() == ["observed (observed)"]
    assert data_stages["stage"].tolist() == run_stages["stage"].tolist()
    bad = invoke("stages", "--data", observed, "--vars", "jobs", ok=2)
    assert "no column 'jobs'" in bad.stderr and "'Firms'" in bad.stderr


# -- calibrate's errors name its options, not Python arguments ------------------------------

BASS_FIT = [
    "--model", BASS, "--time-column", "year", "--time-offset", 1962,
    "--param", "innovation coefficient=0.001:0.2", "--param", "market size=5000:200000",
]  # fmt: skip
PYTHON_FIX = re.compile(
    r"\b(columns|flows|period|time_offset|final_time|time_step|spin_up|method)=|read_data\("
)


def _calibrate_error(tmp_path, csv_text, *args):
    data = tmp_path / "obs.csv"
    data.write_text(csv_text, encoding="utf-8")
    result = invoke("calibrate", data, *args, "-o", tmp_path / "fit.toml", ok=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv"]  # nothing written
    message = result.stderr
    assert not PYTHON_FIX.search(message), message
    return " ".join(message.split())


def test_calibrate_unknown_column_suggests_map(tmp_path):
    text = _calibrate_error(tmp_path, "year,salez\n1963,747\n1964,1480\n", *BASS_FIT)
    assert "column 'salez' matches no variable" in text
    assert "--map 'salez=VARIABLE'" in text


def test_calibrate_bad_cell_suggests_leaving_the_column_out_with_map(tmp_path):
    csv_text = "year,adoption rate\n1963,747\n1964,x\n"
    text = _calibrate_error(tmp_path, csv_text, *BASS_FIT)
    assert "column 'adoption rate': 'x' is not a number" in text
    assert "--map" in text


def test_calibrate_ambiguous_flow_suggests_the_flow_option(tmp_path):
    csv_text = "year,adoption rate\n1963,747\n1964,1480\n1966,5118\n"
    text = _calibrate_error(tmp_path, csv_text, *BASS_FIT)
    assert "--flow 'adoption rate=total'" in text


def test_calibrate_data_outside_the_horizon_suggests_the_options(tmp_path):
    args = [a if a != 1962 else 1900 for a in BASS_FIT]
    text = _calibrate_error(tmp_path, "year,adoption rate\n1963,747\n1964,1480\n", *args)
    assert "fall outside the simulated horizon" in text
    assert "--time-offset" in text and "--final-time" in text and "--spin-up" in text


def test_calibrate_a_setting_as_param_suggests_the_options(tmp_path):
    args = [*BASS_FIT, "--param", "TIME STEP=0.1:1"]
    text = _calibrate_error(tmp_path, "year,adoption rate\n1963,747\n1964,1480\n", *args)
    assert "'TIME STEP' is a simulation setting" in text
    assert "--time-step" in text and "--final-time" in text and "--spin-up" in text


def test_the_python_api_keeps_the_python_fix(tmp_path, bass):
    from lifecycle.data import read_data

    data = tmp_path / "obs.csv"
    data.write_text("year,salez\n1963,747\n", encoding="utf-8")
    with pytest.raises(lifecycle.errors.DataError, match=r"columns=\{'salez': 'VARIABLE'\}"):
        read_data(data, model=bass)


def _options(name: str) -> dict[str, click.Option]:
    command = cli.get_command(click.Context(cli), name)
    return {o: p for p in command.params if isinstance(p, click.Option) for o in p.opts}


FIGURE_FORMATS = {"png", "svg", "pdf"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_one_flag_one_meaning_across_commands(name):
    """The shared options are the same objects' copies in every command: ``--figure-format``
    is the format of the figures beside a command's data (``--format`` is the data's), and
    ``-o``, ``--time-step`` and ``--final-time`` check their values alike (an empty output
    name, NaN or a negative time are refused before anything runs)."""
    options = _options(name)
    shared = {
        "--figure-format": _options("run")["--figure-format"],
        "-o": _options("run")["-o"],
        "--time-step": _options("run")["--time-step"],
    }
    for opt, reference in shared.items():
        if opt in options:
            assert type(options[opt].type) is type(reference.type), (name, opt)
    if "--format" in options and name != "diagram":  # a diagram's files are its data
        choices = set(getattr(options["--format"].type, "choices", ()))
        assert not choices <= FIGURE_FORMATS, f"{name}: --format names figure formats"
    if name in ("montecarlo", "sensitivity", "run", "check"):
        assert "--figure-format" in options, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-step", "nan"], "is not a finite number"),
        (["--final-time", "-5"], "must be positive"),
        (["-o", ""], "the output name is empty"),
    ],
)
def test_calibrate_refuses_bad_times_and_an_empty_output_before_fitting(
    args, message, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    tv = ROOT / "data" / "bass_colour_tv_sales.csv"
    argv = ["calibrate", tv, "--model", BASS, "--map", "sales_thousand_units=adoption rate"]
    fit = ["--param", "innovation coefficient=0.001:0.2"]
    result = invoke(*argv, *fit, "-o", "fit.toml", *args, ok=2)
    assert message in result.output
    assert list(tmp_path.iterdir()) == []  # nothing fitted, nothing written


def test_the_command_list_loads_no_analysis_library():
    # `lifecycle --help` imports every command module for its one-line help: the modules
    # must leave scipy (calibration), SALib (sensitivity) and matplotlib (figures) to the
    # command that runs (a fresh process: this one has imported them already)
    import subprocess
    import sys

    probe = (
        "import sys\nfrom lifecycle.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'scipy', 'SALib', 'matplotlib', 'pysd', 'xarray'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout[-500:]
