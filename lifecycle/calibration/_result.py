"""The result of :func:`lifecycle.calibrate`: fitted values, their uncertainty, the report.

Uncertainty of a least-squares fit comes from the linearisation at the optimum, as in
``scipy.optimize.curve_fit`` and lmfit: covariance ``s^2 (J^T J)^-1`` with ``J`` the
Jacobian of the weighted residuals and ``s^2`` their variance (``2 cost / (n - k)``); 95 %
intervals from Student's t with ``n - k`` degrees of freedom. Where such an interval would
cross a bound, a parametric bootstrap replaces it (refits of synthetic data sets, so every
interval lies inside the bounds). Dates (``STEP`` times) have no gradient and so no linear
interval. An MCMC fit reports the posterior instead: medians, 2.5-97.5 % quantiles, the
chain's autocorrelation time and acceptance fraction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._setup import Parameter, Series

__all__ = ["CalibrationResult"]

SHORT_CHAIN = 50  # a chain shorter than this many autocorrelation times is flagged (emcee)
ACCEPTANCE = (0.15, 0.7)  # acceptance fractions outside this range are flagged


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-" if x is None or np.isnan(x) else ("inf" if x > 0 else "-inf")
    if 1000 <= abs(x) < 10000:  # a year: 2004.75, not 2005
        return f"{x:.6g}"
    return f"{x:.4g}"


@dataclass(eq=False)
class CalibrationResult:
    """Fitted values with their uncertainty, in the style of scipy's ``OptimizeResult``.

    Attributes
    ----------
    params : dict
        Fitted value of each parameter (model spelling; dates in calendar years). For MCMC,
        the posterior median.
    stderr : dict
        Standard errors (``inf`` where the data cannot determine the value, ``nan`` for a
        date); for MCMC, the posterior sd.
    ci : dict
        95 % interval ``(low, high)`` of each fitted value; ``ci_method`` says how it was
        obtained (linear, bootstrap, posterior).
    correlation : pandas.DataFrame
        Correlation between the fitted parameters' estimates.
    cost : float
        Half the sum of squared weighted residuals at the reported values (scipy's).
    r2 : dict
        Coefficient of determination of each fitted series (model variable -> R²).
    success, message : bool, str
        Whether the optimiser reports convergence (false when it hit its iteration limit),
        and its message.
    nfev : int
        Number of model runs (all starts, Jacobians, bootstrap, MCMC and the final run).
    year_zero : float
        Calendar year at model time 0 (the data's time minus the model's).
    samples : pandas.DataFrame or None
        MCMC: the posterior samples after burn-in (one row a sample).
    tau, acceptance : MCMC diagnostics: integrated autocorrelation time of each parameter
        (in steps) and the mean acceptance fraction.
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
    fitted: list[Parameter] = field(default_factory=list)
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
    year_zero: float = 0.0
    setup: Any = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    ci_method: dict[str, str] = field(default_factory=dict)
    samples: pd.DataFrame | None = field(default=None, repr=False)
    tau: dict[str, float] | None = None
    acceptance: float | None = None
    chain_steps: int = 0
    walkers: int = 0
    chain_reliable: bool = True
    chain_runs: int = 0
    priors: list[str] = field(default_factory=list)
    sd: dict[str, float] | None = None
    bands: dict | None = field(default=None, repr=False)
    bootstrap: pd.DataFrame | None = field(default=None, repr=False)
    #: parameter -> its profile (value, refitted sum of squares, inside the 95 % interval)
    profiles: dict = field(default_factory=dict, repr=False)
    least_squares: dict[str, float] | None = None

    @classmethod
    def build(cls, *, model, series, fitted, x, jac, residuals, predictions, smooth=None, **kw):
        names = [p.name for p in fitted]
        n, k = residuals.size, len(fitted)
        smooth = np.ones(k, dtype=bool) if smooth is None else np.asarray(smooth, dtype=bool)
        cost = 0.5 * float(residuals @ residuals)
        dof = n - k
        s2 = 2.0 * cost / dof if dof > 0 else np.nan
        cov = np.full((k, k), np.nan)
        corr = np.full((k, k), np.nan)
        se = np.full(k, np.nan)
        js = jac[:, smooth]
        if js.shape[1]:
            sv = np.linalg.svd(js, compute_uv=False)
            singular = sv.min() <= 1e-10 * sv.max()
            inv = np.linalg.pinv(js.T @ js)
            sub = np.ix_(smooth, smooth)
            cov[sub] = s2 * inv
            se_s = np.sqrt(np.clip(np.diag(s2 * inv), 0.0, None))
            se[smooth] = np.inf if singular else se_s
            with np.errstate(invalid="ignore", divide="ignore"):
                d = np.sqrt(np.clip(np.diag(inv), 0.0, None))
                corr[sub] = inv / np.outer(d, d)  # scale-free: defined even for a perfect fit
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

    def add_posterior(self, samples: pd.DataFrame, chain) -> None:
        """Replace the point estimates with the posterior's (medians, quantiles, sd)."""
        names = [p.name for p in self.fitted]
        self.least_squares = dict(self.params)
        self.samples = samples
        for name in names:
            col = samples[name].to_numpy()
            lo, hi = np.percentile(col, [2.5, 97.5])
            self.ci[name] = (float(lo), float(hi))
            self.ci_method[name] = "posterior 2.5-97.5 %"
            self.stderr[name] = float(np.std(col))
        self.correlation = samples[names].corr()
        self.covariance = samples[names].cov()
        cols = list(samples.columns)
        self.tau = dict(zip(cols, map(float, chain.tau), strict=True))
        self.acceptance = float(np.mean(chain.acceptance))
        self.chain_steps, self.walkers = chain.chain.shape[0], chain.chain.shape[1]
        self.chain_reliable = chain.reliable
        self.chain_runs = chain.runs
        self.priors = list(chain.priors)
        if not chain.fit_sd:
            self.sd = {s.variable: float(v) for s, v in zip(self.series, chain.sd, strict=True)}
        else:
            self.sd = {
                s.variable: float(np.exp(np.median(samples[f"sd({s.variable})"])))
                for s in self.series
            }

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
            v, tol = self.params[p.name], 1e-3 * (p.max - p.min)
            if v - p.min <= tol or p.max - v <= tol:
                out.append(p.name)
        return out

    def diagnostics(self) -> list[str]:
        """Everything a user should know before trusting the fit, one message each.

        Identifiability, parameters on a bound, series the fit explains worse than their
        mean, a fit that did not converge, a short or badly mixing MCMC chain, and the
        notes of the set-up (dates fitted derivative-free, intervals replaced).
        """
        out = list(self.notes)
        out += self.warnings
        for name in self.at_bound():
            out.append(
                f"'{name}' ended on a bound; its interval is not reliable (widen the bounds "
                "if the model's range allows, or fix the constant)"
            )
        for series, r2 in self.r2.items():
            if np.isfinite(r2) and r2 < 0:
                out.append(
                    f"R² of {series} is {r2:.2f}: the fit explains less than the mean (try "
                    "other parameters, a spin-up, or a scenario)"
                )
        if not self.success:
            out.append(f"the fit did not converge: {self.message}")
        if self.tau is not None:
            worst = max(self.tau.values())
            if not self.chain_reliable:
                out.append(
                    f"the chain ({self.chain_steps} steps) is shorter than {SHORT_CHAIN} "
                    f"autocorrelation times (tau up to {worst:.1f} steps): run at least "
                    f"{int(np.ceil(SHORT_CHAIN * worst))} steps before trusting the intervals"
                )
            lo, hi = ACCEPTANCE
            if not lo <= self.acceptance <= hi:
                out.append(
                    f"acceptance fraction {self.acceptance:.2f} is outside [{lo}, {hi}]: the "
                    "walkers mix badly (a multimodal posterior, or bounds much wider than it)"
                )
        return list(dict.fromkeys(out))

    # -- the calendar ----------------------------------------------------------------------
    @property
    def calendar(self) -> bool:
        """Whether data time and model time differ (a time offset or a spin-up)."""
        return bool(self.year_zero)

    def run_in_calendar(self) -> pd.DataFrame:
        """The reported run indexed by calendar year."""
        df = self.run.copy()
        df.index = df.index + self.year_zero
        df.index.name = "year"
        return df

    def stages(self, variables=("Firms", "Employment")):
        """Life-cycle stages of the fitted run in calendar years (or ``None``)."""
        from ..stages import stage_sequence

        df = self.run_in_calendar()
        names = [v for v in variables if v in df.columns]
        if not names:
            return None
        return stage_sequence(df, names)

    # -- the report --------------------------------------------------------------------------
    def summary(self) -> str:
        """A readable table of the fit: parameters, intervals, series, correlations."""
        source = self.data.attrs.get("source") if self.data is not None else None
        n_obs = sum(s.times.size for s in self.series)
        lines = [
            f"Calibration of {getattr(self.model, 'name', 'model')}"
            + (f" to {Path(source).name}" if source else ""),
            f"method {self.method}, {n_obs} observations in {len(self.series)} series, "
            f"{len(self.fitted)} parameters, {self.nfev} model runs ({self.engine} engine), "
            f"TIME STEP {self.time_step:g}",
            f"success: {self.success} ({self.message})",
            f"weighted cost {self.cost:.6g}",
        ]
        if self.calendar:
            lines.append(self._calendar_line())
        lines.append("")
        if self.fitted:
            lines += self._parameter_table()
            lines.append("")
        w = max(len("series"), *(len(s.variable) for s in self.series))
        lines.append(f"{'series':<{w}}  {'n':>3}  {'R²':>7}  {'weight':>10}  compared as")
        for s in self.series:
            lines.append(
                f"{s.variable:<{w}}  {s.times.size:>3}  {self.r2[s.variable]:>7.4f}  "
                f"{s.weight:>10.4g}  {s.describe()}"
                + (f" (column '{s.column}')" if s.column != s.variable else "")
            )
        ratio = self.ratio()
        if ratio is not None:
            lines.append(f"{ratio[0]:<{w}}  {ratio[2].size:>3}  {ratio[4]:>7.4f}  (not fitted)")
        if self.tau is not None:
            lines += ["", self._chain_line()]
            if self.sd is not None:
                lines.append(
                    "error sd: "
                    + ", ".join(f"{k} {v:.4g}" for k, v in self.sd.items())
                    + (" (sampled)" if any(c.startswith("sd(") for c in self.samples) else
                       " (from the least-squares residuals)")
                )  # fmt: skip
        if len(self.fitted) > 1:
            lines += ["", "correlation of the estimates:"]
            lines += ["  " + line for line in self.correlation.round(3).to_string().splitlines()]
        if self.starts is not None and len(self.starts) > 1:
            costs = np.sort(self.starts["cost"].to_numpy())
            shown = ", ".join(f"{c:.6g}" for c in costs[:8])
            lines += [
                "",
                f"{len(costs)} starts, costs: {shown}" + (" ..." if costs.size > 8 else ""),
            ]
        stages = None
        try:
            stages = self.stages()
        except Exception:  # noqa: BLE001 (stages are a courtesy: never fail the report)
            stages = None
        if stages:
            years = " > ".join(f"{st.name} {st.start:.0f}-{st.end:.0f}" for st in stages)
            where = " (calendar years)" if self.calendar else ""
            lines += ["", f"stages of the fitted run{where}: {years}"]
        for msg in self.diagnostics():
            lines.append(f"warning: {msg}")
        return "\n".join(lines)

    def _calendar_line(self) -> str:
        text = f"calendar: model time 0 is {self.year_zero:.4g}"
        setup = self.setup
        if setup is not None and setup.state is not None:
            text += (
                f"; the runs start from the scenario's state at model time "
                f"{setup.state.time:.4g} ({setup.state.time + self.year_zero:.4g})"
            )
        elif setup is not None:
            start = setup.initial + self.year_zero
            spin = setup.first - start
            text += f"; the run starts in {start:.4g}, {spin:.4g} years before the first data"
        dates = sorted(setup.dates) if setup is not None else []
        if dates:
            text += f"; dates in calendar years: {', '.join(dates)}"
        return text

    def _parameter_table(self) -> list[str]:
        w = max(len("parameter"), *(len(p.name) for p in self.fitted))
        head = "median" if self.tau is not None else "value"
        lines = [
            f"{'parameter':<{w}}  {head:>10}  {'stderr':>10}  {'95% interval':>23}  "
            f"{'bounds':>21}  interval from"
        ]
        bound = set(self.at_bound())
        for p in self.fitted:
            lo, hi = self.ci[p.name]
            lines.append(
                f"{p.name:<{w}}  {_fmt(self.params[p.name]):>10}  {_fmt(self.stderr[p.name]):>10}"
                f"  {'[' + _fmt(lo) + ', ' + _fmt(hi) + ']':>23}"
                f"  {'[' + _fmt(p.min) + ', ' + _fmt(p.max) + ']':>21}"
                f"  {self.ci_method.get(p.name, 'linear')}"
                + ("  at a bound" if p.name in bound else "")
            )
        if self.least_squares is not None:
            lines.append(
                "least squares: "
                + ", ".join(f"{k} = {v:.4g}" for k, v in self.least_squares.items())
            )
        return lines

    def _chain_line(self) -> str:
        tau = ", ".join(f"{k} {v:.1f}" for k, v in self.tau.items())
        return (
            f"MCMC: {self.walkers} walkers x {self.chain_steps} steps ({self.chain_runs} model "
            f"runs), {len(self.samples)} samples after burn-in; acceptance fraction "
            f"{self.acceptance:.2f}; autocorrelation time (steps): {tau}"
            + ("" if self.chain_reliable else " (chain too short)")
            + (f"; priors from the uncertain file for {', '.join(self.priors)}" if self.priors
               else "; uniform priors within the bounds")
        )  # fmt: skip

    def __str__(self) -> str:
        return self.summary()

    # -- figures -------------------------------------------------------------------------------
    def ratio(self):
        """``(name, (numerator, denominator), times, data, R², model)`` of jobs per firm.

        The ratio of a fitted ``person`` series to a fitted ``firm`` series at the times both
        are observed; ``None`` unless both are fitted.
        """
        from ._figures import ratio

        return ratio(self)

    def plot(self, *, title: str | None = None, others=(), labels=None, window: bool = True):
        """Data against the fitted run over the data's window, in calendar years.

        One panel per series with its residuals below, and a ratio panel (jobs per firm)
        when a ``person`` and a ``firm`` series are both fitted. ``others`` are further
        results of the same data to overlay (their labels from ``labels``); an MCMC result
        shades its 95 % posterior-predictive band. ``window=False`` draws the whole run.
        Returns the figure, not shown and not saved: ``fig.savefig("fit.png")``.
        """
        from ._figures import plot

        return plot(self, title=title, others=others, labels=labels, window=window)

    def plot_posterior(self, *, title: str | None = None, max_points: int = 4000):
        """Pair plot of the posterior: histograms on the diagonal, samples below it."""
        from ._figures import plot_posterior

        return plot_posterior(self, title=title, max_points=max_points)

    def write_samples(self, path: str | os.PathLike) -> Path:
        """Write the posterior samples as CSV (one row a sample) and return the path."""
        if self.samples is None:
            from ..errors import CalibrationError

            raise CalibrationError("no posterior samples: fit with method='mcmc'")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.samples.to_csv(path, index_label="sample", float_format="%.10g")
        return path

    # -- carrying the fit on --------------------------------------------------------------
    def describe(self) -> str:
        """One paragraph on the fit, for the scenario file's description."""
        source = self.data.attrs.get("source") if self.data is not None else None
        what = "posterior median" if self.tau is not None else "fit"
        fits = "; ".join(
            f"{p} = {v:.4g} (95% {self.ci_method.get(p, 'linear')} interval "
            f"{_fmt(self.ci[p][0])} to {_fmt(self.ci[p][1])})"
            for p, v in self.params.items()
        )
        r2 = ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())
        calendar = (
            f" Model time 0 is the year {self.year_zero:.6g}; dates are written below in model "
            "time (year minus that)."
            if self.calendar
            else ""
        )
        return (
            f"Fitted by lifecycle.calibrate ({self.method}, TIME STEP {self.time_step:g}) to "
            f"{Path(source).name if source else 'data'}: {what} {fits}. R²: {r2}.{calendar}"
        )

    def constants(self) -> dict[str, float]:
        """Every constant the fit sets, in model time (what a scenario needs)."""
        setup = self.setup
        if setup is None:
            return dict(self.fixed) | dict(self.params)
        values = {p.name: p.value for p in setup.held} | dict(self.params)
        consts, _ = setup.constants(values)
        return {k: float(np.ravel(v)[0]) for k, v in consts.items()}

    def to_scenario(self, path: str | os.PathLike, *, name: str | None = None) -> Path:
        """Write a TOML scenario with the fitted values (the posterior median for MCMC) and
        the fixed ones, and return its path.

        Scenarios run in model time, so a date is written as the year minus ``year_zero``
        with the calendar year beside it in a comment; the intervals and the calendar are
        recorded in the description and the header.
        """
        from ._export import to_scenario

        return to_scenario(self, path, name=name)
