"""The listing behind ``lifecycle vars`` and ``lifecycle params NAME``: every variable of a
model with its kind, units, range and comment, never truncated."""

from __future__ import annotations

import math
import shutil
import textwrap

import pandas as pd

from .model import CONTROL, Model

KINDS = ("stock", "flow", "auxiliary", "constant", "lookup", "setting")


def _limit(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def number(x: float) -> str:
    """The shortest of ``%g`` with 6 to 17 significant digits that reads back as ``x``:
    ``0.12``, ``1e+08``, ``12345678``, ``0.123456789`` (``%g`` alone cuts to 6 digits)."""
    for digits in range(6, 18):
        text = f"{x:.{digits}g}"
        if float(text) == x:
            return text
    return repr(float(x))


def _range(low, high) -> str:
    lo = "-inf" if low is None or pd.isna(low) else number(low)
    hi = "inf" if high is None or pd.isna(high) else number(high)
    return f"[{lo}, {hi}]"


def variables_frame(model: Model, search: str | None = None) -> pd.DataFrame:
    """Every variable of ``model``: name, kind (stock, flow, auxiliary, constant, lookup,
    setting), units, min, max, comment; ``search`` keeps those whose name or comment
    contains it (case-insensitive)."""
    stocks, flows = set(model.stocks), set(model.flows)
    rows = []
    for r in model.doc.to_dict("records"):
        name = str(r["Real Name"])
        if name in CONTROL:
            kind = "setting"
        elif name in stocks:
            kind = "stock"
        elif name in flows:
            kind = "flow"
        elif r["Type"] == "Constant":
            kind = "constant"
        elif r["Type"] == "Lookup" or str(r.get("Subtype", "")).lower().startswith("lookup"):
            kind = "lookup"
        else:
            kind = "auxiliary"
        limits = r.get("Limits")
        low, high = limits if isinstance(limits, tuple) and len(limits) == 2 else (None, None)
        rows.append(
            {
                "name": name,
                "kind": kind,
                "units": r["Units"] if isinstance(r["Units"], str) else "",
                "min": _limit(low),
                "max": _limit(high),
                "comment": " ".join(str(r["Comment"] or "").split())
                if isinstance(r["Comment"], str)
                else "",
            }
        )
    df = pd.DataFrame(rows, columns=["name", "kind", "units", "min", "max", "comment"])
    df = df.sort_values("name", key=lambda s: s.str.lower(), ignore_index=True)
    if search:
        text = search.lower()
        keep = df["name"].str.lower().str.contains(text, regex=False) | df[
            "comment"
        ].str.lower().str.contains(text, regex=False)
        df = df[keep].reset_index(drop=True)
    return df


def width() -> int:
    """The terminal's width (80 when not a terminal), at least 60."""
    return max(60, shutil.get_terminal_size((80, 24)).columns)


def format_variables(model: Model, *, search: str | None = None, fmt: str = "table") -> str:
    """``vars`` output: a table whose comments wrap to the terminal (nothing cut), or CSV."""
    df = variables_frame(model, search)
    if fmt == "csv":
        return df.to_csv(index=False)
    if df.empty:
        return f"no variable of {model.name} matches '{search}'\n"
    name_w = min(40, max(len(n) for n in df["name"]))
    unit_w = min(24, max([5, *(len(u) for u in df["units"])]))
    head = f"{'name':{name_w}}  {'kind':9}  {'units':{unit_w}}  {'range':16}  "
    indent = " " * len(head)
    out = [head + "comment"]
    for r in df.to_dict("records"):
        first = (
            f"{r['name']:{name_w}}  {r['kind']:9}  {r['units']:{unit_w}}  "
            f"{_range(r['min'], r['max']):16}  "
        )
        if len(first) > len(head):  # a long name or unit: the comment starts below
            out.append(first.rstrip())
            first = indent
        lines = textwrap.wrap(r["comment"], max(20, width() - len(indent))) or [""]
        out.append((first + lines[0]).rstrip())
        out.extend(indent + line for line in lines[1:])
    return "\n".join(out) + "\n"


def describe(model: Model, name: str) -> str:
    """Everything known about one variable, in full, wrapped to the terminal."""
    real = model.resolve(name)
    row = variables_frame(model).set_index("name").loc[real]
    lines = [real, f"  kind:    {row['kind']}", f"  units:   {row['units'] or '-'}"]
    if real in model.constants:
        lines.append(f"  default: {model.constants[real].default:.15g}")
    lines.append(f"  range:   {_range(row['min'], row['max'])}")
    wrapped = textwrap.wrap(row["comment"], max(20, width() - 11)) or ["-"]
    lines.append(f"  comment: {wrapped[0]}")
    lines.extend("           " + w for w in wrapped[1:])
    return "\n".join(lines) + "\n"
