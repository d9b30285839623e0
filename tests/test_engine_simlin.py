"""Simlin, an independent engine, runs the same .mdl files: it must agree with PySD and
find no unit errors in the project's models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("simlin")

from lifecycle.engines.simlin import SimlinModel, unit_problems  # noqa: E402
from lifecycle.model import Model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEST_MODELS = Path(__file__).resolve().parent / "models"
PROJECT_MODELS = sorted((ROOT / "models").glob("*.mdl"))

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")


@pytest.mark.parametrize("mdl", PROJECT_MODELS, ids=lambda p: p.name)
def test_simlin_agrees_with_pysd_on_project_models(mdl):
    model = Model(mdl)
    sim = SimlinModel(mdl)
    # a constant moved off its default, so that overrides are exercised too
    name, const = next((n, c) for n, c in model.parameters.items() if c.default > 0)
    value = const.default * 0.9 if const.low is None else max(const.low, const.default * 0.9)
    settings = {"final_time": sim.stop, "time_step": sim.dt, "saveper": sim.saveper}
    ref = model.run({name: value}, **settings)
    got = sim.run({name: value}, variables=list(ref.columns), **settings)
    np.testing.assert_allclose(got.index.to_numpy(), ref.index.to_numpy(), atol=1e-9)
    for col in ref.columns:
        want = ref[col].to_numpy()
        scale = np.max(np.abs(want))
        np.testing.assert_allclose(
            got[col].to_numpy(), want, rtol=1e-8, atol=1e-8 * scale, err_msg=f"{mdl.name}: {col}"
        )


def test_simlin_runs_with_a_shorter_horizon_and_finer_step():
    sim = SimlinModel(TEST_MODELS / "unit_ok.mdl")
    df = sim.run(
        {"birth fraction": 0.05},
        final_time=10,
        time_step=0.125,
        saveper=2,
        variables=["Population"],
    )
    np.testing.assert_allclose(df.index.to_numpy(), [0, 2, 4, 6, 8, 10])
    # Euler: P(t+dt) = P(t) (1 + dt (0.05 - 1/70))
    expected = 1000 * (1 + 0.125 * (0.05 - 1 / 70)) ** (16 * np.arange(6))  # 16 steps a save
    np.testing.assert_allclose(df["Population"].to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("mdl", PROJECT_MODELS, ids=lambda p: p.name)
def test_project_models_have_no_unit_errors(mdl):
    assert unit_problems(mdl) == []


def test_unit_check_catches_a_deliberate_unit_error():
    problems = unit_problems(TEST_MODELS / "unit_error.mdl")
    assert any("'deaths'" in p and "unit_mismatch" in p for p in problems), problems
    # the same model with the error removed is clean: the check is not always failing
    assert unit_problems(TEST_MODELS / "unit_ok.mdl") == []


def test_check_units_alone_would_miss_the_deliberate_error():
    """Why unit_problems reads the project's errors: check_units() lists only malformed
    unit definitions, so it is silent on a dimensional mismatch."""
    import simlin

    model = simlin.load(TEST_MODELS / "unit_error.mdl")
    assert model.check_units() == ()
    assert any("unit_mismatch" in issue.message for issue in model.check())
