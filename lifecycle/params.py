"""The parameter listing behind ``lifecycle params``: a table, CSV, or a TOML template."""

from __future__ import annotations

import io
import textwrap

import pandas as pd

from .model import Model
from .variables import _range, number, width

#: The class of a constant, from the first word of its comment (the model's convention):
#: policy levers and scenario switches, sourced, calibrated (to named data) or assumed.
CLASSES = {
    "policy lever:": "lever",
    "scenario:": "lever",
    "source:": "source",
    "calibrated:": "calibrated",
    "assumption:": "assumption",
}


def constant_class(comment: str) -> str:
    """``lever``, ``source``, ``calibrated`` or ``assumption``; ``""`` if the comment says none."""
    text = (comment or "").strip().lower()
    for prefix, cls in CLASSES.items():
        if text.startswith(prefix):
            return cls
    return ""


def params_frame(model: Model, search: str | None = None) -> pd.DataFrame:
    """Every settable constant: name, default, units, min, max, class, comment."""
    rows = [
        {
            "name": c.name,
            "default": c.default,
            "units": c.units,
            "min": c.low,
            "max": c.high,
            "class": constant_class(c.comment),
            "comment": c.comment,
        }
        for c in sorted(model.parameters.values(), key=lambda c: c.name.lower())
    ]
    df = pd.DataFrame(rows, columns=["name", "default", "units", "min", "max", "class", "comment"])
    if search:
        text = search.lower()
        keep = df["name"].str.lower().str.contains(text, regex=False) | df[
            "comment"
        ].str.lower().str.contains(text, regex=False)
        df = df[keep]
    return df.reset_index(drop=True)


def format_params(model: Model, *, search: str | None = None, fmt: str = "table") -> str:
    df = params_frame(model, search)
    if fmt == "csv":
        buf = io.StringIO()
        df.to_csv(buf, index=False)
        return buf.getvalue()
    if fmt == "toml":
        lines = [
            f"# Scenario template for {model.name}: uncomment and edit the constants to set.",
            'name = "my scenario"',
            'description = """What this scenario represents and what the model shows."""',
            '# extends = "baseline.toml"   # start from another scenario file',
            "",
            "[params]",
        ]
        for _, r in df.iterrows():
            lines.append("")
            for chunk in textwrap.wrap(r["comment"], 88) or [""]:
                lines.append(f"# {chunk}".rstrip())
            lines.append(f"# units: {r['units'] or '-'}; range {_range(r['min'], r['max'])}")
            lines.append(f'# "{r["name"]}" = {r["default"]:.15g}')  # exact, not 6 digits
        return "\n".join(lines) + "\n"
    if df.empty:
        return f"no constant of {model.name} matches '{search}'\n"
    return _table(df)


def _table(df: pd.DataFrame) -> str:
    """The table: name, default (every digit), units, range, and the comment wrapped to the
    terminal's width (:func:`~lifecycle.variables.width`, 80 when not a terminal). Nothing
    is cut: a name or unit wider than its column pushes what follows to the next line, and
    when the terminal leaves under 30 characters beside the columns, each comment goes on
    indented lines below its row."""
    total = width()
    rows = [
        (
            r["name"],
            number(r["default"]),
            r["units"] or "-",
            _range(r["min"], r["max"]),
            r["comment"],
        )
        for r in df.to_dict("records")
    ]
    name_w = min(40, max(len(r[0]) for r in rows))
    default_w = max(len("default"), *(len(r[1]) for r in rows))
    unit_w = min(24, max(len("units"), *(len(r[2]) for r in rows)))
    range_w = min(24, max(len("range"), *(len(r[3]) for r in rows)))
    cells = f"{'':{name_w}}  {'':>{default_w}}  {'':{unit_w}}  {'':{range_w}}  "
    beside = total - len(cells) >= 30
    indent = " " * (len(cells) if beside else 4)
    head = f"{'name':{name_w}}  {'default':>{default_w}}  {'units':{unit_w}}  {'range':{range_w}}"
    out = [head + "  comment" if beside else head.rstrip()]
    for name, default, units, rng, comment in rows:
        if len(name) > name_w:  # a long name on its own line, the columns below it
            out.append(name)
            name = ""
        first = f"{name:{name_w}}  {default:>{default_w}}  {units:{unit_w}}  {rng:{range_w}}  "
        lines = textwrap.wrap(comment, max(20, total - len(indent)), break_on_hyphens=False)
        if not beside or len(first) > len(cells):  # the comment starts below the row
            out.append(first.rstrip())
            first = indent
        lines = lines or [""]
        out.append((first + lines[0]).rstrip())
        out.extend(indent + line for line in lines[1:])
    return "\n".join(out) + "\n"
