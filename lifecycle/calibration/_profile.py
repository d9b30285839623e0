"""Profile-likelihood intervals for parameters without a gradient (dates, durations).

A date moves the run only when it crosses a time step, so its linearised standard error is
meaningless and a bootstrap cannot refit it by least squares. The profile is exact where the
linearisation fails: the date is set to each point of a grid over its bounds (on the time
step, refined at the step around the interval when the bounds are wide), the smooth
parameters are refitted at every point (all points in lockstep, one batch of the engine per
iteration), and the 95 % interval spans the points whose refitted sum of squares ``S``
stays within ``F = chi2_1(0.95) * s^2`` of the best, ``s^2 = S_min / (n - k)``, out to the
first points outside (a date is resolved only to a time step)
(the usual profile-likelihood interval with the error variance estimated from the fit;
Bates & Watts 1988, ch. 6). The grid lies within the bounds, so the interval does too; an
interval that reaches a bound says so. Other dates are held at their fitted values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _optimise as opt
from ._objective import Objective

CHI2_1_95 = 3.841458820694124  # 95 % point of chi-square with one degree of freedom
MAX_POINTS = 41  # grid points per profiled parameter (the time step, coarser if needed)


def _refitted(obj: Objective, x: np.ndarray, frozen: np.ndarray, grids) -> list[np.ndarray]:
    """The sum of squares at each value of each ``(j, grid)`` of ``grids``, the smooth
    parameters refitted: the points of every grid in one lockstep (one batch of the engine
    per iteration for all the profiled parameters, not one per parameter)."""
    X = np.concatenate([np.repeat(x[None, :], grid.size, axis=0) for _, grid in grids])
    at = 0
    for j, grid in grids:
        X[at : at + grid.size, j] = grid
        at += grid.size
    U0 = obj.to_u(X)
    if (~frozen).any():
        S = 2.0 * opt.lockstep(obj, U0, frozen=frozen, max_iter=20).cost
    else:
        S = 2.0 * obj.costs(U0.T)
    return np.split(S, np.cumsum([grid.size for _, grid in grids])[:-1])


def _run_of_inside(grid, inside, at):
    lo = hi = at
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < grid.size - 1 and inside[hi + 1]:
        hi += 1
    return lo, hi


class _Profile:
    """The profile of parameter ``j``: its grid, the refitted sums of squares, the interval."""

    def __init__(self, obj: Objective, x: np.ndarray, j: int, best_cost: float):
        self.j, self.x, self.best_cost = j, x, best_cost
        self.p, self.step = obj.fitted[j], obj.time_step
        self.n, self.k = obj.n, len(obj.fitted)
        p, step = self.p, self.step
        count = int(np.floor((p.max - p.min) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            grid = np.linspace(p.min, p.max, MAX_POINTS)
        else:
            grid = p.min + step * np.arange(count)
        self.grid = np.unique(np.append(grid, x[j]))

    def classify(self, S: np.ndarray) -> None:
        self.S = S
        s_min = min(float(S.min()), 2.0 * self.best_cost)
        self.inside = S - s_min <= CHI2_1_95 * max(s_min / max(self.n - self.k, 1), 1e-300)
        at = int(np.argmin(np.abs(self.grid - self.x[self.j])))
        self.lo, self.hi = _run_of_inside(self.grid, self.inside, at)

    def finer(self) -> np.ndarray:
        """The time-step points to add around the interval where the grid is coarser."""
        grid, lo, hi, step, p = self.grid, self.lo, self.hi, self.step, self.p
        if np.diff(grid[max(lo - 1, 0) : hi + 2]).max(initial=0.0) <= step * (1 + 1e-9):
            return grid[:0]
        a, b = grid[max(lo - 1, 0)], grid[min(hi + 1, grid.size - 1)]
        fine = np.arange(a, b + 0.5 * step, step)
        if fine.size > 2 * MAX_POINTS:
            fine = np.linspace(a, b, 2 * MAX_POINTS)
        return np.setdiff1d(fine[(fine > p.min) & (fine < p.max)], grid)

    def add(self, fine: np.ndarray, S_fine: np.ndarray) -> None:
        grid, order = np.unique(np.append(self.grid, fine), return_index=True)
        self.grid = grid
        self.classify(np.append(self.S, S_fine)[order])

    def result(self):
        grid, lo, hi = self.grid, self.lo, self.hi
        table = pd.DataFrame({"value": grid, "sum of squares": self.S, "inside": self.inside})
        return float(grid[max(lo - 1, 0)]), float(grid[min(hi + 1, grid.size - 1)]), table


def profiles(obj: Objective, x: np.ndarray, frozen: np.ndarray, best_cost: float) -> dict:
    """``{j: (low, high, table)}``: the 95 % profile interval of every frozen parameter
    ``j`` and the profile (value, refitted sum of squares) it comes from.

    A grid coarser than the time step (wide bounds) is refined at the time step around the
    interval it finds, so that a sharply determined date is not reduced to its fitted value
    by grid points a year apart. The interval reaches to the first grid points outside it:
    a date is resolved only to the time step on which its event fires, so the edge lies
    somewhere between the last point inside and the first outside. The coarse grids of all
    parameters are refitted together, then all the refinements.
    """
    todo = [_Profile(obj, x, j, best_cost) for j in np.flatnonzero(frozen)]
    if not todo:
        return {}
    for prof, S in zip(todo, _refitted(obj, x, frozen, [(q.j, q.grid) for q in todo]), strict=True):
        prof.classify(S)
    fine = [(prof, prof.finer()) for prof in todo]
    fine = [(prof, f) for prof, f in fine if f.size]
    if fine:
        grids = [(prof.j, f) for prof, f in fine]
        for (prof, f), S in zip(fine, _refitted(obj, x, frozen, grids), strict=True):
            prof.add(f, S)
    return {prof.j: prof.result() for prof in todo}


def profile_intervals(result, obj: Objective, x: np.ndarray, frozen: np.ndarray) -> None:
    """Set the interval of every parameter without a gradient from its profile."""
    best = 0.5 * float(np.sum(obj.residual_matrix(x[None, :])[0] ** 2))
    result.profiles = {}
    found = profiles(obj, x, frozen, best)
    for j, p in enumerate(obj.fitted):
        if not frozen[j]:
            continue
        lo, hi, table = found[j]
        result.ci[p.name] = (lo, hi)
        reach = (lo == p.min and table["inside"].iloc[0], hi == p.max and table["inside"].iloc[-1])
        ends = [b for b, v in zip(("low", "high"), reach, strict=True) if v]
        how = f"profile likelihood ({len(table)} points)"
        result.ci_method[p.name] = how + (
            f", reaches the {' and '.join(ends)} bound" if ends else ""
        )
        result.profiles[p.name] = table
        better = int(np.argmin(table["sum of squares"].to_numpy()))
        s_better = float(table["sum of squares"].iloc[better])
        if s_better < 2.0 * best * (1 - 1e-6):
            result.notes.append(
                f"the profile of '{p.name}' found a better fit than the search (sum of "
                f"squares {s_better:.6g} against {2.0 * best:.6g}, at {p.name} = "
                f"{table['value'].iloc[better]:.6g}, the other parameters refitted): the "
                "search stopped short; refit with more iterations (--max-iterations N, "
                "options={'maxiter': N}) or from that value"
            )
