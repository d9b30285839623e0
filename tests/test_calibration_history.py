"""The regional-history workflow of issue 12, end to end on a history with known answers.

An analyst has five decades of yearly jobs and firms of a region, starting with a cluster
already mature, with a technology shock and a recovery helped by two renewal levers. Here
that history is made by the cluster model itself at known constants, at a size (cluster
size scale 3) and a calendar (model time 0 = 1932) that differ from the model's defaults,
with 3 % noise, and is read from a CSV whose only time is the calendar year. It is fitted
with six constants at most, starting from the model's defaults, without any hand scaling
or shifting: the size by ``cluster size scale``, the calendar by ``spin up``, the shock
year and the renewal start (one tie for both levers) in calendar years, derivative-free.

The bar of issue 12 for a real series of this kind (kept outside the project) is R² of at
least 0.85 on jobs and on firms and 0.6 on jobs per firm; with the model's own history the
fit must also give back the known values, within intervals that cover them (the start-up
rate's linearised interval does not yet: a strict xfail below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle.calibration import calibrate, evaluate
from lifecycle.data import read_data

DT = 0.25
YEAR_ZERO = 1932.0  # calendar year of model time 0 in the region's (unknown) history
FIRST, LAST = 40.0, 90.0  # model times of the record: 1972-2022, a mature cluster at first
LEVERS = {"public venture coinvestment": 20.0, "global linkage support": 1.0}  # known policy
TRUTH = {
    "cluster size scale": 3.0,
    "startup rate": 0.15,
    "disruptive shock year": 55.0,  # 1987
    "disruptive shock size": 0.6,
    "public venture start": 63.0,  # 1995: one renewal programme, two levers
    "global linkage start": 63.0,
    **LEVERS,
}
BOUNDS = {  # wide: what an analyst knows before the fit
    "cluster size scale": (0.2, 20.0),
    "spin up": (15.0, 60.0),
    "startup rate": (0.05, 0.25),
    "disruptive shock year": (1975.0, 2010.0),
    "disruptive shock size": (0.0, 1.5),
    "renewal start": (1980.0, 2020.0),
}
TIES = {"renewal start": ["public venture start", "global linkage start"]}


@pytest.fixture(scope="module")
def record(cluster, tmp_path_factory):
    """The region's CSV as an analyst has it: calendar years, its own column names."""
    run = cluster.run(
        TRUTH, final_time=LAST, time_step=DT, saveper=1.0, variables=["Employment", "Firms"]
    )
    obs = run.loc[FIRST:LAST]
    noise = np.exp(0.03 * np.random.default_rng(3).standard_normal(obs.shape))
    table = pd.DataFrame(
        (obs.to_numpy() * noise).round(1),
        columns=["ict_jobs", "ict_firms"],
        index=pd.Index((obs.index + YEAR_ZERO).astype(int), name="year"),
    )
    path = tmp_path_factory.mktemp("region") / "region.csv"
    table.to_csv(path)
    return read_data(path, columns={"ict_jobs": "Employment", "ict_firms": "Firms"})


@pytest.fixture(scope="module")
def fit(cluster, record):
    return calibrate(cluster, record, BOUNDS, scenario=LEVERS, ties=TIES, time_step=DT)


def test_the_record_cannot_be_matched_without_size_and_calendar(cluster, record):
    """The history is far from the model's reference cluster: at its default size and with
    the record placed at the same maturity, the shocked, renewed run explains nothing."""
    assert record.index[0] == 1972.0 and record.attrs.get("time_offset", 0.0) == 0.0
    held = {k: v for k, v in TRUTH.items() if k != "cluster size scale"}
    as_is = evaluate(cluster, record, scenario=held, spin_up=FIRST, time_step=DT)
    assert as_is.r2["Employment"] < 0 and as_is.r2["Firms"] < 0


def test_a_regional_history_is_fitted_without_hand_scaling_or_shifting(fit):
    assert len(fit.params) <= 6
    assert fit.method == "differential_evolution"  # dates fitted: derivative-free
    # issue 12's bar for a real series of this kind
    assert fit.r2["Employment"] >= 0.85 and fit.r2["Firms"] >= 0.85
    name, _, _, _, ratio_r2, _ = fit.ratio()
    assert name == "Employment per Firms" and ratio_r2 >= 0.6
    # the model's own history, so the known values come back
    assert fit.params["cluster size scale"] == pytest.approx(3.0, rel=0.03)
    assert fit.params["disruptive shock size"] == pytest.approx(0.6, rel=0.05)
    # The start-up rate and the calendar trade off on a record that starts in maturity (a
    # faster take-off looks older), and the record sees start-ups mostly in a crowded market,
    # where founders weigh room by their odds of surviving (the model of session 4). Over
    # this test's history with noise seeds 1-5 the fit gives 0.144-0.160 and a year zero of
    # 1930.9-1934.3 (the model of session 3: 0.146-0.152 and 1931.4-1932.7 on seeds 1-3).
    assert fit.params["startup rate"] == pytest.approx(0.15, rel=0.1)
    assert fit.year_zero == pytest.approx(YEAR_ZERO, abs=3.0)  # the calendar, fitted
    assert fit.params["disruptive shock year"] == pytest.approx(1987.0, abs=0.5)
    assert fit.params["renewal start"] == pytest.approx(1995.0, abs=2.5)  # weakly seen
    assert fit.constants()["global linkage start"] == fit.constants()["public venture start"]


def test_the_fitted_values_have_intervals_that_cover_the_history(fit):
    """The dates' profile intervals cover the true years and have width (before the
    refinement at the time step, a date whose bounds span 35 years was profiled on points
    0.875 years apart and its interval collapsed to the fitted value)."""
    for name, truth in (("disruptive shock year", 1987.0), ("renewal start", 1995.0)):
        lo, hi = fit.ci[name]
        assert lo < truth < hi and hi - lo >= DT, (name, lo, hi)
        assert fit.ci_method[name].startswith("profile likelihood")
        assert "bound" not in fit.ci_method[name]
    for name in ("cluster size scale", "disruptive shock size"):
        lo, hi = fit.ci[name]
        assert lo < TRUTH[name] < hi, (name, lo, hi)
    assert fit.at_bound() == []


@pytest.mark.xfail(
    strict=True,
    reason="known limitation (issue 12): the start-up rate's linearised interval is too narrow "
    "where it trades off with the calendar; on this history it covers the true 0.15 with noise "
    "seeds 1 and 5, not 2, 3 (this test's: 0.154-0.167) or 4; profile it as the dates are",
)
def test_the_start_up_rate_interval_covers_the_history(fit):
    lo, hi = fit.ci["startup rate"]
    assert lo < TRUTH["startup rate"] < hi, (lo, hi)
