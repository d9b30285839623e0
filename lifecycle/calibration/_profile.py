"""Profile-likelihood intervals for parameters without a gradient (dates, durations).

A date moves the run only when it crosses a time step, so its linearised standard error is
meaningless and a bootstrap cannot refit it by least squares. The profile is exact where the
linearisation fails: the date is set to each point of a grid over its bounds (on the time
step), the smooth parameters are refitted at every point (all points in lockstep, one batch
of the engine per iteration), and the 95 % interval holds the points whose refitted sum of
squares ``S`` stays within ``F = chi2_1(0.95) * s^2`` of the best, ``s^2 = S_min / (n - k)``
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


def profile(obj: Objective, x: np.ndarray, j: int, frozen: np.ndarray, best_cost: float):
    """``(low, high, table)``: the 95 % profile interval of parameter ``j`` and the profile
    (value, refitted sum of squares) it comes from."""
    p = obj.fitted[j]
    step = obj.time_step
    count = int(np.floor((p.max - p.min) / step + 1e-9)) + 1
    if count > MAX_POINTS:
        grid = np.linspace(p.min, p.max, MAX_POINTS)
    else:
        grid = p.min + step * np.arange(count)
    grid = np.unique(np.append(grid, x[j]))
    X = np.repeat(x[None, :], grid.size, axis=0)
    X[:, j] = grid
    U0 = obj.to_u(X)
    if (~frozen).any():
        lock = opt.lockstep(obj, U0, frozen=frozen, max_iter=20)
        S = 2.0 * lock.cost
    else:
        S = 2.0 * obj.costs(U0.T)
    n, k = obj.n, len(obj.fitted)
    s_min = min(float(S.min()), 2.0 * best_cost)
    s2 = s_min / max(n - k, 1)
    inside = S - s_min <= CHI2_1_95 * max(s2, 1e-300)
    at = int(np.argmin(np.abs(grid - x[j])))
    lo = hi = at
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    while hi < grid.size - 1 and inside[hi + 1]:
        hi += 1
    table = pd.DataFrame({"value": grid, "sum of squares": S, "inside": inside})
    return float(grid[lo]), float(grid[hi]), table


def profile_intervals(result, obj: Objective, x: np.ndarray, frozen: np.ndarray) -> None:
    """Set the interval of every parameter without a gradient from its profile."""
    best = 0.5 * float(np.sum(obj.residual_matrix(x[None, :])[0] ** 2))
    result.profiles = {}
    for j, p in enumerate(obj.fitted):
        if not frozen[j]:
            continue
        lo, hi, table = profile(obj, x, j, frozen, best)
        result.ci[p.name] = (lo, hi)
        ends = [b for b, v in (("low", lo == p.min), ("high", hi == p.max)) if v]
        how = f"profile likelihood ({len(table)} points)"
        result.ci_method[p.name] = how + (
            f", reaches the {' and '.join(ends)} bound" if ends else ""
        )
        result.profiles[p.name] = table
