"""Every registered command through the group, and the conveniences issue 8 asks for:
``vars``, ``params NAME``, ``--set`` labels and ``--set`` on compare/stages, a figure for
any model, ``stages --data``."""

from __future__ import annotations

import os
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
    text = invoke("vars", "--search", "minimum response time").stdout
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
