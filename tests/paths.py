"""Paths the tests share (imported by ``conftest.py`` and by test modules; pytest advises
against importing ``conftest`` itself)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCENARIOS = ROOT / "scenarios"
MODELS = ROOT / "models"
MAIN_MODEL = MODELS / "cluster_lifecycle.mdl"
BASS_MODEL = MODELS / "bass_diffusion.mdl"
TEST_MODELS = ROOT / "tests" / "models"
LINEAR_MODEL = TEST_MODELS / "sa_linear.mdl"
TV_DATA = ROOT / "data" / "bass_colour_tv_sales.csv"
DOCS = ROOT / "docs"


def load_docs_script(name: str):
    """Import ``docs/<name>.py`` (the scripts behind the documented figures) as a module."""
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
