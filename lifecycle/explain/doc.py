"""``lifecycle doc``: the model reference, one self-contained HTML page.

Like Vensim's SDM-Doc: every variable grouped by sector, with its equation (the names in it
are links), units, range, comment, source class, what it uses and what uses it (links both
ways); the constants table with each one's class and value; the named feedback loops with
their polarity and variables. No script, no external file: the page works offline.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from .. import __version__
from ..model import canonical
from .structure import ModelStructure, Variable

KIND_LABEL = {
    "stock": "stock",
    "flow": "flow",
    "auxiliary": "auxiliary",
    "constant": "constant",
    "lookup": "lookup",
    "control": "control",
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
line-height:1.45;background:#fafafa}
header{background:#23395b;color:#fff;padding:1rem 2rem}
header h1{margin:0 0 .3rem 0;font-size:1.5rem}
header p{margin:.2rem 0;opacity:.9}
nav{padding:.6rem 2rem;background:#e9eef5;border-bottom:1px solid #cfd8e3}
nav a{margin-right:1rem;white-space:nowrap;line-height:1.9}
main{padding:0 2rem 3rem 2rem;max-width:72rem}
h2{border-bottom:2px solid #23395b;padding-bottom:.2rem;margin-top:2.2rem}
h3{margin:.2rem 0;font-size:1.05rem}
a{color:#1f5fae;text-decoration:none}
a:hover{text-decoration:underline}
.var{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:.6rem .9rem;
margin:.7rem 0}
.var:target{outline:3px solid #f0b400}
.meta{color:#555;font-size:.9rem}
.kind{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:3px;
background:#eef1f5;margin-left:.4rem;vertical-align:middle}
.kind.stock{background:#dbe9f7}.kind.flow{background:#e2f2df}.kind.constant{background:#f3f0e1}
.cls{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:3px;margin-left:.3rem}
.cls.source{background:#d8f0d8}.cls.calibrated{background:#d8e6f8}
.cls.assumption{background:#f8ecd0}.cls.lever{background:#ecdcf6}.cls.unstated{background:#eee}
pre.eq{background:#f4f6f8;padding:.4rem .6rem;border-radius:4px;white-space:pre-wrap;
overflow-wrap:anywhere;margin:.4rem 0;font-size:.88rem}
.links{font-size:.88rem;margin:.2rem 0}
.links span.label{color:#555;display:inline-block;min-width:4.5rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;background:#fff;
table-layout:fixed}
th,td{border:1px solid #dde3ea;padding:.25rem .45rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#e9eef5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.loop{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:.6rem .9rem;
margin:.7rem 0}
.loop:target{outline:3px solid #f0b400}
.pol{font-weight:bold}
"""


def anchor(name: str) -> str:
    """The id of a variable's entry: ``var-`` and its name in lower case with dashes."""
    return "var-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _sector_id(name: str) -> str:
    return "sector-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _loop_id(name: str) -> str:
    return "loop-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _link(name: str) -> str:
    return f'<a href="#{anchor(name)}">{html.escape(name)}</a>'


def _name_pattern(structure: ModelStructure) -> re.Pattern:
    """Matches any variable name (longest first; spaces may be written as underscores)."""
    names = sorted(structure.variables, key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s_]+") for n in names)
    return re.compile(r"(?<![\w])(" + alternatives + r")(?![\w])", re.IGNORECASE)


