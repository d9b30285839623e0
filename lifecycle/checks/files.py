"""Check files: ``[[check]]`` tables in TOML, validated against the model before any run.

A check file::

    description = "What these checks are about"          # optional
    model = "../models/cluster_lifecycle.mdl"            # optional: default the main model

    [[check]]
    name = "forum tips a subcritical cluster"
    claim = "Seed: the more firms become members, the more want to join (critical mass)"
    scenario = "../scenarios/networking_initiative.toml"  # relative to this file
    params = { "trust building rate" = 0.3 }              # optional, on top of the scenario
    condition = '''final(Member Share) >= 0.5
        and final(Member Share, scenario="../scenarios/baseline.toml") < 0.3'''

``scenario`` and ``params`` are both optional: without them the check runs at the model's
values. Every problem in every file (malformed TOML, an unknown key, a missing scenario, an
unknown variable or metric, a time outside the run) is reported at once, with the file, the
line and a fix (:class:`CheckFileError`, exit code 2). A condition may span lines (a TOML
``'''`` string).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LifecycleError, Problem, ScenarioError, UnknownParameterError
from ..model import Model, load_model
from ..scenarios import Scenario, check_param, load_scenario
from .expr import Call, Condition, ConditionError, parse_condition
from .metrics import FUNCTIONS, HELP, CheckMetric, number, split_args, string

TOP_KEYS = ("description", "model", "check")
CHECK_KEYS = ("name", "claim", "scenario", "params", "condition")
DEFAULTS = "(model values)"


class CheckFileError(ScenarioError):
    """One or more problems in check files; all reported at once, nothing run."""


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


@dataclass
class CheckSet:
    """Checks of one or more files, with the model and the scenarios they run."""

    checks: list[Check]
    model: Model
    files: list[Path]
    scenarios: dict[Path, Scenario] = field(default_factory=dict)

    def runs(self) -> list[RunSpec]:
        out: list[RunSpec] = []
        for c in self.checks:
            for r in c.runs:
                if r not in out:
                    out.append(r)
        return out

    def scenario_for(self, spec: RunSpec) -> Scenario:
        """The scenario object of a run: the file's constants with the inline ones on top."""
        base = self.scenarios.get(spec.scenario) if spec.scenario else None
        params = dict(base.params) if base else {}
        params.update(dict(spec.params))
        return Scenario(
            name=spec.key,
            description=base.description if base else "",
            path=spec.scenario,
            params=params,
            final_time=base.final_time if base else None,
            time_step=base.time_step if base else None,
            saveper=base.saveper if base else None,
            sha256=base.sha256 if base else "",
        )

    def variables(self, spec: RunSpec) -> list[str]:
        """The variables any check reads from ``spec``."""
        out: list[str] = []
        for c in self.checks:
            for m in c.metrics:
                own = RunSpec(Path(m.scenario)) if m.scenario else c.run
                if own == spec and m.variable not in out:
                    out.append(m.variable)
        return out


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files as given; a folder stands for its ``*.toml`` files (not its subfolders)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                problems.append(
                    Problem(str(p), "folder holds no check files", None, "add *.toml files")
                )
            files += found
        elif p.is_file():
            files.append(p)
        else:
            problems.append(
                Problem(str(p), "check file not found", None, "give a .toml file or a folder")
            )
    return list(dict.fromkeys(files)), problems


def _blocks(text: str) -> list[tuple[int, dict[str, int]]]:
    """Per ``[[check]]`` table: the header's line and the line of each key in it."""
    out: list[tuple[int, dict[str, int]]] = []
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if re.match(r"^\[\[\s*check\s*\]\]", s):
            out.append((no, {}))
        elif s.startswith("["):
            if out:
                out.append((no, {"__other__": no}))  # another table closes the block
        elif out:
            m = re.match(r'^(?:"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_\-]+))\s*=', s)
            if m:
                key = m.group(1) or m.group(2) or m.group(3)
                out[-1][1].setdefault(key, no)
    return [b for b in out if "__other__" not in b[1]]


def _top_line(text: str, key: str) -> int | None:
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            return None
        if re.match(rf'^(?:"{re.escape(key)}"|{re.escape(key)})\s*=', s):
            return no
    return None


def _read(path: Path, problems: list[Problem]) -> tuple[dict | None, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), f"cannot read the file: {exc}"))
        return None, ""
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
        line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
        msg = getattr(exc, "msg", None) or (str(exc)[: m.start()] if m else str(exc))
        problems.append(
            Problem(
                str(path),
                f"malformed TOML: {msg}",
                line,
                'each check is a [[check]] table of `key = "value"` lines',
            )
        )
        return None, text


