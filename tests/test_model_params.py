"""The model's constants: every one classed by its comment, few behavioural ones, many sourced.

Issue 10 (parsimony and sources): at most 60 behavioural constants (policy levers, their
timing and scenario switches not counted); each comment starts with ``Source:``,
``Calibrated:`` or ``Assumption:``; at least 40 % of behavioural constants sourced or
calibrated (that share and what each class's comment must name: tests/test_model_sources.py).
``lifecycle params --format csv`` carries the class.
"""

from __future__ import annotations

import io

import pandas as pd

from lifecycle.params import constant_class, format_params, params_frame


def test_every_constant_of_the_model_has_a_class(cluster):
    df = params_frame(cluster)
    assert set(df["class"]) <= {"lever", "source", "calibrated", "assumption"}
    assert (df["class"] != "").all(), df.loc[df["class"] == "", "name"].tolist()


def test_at_most_sixty_behavioural_constants(cluster):
    df = params_frame(cluster)
    behavioural = df[df["class"] != "lever"]
    assert len(behavioural) <= 60, len(behavioural)


def test_params_csv_has_a_class_column(cluster):
    df = pd.read_csv(io.StringIO(format_params(cluster, fmt="csv")))
    assert list(df.columns) == ["name", "default", "units", "min", "max", "class", "comment"]
    row = df.set_index("name").loc["frontier growth rate"]
    assert row["class"] == "source"
    assert df.set_index("name").loc["networking initiative intensity", "class"] == "lever"


def test_constant_class_reads_the_prefix():
    assert constant_class("Source: OECD") == "source"
    assert constant_class("  calibrated: NSF data") == "calibrated"
    assert constant_class("Assumption: a guess") == "assumption"
    assert constant_class("Policy lever: a forum") == "lever"
    assert constant_class("Scenario: the seed") == "lever"
    assert constant_class("A constant with no class") == ""


def test_cluster_size_scale_multiplies_every_absolute_size(cluster, simulate):
    """The calibration tools fit `cluster size scale` to a region; at scale 3 every absolute
    quantity is three times the reference run and every share and index unchanged."""
    assert cluster.parameters["cluster size scale"].default == 1.0
    base, big = simulate(), simulate({"cluster size scale": 3.0})
    for v in ("Firms", "Employment", "Skilled Workers", "Venture Capital", "Network Members"):
        assert (big[v] / 3 - base[v]).abs().max() <= 1e-9 * base[v].abs().max(), v
    for v in ("Member Share", "Trust", "Relative Technology", "Knowledge Diversity"):
        assert (big[v] - base[v]).abs().max() <= 1e-9, v
