"""Carrying a fit on: the fitted scenario file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ._setup import SPIN_UP


def to_scenario(result, path: str | os.PathLike, *, name: str | None = None) -> Path:
    """Write a TOML scenario with the fitted values (the posterior median for MCMC) and
    the fixed ones, and return its path.

    With a calendar (``result.calendar``), the file has a ``[calendar]`` table (the year of
    model time 0) and dates are written in calendar years, so ``lifecycle run`` reports
    the fitted run in calendar years; the intervals are recorded in the description and
    the header.
    """
    path = Path(path)
    source = result.data.attrs.get("source") if result.data is not None else None
    name = (
        name
        or f"{Path(result.model.name).stem} fitted to {Path(source).stem if source else 'data'}"
    )
    lines = ["# " + line if line else "#" for line in result.summary().splitlines()]
    state = result.setup.state if result.setup is not None else None
    if state is not None:
        lines += [
            "#",
            f"# NOTE: these values were fitted from the state of another scenario at model time "
            f"{state.time:g}; run them from that state (lifecycle calibrate --evaluate --start "
            "SCENARIO@TIME, or start= in Python): from INITIAL TIME they act over the history too",
        ]
    lines += ["", f"name = {_toml_str(name)}", f"description = {_toml_str(result.describe())}"]
    model_path = getattr(result.model, "path", None)
    if model_path is not None:
        rel = os.path.relpath(Path(model_path).resolve(), path.resolve().parent)
        lines.append(f"model = {_toml_str(Path(rel).as_posix())}")
    lines += ["", "[params]"]
    dates = set()
    if result.setup is not None:
        for p, group in result.setup.members.items():
            if p in result.setup.dates:
                dates.update(c for c, _ in group)
    if result.calendar:  # dates as years; lifecycle run then reports calendar years
        lines[-1:] = ["[calendar]", f"year_zero = {float(result.year_zero)!r}", "", "[params]"]
    for k, v in result.constants().items():
        if k in dates and result.calendar:
            v = v + result.year_zero
            lines.append(
                f"{_toml_str(k)} = {float(v)!r}  # the year (model time {v - result.year_zero:.6g})"
            )
        else:
            lines.append(f"{_toml_str(k)} = {float(v)!r}")
    lines += ["", "[run]", f"time_step = {float(result.time_step)!r}"]
    final = result.final_time
    if result.setup is not None and (result.setup.spin_up is not None or SPIN_UP in result.params):
        final = max(float(final or 0.0), float(result.setup.last - result.year_zero))
    if final is not None:
        lines.append(f"final_time = {float(final)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(str(text), ensure_ascii=False)
