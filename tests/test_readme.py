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


def layout_drawing() -> str:
    part = (ROOT / "README.md").read_text().split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```\n(.*?)```", part, flags=re.S)
    return block


def drawn(name: str, block: str) -> bool:
    """Whether the drawing names ``name`` itself, not as the tail of a longer name."""
    return re.search(rf"(?<![\w./]){re.escape(name)}", block) is not None


def test_the_layout_section_draws_every_module_and_subpackage_of_the_package():
    """Issue 9: the layout shows the design. Every module (``x.py``) and subpackage (``x/``)
    directly under ``lifecycle/`` is named in the README's drawing (the subpackages'
    private modules are described by their package's line)."""
    package = ROOT / "lifecycle"
    names = [p.name for p in package.glob("*.py") if p.name != "__main__.py"]
    names += [f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()]
    block = layout_drawing()
    missing = [n for n in sorted(names) if not drawn(n, block)]
    assert missing == []


def test_the_layout_check_sees_a_missing_module():
    block = "lifecycle/\n  _names.py   names\n  engines/    engines; limits.py checks\n"
    found = [n for n in ("_names.py", "limits.py", "engines/", "names.py", "checks/")
             if drawn(n, block)]  # fmt: skip
    assert found == ["_names.py", "limits.py", "engines/"]
