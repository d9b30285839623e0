"""Life-cycle stage classification on curves whose stages are known analytically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle.errors import DataError
from lifecycle.stages import (
    GROWTH_RATE,
    Stage,
    classify,
    describe,
    stage_sequence,
    stage_table,
)

T = np.arange(0.0, 80.0 + 1e-9, 1 / 16)
K, R, T0 = 1000.0, 0.25, 25.0


def logistic(t):
    return K / (1 + np.exp(-R * (t - T0)))


def logistic_time(share):
    """Time at which the logistic reaches ``share`` of K."""
    return T0 + np.log(share / (1 - share)) / R


def names(stages):
    return [s.name for s in stages]


def test_logistic_s_curve_is_embryonic_growth_maturity():
    stages = classify(T, logistic(T))
    assert names(stages) == ["embryonic", "growth", "maturity"]
    # Embryonic ends when the speed r*y*(1-y) reaches 2 % of K a year: y = 0.0877.
    y_end = (1 - np.sqrt(1 - 4 * 0.02 / R)) / 2
    assert stages[0].end == pytest.approx(logistic_time(y_end), abs=0.5)  # 15.6
    # Growth ends when the relative growth rate r*(1-y) falls below 3 %: y = 0.88.
    assert stages[1].end == pytest.approx(logistic_time(1 - GROWTH_RATE / R), abs=0.5)  # 33.0
    assert stages[0].start == 0.0 and stages[-1].end == 80.0
    # Stages tile the time axis.
    assert all(a.end == b.start for a, b in zip(stages, stages[1:], strict=False))


def test_logistic_then_decay_ends_in_decline():
    # Plateau, then from year 45 an exponential loss of 4 % a year.
    values = np.where(T < 45, logistic(T), logistic(T) * np.exp(-0.04 * (T - 45)))
    stages = classify(T, values)
    assert names(stages) == ["embryonic", "growth", "maturity", "decline"]
    assert stages[3].start == pytest.approx(45, abs=2.0)
    assert stages[3].end == 80.0


def test_slow_decay_is_decline_once_a_tenth_is_lost():
    # A loss of at most 1 % a year is below the decline rate: decline starts only when the
    # level is 10 % below its peak (year 52.8 for this curve), not when the fall starts.
    values = np.where(T < 40, logistic(T), logistic(T) * np.exp(-0.01 * (T - 40)))
    first_10pc_down = T[np.argmax(values < 0.9 * np.maximum.accumulate(values))]
    assert first_10pc_down == pytest.approx(52.8, abs=0.1)
    stages = classify(T, values)
    assert names(stages) == ["embryonic", "growth", "maturity", "decline"]
    assert stages[-1].start == pytest.approx(first_10pc_down, abs=1.0)
    # With a 20 % threshold the same curve declines from year 64.7 instead.
    later = classify(T, values, decline_drop=0.2)
    assert later[-1].start == pytest.approx(64.7, abs=1.0)


def test_decline_then_regrowth_is_rejuvenation():
    fall = np.where(T < 40, logistic(T), logistic(T) * np.exp(-0.06 * (T - 40)))
    low = fall[T == 55][0]  # about 40 % of the peak
    # From year 55 the cluster doubles again along a logistic (rate 0.4 a year).
    regrow = low * (1 + 1 / (1 + np.exp(-0.4 * (T - 63))) - 1 / (1 + np.exp(-0.4 * (55 - 63))))
    values = np.where(T < 55, fall, regrow)
    stages = classify(T, values)
    assert names(stages) == [
        "embryonic",
        "growth",
        "maturity",
        "decline",
        "rejuvenation",
        "maturity",
    ]
    # The fall starts at 40: decline is recognised once the trailing window sees it.
    assert 40 <= stages[3].start <= 42
    # Rejuvenation while the true relative growth rate exceeds 3 % a year: 57.1 to 67.1.
    rate = np.gradient(values, T) / values
    fast = T[(T > 55) & (rate >= GROWTH_RATE)]
    assert (fast[0], fast[-1]) == pytest.approx((57.1, 67.1), abs=0.1)
    assert fast[0] <= stages[4].start <= fast[0] + 2  # trailing window: a little late
    assert stages[4].end == pytest.approx(fast[-1], abs=1.0)
    # The new plateau is 82 % of the old peak, and mature: the rejuvenation began a new cycle.
    assert values[-1] / values.max() == pytest.approx(0.82, abs=0.01)


def test_a_shock_is_not_labelled_before_it_happens():
    # Half the cluster is lost at once in year 40 (a disruptive shock).
    values = np.where(T < 40, logistic(T), 0.5 * logistic(T))
    stages = classify(T, values)
    assert names(stages) == ["embryonic", "growth", "maturity", "decline"]
    assert 40 <= stages[3].start <= 40.5


def test_short_blip_of_regrowth_is_not_rejuvenation():
    values = np.where(T < 40, logistic(T), logistic(T) * np.exp(-0.05 * (T - 40)))
    bump = 60 * np.exp(-(((T - 60) / 0.6) ** 2))  # a one-year bump of about 6 % of the peak
    stages = classify(T, values + bump)
    assert "rejuvenation" not in names(stages)
    assert names(stages)[-1] == "decline"


def test_flat_series_is_one_mature_stage():
    assert classify(T, np.full(T.size, 42.0)) == [Stage("maturity", 0.0, 80.0)]


def test_all_zero_series_is_embryonic():
    assert names(classify(T, np.zeros(T.size))) == ["embryonic"]


def test_noisy_annual_data_gives_a_readable_sequence():
    rng = np.random.default_rng(7)
    years = np.arange(1950.0, 2030.0)
    clean = 100 / (1 + np.exp(-0.3 * (years - 1975)))
    stages = classify(years, clean * (1 + 0.05 * rng.standard_normal(years.size)))
    assert names(stages) == ["embryonic", "growth", "maturity"]
    # Noise-free boundaries: embryonic to 1966.8 (speed 2 %/yr), growth to 1984.1 (y = 0.9).
    assert stages[1].start == pytest.approx(1967, abs=2)
    assert stages[1].end == pytest.approx(1984, abs=2)


def test_uneven_time_steps_give_the_same_stages():
    rng = np.random.default_rng(3)
    t = np.sort(np.concatenate(([0.0, 80.0], rng.uniform(0, 80, 150))))
    t = np.unique(t)
    even = classify(T, logistic(T))
    uneven = classify(t, logistic(t))
    assert names(uneven) == names(even)
    for a, b in zip(even, uneven, strict=True):
        assert b.start == pytest.approx(a.start, abs=1.5)


def test_uk_motor_firms_grow_to_1922_then_decline(shared_dir):
    data = pd.read_csv(shared_dir / "data" / "uk_motor_car_firms_1897_1956.csv")
    stages = classify(data["year"], data["number_of_firms"])
    # 9 firms in 1897 (10.2 % of the 1922 peak of 88: just above the embryonic share),
    # growth, a pause while the count stayed at 48-50 from 1902 to 1913, growth to the
    # 1922 peak, then the shakeout to 20 firms by 1956.
    assert names(stages) == ["growth", "maturity", "growth", "decline"]
    growth_end = max(s.end for s in stages if s.name == "growth")
    assert growth_end == 1922
    assert stages[-1] == Stage("decline", 1922.0, 1956.0)
    # A lower growth threshold (1.5 % a year) sees 1913 as still growing: one growth stage.
    merged = classify(data["year"], data["number_of_firms"], growth_rate=0.015)
    assert merged == [Stage("growth", 1897.0, 1922.0), Stage("decline", 1922.0, 1956.0)]


def test_threshold_override_moves_the_boundary():
    later = classify(T, logistic(T), growth_rate=0.01)
    # r*(1-y) = 0.01 at y = 0.96
    assert later[1].end == pytest.approx(logistic_time(0.96), abs=0.5)


def test_reference_makes_the_embryonic_test_causal():
    # Against a capacity of 2K, embryonic lasts until the speed reaches 2 % of 2K a year,
    # which the logistic (top speed r*K/4 = 3.1 % of 2K) does at y = 0.2.
    stages = classify(T, logistic(T), reference=2 * K)
    assert stages[0].name == "embryonic"
    assert stages[0].end == pytest.approx(logistic_time(0.2), abs=0.5)


def test_stage_sequence_combines_firms_and_employment():
    df = pd.DataFrame(
        {"Firms": logistic(T), "Employment": 50 * logistic(T - 5)}, index=pd.Index(T, name="time")
    )
    combined = stage_sequence(df)
    assert names(combined) == ["embryonic", "growth", "maturity"]
    first = stage_sequence(df, how="first")
    assert first == classify(T, logistic(T))
    # The index lags firms by about half the employment lag.
    assert combined[1].end == pytest.approx(first[1].end + 2.5, abs=1.0)
    # Column names match like Vensim names: case, spaces and underscores do not matter.
    assert stage_sequence(df, "firms") == first


def test_stage_table_and_describe():
    stages = classify(T, logistic(T))
    table = stage_table(stages)
    assert list(table.columns) == ["stage", "start", "end", "duration"]
    assert table["stage"].tolist() == ["embryonic", "growth", "maturity"]
    assert table["duration"].sum() == pytest.approx(80.0)
    assert describe(stages) == "embryonic > growth > maturity"


@pytest.mark.parametrize(
    ("time", "values", "message"),
    [
        ([0, 1, 2], [1, 2], "3 points but values has 2"),
        ([0, 1], [1, 2], "at least 3 points"),
        ([0, 1, 2, 3], [1, np.nan, 2, 3], "values has 1 missing"),
        ([0, np.nan, 2], [1, 2, 3], "time has 1 missing"),
        ([0, 2, 1], [1, 2, 3], "strictly increasing"),
        ([0, 1, 1], [1, 2, 3], "strictly increasing"),
        ([0, 1, 2], [1, -2, 3], "non-negative"),
        ([0, 1, 2], ["a", "b", "c"], "numeric"),
    ],
)
def test_bad_input_raises_data_error(time, values, message):
    with pytest.raises(DataError, match=message):
        classify(time, values)


def test_unknown_threshold_and_column_are_named():
    with pytest.raises(DataError, match="'growth_rat'.*allowed: decline_drop"):
        classify(T, logistic(T), growth_rat=0.1)
    df = pd.DataFrame({"Firms": logistic(T)}, index=T)
    with pytest.raises(DataError, match="no column 'Employment' in the data; columns are: Firms"):
        stage_sequence(df)
