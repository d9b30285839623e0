"""The two bugs of issue 9, each pinned by a test that failed before its fix."""

from __future__ import annotations

import importlib
import pkgutil

import pandas as pd

import lifecycle
from lifecycle.sensitivity import parse_metrics


def test_ensemble_stays_the_function_after_every_submodule_is_imported(linear):
    # montecarlo imports the ensemble machinery; before issue 9 that replaced the package
    # attribute `lifecycle.ensemble` by its module and the README's call raised TypeError
    for info in pkgutil.walk_packages(lifecycle.__path__, "lifecycle."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    from lifecycle import ensemble

    ds = ensemble(linear, pd.DataFrame({"X1": [0.2, 0.4]}), variables=["Y"])
    assert ds["Y"].sizes == {"run": 2, "time": ds.sizes["time"]}
    assert lifecycle.ensemble is ensemble


def test_metric_times_are_checked_against_the_model_horizon_not_the_last_run(linear):
    # sa_linear.mdl runs from 0 to 1; a shorter run before must not shrink the horizon
    linear.run(final_time=0.5)
    (metric,) = parse_metrics(["Y@0.8"], linear)
    assert metric.start == 0.8


def test_the_horizon_is_one_model_fact_for_metrics_and_checks(linear):
    # metrics and check files both ask Model.horizon; a scenario's FINAL TIME shortens it,
    # the last run's does not (bug 2's mechanism, for every caller)
    from lifecycle.scenarios import Scenario

    linear.run(final_time=0.5)
    assert linear.horizon() == (0.0, 1.0)
    assert linear.horizon(Scenario(name="short", final_time=0.6)) == (0.0, 0.6)
