"""calibrate on the Bass diffusion model: the colour-TV reference fits, recovery, the result."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.calibration import IdentifiabilityWarning, Parameter, calibrate

# PySD 3.14 calls DataFrame.set_index(inplace=True) on every run; pandas 3.1 deprecates it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.set_index:DeprecationWarning"
)

ROOT = Path(__file__).resolve().parents[1]
P, Q, M = "innovation coefficient", "imitation coefficient", "market size"
BOUNDS = {P: (0.001, 0.2), Q: (0.05, 2.0), M: (5000.0, 200000.0)}

# data/SOURCES.md, "stock-and-flow model, Euler dt = ..." rows: (m, p, q)
REFERENCE = {
    1.0: (36793, 0.0329, 0.6366),
    0.25: (38942, 0.0217, 0.6229),
    1 / 64: (39613, 0.0187, 0.6163),
}


@pytest.fixture(scope="module")
def tv_fit(bass, tv):
    return calibrate(bass, tv, BOUNDS, time_step=0.25)


@pytest.mark.parametrize("dt", sorted(REFERENCE))
def test_colour_tv_fit_matches_the_reference_row_for_its_time_step(bass, tv, dt):
    fit = calibrate(bass, tv, BOUNDS, time_step=dt)
    m, p, q = REFERENCE[dt]
    assert fit.success
    assert fit.params[M] == pytest.approx(m, rel=0.02)
    assert fit.params[Q] == pytest.approx(q, rel=0.02)
    assert fit.params[P] == pytest.approx(p, rel=0.05)
    assert fit.r2["adoption rate"] > 0.94


def test_time_step_moves_p_much_more_than_q(bass, tv):
    coarse = calibrate(bass, tv, BOUNDS, time_step=1.0).params
    fine = calibrate(bass, tv, BOUNDS, time_step=1 / 64).params
    assert coarse[P] / fine[P] > 1.5  # 0.0329 against 0.0187
    assert abs(coarse[Q] / fine[Q] - 1) < 0.04


def test_result_has_intervals_correlations_and_a_readable_summary(tv_fit):
    for name, (lo, hi) in tv_fit.ci.items():
        assert lo < tv_fit.params[name] < hi
        assert tv_fit.stderr[name] > 0
        assert hi - lo == pytest.approx(2 * 2.5706 * tv_fit.stderr[name], rel=1e-3)  # t(5 dof)
    corr = tv_fit.correlation
    assert list(corr.index) == [P, Q, M]
    assert np.allclose(np.diag(corr), 1.0) and np.allclose(corr, corr.T)
    assert corr.loc[P, Q] < -0.5  # more innovators need less imitation for the same curve
    assert tv_fit.cost > 0 and tv_fit.dof == 5
    text = tv_fit.summary()
    assert "innovation coefficient" in text and "total over each period of 1" in text
    assert "sales_thousand_units" in text and "R²" in text


def test_nfev_counts_every_model_run(bass, tv, monkeypatch):
    calls = []
    original = type(bass).run

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(bass), "run", counting)
    fit = calibrate(bass, tv, BOUNDS, time_step=1.0, engine="pysd")
    assert fit.engine == "pysd"
    assert fit.nfev == len(calls) > 4


def test_batch_engine_gives_pysd_fit_and_is_chosen_automatically(bass, tv):
    fast = calibrate(bass, tv, BOUNDS, time_step=0.25)
    slow = calibrate(bass, tv, BOUNDS, time_step=0.25, engine="pysd")
    assert fast.engine == "batch"
    for name in BOUNDS:
        assert fast.params[name] == pytest.approx(slow.params[name], rel=1e-9)
        assert fast.stderr[name] == pytest.approx(slow.stderr[name], rel=1e-6)


def test_plot_shows_data_and_fit_with_residuals(tv_fit):
    fig = tv_fit.plot()
    top, residuals = fig.axes
    observed = [line for line in top.lines if line.get_marker() == "o"][0]
    assert observed.get_xdata().tolist() == list(range(1963, 1971))  # data time, not model time
    assert observed.get_ydata()[0] == 747.0
    assert residuals.get_ylabel() == "data - model"


def test_to_scenario_writes_fitted_values_and_a_description(tv_fit, tmp_path):
    path = tv_fit.to_scenario(tmp_path / "sub" / "fitted.toml")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["params"] == pytest.approx(tv_fit.params, rel=1e-12)
    assert doc["run"]["time_step"] == 0.25
    assert (path.parent / doc["model"]).resolve() == (ROOT / "models" / "bass_diffusion.mdl")
    assert "bass_colour_tv_sales.csv" in doc["description"] and "R²" in doc["description"]


def test_multi_start_keeps_the_best_of_its_starts(bass, tv):
    fit = calibrate(bass, tv, BOUNDS, time_step=1.0, starts=4, seed=3)
    assert len(fit.starts) == 4
    assert fit.cost == pytest.approx(fit.starts["cost"].min())
    assert fit.params[Q] == pytest.approx(0.6366, rel=0.01)


def test_differential_evolution_finds_the_same_optimum(bass, tv):
    fit = calibrate(
        bass,
        tv,
        BOUNDS,
        time_step=1.0,
        method="differential_evolution",
        seed=1,
        options={"maxiter": 30},
    )
    assert fit.params[M] == pytest.approx(36793, rel=0.005)
    assert fit.params[Q] == pytest.approx(0.6366, rel=0.005)


def synthetic(bass, variable, dt=0.25, **params):
    run = bass.run(params, time_step=dt, final_time=10, saveper=dt, variables=[variable])
    return run


TRUE = {P: 0.02, Q: 0.5, M: 2000.0}
WIDE = {P: (0.001, 0.2), Q: (0.05, 2.0), M: (500.0, 20000.0)}


def test_totals_are_what_euler_adds_to_the_stock_over_each_period(bass):
    # Observed "annual adoptions" built from the stock, independently of the flow.
    adopters = synthetic(bass, "Adopters", **TRUE)["Adopters"]
    years = np.arange(1.0, 11.0)
    gained = adopters.loc[years].to_numpy() - adopters.loc[years - 1].to_numpy()
    data = pd.DataFrame({"adoption rate": gained}, index=pd.Index(years, name="time"))
    fit = calibrate(bass, data, WIDE, time_step=0.25, flows="total")
    for name, value in TRUE.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-5)


def test_rates_and_stocks_are_compared_at_the_data_times(bass):
    run = bass.run(TRUE, time_step=0.25, final_time=10, variables=["adoption rate", "Adopters"])
    data = run.loc[[1.5, 3.0, 4.5, 6.0, 7.5, 9.0]]
    fit = calibrate(bass, data, WIDE, time_step=0.25, flows={"adoption rate": "rate"})
    assert [s.mode for s in fit.series] == ["rate", "level"]
    for name, value in TRUE.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-5)
    # the same rates read as annual totals over 1.5 years would be a different curve
    as_totals = calibrate(bass, data[["adoption rate"]], WIDE, time_step=0.25)
    assert as_totals.params[M] != pytest.approx(TRUE[M], rel=0.05)


def test_default_weights_divide_each_series_by_its_spread(bass):
    run = bass.run(TRUE, time_step=0.25, final_time=10, variables=["adoption rate", "Adopters"])
    data = run.loc[[2.0, 4.0, 6.0, 8.0]]
    fit = calibrate(bass, data, WIDE, time_step=0.25, flows="rate")
    weights = {s.variable: s.weight for s in fit.series}
    assert weights["Adopters"] == pytest.approx(1 / np.std(data["Adopters"]))
    assert weights["adoption rate"] == pytest.approx(1 / np.std(data["adoption rate"]))
    none = calibrate(bass, data, WIDE, time_step=0.25, flows="rate", weights="none")
    assert {s.weight for s in none.series} == {1.0}
    custom = calibrate(bass, data, WIDE, time_step=0.25, flows="rate", weights={"Adopters": 3.0})
    # a weight multiplies the default 1/sd (issue 12): it does not replace it
    got = {s.variable: s.weight for s in custom.series}
    assert got["Adopters"] == pytest.approx(3.0 / np.std(data["Adopters"]))
    assert got["adoption rate"] == pytest.approx(1 / np.std(data["adoption rate"]))


def test_parameters_the_early_data_cannot_separate_raise_a_warning(bass):
    # Early in diffusion, sales are about p * m: p and m enter as a product.
    run = bass.run({P: 0.03, M: 1000.0}, time_step=0.25, final_time=3, saveper=1)
    noise = 1 + 0.01 * np.random.default_rng(0).standard_normal(3)
    data = run.loc[[1.0, 2.0, 3.0], ["adoption rate"]] * noise[:, None]
    with pytest.warns(IdentifiabilityWarning, match="'innovation coefficient' and 'market size'"):
        fit = calibrate(
            bass, data, {P: (0.001, 0.2), M: (100.0, 20000.0)}, time_step=0.25, flows="rate"
        )
    assert fit.correlation.loc[P, M] < -0.95
    assert "cannot separate" in fit.summary()


def test_lmfit_style_specs_set_the_start_and_can_hold_a_value(bass, tv):
    fit = calibrate(
        bass,
        tv,
        {
            P: Parameter(P, value=0.05, min=0.001, max=0.2),
            Q: {"min": 0.05, "max": 2.0, "value": 0.5},
            M: Parameter(M, 40000, 5000, 200000, vary=False),  # lmfit's positional order
        },
        time_step=1.0,
    )
    assert set(fit.params) == {P, Q}
    assert fit.fixed[M] == 40000
    assert [p.name for p in fit.fitted] == [P, Q]
    # a list of Parameter objects is the same problem
    again = calibrate(
        bass,
        tv,
        [
            Parameter(P, 0.05, 0.001, 0.2),
            Parameter(Q, 0.5, 0.05, 2.0),
            Parameter(M, 40000, vary=False),  # held: no bounds needed
        ],
        time_step=1.0,
    )
    assert again.params == pytest.approx(fit.params, rel=1e-9)


def test_fitted_scenario_loads_and_runs_the_fitted_curve(bass, tv, tv_fit, tmp_path):
    from lifecycle.scenarios import load_scenario

    scenario = load_scenario(tv_fit.to_scenario(tmp_path / "fitted.toml"))
    assert scenario.params == pytest.approx(tv_fit.params, rel=1e-12)
    assert scenario.time_step == 0.25
    again = calibrate(bass, tv, BOUNDS, scenario=scenario)  # time step from the scenario
    assert again.time_step == 0.25
    assert again.params[M] == pytest.approx(tv_fit.params[M], rel=1e-4)
