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


def _refitted(obj: Objective, x: np.ndarray, j: int, frozen: np.ndarray, grid) -> np.ndarray:
    """The sum of squares at each grid value of parameter ``j``, the smooth ones refitted."""
    X = np.repeat(x[None, :], grid.size, axis=0)
    X[:, j] = grid
    U0 = obj.to_u(X)
    if (~frozen).any():
        return 2.0 * opt.lockstep(obj, U0, frozen=frozen, max_iter=20).cost
    return 2.0 * obj.costs(U0.T)


def _run_of_inside(grid, inside, at):
    lo = hi = at
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < grid.size - 1 and inside[hi + 1]:
        hi += 1
    return lo, hi


def profile(obj: Objective, x: np.ndarray, j: int, frozen: np.ndarray, best_cost: float):
    """``(low, high, table)``: the 95 % profile interval of parameter ``j`` and the profile
    (value, refitted sum of squares) it comes from.

    A grid coarser than the time step (wide bounds) is refined at the time step around the
    interval it finds, so that a sharply determined date is not reduced to its fitted value
    by grid points a year apart. The interval reaches to the first grid points outside it:
    a date is resolved only to the time step on which its event fires, so the edge lies
    somewhere between the last point inside and the first outside.
    """
    p = obj.fitted[j]
    step = obj.time_step
    count = int(np.floor((p.max - p.min) / step + 1e-9)) + 1
    if count > MAX_POINTS:
        grid = np.linspace(p.min, p.max, MAX_POINTS)
    else:
        grid = p.min + step * np.arange(count)
    grid = np.unique(np.append(grid, x[j]))
    S = _refitted(obj, x, j, frozen, grid)
    n, k = obj.n, len(obj.fitted)

    def classify(grid, S):
        s_min = min(float(S.min()), 2.0 * best_cost)
        inside = S - s_min <= CHI2_1_95 * max(s_min / max(n - k, 1), 1e-300)
        return inside, _run_of_inside(grid, inside, int(np.argmin(np.abs(grid - x[j]))))

    inside, (lo, hi) = classify(grid, S)
    a, b = grid[max(lo - 1, 0)], grid[min(hi + 1, grid.size - 1)]
    if np.diff(grid[max(lo - 1, 0) : hi + 2]).max(initial=0.0) > step * (1 + 1e-9):
        fine = np.arange(a, b + 0.5 * step, step)
        if fine.size > 2 * MAX_POINTS:
            fine = np.linspace(a, b, 2 * MAX_POINTS)
        fine = np.setdiff1d(fine[(fine > p.min) & (fine < p.max)], grid)
        if fine.size:
            grid, order = np.unique(np.append(grid, fine), return_index=True)
            S = np.append(S, _refitted(obj, x, j, frozen, fine))[order]
            inside, (lo, hi) = classify(grid, S)
    table = pd.DataFrame({"value": grid, "sum of squares": S, "inside": inside})
    return float(grid[max(lo - 1, 0)]), float(grid[min(hi + 1, grid.size - 1)]), table


def profile_intervals(result, obj: Objective, x: np.ndarray, frozen: np.ndarray) -> None:
    """Set the interval of every parameter without a gradient from its profile."""
    best = 0.5 * float(np.sum(obj.residual_matrix(x[None, :])[0] ** 2))
    result.profiles = {}
    for j, p in enumerate(obj.fitted):
        if not frozen[j]:
            continue
        lo, hi, table = profile(obj, x, j, frozen, best)
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
