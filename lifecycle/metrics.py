"""Scalar metrics of trajectories: what a sensitivity analysis measures.

A metric turns each run's trajectory into one number:

==========================  ===========================================================
``Employment@40``           the value at year 40 (linear interpolation between saves)
``peak(Firms)``             the largest value
``tpeak(Firms)``            the time of the largest value (the first, if it repeats)
``final(Firms)``            the value at the final time
``mean(Firms, 20, 40)``     the time-average from year 20 to 40 (trapezoid rule)
==========================  ===========================================================

Times are checked against the model file's own horizon (its INITIAL and FINAL TIME, or the
scenario's final time), never against PySD's live controls, which keep the last run's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .errors import LifecycleError, MetricError

KINDS = ("at", "peak", "tpeak", "final", "mean")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_FUNC = re.compile(r"^\s*([A-Za-z]+)\s*\((.*)\)\s*$")
_AT = re.compile(r"^\s*(.+?)\s*@\s*(" + _NUM + r")\s*$")
_HELP = 'write "Var@40", "peak(Var)", "tpeak(Var)", "final(Var)" or "mean(Var, 20, 40)"'


@dataclass(frozen=True)
class Metric:
    """A scalar summary of one variable's trajectory (see the module docstring)."""

    kind: str
    variable: str
    start: float | None = None
    end: float | None = None

    @property
    def text(self) -> str:
        if self.kind == "at":
            return f"{self.variable}@{self.start:g}"
        if self.kind == "mean":
            return f"mean({self.variable}, {self.start:g}, {self.end:g})"
        return f"{self.kind}({self.variable})"

    def __str__(self) -> str:
        return self.text

    def evaluate(self, ds: xr.Dataset) -> np.ndarray:
        """One value per run from ``ds`` (dims run, time)."""
        y = ds[self.variable].transpose("run", "time").to_numpy()
        t = ds["time"].to_numpy().astype(float)
        if self.kind == "final":
            return y[:, -1].copy()
        if self.kind == "peak":
            return y.max(axis=1)
        if self.kind == "tpeak":
            return t[np.argmax(y, axis=1)]
        if self.kind == "at":
            return interp_at(t, y, self.start)
        inside = (t > self.start) & (t < self.end)
        tt = np.concatenate([[self.start], t[inside], [self.end]])
        yy = np.column_stack([interp_at(t, y, self.start), y[:, inside], interp_at(t, y, self.end)])
        return np.trapezoid(yy, tt, axis=1) / (self.end - self.start)


def interp_at(t: np.ndarray, y: np.ndarray, at: float) -> np.ndarray:
    """Each row of ``y`` (sampled at times ``t``) linearly interpolated at the time ``at``."""
    return interp_rows(np.array([float(at)]), t, y)[:, 0]


def interp_rows(x: np.ndarray, grid: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``Y`` (on ``grid``) at ``x``.

    ``x`` holds the same points for every row (shape ``(m,)``) or its own per row
    (``(rows, m)``); a point within 1e-9 of a grid time takes that time's value exactly.
    The one interpolation of metrics, check files and calibration's residuals.

    >>> t = np.array([0.0, 1.0, 2.0])
    >>> Y = np.array([[0.0, 10.0, 20.0], [1.0, 1.0, 3.0]])
    >>> interp_rows(np.array([0.5, 2.0]), t, Y)
    array([[ 5., 20.],
           [ 1.,  3.]])
    >>> interp_rows(np.array([[0.25], [1.5]]), t, Y)  # a time of its own per row
    array([[2.5],
           [2. ]])
    """
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    w = (x - grid[i]) / (grid[i + 1] - grid[i])
    w = np.where(np.isclose(x, grid[i], rtol=0, atol=1e-9), 0.0, w)
    if np.ndim(x) == 1:
        return Y[:, i] * (1 - w) + Y[:, i + 1] * w
    rows = np.arange(Y.shape[0])[:, None]
    return Y[rows, i] * (1 - w) + Y[rows, i + 1] * w


def parse_metric(text: str, model, *, horizon: tuple[float, float] | None = None) -> Metric:
    """Parse one metric such as ``"peak(Firms)"``; names resolve in any spelling.

    Raises :class:`MetricError` for malformed text, unknown variables (with suggestions) and
    times outside ``horizon`` (initial, final).
    """
    m_func, m_at = _FUNC.match(text), _AT.match(text)
    if m_func:
        kind = m_func.group(1).lower()
        args = [a.strip() for a in m_func.group(2).split(",")]
        if kind not in KINDS or kind == "at":
            raise MetricError([f"metric {text!r}: unknown function '{m_func.group(1)}'; {_HELP}"])
        want = 3 if kind == "mean" else 1
        if len(args) != want or not all(args):
            raise MetricError(
                [f"metric {text!r}: {kind}() takes {want} argument{'s' * (want > 1)}; {_HELP}"]
            )
        times = args[1:]
    elif m_at:
        kind, args, times = "at", [m_at.group(1)], [m_at.group(2)]
    else:
        raise MetricError([f"metric {text!r} is malformed; {_HELP}"])
    try:
        values = [float(x) for x in times]
    except ValueError:
        raise MetricError([f"metric {text!r}: times must be numbers; {_HELP}"]) from None
    try:
        variable = model.resolve(args[0])
    except LifecycleError as exc:
        raise MetricError([f"metric {text!r}: {exc}"]) from None
    metric = Metric(kind, variable, *values)
    if kind == "mean" and not values[0] < values[1]:
        raise MetricError([f"metric {text!r}: the period must run forward (start < end)"])
    if horizon is not None:
        lo, hi = horizon
        for v in values:
            if not (lo <= v <= hi and math.isfinite(v)):
                raise MetricError(
                    [f"metric {text!r}: time {v:g} is outside the simulation [{lo:g}, {hi:g}]"]
                )
    return metric


def parse_metrics(texts: Sequence[str | Metric], model, scenario=None) -> list[Metric]:
    """Parse several metrics, reporting every problem at once."""
    if isinstance(texts, str | Metric):
        texts = [texts]
    if not texts:
        raise MetricError([f"no metric given; {_HELP}"])
    horizon = model.horizon(scenario)
    out, problems = [], []
    for t in texts:
        try:
            out.append(t if isinstance(t, Metric) else parse_metric(t, model, horizon=horizon))
        except MetricError as exc:
            problems += exc.messages
    if problems:
        raise MetricError(problems)
    return out
