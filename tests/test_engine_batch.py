"""The batch engine against Vensim's own output, against PySD, and on what it refuses."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.engines.batch import BatchModel, time_grid
from lifecycle.errors import SimulationError, UnsupportedFunctionError
from lifecycle.model import Model, load_model

ROOT = Path(__file__).resolve().parents[1]
TEST_MODELS = Path(__file__).resolve().parent / "models"
PROJECT_MODELS = sorted((ROOT / "models").glob("*.mdl"))
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))

# PySD 3.14 calls DataFrame.set_index(inplace=True), which pandas 3.1 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

# The reference models of ../shared/sd-test-models and the built-ins each one exercises.
VENSIM_REFERENCE = {
    "samples/simple_harmonic_oscillator/simple_harmonic_oscillator.mdl": "INTEG, SAVEPER",
    "samples/teacup/teacup.mdl": "INTEG",
    "samples/teacup/teacup_mdl.mdl": "INTEG",
    "tests/abs/test_abs.mdl": "ABS",
    "tests/builtin_max/builtin_max.mdl": "MAX, TIME",
    "tests/delays/test_delays.mdl": "DELAY1, DELAY1I, DELAY3, DELAY3I, DELAY N, STEP",
    "tests/euler_step_vs_saveper/test_euler_step_vs_saveper.mdl": "COS, SAVEPER > TIME STEP",
    "tests/exponentiation/exponentiation.mdl": "^ and unary minus",
    "tests/if_stmt/if_stmt.mdl": "IF THEN ELSE",
    "tests/initial_function/test_initial.mdl": "INITIAL",
    "tests/limits/test_limits.mdl": "INTEG with [min,max]",
    "tests/lookups/test_lookups.mdl": "named lookups",
    "tests/model_doc/model_doc.mdl": "constants",
    "tests/smooth/test_smooth.mdl": "SMOOTH, SMOOTHI, SMOOTH3, SMOOTH3I, SMOOTH N",
    "tests/xidz_zidz/xidz_zidz.mdl": "XIDZ, ZIDZ",
}
# Reference models the batch engine refuses, with the construct its error must name.
VENSIM_UNSUPPORTED = {
    "tests/control_vars/test_control_vars.mdl": (
        "a control variable that changes with time or between runs",
        "INITIAL TIME",
    ),
    "tests/with_lookup/test_with_lookup.mdl": ("subscripts", None),
}


def read_vensim_output(folder: Path) -> pd.DataFrame:
    """Vensim's output.tab/.csv; old-Mac CR line endings allowed."""
    path = next(p for p in (folder / "output.tab", folder / "output.csv") if p.is_file())
    text = path.read_bytes().decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
    sep = "\t" if path.suffix == ".tab" else ","
    df = pd.read_csv(io.StringIO(text), sep=sep)
    df.columns = [str(c).strip().strip('"') for c in df.columns]
    return df


def assert_same(batch: np.ndarray, ref: np.ndarray, name: str, rtol: float = 1e-9) -> None:
    """``rtol`` against PySD, plus an ``atol`` of ``rtol`` times the series' magnitude.

    The atol covers the one case rtol alone cannot: a variable that crosses zero as the
    difference of two large quantities (e.g. a stock minus its smoothed value), where the
    last-bit differences of NumPy's vectorised exp/pow are relative to the large terms.
    """
    scale = float(np.nanmax(np.abs(ref))) if np.isfinite(ref).any() else 0.0
    np.testing.assert_allclose(
        batch, ref, rtol=rtol, atol=rtol * scale + 1e-300, err_msg=name, equal_nan=True
    )


