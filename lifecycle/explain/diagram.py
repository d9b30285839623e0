"""Stock-and-flow diagrams drawn by pysimlin's automatic layout and renderer.

One figure of a model this size is unreadable, so there are two kinds:

* a **sector** diagram (a Vensim group of the ``.mdl``): the sector's stocks, flows and
  auxiliaries with their links, and every such variable of another sector that they use,
  drawn as a plain input (its own inputs left out). Constants are left out: they would
  double the nodes; ``lifecycle doc`` lists them with their values and sources;
* the **overview**: every stock with its flows, and the links of the named loops
  (``<model>.loops.toml``) collapsed onto them: an arrow from a stock or flow to the next
  flow along a named loop, so that each main loop shows as a cycle of stocks and flows.

The diagram is a drawing, not a model: the sub-models built for it carry the variables'
names and kinds, and equations that only list what each variable uses. Output is
byte-stable (the layout is deterministic; a test renders twice and compares bytes).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import ArgumentError, SimulationError
from ..limits import check_suffix
from .structure import ModelStructure

FORMATS = (".svg", ".png")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _project_json(structure: ModelStructure) -> dict:
    return json.loads(structure.simlin_model.project.serialize_json().decode("utf-8"))


def _render(model_json: dict, project: dict, path: Path, width: int) -> Path:
    from simlin.project import Project

    from ..engines.simlin import _simlin

    simlin = _simlin()
    data = {"name": project.get("name", "diagram"), "simSpecs": project["simSpecs"]}
    data["models"] = [model_json]
    try:
        proj = Project._from_bytes(json.dumps(data).encode("utf-8"), simlin.FileFormat.NATIVE_JSON)
        if path.suffix.lower() == ".svg":
            content = proj.render_svg("main")
        else:
            # at most `width` pixels wide, and at most twice the drawing's own size
            svg = proj.render_svg("main").decode("utf-8", "replace")
            m = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg)
            own = int(2 * float(m.group(1))) if m else width
            content = proj.render_png("main", width=min(width, own))
    except simlin.SimlinError as exc:  # pragma: no cover - depends on the engine
        raise SimulationError(f"pysimlin cannot draw this diagram: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _equation(uses: list[str]) -> str:
    return " + ".join(uses) if uses else "0"


def _stock(structure: ModelStructure, name: str, keep) -> tuple[dict, list[dict]]:
    """A stock entry with the flows in ``keep``; a synthetic net flow is kept too."""
    ident = structure.ident
    ins, outs = structure.stock_flows.get(name, ([], []))
    entry = {
        "name": ident(name),
        "initialEquation": "0",
        "inflows": [ident(f) for f in ins if f in keep],
        "outflows": [ident(f) for f in outs if f in keep],
    }
    extra = []
    if name in structure.net_flows:
        nf = structure.net_flows[name]
        entry["inflows"].append(nf)
        uses = [
            u
            for u in structure.variables[name].uses
            if u != name and structure.variables[u].kind not in ("control", "constant")
        ]
        extra.append({"name": nf, "equation": "__uses__", "_uses": uses})
    return entry, extra


def sector_model(structure: ModelStructure, sector: str) -> dict:
    """A drawing model of one sector: its variables and the outside inputs they use."""
    by_name = {s.name.lower(): s for s in structure.sectors}
    sec = by_name.get(sector.lower())
    if sec is None or sec.name == "Control":
        raise ArgumentError(
            f"'{sector}' is not a sector of {structure.path.name}; sectors: "
            + ", ".join(s.name for s in structure.sectors if s.name != "Control")
        )
    ident = structure.ident
    # constants are left out (the model reference lists them): they double a sector's
    # nodes and push the layout apart without showing structure
    members = [
        v for v in sec.variables if structure.variables[v].kind not in ("control", "constant")
    ]

    def shown(u: str) -> bool:
        return structure.variables[u].kind not in ("control", "constant")

    inside = set(members)
    stocks, flows, auxes, outside = [], [], [], []
    for name in members:
        var = structure.variables[name]
        for u in filter(shown, var.uses):
            if u not in inside and u not in outside:
                outside.append(u)
        if var.kind == "stock":
            entry, extra = _stock(structure, name, inside)
            stocks.append(entry)
            for e in extra:
                flows.append(
                    {"name": e["name"], "equation": _equation([ident(u) for u in e["_uses"]])}
                )
        else:
            uses = [ident(u) for u in var.uses if shown(u)]
            entry = {"name": ident(name), "equation": _equation(uses)}
            (flows if var.kind == "flow" else auxes).append(entry)
    for name in outside:
        auxes.append({"name": ident(name), "equation": "0"})
    return {"name": "main", "stocks": stocks, "flows": flows, "auxiliaries": auxes}


def overview_model(structure: ModelStructure, named=None) -> dict:
    """A drawing model of every stock with its flows and the named loops' links on them."""
    ident = structure.ident
    flows_of = {f for ins, outs in structure.stock_flows.values() for f in ins + outs}
    nodes = set(structure.stocks) | flows_of
    sources: dict[str, set[str]] = {n: set() for n in nodes}
    for loop in named or ():
        ring = [v for v in loop.path if v in nodes]
        for i, v in enumerate(ring):
            nxt = ring[(i + 1) % len(ring)]
            if nxt == v:
                continue
            if nxt in flows_of or nxt in structure.net_flows:
                sources[nxt].add(v)
    stocks, flows = [], []
    for s in sorted(structure.stocks):
        entry, extra = _stock(structure, s, flows_of)
        stocks.append(entry)
        for e in extra:
            flows.append(
                {"name": e["name"], "equation": _equation(sorted(ident(x) for x in sources[s]))}
            )
    for f in sorted(flows_of):
        src = sorted(ident(x) for x in sources[f] if x != f)
        flows.append({"name": ident(f), "equation": _equation(src)})
    return {"name": "main", "stocks": stocks, "flows": flows, "auxiliaries": []}


def check_output(output: str | os.PathLike) -> Path:
    """``output`` if it names an SVG or PNG file; an ArgumentError otherwise."""
    return check_suffix(output, FORMATS, "a diagram is written as .svg or .png")


def draw(
    model_path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    sector: str | None = None,
    width: int = 1600,
) -> Path:
    """Draw the overview (``sector=None``) or one sector's diagram into ``output``
    (``.svg`` or ``.png``)."""
    output = check_output(output)
    structure = ModelStructure(model_path)
    project = _project_json(structure)
    if sector is None:
        from .report import named_loops_for

        model = overview_model(structure, named_loops_for(structure))
    else:
        model = sector_model(structure, sector)
    return _render(model, project, output, width)


def draw_all(model_path: str | os.PathLike, outdir: str | os.PathLike, fmt: str = "svg"):
    """The overview and one diagram per sector into ``outdir``: ``overview.<fmt>`` and
    ``sector-<name>.<fmt>``. Returns the paths written."""
    outdir = Path(outdir)
    structure = ModelStructure(model_path)
    out = [draw(model_path, outdir / f"overview.{fmt}")]
    for s in structure.sectors:
        if s.name == "Control":
            continue
        out.append(draw(model_path, outdir / f"sector-{slug(s.name)}.{fmt}", sector=s.name))
    return out
