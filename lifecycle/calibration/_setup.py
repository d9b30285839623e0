"""Set-up of a calibration: parameters, ties, the calendar and the observed series.

Everything here is checked before the first model run, so a mistake costs no simulation
time and writes nothing.

The calendar
    Observed series carry their own times, calendar years say (``read_data``'s index plus
    its ``time_offset``). A model run starts at ``INITIAL TIME`` in model time. The two are
    tied by ``year zero``, the calendar year at model time 0: model time = year - year zero.
    It is fixed by the data's ``time_offset``, or by a *spin-up* (the model runs that many
    years before the first data year, so a cluster can be mature when the record starts),
    and the spin-up can itself be fitted (the parameter ``"spin up"``).

Dates
    A constant that times an event (the time argument of ``STEP``, ``RAMP`` or ``PULSE``:
    ``disruptive shock year``, every ``... start``) is a *date*: it is given and reported in
    calendar years, and converted to model time run by run, so a shock fitted to 2008 stays
    in 2008 when the spin-up moves. Dates, and the durations added to them, are *stepped*:
    the run changes only when they cross a time step, so their gradient is zero and only a
    derivative-free method can fit them.

Ties
    One fitted value can set several constants (``ties={"renewal start": ["spinoff support
    start", "public coinvestment start"]}``), each plus a fixed offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._names import canonical
from ..errors import CalibrationError, DataError, UnknownParameterError
from ..model import Model
from ._parameters import SPIN_UP, Parameter

__all__ = ["MODES", "SPIN_UP", "Parameter", "Series", "Setup", "observed_series"]

WEIGHTINGS = ("std", "range", "mean", "none")
MODES = {
    "level": "value at the data's times",
    "rate": "rate at the data's times",
    "total": "total over each period",
}


@dataclass(frozen=True, eq=False)
class Series:
    """One observed series and how it is compared with the model."""

    column: str
    variable: str
    mode: str  # "level", "rate" or "total"
    times: np.ndarray  # calendar times (the data's) of the non-missing observations
    starts: np.ndarray  # for "total": start of the period that ends at each time
    observed: np.ndarray
    weight: float
    units: str = ""

    def describe(self) -> str:
        if self.mode != "total":
            return MODES[self.mode]
        lengths = np.unique(np.round(self.times - self.starts, 9))
        if lengths.size == 1:
            return f"total over each period of {lengths[0]:g}"
        return "total since the previous observation"


@dataclass
class Setup:
    """A checked calibration problem: what is fitted, how it reaches the model, the data."""

    model: Model
    series: list[Series]
    params: list[Parameter]  # every parameter, floats throughout; fitted ones have vary
    members: dict[str, tuple[tuple[str, float], ...]]  # parameter -> (constant, offset)
    dates: set[str]  # parameters in calendar years
    stepped: set[str]  # parameters with a zero gradient (dates and durations of events)
    fixed: dict[str, float]  # other constants, model time (the scenario's)
    initial: float  # INITIAL TIME
    time_step: float
    end: float  # final time of every run: the last data time at the longest spin-up
    first: float  # first calendar time any series needs (a total's period start)
    last: float
    year_zero: float | None  # calendar year of model time 0, None when the spin-up varies
    spin_up: float | None
    scenario: Any = None
    final_time: float | None = None  # the run setting to record in a fitted scenario
    data: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    state: Any = None  # the State every run starts from (start=(scenario, time)), or None

    @property
    def varying(self) -> list[Parameter]:
        return [p for p in self.params if p.vary]

    @property
    def held(self) -> list[Parameter]:
        return [p for p in self.params if not p.vary]

    def year_zero_of(self, values: Mapping[str, np.ndarray | float]):
        """Calendar year at model time 0, per run (``values`` holds the spin-up when fitted)."""
        if self.year_zero is not None:
            return self.year_zero
        return self.first - self.initial - np.asarray(values[SPIN_UP], dtype=float)

    def constants(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
        """Model constants (model time) for parameter values (floats or arrays of runs)."""
        y0 = self.year_zero_of(values)
        out = dict(self.fixed)
        for name, value in values.items():
            for const, offset in self.members.get(name, ()):
                v = np.asarray(value, dtype=float) + offset
                out[const] = (v - y0) if name in self.dates else v
        return out, y0


# -- observed series ---------------------------------------------------------------------------
def observed_series(
    model: Model,
    data: pd.DataFrame,
    flow_modes: Mapping[str, str] | str | None,
    period: Mapping[str, float] | float | None,
    weights: Mapping[str, float] | str | None,
) -> list[Series]:
    """Map the data's columns to model variables; decide level, rate or total; weight them.

    Times are the data's calendar times (index plus ``attrs["time_offset"]``). A flow is a
    ``"total"`` over the data's spacing when the data are evenly spaced; with uneven data
    ``flow_modes`` must say which. A series' weight is ``1 / std`` of its observations (or
    the scale ``weights`` names) times the factor ``weights`` gives it.
    """
    if not isinstance(data, pd.DataFrame) or data.shape[1] == 0:
        raise DataError("`data` must be a DataFrame with one column per series (see read_data)")
    offset = float(data.attrs.get("time_offset", 0.0))
    times = np.asarray(data.index, dtype=float) + offset
    if times.size == 0:
        raise DataError("`data` has no rows")
    source = data.attrs.get("source", "data")
    resolved = _resolve_columns(model, data, source)
    flow_vars = model.flows
    stock_vars = set(model.stocks)
    lookup = _per_series(flow_modes, resolved, "flows", ("total", "rate"))
    if flow_modes is not None and not isinstance(flow_modes, Mapping):  # one word for all
        lookup = {v: m for v, m in lookup.items() if v in flow_vars}
    periods = _per_series(period, resolved, "period", None)
    wspec = weights if isinstance(weights, Mapping) else {}
    wkind = weights if isinstance(weights, str) else "std"
    if wkind not in WEIGHTINGS or not (weights is None or isinstance(weights, (str, Mapping))):
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
                kind = "a stock" if var in stock_vars else "a level (not measured per time)"
                raise CalibrationError(
                    f"'{var}' is {kind}, not a flow: it can only be compared at the data's times"
                )
            mode = "level"
        elif mode is None:
            if not even:
                raise CalibrationError.with_fix(
                    f"'{var}' is a flow ({model.units(var)}) and the data's times are unevenly "
                    f"spaced, so it is ambiguous whether '{col}' holds totals since the previous "
                    "observation or rates at each time",
                    f"flows={{'{var}': 'total'}} or 'rate'",
                    f"--flow '{var}=total' or --flow '{var}=rate'",
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
                    raise CalibrationError.with_fix(
                        f"the first value of '{_header(data, col)}' is a total over an "
                        "unknown period: the data's times are uneven",
                        f"period={{'{var}': LENGTH}} or drop it",
                        f"leave the first value of '{_header(data, col)}' empty, or --flow "
                        f"'{var}=rate'",
                    )
        obs = values[ok]
        factor = wmap.get(var, 1.0)
        weight = _default_weight(obs, wkind) * float(factor)
        if not (np.isfinite(weight) and weight > 0):
            raise CalibrationError(f"weight of '{var}' must be positive, got {factor}")
        header = data.attrs.get("columns", {}).get(col, col)
        out.append(
            Series(header, var, mode, times[ok], starts[ok], obs, float(weight), model.units(var))
        )
    return out


def _resolve_columns(model: Model, data: pd.DataFrame, source) -> dict[str, str]:
    """Data column -> model variable, each a computed variable matched once."""
    resolved: dict[str, str] = {}
    for col in data.columns:
        try:
            var = model.resolve(str(col))
        except UnknownParameterError as exc:
            raise DataError.with_fix(
                f"{source}: column '{col}' matches no variable of {model.name}; {exc}",
                f"rename it with read_data(columns={{'{col}': 'VARIABLE'}})",
                f"--map '{col}=VARIABLE'",
            ) from None
        if var in resolved.values():
            raise DataError(f"{source}: two columns match the variable '{var}' (ambiguous)")
        if var in model.constants:
            raise DataError(f"{source}: column '{col}' is the constant '{var}', not a series")
        resolved[col] = var
    return resolved


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


def _header(data, col: str) -> str:
    """The data file's own name of the column read as ``col`` (``--map sales=...``)."""
    return data.attrs.get("columns", {}).get(col, col)


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
