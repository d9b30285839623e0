"""Scenario files: TOML (with ``extends``) and Vensim ``.cin`` changes files.

A scenario only ever sets constants. Every problem in every file is collected and reported
at once (:class:`~lifecycle.errors.ScenarioError`) before anything runs, with the file, the
line where it can be found, and a fix.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._names import did_you_mean, key_fix
from ._readers import MAX_PROBLEMS, line_of, read_text, read_toml, resolve
from .calendar import annotate, model_time, read_calendar
from .errors import (
    LifecycleError,
    ModelFileError,
    NotAConstantError,
    OutOfRangeError,
    Problem,
    ScenarioError,
    UnknownParameterError,
)
from .limits import RUN_KEYS, run_table, settings_problems
from .model import Model, load_model, not_a_parameter, setting_key

TOP_KEYS = ("name", "description", "extends", "model", "params", "run", "calendar")


@dataclass
class Scenario:
    """A validated scenario: constants to set and optional simulation settings.

    ``params`` holds the resolved values (model spelling), those inherited through
    ``extends`` included.
    """

    name: str
    description: str = ""
    path: Path | None = None
    params: dict[str, float] = field(default_factory=dict)
    model_path: Path | None = None
    final_time: float | None = None
    time_step: float | None = None
    saveper: float | None = None
    sha256: str = ""
    calendar: object = None  # a lifecycle.calendar.Calendar: model time 0's year, or None

    @property
    def run_settings(self) -> dict[str, float]:
        return {
            k: v
            for k, v in (
                ("final_time", self.final_time),
                ("time_step", self.time_step),
                ("saveper", self.saveper),
            )
            if v is not None
        }


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_param(
    model: Model, name: str, value, where: str, line: int | None
) -> tuple[tuple[str, float] | None, Problem | None]:
    """Validate one ``name = value``; return the resolved pair or a :class:`Problem`."""
    try:
        const = model.resolve_constant(name)
    except UnknownParameterError as exc:
        fix = (
            did_you_mean(exc.suggestions)
            or "run `lifecycle params --search WORD` to list the constants"
        )
        return None, Problem(where, f"'{name}' is not a constant of {model.name}", line, fix)
    except NotAConstantError as exc:
        return None, Problem(
            where,
            f"'{exc.name}' is {_article(exc.kind)} {exc.kind.lower()} computed by {model.name}, "
            "not a constant",
            line,
            "set one of the constants it depends on (see `lifecycle params`)",
        )
    if (key := setting_key(const.name)) is not None:
        return None, Problem(
            where,
            not_a_parameter(const.name, f"a parameter of {model.name}"),
            line,
            (
                f"set {key} in the scenario's [run] table"
                + (f" or use --{key.replace('_', '-')}" if key != "saveper" else "")
            )
            if key in RUN_KEYS
            else "it cannot be changed by a scenario",
        )
    if not _is_number(value):
        return None, Problem(
            where,
            f"'{const.name}' needs a number, got {type(value).__name__} {value!r}",
            line,
            f"write a number, e.g. {const.default:g}",
        )
    try:
        value = float(value)
    except OverflowError:
        return None, Problem(
            where,
            f"'{const.name}' = a {len(str(value))}-digit number, too large for a float",
            line,
            f"write a number inside the range, e.g. {const.default:g}",
        )
    if not math.isfinite(value) or not const.contains(value):
        err = OutOfRangeError(const.name, value, const.low, const.high)
        return None, Problem(where, str(err), line, "choose a value inside the range")
    return (const.name, value), None


#: deepest ``extends`` chain followed (a 2,000-file chain exhausted Python's stack)
MAX_EXTENDS = 64
_CIN_LINE = re.compile(r'^\s*(?:"(?P<q>[^"]*)"|(?P<n>[^=:"]*?))\s*(?P<eq>:=|=)\s*(?P<v>.*?)\s*$')


def _read_cin(path: Path, model: Model, problems: list[Problem]) -> dict[str, float]:
    """A Vensim changes file: ``name = value`` lines; ``{...}`` comments are ignored.

    Vensim's spellings are accepted: ``name := value`` and ``"quoted name" = value``. A
    constant set twice is refused, as TOML refuses a duplicate key.
    """
    params: dict[str, float] = {}
    text = read_text(path, problems, "changes file")
    if text is None:
        return params
    text = re.sub(r"\{[^}]*\}", lambda m: "\n" * m.group(0).count("\n"), text)
    first: dict[str, int] = {}
    start = len(problems)
    lines = text.splitlines()
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(problems) - start >= MAX_PROBLEMS:
            problems.append(
                Problem(
                    str(path),
                    f"lines {no}-{len(lines)} not checked after {MAX_PROBLEMS} problems",
                    no,
                    "fix these first",
                )
            )
            break
        m = _CIN_LINE.match(line)
        name = m.group("q") if m and m.group("q") is not None else (m.group("n") if m else "")
        if not m or not name.strip():
            problems.append(
                Problem(
                    str(path),
                    f"malformed line {line[:80]!r}",
                    no,
                    "write one `name = value` a line (Vensim's `name := value` and "
                    '`"quoted name" = value` work too)',
                )
            )
            continue
        value = m.group("v")
        try:
            number: object = float(value)
        except ValueError:
            number = value
        pair, problem = check_param(model, name.strip(), number, str(path), no)
        if problem:
            problems.append(problem)
        elif pair:
            if pair[0] in first:
                problems.append(
                    Problem(
                        str(path),
                        f"'{name.strip()}' sets '{pair[0]}' again (already set on line "
                        f"{first[pair[0]]})",
                        no,
                        "keep one of the two lines",
                    )
                )
                continue
            first[pair[0]] = no
            params[pair[0]] = pair[1]
    return params


def _file_sha(path: Path, text: str | None = None) -> str:
    """SHA-256 of the file as stored (CRLF, BOM too); of ``text`` if it cannot be re-read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "" if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _load_cin(path: Path, model: Model | None, problems: list[Problem]):
    model = model or load_model()
    params = _read_cin(path, model, problems)
    return Scenario(path.stem, "", path, params, model.path, sha256=_file_sha(path)), model


