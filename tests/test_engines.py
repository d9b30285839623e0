"""The engines behind one interface: settings resolved once, one registry, and the batch
engine that ``lifecycle run`` uses agreeing with PySD, the reference, on every scenario."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from lifecycle import ArgumentError, SettingsError, load_scenarios, run_scenarios
from lifecycle.engines import CHOICES, ENGINES, Engine, EngineResult, RunSettings, engine
from lifecycle.engines.codegen import _exp_s, _maximum_s, _minimum_s

from .paths import SCENARIOS

CONTROL = {"initial_time": 0.0, "final_time": 80.0, "time_step": 0.125, "saveper": 0.5}


def test_settings_come_from_the_model_then_the_scenario_then_the_overrides():
    assert RunSettings.resolve(CONTROL) == RunSettings(0.0, 80.0, 0.125, 0.5)
    scen = {"final_time": 40.0, "time_step": 0.25}
    assert RunSettings.resolve(CONTROL, scen) == RunSettings(0.0, 40.0, 0.25, 0.5)
    got = RunSettings.resolve(CONTROL, scen, final_time=20.0, time_step=0.0625, saveper=1.0)
    assert got == RunSettings(0.0, 20.0, 0.0625, 1.0)
    # SAVEPER never below the time step: a step coarser than the model's SAVEPER saves each step
    assert RunSettings.resolve(CONTROL, time_step=1.0).saveper == 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.final_time = 10.0


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"time_step": 0.0}, "must be positive"),
        ({"final_time": -1.0}, "after INITIAL TIME"),
        ({"time_step": 0.2, "saveper": 0.5}, "not a multiple of TIME STEP"),
    ],
)
def test_settings_that_do_not_fit_together_are_refused(overrides, match):
    with pytest.raises(SettingsError, match=match):
        RunSettings.resolve(CONTROL, **overrides)


def test_the_registry_builds_every_engine_and_refuses_others(linear):
    assert set(CHOICES) == {"auto", *ENGINES}
    settings = RunSettings.resolve(linear.control)
    x1 = np.array([0.2, 0.4, 0.6])
    results = {}
    for name in ENGINES:
        if name == "simlin":
            pytest.importorskip("simlin")
        eng = engine(name, linear)
        assert isinstance(eng, Engine) and eng.name == name
        res = eng.run({"X1": x1}, 3, ["Y"], settings)
        assert isinstance(res, EngineResult) and res.engine == name
        assert res.values["Y"].shape == (3, len(res.time)) and not res.failed.any()
        results[name] = res.values["Y"][:, -1]
    # Y(1) = X1 + 2 X2 + 3 X3 with X2 = X3 = 0.5 (sa_linear.mdl), on every engine
    for name, final in results.items():
        np.testing.assert_allclose(final, x1 + 2.5, rtol=1e-9, err_msg=name)
    with pytest.raises(ArgumentError, match="`engine` must be one of"):
        engine("fortran", linear)


def test_auto_is_the_batch_engine_on_the_cluster_model(cluster):
    assert engine("auto", cluster).chosen.name == "batch"


def test_batch_engine_agrees_with_pysd_on_every_scenario(cluster, pysd_runs):
    """What ``lifecycle run`` writes with its default engine is PySD's result to 1e-9."""
    scens = load_scenarios(sorted(SCENARIOS.glob("*.toml")), cluster)
    assert len(scens) >= 10 and len(pysd_runs.stems) == len(scens)
    fast = run_scenarios(cluster, scens, engine="auto")
    for s in scens:
        name, ref = s.name, pysd_runs(s.path.stem)  # run_scenarios(..., engine="pysd")
        got = fast[name]
        pd.testing.assert_index_equal(got.index, ref.index, exact=False, rtol=0, atol=1e-12)
        assert list(got.columns) == list(ref.columns)
        # relative to each value plus the series' magnitude (see test_engine_batch.assert_same)
        scale = ref.abs().max().to_numpy()
        diff = np.abs(got.to_numpy() - ref.to_numpy())
        allowed = 1e-9 * (np.abs(ref.to_numpy()) + scale)
        worst = np.unravel_index(np.argmax(diff - allowed), diff.shape)
        assert (diff <= allowed).all(), (name, ref.columns[worst[1]], ref.index[worst[0]])


def test_scalar_functions_of_single_runs_behave_as_numpy():
    nan = float("nan")
    for a, b in [(1.0, 2.0), (2.0, 1.0), (nan, 1.0), (1.0, nan), (-0.0, 0.0)]:
        for mine, ref in [(_minimum_s, np.minimum), (_maximum_s, np.maximum)]:
            want = float(ref(a, b))
            got = mine(a, b)
            assert (math.isnan(got) and math.isnan(want)) or got == want, (mine, a, b)
    assert _exp_s(1000.0) == math.inf and _exp_s(1.0) == math.exp(1.0)
