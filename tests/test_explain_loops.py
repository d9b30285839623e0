"""Loop dominance (Loops That Matter through pysimlin), validated where the answer is known.

* Bass diffusion: word of mouth (reinforcing) dominates until the adoption rate peaks,
  saturation (balancing) after. The peak is at t* = ln(q/p)/(p+q) (Bass 1969); the switch
  must fall within 5 % of the horizon of it, for two parameter sets.
* SIR: on the Infectious stock, contagion (reinforcing) dominates while infections grow,
  recovery (balancing) after: the two loops' scores are the two parts of the change in the
  stock's net flow, contagion beta S/N against recovery 1/D, so the switch is where S falls
  to N/R0, the epidemic peak (Kermack & McKendrick 1927). The peak time comes from an
  independent high-accuracy solution of the ODEs (scipy), not from the engine.
* The cluster model's named loops: every link of every loop is a link of the model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("simlin")

from lifecycle.errors import ScenarioError  # noqa: E402
from lifecycle.explain.loops import (  # noqa: E402
    dominance_periods,
    load_named_loops,
    loops_file,
    score_loops,
    switch_times,
)
from lifecycle.explain.structure import ModelStructure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "models" / "bass_diffusion.mdl"
SIR = ROOT / "tests" / "models" / "sir.mdl"
CLUSTER = ROOT / "models" / "cluster_lifecycle.mdl"


@pytest.fixture(scope="module")
def cluster_structure():
    return ModelStructure(CLUSTER)


@pytest.mark.parametrize("p, q", [(0.03, 0.38), (0.01, 0.6)])
def test_bass_word_of_mouth_dominates_until_the_adoption_peak(p, q):
    scores = score_loops(BASS, {"innovation coefficient": p, "imitation coefficient": q})
    assert scores.mode == "enumerated" and len(scores.loops) == 2
    wom = next(k for k, v in scores.loops.items() if "Adopters" in v.variables)
    sat = next(k for k, v in scores.loops.items() if "Potential Adopters" in v.variables)
    periods = dominance_periods(scores)
    # two periods: word of mouth alone, then saturation alone
    assert list(periods["loop"]) == [wom, sat]
    assert list(periods["polarity"]) == ["R", "B"]
    ((switch, before, after),) = switch_times(periods)
    assert (before, after) == ("R", "B")
    peak = math.log(q / p) / (p + q)
    horizon = scores.scores.index[-1] - scores.scores.index[0]
    assert abs(switch - peak) < 0.05 * horizon, (switch, peak)
    # the engine's own trajectory peaks there too (the claim is about the run analysed)
    rate = scores.series["adoption rate"]
    assert abs(rate.idxmax() - switch) < 0.05 * horizon


def test_without_word_of_mouth_saturation_dominates_throughout():
    """Removing the mechanism (q = 0) removes the reinforcing period: the test above fails."""
    scores = score_loops(BASS, {"imitation coefficient": 0})
    periods = dominance_periods(scores)
    assert set(periods["polarity"]) == {"B"}
    assert switch_times(periods) == []


def test_bass_named_loops_score_as_the_enumerated_ones():
    structure = ModelStructure(BASS)
    named = load_named_loops(loops_file(BASS), structure)
    assert [n.name for n in named] == ["word of mouth", "saturation"]
    pinned = score_loops(BASS, named=named, structure=structure)
    plain = score_loops(BASS, structure=structure)
    wom = next(k for k, v in plain.loops.items() if "Adopters" in v.variables)
    np.testing.assert_allclose(pinned.scores["word of mouth"], plain.scores[wom], rtol=1e-12)
    assert pinned.loops["word of mouth"].polarity == "R"
    assert pinned.loops["saturation"].polarity == "B"


def _sir_peak(beta: float, duration: float, n: float = 1000.0, i0: float = 5.0) -> float:
    from scipy.integrate import solve_ivp

    def f(_t, y):
        s, i = y
        return [-beta * s * i / n, beta * s * i / n - i / duration]

    def at_threshold(_t, y):  # S = N / R0: dI/dt = 0, the epidemic peak
        return y[0] - n / (beta * duration)

    at_threshold.terminal = True
    sol = solve_ivp(f, (0, 1000), [n, i0], events=at_threshold, rtol=1e-10, atol=1e-10)
    return float(sol.t_events[0][0])


@pytest.mark.parametrize("beta", [0.3, 0.5])
def test_sir_contagion_dominates_infectious_until_the_epidemic_peak(beta):
    scores = score_loops(SIR, {"Contact Infectivity": beta})
    contagion = next(
        k
        for k, v in scores.loops.items()
        if "Succumbing" in v.variables and "Infectious" in v.variables
    )
    recovery = next(k for k, v in scores.loops.items() if "Recovering" in v.variables)
    assert sorted(scores.loops_through("Infectious")) == sorted([contagion, recovery])
    periods = dominance_periods(scores, through="Infectious")
    assert list(periods["loop"]) == [contagion, recovery]
    ((switch, before, after),) = switch_times(periods)
    assert (before, after) == ("R", "B")
    peak = _sir_peak(beta, 5.0)
    horizon = scores.scores.index[-1] - scores.scores.index[0]
    assert abs(switch - peak) < 0.05 * horizon, (switch, peak)


def test_sir_all_loops_start_with_contagion_and_end_with_recovery():
    """Compared over all three loops, contagion still leads and recovery still ends the run;
    depletion of susceptibles takes over around the peak."""
    scores = score_loops(SIR)
    periods = dominance_periods(scores)
    first, last = periods.iloc[0], periods.iloc[-1]
    assert "Succumbing" in first["loop"] and first["polarity"] == "R"
    assert "Recovering" in last["loop"] and last["polarity"] == "B"
    mid = periods[(periods["start"] <= 40) & (periods["end"] > 40)]
    assert any("Susceptible" in loop for loop in mid["loop"])


def test_cluster_named_loops_are_paths_of_the_model(cluster_structure):
    """Every link of every named loop is a link of the model (load_named_loops checks each
    one against Simlin's dependency graph), and the loops the file must name are there."""
    named = load_named_loops(loops_file(CLUSTER), cluster_structure)
    names = {n.name for n in named}
    assert {
        "spawning",
        "saturation",
        "shakeout",
        "imitation",
        "trust",
        "learning",
        "lock-in",
        "labour",
        "capital",
        "scale",
    } <= names
    for loop in named:
        for a, b in loop.links:
            assert (a, b) in cluster_structure.link_map, (loop.name, a, b)
            assert a in cluster_structure.variables[b].uses


def test_cluster_named_loops_are_scored_as_written(cluster_structure):
    """Simlin recovers each pinned loop as the same cycle, and its runtime polarity in the
    baseline is the one the file declares."""
    named = load_named_loops(loops_file(CLUSTER), cluster_structure)
    scores = score_loops(CLUSTER, named=named, structure=cluster_structure)
    assert scores.mode == "named"
    for loop in named:
        info = scores.loops[loop.name]
        assert set(info.variables) == set(loop.path), loop.name
        k = info.variables.index(loop.path[0])
        rotated = info.variables[k:] + info.variables[:k]
        assert rotated == loop.path, loop.name
        assert info.polarity == loop.polarity, loop.name
        assert np.abs(scores.scores[loop.name]).max() > 0, loop.name


def test_loops_file_problems_name_file_loop_and_fix(tmp_path, cluster_structure):
    bad = tmp_path / "bad.loops.toml"
    bad.write_text(
        '[[loop]]\nname = "broken"\npolarity = "R"\npath = ["Firms", "Trust"]\n\n'
        '[[loop]]\nname = "typo"\npolarity = "X"\npath = ["Firms", "Potential Startupz"]\n'
    )
    with pytest.raises(ScenarioError) as err:
        load_named_loops(bad, cluster_structure)
    text = str(err.value)
    assert "bad.loops.toml" in text
    assert "'Firms' -> 'Trust' is not a link" in text
    assert "fix: the variables 'Trust' uses" in text
    assert "polarity must be" in text
    assert "Potential Startupz" in text and "Potential Startups" in text
    assert len(err.value.problems) >= 4


def test_declared_polarity_must_match_link_signs(tmp_path):
    structure = ModelStructure(SIR)
    f = tmp_path / "sir.loops.toml"
    f.write_text(
        '[[loop]]\nname = "recovery"\npolarity = "R"\npath = ["Infectious", "Recovering"]\n'
    )
    with pytest.raises(ScenarioError, match="declared R but its links' signs make it B"):
        load_named_loops(f, structure)
