"""Runs from a state (issue 12): every stateful element, both engines, bit for bit.

Claim: a run started from the state of a run at time t is that run's continuation, for
stocks and for the internal states of every SMOOTH, DELAY, DELAY N and INITIAL (the
built-ins model has each form, several in one equation and a SMOOTH of a DELAY), in the
batch engine and in PySD; and from the same injected (edited) state both engines agree.
Removing any element from the state, or re-evaluating initial values, breaks these.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lifecycle.engines import RunSettings, State, engine
from lifecycle.errors import ArgumentError, UnsupportedFunctionError
from lifecycle.model import Model, load_model

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
BUILTINS = Path(__file__).resolve().parent / "models" / "builtins.mdl"
T = 13.0


@pytest.fixture(scope="module")
def builtins():
    return Model(BUILTINS)


def _settings(model, **kw):
    return RunSettings.resolve(model.control, saveper=model.control["time_step"], **kw)


@pytest.mark.parametrize("which", ["batch", "pysd"])
def test_a_run_from_a_state_continues_the_run(builtins, which):
    eng = engine(which, builtins)
    gain = {"gain": np.array([1.0, 2.0, 0.5])}
    full = eng.run(gain, 3, builtins.variables, _settings(builtins))
    state = eng.state_at(gain, 3, _settings(builtins, final_time=T))
    assert state.time == pytest.approx(T) and state.runs == 3
    # every form of stateful function is in the state, with its stages
    assert state.values["smooths (SMOOTH 3)"].shape == (3, 3)  # SMOOTH3
    assert state.values["delays (DELAY N)"].shape == (3, 5)
    assert "nested (DELAY)" in state.values and "start level (INITIAL)" in state.values
    rest = eng.run(gain, 3, builtins.variables, _settings(builtins).from_state(state))
    i0 = int(np.searchsorted(full.time, T))
    np.testing.assert_allclose(rest.time, full.time[i0:], rtol=0, atol=1e-12)
    for v in builtins.variables:
        np.testing.assert_allclose(rest.values[v], full.values[v][:, i0:], rtol=1e-9, atol=1e-9)


def test_batch_equals_pysd_from_an_injected_state(builtins):
    batch, pysd = engine("batch", builtins), engine("pysd", builtins)
    state = pysd.state_at({}, 1, _settings(builtins, final_time=T))
    changed = state.with_values(
        {
            "stock a": state.values["stock a"] * 3 + 1,
            "smooths (SMOOTH 3)": state.values["smooths (SMOOTH 3)"] * [[0.5, 1.0, 2.0]],
            "start level (INITIAL)": [[7.0]],
        }
    )
    settings = _settings(builtins).from_state(changed)
    b = batch.run({"gain": np.array([1.5, 3.0])}, 2, builtins.variables, settings)
    p = pysd.run({"gain": np.array([1.5, 3.0])}, 2, builtins.variables, settings)
    fresh = batch.run({}, 1, builtins.variables, _settings(builtins).from_state(state))
    for v in builtins.variables:
        np.testing.assert_allclose(b.values[v], p.values[v], rtol=1e-9, atol=1e-9)
    # the injected values took effect (the edited stock and INITIAL move the outputs)
    assert not np.allclose(b.values["stock a"][0], fresh.values["stock a"][0])
    assert np.allclose(b.values["start level"], 7.0)


def test_cluster_model_continuation_both_engines():
    model = load_model()
    names = list(dict.fromkeys(model.stocks + ["Firms", "Growth Capital", "Competence Base"]))
    out = {}
    for which in ("batch", "pysd"):
        eng = engine(which, model)
        full = eng.run({}, 1, names, _settings(model, final_time=60.0))
        state = eng.state_at({}, 1, _settings(model, final_time=30.0))
        rest = eng.run({}, 1, names, _settings(model, final_time=60.0).from_state(state))
        i0 = int(np.searchsorted(full.time, 30.0))
        for v in names:  # INITIAL TIME in the technology frontier keeps its value
            np.testing.assert_allclose(rest.values[v], full.values[v][:, i0:], rtol=1e-9)
        out[which] = rest
    for v in names:
        np.testing.assert_allclose(out["batch"].values[v], out["pysd"].values[v], rtol=1e-9)


def test_states_that_cannot_start_a_run_are_refused(builtins):
    batch = engine("batch", builtins)
    state = batch.state_at({}, 1, _settings(builtins, final_time=T))
    partial = State(state.time, {k: v for k, v in state.values.items() if k != "stock b"})
    for which in ("batch", "pysd"):
        with pytest.raises(ArgumentError, match="lacks 1 stateful element.*stock b"):
            engine(which, builtins).run(
                {}, 1, builtins.variables, _settings(builtins).from_state(partial)
            )
    with pytest.raises(ArgumentError, match="not before the final time"):
        _settings(builtins, final_time=10.0).from_state(state)
    wrong = state.with_values({"delays (DELAY N)": np.ones((1, 2))})
    with pytest.raises(ArgumentError, match="2 stage"):
        batch.run({}, 1, ["delays"], _settings(builtins).from_state(wrong))


def test_simlin_refuses_a_state(builtins):
    pytest.importorskip("simlin")
    state = engine("batch", builtins).state_at({}, 1, _settings(builtins, final_time=T))
    with pytest.raises(UnsupportedFunctionError, match="cannot set stock values"):
        engine("simlin", builtins).run({}, 1, ["stock a"], _settings(builtins).from_state(state))


def test_a_fresh_pysd_model_applies_changed_constants_from_a_state():
    """PySD applied a changed constant late on a model it had not run yet: the first run
    from a state missed a shock that the batch engine (and every later run) made."""
    model = Model()  # a fresh PySD model, never run
    shock = {"disruptive shock year": 40.0, "disruptive shock size": 1.5}
    settings = RunSettings(0.0, 60.0, 0.25, 0.25)
    state = engine("batch", load_model()).state_at({}, 1, RunSettings(0.0, 30.0, 0.25, 0.25))
    first = model.run(shock, final_time=60.0, time_step=0.25, saveper=0.25,
                      variables=["Employment"], state=state)  # fmt: skip
    batch = engine("batch", load_model()).run(shock, 1, ["Employment"], settings.from_state(state))
    np.testing.assert_allclose(first["Employment"].to_numpy(), batch.values["Employment"][0],
                               rtol=1e-9)  # fmt: skip
