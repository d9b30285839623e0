"""Shared fixtures: the shared reference folder, the main model, and cached runs."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCENARIOS = ROOT / "scenarios"
MAIN_MODEL = ROOT / "models" / "cluster_lifecycle.mdl"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the project; skipped where absent, a failure under CI=true."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared folder {SHARED} is missing")
        pytest.skip(f"reference folder {SHARED} is absent (it sits beside the repo in CI)")
    return SHARED


@pytest.fixture(scope="session")
def cluster():
    """The main model, loaded once per test session."""
    from lifecycle import load_model

    return load_model(MAIN_MODEL)


@pytest.fixture(scope="session")
def simulate(cluster):
    """``simulate(params=None, scenario=None)``: a cached run of the main model.

    Runs are cached by their full parameter set so that tests sharing a run (the baseline)
    pay for it once; every run starts from a fresh model state.
    """
    from lifecycle import load_scenario

    cache: dict = {}

    def _simulate(params=None, scenario=None, **settings):
        merged = dict(load_scenario(SCENARIOS / scenario, cluster).params) if scenario else {}
        merged.update(params or {})
        key = (
            tuple(sorted(merged.items())),
            tuple(sorted((k, repr(v)) for k, v in settings.items())),
        )
        if key not in cache:
            cache[key] = cluster.run(merged, **settings)
        return cache[key]

    return _simulate
