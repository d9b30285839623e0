"""One "which model do these scenarios run on" rule for every command (review 8.5,
:func:`lifecycle.inputs.resolve_inputs`): ``--model``; else the model the scenarios name; a
scenario naming none is for the main model; scenarios for different models are one error
naming each file and its model, with the fix, exit 2, nothing written.

Before, ``run``/``compare``/``stages``/``validate`` (``cli/run.py``), ``montecarlo``/
``sensitivity`` (``cli/analysis.py``), ``calibrate`` and ``check`` each had their own rule:
``calibrate --scenario`` checked a scenario naming another model against the main model
and refused it, and the "different models" error named neither file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle.cli import cli
from lifecycle.inputs import resolve_inputs

ROOT = Path(__file__).resolve().parents[1]
SIR = ROOT / "tests" / "models" / "sir.mdl"
LINEAR = ROOT / "tests" / "models" / "sa_linear.mdl"


def invoke(folder: Path, *args, ok: int):
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, [str(a) for a in args])
    finally:
        os.chdir(old)
    assert result.exit_code == ok, (args, result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture
def work(tmp_path):
    """sir.toml names the SIR model and sets its constant; lin.toml names another model;
    plain.toml names none."""
    (tmp_path / "sir.toml").write_text(
        f'name = "sir"\nmodel = "{SIR}"\n[params]\nDuration = 4\n[run]\nfinal_time = 5\n'
    )
    (tmp_path / "child.toml").write_text('name = "child"\nextends = "sir.toml"\n')
    (tmp_path / "lin.toml").write_text(f'name = "lin"\nmodel = "{LINEAR}"\n')
    (tmp_path / "plain.toml").write_text('name = "plain"\n[run]\nfinal_time = 2\n')
    (tmp_path / "u.toml").write_text(
        '[uncertain]\n"Contact Infectivity" = {dist = "uniform", min = 0.2, max = 0.4}\n'
    )
    (tmp_path / "d.csv").write_text("time,Infectious\n0,5\n1,6\n2,8\n")
    return tmp_path


#: every command that takes scenarios, run on sir.toml (which names the SIR model)
ON_SIR = {
    "run": ["run", "sir.toml", "-o", "out"],
    "compare": ["compare", "sir.toml", "--vars", "Infectious", "-o", "out"],
    "stages": ["stages", "sir.toml", "--vars", "Infectious"],
    "validate": ["validate", "sir.toml"],
    "montecarlo": ["montecarlo", "sir.toml", "--uncertain", "u.toml", "-n", "2", "-o", "out"],
    "sensitivity": [
        "sensitivity", "sir.toml", "--uncertain", "u.toml", "--metric", "final(Infectious)",
        "--method", "morris", "-n", "2", "--levels", "4", "-o", "out",
    ],
    "calibrate": ["calibrate", "d.csv", "--scenario", "sir.toml", "--evaluate", "-o", "f.toml"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ON_SIR))
def test_every_command_runs_a_scenario_on_the_model_it_names(work, name):
    """The scenario sets Duration, a constant of the SIR model only: it is accepted only
    when checked against the model it names (calibrate refused it before)."""
    invoke(work, *ON_SIR[name], ok=0)


@pytest.mark.parametrize("name", ["run", "compare", "validate", "stages"])
def test_scenarios_for_different_models_name_each_file_and_the_fix(work, name):
    args = [a if a != "sir.toml" else "sir.toml" for a in ON_SIR[name]]
    args.insert(2, "lin.toml")
    err = invoke(work, *args, ok=2).stderr
    assert "the scenarios are for different models" in err
    assert f"sir.toml names {SIR}" in err and f"lin.toml names {LINEAR}" in err
    assert "give --model" in err
    assert not (work / "out").exists()


def test_a_scenario_without_a_model_key_is_for_the_main_model(work):
    err = invoke(work, "validate", "sir.toml", "plain.toml", ok=2).stderr
    assert "plain.toml names none (the main model, cluster_lifecycle.mdl)" in err


def test_an_inherited_model_key_counts(work):
    model, scens, problems = resolve_inputs([work / "child.toml", work / "sir.toml"])
    assert problems == []
    assert model.path == SIR and [s.params for s in scens] == [{"Duration": 4.0}] * 2


def test_model_option_against_a_scenario_naming_another_is_refused_with_its_line(work):
    (work / "y.csv").write_text("time,Y\n0,0\n1,1\n")
    for args in (
        ["run", "sir.toml", "--model", LINEAR, "-o", "out"],
        ["montecarlo", "sir.toml", "--uncertain", "u.toml", "--model", LINEAR, "-o", "out"],
        ["calibrate", "y.csv", "--scenario", "sir.toml", "--evaluate", "--model", LINEAR,
         "-o", "f.toml"],
    ):  # fmt: skip
        err = invoke(work, *args, ok=2).stderr
        assert "sir.toml:2: scenario is for sir.mdl but the run uses sa_linear.mdl" in err
        assert "drop --model" in err
        assert not (work / "out").exists() and not (work / "f.toml").exists()


def test_model_option_runs_a_plain_scenario_on_that_model(work):
    (work / "p.toml").write_text('name = "p"\n[params]\nDuration = 3\n[run]\nfinal_time = 2\n')
    invoke(work, "run", "p.toml", "--model", SIR, "-o", "out", ok=0)
    err = invoke(work, "run", "p.toml", "-o", "out2", ok=2).stderr
    assert "'Duration' is not a constant of cluster_lifecycle.mdl" in err


def test_check_files_naming_different_models_name_each_file(work):
    for name, model in (("a.toml", SIR), ("b.toml", LINEAR)):
        (work / name).write_text(
            f'model = "{model}"\n[[check]]\nname = "{name}"\nclaim = "x"\n'
            'expect = "final(Infectious) > 0"\n'
        )
    err = invoke(work, "check", "a.toml", "b.toml", "-o", "out", ok=2).stderr
    assert "the check files are for different models" in err
    assert f"a.toml names {SIR}" in err and f"b.toml names {LINEAR}" in err
