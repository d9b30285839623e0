"""Calendar years in scenario files: the ``[calendar]`` table.

A model runs in model time (0 at the start of a cluster's life). A scenario that stands
for a real region says which calendar year model time 0 is::

    [calendar]
    year_zero = 1960      # the calendar year of model time 0
    dates = "calendar"    # (the default) dates in [params] are calendar years; "model": model time

Then ``lifecycle run``, ``stages`` and ``summary`` report that scenario in calendar years (the
time column, the figures' x axis, stage boundaries, ``--years``), and the constants that
date an event (the time argument of a ``STEP``, ``RAMP`` or ``PULSE``: ``disruptive shock
year``, every ``... start``) can be written as years: ``"disruptive shock year" = 2005``
is model time 45. A calendar is inherited through ``extends`` unless the file sets its own.
The fitted scenario :func:`lifecycle.calibrate` writes has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ._names import key_fix
from ._readers import line_of
from .errors import Problem

KEYS = ("year_zero", "dates")
DATES = ("calendar", "model")


@dataclass(frozen=True)
class Calendar:
    """``year = model time + year_zero``; ``dates`` says how date constants are written."""

    year_zero: float
    dates: str = "calendar"

    def years(self, times):
        """Calendar years of model ``times``."""
        return times + self.year_zero


def read_calendar(data: dict, text: str, where: str, problems: list, parent=None):
    """The file's ``[calendar]`` (problems appended, each with its line and fix), else the
    parent's (``extends``), else None."""
    if "calendar" not in data:
        return getattr(parent, "calendar", None)
    raw = data["calendar"]
    head = line_of(text, "calendar")
    if not isinstance(raw, dict):
        problems.append(
            Problem(where, "[calendar] must be a table", head, "write [calendar] year_zero = 1960")
        )
        return None
    before = len(problems)
    for key in raw:
        if key not in KEYS:
            fix = key_fix(key, KEYS)
            problems.append(
                Problem(
                    where, f"unknown key '{key}' in [calendar]", line_of(text, key, "calendar"), fix
                )
            )
    zero = raw.get("year_zero")
    if "year_zero" not in raw:
        problems.append(
            Problem(
                where,
                "[calendar] needs 'year_zero', the calendar year of model time 0",
                head,
                "add year_zero = 1960 (say)",
            )  # fmt: skip
        )
    elif isinstance(zero, bool) or not isinstance(zero, (int, float)) or not math.isfinite(zero):
        problems.append(
            Problem(
                where,
                f"'year_zero' must be a number (a year), got {zero!r}",
                line_of(text, "year_zero", "calendar"),
                "write year_zero = 1960 (say)",
            )  # fmt: skip
        )
    dates = raw.get("dates", "calendar")
    if dates not in DATES:
        problems.append(
            Problem(
                where,
                f'\'dates\' must be "calendar" or "model", got {dates!r}',
                line_of(text, "dates", "calendar"),
                'dates = "calendar" (dates in [params] are years) or "model"',
            )  # fmt: skip
        )
    if len(problems) > before:
        return None
    return Calendar(float(zero), dates)


def model_time(model, calendar: Calendar | None, name: str, value):
    """``value`` in model time: a date constant written as a year less ``year_zero``;
    anything else unchanged."""
    if _is_year(model, calendar, name, value):
        return value - calendar.year_zero
    return value


def annotate(problem: Problem, model, calendar, name: str, value) -> Problem:
    """``problem`` about a date written as a year, with the year and its model time."""
    if not _is_year(model, calendar, name, value):
        return problem
    note = (
        f"; written as the year {value:g}, which is model time {value - calendar.year_zero:g} "
        f"([calendar] year_zero = {calendar.year_zero:g})"
    )
    return replace(problem, message=problem.message + note)


def _is_year(model, calendar, name, value) -> bool:
    if calendar is None or calendar.dates != "calendar" or isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) and _resolve_date(model, name) is not None


def _resolve_date(model, name: str) -> str | None:
    from ._names import canonical

    dates = date_constants(model)
    return next((d for d in dates if canonical(d) == canonical(name)), None)


def date_constants(model) -> set[str]:
    """The constants that date an event (see :mod:`lifecycle.calibration`'s dates)."""
    from .calibration._parameters import event_constants

    return event_constants(model)[0]