def _check_top_keys(data: dict, text: str, where: str, problems: list[Problem]) -> None:
    """Unknown top-level keys (with the nearest allowed one) and non-string values."""
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                Problem(where, f"unknown key '{key}'", line_of(text, key), key_fix(key, TOP_KEYS))
            )
    for key in ("name", "description", "extends", "model"):
        if key in data and not isinstance(data[key], str):
            problems.append(Problem(where, f"'{key}' must be a string", line_of(text, key)))


def _file_model(path: Path, data: dict, text: str, model: Model | None, problems):
    """The model: explicit in the file, else the caller's (None: the default, loaded later).

    Returns ``(model, usable)``; ``usable`` is False when the file's model cannot be loaded.
    """
    if not isinstance(data.get("model"), str):
        return model, True
    where = str(path)
    mpath = resolve(path.parent / data["model"])
    try:
        file_model = load_model(mpath)
    except ModelFileError as exc:
        what = "not found" if not mpath.exists() else f"unusable ({exc})"
        problems.append(
            Problem(
                where,
                f"model file {what}: {data['model']}",
                line_of(text, "model"),
                "give a path relative to the scenario file",
            )
        )
        return model, False
    if model is not None and model.path.resolve() != file_model.path.resolve():
        problems.append(
            Problem(
                where,
                f"scenario is for {file_model.name} but the run uses {model.name}",
                line_of(text, "model"),
                "drop --model to use the scenario's model, or remove its model key",
            )
        )
    return file_model, True


def _extends_problem(path: Path, extends: str, ppath: Path, text: str, chain) -> Problem | None:
    """Why the file ``extends`` names cannot be followed: a cycle, a chain too deep, a
    folder, a missing file or a broken link; None if it can."""
    where, here, line = str(path), resolve(path), line_of(text, "extends")
    if ppath in chain or ppath == here:
        cycle = " -> ".join(p.name for p in (*chain, here, ppath))
        return Problem(where, f"circular extends: {cycle}", line, "remove one of the extends keys")
    if len(chain) >= MAX_EXTENDS:
        return Problem(
            where,
            f"extends chain deeper than {MAX_EXTENDS} files",
            line,
            "flatten the chain: copy the settings you need into fewer files",
        )
    if ppath.is_dir():
        return Problem(
            where,
            f"extends a folder, not a file: {extends}",
            line,
            "name the scenario file inside it",
        )
    if not ppath.is_file():
        broken = os.path.islink(ppath)
        return Problem(
            where,
            f"extends a {'broken or looping symbolic link' if broken else 'missing file'}"
            f": {extends}",
            line,
            "give a path relative to this file",
        )
    return None


def _load_parent(path: Path, data: dict, text: str, model, problems, chain):
    """The scenario this file ``extends`` (loaded recursively) or None, and the model."""
    if not isinstance(data.get("extends"), str):
        return None, model
    ppath = resolve(path.parent / data["extends"])
    problem = _extends_problem(path, data["extends"], ppath, text, chain)
    if problem:
        problems.append(problem)
        return None, model
    return _load(ppath, model, problems, (*chain, resolve(path)))


def _read_params(data: dict, text: str, where: str, model: Model, problems, parent):
    """The ``[params]`` table, checked, over the inherited values; and the calendar."""
    cal = read_calendar(data, text, where, problems, parent)
    params = dict(getattr(parent, "params", {}))
    raw = data.get("params", {})
    if not isinstance(raw, dict):
        problems.append(Problem(where, "[params] must be a table", line_of(text, "params")))
        raw = {}
    first: dict[str, tuple[str, int | None]] = {}  # constant -> (spelling, line) in this file
    start = len(problems)
    for k, (name, value) in enumerate(raw.items()):
        if len(problems) - start >= MAX_PROBLEMS:
            problems.append(
                Problem(
                    where,
                    f"{len(raw) - k} more entries of [params] not checked after "
                    f"{MAX_PROBLEMS} problems",
                    None,
                    "fix these first",
                )
            )
            break
        line = line_of(text, name, "params")
        pair, problem = check_param(model, name, model_time(model, cal, name, value), where, line)
        if problem:
            problems.append(annotate(problem, model, cal, name, value))  # a date as a year
        elif pair:
            if pair[0] in first:
                spelling, at = first[pair[0]]
                problems.append(
                    Problem(
                        where,
                        f"'{name}' sets '{pair[0]}' again (already set as '{spelling}'"
                        + (f" on line {at})" if at else ")"),
                        line,
                        "keep one of the two lines",
                    )
                )
                continue
            first[pair[0]] = (name, line)
            params[pair[0]] = pair[1]
    return params, cal


