"""The search for the best fit: which optimiser, how many starts, the outcome.

``"auto"`` runs least squares from 8 starts in lockstep (:func:`._optimise.lockstep`), or
differential evolution when a date is fitted (dates have no gradient); the best point is
polished by scipy's least squares (over the smooth parameters only, dates held).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CalibrationError
from . import _optimise as opt
from ._objective import Objective
from ._setup import Setup

AUTO_STARTS = 8  # the default multi-start design: the initial values and 7 Latin hypercube points


@dataclass
class Outcome:
    """What the optimisation found, in the unit box and in parameter units."""

    method: str
    x: np.ndarray
    success: bool
    message: str
    starts: list = field(default_factory=list)  # (start x, end x, cost, converged)
    chain: Any = None
    notes: list[str] = field(default_factory=list)


def _choose(method: str, stepped: list[str]) -> tuple[str, list[str]]:
    if method == "auto":
        if stepped:
            names = ", ".join(f"'{n}'" for n in stepped)
            return "differential_evolution", [
                f"{names} time an event (STEP, RAMP or PULSE): the run changes only when "
                "they cross a time step, so their gradient is zero; fitted by differential "
                "evolution (derivative-free) instead of least squares"
            ]
        return "least_squares", []
    if method == "least_squares" and stepped:
        names = ", ".join(f"'{n}'" for n in stepped)
        raise CalibrationError.with_fix(
            f"{names} time an event (STEP, RAMP or PULSE): the run changes only when they "
            "cross a time step, so their gradient is zero and least squares cannot move them",
            "method='auto' or 'differential_evolution', or 'mcmc'; or hold them fixed",
            "--method auto or differential_evolution, or mcmc; or hold them with --set",
        )
    return method, []


def optimise(obj: Objective, setup: Setup, method: str, starts, seed, options) -> Outcome:
    """Find the best fit: multi-start least squares or differential evolution."""
    fitted = obj.fitted
    stepped = [p.name for p in fitted if p.name in setup.stepped]
    chosen, notes = _choose(method, stepped)
    options = dict(options or {})
    # one iteration limit for either search: the generations of differential evolution
    # (scipy's ``maxiter``) or the lockstep iterations of multi-start least squares
    limit = options.pop("max_iter", None)
    limit = options.pop("maxiter", limit) if chosen == "least_squares" else limit
    u0 = obj.to_u([p.value for p in fitted])
    frozen = np.array([p.name in setup.stepped for p in fitted])
    if chosen == "least_squares":
        n_starts = (AUTO_STARTS if method == "auto" else 1) if starts is None else starts
        if n_starts == 1:
            res = opt.local(obj, u0, options)
            return Outcome(
                "least_squares",
                obj.to_x(res.x),
                bool(res.success),
                str(res.message),
                [(obj.to_x(u0), obj.to_x(res.x), float(res.cost), bool(res.success))],
                notes=notes,
            )
        design = np.vstack(
            [u0, opt.latin_hypercube(n_starts - 1, len(fitted), np.random.default_rng(seed))]
        )
        lock = opt.lockstep(obj, design, max_iter=int(40 if limit is None else limit))
        best = int(np.argmin(lock.cost))
        res = opt.local(obj, lock.U[best], options)  # polish: scipy's own convergence test
        table = [
            (obj.to_x(a), obj.to_x(b), float(c), bool(ok))
            for a, b, c, ok in zip(design, lock.U, lock.cost, lock.converged, strict=True)
        ]
        message = (
            f"{n_starts} starts in lockstep ({lock.iterations} iterations, "
            f"{int(lock.converged.sum())} converged); polish: {res.message}"
        )
        return Outcome(
            f"least_squares, {n_starts} starts",
            obj.to_x(res.x),
            bool(res.success),
            message,
            table,
            notes=notes,
        )
    # differential evolution: derivative-free, one batch per generation
    polish_opts = {k: options.pop(k) for k in ("max_nfev", "ftol", "xtol", "gtol") if k in options}
    if limit is not None:
        options.setdefault("maxiter", int(limit))
    glob = opt.evolve(obj, u0, seed, options)
    if frozen.all():
        u, ok, pmsg = glob.x, True, "nothing smooth to polish"
    elif frozen.any():
        lock = opt.lockstep(obj, glob.x[None, :], frozen=frozen)
        u, ok = lock.U[0], bool(lock.converged[0])
        pmsg = "least squares over the smooth parameters, dates held"
        if lock.cost[0] > glob.fun:  # never worse than the search
            u = glob.x
    else:
        res = opt.local(obj, glob.x, polish_opts)
        u, ok, pmsg = res.x, bool(res.success), str(res.message)
    message = f"differential evolution: {glob.message} Polish: {pmsg}"
    return Outcome(
        "differential_evolution",
        obj.to_x(u),
        bool(glob.success) and ok,
        message,
        [(obj.to_x(u0), obj.to_x(u), float(0.5 * np.sum(obj.residuals(u) ** 2)), ok)],
        notes=notes,
    )
