"""ensemble(): many parameter sets in one call, checked like single runs, on any engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lifecycle import ensemble
from lifecycle.errors import (
    NotAConstantError,
    OutOfRangeError,
    UnknownParameterError,
    UnsupportedFunctionError,
)
from lifecycle.model import Model

TEST_MODELS = Path(__file__).resolve().parent / "models"

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")


@pytest.fixture(scope="module")
def pop() -> Model:
    return Model(TEST_MODELS / "unit_ok.mdl")


@pytest.fixture
def scenario():
    from lifecycle import Scenario

    return Scenario(
        name="slow deaths",
        params={"lifetime": 50.0, "birth fraction": 0.01},
        final_time=8.0,
        time_step=None,
        saveper=2.0,
    )


SAMPLES = pd.DataFrame({"birth fraction": [0.0, 0.02, 0.05]}, index=[10, 11, 12])


def test_one_row_per_run_dims_run_and_time(pop):
    ds = ensemble(pop, SAMPLES, variables=["Population", "births"])
    assert isinstance(ds, xr.Dataset)
    assert ds["Population"].dims == ("run", "time")
    assert ds.sizes == {"run": 3, "time": 21}
    assert list(ds["run"].values) == [10, 11, 12]  # the samples' index
    assert ds.attrs["engine"] == "batch"
    # Euler by hand, run 12 at t = 1 (4 steps of 0.25): P (1 + dt (b - 1/70))^4
    expected = 1000 * (1 + 0.25 * (0.05 - 1 / 70)) ** 4
    assert float(ds["Population"].sel(run=12, time=1.0)) == pytest.approx(expected, rel=1e-12)


def test_each_run_equals_a_single_pysd_run(pop):
    ds = ensemble(pop, SAMPLES)
    assert set(ds.data_vars) == set(pop.variables)
    for run, b in zip(SAMPLES.index, SAMPLES["birth fraction"], strict=True):
        df = pop.run({"birth fraction": b}, final_time=20, time_step=0.25, saveper=1)
        for name in pop.variables:
            np.testing.assert_allclose(
                ds[name].sel(run=run).values, df[name].to_numpy(), rtol=1e-12, err_msg=name
            )


def test_scenario_applies_beneath_the_samples(pop, scenario):
    ds = ensemble(pop, SAMPLES, scenario=scenario, variables=["Population"])
    np.testing.assert_allclose(ds["time"].values, [0, 2, 4, 6, 8])  # the scenario's settings
    for run, b in zip(SAMPLES.index, SAMPLES["birth fraction"], strict=True):
        # the sample's birth fraction wins over the scenario's 0.01; lifetime comes from it
        df = pop.run(
            {"birth fraction": b, "lifetime": 50.0}, final_time=8, time_step=0.25, saveper=2
        )
        np.testing.assert_allclose(
            ds["Population"].sel(run=run).values, df["Population"].to_numpy(), rtol=1e-12
        )


@pytest.mark.parametrize("engine", ["pysd", "simlin"])
def test_other_engines_agree_with_the_batch_engine(pop, scenario, engine):
    if engine == "simlin":
        pytest.importorskip("simlin")
    batch = ensemble(pop, SAMPLES, scenario=scenario, variables=["Population", "deaths"])
    other = ensemble(
        pop, SAMPLES, scenario=scenario, variables=["Population", "deaths"], engine=engine
    )
    assert other.attrs["engine"] == engine
    xr.testing.assert_allclose(other.drop_attrs(), batch.drop_attrs(), rtol=1e-10)


def test_auto_falls_back_to_pysd_for_a_model_the_batch_engine_refuses():
    model = Model(TEST_MODELS / "trend.mdl")
    samples = pd.DataFrame({"growth rate": [0.02, 0.08]})
    ds = ensemble(model, samples, variables=["Sales"])
    assert ds.attrs["engine"] == "pysd"
    np.testing.assert_allclose(
        ds["Sales"].sel(time=1.0).values, 100 * (1 + 0.25 * samples["growth rate"].to_numpy()) ** 4
    )
    with pytest.raises(UnsupportedFunctionError, match="TREND"):
        ensemble(model, samples, variables=["Sales"], engine="batch")


def test_a_misspelt_column_is_refused_with_a_suggestion(pop):
    with pytest.raises(UnknownParameterError, match="birth fraction"):
        ensemble(pop, pd.DataFrame({"birth fractoin": [0.01]}))


def test_a_value_outside_the_range_is_refused(pop):
    with pytest.raises(OutOfRangeError) as err:
        ensemble(pop, pd.DataFrame({"birth fraction": [0.01, 0.5, 0.02]}))
    assert (err.value.name, err.value.value, err.value.high) == ("birth fraction", 0.5, 0.1)
    with pytest.raises(OutOfRangeError):
        ensemble(pop, pd.DataFrame({"birth fraction": [0.01, np.nan]}))


def test_computed_variables_and_control_variables_cannot_be_sampled(pop):
    with pytest.raises(NotAConstantError):
        ensemble(pop, pd.DataFrame({"births": [1.0]}))
    with pytest.raises(UnknownParameterError):
        ensemble(pop, pd.DataFrame({"TIME STEP": [0.5]}))


def test_an_unknown_engine_is_refused(pop):
    with pytest.raises(ValueError, match="`engine` must be one of"):
        ensemble(pop, SAMPLES, engine="vensim")
