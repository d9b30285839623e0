"""Invariants in every scenario, and extreme-condition tests (Sterman 2000, ch. 21).

Every constant is set to each end of its range, alone and a few at once, and random
valid parameter sets are drawn: no run may produce NaN or infinity, push a stock
negative or a bounded index out of its range, give members above firms, or jobs above
the skilled workers available.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle import ensemble, load_scenario

from .conftest import SCENARIOS
from .invariants import limited_variables, violations

SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))


def _needed(model):
    return sorted(
        set(limited_variables(model))
        | {"Firms", "Network Members", "Employment", "Skilled Workers"}
    )


def test_every_scenario_file_is_covered():
    assert len(SCENARIO_FILES) >= 11


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_invariants_hold_in_scenario(path, cluster, simulate):
    df = simulate(scenario=path.name)
    assert violations(cluster, lambda n: df[n]) == []


def test_limits_checked_cover_every_stock(cluster):
    limited = limited_variables(cluster)
    stocks = cluster.doc[cluster.doc["Type"] == "Stateful"]["Real Name"]
    assert set(stocks) <= set(limited)
    for name in ("Member Share", "Trust", "Knowledge Diversity", "Relative Technology"):
        assert limited[name] == (0.0, 1.0)


def _extremes(model):
    rows, labels = [], []
    for name, c in model.parameters.items():
        for end, value in (("min", c.low), ("max", c.high)):
            if value is not None:
                rows.append({name: value})
                labels.append(f"{name}={end}")
    return rows, labels


def _run_all(model, rows):
    """Run every row with the batch engine; return ``get(i)`` giving run i's values."""
    samples = pd.DataFrame(rows).reindex(columns=list(model.parameters))
    samples = samples.fillna({n: c.default for n, c in model.parameters.items()})
    ds = ensemble(model, samples, variables=_needed(model))
    arrays = {n: ds[n].values for n in ds.data_vars}
    return lambda i: lambda n: arrays[n][i]


def test_every_constant_at_each_end_of_its_range(cluster):
    rows, labels = _extremes(cluster)
    assert len(rows) > 150  # every constant of the model has a finite range at each end
    get = _run_all(cluster, rows)
    broken = {}
    for i, label in enumerate(labels):
        found = violations(cluster, get(i))
        if found:
            broken[label] = found
    assert broken == {}


def test_several_constants_at_extremes_at_once(cluster):
    rng = np.random.default_rng(20261127)
    names = list(cluster.parameters)
    rows = []
    for _ in range(120):
        picked = rng.choice(names, size=5, replace=False)
        row = {}
        for n in picked:
            c = cluster.parameters[n]
            row[n] = c.low if rng.random() < 0.5 else c.high
        rows.append(row)
    get = _run_all(cluster, rows)
    broken = {}
    for i, row in enumerate(rows):
        found = violations(cluster, get(i))
        if found:
            broken[str(row)] = found
    assert broken == {}


@st.composite
def valid_parameter_sets(draw, model):
    names = draw(
        st.lists(st.sampled_from(sorted(model.parameters)), min_size=1, max_size=8, unique=True)
    )
    out = {}
    for n in names:
        c = model.parameters[n]
        out[n] = draw(st.floats(c.low, c.high, allow_nan=False, allow_infinity=False))
    return out


def test_latin_hypercube_of_all_constants_keeps_invariants(cluster):
    """300 runs with every constant drawn uniformly across its whole range at once."""
    rng = np.random.default_rng(7)
    names = list(cluster.parameters)
    n = 300
    u = (
        rng.permuted(np.tile(np.arange(n), (len(names), 1)), axis=1).T + rng.random((n, len(names)))
    ) / n
    rows = [
        {
            name: cluster.parameters[name].low
            + u[i, j] * (cluster.parameters[name].high - cluster.parameters[name].low)
            for j, name in enumerate(names)
        }
        for i in range(n)
    ]
    get = _run_all(cluster, rows)
    broken = {i: violations(cluster, get(i)) for i in range(n)}
    assert {i: v for i, v in broken.items() if v} == {}


def test_random_valid_parameter_sets_keep_invariants(cluster):
    """Property-based, through PySD itself: any valid overrides keep the invariants."""

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(valid_parameter_sets(cluster))
    def check(params):
        df = cluster.run(params, variables=_needed(cluster))
        assert violations(cluster, lambda n: df[n]) == [], params

    check()


def test_scenario_params_are_all_within_model_ranges(cluster):
    for path in SCENARIO_FILES:
        for name, value in load_scenario(path, cluster).params.items():
            assert cluster.parameters[name].contains(value)
