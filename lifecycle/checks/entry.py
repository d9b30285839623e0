"""Validation of one ``[[check]]`` table and of the metric calls in its condition.

:class:`Validator` holds what the checks of one invocation share: the model, and the
scenario files already read (each read and validated once, its problems reported once).
Every method collects :class:`~lifecycle.errors.Problem` objects instead of raising, so that
:func:`lifecycle.checks.files.load_checks` can report every problem of every file at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .._names import did_you_mean, key_fix
from ..errors import Problem, ScenarioError, UnknownParameterError
from ..model import Model
from ..scenarios import Scenario, check_param, load_scenario
from .expr import Call, Condition, ConditionError, parse_condition
from .metrics import FUNCTIONS, HELP, CheckMetric, number, split_args, string

CHECK_KEYS = ("name", "claim", "scenario", "params", "condition")
DEFAULTS = "(model values)"


@dataclass(frozen=True)
class RunSpec:
    """One simulation a check needs: a scenario file (or none) plus inline constants."""

    scenario: Path | None = None
    params: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> str:
        base = str(self.scenario) if self.scenario else DEFAULTS
        if self.params:
            base += " + " + ", ".join(f"{k}={v:g}" for k, v in self.params)
        return base


@dataclass
class Check:
    """A validated check: its claim, the run it reads and its condition."""

    name: str
    condition: Condition
    metrics: list[CheckMetric]
    run: RunSpec
    claim: str = ""
    file: Path | None = None
    line: int | None = None

    @property
    def runs(self) -> list[RunSpec]:
        """Every run the condition reads, its own first."""
        out = [self.run]
        for m in self.metrics:
            spec = RunSpec(Path(m.scenario)) if m.scenario else self.run
            if spec not in out:
                out.append(spec)
        return out


class _Problems(Exception):
    """Problems of a referenced scenario file (they carry their own file and line)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("scenario problems")
        self.problems = problems


class Validator:
    """Validates check tables against ``model``; reads each scenario file once."""

    def __init__(self, model: Model):
        self.model = model
        self.scenarios: dict[Path, Scenario] = {}
        self._bad: set[Path] = set()

    def scenario(self, path: Path) -> tuple[Scenario | None, list[Problem]]:
        """The validated scenario at ``path`` and, the first time only, its problems."""
        if path in self.scenarios:
            return self.scenarios[path], []
        if path in self._bad:
            return None, []
        try:
            s = load_scenario(path, self.model)
        except ScenarioError as exc:
            self._bad.add(path)
            return None, list(exc.problems)
        self.scenarios[path] = s
        return s, []

    # -- one [[check]] table ---------------------------------------------------------------

    def check(self, f: Path, entry: Mapping, header: int | None, lines: dict[str, int]):
        """``(Check or None, problems)`` for one table of file ``f``; ``header`` is the line
        of its ``[[check]]`` and ``lines`` the line of each key in it."""
        out = _Collector(str(f), header, lines)
        for key in entry:
            if key not in CHECK_KEYS:
                out.add(f"unknown key `{key}` in [[check]]", key, key_fix(key, CHECK_KEYS))
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            out.add("a check needs a `name` (a text)", "name", 'add name = "what the check says"')
            name = None
        out.label = f"check '{name}'" if name else "check"
        claim = entry.get("claim", "")
        if not isinstance(claim, str):
            out.add(f"{out.label}: `claim` must be a text", "claim", "write the claim in quotes")
            claim = ""
        spath, own = self._own_scenario(f, entry, out)
        params = self._params(entry, out)
        metrics: list[CheckMetric] = []
        condition = self._condition(f, entry, own, metrics, out)
        if out.problems or name is None or condition is None:
            return None, out.problems
        check = Check(
            name=name.strip(),
            condition=condition,
            metrics=metrics,
            run=RunSpec(spath, tuple(sorted(params.items()))),
            claim=claim,
            file=f,
            line=header,
        )
        return check, out.problems

    def _own_scenario(self, f: Path, entry: Mapping, out: _Collector):
        if "scenario" not in entry:
            return None, None
        s = entry["scenario"]
        if not isinstance(s, str) or not s.strip():
            out.add(f"{out.label}: `scenario` must be a file name", "scenario")
            return None, None
        spath = (f.parent / s).resolve()
        if not spath.is_file():
            out.add(
                f"{out.label}: scenario file {s} not found (looked for {spath})",
                "scenario",
                "give the scenario's path relative to the check file",
            )
            return None, None
        own, found = self.scenario(spath)
        out.problems.extend(found)
        return spath, own

    def _params(self, entry: Mapping, out: _Collector) -> dict[str, float]:
        params: dict[str, float] = {}
        if "params" not in entry:
            return params
        p = entry["params"]
        if not isinstance(p, Mapping):
            out.add(f"{out.label}: `params` must be a table", "params", 'params = { "name" = 1.0 }')
            return params
        line = out.line("params")
        for pname, value in p.items():
            pair, prob = check_param(self.model, pname, value, out.where, line)
            if prob:
                out.problems.append(
                    Problem(prob.file, f"{out.label}: params: {prob.message}", prob.line, prob.fix)
                )
            elif pair:
                params[pair[0]] = pair[1]
        return params

    def _condition(self, f, entry, own, metrics: list[CheckMetric], out) -> Condition | None:
        text = entry.get("condition")
        if not isinstance(text, str) or not text.strip():
            out.add(
                f"{out.label}: needs a `condition` (a text)",
                "condition",
                'condition = "peak(Employment) > 1000"',
            )
            return None

        def metric(call: Call) -> int | None:
            try:
                m = self.metric(call, f, own)
            except ConditionError as exc:
                for msg in exc.messages:
                    out.add_split(msg, "condition")
                return None
            except _Problems as exc:
                out.problems.extend(exc.problems)
                return None
            if m not in metrics:
                metrics.append(m)
            return metrics.index(m)

        try:
            condition = parse_condition(text, metric)
        except ConditionError as exc:
            for msg in exc.messages:
                out.add_split(msg, "condition")
            return None
        if not metrics and not out.problems:
            out.add(
                f"{out.label}: the condition reads no metric, so it cannot depend on the model",
                "condition",
                "compare a metric such as peak(Firms)",
            )
        return condition

    # -- one metric call -------------------------------------------------------------------

    def metric(self, call: Call, f: Path, own: Scenario | None) -> CheckMetric:
        """Validate one metric call against the model and the horizon of the run it reads.

        Raises :class:`ConditionError` (a message) or ``_Problems`` (a referenced scenario's
        own problems)."""
        kind, args, ref = _arguments(call)
        times = _times(call, args[1:])
        raw = string(args[0]) or args[0]
        try:
            variable = self.model.resolve(raw)
        except UnknownParameterError as exc:
            hint = (
                did_you_mean(exc.suggestions)
                if exc.suggestions
                else "run `lifecycle params` or look in the .mdl file for the names"
            )
            raise ConditionError(
                [f"{call.text}: '{raw}' is not a variable of {self.model.name}; {hint}"]
            ) from None
        target, spath = own, None
        if ref is not None:
            spath = (f.parent / ref).resolve()
            if not spath.is_file():
                raise ConditionError(
                    [
                        f"{call.text}: scenario file {ref} not found (looked for {spath}); "
                        "give its path relative to the check file"
                    ]
                )
            target, found = self.scenario(spath)
            if found:
                raise _Problems(found)
        lo, hi = self.model.horizon(target)
        for v in times:
            if not lo <= v <= hi:
                raise ConditionError(
                    [
                        f"{call.text}: time {v:g} is outside the run [{lo:g}, {hi:g}]; "
                        f"use a time from {lo:g} to {hi:g}"
                    ]
                )
        start, end = (times + [None, None])[:2]
        return CheckMetric(
            kind=kind,
            variable=variable,
            start=start,
            end=end,
            scenario=str(spath) if spath else None,
            text=" ".join(call.text.split()),
        )


