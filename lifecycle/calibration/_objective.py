"""The objective of a calibration: weighted residuals of the data against model runs.

Runs go through one engine for the whole fit, chosen once: the vectorised batch engine
(``lifecycle.engines.engine("batch", model)``, which evaluates a Jacobian's perturbed
runs, a set of starts, a differential-evolution generation or half a walker ensemble in one
pass) when it supports the model and reproduces PySD's run at the starting point, else PySD
through :meth:`lifecycle.model.Model.run`. The model is translated or compiled once, never
per evaluation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import engines
from ..engines import RunSettings
from ..errors import CalibrationError, SimulationError, UnsupportedFunctionError
from ..metrics import interp_rows
from ._choices import ENGINES
from ._setup import Setup

FAILED_RESIDUAL = 1e6  # residual given to a parameter set whose run fails (NaN, overflow)
JAC_STEP = 1e-6  # forward-difference step, as a fraction of each parameter's bounds


class Objective:
    """Weighted residuals for parameter sets; counts the model runs it makes.

    ``u`` is a vector of the fitted parameters scaled to the unit box (0 at the low bound,
    1 at the high one); ``x`` is the same vector in the parameters' units (dates in
    calendar years).
    """

    def __init__(self, setup: Setup, engine: str = "auto"):
        self.setup = setup
        self.model, self.series = setup.model, setup.series
        self.fitted = setup.varying
        self.held = {p.name: p.value for p in setup.held}
        self.time_step, self.end = setup.time_step, setup.end
        self.low = np.array([p.min for p in self.fitted])
        self.span = np.array([p.max - p.min for p in self.fitted])
        self.variables = list(dict.fromkeys(s.variable for s in self.series))
        self.observed = np.concatenate([s.observed for s in self.series])
        self.weights = np.concatenate([np.full(s.times.size, s.weight) for s in self.series])
        self.n = self.observed.size
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
        x0 = np.array([p.value for p in self.fitted])[None, :]
        reference = self._pysd_values(x0)
        self.batch = batch
        mine = self._batch_values(x0)
        same = reference[0] is not None and all(
            np.allclose(mine[1][v], reference[1][v], rtol=1e-9, atol=1e-12, equal_nan=True)
            for v in self.variables
        )
        same = same and np.allclose(mine[0], reference[0])
        if same:
            self.engine = "batch"
        elif required:
            raise CalibrationError("the batch engine does not reproduce PySD on this model")
        else:
            self.batch = None

    def values(self, X) -> dict[str, np.ndarray]:
        """Parameter values of each run (fitted ones from ``X``, held ones repeated)."""
        X = np.atleast_2d(X)
        out = {p.name: X[:, j].copy() for j, p in enumerate(self.fitted)}
        out.update({k: np.full(len(X), v) for k, v in self.held.items()})
        return out

    def constants(self, X):
        """``(constants, year_zero)`` of each run; arrays of shape (runs,) where they differ."""
        return self.setup.constants(self.values(X))

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
        consts, _ = self.constants(X)
        params = {
            k: (np.ascontiguousarray(v, dtype=float) if np.ndim(v) else float(v))
            for k, v in consts.items()
        }
        self.runs += len(X)
        settings = RunSettings(
            self.model.control["initial_time"], self.end, self.time_step, self.time_step
        ).from_state(self.setup.state)
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
        """The model constants (model time) of one parameter vector ``x``."""
        consts, _ = self.constants(np.asarray(x, dtype=float)[None, :])
        return {k: float(np.ravel(v)[0]) for k, v in consts.items()}

    def year_zero(self, x) -> float:
        _, y0 = self.constants(np.asarray(x, dtype=float)[None, :])
        return float(np.ravel(y0)[0])

    # -- runs and residuals ----------------------------------------------------------------
    def simulate(self, x, final_time=None, variables=None) -> pd.DataFrame:
        """One run with PySD (the reference engine), saved at every time step."""
        self.runs += 1
        return self.model.run(
            self.params(x),
            final_time=self.end if final_time is None else final_time,
            time_step=self.time_step,
            saveper=self.time_step,
            variables=variables or self.variables,
            state=self.setup.state,
        )

    def predictions(self, t: np.ndarray, values: dict[str, np.ndarray], y0) -> list[np.ndarray]:
        """What each series' data are compared with; arrays of shape (runs, observations).

        ``y0`` is the calendar year of model time 0: one number, or one per run.
        """
        y0 = np.asarray(y0, dtype=float)
        shift = y0[:, None] if y0.ndim else y0
        out = []
        for s in self.series:
            y = np.atleast_2d(values[s.variable])
            if s.mode == "total":
                # Euler adds sum(flow(t_i) dt, a <= t_i < b) to a stock over (a, b].
                cum = np.concatenate(
                    [np.zeros((len(y), 1)), np.cumsum(y[:, :-1] * np.diff(t), axis=1)], axis=1
                )
                out.append(
                    interp_rows(s.times - shift, t, cum) - interp_rows(s.starts - shift, t, cum)
                )
            else:
                out.append(interp_rows(s.times - shift, t, y))
        return out

    def prediction_matrix(self, X):
        """``(P, ok)``: predictions of every observation for each run (rows), and which ran."""
        X = np.atleast_2d(X)
        if self.batch is not None:
            t, values, ok = self._batch_values(X)
        else:
            t, values, ok = self._pysd_values(X)
        P = np.full((len(X), self.n), np.nan)
        if ok.any():
            _, y0 = self.constants(X[ok])
            preds = self.predictions(t, {v: a[ok] for v, a in values.items()}, y0)
            P[ok] = np.concatenate(preds, axis=1)
        self.failures += int((~ok).sum())
        return P, ok

    def residual_matrix(self, X, observed=None) -> np.ndarray:
        """Weighted residuals, one row per run; ``observed`` (rows or one vector) replaces
        the data (a bootstrap's synthetic series)."""
        P, ok = self.prediction_matrix(X)
        obs = self.observed if observed is None else np.asarray(observed, dtype=float)
        R = np.full(P.shape, FAILED_RESIDUAL)
        obs_ok = obs[ok] if obs.ndim == 2 else obs
        R[ok] = self.weights * (P[ok] - obs_ok)
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
