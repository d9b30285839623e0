"""One reading of the ``scenario`` and ``variables`` arguments at every entry point
(:func:`lifecycle.inputs.as_scenario`, :func:`lifecycle.limits.as_names`): a scenario may be
a Scenario, a file's path or a mapping of constants, a variable list one name; anything
else is an ArgumentError, never an AttributeError from deep inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle import (
    ArgumentError,
    ensemble,
    load_scenario,
    monte_carlo,
    run,
    run_scenarios,
)
from lifecycle.uncertain import parse_uncertain

from .paths import TEST_MODELS


@pytest.fixture
def short(tmp_path):
    """A scenario file for the linear model: X1 = 0.3, run to 0.5."""
    path = tmp_path / "short.toml"
    path.write_text(
        f'name = "short"\nmodel = "{TEST_MODELS / "sa_linear.mdl"}"\n'
        "[params]\nX1 = 0.3\n[run]\nfinal_time = 0.5\n"
    )
    return path


def test_run_takes_a_scenario_file_path_as_the_scenario_it_names(linear, short):
    by_path = run(linear, short, variables=["Y"])
    pd.testing.assert_frame_equal(
        by_path, run(linear, load_scenario(short, linear), variables=["Y"])
    )
    assert by_path.index[-1] == 0.5  # its [run] table applies


def test_a_mapping_of_constants_is_a_scenario_everywhere(linear):
    # Y(1) = X1 + 2 X2 + 3 X3 on sa_linear.mdl; X1 = 0.3 through the scenario argument
    default = run(linear, variables=["Y"])["Y"].iloc[-1]
    assert run(linear, {"X1": 0.3}, variables=["Y"])["Y"].iloc[-1] == pytest.approx(
        default + 0.3 - linear.constants["X1"].default
    )
    # ensemble used to ignore a mapping's constants (it read `.params` off a dict)
    samples = pd.DataFrame({"X2": [linear.constants["X2"].default]})
    ds = ensemble(linear, samples, scenario={"X1": 0.3}, variables=["Y"])
    np.testing.assert_allclose(
        ds["Y"].isel(time=-1).values, [run(linear, {"X1": 0.3})["Y"].iloc[-1]]
    )


def test_one_variable_may_be_given_as_a_string(linear):
    assert list(run(linear, variables="Hump").columns) == ["Hump"]
    ds = ensemble(linear, pd.DataFrame({"X1": [0.2]}), variables="Hump")
    assert list(ds.data_vars) == ["Hump"]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: run(m, 3),
        lambda m: run(m, variables=[1, 2]),
        lambda m: run_scenarios(m, "scenarios/baseline.toml"),
        lambda m: ensemble(m, pd.DataFrame({"X1": [0.2]}), scenario=object()),
        lambda m: monte_carlo(
            m, 3.5, parse_uncertain({"X1": {"dist": "uniform", "min": 0, "max": 1}}, m), n=4
        ),
    ],
    ids=[
        "run-int",
        "run-variables-ints",
        "run_scenarios-str",
        "ensemble-object",
        "montecarlo-float",
    ],
)
def test_a_wrong_kind_of_argument_is_an_argument_error(linear, call):
    with pytest.raises(ArgumentError):
        call(linear)
