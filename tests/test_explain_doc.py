"""``lifecycle doc`` (the HTML model reference) and ``lifecycle export --xmile``."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("simlin")

from lifecycle.cli import cli  # noqa: E402
from lifecycle.explain.doc import anchor  # noqa: E402
from lifecycle.explain.structure import ModelStructure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = ROOT / "models" / "cluster_lifecycle.mdl"
BASS = ROOT / "models" / "bass_diffusion.mdl"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """Ids, internal and external references, and the text of every element with an id."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        for key in ("src", "href"):
            if key in a and not a[key].startswith("#"):
                self.external.append(a[key])


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("doc") / "model.html"
    res = CliRunner().invoke(cli, ["doc", "-o", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    parser = Page()
    text = out.read_text(encoding="utf-8")
    parser.feed(text)
    return out, text, parser


def test_every_variable_has_an_entry(page):
    _, text, parsed = page
    structure = ModelStructure(CLUSTER)
    assert len(structure.variables) > 200
    for name, var in structure.variables.items():
        assert anchor(name) in parsed.ids, name
        if var.kind == "constant":  # in the constants table, linked to its entry
            assert f'href="#{anchor(name)}"' in text
    for sector in structure.sectors:
        assert f"sector-{sector.name.lower().replace(' ', '-')}" in parsed.ids


def test_every_internal_link_resolves_and_nothing_is_fetched(page):
    _, text, parsed = page
    internal = [h for h in parsed.hrefs if h.startswith("#")]
    assert len(internal) > 1000
    missing = sorted({h for h in internal if h[1:] not in parsed.ids})
    assert missing == []
    assert parsed.external == []  # self-contained: no script, stylesheet, image or link out
    assert "script" not in parsed.tags


def test_links_go_both_ways(page):
    """'Startups' uses 'Potential Startups', so each entry links to the other."""
    _, text, _ = page
    start = text.index(f'id="{anchor("Startups")}"')
    entry = text[start : text.index("</article>", start)]
    assert f'href="#{anchor("Potential Startups")}"' in entry
    start = text.index(f'id="{anchor("Potential Startups")}"')
    entry = text[start : text.index("</article>", start)]
    assert f'href="#{anchor("Startups")}"' in entry


def test_constants_table_and_named_loops(page):
    _, text, parsed = page
    assert "loop-spawning" in parsed.ids and "loop-lock-in" in parsed.ids
    assert "(R, reinforcing)" in text and "(B, balancing)" in text
    table = text[text.index("id='constants'") : text.index("id='loops'")]
    assert "assumption" in table and "lever" in table
    # a constant's value as the .mdl gives it
    assert "<td class='num'>2</td>" in table  # initial young firms = 2


PROBE = """<script>
var links = document.querySelectorAll('a[href^="#"]'), broken = 0;
links.forEach(function (a) {
  if (!document.getElementById(a.getAttribute("href").slice(1))) broken++;
});
document.querySelector('a[href="#var-potential-startups"]').click();
var target = document.querySelector(":target");
var over = 0;
document.querySelectorAll("pre, td, th, h3, .links, .var, table").forEach(function (e) {
  if (e.scrollWidth > e.clientWidth + 1) over++;
});
document.title = [document.documentElement.scrollWidth, window.innerWidth, links.length,
  broken, target ? target.id : "none", over].join(",");
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1280, 800])
def test_the_page_works_in_headless_chromium(page, tmp_path, width):
    """In a real browser, offline: every internal link finds its target, clicking one
    makes its entry the :target, and nothing overflows sideways (the document is no wider
    than the window and no table cell, equation or entry overflows its box), at a desktop
    and a narrow width. The page's own file has no script; the probe is added to a copy."""
    out, _, _ = page
    probe = tmp_path / "probe.html"
    probe.write_text(
        out.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},900",
        "--dump-dom",
        probe.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    title = dom.split("<title>", 1)[1].split("</title>", 1)[0]
    doc_width, viewport, n_links, broken, target, over = title.split(",")
    assert int(n_links) > 1000
    assert int(broken) == 0
    assert target == "var-potential-startups"
    assert int(doc_width) <= int(viewport), title
    assert int(over) == 0, title


def test_xmile_export_round_trips(tmp_path):
    """The exported cluster model loads in pysimlin and runs exactly as the .mdl (the
    diagram layout is skipped here: it takes seconds on this model; the Bass test below
    exports with it)."""
    import simlin

    from lifecycle.explain.export import export_xmile

    out = export_xmile(CLUSTER, tmp_path / "cluster.xmile", layout=False)
    assert out.read_bytes().startswith(b"<?xml")
    a = simlin.load(CLUSTER).run(analyze_loops=False).results
    b = simlin.load(out).run(analyze_loops=False).results
    assert list(a.columns) == list(b.columns) and len(a.columns) > 200
    np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, atol=0)
    assert b["firms"].iloc[-1] > 10  # a real run, not an empty one


def test_xmile_of_bass_agrees_with_pysd(tmp_path):
    """The exported Bass model, run by Simlin, matches PySD's run of the .mdl."""
    import simlin

    from lifecycle import load_model

    out = tmp_path / "bass.xmile"
    res = CliRunner().invoke(cli, ["export", "--xmile", "--model", str(BASS), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert b"<view" in out.read_bytes()  # with a laid-out diagram for Stella
    b = simlin.load(out).run(analyze_loops=False).results
    pysd = load_model(BASS).run(variables=["Adopters"])
    t = pysd.index.to_numpy()
    np.testing.assert_allclose(
        np.interp(t, b.index.to_numpy(), b["adopters"].to_numpy()), pysd["Adopters"], rtol=1e-6
    )


def test_export_needs_an_xmile_name(tmp_path):
    res = CliRunner().invoke(cli, ["export", "--xmile", "-o", str(tmp_path / "m.txt")])
    assert res.exit_code == 2 and ".xmile" in res.output
    assert not list(tmp_path.iterdir())


def test_doc_and_export_replace_only_their_own_files(tmp_path):
    for args, name in ((["doc"], "model.html"), (["export", "--xmile"], "m.xmile")):
        target = tmp_path / name
        target.write_text("the user's own file")
        extra = ["--model", str(BASS)]
        res = CliRunner().invoke(cli, [*args, *extra, "-o", str(target)])
        assert res.exit_code == 2 and "--force" in res.output, res.output
        assert target.read_text() == "the user's own file"
        res = CliRunner().invoke(cli, [*args, *extra, "-o", str(target), "--force"])
        assert res.exit_code == 0, res.output
        assert target.read_text() != "the user's own file"
        res = CliRunner().invoke(cli, [*args, *extra, "-o", str(target)])  # now lifecycle's
        assert res.exit_code == 0, res.output
