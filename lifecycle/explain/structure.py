"""What a model is made of: its variables by sector, their equations, and its causal links.

Two readers of the same ``.mdl`` file are combined. The text of the file gives what only it
holds: the sectors (Vensim groups, the ``.Name`` headers), the equations as written, units,
ranges and comments. Simlin (pysimlin) gives the causal structure: each variable's kind
(stock, flow, auxiliary) and the links between variables with their static polarity.

Every variable has a display name (the spelling of the ``.mdl``) and Simlin's identifier
(lower case, underscores); :meth:`ModelStructure.ident` and :meth:`ModelStructure.name`
map one to the other, accepting any Vensim spelling.

Source classes. A comment that starts with ``Source:``, ``Calibrated:`` or ``Assumption:``
gives its constant that class; a constant of the "Policy levers" sector (or whose comment
starts with ``Policy lever:``) is a ``lever``; anything else is ``unstated``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .._names import canonical, closest
from ..errors import ModelNotFoundError, UnknownParameterError

#: source classes, in the order the reference lists them
SOURCE_CLASSES = ("source", "calibrated", "assumption", "lever", "unstated")
_LEADING = {"source": "source", "calibrated": "calibrated", "assumption": "assumption"}
_CONTROL = {"initialtime", "finaltime", "timestep", "saveper"}
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Variable:
    """One variable of the model as written in the ``.mdl``, with its causal neighbours."""

    name: str
    ident: str
    sector: str
    equation: str
    units: str
    range: str
    comment: str
    kind: str = "auxiliary"  # stock, flow, auxiliary, constant, lookup, control
    uses: list[str] = field(default_factory=list)  # display names, sorted
    used_by: list[str] = field(default_factory=list)

    @property
    def source_class(self) -> str:
        """``source``, ``calibrated``, ``assumption``, ``lever`` or ``unstated``."""
        head = self.comment.split(":", 1)[0].strip().lower() if ":" in self.comment else ""
        if self.sector.lower() == "policy levers" or head == "policy lever":
            return "lever"
        return _LEADING.get(head, "unstated")


@dataclass
class Sector:
    name: str
    comment: str
    variables: list[str] = field(default_factory=list)  # display names in file order


def _clean(text: str) -> str:
    """One line: Vensim's backslash continuations and tabs removed, spaces collapsed."""
    return " ".join(text.replace("\\\n", " ").split())


def _split_units(text: str) -> tuple[str, str]:
    text = _clean(text)
    m = re.search(r"\[[^\]]*\]\s*$", text)
    if m:
        return text[: m.start()].strip(), m.group(0).replace(" ", "")
    return text, ""


def parse_mdl(path: Path) -> tuple[list[Sector], list[Variable]]:
    """The sectors and variables of a Vensim ``.mdl`` file, in file order.

    Variables before the first group header belong to a sector named after the model file.
    Control variables (INITIAL TIME...) are returned with kind ``control``.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    text = text.split("\\\\\\---///", 1)[0]
    text = text.replace("{UTF-8}", "", 1)
    sectors: list[Sector] = []
    variables: list[Variable] = []
    current: Sector | None = None
    for chunk in text.split("|"):
        if not chunk.strip():
            continue
        parts = chunk.split("~")
        head = parts[0].strip()
        if head.startswith("*"):  # group header: ****\n .Name\n****~ comment
            name = next(
                (ln.strip()[1:].strip() for ln in head.splitlines() if ln.strip().startswith(".")),
                "",
            )
            current = Sector(name or f"group {len(sectors) + 1}", _clean("~".join(parts[1:])))
            sectors.append(current)
            continue
        if len(parts) < 3:
            continue
        if "=" in head.split("(", 1)[0] or "=" in head:
            lhs, rhs = head.split("=", 1)
            lhs = lhs.rstrip(":")
        elif "(" in head:  # a lookup: name( [(x,y)-(x,y)], (x,y), ... )
            lhs, rhs = head.split("(", 1)[0], "(" + head.split("(", 1)[1]
        else:  # no equation (a data variable, an odd header such as {~UTF-8}): skipped
            continue
        name = _clean(lhs)
        units, rng = _split_units(parts[1])
        comment = _clean("~".join(parts[2:]))
        if current is None:
            current = Sector(path.stem, "")
            sectors.append(current)
        equation = _clean(rhs)
        if canonical(name) in _CONTROL:
            kind = "control"
        elif equation.upper().startswith("INTEG"):
            kind = "stock"
        elif "=" not in head:
            kind = "lookup"
        elif _NUMBER.match(equation):
            kind = "constant"
        else:
            kind = "auxiliary"
        variables.append(
            Variable(name, canonical(name), current.name, equation, units, rng, comment, kind)
        )
        current.variables.append(name)
    return sectors, variables


def canonical_ident(name: str) -> str:
    """Simlin's identifier spelling of a name: lower case, spaces as underscores."""
    return "_".join(str(name).replace('"', "").lower().split())


@dataclass(frozen=True)
class Link:
    source: str  # display names
    target: str
    polarity: str  # "+", "-" or "?"


