"""Fitting a region's own history (issue 12): levels, a mature start, calendar years, ties,
dates fitted derivative-free, a batched robust default, evaluation without a fit, honest
success flags and intervals inside the bounds.

The observations are made from the cluster model itself at known values (and read back in
calendar years), so each test knows what the fit must return; each fails on the
calibration of before issue 12 (named in its docstring).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle.calibration import Parameter, calibrate, evaluate
from lifecycle.errors import CalibrationError

ROOT = Path(__file__).resolve().parents[1]
DT = 0.25
SHOCK = {"disruptive shock year": 45.0, "disruptive shock size": 0.5}  # model time
YEAR_ZERO = 1960.0  # the calendar year of model time 0 in these synthetic histories


RECORD = np.arange(30.0, 71.0, 2.0)  # model times 30-70: calendar 1990-2030


def history(cluster, params=None, times=RECORD, variables=("Employment",)):
    """Observations of a run at model ``times``, indexed by calendar year (1990, 1992...)."""
    run = cluster.run(
        params or {}, final_time=float(times.max()), time_step=DT, saveper=DT,
        variables=list(variables),
    )  # fmt: skip
    t = run.index.to_numpy()
    data = pd.DataFrame(
        {v: np.interp(times, t, run[v].to_numpy()) for v in variables},
        index=pd.Index(times + YEAR_ZERO, name="time"),
    )
    return data


@pytest.fixture(scope="module")
def shocked(cluster):
    return history(cluster, SHOCK, variables=("Employment", "Firms"))


def test_a_variable_in_persons_is_a_level_even_in_uneven_data(cluster):
    """Before: 'Employment' (a level that feeds a smooth) counted as a flow and uneven data
    were refused as ambiguous."""
    data = history(cluster, {"startup rate": 0.1}, times=np.array([8.0, 15.0, 19.0, 30.0, 44.0]))
    data.index = data.index - YEAR_ZERO  # model time
    fit = calibrate(
        cluster, data, {"startup rate": (0.05, 0.2)}, time_step=DT, method="least_squares"
    )
    assert [s.mode for s in fit.series] == ["level"]
    assert fit.params["startup rate"] == pytest.approx(0.1, rel=1e-4)
    # a true flow in the same uneven data still needs the choice
    births = history(cluster, times=np.array([8.0, 15.0, 19.0]), variables=("Firm Births",))
    with pytest.raises(CalibrationError, match="Firm Births' is a flow .*ambiguous"):
        calibrate(cluster, births, {"startup rate": (0.05, 0.2)}, spin_up=8)


def test_a_spin_up_starts_the_record_with_a_mature_cluster_and_can_be_fitted(cluster, shocked):
    """Before: no spin_up; data years before model time could not be placed at all."""
    data = shocked[["Employment"]]
    fixed = calibrate(
        cluster, data, {"startup rate": (0.05, 0.2)}, scenario=SHOCK, spin_up=30, time_step=DT
    )
    assert fixed.year_zero == YEAR_ZERO  # 1990 is model time 30
    assert fixed.params["startup rate"] == pytest.approx(0.12, rel=1e-3)  # the model's value
    assert fixed.r2["Employment"] > 0.999999
    fitted = calibrate(cluster, data, {"spin up": (20.0, 40.0, 26.0)}, scenario=SHOCK, time_step=DT)
    assert fitted.params["spin up"] == pytest.approx(30.0, abs=0.05)
    assert fitted.year_zero == pytest.approx(YEAR_ZERO, abs=0.05)
    assert "calendar: model time 0 is 1960" in fitted.summary()


SHOCK_SCENARIO = ROOT / "scenarios" / "disruptive_shock.toml"


def _record_from_state(cluster):
    """Employment 1990-2030: the shock scenario's run to 1990 (model time 30), then the
    startup rate at 0.09 instead of its 0.12."""
    from lifecycle.engines import RunSettings, engine
    from lifecycle.scenarios import load_scenario

    scen = cluster.check_params(load_scenario(SHOCK_SCENARIO, cluster).params)
    batch = engine("batch", cluster)
    state = batch.state_at(scen, 1, RunSettings(0.0, 30.0, DT, DT))
    truth = {**scen, "startup rate": 0.09}
    run = batch.run(truth, 1, ["Employment"], RunSettings(0.0, 70.0, DT, DT).from_state(state))
    data = pd.DataFrame(
        {"Employment": np.interp(RECORD, run.time, run.values["Employment"][0])},
        index=pd.Index(RECORD + YEAR_ZERO, name="time"),
    )
    data.attrs["source"] = "synthetic"
    return data, SHOCK_SCENARIO


def test_cli_start_loads_the_scenarios_state(cluster, tmp_path):
    from click.testing import CliRunner

    from lifecycle.cli import cli

    data, path = _record_from_state(cluster)
    csv = tmp_path / "record.csv"
    data.rename_axis("year").to_csv(csv)
    out = tmp_path / "fit.toml"
    args = ["calibrate", str(csv), "--start", f"{path}@30", "--param", "startup rate=0.05:0.2",
            "--time-step", str(DT), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "start from the scenario's state at model time 30 (1990)" in result.stdout
    assert re.search(r"startup rate\s+0\.09\s", result.stdout), result.stdout
    assert "0.09" in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, [*args[:3], f"{path}", *args[4:]])
    assert bad.exit_code == 2 and "SCENARIO@TIME" in bad.output
    both = CliRunner().invoke(cli, [*args, "--spin-up", "30"])
    assert both.exit_code == 2 and "not both" in both.output


def test_a_named_scenarios_start_is_its_state_at_that_time(cluster):
    """``start=(scenario, time)`` starts every run from the scenario's state at ``time``
    (every stock and SMOOTH stage), the first data year; the fitted constants act from there
    on only. Before: it was a spin-up with the fitted constants acting over the pre-history,
    so a change of policy at the start of the record could not be recovered exactly."""
    data, path = _record_from_state(cluster)
    named = evaluate(cluster, data, start=(path, 30.0), time_step=DT, params={"startup rate": 0.09})
    assert named.year_zero == YEAR_ZERO and named.r2["Employment"] > 1 - 1e-12
    assert "start from the scenario's state at model time 30 (1990)" in named.summary()
    fit = calibrate(cluster, data, {"startup rate": (0.05, 0.2)}, start=(path, 30.0), time_step=DT)
    assert fit.params["startup rate"] == pytest.approx(0.09, rel=1e-6)
    # the old reading (the rate acting from model time 0) misses it
    spun = calibrate(cluster, data, {"startup rate": (0.05, 0.2)}, scenario=path, spin_up=30,
                     time_step=DT)  # fmt: skip
    assert abs(spun.params["startup rate"] - 0.09) > 1e-3
    with pytest.raises(CalibrationError, match="not both"):
        evaluate(cluster, data, start=(path, 30.0), spin_up=30)
    with pytest.raises(CalibrationError, match="only sets an initial value.*spin-up"):
        calibrate(cluster, data, {"initial young firms": (1, 20)}, start=(path, 30.0))


def test_dates_are_in_calendar_years_and_fitted_without_gradients(cluster, shocked):
    """Before: a STEP/RAMP time had zero gradient, least squares did not move it and every
    stderr was inf; and dates were model time, so a spin-up moved the shock."""
    data = shocked[["Employment"]]
    bounds = {"disruptive shock year": (1998.0, 2012.0, 2001.0)}
    fit = calibrate(
        cluster, data, bounds, scenario={"disruptive shock size": 0.5}, spin_up=30,
        time_step=DT, options={"maxiter": 15, "popsize": 8},
    )  # fmt: skip
    assert fit.method == "differential_evolution"
    assert any("gradient is zero" in n for n in fit.diagnostics())
    assert fit.params["disruptive shock year"] == pytest.approx(2005.0, abs=DT)  # 1960 + 45
    # noise-free data: the profile (refits at every time step) pins the date to its step
    lo, hi = fit.ci["disruptive shock year"]
    assert fit.ci_method["disruptive shock year"].startswith("profile likelihood")
    assert lo <= 2005.0 <= hi and hi - lo <= 2 * DT
    assert fit.constants()["disruptive shock year"] == pytest.approx(45.0, abs=DT)
    with pytest.raises(CalibrationError, match="gradient is zero and least squares cannot"):
        calibrate(
            cluster, data, bounds, spin_up=30, time_step=DT, method="least_squares"
        )  # fmt: skip


def test_a_date_gets_a_profile_interval_inside_its_bounds(cluster, shocked):
    """Before: a date had no interval outside MCMC ("none (a date: no gradient)"). Now the
    profile likelihood: the date on a grid of time steps, the other parameters refitted at
    each point. With noisy data the interval covers the true year and has width; a date the
    data cannot see (an exit after the record) gets the whole range, marked as reaching
    both bounds."""
    rng = np.random.default_rng(7)
    data = shocked[["Employment"]].copy()
    data["Employment"] *= 1 + 0.03 * rng.standard_normal(len(data))
    bounds = {"disruptive shock year": (2000.0, 2010.0, 2003.0), "startup rate": (0.05, 0.2)}
    fit = calibrate(
        cluster, data, bounds, scenario={"disruptive shock size": 0.5}, spin_up=30,
        time_step=DT, options={"maxiter": 12, "popsize": 8}, seed=1,
    )  # fmt: skip
    lo, hi = fit.ci["disruptive shock year"]
    assert 2000.0 <= lo <= 2005.0 <= hi <= 2010.0 and hi - lo >= DT
    assert fit.ci_method["disruptive shock year"].startswith("profile likelihood")
    table = fit.profiles["disruptive shock year"]
    assert table["sum of squares"].min() <= 2 * fit.cost * (1 + 1e-6)  # the fit is on it
    assert table["inside"].sum() < len(table)  # the data do rule years out
    blind = calibrate(
        cluster, data, {"large firm exit year": (2031.0, 2040.0), "startup rate": (0.05, 0.2)},
        scenario={"disruptive shock size": 0.5, "disruptive shock year": 45.0}, spin_up=30,
        time_step=DT, options={"maxiter": 3, "popsize": 5},
    )  # fmt: skip
    assert blind.ci["large firm exit year"] == (2031.0, 2040.0)
    assert "reaches the low and high bound" in blind.ci_method["large firm exit year"]


def test_fitted_scenario_has_a_calendar_and_dates_in_years(cluster, shocked, tmp_path):
    """Before: the fitted scenario wrote dates in model time with the year in a comment, and
    ``lifecycle run`` of it reported model time. Now it has a ``[calendar]``: dates are
    years, and the run, its stages and its summary are in calendar years."""
    from click.testing import CliRunner

    from lifecycle.cli import cli
    from lifecycle.scenarios import load_scenario

    held = {
        "disruptive shock year": Parameter("disruptive shock year", 2005.0, vary=False),
        "startup rate": (0.05, 0.2),
    }
    fit = calibrate(
        cluster, shocked[["Employment"]], held, scenario={"disruptive shock size": 0.5},
        spin_up=30, time_step=DT,
    )  # fmt: skip
    path = fit.to_scenario(tmp_path / "region.toml")
    text = path.read_text(encoding="utf-8")
    assert "[calendar]\nyear_zero = 1960.0" in text
    assert '"disruptive shock year" = 2005.0  # the year (model time 45)' in text
    scenario = load_scenario(path)
    assert scenario.params["disruptive shock year"] == 45.0  # model time, as the model runs
    assert scenario.calendar.year_zero == 1960.0
    assert scenario.final_time >= 70.0  # the run reaches the last data year (2030)
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(next(out.glob("region*.csv")), index_col=0)
    assert table.index[0] == 1960.0 and table.index[-1] == pytest.approx(2030.0)
    employment = table["Employment"]
    dip = employment.loc[2004:2012]
    assert dip.idxmax() < dip.idxmin()  # the shock (2005) shows in calendar years
    summary = pd.read_csv(out / "summary.csv")
    assert {"at 1980", "at 2000", "at 2020"} <= set(summary.columns)
    assert summary["time of peak"].between(1960, 2030).all()
    # evaluating the written scenario reproduces the fit (dates converted back)
    again = evaluate(cluster, shocked[["Employment"]], scenario=path, time_step=DT)
    assert again.r2["Employment"] == pytest.approx(fit.r2["Employment"], abs=1e-9)


def test_one_tied_value_sets_several_constants_with_offsets(cluster):
    """Before: no ties: one renewal start year for several levers had to be fitted apart."""
    truth = {"young firm failure rate": 0.10, "established exit rate": 0.04}
    data = history(cluster, truth, times=np.arange(2.0, 61.0, 2.0), variables=("Firms",))
    fit = calibrate(
        cluster, data, {"exits": (0.07, 0.2, 0.12)}, spin_up=2, time_step=DT,
        ties={"exits": ["young firm failure rate", "established exit rate-0.06"]},
    )  # fmt: skip
    assert list(fit.params) == ["exits"]
    assert fit.params["exits"] == pytest.approx(0.10, rel=1e-4)
    consts = fit.constants()
    assert consts["established exit rate"] == pytest.approx(0.04, rel=1e-3)
    with pytest.raises(CalibrationError, match="tie 'exits' has no bounds"):
        calibrate(cluster, data, {"startup rate": (0.05, 0.2)}, ties={"exits": "startup rate"})


def test_the_default_runs_its_starts_in_large_batches(cluster, monkeypatch):
    """Before: the default was one local fit; multi-start ran the model in tiny batches."""
    from lifecycle.engines.batch import BatchModel

    sizes = []
    original = BatchModel.run

    def counting(self, params, n, *args, **kwargs):
        sizes.append(n)
        return original(self, params, n, *args, **kwargs)

    monkeypatch.setattr(BatchModel, "run", counting)
    data = history(cluster, {"startup rate": 0.1}, times=np.arange(2.0, 41.0, 2.0))
    data.index = data.index - YEAR_ZERO
    bounds = {"startup rate": (0.05, 0.2), "imitation coefficient": (0.2, 0.6)}
    fit = calibrate(cluster, data, bounds, time_step=DT)
    assert fit.method == "least_squares, 8 starts"
    assert len(fit.starts) == 8
    assert fit.params["startup rate"] == pytest.approx(0.1, rel=1e-3)
    lockstep = [n for n in sizes if n >= 8]
    assert len(lockstep) >= 2 and sum(lockstep) > 0.7 * sum(sizes)


def test_evaluate_scores_a_scenario_without_fitting(cluster, shocked):
    """Before: the R² of a given scenario against data had to be computed by hand."""
    data = shocked[["Employment", "Firms"]]
    good = evaluate(cluster, data, scenario=SHOCK, spin_up=30, time_step=DT)
    assert good.params == {} and good.r2["Employment"] > 0.999999
    bad = evaluate(cluster, data, spin_up=30, time_step=DT)  # without the shock
    assert bad.r2["Employment"] < 0.5
    assert "R²" in bad.summary()


def test_success_is_false_when_the_optimiser_hits_its_iteration_limit(cluster):
    """Before: differential evolution stopped by maxiter still reported success: True."""
    data = history(cluster, {"startup rate": 0.1}, times=np.arange(2.0, 41.0, 4.0))
    data.index = data.index - YEAR_ZERO
    fit = calibrate(
        cluster, data, {"startup rate": (0.05, 0.2), "imitation coefficient": (0.2, 0.6)},
        method="differential_evolution", options={"maxiter": 1, "popsize": 4},
    )  # fmt: skip
    assert "Maximum number of iterations" in fit.message
    assert not fit.success
    assert any("did not converge" in d for d in fit.diagnostics())


def test_plot_shows_the_data_window_in_calendar_years_and_a_jobs_per_firm_panel(cluster, shocked):
    fit = evaluate(cluster, shocked, scenario=SHOCK, spin_up=30, time_step=DT)
    other = evaluate(cluster, shocked, spin_up=30, time_step=DT)
    fig = fit.plot(others=[other], labels=["shock", "no shock"])
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("Employment per Firms") for t in titles)
    top = fig.axes[0]
    lo, hi = top.get_xlim()
    assert 1988 < lo < 1990 and 2030 < hi < 2032  # the data's window, in calendar years
    labels = [line.get_label() for line in top.lines]
    assert "shock" in labels and "no shock" in labels
    ratio = fit.ratio()
    assert ratio[4] > 0.9999  # the model's own run: jobs per firm fit exactly


def test_cli_tie_fits_one_value_for_several_constants(cluster, tmp_path):
    """``--tie "exits=young firm failure rate,established exit rate-0.06"``: the option of
    issue 12's list, item 5 (before: no ties on the command line either)."""
    from click.testing import CliRunner

    from lifecycle.cli import cli
    from lifecycle.scenarios import load_scenario

    truth = {"young firm failure rate": 0.10, "established exit rate": 0.04}
    data = history(cluster, truth, times=np.arange(2.0, 61.0, 2.0), variables=("Firms",))
    csv = tmp_path / "firms.csv"
    data.rename_axis("year").to_csv(csv)
    out = tmp_path / "tied.toml"
    result = CliRunner().invoke(cli, [
        "calibrate", str(csv), "--spin-up", "2", "--time-step", str(DT),
        "--param", "exits=0.07:0.2:0.12",
        "--tie", "exits=young firm failure rate,established exit rate-0.06", "-o", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(r"^exits\s+0\.1\s", result.stdout, re.MULTILINE), result.stdout
    params = load_scenario(out).params
    assert params["young firm failure rate"] == pytest.approx(0.10, rel=1e-3)
    assert params["established exit rate"] == pytest.approx(0.04, rel=1e-3)
    bad = CliRunner().invoke(cli, ["calibrate", str(csv), "--param", "exits=0.07:0.2",
                                   "--tie", "exits", "-o", str(tmp_path / "x.toml")])  # fmt: skip
    assert bad.exit_code == 2 and "TIE=A,B+OFFSET" in bad.output


def test_a_profile_that_beats_the_search_says_so(cluster, shocked):
    """A search stopped after one generation leaves the shock year off; the date's profile
    (every time step, the rest refitted) finds the better fit, and the diagnostics say the
    search stopped short and where the better value is (before: the interval was reported
    around a point that was not the best fit, silently)."""
    fit = calibrate(
        cluster, shocked[["Employment"]], {"disruptive shock year": (1998.0, 2012.0, 2000.0)},
        scenario={"disruptive shock size": 0.5}, spin_up=30, time_step=DT,
        options={"maxiter": 1, "popsize": 2}, seed=3,
    )  # fmt: skip
    assert abs(fit.params["disruptive shock year"] - 2005.0) > 2 * DT  # the search is off
    notes = [d for d in fit.diagnostics() if "found a better fit than the search" in d]
    assert len(notes) == 1, fit.diagnostics()
    better = float(re.search(r"disruptive shock year = ([\d.]+)", notes[0]).group(1))
    assert better == pytest.approx(2005.0, abs=DT)


def test_an_initial_value_is_fitted_like_any_constant(cluster):
    """Issue 12, 'start mid-life': initial values can be fitted. The seed of 12 young firms
    (the model has 8) comes back from the firm counts alone."""
    data = history(cluster, {"initial young firms": 12.0}, times=np.arange(2.0, 31.0, 2.0),
                   variables=("Firms",))  # fmt: skip
    fit = calibrate(cluster, data, {"initial young firms": (2.0, 40.0)}, spin_up=2,
                    time_step=DT, method="least_squares")  # fmt: skip
    assert fit.params["initial young firms"] == pytest.approx(12.0, rel=1e-4)