def _suggest_key(key: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    allowed_text = ", ".join(allowed)
    return f"did you mean '{close[0]}'? (keys: {allowed_text})" if close else f"use {allowed_text}"


def _horizon(model: Model, scenario: Scenario | None) -> tuple[float, float]:
    final = scenario.final_time if scenario is not None else None
    return model.control["initial_time"], final if final is not None else model.control[
        "final_time"
    ]


def _model_for(files: list[Path], data: dict[Path, dict], model_path) -> tuple[Model, list]:
    """``--model``, else the one model the files name, else the main model."""
    problems: list[Problem] = []
    if model_path is not None:
        return load_model(model_path), problems
    named = {}
    for f in files:
        m = (data.get(f) or {}).get("model")
        if isinstance(m, str):
            named[f] = (f.parent / m).resolve()
    used = set(named.values())
    if len(used) > 1:
        problems.append(
            Problem(
                ", ".join(str(f) for f in named),
                "the check files name different models",
                None,
                "check the files of each model separately",
            )
        )
    path = next(iter(used)) if len(used) == 1 else None
    try:
        return load_model(path), problems
    except LifecycleError as exc:
        f = next(iter(named))
        problems.append(Problem(str(f), str(exc), _top_line("", "model"), "fix the model path"))
        return load_model(None), problems


def load_checks(paths: Iterable[str | Path], model_path=None) -> CheckSet:
    """Read and validate check files (or folders of them).

    Parameters
    ----------
    paths : check files, or folders whose ``*.toml`` files are check files.
    model_path : the model to check (default: the files' ``model`` key, else the main model).

    Raises
    ------
    CheckFileError
        With every problem of every file: file, line and fix.

    Examples
    --------
    >>> cs = load_checks(["checks/"])                                 # doctest: +SKIP
    >>> [c.name for c in cs.checks]                                   # doctest: +SKIP
    """
    files, problems = expand(paths)
    data: dict[Path, dict] = {}
    texts: dict[Path, str] = {}
    for f in files:
        d, text = _read(f, problems)
        texts[f] = text
        if d is not None:
            data[f] = d
    model, mp = _model_for(files, data, model_path)
    problems += mp
    scenarios: dict[Path, Scenario] = {}
    bad_scenarios: set[Path] = set()
    checks: list[Check] = []
    names: dict[str, str] = {}

    def scenario(path: Path) -> tuple[Scenario | None, list[Problem]]:
        if path in scenarios:
            return scenarios[path], []
        if path in bad_scenarios:
            return None, []
        try:
            s = load_scenario(path, model)
        except ScenarioError as exc:
            bad_scenarios.add(path)
            return None, list(exc.problems)
        scenarios[path] = s
        return s, []

    for f in files:
        d = data.get(f)
        if d is None:
            continue
        text = texts[f]
        where = str(f)
        for key in d:
            if key not in TOP_KEYS:
                problems.append(
                    Problem(
                        where,
                        f"unknown key `{key}`",
                        _top_line(text, key),
                        _suggest_key(key, TOP_KEYS),
                    )
                )
        for key in ("description", "model"):
            if key in d and not isinstance(d[key], str):
                problems.append(
                    Problem(where, f"`{key}` must be a text", _top_line(text, key), None)
                )
        entries = d.get("check")
        if (
            not isinstance(entries, list)
            or not entries
            or not all(isinstance(e, Mapping) for e in entries)
        ):
            problems.append(
                Problem(
                    where,
                    "no [[check]] tables",
                    _top_line(text, "check"),
                    'add [[check]] tables with name = "..." and condition = "..."',
                )
            )
            continue
        blocks = _blocks(text)
        for k, entry in enumerate(entries):
            header, lines = blocks[k] if k < len(blocks) else (None, {})
            check, found = _check(f, entry, header, lines, model, scenario)
            problems += found
            if check is None:
                continue
            if check.name in names:
                problems.append(
                    Problem(
                        where,
                        f"check name '{check.name}' is also used in {names[check.name]}",
                        lines.get("name", header),
                        "give each check its own name",
                    )
                )
            names[check.name] = where
            checks.append(check)
    if problems:
        raise CheckFileError(_unique(problems))
    return CheckSet(checks=checks, model=model, files=files, scenarios=scenarios)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _check(f: Path, entry: Mapping, header, lines, model: Model, scenario) -> tuple:
    where = str(f)
    problems: list[Problem] = []

    def problem(msg, key=None, fix=None):
        problems.append(Problem(where, msg, lines.get(key, header) if key else header, fix))

    for key in entry:
        if key not in CHECK_KEYS:
            problem(f"unknown key `{key}` in [[check]]", key, _suggest_key(key, CHECK_KEYS))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problem("a check needs a `name` (a text)", "name", 'add name = "what the check says"')
        name = None
    label = f"check '{name}'" if name else "check"
    claim = entry.get("claim", "")
    if not isinstance(claim, str):
        problem(f"{label}: `claim` must be a text", "claim", "write the claim in quotes")
        claim = ""
    own: Scenario | None = None
    spath = None
    if "scenario" in entry:
        s = entry["scenario"]
        if not isinstance(s, str) or not s.strip():
            problem(f"{label}: `scenario` must be a file name", "scenario", None)
        else:
            spath = (f.parent / s).resolve()
            if not spath.is_file():
                problem(
                    f"{label}: scenario file {s} not found (looked for {spath})",
                    "scenario",
                    "give the scenario's path relative to the check file",
                )
                spath = None
            else:
                own, found = scenario(spath)
                problems.extend(found)
    params: dict[str, float] = {}
    if "params" in entry:
        p = entry["params"]
        if not isinstance(p, Mapping):
            problem(f"{label}: `params` must be a table", "params", 'params = { "name" = 1.0 }')
        else:
            for pname, value in p.items():
                pair, prob = check_param(model, pname, value, where, lines.get("params", header))
                if prob:
                    problems.append(
                        Problem(prob.file, f"{label}: params: {prob.message}", prob.line, prob.fix)
                    )
                elif pair:
                    params[pair[0]] = pair[1]
    run = RunSpec(spath, tuple(sorted(params.items())))
    metrics: list[CheckMetric] = []
    cond_line = lines.get("condition", header)

    def metric(call: Call) -> int | None:
        try:
            m = _metric(call, f, model, scenario, own)
        except ConditionError as exc:
            for msg in exc.messages:
                problems.append(Problem(where, f"{label}: {msg}", cond_line, None))
            return None
        except _Problems as exc:
            problems.extend(exc.problems)
            return None
        if m not in metrics:
            metrics.append(m)
        return metrics.index(m)

    condition = None
    text = entry.get("condition")
    if not isinstance(text, str) or not text.strip():
        problem(
            f"{label}: needs a `condition` (a text)",
            "condition",
            'condition = "peak(Employment) > 1000"',
        )
    else:
        try:
            condition = parse_condition(text, metric)
        except ConditionError as exc:
            for msg in exc.messages:
                problems.append(Problem(where, f"{label}: {msg}", cond_line, None))
        if condition is not None and not metrics and not problems:
            problems.append(
                Problem(
                    where,
                    f"{label}: the condition reads no metric, so it cannot depend on the model",
                    cond_line,
                    "compare a metric such as peak(Firms)",
                )
            )
    if problems or name is None or condition is None:
        return None, problems
    return (
        Check(
            name=name.strip(),
            condition=condition,
            metrics=metrics,
            run=run,
            claim=claim,
            file=f,
            line=header,
        ),
        problems,
    )


class _Problems(Exception):
    def __init__(self, problems):
        self.problems = problems


def _metric(call: Call, f: Path, model: Model, scenario, own) -> CheckMetric:
    """Validate one metric call against the model and its scenario's horizon."""
    kind, windowed = FUNCTIONS[call.function]
    args = split_args(call.args)
    if args is None:
        raise ConditionError([f"{call.text}: unbalanced quotes or parentheses"])
    ref = None
    if args and re.match(r"^scenario\s*=", args[-1]):
        value = string(args[-1].split("=", 1)[1])
        if value is None:
            raise ConditionError(
                [
                    f'{call.text}: write scenario="file.toml" (a quoted path relative to the '
                    "check file)"
                ]
            )
        ref = value
        args = args[:-1]
    for a in args:
        if re.match(r"^[A-Za-z_]+\s*=", a):
            raise ConditionError(
                [
                    f"{call.text}: unknown argument '{a.split('=')[0].strip()}'; only scenario= "
                    "is allowed"
                ]
            )
    if kind == "at":
        want = "2 arguments (variable, time)"
        ok = len(args) == 2
    elif windowed:
        want = "1 or 3 arguments (variable[, from, to])"
        ok = len(args) in (1, 3)
    else:
        want = "1 argument (variable)"
        ok = len(args) == 1
    if not ok or not args[0]:
        raise ConditionError([f"{call.text}: {call.function}() takes {want}; {HELP}"])
    times = []
    for a in args[1:]:
        v = number(a)
        if v is None:
            raise ConditionError([f"{call.text}: '{a}' is not a number (a time in years)"])
        times.append(v)
    raw = string(args[0]) or args[0]
    try:
        variable = model.resolve(raw)
    except UnknownParameterError as exc:
        hint = (
            "did you mean " + " or ".join(f"'{s}'" for s in exc.suggestions) + "?"
            if exc.suggestions
            else "run `lifecycle params` or look in the .mdl file for the names"
        )
        raise ConditionError(
            [f"{call.text}: '{raw}' is not a variable of {model.name}; {hint}"]
        ) from None
    target = own
    spath = None
    if ref is not None:
        spath = (f.parent / ref).resolve()
        if not spath.is_file():
            raise ConditionError(
                [
                    f"{call.text}: scenario file {ref} not found (looked for {spath}); give its "
                    "path relative to the check file"
                ]
            )
        target, found = scenario(spath)
        if found:
            raise _Problems(found)
    lo, hi = _horizon(model, target)
    for v in times:
        if not lo <= v <= hi:
            raise ConditionError([f"{call.text}: time {v:g} is outside the run [{lo:g}, {hi:g}]"])
    if len(times) == 2 and not times[0] < times[1]:
        raise ConditionError([f"{call.text}: the period must run forward (from < to)"])
    start, end = (times + [None, None])[:2]
    return CheckMetric(
        kind=kind,
        variable=variable,
        start=start,
        end=end,
        scenario=str(spath) if spath else None,
        text=" ".join(call.text.split()),
    )
