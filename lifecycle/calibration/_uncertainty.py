"""Uncertainty: each series' error sd, the parametric bootstrap, MCMC priors and bands."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._names import canonical
from ..errors import CalibrationError
from . import _optimise as opt
from ._objective import Objective
from ._setup import Setup


def series_sd(obj: Objective, residuals_raw: np.ndarray, k: int) -> np.ndarray:
    """Error sd of each series from the fit's residuals (degrees of freedom shared out)."""
    out, i = [], 0
    n = obj.n
    for s in obj.series:
        e = residuals_raw[i : i + s.times.size]
        i += s.times.size
        dof = max(s.times.size - k * s.times.size / n, 1.0)
        sd = math.sqrt(float(e @ e) / dof)
        out.append(sd if sd > 0 else 1e-9 * (abs(float(np.mean(s.observed))) or 1.0))
    return np.array(out)


def bootstrap(obj: Objective, x: np.ndarray, frozen, n: int, seed) -> np.ndarray:
    """Parametric bootstrap: refit ``n`` synthetic data sets (fit + Gaussian noise of each
    series' residual sd) in lockstep from the fit; returns the estimates (n, k)."""
    P, _ = obj.prediction_matrix(x[None, :])
    pred = P[0]
    sd = series_sd(obj, obj.observed - pred, len(x))
    sizes = [s.times.size for s in obj.series]
    sig = np.repeat(sd, sizes)
    rng = np.random.default_rng(seed)
    synthetic = pred[None, :] + sig[None, :] * rng.standard_normal((n, pred.size))
    u = np.repeat(obj.to_u(x)[None, :], n, axis=0)
    lock = opt.lockstep(obj, u, observed=synthetic, frozen=frozen, max_iter=25)
    return obj.to_x(lock.U)


def log_prior_of(setup: Setup, obj: Objective, priors, model):
    """Uniform within the bounds, or an uncertain file's (truncated) distributions."""
    lows, highs = obj.low, obj.low + obj.span
    dists = {}
    if priors is not None:
        from ..uncertain import UncertainSpec, load_uncertain

        spec = priors if isinstance(priors, UncertainSpec) else load_uncertain(priors, model)
        names = [p.name for p in obj.fitted]
        for u in spec.params:
            if u.name in names:
                dists[names.index(u.name)] = u.frozen()
        unknown = [u.name for u in spec.params if u.name not in names]
        if unknown:
            setup.notes.append(f"priors for {', '.join(unknown)} ignored: not fitted")

    def log_prior(X):
        X = np.atleast_2d(X)
        inside = np.all((X >= lows) & (X <= highs), axis=1)
        lp = np.where(inside, 0.0, -np.inf)
        for j, d in dists.items():
            with np.errstate(divide="ignore"):
                lp = lp + np.where(inside, d.logpdf(np.clip(X[:, j], lows[j], highs[j])), 0.0)
        return lp

    return log_prior, sorted(obj.fitted[j].name for j in dists)


def given_sd(setup: Setup, sd: Mapping[str, float]) -> np.ndarray:
    keys = {canonical(k): float(v) for k, v in sd.items()}
    out = []
    for s in setup.series:
        v = keys.get(canonical(s.variable), keys.get(canonical(s.column)))
        if v is None or not v > 0:
            raise CalibrationError(f"`sd` needs a positive value for the series '{s.variable}'")
        out.append(v)
    return np.array(out)


def bands(obj: Objective, setup: Setup, samples: pd.DataFrame, chain, seed, n: int = 200):
    """Posterior-predictive 95 % bands of every series: model runs of ``n`` posterior
    samples plus the series' Gaussian error, at the data's times."""
    rng = np.random.default_rng(None if seed is None else seed + 1)
    k = len(obj.fitted)
    rows = samples.to_numpy()[rng.choice(len(samples), size=min(n, len(samples)), replace=False)]
    P, ok = obj.prediction_matrix(rows[:, :k])
    sizes = [s.times.size for s in setup.series]
    if chain.fit_sd:
        sig = np.exp(rows[:, k:])[:, np.repeat(np.arange(len(sizes)), sizes)]
    else:
        sig = np.repeat(chain.sd, sizes)[None, :]
    Y = (
        P[ok] + sig[ok] * rng.standard_normal(P[ok].shape)
        if chain.fit_sd
        else (P[ok] + sig * rng.standard_normal(P[ok].shape))
    )
    lo, mid, hi = np.percentile(Y, [2.5, 50, 97.5], axis=0)
    out, i = {}, 0
    for s in setup.series:
        j = slice(i, i + s.times.size)
        out[s.variable] = (s.times, lo[j], mid[j], hi[j])
        i += s.times.size
    return out
