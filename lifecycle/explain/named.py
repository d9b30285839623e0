"""Named feedback loops: the ``<model>.loops.toml`` file beside a model, read and checked.

A model too large to enumerate its loops names its main ones here, each a closed path of
variables; :func:`load_named_loops` checks every link against the model's causal links
(Simlin's dependency graph) and the declared polarity against the links' signs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LifecycleError, Problem, ScenarioError
from .structure import ModelStructure


@dataclass(frozen=True)
class NamedLoop:
    """A feedback loop named in a loops file: a closed path of variables (display names)."""

    name: str
    path: tuple[str, ...]
    polarity: str  # declared: "R" or "B"
    description: str = ""

    @property
    def links(self) -> list[tuple[str, str]]:
        """The loop's links, the closing one included."""
        return [(a, self.path[(i + 1) % len(self.path)]) for i, a in enumerate(self.path)]


def loops_file(model_path: str | os.PathLike) -> Path:
    """Where the named loops of a model live: ``<model stem>.loops.toml`` beside it."""
    p = Path(model_path)
    return p.with_name(p.stem + ".loops.toml")


def _line(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def load_named_loops(path: str | os.PathLike, structure: ModelStructure) -> list[NamedLoop]:
    """Read and check a loops file against the model's causal links.

    The file holds ``[[loop]]`` tables, each with ``name``, ``polarity`` ("R" reinforcing or
    "B" balancing), ``path`` (the variables around the loop, in causal order, each a
    variable of the model; the last links back to the first) and an optional
    ``description``.

    Raises
    ------
    ScenarioError
        Every problem at once: unreadable TOML, a missing key, an unknown variable, a link
        of the path that is not a link of the model, a repeated name, a declared polarity
        that contradicts the signs of the loop's links.
    """
    path = Path(path)
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ScenarioError(
            [Problem(fname, "loops file not found", None, "name the model's loops in it")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(fname, f"not valid TOML: {exc}")]) from None
    entries = data.get("loop")
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(
            [Problem(fname, "no [[loop]] tables", None, "add one [[loop]] table per loop")]
        )
    file = _LoopsFile(fname, text, structure)
    out = [loop for k, entry in enumerate(entries, 1) if (loop := file.read(k, entry))]
    if file.problems:
        raise ScenarioError(file.problems)
    return out


@dataclass
class _LoopsFile:
    """The checks of one loops file; every problem found is kept in ``problems``."""

    fname: str
    text: str
    structure: ModelStructure
    problems: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def problem(self, message: str, line: int | None, fix: str | None = None) -> None:
        self.problems.append(Problem(self.fname, message, line, fix))

    def read(self, k: int, entry) -> NamedLoop | None:
        """The ``k``-th ``[[loop]]`` table as a NamedLoop, or None if it is unusable."""
        name = entry.get("name") if isinstance(entry, dict) else None
        where = _line(self.text, f'"{name}"') if name else None
        label = f"loop {k}" + (f" '{name}'" if name else "")
        if not isinstance(name, str) or not name.strip():
            self.problem(f"{label} has no name", where, 'add name = "..."')
            return None
        if name in self.seen:
            self.problem(f"{label}: the name is used twice", where)
        self.seen.add(name)
        extra = sorted(set(entry) - {"name", "polarity", "path", "description"})
        if extra:
            allowed = "allowed: name, polarity, path, description"
            self.problem(f"{label}: unknown key(s) {', '.join(extra)}", where, allowed)
        pol = entry.get("polarity")
        if pol not in ("R", "B"):
            self.problem(f'{label}: polarity must be "R" or "B", not {pol!r}', where)
        raw = entry.get("path")
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(v, str) for v in raw):
            self.problem(f"{label}: path must list at least two variable names", where)
            return None
        names = []
        for v in raw:
            try:
                names.append(self.structure.name(v))
            except LifecycleError as exc:
                self.problem(f"{label}: {exc}", _line(self.text, f'"{v}"') or where)
        if len(names) != len(raw):
            return None
        if len(set(names)) != len(names):
            self.problem(f"{label}: a variable appears twice on the path", where)
            return None
        loop = NamedLoop(name, tuple(names), pol or "?", str(entry.get("description", "")))
        self.check_links(loop, label, where)
        return loop

    def check_links(self, loop: NamedLoop, label: str, where: int | None) -> None:
        """Every link of the loop is a causal link of the model; the declared polarity is
        the product of the links' signs where Simlin signs them all."""
        structure = self.structure
        signs = []
        for a, b in loop.links:
            sign = structure.link_map.get((a, b))
            if sign is None:
                self.problem(
                    f"{label}: '{a}' -> '{b}' is not a link of {structure.path.name} "
                    f"('{b}' does not use '{a}')",
                    where,
                    f"the variables '{b}' uses: {', '.join(structure.variables[b].uses)}",
                )
            signs.append(sign)
        if None not in signs and "?" not in signs and loop.polarity in ("R", "B"):
            structural = "B" if signs.count("-") % 2 else "R"
            if structural != loop.polarity:
                self.problem(
                    f"{label}: declared {loop.polarity} but its links' signs make it {structural}",
                    where,
                )
