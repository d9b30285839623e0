"""Issue 10, item 10: "merge pairs that cannot be told apart". docs/identifiability.py measures
how far the observed series of every shipped scenario tell each pair of behavioural
constants apart (Brun et al. 2001 collinearity index gamma, practically unidentifiable at 10
or more). These tests carry the claim that no pair needs merging, and show that the measure
finds a pair that cannot be told apart when one is planted."""

from __future__ import annotations

import numpy as np
import pytest

from .paths import MAIN_MODEL, ROOT, SCENARIOS, load_docs_script


@pytest.fixture(scope="module")
def ida():
    return load_docs_script("identifiability")


@pytest.fixture(scope="module")
def per(ida, cluster):
    return ida.sensitivities(cluster)


@pytest.fixture(scope="module")
def history(ida, cluster):
    """Sensitivities of the baseline's Firms and Employment only: one cluster's record."""
    return ida.stacked(ida.sensitivities(cluster, [SCENARIOS / "baseline.toml"], ida.HISTORY))


@pytest.fixture(scope="module")
def shipped(ida, per):
    return ida.pair_table(per)


def test_every_pair_of_constants_is_told_apart_by_some_scenario(shipped, ida):
    """Every one of the 1,770 pairs of the 60 behavioural constants has gamma below 10 in
    at least one scenario: some shipped experiment tells the two apart, so none is a pair to
    merge."""
    assert len(shipped) == 60 * 59 // 2
    assert shipped["best"].max() < ida.GAMMA_LIMIT, shipped.nlargest(3, "best")


def test_trust_decay_and_large_firm_erosion_are_told_apart_only_where_the_plant_changes(
    shipped, ida
):
    """The one pair above the limit when every scenario is stacked: trust erodes at
    `trust decay rate + large firm trust erosion * Large Firm Presence`, so wherever the
    plant stays (most scenarios) only the sum shows. The exit (or arrival) of the plant
    tells them apart; no scenario without a change of the plant does."""
    row = shipped.iloc[0]
    assert {row["constant"], row["other"]} == {"large firm trust erosion", "trust decay rate"}
    assert row["gamma"] >= ida.GAMMA_LIMIT
    assert row["best_scenario"] in {"large_firm_exit", "large_firm_arrival"}
    assert (shipped["gamma"] >= ida.GAMMA_LIMIT).sum() == 1


def test_a_planted_twin_constant_is_found(ida, tmp_path):
    """A mutant with a second constant that only ever adds to `trust decay rate` (so that
    no data could tell the two apart): the analysis finds the pair with gamma far above the
    limit in every scenario. Three scenarios suffice, the plant's exit among them."""
    from lifecycle import load_model

    text = MAIN_MODEL.read_text(encoding="utf-8")
    erosion = "Trust * (trust decay rate + large firm trust erosion"
    assert text.count(erosion) == 1
    twin = (
        "trust decay twin=\n\t0.01\n\t~\t1/Year [0,0.5]\n\t~\tAssumption: a planted twin.\n\t|\n\n"
    )
    text = text.replace(
        erosion, "Trust * (trust decay rate + trust decay twin + large firm trust erosion"
    ).replace(
        "trust decay rate + large firm trust erosion * Large Firm Presence + hard times "
        "trust erosion * Hard Times) * minimum response time",
        "trust decay rate + trust decay twin + large firm trust erosion * Large Firm "
        "Presence + hard times trust erosion * Hard Times) * minimum response time",
    )
    text = text.replace("trust decay rate=\n", twin + "trust decay rate=\n", 1)
    mutant = tmp_path / "twin.mdl"
    mutant.write_text(text, encoding="utf-8")
    model = load_model(mutant)
    scen = [SCENARIOS / f"{s}.toml" for s in ("baseline", "large_firm_exit", "weak_forum")]
    pairs = ida.pair_table(ida.sensitivities(model, scenarios=scen))
    row = pairs[
        ((pairs["constant"] == "trust decay rate") & (pairs["other"] == "trust decay twin"))
        | ((pairs["constant"] == "trust decay twin") & (pairs["other"] == "trust decay rate"))
    ].iloc[0]
    assert row["best"] > 10 * ida.GAMMA_LIMIT, row
    assert np.isclose(row["abs_cos"], 1.0, atol=1e-6)


def test_one_history_of_firms_and_employment_pins_down_few_constants(ida, history):
    """What a regional analyst's record can identify: from the baseline's 81 yearly values
    of Firms and Employment, fewer than a fifth of the 60 constants form a set with gamma
    below 10, and of all 60 directions at most a fifth are determined (the calibration
    examples fit four to six constants)."""
    chosen = ida.largest_identifiable(history)
    assert 3 <= len(chosen) < 12, chosen
    assert ida.gamma(history, chosen) < ida.GAMMA_LIMIT
    ev = ida.spectrum(history)
    assert (ev >= ida.GAMMA_LIMIT**-2).sum() <= 12


def test_readme_states_the_analysis_figures(ida, per, history):
    """The README's calibration section quotes the analysis: the collinearity index of all
    60 together, how many directions are determined, and the five constants one history of
    Firms and Employment identifies. Recomputed here, so the text cannot go stale."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme[readme.index("How many constants a record can carry") :].split()[:200])
    ev = ida.spectrum(ida.stacked(per))
    assert f"collinearity index of {1 / np.sqrt(ev[0]):.0f}" in text
    assert f"only {int((ev >= ida.GAMMA_LIMIT**-2).sum())} of their 60 directions" in text
    assert f"{len(per)}, contrasts included" in text
    chosen = ida.largest_identifiable(history)
    assert len(chosen) == 5 and "a set of five" in text
    assert all(f"`{name}`" in text for name in chosen)
