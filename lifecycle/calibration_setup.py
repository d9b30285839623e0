"""Set-up of a calibration: the parameters to fit, the observed series, the objective.

Private helpers of :func:`lifecycle.calibrate`; everything here is checked before the first
model run, so a mistake costs no simulation time and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._names import canonical
from .calibration_result import FitParameter, Series
from .errors import CalibrationError, DataError, UnknownParameterError
from .model import CONTROL, Model

WEIGHTINGS = ("std", "range", "mean", "none")


@dataclass(frozen=True)
class Parameter:
    """A constant to fit, in the style of ``lmfit.Parameter``.

    ``value`` is the starting value (default: the model's value, or the middle of the
    bounds when that lies outside them); ``vary=False`` holds it at ``value``.
    """

    min: float
    max: float
    value: float | None = None
    vary: bool = True


def _as_parameter(name: str, spec: Any) -> Parameter:
    if isinstance(spec, Parameter):
        return spec
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"min", "max", "value", "vary"}
        if unknown or not {"min", "max"} <= set(spec):
            raise CalibrationError(
                f"`params['{name}']` needs keys 'min' and 'max' (optional 'value', 'vary'), "
                f"got {sorted(spec)}"
            )
        return Parameter(spec["min"], spec["max"], spec.get("value"), spec.get("vary", True))
    if all(hasattr(spec, a) for a in ("min", "max", "value")):  # an lmfit.Parameter
        return Parameter(spec.min, spec.max, spec.value, getattr(spec, "vary", True))
    if isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        return Parameter(spec[0], spec[1], spec[2] if len(spec) == 3 else None)
    raise CalibrationError(
        f"`params['{name}']` must be (low, high), (low, high, initial) or a dict with "
        f"'min', 'max' and optionally 'value'; got {spec!r}"
    )


def fit_parameters(model: Model, params: Mapping[str, Any]) -> list[FitParameter]:
    if not params:
        raise CalibrationError("`params` is empty: name at least one constant to fit")
    out: list[FitParameter] = []
    for name, spec in params.items():
        const = model.resolve_constant(name)  # UnknownParameterError / NotAConstantError
        if const.name in CONTROL:
            raise CalibrationError(
                f"'{const.name}' is a simulation setting, not a constant to fit "
                "(fix: pass time_step= or final_time=)"
            )
        p = _as_parameter(const.name, spec)
        try:
            low, high = float(p.min), float(p.max)
        except (TypeError, ValueError):
            raise CalibrationError(f"bounds of '{const.name}' must be numbers: {spec!r}") from None
        if not (np.isfinite(low) and np.isfinite(high)):
            raise CalibrationError(f"bounds of '{const.name}' must be finite, got [{low}, {high}]")
        if low > high:
            raise CalibrationError(
                f"bounds of '{const.name}' are reversed: [{low:g}, {high:g}] "
                f"(fix: {const.name}={high:g}:{low:g})"
            )
        if p.vary and low == high:
            raise CalibrationError(
                f"bounds of '{const.name}' are equal ({low:g}); set it in the scenario instead"
            )
        for bound in (low, high):
            if not const.contains(bound):
                lo = "-inf" if const.low is None else f"{const.low:g}"
                hi = "inf" if const.high is None else f"{const.high:g}"
                raise CalibrationError(
                    f"bounds [{low:g}, {high:g}] of '{const.name}' go outside the model's "
                    f"range [{lo}, {hi}] (fix: narrow the bounds)"
                )
        init = p.value
        if init is None:
            init = const.default if low <= const.default <= high else 0.5 * (low + high)
        init = float(init)
        if not low <= init <= high:
            raise CalibrationError(
                f"initial value {init:g} of '{const.name}' is outside its bounds "
                f"[{low:g}, {high:g}]"
            )
        out.append(FitParameter(const.name, low, high, init, bool(p.vary)))
    return out


def observed_series(
    model: Model,
    data: pd.DataFrame,
    flows: Mapping[str, str] | str | None,
    period: Mapping[str, float] | float | None,
    weights: Mapping[str, float] | str | None,
    initial: float,
    horizon: float,
) -> list[Series]:
    if not isinstance(data, pd.DataFrame) or data.shape[1] == 0:
        raise DataError("`data` must be a DataFrame with one column per series (see read_data)")
    times = np.asarray(data.index, dtype=float)
    if times.size == 0:
        raise DataError("`data` has no rows")
    source = data.attrs.get("source", "data")
    resolved: dict[str, str] = {}
    for col in data.columns:
        try:
            var = model.resolve(str(col))
        except UnknownParameterError as exc:
            raise DataError(
                f"{source}: column '{col}' matches no variable of {model.name}; "
                f"{exc} (fix: rename it with read_data(columns={{'{col}': 'VARIABLE'}}))"
            ) from None
        if var in resolved.values():
            raise DataError(f"{source}: two columns match the variable '{var}' (ambiguous)")
        if var in model.constants:
            raise DataError(f"{source}: column '{col}' is the constant '{var}', not a series")
        resolved[col] = var
    flow_vars = model.flows
    stocks = set(model.stocks)
    lookup = _per_series(flows, resolved, "flows", ("total", "rate"))
    if flows is not None and not isinstance(flows, Mapping):  # one word for every flow
        lookup = {v: m for v, m in lookup.items() if v in flow_vars}
    periods = _per_series(period, resolved, "period", None)
    wspec = weights if isinstance(weights, Mapping) else {}
    wkind = weights if isinstance(weights, str) else "std"
    if wkind not in WEIGHTINGS:
        raise CalibrationError(f"`weights` must be a dict or one of {WEIGHTINGS}, got {weights!r}")
    wmap = _per_series(wspec, resolved, "weights", None)
    spacing = np.diff(times)
    even = times.size > 1 and np.allclose(spacing, spacing[0], rtol=1e-9, atol=1e-12)

    out = []
    for col, var in resolved.items():
        values = data[col].to_numpy(dtype=float)
        ok = ~np.isnan(values)
        if not ok.any():
            raise DataError(f"{source}: series '{col}' has no values (all missing)")
        mode = lookup.get(var)
        if var not in flow_vars:
            if mode == "total":
                kind = "a stock" if var in stocks else "not measured per unit of time"
                raise CalibrationError(
                    f"'{var}' is {kind}, not a flow: it can only be compared at the data's times"
                )
            mode = "level"
        elif mode is None:
            if not even:
                raise CalibrationError(
                    f"'{var}' is a flow and the data's times are unevenly spaced, so it is "
                    f"ambiguous whether '{col}' holds totals since the previous observation or "
                    f"rates at each time (fix: flows={{'{var}': 'total'}} or 'rate')"
                )
            mode = "total"
        starts = np.full(times.size, np.nan)
        if mode == "total":
            p = periods.get(var)
            if p is not None:
                starts = times - float(p)
            else:
                starts[1:] = times[:-1]
                starts[0] = times[0] - spacing[0] if even else np.nan
                if not even and ok[0]:
                    raise CalibrationError(
                        f"the first value of '{col}' is a total over an unknown period: the "
                        f"data's times are uneven (fix: period={{'{var}': LENGTH}} or drop it)"
                    )
        t_obs = times[ok]
        lo_needed = np.nanmin(starts[ok]) if mode == "total" else t_obs.min()
        if lo_needed < initial - 1e-9 or t_obs.max() > horizon + 1e-9:
            raise CalibrationError(
                f"data times of '{col}' ({lo_needed:g} to {t_obs.max():g} in model time) fall "
                f"outside the simulated horizon [{initial:g}, {horizon:g}] (fix: check "
                "time_offset, or extend final_time)"
            )
        obs = values[ok]
        weight = wmap.get(var)
        if weight is None:
            weight = _default_weight(obs, wkind)
        if not (np.isfinite(weight) and weight > 0):
            raise CalibrationError(f"weight of '{var}' must be positive, got {weight}")
        header = data.attrs.get("columns", {}).get(col, col)
        out.append(Series(header, var, mode, t_obs, starts[ok], obs, float(weight)))
    return out


def _per_series(spec, resolved: dict[str, str], what: str, allowed) -> dict[str, Any]:
    """Expand a scalar or a by-name mapping to a dict keyed by model variable."""
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        spec = {v: spec for v in resolved.values()}
    out = {}
    keys = {canonical(c): v for c, v in resolved.items()} | {
        canonical(v): v for v in resolved.values()
    }
    for name, value in spec.items():
        var = keys.get(canonical(name))
        if var is None:
            raise CalibrationError(
                f"`{what}` names '{name}', which is not one of the data's series "
                f"{sorted(resolved.values())}"
            )
        if allowed is not None and value not in allowed:
            raise CalibrationError(f"`{what}['{name}']` must be one of {allowed}, got {value!r}")
        out[var] = value
    return out


def _default_weight(obs: np.ndarray, kind: str) -> float:
    scale = {
        "std": float(np.std(obs)),
        "range": float(np.ptp(obs)),
        "mean": float(abs(np.mean(obs))),
        "none": 1.0,
    }[kind]
    if not scale > 0:  # a constant or single-point series: fall back to its size
        scale = float(abs(np.mean(obs))) or 1.0
    return 1.0 / scale
