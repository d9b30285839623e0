"""The README's Python snippet runs as written (from a folder holding the repo's inputs)."""

from __future__ import annotations

import contextlib
import io
import math
import re

from lifecycle import load_model, load_scenario

from .paths import BASS_MODEL, ROOT


def python_blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    part = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", part, flags=re.S)


def test_the_in_python_snippet_runs_and_writes_its_fitted_scenario(tmp_path, monkeypatch):
    (block,) = python_blocks("In Python")
    for name in ("models", "scenarios", "data"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)  # the snippet's relative paths; its output lands here
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md (In Python)", "exec"), {"__name__": "readme"})
    printed = out.getvalue().splitlines()
    ratio = float(printed[0])
    assert math.isfinite(ratio) and ratio > 0
    assert "innovation coefficient" in out.getvalue()
    fitted = load_scenario(tmp_path / "fitted_bass.toml", load_model(BASS_MODEL))
    assert set(fitted.params) >= {"innovation coefficient", "imitation coefficient"}
