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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._names import key_fix
from .._readers import line_of, read_toml
from ..errors import LifecycleError, Problem, ScenarioError
from ..model import Model, load_model
from ..scenarios import Scenario
from .entry import Check, RunSpec, Validator

TOP_KEYS = ("description", "model", "check")


class CheckFileError(ScenarioError):
    """One or more problems in check files; all reported at once, nothing run."""


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


def _read(path: Path, problems: list[Problem]) -> tuple[dict | None, str]:
    return read_toml(
        path, problems, "check file", 'each check is a [[check]] table of `key = "value"` lines'
    )


def _model_for(files: list[Path], data: dict[Path, dict], model_path) -> tuple[Model, list]:
    """The one "which model" rule of :func:`lifecycle.inputs.resolve_model`: ``--model``,
    else the one model the files name, else the main model."""
    from ..inputs import named_model, resolve_model

    model, problems = resolve_model(files, model_path, "check files")
    if model is not None:
        return model, problems
    f = next(f for f in files if named_model(f) is not None)
    try:
        load_model(named_model(f))
    except LifecycleError as exc:
        problems.append(Problem(str(f), str(exc), None, "fix the model path"))
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
        d, texts[f] = _read(f, problems)
        if d is not None:
            data[f] = d
    model, found = _model_for(files, data, model_path)
    problems += found
    validator = Validator(model)
    checks: list[Check] = []
    names: dict[str, str] = {}
    for f in files:
        if f not in data:
            continue
        entries, found = _top_level(f, data[f], texts[f])
        problems += found
        blocks = _blocks(texts[f])
        for k, entry in enumerate(entries):
            header, lines = blocks[k] if k < len(blocks) else (None, {})
            check, found = validator.check(f, entry, header, lines)
            problems += found
            if check is None:
                continue
            if check.name in names:
                problems.append(
                    Problem(
                        str(f),
                        f"check name '{check.name}' is also used in {names[check.name]}",
                        lines.get("name", header),
                        "give each check its own name",
                    )
                )
            names[check.name] = str(f)
            checks.append(check)
    if problems:
        raise CheckFileError(list(dict.fromkeys(problems)))
    return CheckSet(checks=checks, model=model, files=files, scenarios=validator.scenarios)


def _top_level(f: Path, d: dict, text: str) -> tuple[list[Mapping], list[Problem]]:
    """The file's ``[[check]]`` tables, and the problems of its top-level keys."""
    where = str(f)
    problems = [
        Problem(where, f"unknown key `{key}`", line_of(text, key), key_fix(key, TOP_KEYS))
        for key in d
        if key not in TOP_KEYS
    ]
    for key in ("description", "model"):
        if key in d and not isinstance(d[key], str):
            problems.append(Problem(where, f"`{key}` must be a text", line_of(text, key), None))
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
                line_of(text, "check"),
                'add [[check]] tables with name = "..." and condition = "..."',
            )
        )
        return [], problems
    return entries, problems