def _equation_html(var: Variable, structure: ModelStructure, pattern: re.Pattern) -> str:
    """The equation with every variable it mentions linked to that variable's entry."""
    text = var.equation
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        target = structure._by_key.get(canonical(m.group(1)))
        if target is None or target == var.name:
            out.append(html.escape(m.group(1)))
        else:
            out.append(f'<a href="#{anchor(target)}">{html.escape(m.group(1))}</a>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _variable_html(var: Variable, structure: ModelStructure, loops_of: dict, pattern) -> str:
    cls = var.source_class if var.kind in ("constant", "lookup") else None
    parts = [f'<article class="var" id="{anchor(var.name)}">']
    head = f"<h3>{html.escape(var.name)}<span class='kind {var.kind}'>{KIND_LABEL[var.kind]}</span>"
    if cls:
        head += f"<span class='cls {cls}'>{cls}</span>"
    parts.append(head + "</h3>")
    meta = []
    meta.append(f"units: {html.escape(var.units) or '&ndash;'}")
    if var.range:
        meta.append(f"range: {html.escape(var.range)}")
    parts.append(f"<div class='meta'>{' &middot; '.join(meta)}</div>")
    parts.append(f"<pre class='eq'>{_equation_html(var, structure, pattern)}</pre>")
    if var.comment:
        parts.append(f"<p>{html.escape(var.comment)}</p>")
    for label, names in (("uses", var.uses), ("used by", var.used_by)):
        if names:
            links = ", ".join(_link(n) for n in names)
            parts.append(f"<div class='links'><span class='label'>{label}</span> {links}</div>")
    if loops_of.get(var.name):
        links = ", ".join(
            f'<a href="#{_loop_id(n)}">{html.escape(n)}</a>' for n in loops_of[var.name]
        )
        parts.append(f"<div class='links'><span class='label'>loops</span> {links}</div>")
    parts.append("</article>")
    return "\n".join(parts)


def render(structure: ModelStructure, named=None) -> str:
    """The reference page as an HTML string."""
    title = f"{structure.path.name}: model reference"
    pattern = _name_pattern(structure)
    loops_of: dict[str, list[str]] = {}
    for loop in named or ():
        for v in loop.path:
            loops_of.setdefault(v, []).append(loop.name)
    counts = {}
    for v in structure.variables.values():
        counts[v.kind] = counts.get(v.kind, 0) + 1
    plural = {"auxiliary": "auxiliaries"}
    summary = ", ".join(
        f"{n} {plural.get(k, k + 's') if n != 1 else k}" for k, n in sorted(counts.items())
    )
    body = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
        f"<p>{len(structure.variables)} variables ({summary}) in "
        f"{len(structure.sectors)} sectors, {len(structure.links)} causal links"
        + (f", {len(named)} named feedback loops" if named else "")
        + f". Generated by lifecycle {html.escape(__version__)} (<code>lifecycle doc</code>)."
        "</p></header>",
        "<nav>"
        + " ".join(
            f'<a href="#{_sector_id(s.name)}">{html.escape(s.name)}</a>' for s in structure.sectors
        )
        + ' <a href="#constants">Constants</a>'
        + (' <a href="#loops">Feedback loops</a>' if named else "")
        + "</nav>",
        "<main>",
    ]
    for sector in structure.sectors:
        body.append(f"<section id='{_sector_id(sector.name)}'>")
        body.append(f"<h2>{html.escape(sector.name)}</h2>")
        if sector.comment:
            body.append(f"<p>{html.escape(sector.comment)}</p>")
        for name in sector.variables:
            body.append(_variable_html(structure.variables[name], structure, loops_of, pattern))
        body.append("</section>")
    body.append("<section id='constants'><h2>Constants</h2>")
    body.append(
        "<p>Class: <b>source</b> (a paper or data set), <b>calibrated</b> (fitted to named "
        "data), <b>assumption</b> (with its reason), <b>lever</b> (a policy lever, set by "
        "scenarios), <b>unstated</b> (the comment does not start with its class).</p>"
    )
    body.append(
        "<table><colgroup><col style='width:19%'><col style='width:8%'>"
        "<col style='width:9%'><col style='width:8%'><col style='width:10%'>"
        "<col style='width:11%'><col style='width:35%'></colgroup>"
        "<tr><th>constant</th><th>value</th><th>units</th><th>range</th><th>class</th>"
        "<th>sector</th><th>comment</th></tr>"
    )
    for v in sorted(
        (v for v in structure.variables.values() if v.kind == "constant"),
        key=lambda v: v.name.lower(),
    ):
        comment = v.comment if len(v.comment) <= 160 else v.comment[:157] + "..."
        body.append(
            f"<tr><td>{_link(v.name)}</td><td class='num'>{html.escape(v.equation)}</td>"
            f"<td>{html.escape(v.units)}</td><td>{html.escape(v.range)}</td>"
            f"<td><span class='cls {v.source_class}'>{v.source_class}</span></td>"
            f"<td><a href='#{_sector_id(v.sector)}'>{html.escape(v.sector)}</a></td>"
            f"<td>{html.escape(comment)}</td></tr>"
        )
    body.append("</table></section>")
    if named:
        body.append("<section id='loops'><h2>Feedback loops</h2>")
        body.append(
            f"<p>The main loops, named in <code>{html.escape(structure.path.stem)}"
            ".loops.toml</code>: each variable uses the one before it and the first uses "
            "the last. R reinforcing, B balancing. <code>lifecycle loops</code> scores them "
            "with Loops That Matter.</p>"
        )
        for loop in named:
            pol = "reinforcing" if loop.polarity == "R" else "balancing"
            path = " &rarr; ".join(_link(v) for v in loop.path) + " &rarr; " + _link(loop.path[0])
            body.append(
                f"<article class='loop' id='{_loop_id(loop.name)}'>"
                f"<h3>{html.escape(loop.name)} <span class='pol'>({loop.polarity}, {pol})</span>"
                f"</h3><p>{html.escape(loop.description)}</p><div class='links'>{path}</div>"
                "</article>"
            )
        body.append("</section>")
    body.append("</main></body></html>")
    return "\n".join(body) + "\n"


def write_doc(model_path: str | os.PathLike, output: str | os.PathLike) -> Path:
    """Write the reference page of the model at ``model_path`` to ``output``."""
    from .report import named_loops_for

    structure = ModelStructure(model_path)
    text = render(structure, named_loops_for(structure))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return output
