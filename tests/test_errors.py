"""User mistakes on public paths raise the project's errors, never a bare builtin."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from lifecycle import (
    ArgumentError,
    ModelNotFoundError,
    ModelParseError,
    UnknownParameterError,
    ensemble,
    load_model,
)
from lifecycle.cli import cli

from .paths import SCENARIOS, TEST_MODELS

SIMULTANEOUS = TEST_MODELS / "simultaneous.mdl"


@pytest.mark.parametrize("engine", ["batch", "pysd"])
def test_simultaneous_equations_are_a_model_problem_not_a_failed_run(engine):
    model = load_model(SIMULTANEOUS)
    with pytest.raises(ModelParseError, match=r"simultaneous equations") as info:
        ensemble(model, pd.DataFrame({"Gain": [1.0, 2.0]}), engine=engine)
    assert info.value.exit_code == 2


def test_simultaneous_equations_exit_2_on_the_command_line(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["run", str(SCENARIOS / "baseline.toml"), "--model", str(SIMULTANEOUS)]
        + ["-o", str(tmp_path / "out")],
    )
    assert result.exit_code == 2, result.output
    assert "simultaneous equations" in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_model_is_not_a_parse_error(tmp_path):
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "absent.mdl")


def test_a_file_pysd_cannot_read_is_a_parse_error(tmp_path):
    bad = tmp_path / "broken.mdl"
    bad.write_text("{UTF-8}\nthis is = not ( a model\n")
    with pytest.raises(ModelParseError, match="broken.mdl"):
        load_model(bad)


def test_bad_ensemble_arguments_name_the_argument(linear):
    with pytest.raises(ArgumentError, match="`engine` must be one of"):
        ensemble(linear, pd.DataFrame({"X1": [0.1]}), engine="fast")
    with pytest.raises(ArgumentError, match="`samples` must be a pandas DataFrame"):
        ensemble(linear, {"X1": [0.1]})


def test_a_variable_not_recorded_by_a_monte_carlo_gets_suggestions(linear):
    from lifecycle.montecarlo import monte_carlo
    from lifecycle.uncertain import parse_uncertain

    spec = parse_uncertain({"X1": {"dist": "uniform", "min": 0.0, "max": 1.0}}, linear)
    mc = monte_carlo(linear, None, spec, n=4, seed=1, variables=["Y"])
    with pytest.raises(UnknownParameterError, match=r"did you mean 'Y'"):
        mc.bands("y2")


#: kind of file -> (a typo of one of its keys, the key meant)
TYPOS = {"scenario": ("descripton", "description"), "calendar": ("year_zer", "year_zero"),
         "checks": ("condtion", "condition")}  # fmt: skip


@pytest.mark.parametrize("near", [True, False], ids=["typo", "no-close-key"])
def test_an_unknown_key_gets_the_same_fix_in_every_kind_of_file(tmp_path, near):
    # scenario files, their [calendar] table and check files word it once (_names.key_fix):
    # the nearest key, else the keys allowed
    from lifecycle import CheckError, ScenarioError, load_checks, load_scenario

    key = {kind: typo if near else "colour" for kind, (typo, _) in TYPOS.items()}
    files = {
        "scenario": f'name = "s"\n{key["scenario"]} = "x"\n',
        "calendar": f'name = "c"\n[calendar]\nyear_zero = 1960\n{key["calendar"]} = 1\n',
        "checks": f'model = "{TEST_MODELS / "sa_linear.mdl"}"\n[[check]]\nname = "a"\n'
        f'condition = "final(Y) > 0"\n{key["checks"]} = 1\n',
    }
    fixes = {}
    for kind, text in files.items():
        path = tmp_path / f"{kind}.toml"
        path.write_text(text)
        with pytest.raises((ScenarioError, CheckError)) as info:
            load_checks([path]) if kind == "checks" else load_scenario(path)
        (problem,) = [p for p in info.value.problems if "unknown key" in p.message]
        fixes[kind] = problem.fix
    if near:
        assert fixes == {k: f"did you mean '{meant}'?" for k, (_, meant) in TYPOS.items()}
    else:
        assert all(f.startswith("allowed: ") for f in fixes.values()), fixes
