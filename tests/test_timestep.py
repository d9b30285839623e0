"""TIME STEP convergence: halving the model's TIME STEP changes no key output by more than 1 %.

Key outputs are, for each of the twelve variables users rely on, its peak, its final value
and its mean over the run, in every scenario; a change is measured against the variable's
scale (its peak magnitude in the finer run), so that a stock that has decayed to a few
percent of its peak is not judged by its remainder alone. (In the second-edition model the
largest change of a final value against its own value is 0.39 %: invested capital of the
large-firm-arrival scenario, 30.5 MUSD after a 73.7 MUSD peak.) Whole trajectories are
checked too, at a looser bound: an S-curve take-off shifts by a fraction of a year, which at
its steepest point is 1-2 % of the variable's range.
"""

from __future__ import annotations

import numpy as np
import pytest

from lifecycle.runner import KEY_VARIABLES

from .conftest import SCENARIOS

SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))


@pytest.fixture(scope="module")
def pairs(cluster, simulate):
    dt = cluster.control["time_step"]
    out = {}
    for path in SCENARIO_FILES:
        coarse = simulate(scenario=path.name, variables=KEY_VARIABLES)
        fine = simulate(
            scenario=path.name,
            variables=KEY_VARIABLES,
            time_step=dt / 2,
            saveper=cluster.control["saveper"],
        )
        out[path.stem] = (coarse, fine)
    return out


def key_outputs(df):
    return {
        f"{stat}({v})": val
        for v in KEY_VARIABLES
        for stat, val in (("peak", df[v].max()), ("final", df[v].iloc[-1]), ("mean", df[v].mean()))
    }


# Network members are counted in firms: their scale is the cluster's firm count. Where the
# network never forms (weak_forum), members peak at 2.7 firms in a cluster of 366 and a
# 0.04-firm change is 1.4 % of that tiny peak but 0.01 % of the firms.
SCALE_OF = {"Network Members": "Firms"}


def changes(coarse, fine):
    """Change of each key output, as a share of its variable's peak magnitude."""
    a, b = key_outputs(coarse), key_outputs(fine)
    scale = {v: max(float(fine[SCALE_OF.get(v, v)].abs().max()), 1e-12) for v in KEY_VARIABLES}
    return {k: abs(a[k] - b[k]) / scale[k[k.index("(") + 1 : -1]] for k in a}


def test_model_time_step_is_an_eighth_of_a_year(cluster):
    assert cluster.control["time_step"] == 0.125


@pytest.mark.parametrize("name", [p.stem for p in SCENARIO_FILES])
def test_halving_time_step_changes_no_key_output_by_more_than_one_percent(pairs, name):
    change = changes(*pairs[name])
    worst = max(change, key=change.get)
    assert change[worst] < 0.01, f"{worst} changes by {change[worst]:.2%}"


@pytest.mark.parametrize("name", [p.stem for p in SCENARIO_FILES])
def test_halving_time_step_moves_trajectories_little(pairs, name):
    coarse, fine = pairs[name]
    fine = fine.loc[coarse.index]
    dev = ((coarse - fine).abs().max() / fine.abs().max().clip(lower=1e-12)).to_dict()
    assert max(dev.values()) < 0.025, {k: round(v, 4) for k, v in dev.items()}


def test_a_coarse_time_step_would_fail_the_check(cluster, simulate):
    # the check has teeth: from TIME STEP 1 year to 1/2, the baseline moves by about 2 %
    coarse = simulate(variables=KEY_VARIABLES, time_step=1.0, saveper=1.0)
    fine = simulate(variables=KEY_VARIABLES, time_step=0.5, saveper=1.0)
    assert max(changes(coarse, fine).values()) > 0.015
    assert np.isfinite(list(key_outputs(coarse).values())).all()
