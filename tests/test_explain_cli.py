"""The explain commands end to end: ``loops`` (and, below, ``diagram``, ``doc``, ``export``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("simlin")

from lifecycle.cli import cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "models" / "bass_diffusion.mdl"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def bass_scenario(tmp_path):
    f = tmp_path / "bass.toml"
    f.write_text(f'name = "bass"\nmodel = "{BASS}"\n')
    return f


def test_loops_writes_stage_table_figure_and_periods(tmp_path, bass_scenario):
    out = tmp_path / "out"
    res = invoke("loops", bass_scenario, "--vars", "adoption rate", "--periods", "-o", out)
    assert res.exit_code == 0, res.output
    loops = pd.read_csv(out / "loops.csv")
    assert list(loops.columns) == [
        "scenario",
        "variable",
        "stage",
        "start",
        "end",
        "loop",
        "polarity",
        "share",
    ]
    assert set(loops["variable"]) == {"adoption rate"}
    # the Bass model names its loops: word of mouth drives the growth of the adoption rate
    # (up to its peak), saturation its decline
    assert list(loops["stage"]) == ["growth", "decline"]
    growth, decline = loops.iloc[0], loops.iloc[1]
    assert (growth["loop"], growth["polarity"]) == ("word of mouth", "R")
    assert (decline["loop"], decline["polarity"]) == ("saturation", "B")
    assert growth["share"] > 0.6 and decline["share"] > 0.6
    assert loops["share"].between(0, 1).all()
    periods = pd.read_csv(out / "periods.csv")
    assert list(periods.columns) == ["scenario", "start", "end", "loop", "polarity", "share"]
    assert list(periods["loop"]) == ["word of mouth", "saturation"]
    assert (out / "loops.png").stat().st_size > 10_000
    assert "growth" in res.output and "word of mouth" in res.output


def test_loops_replaces_only_its_own_output(tmp_path, bass_scenario):
    out = tmp_path / "out"
    args = ("loops", bass_scenario, "--vars", "adoption rate", "-o", out)
    assert invoke(*args).exit_code == 0
    assert invoke(*args).exit_code == 0  # its own earlier output: replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a file of the user's")
    res = CliRunner().invoke(cli, [str(a) for a in args[:-1]] + [str(mine)])
    assert res.exit_code == 2 and "--force" in res.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_loops_stages_are_those_of_the_stages_command(tmp_path, bass_scenario):
    res = invoke("loops", bass_scenario, "--vars", "Adopters", "-o", tmp_path / "o")
    assert res.exit_code == 0, res.output
    loops = pd.read_csv(tmp_path / "o" / "loops.csv")
    st = invoke("stages", bass_scenario, "--vars", "Adopters", "--format", "csv")
    from io import StringIO

    stages = pd.read_csv(StringIO(st.output))
    got = loops.drop_duplicates(["stage", "start"])[["stage", "start", "end"]]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), stages[["stage", "start", "end"]], check_dtype=False
    )


def test_bad_loops_file_is_exit_2_naming_the_file(tmp_path):
    model = tmp_path / "bass_diffusion.mdl"
    shutil.copy(BASS, model)
    (tmp_path / "bass_diffusion.loops.toml").write_text(
        '[[loop]]\nname = "x"\npolarity = "R"\npath = ["Adopters", "market size"]\n'
    )
    scen = tmp_path / "s.toml"
    scen.write_text('name = "s"\nmodel = "bass_diffusion.mdl"\n')
    res = CliRunner().invoke(
        cli, ["loops", str(scen), "--vars", "Adopters", "-o", str(tmp_path / "o")]
    )
    assert res.exit_code == 2
    assert "bass_diffusion.loops.toml" in res.output
    assert "'Adopters' -> 'market size' is not a link" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_loops_on_the_cluster_baseline(tmp_path):
    res = invoke("loops", ROOT / "scenarios" / "baseline.toml", "-o", tmp_path)
    assert res.exit_code == 0, res.output
    loops = pd.read_csv(tmp_path / "loops.csv")
    named = {
        "spawning",
        "saturation",
        "shakeout",
        "imitation",
        "trust",
        "learning",
        "lock-in",
        "labour",
        "capital",
        "scale",
        "value",  # named loops added for the second-edition model
        "congestion",
        "search",
    }
    assert set(loops["loop"]) <= named
    assert set(loops["variable"]) == {"Firms+Employment"}
    # each stage's dominant loops explain at least half of the named loops' activity
    for _, block in loops.groupby(["stage", "start"]):
        assert block["share"].sum() >= 0.5


def test_diagram_is_byte_stable_and_shows_the_sector(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for f in (a, b):
        res = invoke("diagram", "--sector", "Trust", "-o", f)
        assert res.exit_code == 0, res.output
    assert a.read_bytes() == b.read_bytes()
    svg = a.read_text()
    assert svg.startswith("<svg") or "<svg" in svg[:200]
    for word in ("trust", "building", "erosion", "interaction"):  # the sector's variables
        assert word in svg
    png = tmp_path / "t.png"
    assert invoke("diagram", "--sector", "Trust", "-o", png).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagram_overview_draws_every_stock(tmp_path):
    from lifecycle.explain.diagram import overview_model
    from lifecycle.explain.report import named_loops_for
    from lifecycle.explain.structure import ModelStructure

    structure = ModelStructure(ROOT / "models" / "cluster_lifecycle.mdl")
    model = overview_model(structure, named_loops_for(structure))
    assert {s["name"] for s in model["stocks"]} == {structure.ident(s) for s in structure.stocks}
    # the spawning loop shows as young firms -> startups (through the Firms total)
    startups = next(f for f in model["flows"] if f["name"] == "startups")
    assert "young_firms" in startups["equation"]


def test_diagram_errors_are_exit_2(tmp_path):
    res = CliRunner().invoke(cli, ["diagram", "--sector", "Nowhere", "-o", str(tmp_path / "x.svg")])
    assert res.exit_code == 2
    assert "'Nowhere' is not a sector" in res.output and "Trust" in res.output
    res = CliRunner().invoke(cli, ["diagram", "-o", str(tmp_path / "x.jpg")])
    assert res.exit_code == 2 and ".svg or .png" in res.output
    assert not list(tmp_path.iterdir())


def test_a_large_model_without_named_loops_asks_for_them():
    """Discovery mode (too many loops to enumerate) and no named loops: a ModelFileError
    (exit 2) that says where to name them."""
    from lifecycle.errors import ModelFileError
    from lifecycle.explain.loops import score_loops

    with pytest.raises(
        ModelFileError, match="too many feedback loops.*cluster_lifecycle.loops.toml"
    ):
        score_loops(ROOT / "models" / "cluster_lifecycle.mdl")
