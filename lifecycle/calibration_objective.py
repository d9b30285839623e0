"""The objective of a calibration: weighted residuals of the data against model runs.

Runs go through one engine for the whole fit, chosen once: the vectorised batch engine
(``lifecycle.engines.engine("batch", model)``, which evaluates a Jacobian's perturbed runs or a
differential-evolution population in one pass) when it supports the model and reproduces
PySD's run at the starting point, else PySD through :meth:`lifecycle.model.Model.run`. The
model is translated or compiled once, never per evaluation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import engines
from .engines import RunSettings
from .errors import CalibrationError, SimulationError, UnsupportedFunctionError

FAILED_RESIDUAL = 1e6  # residual given to a parameter set whose run fails (NaN, overflow)
JAC_STEP = 1e-6  # forward-difference step, as a fraction of each parameter's bounds
ENGINES = tuple(e for e in engines.CHOICES if e != "simlin")  # Simlin: no batch, no speed


class Objective:
    """Weighted residuals for parameter sets; counts the model runs it makes.

    ``u`` is a parameter vector scaled to the unit box (0 at the low bound, 1 at the high
    one); ``x`` is the same vector in model units.
    """

    def __init__(self, model, series, fitted, fixed, time_step, end, engine="auto"):
        self.model, self.series, self.fitted, self.fixed = model, series, fitted, fixed
        self.time_step, self.end = time_step, end
        self.low = np.array([p.low for p in fitted])
        self.span = np.array([p.high - p.low for p in fitted])
        self.variables = list(dict.fromkeys(s.variable for s in series))
        self.n = sum(s.times.size for s in series)
        self.runs = 0
        self.failures = 0
        self._last = None  # (u, residuals): the Jacobian reuses the point scipy just ran
        self.batch = None
        self.engine = "pysd"
        if engine not in ENGINES:
            raise CalibrationError(f"`engine` must be one of {ENGINES}, got {engine!r}")
        if engine != "pysd":
            self._choose_batch(engine == "batch")

    # -- engines ---------------------------------------------------------------------------
    def _choose_batch(self, required: bool) -> None:
        try:
            batch = engines.engine("batch", self.model)
        except (ImportError, UnsupportedFunctionError):
            if required:
                raise
            return
        x0 = np.array([p.initial for p in self.fitted])
        reference = self._pysd_values(x0[None, :])
        self.batch = batch
        mine = self._batch_values(x0[None, :])
        same = all(
            np.allclose(mine[1][v], reference[1][v], rtol=1e-9, atol=1e-12, equal_nan=True)
            for v in self.variables
        ) and np.allclose(mine[0], reference[0])
        if same:
            self.engine = "batch"
        elif required:
            raise CalibrationError("the batch engine does not reproduce PySD on this model")
        else:
            self.batch = None

    def _pysd_values(self, X):
        values = {v: [] for v in self.variables}
        ok = np.ones(len(X), dtype=bool)
        t = None
        for i, x in enumerate(X):
            try:
                run = self.simulate(x)
            except SimulationError:
                ok[i] = False
                continue
            t = run.index.to_numpy(dtype=float)
            for v in self.variables:
                values[v].append(run[v].to_numpy())
        if t is None:
            return None, {}, ok
        out = {}
        for v, rows in values.items():
            full = np.full((len(X), t.size), np.nan)
            full[ok] = np.array(rows)
            out[v] = full
        return t, out, ok

    def _batch_values(self, X):
        params = dict(self.fixed)
        params.update({p.name: X[:, j].copy() for j, p in enumerate(self.fitted)})
        self.runs += len(X)
        settings = RunSettings(
            self.model.control["initial_time"], self.end, self.time_step, self.time_step
        )
        res = self.batch.run(params, len(X), self.variables, settings)
        ok = np.ones(len(X), dtype=bool)
        for v in self.variables:
            ok &= np.all(np.isfinite(res.values[v]), axis=1)
        return np.asarray(res.time, dtype=float), dict(res.values), ok

    # -- parameter vectors -------------------------------------------------------------------
    def to_x(self, u):
        return self.low + self.span * np.clip(np.asarray(u, dtype=float), 0.0, 1.0)

    def to_u(self, x):
        return (np.asarray(x, dtype=float) - self.low) / self.span

    def params(self, x) -> dict[str, float]:
        out = dict(self.fixed)
        out.update({p.name: float(v) for p, v in zip(self.fitted, x, strict=True)})
        return out

    # -- runs and residuals ----------------------------------------------------------------
    def simulate(self, x, final_time=None) -> pd.DataFrame:
        """One run with PySD (the reference engine), saved at every time step."""
        self.runs += 1
        return self.model.run(
            self.params(x),
            final_time=self.end if final_time is None else final_time,
            time_step=self.time_step,
            saveper=self.time_step,
            variables=self.variables,
        )

    def predictions(self, t: np.ndarray, values: dict[str, np.ndarray]) -> list[np.ndarray]:
        """What each series' data are compared with; arrays of shape (runs, observations)."""
        out = []
        for s in self.series:
            y = np.atleast_2d(values[s.variable])
            if s.mode == "total":
                # Euler adds sum(flow(t_i) dt, a <= t_i < b) to a stock over (a, b].
                cum = np.concatenate(
                    [np.zeros((len(y), 1)), np.cumsum(y[:, :-1] * np.diff(t), axis=1)], axis=1
                )
                out.append(_interp(s.times, t, cum) - _interp(s.starts, t, cum))
            else:
                out.append(_interp(s.times, t, y))
        return out

    def residual_matrix(self, X) -> np.ndarray:
        X = np.atleast_2d(X)
        if self.batch is not None:
            t, values, ok = self._batch_values(X)
        else:
            t, values, ok = self._pysd_values(X)
        R = np.full((len(X), self.n), FAILED_RESIDUAL)
        if ok.any():
            preds = self.predictions(t, {v: a[ok] for v, a in values.items()})
            R[ok] = np.concatenate(
                [s.weight * (p - s.observed) for s, p in zip(self.series, preds, strict=True)],
                axis=1,
            )
        self.failures += int((~ok).sum())
        return R

    def residuals(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self._last is not None and np.array_equal(self._last[0], u):
            return self._last[1].copy()
        r = self.residual_matrix(self.to_x(u)[None, :])[0]
        self._last = (u.copy(), r)
        return r.copy()

    def jacobian(self, u, f=None) -> np.ndarray:
        """Forward differences in the unit box, all perturbed runs in one batch."""
        u = np.asarray(u, dtype=float)
        if f is None:
            f = self.residuals(u)
        k = u.size
        steps = np.where(u + JAC_STEP <= 1.0, JAC_STEP, -JAC_STEP)
        U = np.repeat(u[None, :], k, axis=0) + np.diag(steps)
        R = self.residual_matrix(self.to_x(U))
        return ((R - f[None, :]) / steps[:, None]).T

    def costs(self, U) -> np.ndarray:
        """Costs of a population, ``U`` of shape (parameters, members) as scipy passes it."""
        R = self.residual_matrix(self.to_x(np.asarray(U, dtype=float).T))
        return 0.5 * np.sum(R * R, axis=1)


def _interp(x: np.ndarray, grid: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Linear interpolation of each row of ``Y`` (on ``grid``) at the points ``x``."""
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    w = (x - grid[i]) / (grid[i + 1] - grid[i])
    w = np.where(np.isclose(x, grid[i], rtol=0, atol=1e-9), 0.0, w)
    return Y[:, i] * (1 - w) + Y[:, i + 1] * w