# -- Vensim's output --------------------------------------------------------------------
@pytest.mark.parametrize("rel", sorted(VENSIM_REFERENCE))
def test_batch_engine_reproduces_vensim_output(shared_dir, rel):
    mdl = shared_dir / "sd-test-models" / rel
    ref = read_vensim_output(mdl.parent)
    bm = BatchModel(mdl)
    columns = [c for c in ref.columns[1:] if _has(bm, c)]
    assert columns, f"no column of the Vensim output is a variable of {rel}"
    res = bm.run({}, 1, columns)
    assert len(res.time) == len(ref), "saving times differ from Vensim's"
    np.testing.assert_allclose(res.time, ref.iloc[:, 0].to_numpy(float), rtol=1e-5, atol=1e-5)
    for c in columns:
        want = ref[c].to_numpy(dtype=float)
        got = res.values[bm.comp.nodes[bm.key(c)].name][0]
        keep = np.isfinite(want)  # Vensim writes constants in the first row only
        np.testing.assert_allclose(
            got[keep],
            want[keep],
            rtol=1e-5,
            atol=1e-5,
            err_msg=f"{rel}: {c} ({VENSIM_REFERENCE[rel]})",
        )


def _has(bm: BatchModel, name: str) -> bool:
    try:
        bm.key(name)
    except KeyError:
        return False
    return True


@pytest.mark.parametrize("rel", sorted(VENSIM_UNSUPPORTED))
def test_unsupported_reference_models_name_function_and_variable(shared_dir, rel):
    function, variable = VENSIM_UNSUPPORTED[rel]
    with pytest.raises(UnsupportedFunctionError) as err:
        BatchModel(shared_dir / "sd-test-models" / rel).run({}, 1, [])
    assert err.value.function == function
    if variable is not None:
        assert err.value.variable == variable
    assert "engine='pysd'" in str(err.value)


def test_every_shared_reference_model_is_classified(shared_dir):
    found = {
        str(p.relative_to(shared_dir / "sd-test-models"))
        for p in (shared_dir / "sd-test-models").rglob("*.mdl")
    }
    assert found == set(VENSIM_REFERENCE) | set(VENSIM_UNSUPPORTED)


