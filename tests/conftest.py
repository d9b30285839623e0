"""Shared fixtures and paths: the shared reference folder, the models, and cached runs.

The tests never touch the user's translation cache (``~/.cache/lifecycle``):
:func:`pytest_configure` points ``LIFECYCLE_CACHE`` at a temporary folder of the session
before anything is translated, and removes it at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import matplotlib
import pytest

from .paths import BASS_MODEL, LINEAR_MODEL, MAIN_MODEL, SCENARIOS, SHARED, TV_DATA

matplotlib.use("Agg")

_CACHE: dict[str, str] = {}


def pytest_configure(config):
    """A fresh translation cache for the session, outside the user's home."""
    _CACHE["previous"] = os.environ.get("LIFECYCLE_CACHE", "")
    _CACHE["dir"] = tempfile.mkdtemp(prefix="lifecycle-test-cache-")
    os.environ["LIFECYCLE_CACHE"] = _CACHE["dir"]


def pytest_unconfigure(config):
    shutil.rmtree(_CACHE.pop("dir", ""), ignore_errors=True)
    if _CACHE.get("previous"):
        os.environ["LIFECYCLE_CACHE"] = _CACHE["previous"]
    else:
        os.environ.pop("LIFECYCLE_CACHE", None)


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
def linear():
    """``tests/models/sa_linear.mdl``: Y(1) = X1 + 2 X2 + 3 X3, indices known analytically."""
    from lifecycle import load_model

    return load_model(LINEAR_MODEL)


@pytest.fixture(scope="session")
def bass():
    """The Bass diffusion model of the calibration examples."""
    from lifecycle import load_model

    return load_model(BASS_MODEL)


@pytest.fixture(scope="module")
def tv(bass):
    """US colour-TV sales 1963-1970 (``data/SOURCES.md``) as the Bass model's adoption rate,
    in model years (1962 = 0); one per test module, as calibration may hold on to it."""
    from lifecycle import read_data

    return read_data(
        TV_DATA,
        time_column="year",
        columns={"sales_thousand_units": "adoption rate"},
        time_offset=1962,
        model=bass,
    )


@pytest.fixture(scope="session")
def simulate(cluster):
    """``simulate(params=None, scenario=None)``: a cached run of the main model.

    Runs are cached by their full parameter set so that tests sharing a run (the baseline)
    pay for it once; every run starts from a fresh model state. Each call returns its own
    copy, so a test that edits its frame cannot change what the next test sees.

    The runs are the batch engine's (``engine="auto"``, what ``lifecycle run`` uses), a
    tenth of PySD's time; that it gives PySD's results to 1e-9 on every scenario, with
    changed constants and changed run settings, is tested once, in ``test_engines.py`` and
    ``test_engine_batch.py``, not again behind every behaviour test.
    """
    from lifecycle import load_scenario, run

    cache: dict = {}

    def _simulate(params=None, scenario=None, **settings):
        merged = dict(load_scenario(SCENARIOS / scenario, cluster).params) if scenario else {}
        merged.update(params or {})
        key = (
            tuple(sorted(merged.items())),
            tuple(sorted((k, repr(v)) for k, v in settings.items())),
        )
        if key not in cache:
            cache[key] = run(cluster, params=merged, engine="auto", **settings)
        return cache[key].copy()

    return _simulate


@pytest.fixture(scope="session")
def pysd_runs(cluster):
    """``pysd_runs(stem)``: PySD's run of ``scenarios/<stem>.toml``, every variable: the
    reference the batch engine is held to, made once for the session (PySD takes ~0.2 s a
    run). Each call returns its own copy."""
    from lifecycle import load_scenarios, run_scenarios

    scens = load_scenarios(sorted(SCENARIOS.glob("*.toml")), cluster)
    frames = run_scenarios(cluster, scens, engine="pysd")
    by_stem = {Path(s.path).stem: frames[s.name] for s in scens}

    def _run(stem: str):
        return by_stem[stem].copy()

    _run.stems = sorted(by_stem)
    return _run