class _Collector:
    """Problems of one check table, each placed on its key's line (else the header's)."""

    def __init__(self, where: str, header: int | None, lines: dict[str, int]):
        self.where, self.header, self.lines = where, header, lines
        self.problems: list[Problem] = []
        self.label = "check"

    def line(self, key: str | None) -> int | None:
        return self.lines.get(key, self.header) if key else self.header

    def add(self, message: str, key: str | None = None, fix: str | None = None) -> None:
        self.problems.append(Problem(self.where, message, self.line(key), fix))

    def add_split(self, text: str, key: str) -> None:
        """A condition's message ``"what is wrong; how to fix it"`` as message and fix."""
        message, _, fix = text.partition("; ")
        self.add(f"{self.label}: {message}", key, fix or None)


def _arguments(call: Call) -> tuple[str, list[str], str | None]:
    """The metric's kind, its positional arguments and its ``scenario=`` (or None)."""
    kind, windowed = FUNCTIONS[call.function]
    args = split_args(call.args)
    if args is None:
        raise ConditionError(
            [f"{call.text}: unbalanced quotes or parentheses; close every quote and parenthesis"]
        )
    ref = None
    if args and re.match(r"^scenario\s*=", args[-1]):
        ref = string(args[-1].split("=", 1)[1])
        if ref is None:
            raise ConditionError(
                [
                    f"{call.text}: scenario= needs a quoted path; "
                    'write scenario="file.toml" (relative to the check file)'
                ]
            )
        args = args[:-1]
    for a in args:
        if re.match(r"^[A-Za-z_]+\s*=", a):
            name = a.split("=")[0].strip()
            raise ConditionError(
                [f"{call.text}: unknown argument '{name}'; only scenario= is allowed"]
            )
    if kind == "at":
        want, ok = "2 arguments (variable, time)", len(args) == 2
    elif windowed:
        want, ok = "1 or 3 arguments (variable[, from, to])", len(args) in (1, 3)
    else:
        want, ok = "1 argument (variable)", len(args) == 1
    if not ok or not args[0]:
        raise ConditionError([f"{call.text}: {call.function}() takes {want}; {HELP}"])
    return kind, args, ref


def _times(call: Call, args: list[str]) -> list[float]:
    times = []
    for a in args:
        v = number(a)
        if v is None:
            raise ConditionError(
                [f"{call.text}: '{a}' is not a number; write a time in years, e.g. 40"]
            )
        times.append(v)
    if len(times) == 2 and not times[0] < times[1]:
        raise ConditionError(
            [f"{call.text}: the period runs backward; write the earlier time first"]
        )
    return times