# -- PySD -----------------------------------------------------------------------------------
def _perturbed(model: Model, n: int, seed: int, spread: float) -> dict[str, np.ndarray]:
    """Every constant moved by up to ``spread`` (relative) inside its range, per run."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, c in model.parameters.items():
        x = c.default * (1 + spread * rng.uniform(-1, 1, n))
        if c.default == 0:
            x = np.zeros(n) + (0 if c.high is None else c.high * spread * rng.uniform(0, 1, n))
        lo = -np.inf if c.low is None else c.low
        hi = np.inf if c.high is None else c.high
        out[name] = np.clip(x, lo, hi)
    return out


def _compare_with_pysd(model: Model, samples: dict, n: int, **settings) -> None:
    names = model.variables
    res = BatchModel(model.path).run(samples, n, names, **settings)
    for r in range(n):
        df = model.run({k: float(v[r]) for k, v in samples.items()}, **settings)
        np.testing.assert_allclose(res.time, df.index.to_numpy(float), rtol=0, atol=1e-12)
        for name in names:
            assert_same(res.values[name][r], df[name].to_numpy(float), f"{name}, run {r}")


@pytest.mark.filterwarnings("ignore::UserWarning")  # PySD warns on lookup extrapolation
@pytest.mark.parametrize("mdl", ["builtins.mdl"])
def test_every_builtin_equals_pysd_with_runs_differing(mdl):
    model = Model(TEST_MODELS / mdl)
    samples = _perturbed(model, 5, seed=3, spread=0.5)
    samples["denominator"][:2] = 0.0  # XIDZ/ZIDZ take their zero branch in some runs only
    samples["threshold"] = np.array([0.0, 10.0, 12.0, 20.0, 40.0])
    _compare_with_pysd(model, samples, 5)
    # and with every constant at its default: the scalar code path, which keeps its saved
    # values in a list (the array path writes each row into ``out`` as it goes)
    _compare_with_pysd(model, {}, 1)
    bm = BatchModel(model.path)
    assert "_keep((" in bm.program(set(), [bm.key("stock a")]).source
    assert "_keep((" not in bm.program({bm.key("gain")}, [bm.key("stock a")]).source


@pytest.mark.parametrize("mdl", PROJECT_MODELS, ids=lambda p: p.name)
def test_project_models_equal_pysd_with_every_constant_varied(mdl):
    model = Model(mdl)
    _compare_with_pysd(
        model,
        _perturbed(model, 3, seed=1, spread=0.05),
        3,
        final_time=None,
        time_step=None,
        saveper=None,
    )


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_equals_pysd(path, cluster, pysd_runs):
    from lifecycle.scenarios import load_scenario

    scen = load_scenario(path)
    model = load_model(scen.model_path) if scen.model_path else load_model()
    assert model is cluster  # the model of pysd_runs (PySD's run of each scenario)
    settings = {k: getattr(scen, k) for k in ("final_time", "time_step", "saveper")}
    defaults = BatchModel(model.path).program(set(), []).controls({})
    for k, v in settings.items():  # explicit: the batch engine gets every setting
        settings[k] = float(defaults[k]) if v is None else v
    names = model.variables
    df = pysd_runs(path.stem)
    assert list(df.columns) == names
    values = {n: c.default for n, c in model.parameters.items()} | scen.params
    bm = BatchModel(model.path)
    shared = bm.run(scen.params, 1, names, **settings)  # scalar code path
    per_run = bm.run({n: np.full(2, v) for n, v in values.items()}, 2, names, **settings)
    np.testing.assert_allclose(shared.time, df.index.to_numpy(float), rtol=0, atol=1e-12)
    for name in names:
        want = df[name].to_numpy(float)
        assert_same(shared.values[name][0], want, f"{path.stem}: {name}")
        assert_same(per_run.values[name][1], want, f"{path.stem}: {name} (array code path)")


# -- the engine itself ----------------------------------------------------------------------
def test_time_grid_follows_pysd_rounding_of_final_and_saving_times():
    times, save, saved = time_grid(0.0, 1.0, 0.1, 0.3)
    assert len(times) == 11 and times[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(saved, [0.0, 0.3, 0.6, 0.9])
    assert sum(save) == 4


def test_forked_workers_give_the_serial_results_bit_for_bit():
    bm = BatchModel(TEST_MODELS / "builtins.mdl")
    rng = np.random.default_rng(7)
    params = {"gain": rng.uniform(0, 3, 300), "lag": rng.uniform(1, 10, 300)}
    one = bm.run(params, 300, ["smooths", "delays", "stock a"], workers=1, chunk=64)
    two = bm.run(params, 300, ["smooths", "delays", "stock a"], workers=2, chunk=64)
    for name in one.values:
        assert np.array_equal(one.values[name], two.values[name], equal_nan=True), name
    # runs differ from each other, so the chunks really were different slices
    assert np.ptp(one.values["stock a"][:, -1]) > 0.1


@pytest.mark.filterwarnings("ignore::UserWarning")  # PySD: "casting delay order"
def test_a_delay_shortened_in_some_runs_only_is_refused():
    # PySD lowers a delay's order while order*TIME STEP exceeds the delay time, run by run:
    # DELAY N(wave, lag, gain, 5) with TIME STEP 0.125 drops to order 4 for lag < 0.625
    bm = BatchModel(TEST_MODELS / "builtins.mdl")
    with pytest.raises(UnsupportedFunctionError, match="in some runs only") as err:
        bm.run({"lag": np.array([0.55, 5.0])}, 2, ["delays"])
    assert err.value.variable == "delays (DELAY N)"
    # shortened in every run: one order for all, the one PySD chooses run by run
    model = Model(TEST_MODELS / "builtins.mdl")
    _compare_with_pysd(model, {"lag": np.array([0.55, 0.6])}, 2)


@pytest.mark.parametrize(
    ("equation", "function"),
    [
        ("TREND(x, 2, 0)", "TREND"),
        ("DELAY FIXED(x, 2, 0)", "DELAY FIXED"),
        ("RANDOM UNIFORM(0, 1, 0)", "RANDOM UNIFORM"),
        ("SAMPLE IF TRUE(Time > 2, x, 0)", "SAMPLE IF TRUE"),
        ("VMAX(x)", "VMAX"),
    ],
)
def test_unsupported_function_error_names_function_and_variable(tmp_path, equation, function):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(
        "{UTF-8}\nx = 1 ~ Dmnl ~ |\nmy output = " + equation + " ~ Dmnl ~ |\n"
        "FINAL TIME = 4 ~ Year ~ |\nINITIAL TIME = 0 ~ Year ~ |\n"
        "SAVEPER = 1 ~ Year ~ |\nTIME STEP = 1 ~ Year ~ |\n"
    )
    with pytest.raises(UnsupportedFunctionError) as err:
        BatchModel(mdl).run({}, 1, ["my output"])
    assert (err.value.function, err.value.variable) == (function, "my output")


def test_division_by_zero_fails_like_pysd_when_shared_and_gives_inf_per_run(tmp_path):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(
        "{UTF-8}\nzero = 0 ~ Dmnl ~ |\nx = 1 / zero ~ Dmnl ~ |\n"
        "FINAL TIME = 4 ~ Year ~ |\nINITIAL TIME = 0 ~ Year ~ |\n"
        "SAVEPER = 1 ~ Year ~ |\nTIME STEP = 1 ~ Year ~ |\n"
    )
    bm = BatchModel(mdl)
    with pytest.raises(SimulationError, match="division by zero"):
        bm.run({}, 3, ["x"])  # the same in every run: a Python float, as in PySD
    res = bm.run({"zero": np.array([0.0, 2.0])}, 2, ["x"])
    np.testing.assert_array_equal(res.values["x"][:, 0], [np.inf, 0.5])


@pytest.mark.parametrize("y", [1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 2.5, 1 / 6, -2.0])
def test_multiplied_out_powers_agree_with_np_power(y):
    from lifecycle.engines.codegen import _pow

    x = np.array([-1.7, -0.3, 0.0, 1e-3, 0.5, 1.0, 2.0, 37.5, 1e10])
    with np.errstate(all="ignore"):  # 0 ** -2 and (-1.7) ** 1.5, as in the engine
        # a few roundings of a multiplication against one correctly rounded pow
        np.testing.assert_allclose(_pow(x, y), np.power(x, y), rtol=1e-15, equal_nan=True)


def test_products_of_conditions_survive_the_in_place_rewrite(tmp_path):
    # (a > b) * (c < d) is a bool array per run; "+ gain" must not be added in place to it
    mdl = tmp_path / "m.mdl"
    mdl.write_text(
        "{UTF-8}\ngain = 1 ~ Dmnl [0,5] ~ |\n"
        "x = (Time > 2) * (Time < 5 * gain) + gain - (Time > 1) * gain * 2 ~ Dmnl ~ |\n"
        "s = INTEG(x, 0) ~ Dmnl ~ |\nFINAL TIME = 10 ~ Year ~ |\nINITIAL TIME = 0 ~ Year ~ |\n"
        "SAVEPER = 1 ~ Year ~ |\nTIME STEP = 0.5 ~ Year ~ |\n"
    )
    _compare_with_pysd(Model(mdl), {"gain": np.array([0.5, 2.0])}, 2)


def test_runs_that_differ_only_in_a_constant_the_outputs_do_not_use_are_all_filled():
    """X4 enters nothing, so the program for Y is the single-run one even with X4 sampled:
    its saved values must reach every run of the chunk, not only the first."""
    bm = BatchModel(TEST_MODELS / "sa_linear.mdl")
    one = bm.run({}, 1, ["Y", "Hump"])
    many = bm.run({"X4": np.array([0.1, 0.5, 0.9])}, 3, ["Y", "Hump"])
    for name in ("Y", "Hump"):
        assert many.values[name].shape == (3, len(one.time))
        for k in range(3):
            assert np.array_equal(many.values[name][k], one.values[name][0]), (name, k)
    assert one.values["Y"][0, -1] == pytest.approx(3.0)  # (1 + 2 + 3) * 0.5 for one year
