"""Metrics of a check: one number per run from one variable's trajectory.

The syntax extends the sensitivity metrics (:func:`lifecycle.sensitivity.parse_metric`),
whose evaluation the shared kinds reuse:

===============================  ==========================================================
``Employment@40``, ``at(X, 40)``  the value at year 40 (linear interpolation between saves)
``peak(X)``, ``max(X)``           the largest value
``min(X)``                        the smallest value
``time_of_peak(X)``               the time of the largest value (``tpeak`` is the same)
``final(X)``, ``initial(X)``      the value at the final or the initial time
``mean(X)``                       the time-average over the whole run (trapezoid rule)
``peak/max/min/mean/time_of_peak(X, 20, 40)``  the same over the years 20 to 40
===============================  ==========================================================

Any metric takes ``scenario="file.toml"`` last: the value in that scenario (a path
relative to the check file), run on the same parameter draw as the check's own scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..metrics import Metric, interp_at

#: function name -> (canonical kind, takes a window)
FUNCTIONS: dict[str, tuple[str, bool]] = {
    "at": ("at", False),
    "peak": ("max", True),
    "max": ("max", True),
    "min": ("min", True),
    "time_of_peak": ("tpeak", True),
    "tpeak": ("tpeak", True),
    "final": ("final", False),
    "initial": ("initial", False),
    "mean": ("mean", True),
}
HELP = (
    "metrics: X@40, at(X, 40), peak(X), min(X), max(X), time_of_peak(X), final(X), "
    "initial(X), mean(X), and peak/min/max/mean/time_of_peak(X, t0, t1); any of them with "
    'scenario="other.toml" last'
)


@dataclass(frozen=True)
class CheckMetric:
    """One metric of a condition.

    Attributes
    ----------
    kind : ``at``, ``max``, ``min``, ``tpeak``, ``final``, ``initial`` or ``mean``.
    variable : the variable, in model spelling.
    start, end : the time of ``at``, or the window of a windowed metric (None: whole run).
    scenario : key of the run it reads (None: the check's own scenario).
    text : the metric as written in the check file.
    """

    kind: str
    variable: str
    start: float | None = None
    end: float | None = None
    scenario: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return self.text or self.kind

    def evaluate(self, ds: xr.Dataset) -> np.ndarray:
        """One value per run from ``ds`` (dims run, time); NaN where a run failed."""
        if self.kind == "at":
            return Metric("at", self.variable, self.start).evaluate(ds)
        if self.kind == "final":
            return Metric("final", self.variable).evaluate(ds)
        if self.kind == "initial":
            return ds[self.variable].transpose("run", "time").to_numpy()[:, 0].copy()
        t = ds["time"].to_numpy().astype(float)
        t0 = t[0] if self.start is None else self.start
        t1 = t[-1] if self.end is None else self.end
        if self.kind == "mean":
            return Metric("mean", self.variable, float(t0), float(t1)).evaluate(ds)
        if self.start is None and self.kind in ("max", "tpeak"):  # the sensitivity metrics
            return Metric("peak" if self.kind == "max" else "tpeak", self.variable).evaluate(ds)
        y = ds[self.variable].transpose("run", "time").to_numpy()
        inside = (t > t0) & (t < t1)
        tt = np.concatenate([[t0], t[inside], [t1]])
        yy = np.column_stack([interp_at(t, y, t0), y[:, inside], interp_at(t, y, t1)])
        if self.kind == "max":
            return yy.max(axis=1)
        if self.kind == "min":
            return yy.min(axis=1)
        return tt[np.argmax(yy, axis=1)]  # tpeak over the window


def brackets(text: str, start: int = 0) -> Iterator[tuple[int, str, int | None]]:
    """``(index, character, depth)`` of ``text`` from ``start`` on, the one scan of the
    conditions' brackets: ``depth`` is the bracket depth after the character (``(`` raises
    it, ``)`` lowers it), None inside quotes, the quote marks included; a last
    ``(len(text), "", None)`` when a quote is left open."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
            yield i, ch, None
            continue
        if ch in "'\"":
            quote = ch
            yield i, ch, None
            continue
        depth += (ch == "(") - (ch == ")")
        yield i, ch, depth
    if quote:
        yield len(text), "", None


def split_args(text: str) -> list[str] | None:
    """Split ``text`` at top-level commas (outside quotes and brackets); None if unbalanced."""
    parts, last, end = [], 0, 0
    for i, ch, depth in brackets(text):
        if depth is None:
            if i == len(text):
                return None  # a quote left open
            continue
        if depth < 0:
            return None
        if ch == "," and depth == 0:
            parts.append(text[last:i].strip())
            last = i + 1
        end = depth
    if end:
        return None
    parts.append(text[last:].strip())
    return parts


def number(text: str) -> float | None:
    """A plain number (``40``, ``-2.5``, ``1e3``), else None. No evaluation of anything else."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and text.strip().lower() not in ("nan", "inf") else None


def string(text: str) -> str | None:
    """The contents of a quoted string literal without escapes, else None."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        return text[1:-1]
    return None
