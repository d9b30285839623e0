"""Summaries across scenarios: one yardstick for the life-cycle stages of every run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle.runner import comparable_stages, summary_table
from lifecycle.stages import stage_sequence


def _logistic_runs():
    """Two runs that share 50 years of history; the second grows again, four times as big."""
    t = np.arange(0, 80.5, 0.5)
    first = 100 / (1 + np.exp(-(t - 20) / 4))
    base = pd.DataFrame({"Firms": first, "Employment": 20 * first}, index=pd.Index(t, name="time"))
    tall = base.copy()
    extra = np.where(t > 50, 300 / (1 + np.exp(-(t - 62) / 3)), 0.0)
    tall["Firms"] += extra
    tall["Employment"] += 20 * extra
    return base, tall


def test_runs_that_share_a_history_share_its_stages():
    base, tall = _logistic_runs()
    stages = comparable_stages({"baseline": base, "tall": tall}, "baseline")
    early = [(s.name, s.start, s.end) for s in stages["baseline"][:2]]
    assert early == [("embryonic", 0.0, 11.0), ("growth", 11.0, 28.5)]
    assert [(s.name, s.start, s.end) for s in stages["tall"][:2]] == early
    assert [s.name for s in stages["tall"]][-2:] == ["growth", "maturity"]
    # each on its own yardstick, the taller run stays "embryonic" 7.5 years longer
    own = stage_sequence(tall)[0]
    assert (own.name, own.end) == ("embryonic", 18.5)


def test_model_runs_that_share_a_history_share_its_stages(simulate):
    base = simulate()
    renew = simulate(scenario="shock_with_renewal.toml")  # identical to the baseline to year 55
    stages = comparable_stages({"baseline": base, "renewal": renew}, "baseline")
    before = [(s.name, s.start, s.end) for s in stages["baseline"] if s.end <= 55]
    assert before
    assert [(s.name, s.start, s.end) for s in stages["renewal"][: len(before)]] == before
    # second-edition model: the shock comes in year 55 and the renewed cluster is still
    # growing at year 80, so its run ends in rejuvenation after the decline
    assert [s.name for s in stages["renewal"]][-2:] == ["decline", "rejuvenation"]


def test_summary_gives_every_variable_row_its_scenario_stages(simulate):
    results = {
        "baseline": simulate(),
        "disruptive shock": simulate(scenario="disruptive_shock.toml"),
    }
    table = summary_table(results, ["Firms", "Employment"], baseline="baseline")
    col = "stages (Firms, Employment)"
    shock = table[table["scenario"] == "disruptive shock"][col].unique()
    assert len(shock) == 1 and shock[0].endswith("decline")
    assert (table[table["scenario"] == "baseline"]["final vs baseline %"] == 0).all()
