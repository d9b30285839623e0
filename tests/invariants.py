"""Invariants every run must satisfy (DESIGN.md behaviour 10), for model runs and ensembles."""

from __future__ import annotations

import math

import numpy as np

from lifecycle.model import Model

TOL = 1e-9


_LIMITS: dict[str, dict] = {}


def limited_variables(model: Model) -> dict[str, tuple[float | None, float | None]]:
    """Every computed variable with a [min,max] range in the model, with that range."""
    if model.hash in _LIMITS:
        return _LIMITS[model.hash]
    out = {}
    computed = set(model.variables)
    for _, row in model.doc.iterrows():
        name, limits = row["Real Name"], row["Limits"]
        if name not in computed or not isinstance(limits, tuple):
            continue
        low, high = (None if (x is None or math.isnan(x)) else float(x) for x in limits)
        if low is not None or high is not None:
            out[name] = (low, high)
    _LIMITS[model.hash] = out
    return out


def violations(model: Model, get) -> list[str]:
    """Broken invariants; ``get(name)`` returns the values of a variable (any array shape)."""
    found = []
    for name, (low, high) in limited_variables(model).items():
        v = np.asarray(get(name), dtype=float)
        if not np.all(np.isfinite(v)):
            found.append(f"{name} is not finite")
            continue
        scale = max(1.0, float(np.max(np.abs(v))))
        if low is not None and v.min() < low - TOL * scale:
            found.append(f"{name} = {v.min():.6g} < {low:g}")
        if high is not None and v.max() > high + TOL * scale:
            found.append(f"{name} = {v.max():.6g} > {high:g}")
    firms, members = np.asarray(get("Firms")), np.asarray(get("Network Members"))
    if np.any(members > firms * (1 + TOL) + TOL):
        found.append(f"members exceed firms by {np.max(members - firms):.3g}")
    # holds by construction (Employment = demand x a soft minimum below the supply ratio);
    # checked so that a change to the labour equations cannot break it unnoticed
    jobs, workers = np.asarray(get("Employment")), np.asarray(get("Skilled Workers"))
    if np.any(jobs > workers * (1 + TOL) + TOL):
        found.append(f"employment exceeds skilled workers by {np.max(jobs - workers):.3g}")
    return found
