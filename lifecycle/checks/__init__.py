"""Behaviour checks as data: ``checks/*.toml`` files, run once or over an ensemble.

:func:`load_checks` reads and validates check files, :func:`run_checks` runs them (at the
model's values, or over Latin-hypercube draws of an uncertain file), and
:func:`lifecycle.checks.discover.discover` finds with PRIM the parameter boxes in which a
check fails. The ``lifecycle check`` command is a thin layer over these.
"""

from .expr import Condition, ConditionError, parse_condition
from .files import Check, CheckFileError, CheckSet, RunSpec, load_checks
from .metrics import CheckMetric
from .run import CheckReport, Outcome, run_checks, wilson

__all__ = [
    "Check",
    "CheckFileError",
    "CheckMetric",
    "CheckReport",
    "CheckSet",
    "Condition",
    "ConditionError",
    "Outcome",
    "RunSpec",
    "load_checks",
    "parse_condition",
    "run_checks",
    "wilson",
]
