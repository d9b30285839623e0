"""Monte Carlo bands: reproducible for a seed, right on a model whose answer is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lifecycle import montecarlo as mc_module
from lifecycle.cli.analysis import montecarlo_command
from lifecycle.errors import OutputError, ScenarioError
from lifecycle.model import load_model
from lifecycle.montecarlo import PERCENTILES, monte_carlo
from lifecycle.scenarios import Scenario
from lifecycle.uncertain import parse_uncertain

MODEL = Path(__file__).resolve().parent / "models" / "sa_linear.mdl"


@pytest.fixture(scope="module")
def spec(linear):
    return parse_uncertain({"X1": {"dist": "uniform", "min": 0.0, "max": 1.0}}, linear)


@pytest.fixture(scope="module")
def result(linear, spec):
    return monte_carlo(linear, None, spec, n=200, seed=11, variables=["y", "HUMP"])


def test_bands_of_a_uniform_input_are_its_quantiles(result):
    # Y(1) = X1 + 2 * 0.5 + 3 * 0.5 with X1 ~ U(0, 1): the percentiles of X1, shifted by 2.5
    final = result.bands("Y").iloc[-1]
    for q in PERCENTILES:
        assert final[f"p{q:g}"] == pytest.approx(2.5 + q / 100, abs=0.006)
    # the hump's peak (time 0.5) is 4 X1 t (1 - t) = X1
    assert result.bands("Hump").loc[0.5, "p50"] == pytest.approx(0.5, abs=0.006)


def test_percentiles_are_ordered_at_every_time(result):
    for v in ("Y", "Hump"):
        b = result.bands(v).to_numpy()
        assert np.all(np.diff(b, axis=1) >= 0)
        assert result.bands(v).shape == (9, len(PERCENTILES))


def test_same_seed_same_bands_other_seed_differs(linear, spec, result):
    again = monte_carlo(linear, None, spec, n=200, seed=11, variables=["Y", "Hump"])
    other = monte_carlo(linear, None, spec, n=200, seed=12, variables=["Y", "Hump"])
    pd.testing.assert_frame_equal(again.bands("Y"), result.bands("Y"))
    assert again.samples.equals(result.samples)
    assert not np.allclose(other.samples["X1"], result.samples["X1"])


def test_uncertain_values_replace_the_scenario_and_the_rest_is_kept(linear, spec):
    scenario = Scenario(name="x2 high", params={"X1": 0.0, "X2": 1.0})
    res = monte_carlo(linear, scenario, spec, n=50, seed=1, variables=["Y"])
    y = res.dataset["Y"].isel(time=-1).to_numpy()
    np.testing.assert_allclose(y, res.samples["X1"].to_numpy() + 2 * 1.0 + 3 * 0.5)
    assert res.record()["options"]["scenario_values_replaced"] == ["X1"]


def test_unknown_variables_are_reported_with_suggestions(linear, spec):
    with pytest.raises(ScenarioError, match="did you mean 'Hump'"):
        monte_carlo(linear, None, spec, n=5, variables=["Y", "Humpp"])


def test_write_gives_csv_json_and_byte_stable_figures(tmp_path, result):
    out = result.write(tmp_path / "mc")
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        ".lifecycle-manifest.json",
        "bands.csv",
        "bands_hump.png",
        "bands_y.png",
        "montecarlo.json",
        "samples.csv",
    ]
    bands = pd.read_csv(out / "bands.csv")
    assert list(bands.columns[:3]) == ["variable", "time", "p0"]
    assert len(bands) == 2 * 9
    samples = pd.read_csv(out / "samples.csv", index_col="run")
    np.testing.assert_array_equal(samples.to_numpy(), result.samples.to_numpy())  # exact
    record = json.loads((out / "montecarlo.json").read_text())
    assert (record["seed"], record["n"]) == (11, 200)
    assert record["uncertain"]["X1"]["dist"] == "uniform"
    first = (out / "bands_y.png").read_bytes()
    result.write(tmp_path / "mc")  # replaces the folder
    assert (out / "bands_y.png").read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc"]  # no temporary left behind


def test_a_failed_write_leaves_nothing(tmp_path, result, monkeypatch):
    def boom(fig, path):
        raise OSError("disk full")

    monkeypatch.setattr(mc_module, "save_figure", boom)
    with pytest.raises(OutputError, match="disk full"):  # a message, not a traceback
        result.write(tmp_path / "mc")
    assert list(tmp_path.iterdir()) == []


def test_command_writes_the_folder_and_rejects_a_bad_uncertain_file(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\n[params]\nX2 = 1.0\n')
    good = tmp_path / "u.toml"
    good.write_text('[uncertain]\nX1 = {dist = "uniform", min = 0, max = 1}\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('[uncertain]\nX1 = {dist = "uniform", min = 0, max = 2}\n')
    args = [str(scenario), "--model", str(MODEL), "-n", "20", "--vars", "Y,Hump"]
    runner = CliRunner()
    ok = runner.invoke(
        montecarlo_command, [*args, "--uncertain", str(good), "-o", str(tmp_path / "out")]
    )
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == ""
    assert json.loads((tmp_path / "out" / "montecarlo.json").read_text())["n"] == 20
    fail = runner.invoke(
        montecarlo_command, [*args, "--uncertain", str(bad), "-o", str(tmp_path / "out2")]
    )
    assert isinstance(fail.exception, ScenarioError)
    assert "bad.toml:2" in str(fail.exception) and "outside the model's range" in str(
        fail.exception
    )
    assert not (tmp_path / "out2").exists()


def test_problems_in_scenario_and_uncertain_file_are_reported_together(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('[params]\n"X 9" = 1.0\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('[uncertain]\nX7 = {dist = "uniform", min = 0, max = 1}\n')
    res = CliRunner().invoke(
        montecarlo_command,
        [
            str(scenario),
            "--uncertain",
            str(bad),
            "--model",
            str(MODEL),
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert isinstance(res.exception, ScenarioError)
    files = sorted(Path(p.file).name for p in res.exception.problems)
    assert files == ["bad.toml", "s.toml"]
    assert not (tmp_path / "out").exists()


def test_failed_runs_are_left_out_of_the_bands_and_counted(tmp_path):
    model = load_model(MODEL.with_name("sa_fail.mdl"))  # runs with X < 0.3 give NaN
    spec = parse_uncertain({"X": {"dist": "uniform", "min": 0.0, "max": 1.0}}, model)
    res = monte_carlo(model, None, spec, n=100, seed=2, variables=["Z"])
    assert res.failed.sum() == 30  # Latin hypercube: exactly 30 of 100 strata below 0.3
    np.testing.assert_array_equal(res.failed, res.samples["X"].to_numpy() < 0.3)
    final = res.bands("Z").iloc[-1]
    ok = res.samples["X"][~res.failed]  # Z(1) = LN(X - 0.3) for the runs that succeed
    assert final["p0"] == pytest.approx(np.log(ok.min() - 0.3), rel=1e-9)
    assert final["p100"] == pytest.approx(np.log(ok.max() - 0.3), rel=1e-9)
    out = res.write(tmp_path / "mc")
    assert json.loads((out / "montecarlo.json").read_text())["failed_runs"] == 30