def _run_settings(data: dict, text: str, where: str, model: Model, inherited, problems):
    """The ``[run]`` settings over the inherited ones; their sum is checked only when each
    setting on its own is fine."""
    settings = dict(inherited)
    before = len(problems)
    if "run" in data:
        settings.update(run_table(data["run"], where, text, problems))
    run_line = next(
        (
            line_of(text, k, "run")
            for k in RUN_KEYS
            if isinstance(data.get("run"), dict) and k in data["run"]
        ),
        None,
    )
    if len(problems) == before:  # the settings' own problems first, then their sum
        problems.extend(settings_problems(model, settings, where, run_line))
    return settings


def _load(path: Path, model: Model | None, problems: list[Problem], chain: tuple[Path, ...]):
    """Load one file (and its parents); returns a partial Scenario or None, and the model."""
    path = Path(path)
    where = str(path)
    if path.suffix.lower() == ".cin":
        return _load_cin(path, model, problems)
    data, text = read_toml(path, problems)
    if data is None:
        return None, model
    sha = _file_sha(path, text)
    _check_top_keys(data, text, where, problems)
    model, usable = _file_model(path, data, text, model, problems)
    if not usable:
        return None, model
    parent, model = _load_parent(path, data, text, model, problems, chain)
    model = model or load_model()
    params, cal = _read_params(data, text, where, model, problems, parent)
    settings = _run_settings(
        data, text, where, model, parent.run_settings if parent else {}, problems
    )
    name = data.get("name") if isinstance(data.get("name"), str) else path.stem
    desc = data.get("description") if isinstance(data.get("description"), str) else ""
    scen = Scenario(name, desc, path, params, model.path, sha256=sha, calendar=cal, **settings)
    return scen, model


def load_scenario(path: str | Path, model: Model | None = None) -> Scenario:
    """Read and validate one scenario file (``.toml`` or ``.cin``).

    Parameters
    ----------
    path : the scenario file.
    model : the model to validate against; default the file's ``model`` key or the main
        model.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file, the line and a fix.

    Examples
    --------
    >>> s = load_scenario("scenarios/networking_initiative.toml")   # doctest: +SKIP
    >>> s.params["networking initiative intensity"]                 # doctest: +SKIP
    1.0
    """
    return load_scenarios([path], model)[0]


def load_scenarios(paths: Iterable[str | Path], model: Model | None = None) -> list[Scenario]:
    """Validate several files, reporting the problems of all of them at once."""
    problems: list[Problem] = []
    out: list[Scenario] = []
    for p in paths:
        try:
            scen, _ = _load(Path(p), model, problems, ())
        except LifecycleError as exc:  # e.g. the default model is missing
            problems.append(Problem(str(p), str(exc)))
            continue
        if scen is not None:
            out.append(scen)
    seen: dict[str, Path | None] = {}
    for s in out:
        if s.name in seen:
            problems.append(
                Problem(
                    str(s.path),
                    f"scenario name '{s.name}' is also used by {seen[s.name]}",
                    None,
                    "give each scenario its own name",
                )
            )
        seen[s.name] = s.path
    if problems:
        raise ScenarioError(problems)
    return out


def parse_assignments(items: Iterable[str], model: Model, where: str = "--set") -> dict[str, float]:
    """Parse ``NAME=VALUE`` strings (``--set``) with the same checks as a scenario file."""
    problems: list[Problem] = []
    params: dict[str, float] = {}
    spelled: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            problems.append(
                Problem(
                    where,
                    f"'{item}' is not NAME=VALUE",
                    None,
                    'write e.g. --set "startup rate=0.1"',
                )
            )
            continue
        try:
            number: object = float(value)
        except ValueError:
            number = value.strip()
        pair, problem = check_param(model, name.strip(), number, where, None)
        if problem:
            problems.append(problem)
        elif pair and pair[0] in spelled:
            problems.append(
                Problem(
                    where,
                    f"'{item}' sets '{pair[0]}' again (already set by '{spelled[pair[0]]}')",
                    None,
                    "give each constant once",
                )
            )
        elif pair:
            params[pair[0]] = pair[1]
            spelled[pair[0]] = item
    if problems:
        raise ScenarioError(problems)
    return params


def merged_params(scenario: Scenario | None, params: Mapping[str, float] | None) -> dict:
    out = dict(scenario.params) if scenario else {}
    out.update(params or {})
    return out
