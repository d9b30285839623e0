"""Figures of a calibration: the fit over the data's window, the posterior's pair plot.

Both return a :class:`matplotlib.figure.Figure` built without pyplot, never shown or saved.
"""

from __future__ import annotations

import textwrap

import numpy as np


# -- figures -------------------------------------------------------------------------------
def ratio(result):
    """``(name, numerator, times, values data, R²)`` of jobs per firm when both fitted.

    The ratio of a fitted ``person`` series to a fitted ``firm`` series at the times both
    are observed, with the model's ratio there; ``None`` unless both are fitted.
    """
    people = [s for s in result.series if s.units.strip().lower() in ("person", "persons")]
    firms = [s for s in result.series if s.units.strip().lower() in ("firm", "firms")]
    if not people or not firms:
        return None
    a, b = people[0], firms[0]
    common, ia, ib = np.intersect1d(a.times, b.times, return_indices=True)
    if common.size < 2:
        return None
    obs = a.observed[ia] / b.observed[ib]
    mod = result.predictions[a.variable][ia] / result.predictions[b.variable][ib]
    ss_tot = float(np.sum((obs - obs.mean()) ** 2))
    r2 = 1 - float(np.sum((obs - mod) ** 2)) / ss_tot if ss_tot > 0 else np.nan
    return (f"{a.variable} per {b.variable}", (a.variable, b.variable), common, obs, r2, mod)


def plot(result, *, title: str | None = None, others=(), labels=None, window: bool = True):
    """Data against the fitted run over the data's window, in calendar years.

    One panel per series with its residuals below, and a ratio panel (jobs per firm)
    when a ``person`` and a ``firm`` series are both fitted. ``others`` are further
    results of the same data to overlay (their labels from ``labels``); an MCMC result
    shades its 95 % posterior-predictive band. ``window=False`` draws the whole run.

    Returns
    -------
    matplotlib.figure.Figure
        Not shown and not saved: ``fig.savefig("fit.png")``.
    """
    from matplotlib.figure import Figure

    from ..plotting import plot_style

    fits = [result, *others]
    labels = list(labels or [])
    labels += [f"fit {i + 1}" if len(fits) > 1 else "model" for i in range(len(labels), len(fits))]
    ratio = result.ratio()
    n = len(result.series) + (ratio is not None)
    with plot_style():
        fig = Figure(figsize=(7.5, 3.4 * n), layout="constrained")
        grid = fig.add_gridspec(2 * n, 1, height_ratios=[3, 1] * n)
        t_lo = min(float(s.starts.min() if s.mode == "total" else s.times.min())
                   for s in result.series)  # fmt: skip
        t_hi = max(float(s.times.max()) for s in result.series)
        pad = 0.02 * (t_hi - t_lo or 1.0)
        panels = [(s, None) for s in result.series] + ([(None, ratio)] if ratio else [])
        for i, (s, rat) in enumerate(panels):
            ax = fig.add_subplot(grid[2 * i])
            res = fig.add_subplot(grid[2 * i + 1], sharex=ax)
            for j, (fit, label) in enumerate(zip(fits, labels, strict=True)):
                colour = f"C{j if j < 3 else j + 1}"  # C3 (red) is the data's
                if rat is not None:
                    t, obs = rat[2], rat[3]
                    mod = fit.ratio()[5] if fit.ratio() else None
                    if mod is not None:
                        ax.plot(t, mod, "-", marker=".", color=colour, label=label)
                    name = rat[0]
                else:
                    t, obs = s.times, s.observed
                    pred = fit.predictions[s.variable]
                    if s.mode == "total":
                        ax.plot(t, pred, "-", marker=".", color=colour,
                                label=f"{label}, {s.describe()}")  # fmt: skip
                    else:
                        run = fit.run_in_calendar()
                        if window:
                            run = run.loc[t_lo - pad : t_hi + pad]
                        ax.plot(run.index, run[s.variable], "-", color=colour, label=label)
                    if fit.bands and s.variable in fit.bands:
                        bt, lo, _, hi = fit.bands[s.variable]
                        ax.fill_between(bt, lo, hi, color=colour, alpha=0.2, lw=0,
                                        label="95% posterior predictive")  # fmt: skip
                    mod = pred
                    name = s.variable
                res.plot(t, obs - mod, "o-" if len(fits) > 1 else "o", color=colour, ms=3,
                         lw=0.6)  # fmt: skip
                if len(fits) == 1:
                    res.vlines(t, 0.0, obs - mod, color=colour, lw=0.8)
            ax.plot(t, obs, "o", color="C3", label="data" + (f" ({s.column})" if s else ""))
            r2 = rat[4] if rat is not None else result.r2[s.variable]
            ax.set_ylabel(name)
            ax.set_title(f"{name}: R² = {r2:.3f}" + (" (not fitted)" if rat else ""),
                         fontsize="medium")  # fmt: skip
            ax.legend(fontsize="small", frameon=False)
            res.axhline(0.0, color="0.5", lw=0.8)
            res.set_ylabel("data - model", fontsize="small")
            res.set_xlabel("year" if result.calendar else "time")
            if window:
                ax.set_xlim(t_lo - pad, t_hi + pad)
        values = ", ".join(f"{k} = {v:.4g}" for k, v in result.params.items())
        default = f"{getattr(result.model, 'name', 'model')} fitted: {values}"
        fig.suptitle(title or textwrap.fill(default, 90), fontsize="medium")
    return fig


def plot_posterior(result, *, title: str | None = None, max_points: int = 4000):
    """Pair plot of the posterior: histograms on the diagonal, samples below it."""
    from matplotlib.figure import Figure

    from ..plotting import plot_style

    if result.samples is None:
        from ..errors import CalibrationError

        raise CalibrationError("no posterior: fit with method='mcmc' for a pair plot")
    names = [p.name for p in result.fitted]
    k = len(names)
    S = result.samples[names]
    if len(S) > max_points:
        S = S.sample(max_points, random_state=0)
    with plot_style():
        fig = Figure(figsize=(2.3 * k + 1, 2.3 * k + 0.6), layout="constrained")
        axes = fig.subplots(k, k, squeeze=False)
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                ax = axes[i, j]
                if j > i:
                    ax.set_visible(False)
                    continue
                if i == j:
                    ax.hist(result.samples[a], bins=40, color="C0", alpha=0.8)
                    for q in result.ci[a]:
                        ax.axvline(q, color="C3", lw=0.8, ls="--")
                    ax.axvline(result.params[a], color="C3", lw=1.2)
                    ax.set_yticks([])
                else:
                    ax.plot(S[b], S[a], ".", ms=1.5, alpha=0.3, color="C0")
                    ax.plot(result.params[b], result.params[a], "+", color="C3", ms=10)
                if i == k - 1:
                    ax.set_xlabel(textwrap.fill(b, 18), fontsize="small")
                if j == 0 and i > 0:
                    ax.set_ylabel(textwrap.fill(a, 18), fontsize="small")
        fig.suptitle(
            title
            or f"posterior of {getattr(result.model, 'name', 'model')}: median (line, +) "
            "and 95 % interval (dashed)",
            fontsize="medium",
        )
    return fig