class ModelStructure:
    """Sectors, variables and causal links of one ``.mdl`` model.

    Parameters
    ----------
    path : the ``.mdl`` file.
    """

    def __init__(self, path: str | os.PathLike):
        from ..engines.simlin import _load, _simlin

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotFoundError(
                f"model file not found: {self.path} (fix: give the path of a .mdl file)"
            )
        self.sectors, variables = parse_mdl(self.path)
        self.variables = {v.name: v for v in variables}
        self._by_key = {canonical(v.name): v.name for v in variables}
        self._simlin = _simlin()
        self.simlin_model = _load(self._simlin, self.path)
        self._sim_ident = {}
        for var in self.simlin_model.variables:
            key = canonical(var.name.replace('"', ""))
            name = self._by_key.get(key)
            if name is None:
                continue
            self._sim_ident[name] = var.name
            kind = type(var).__name__.lower()
            v = self.variables[name]
            if kind == "flow":
                v.kind = "flow"
            elif kind == "stock":
                v.kind = "stock"
        self._to_name = {ident: name for name, ident in self._sim_ident.items()}
        # A stock written INTEG(expression, ...) gets a synthetic flow in Simlin,
        # "<stock>_net_flow"; its inputs are read as links into the stock itself.
        self.net_flows: dict[str, str] = {}
        for var in self.simlin_model.variables:
            stem = var.name.removesuffix("_net_flow")
            if var.name != stem and self._to_name.get(stem) in self.variables:
                self.net_flows[self._to_name[stem]] = var.name
                self._to_name[var.name] = self._to_name[stem]
        #: stock -> (inflows, outflows), display names (synthetic net flows left out)
        self.stock_flows: dict[str, tuple[list[str], list[str]]] = {}
        for var in self.simlin_model.variables:
            if type(var).__name__ == "Stock" and var.name in self._to_name:
                pick = [
                    [
                        self._to_name[f]
                        for f in fl
                        if f in self._to_name and f not in self.net_flows.values()
                    ]
                    for fl in (
                        [canonical_ident(x) for x in var.inflows],
                        [canonical_ident(x) for x in var.outflows],
                    )
                ]
                self.stock_flows[self._to_name[var.name]] = (pick[0], pick[1])
        links = []
        for link in self.simlin_model.get_links():
            a, b = self._to_name.get(link.from_var), self._to_name.get(link.to_var)
            if a is None or b is None or a == b:
                continue
            links.append(Link(a, b, str(link.polarity)))
        self.links = sorted(set(links), key=lambda k: (k.source, k.target))
        for link in self.links:
            self.variables[link.target].uses.append(link.source)
            self.variables[link.source].used_by.append(link.target)
        # names an equation mentions outside the causal links: a stock's initial value
        pattern = self.name_pattern()
        for v in self.variables.values():
            if v.kind != "stock":
                continue
            for m in pattern.finditer(v.equation):
                other = self._by_key.get(canonical(m.group(1)))
                if other is not None and other != v.name and other not in v.uses:
                    v.uses.append(other)
                    self.variables[other].used_by.append(v.name)
        for v in self.variables.values():
            v.uses = sorted(set(v.uses), key=str.lower)
            v.used_by = sorted(set(v.used_by), key=str.lower)

    def name_pattern(self) -> re.Pattern:
        """Matches any variable name in an equation (longest first; spaces may be written
        as underscores; case does not matter)."""
        names = sorted(self.variables, key=len, reverse=True)
        alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s_]+") for n in names)
        return re.compile(r"(?<![\w])(" + alternatives + r")(?![\w])", re.IGNORECASE)

    @cached_property
    def link_map(self) -> dict[tuple[str, str], str]:
        """``(source, target) -> polarity`` for every causal link (a stock's initial value is
        not one: it acts once, at the start)."""
        return {(k.source, k.target): k.polarity for k in self.links}

    def name(self, name: str) -> str:
        """The display name of ``name`` (any Vensim spelling, or a Simlin identifier)."""
        key = canonical(str(name).replace('"', ""))
        if key in self._by_key:
            return self._by_key[key]
        if name in self._to_name:
            return self._to_name[name]
        raise UnknownParameterError(str(name), self.path.name, closest(name, self.variables))

    def ident(self, name: str) -> str:
        """Simlin's identifier of the variable ``name``."""
        return self._sim_ident[self.name(name)]

    def loop_idents(self, path: list[str] | tuple[str, ...]) -> list[str]:
        """Simlin's identifiers of the variables around a loop, with the synthetic net flow
        of every stock written ``INTEG(expression, ...)`` on it (the loop passes through it)."""
        out = []
        for v in path:
            name = self.name(v)
            if name in self.net_flows:
                out.append(self.net_flows[name])
            out.append(self._sim_ident[name])
        return out

    def sector_of(self, name: str) -> str:
        return self.variables[self.name(name)].sector

    @property
    def stocks(self) -> list[str]:
        return [v.name for v in self.variables.values() if v.kind == "stock"]
