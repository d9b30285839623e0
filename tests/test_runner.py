"""Summaries across scenarios: one yardstick for the life-cycle stages of every run."""

from __future__ import annotations

from lifecycle.runner import comparable_stages, summary_table
from lifecycle.stages import stage_sequence


def test_runs_that_share_a_history_share_its_stages(simulate):
    base = simulate()
    renew = simulate(scenario="shock_with_renewal.toml")  # identical to the baseline to year 45
    results = {"baseline": base, "shock with renewal": renew}
    stages = comparable_stages(results, "baseline")
    before = [(s.name, s.start, s.end) for s in stages["baseline"] if s.end <= 45]
    assert before, stages["baseline"]
    assert [(s.name, s.start, s.end) for s in stages["shock with renewal"][: len(before)]] == before
    assert [s.name for s in stages["shock with renewal"]][-2:] == ["rejuvenation", "maturity"]
    # each run on its own yardstick labels the same 45 years differently: the reason for one
    own = [s.name for s in stage_sequence(renew)][:2]
    assert own != [s.name for s in stage_sequence(base)][:2]


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
