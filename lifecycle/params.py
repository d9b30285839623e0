"""The parameter listing behind ``lifecycle params``: a table, CSV, or a TOML template."""

from __future__ import annotations

import io
import textwrap

import pandas as pd

from .model import Model

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


def _range(low, high) -> str:
    lo = "-inf" if low is None or pd.isna(low) else f"{low:g}"
    hi = "inf" if high is None or pd.isna(high) else f"{high:g}"
    return f"[{lo}, {hi}]"


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
    out = [f"{'name':38} {'default':>10} {'units':14} {'range':18} comment"]
    for _, r in df.iterrows():
        comment = textwrap.shorten(r["comment"], 60, placeholder="...")
        out.append(
            f"{r['name']:38} {r['default']:>10g} {r['units'][:14]:14} "
            f"{_range(r['min'], r['max']):18} {comment}"
        )
    return "\n".join(out) + "\n"
