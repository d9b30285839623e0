"""The result of :func:`lifecycle.calibrate`: fitted values, their uncertainty, the fit.

Uncertainty comes from the linearisation at the optimum, as in ``scipy.optimize.curve_fit``
and lmfit: covariance ``s^2 (J^T J)^-1`` with ``J`` the Jacobian of the weighted residuals
and ``s^2`` their variance (``2 cost / (n - k)``); 95 % intervals from Student's t with
``n - k`` degrees of freedom. Bounds are ignored there: an estimate on a bound is flagged.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CalibrationResult", "FitParameter", "Series"]

MODES = {
    "level": "value at the data's times",
    "rate": "rate at the data's times",
    "total": "total over each period",
}


@dataclass(frozen=True)
class FitParameter:
    """A constant being fitted: its bounds and starting value."""

    name: str
    low: float
    high: float
    initial: float
    vary: bool = True


@dataclass(frozen=True, eq=False)
class Series:
    """One observed series and how it is compared with the model."""

    column: str
    variable: str
    mode: str  # "level", "rate" or "total"
    times: np.ndarray  # model times of the non-missing observations
    starts: np.ndarray  # for "total": start of the period that ends at each time
    observed: np.ndarray
    weight: float

    def describe(self) -> str:
        if self.mode != "total":
            return MODES[self.mode]
        lengths = np.unique(np.round(self.times - self.starts, 9))
        if lengths.size == 1:
            return f"total over each period of {lengths[0]:g}"
        return "total since the previous observation"


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-" if x is None or np.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.4g}"


@dataclass(eq=False)
class CalibrationResult:
    """Fitted values with their uncertainty, in the style of scipy's ``OptimizeResult``.

    Attributes
    ----------
    params : dict
        Fitted value of each constant (model spelling).
    stderr : dict
        Standard errors (``inf`` where the data cannot determine the value).
    ci : dict
        95 % confidence interval ``(low, high)`` of each fitted value.
    correlation : pandas.DataFrame
        Correlation between the fitted parameters' estimates.
    cost : float
        Half the sum of squared weighted residuals at the optimum (scipy's convention).
    r2 : dict
        Coefficient of determination of each fitted series (model variable -> R²).
    success, message : bool, str
        Whether the optimiser reports convergence, and its message.
    nfev : int
        Number of model runs the fit made (all starts, Jacobians and the final run).
    """

    params: dict[str, float]
    stderr: dict[str, float]
    ci: dict[str, tuple[float, float]]
    correlation: pd.DataFrame
    cost: float
    r2: dict[str, float]
    success: bool
    message: str
    nfev: int
    method: str = "least_squares"
    engine: str = "pysd"
    covariance: pd.DataFrame | None = None
    dof: int = 0
    fitted: list[FitParameter] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    fixed: dict[str, float] = field(default_factory=dict)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    residuals: np.ndarray | None = None
    run: pd.DataFrame | None = None
    starts: pd.DataFrame | None = None
    time_step: float | None = None
    final_time: float | None = None
    model: Any = field(default=None, repr=False)
    data: pd.DataFrame | None = field(default=None, repr=False)
    scenario: Any = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, *, model, series, fitted, x, jac, residuals, predictions, **kw):
        names = [p.name for p in fitted]
        n, k = residuals.size, len(fitted)
        cost = 0.5 * float(residuals @ residuals)
        dof = n - k
        s2 = 2.0 * cost / dof if dof > 0 else np.nan
        sv = np.linalg.svd(jac, compute_uv=False) if jac.size else np.zeros(0)
        singular = sv.size == 0 or sv.min() <= 1e-10 * sv.max()
        inv = np.linalg.pinv(jac.T @ jac)
        cov = s2 * inv
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        if singular:
            se = np.full(k, np.inf)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.sqrt(np.clip(np.diag(inv), 0.0, None))
            corr = inv / np.outer(d, d)  # scale-free: defined even for a perfect fit
        np.fill_diagonal(corr, 1.0)
        tq = stats.t.ppf(0.975, dof) if dof > 0 else np.nan
        r2 = {}
        for s, p in zip(series, predictions, strict=True):
            ss_tot = float(np.sum((s.observed - s.observed.mean()) ** 2))
            ss_res = float(np.sum((s.observed - p) ** 2))
            r2[s.variable] = 1.0 - ss_res / ss_tot if ss_tot > 0 else np.nan
        return cls(
            params=dict(zip(names, map(float, x), strict=True)),
            stderr=dict(zip(names, map(float, se), strict=True)),
            ci={
                m: (float(v - tq * e), float(v + tq * e))
                for m, v, e in zip(names, x, se, strict=True)
            },
            correlation=pd.DataFrame(corr, index=names, columns=names),
            covariance=pd.DataFrame(cov, index=names, columns=names),
            cost=cost,
            r2=r2,
            dof=dof,
            model=model,
            series=series,
            fitted=fitted,
            residuals=residuals,
            predictions={s.variable: p for s, p in zip(series, predictions, strict=True)},
            **kw,
        )

    # -- judging the fit ---------------------------------------------------------------
    def identifiability(self, threshold: float = 0.95) -> list[str]:
        """Messages for the pairs of parameters the data cannot separate."""
        names = list(self.correlation.index)
        out = []
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                r = self.correlation.loc[a, b]
                if np.isfinite(r) and abs(r) > threshold:
                    out.append(
                        f"the data cannot separate '{a}' and '{b}' (correlation of their "
                        f"estimates {r:+.3f}): hold one fixed, or add data that tells them apart"
                    )
        self.warnings = out
        return out

    def at_bound(self) -> list[str]:
        """Parameters whose fitted value sits on (within 0.1 % of) a bound."""
        out = []
        for p in self.fitted:
            v, tol = self.params[p.name], 1e-3 * (p.high - p.low)
            if v - p.low <= tol or p.high - v <= tol:
                out.append(p.name)
        return out

    def summary(self) -> str:
        """A readable table of the fit: parameters, intervals, series, correlations."""
        source = self.data.attrs.get("source") if self.data is not None else None
        lines = [
            f"Calibration of {getattr(self.model, 'name', 'model')}"
            + (f" to {Path(source).name}" if source else ""),
            f"method {self.method}, {sum(s.times.size for s in self.series)} observations in "
            f"{len(self.series)} series, {len(self.fitted)} parameters, {self.nfev} model runs "
            f"({self.engine} engine), "
            f"TIME STEP {self.time_step:g}",
            f"success: {self.success} ({self.message})",
            f"weighted cost {self.cost:.6g}",
            "",
        ]
        w = max(len("parameter"), *(len(p.name) for p in self.fitted))
        lines.append(
            f"{'parameter':<{w}}  {'value':>10}  {'stderr':>10}  {'95% CI':>23}  {'bounds':>21}"
        )
        bound = set(self.at_bound())
        for p in self.fitted:
            lo, hi = self.ci[p.name]
            lines.append(
                f"{p.name:<{w}}  {_fmt(self.params[p.name]):>10}  {_fmt(self.stderr[p.name]):>10}"
                f"  {'[' + _fmt(lo) + ', ' + _fmt(hi) + ']':>23}"
                f"  {'[' + _fmt(p.low) + ', ' + _fmt(p.high) + ']':>21}"
                + ("  at a bound" if p.name in bound else "")
            )
        lines.append("")
        w = max(len("series"), *(len(s.variable) for s in self.series))
        lines.append(f"{'series':<{w}}  {'n':>3}  {'R²':>7}  {'weight':>10}  compared as")
        for s in self.series:
            lines.append(
                f"{s.variable:<{w}}  {s.times.size:>3}  {self.r2[s.variable]:>7.4f}  "
                f"{s.weight:>10.4g}  {s.describe()}"
                + (f" (column '{s.column}')" if s.column != s.variable else "")
            )
        if len(self.fitted) > 1:
            lines += ["", "correlation of the estimates:"]
            lines += ["  " + line for line in self.correlation.round(3).to_string().splitlines()]
        if self.starts is not None and len(self.starts) > 1:
            costs = np.sort(self.starts["cost"].to_numpy())
            lines += ["", f"{len(costs)} starts, costs: " + ", ".join(f"{c:.6g}" for c in costs)]
        for msg in self.warnings:
            lines.append(f"warning: {msg}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # -- the figure ----------------------------------------------------------------------
    def plot(self, *, title: str | None = None):
        """Data against the fitted run, one panel per series with its residuals below.

        Returns
        -------
        matplotlib.figure.Figure
            Not shown and not saved: ``fig.savefig("fit.png")``.
        """
        from matplotlib.figure import Figure

        offset = float(self.data.attrs.get("time_offset", 0.0)) if self.data is not None else 0.0
        n = len(self.series)
        fig = Figure(figsize=(7.5, 3.6 * n), layout="constrained")
        grid = fig.add_gridspec(2 * n, 1, height_ratios=[3, 1] * n)
        for i, s in enumerate(self.series):
            ax = fig.add_subplot(grid[2 * i])
            res = fig.add_subplot(grid[2 * i + 1], sharex=ax)
            t = s.times + offset
            pred = self.predictions[s.variable]
            if s.mode == "total":
                ax.plot(t, pred, "-", marker=".", color="C0", label=f"model, {s.describe()}")
            else:
                ax.plot(
                    self.run.index + offset, self.run[s.variable], "-", color="C0", label="model"
                )
            ax.plot(t, s.observed, "o", color="C3", label=f"data ({s.column})")
            ax.set_ylabel(s.variable)
            ax.set_title(f"{s.variable}: R² = {self.r2[s.variable]:.3f}", fontsize="medium")
            ax.legend(fontsize="small", frameon=False)
            res.axhline(0.0, color="0.5", lw=0.8)
            res.vlines(t, 0.0, s.observed - pred, color="C3")
            res.plot(t, s.observed - pred, "o", color="C3", ms=3)
            res.set_ylabel("data - model", fontsize="small")
            res.set_xlabel("year" if offset else "time")
        values = ", ".join(f"{k} = {v:.4g}" for k, v in self.params.items())
        default = f"{getattr(self.model, 'name', 'model')} fitted: {values}"
        fig.suptitle(title or textwrap.fill(default, 90), fontsize="medium")
        return fig

    # -- carrying the fit on --------------------------------------------------------------
    def describe(self) -> str:
        """One paragraph on the fit, for the scenario file's description."""
        source = self.data.attrs.get("source") if self.data is not None else None
        fits = "; ".join(
            f"{p} = {v:.4g} (95% CI {self.ci[p][0]:.4g} to {self.ci[p][1]:.4g})"
            for p, v in self.params.items()
        )
        r2 = ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())
        return (
            f"Fitted by lifecycle.calibrate ({self.method}, TIME STEP {self.time_step:g}) to "
            f"{Path(source).name if source else 'data'}: {fits}. R²: {r2}."
        )

    def to_scenario(self, path: str | os.PathLike, *, name: str | None = None) -> Path:
        """Write a TOML scenario with the fitted values (and the fixed ones) and return its path."""
        path = Path(path)
        source = self.data.attrs.get("source") if self.data is not None else None
        name = (
            name
            or f"{Path(self.model.name).stem} fitted to {Path(source).stem if source else 'data'}"
        )
        lines = ["# " + line if line else "#" for line in self.summary().splitlines()]
        lines += ["", f"name = {_toml_str(name)}", f"description = {_toml_str(self.describe())}"]
        model_path = getattr(self.model, "path", None)
        if model_path is not None:
            rel = os.path.relpath(Path(model_path).resolve(), path.resolve().parent)
            lines.append(f"model = {_toml_str(Path(rel).as_posix())}")
        lines += ["", "[params]"]
        values = dict(self.fixed)
        values.update(self.params)
        lines += [f"{_toml_str(k)} = {float(v)!r}" for k, v in values.items()]
        lines += ["", "[run]", f"time_step = {float(self.time_step)!r}"]
        if self.final_time is not None:
            lines.append(f"final_time = {float(self.final_time)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _toml_str(text: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(str(text), ensure_ascii=False)
