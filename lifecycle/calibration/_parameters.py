"""Parameters of a calibration: what is fitted, ties, dates and the calendar.

See :mod:`._setup` for the calendar, dates and ties in words. Everything here is checked
before the first model run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._names import canonical
from ..errors import CalibrationError
from ..model import Model, not_a_parameter, setting_key

SPIN_UP = "spin up"  # the pseudo-parameter: years simulated before the first data year


@dataclass(frozen=True)
class Parameter:
    """A value to fit, in the shape of ``lmfit.Parameter(name, value, min, max, vary)``.

    ``name`` is a constant of the model, a tie (see :func:`lifecycle.calibrate`'s
    ``ties``) or ``"spin up"``. ``value`` is the starting value (default: the model's value,
    or the middle of the bounds when that lies outside them); ``vary=False`` holds it there.
    Dates are in calendar years (the data's time).
    """

    name: str
    value: float | None = None
    min: float | None = None
    max: float | None = None
    vary: bool = True


# -- dates and stepped constants -------------------------------------------------------------
_EVENT = re.compile(r"\b(PULSE\s+TRAIN|PULSE|STEP|RAMP)\s*\(", re.IGNORECASE)
TIME_ARGS = {"STEP": (1,), "RAMP": (1, 2), "PULSE": (0, 1), "PULSETRAIN": (0, 1, 2, 3)}
# arguments that are points in time (the others are widths and repeat intervals)
STARTS = {("STEP", 1), ("RAMP", 1), ("RAMP", 2), ("PULSE", 0), ("PULSETRAIN", 0), ("PULSETRAIN", 3)}


def _args(text: str, start: int) -> list[str]:
    """The comma-separated arguments of the call whose '(' is at ``start - 1``."""
    depth, args, cur = 0, [], []
    for ch in text[start:]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    args.append("".join(cur))
    return args


def _terms(expr: str) -> list[str]:
    """Top-level ``+``/``-`` terms of an expression (parentheses kept together)."""
    depth, terms, cur = 0, [], []
    for ch in expr:
        depth += (ch == "(") - (ch == ")")
        if ch in "+-" and depth == 0:
            terms.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


def event_constants(model: Model) -> tuple[set[str], set[str]]:
    """``(dates, stepped)``: constants that time events, and every constant in a time argument.

    A date is a constant standing as the first term of a ``STEP``/``RAMP``/``PULSE`` time
    argument (``STEP(1, large firm exit year)``); a duration added to it (``... start +
    ... duration``) is stepped but not a date.
    """
    cached = getattr(model, "_calibration_events", None)
    if cached is not None:
        return cached
    text = Path(model.path).read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"\\\s*\n", " ", text)
    equations = [chunk.split("~", 1)[0] for chunk in text.split("|")]
    keys = {canonical(n): n for n in model.parameters}
    dates: set[str] = set()
    stepped: set[str] = set()
    for eq in equations:
        _, sep, rhs = eq.partition("=")
        if not sep:
            continue
        for m in _EVENT.finditer(rhs):
            kind = canonical(m.group(1)).upper()
            args = _args(rhs, m.end())
            for i in TIME_ARGS[kind]:
                if i >= len(args):
                    continue
                terms = _terms(args[i])
                for j, term in enumerate(terms):
                    for word in re.split(r"[*/()^,]", term):
                        name = keys.get(canonical(word))
                        if name is None:
                            continue
                        stepped.add(name)
                        if j == 0 and canonical(term) == canonical(word) and (kind, i) in STARTS:
                            dates.add(name)
    out = (dates, stepped)
    try:
        model._calibration_events = out
    except AttributeError:  # a duck-typed model
        pass
    return out


# -- parameters --------------------------------------------------------------------------------
def _as_parameter(name: str, spec: Any) -> Parameter:
    if isinstance(spec, Parameter):
        return replace(spec, name=name)
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"min", "max", "value", "vary"}
        if unknown or not {"min", "max"} <= set(spec):
            raise CalibrationError(
                f"`params['{name}']` needs keys 'min' and 'max' (optional 'value', 'vary'), "
                f"got {sorted(spec)}"
            )
        return Parameter(name, spec.get("value"), spec["min"], spec["max"], spec.get("vary", True))
    if all(hasattr(spec, a) for a in ("min", "max", "value")):  # an lmfit.Parameter
        return Parameter(name, spec.value, spec.min, spec.max, getattr(spec, "vary", True))
    if isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        return Parameter(name, spec[2] if len(spec) == 3 else None, spec[0], spec[1])
    raise CalibrationError(
        f"`params['{name}']` must be (low, high), (low, high, initial), a dict with "
        f"'min', 'max' and optionally 'value', or a Parameter; got {spec!r}"
    )


def _params_dict(params) -> dict[str, Any]:
    if isinstance(params, Parameter):
        params = [params]
    if isinstance(params, Sequence) and not isinstance(params, str):
        out = {}
        for p in params:
            if not isinstance(p, Parameter):
                raise CalibrationError(f"a list of params must hold Parameter objects, got {p!r}")
            out[p.name] = p
        return out
    if not isinstance(params, Mapping):
        raise CalibrationError(f"`params` must be a dict or a list of Parameter, got {params!r}")
    return dict(params)


_OFFSET = re.compile(r"^(.*?\S)\s*([+-]\s*\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)$")


def parse_ties(ties) -> dict[str, dict[str, float]]:
    """``ties`` as ``{tie: {constant: offset}}``; members may be ``"name+2"`` strings."""
    if not ties:
        return {}
    if not isinstance(ties, Mapping):
        raise CalibrationError(f"`ties` must be a dict of tie -> constants, got {ties!r}")
    out: dict[str, dict[str, float]] = {}
    for tie, members in ties.items():
        if isinstance(members, str):
            members = [m for m in members.split(",") if m.strip()]
        if isinstance(members, Mapping):
            items = {str(k): float(v) for k, v in members.items()}
        else:
            items = {}
            for text in members:
                m = _OFFSET.match(str(text).strip())
                if m and not re.search(r"[A-Za-z]", m.group(2)):
                    items[m.group(1).strip()] = float(m.group(2).replace(" ", ""))
                else:
                    items[str(text).strip()] = 0.0
        if not items:
            raise CalibrationError(f"tie '{tie}' names no constant")
        out[str(tie).strip()] = items
    return out


def _range_text(const) -> str:
    lo = "-inf" if const.low is None else f"{const.low:g}"
    hi = "inf" if const.high is None else f"{const.high:g}"
    return f"[{lo}, {hi}]"


def _number(x, what: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise CalibrationError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise CalibrationError(f"{what} must be finite, got {v}")
    return v


def parameters(
    model: Model, params, ties=None
) -> tuple[list[Parameter], dict, set[str], set[str], dict[str, float | None]]:
    """Resolve and check ``params`` (and ``ties``): ``(params, members, dates, stepped,
    defaults)``.

    Values are floats; a missing start value becomes the model's value (the first member's
    for a tie) or the middle of the bounds. Range checks against the model need the
    calendar and are made by :func:`calendar`.
    """
    specs = _params_dict(params)
    if not specs:
        raise CalibrationError("`params` is empty: name at least one constant to fit")
    tied = parse_ties(ties)
    dates_all, stepped_all = event_constants(model)
    tie_keys = {canonical(t): t for t in tied}
    out: list[Parameter] = []
    members: dict[str, tuple[tuple[str, float], ...]] = {}
    dates: set[str] = set()
    stepped: set[str] = set()
    used: dict[str, str] = {}
    defaults: dict[str, float | None] = {}
    for raw_name, spec in specs.items():
        key = canonical(raw_name)
        if key == canonical(SPIN_UP):
            name, group, default = SPIN_UP, (), None
        elif key in tie_keys:
            name = tie_keys[key]
            group = []
            for member, offset in tied[name].items():
                const = model.resolve_constant(member)
                group.append((const.name, offset))
            default = model.constants[group[0][0]].default - group[0][1]
        else:
            const = model.resolve_constant(raw_name)  # UnknownParameterError / NotAConstantError
            name, group, default = const.name, [(const.name, 0.0)], const.default
        for const_name, _ in group:
            if setting_key(const_name) is not None:
                raise CalibrationError.with_fix(
                    not_a_parameter(const_name, "a constant to fit"),
                    "pass time_step= or final_time=; to start the model earlier than the "
                    "data, spin_up= or the parameter 'spin up'",
                    "--time-step or --final-time; to start the model earlier than the data, "
                    "--spin-up YEARS or --param 'spin up=LOW:HIGH'",
                )
            if const_name in used:
                raise CalibrationError(
                    f"'{const_name}' is set by both '{used[const_name]}' and '{name}' "
                    "(fix: fit it once)"
                )
            used[const_name] = name
        kinds = {c in dates_all for c, _ in group}
        if len(kinds) > 1:
            raise CalibrationError(
                f"tie '{name}' mixes dates and other constants "
                f"({', '.join(c for c, _ in group)}): tie dates with dates"
            )
        if group and kinds == {True}:
            dates.add(name)
        if any(c in stepped_all for c, _ in group):
            stepped.add(name)
        p = _as_parameter(name, spec)
        if not p.vary and p.value is not None:  # a held value needs no bounds
            p = replace(p, min=p.value if p.min is None else p.min,
                        max=p.value if p.max is None else p.max)  # fmt: skip
        low = _number(p.min, f"the lower bound of '{name}'")
        high = _number(p.max, f"the upper bound of '{name}'")
        if low > high:
            raise CalibrationError(
                f"bounds of '{name}' are reversed: [{low:g}, {high:g}] "
                f"(fix: {name}={high:g}:{low:g})"
            )
        if p.vary and low == high:
            raise CalibrationError(
                f"bounds of '{name}' are equal ({low:g}); set it in the scenario instead"
            )
        init = p.value
        out.append(Parameter(name, None if init is None else float(init), low, high, bool(p.vary)))
        members[name] = tuple(group)
        defaults[name] = default  # model time; a date's moves to the calendar later
    for tie in tied:
        if tie not in members:
            raise CalibrationError(
                f"tie '{tie}' has no bounds (fix: add --param \"{tie}=LOW:HIGH\" or "
                f"params={{'{tie}': (low, high)}})"
            )
    return out, members, dates, stepped, defaults


def _check_ranges(model: Model, p: Parameter, group, zeros) -> None:
    """Both bounds of ``p`` keep every constant it sets inside the model's range (a date at
    both ends of the calendar's range, ``zeros``)."""
    for const_name, offset in group:
        const = model.constants[const_name]
        for bound in (p.min, p.max):
            for y0 in zeros or (0.0,):
                v = bound + offset - y0
                if not const.contains(v):
                    where = f" (model time {v:g} with year zero {y0:g})" if zeros else ""
                    raise CalibrationError(
                        f"bounds [{p.min:g}, {p.max:g}] of '{p.name}' take '{const_name}' "
                        f"outside the model's range {_range_text(const)}{where} (fix: narrow "
                        "the bounds)"
                    )


