"""Paths the tests share (imported by ``conftest.py`` and by test modules; pytest advises
against importing ``conftest`` itself)."""

from __future__ import annotations

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