def calendar(
    model: Model,
    params: list[Parameter],
    members,
    dates: set[str],
    defaults: Mapping[str, float | None],
    *,
    first: float,
    last: float,
    data_offset: float,
    spin_up: float | None,
    initial: float,
    time_step: float,
    final_time: float | None,
    model_final: float,
) -> tuple[list[Parameter], float | None, float, float | None]:
    """Fix the calendar and check every value against the model's ranges.

    Returns ``(params with start values, year_zero or None, end of the runs, spin_up)``.
    """
    by_name = {p.name: p for p in params}
    fitted_spin = by_name.get(SPIN_UP)
    if fitted_spin is not None and spin_up is not None:
        raise CalibrationError("give the spin-up once: spin_up= or the parameter 'spin up'")
    if fitted_spin is not None:
        if fitted_spin.min < 0:
            raise CalibrationError(f"'spin up' must be >= 0 years, got {fitted_spin.min:g}")
        spin_lo, spin_hi = fitted_spin.min, fitted_spin.max
        if not fitted_spin.vary:
            spin_up = fitted_spin.value if fitted_spin.value is not None else fitted_spin.min
    elif spin_up is not None:
        spin_up = _number(spin_up, "spin_up")
        if spin_up < 0:
            raise CalibrationError(f"spin_up must be >= 0 years, got {spin_up:g}")
    cap = math.inf
    if spin_up is not None:
        year_zero = first - initial - spin_up
        zeros = (year_zero, year_zero)
        end = last - year_zero
    elif fitted_spin is not None:
        year_zero = None
        zeros = (first - initial - spin_hi, first - initial - spin_lo)
        end = last - zeros[0]
    else:
        year_zero = data_offset
        zeros = (year_zero, year_zero)
        horizon = final_time if final_time is not None else model_final
        if first - year_zero < initial - 1e-9 or last - year_zero > horizon + 1e-9:
            raise CalibrationError.with_fix(
                f"the data's times ({first:g} to {last:g}, model time {first - year_zero:g} to "
                f"{last - year_zero:g}) fall outside the simulated horizon [{initial:g}, "
                f"{horizon:g}]",
                "check time_offset, extend final_time, or start the model earlier with spin_up=",
                "check --time-offset, extend --final-time, or start the model earlier with "
                "--spin-up YEARS",
            )
        end, cap = last - year_zero, horizon
    end = min(cap, initial + math.ceil((end - initial) / time_step - 1e-9) * time_step)
    resolved = []
    for p in params:
        if p.name == SPIN_UP:
            value = p.value if p.value is not None else 0.5 * (p.min + p.max)
        else:
            default = defaults.get(p.name)
            if p.name in dates and default is not None:
                default = default + (zeros[0] if zeros[0] == zeros[1] else 0.5 * sum(zeros))
            value = p.value
            if value is None:
                value = default if p.min <= default <= p.max else 0.5 * (p.min + p.max)
            _check_ranges(model, p, members[p.name], zeros if p.name in dates else None)
        if not p.min <= value <= p.max:
            raise CalibrationError(
                f"initial value {value:g} of '{p.name}' is outside its bounds "
                f"[{p.min:g}, {p.max:g}]"
            )
        resolved.append(replace(p, value=float(value)))
    return resolved, year_zero, end, spin_up
