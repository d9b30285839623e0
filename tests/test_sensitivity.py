"""Sobol' and Morris on an additive linear model, whose indices are known analytically.

``tests/models/sa_linear.mdl``: Y(1) = 1 X1 + 2 X2 + 3 X3 (X4 enters nothing), so the
first-order Sobol' index of X_i is a_i^2 Var(X_i) / sum_j a_j^2 Var(X_j), total = first
order, and a Morris effect (per unit of probability) of a uniform X_i on [lo, hi] is
a_i (hi - lo) exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner
from scipy import stats

from lifecycle.cli.analysis import sensitivity_command
from lifecycle.errors import SimulationError
from lifecycle.model import load_model
from lifecycle.sensitivity import MetricError, SensitivityError, morris, parse_metrics, sobol
from lifecycle.uncertain import parse_uncertain

MODEL = Path(__file__).resolve().parent / "models" / "sa_linear.mdl"
COEF = np.array([1.0, 2.0, 3.0, 0.0])


@pytest.fixture(scope="module")
def sobol_result(linear):
    spec = parse_uncertain(
        {
            "X1": {"dist": "uniform", "min": 0.0, "max": 1.0},
            "X2": {"dist": "normal", "mean": 0.5, "sd": 0.1},
            "X3": {"dist": "triangular", "min": 0.0, "mode": 0.2, "max": 1.0},
            "X4": {"dist": "uniform", "min": 0.0, "max": 10.0},
        },
        linear,
    )
    metrics = ["final(Y)", "mean(Y, 0, 1)", "peak(Hump)", "tpeak(Hump)"]
    return sobol(linear, None, spec, metrics, n=256, seed=5)


def analytic_first_order() -> np.ndarray:
    var = np.array(
        [
            1 / 12,
            stats.truncnorm(-5, 5, loc=0.5, scale=0.1).var(),  # the model's range [0, 1] cuts it
            stats.triang(0.2).var(),
            100 / 12,
        ]
    )
    part = COEF**2 * var
    return part / part.sum()  # about 0.153, 0.074, 0.773, 0


def test_sobol_indices_of_an_additive_model_match_the_analytic_values(sobol_result):
    expected = dict(zip(["X1", "X2", "X3", "X4"], analytic_first_order(), strict=True))
    for metric in ("final(Y)", "mean(Y, 0, 1)"):
        df = sobol_result.indices.set_index("parameter").loc[
            sobol_result.indices["metric"].to_numpy() == metric
        ]
        for name, s in expected.items():
            assert df.loc[name, "S1"] == pytest.approx(s, abs=0.04), name
            assert df.loc[name, "ST"] == pytest.approx(s, abs=0.03), name  # no interactions
            assert df.loc[name, "S1_conf"] < 0.2 and df.loc[name, "ST_conf"] < 0.15
        assert df["S1"].sum() == pytest.approx(1.0, abs=0.05)
        assert list(df.index) == ["X3", "X1", "X2", "X4"]  # ranked by total index
        assert df.loc["X4", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert len(sobol_result.samples) == 256 * (4 + 2)


def test_sobol_peak_depends_on_one_input_and_a_constant_metric_is_undefined(sobol_result):
    idx = sobol_result.indices.set_index(["metric", "parameter"])
    assert idx.loc[("peak(Hump)", "X1"), "S1"] == pytest.approx(1.0, abs=0.05)
    assert idx.loc[("peak(Hump)", "X3"), "ST"] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(idx.loc[("tpeak(Hump)", "X1"), "S1"])  # always 0.5: no variance
    np.testing.assert_allclose(sobol_result.outputs["tpeak(Hump)"], 0.5)


def test_sobol_write_gives_indices_samples_and_a_figure(tmp_path, sobol_result):
    out = sobol_result.write(tmp_path / "sobol")
    assert sorted(p.name for p in out.iterdir()) == [
        ".lifecycle-manifest.json",
        "indices.csv",
        "outputs.csv",
        "samples.csv",
        "sensitivity.json",
        "sensitivity.png",
    ]
    outputs = pd.read_csv(out / "outputs.csv", index_col="run")
    assert list(outputs.columns) == ["final(Y)", "mean(Y, 0, 1)", "peak(Hump)", "tpeak(Hump)"]
    np.testing.assert_array_equal(outputs.to_numpy(), sobol_result.outputs.to_numpy())
    record = json.loads((out / "sensitivity.json").read_text())
    assert (record["analysis"], record["n"], record["runs"], record["seed"]) == (
        "sobol",
        256,
        1536,
        5,
    )


def test_morris_effects_are_slopes_times_ranges(linear):
    spec = parse_uncertain(
        {
            "X1": {"dist": "uniform", "min": 0.0, "max": 1.0},
            "X2": {"dist": "uniform", "min": 0.2, "max": 0.6},
            "X3": {"dist": "uniform", "min": 0.0, "max": 1.0},
            "X4": {"dist": "uniform", "min": 0.0, "max": 10.0},
        },
        linear,
    )
    res = morris(linear, None, spec, "final(Y)", n=10, seed=3)
    df = res.indices.set_index("parameter")
    np.testing.assert_allclose(
        df.loc[["X1", "X2", "X3", "X4"], "mu_star"], [1.0, 0.8, 3.0, 0.0], atol=1e-9
    )
    np.testing.assert_allclose(df["sigma"], 0.0, atol=1e-9)  # linear: every effect equal
    assert list(df.index) == ["X3", "X1", "X2", "X4"]
    assert len(res.samples) == 10 * 5
    again = morris(linear, None, spec, "final(Y)", n=10, seed=3)
    assert again.samples.equals(res.samples)


def test_metrics_evaluate_to_the_values_they_name(linear):
    t = np.linspace(0.0, 1.0, 5)
    ds = xr.Dataset(
        {
            "Y": (("run", "time"), np.array([t * 2, 1 - t])),
            "Hump": (("run", "time"), np.array([t * (1 - t), t])),
        },
        coords={"run": [0, 1], "time": t},
    )
    m = {
        x.text: x
        for x in parse_metrics(
            ["y@0.3", "peak(hump)", "TPEAK(Hump)", "final(Y)", "mean(Y, 0.1, 0.6)"], linear
        )
    }
    np.testing.assert_allclose(m["Y@0.3"].evaluate(ds), [0.6, 0.7])
    np.testing.assert_allclose(m["peak(Hump)"].evaluate(ds), [0.25, 1.0])
    np.testing.assert_allclose(m["tpeak(Hump)"].evaluate(ds), [0.5, 1.0])
    np.testing.assert_allclose(m["final(Y)"].evaluate(ds), [2.0, 0.0])
    # linear series: the mean over [0.1, 0.6] is the value at the midpoint 0.35
    np.testing.assert_allclose(m["mean(Y, 0.1, 0.6)"].evaluate(ds), [0.7, 0.65])


def test_bad_metrics_are_all_reported_with_a_hint(linear):
    with pytest.raises(MetricError) as info:
        parse_metrics(
            ["Y@", "top(Y)", "peak(Humpp)", "Y@2", "mean(Y, 0.5, 0.2)", "mean(Y)"], linear
        )
    msgs = info.value.messages
    assert len(msgs) == 6
    assert "malformed" in msgs[0] and "peak(Var)" in msgs[0]
    assert "unknown function 'top'" in msgs[1]
    assert "did you mean 'Hump'" in msgs[2]
    assert "time 2 is outside the simulation [0, 1]" in msgs[3]
    assert "start < end" in msgs[4]
    assert "takes 3 arguments" in msgs[5]


def test_sobol_needs_a_power_of_two(linear):
    spec = parse_uncertain({"X1": {"dist": "uniform", "min": 0.0, "max": 1.0}}, linear)
    with pytest.raises(SensitivityError, match="use 1024"):
        sobol(linear, None, spec, "final(Y)", n=1000)


def test_sensitivity_command_prints_ranked_indices_and_writes(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\n[params]\n')
    unc = tmp_path / "u.toml"
    unc.write_text(
        '[uncertain]\nX1 = {dist = "uniform", min = 0, max = 1}\n'
        'X3 = {dist = "uniform", min = 0, max = 1}\n'
    )
    res = CliRunner().invoke(
        sensitivity_command,
        [
            str(scenario),
            "--uncertain",
            str(unc),
            "--model",
            str(MODEL),
            "--method",
            "morris",
            "-n",
            "4",
            "--metric",
            "final(Y)",
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[1].split()[:3] == ["final(Y)", "X3", "3.000"]
    assert lines[2].split()[:3] == ["final(Y)", "X1", "1.000"]
    assert (tmp_path / "out" / "indices.csv").is_file()


def test_second_order_indices_of_an_additive_model_vanish(tmp_path, linear):
    spec = parse_uncertain(
        {x: {"dist": "uniform", "min": 0.0, "max": 1.0} for x in ("X1", "X2", "X3")}, linear
    )
    res = sobol(linear, None, spec, "final(Y)", n=128, seed=2, calc_second_order=True)
    assert len(res.samples) == 128 * (2 * 3 + 2)
    s2 = res.second_order
    assert list(zip(s2["parameter_1"], s2["parameter_2"], strict=True)) == [
        ("X1", "X2"),
        ("X1", "X3"),
        ("X2", "X3"),
    ]
    np.testing.assert_allclose(s2["S2"], 0.0, atol=0.1)
    s1 = res.indices.set_index("parameter")["S1"]
    np.testing.assert_allclose(s1[["X1", "X2", "X3"]], np.array([1, 4, 9]) / 14, atol=0.08)
    assert (res.write(tmp_path / "s2") / "second_order.csv").is_file()


def test_failed_runs_stop_the_analysis_with_a_count():
    model = load_model(MODEL.with_name("sa_fail.mdl"))  # runs with X < 0.3 give NaN
    spec = parse_uncertain({"X": {"dist": "uniform", "min": 0.0, "max": 1.0}}, model)
    with pytest.raises(SimulationError, match=r"of 12 runs failed .* narrow the distributions"):
        morris(model, None, spec, "final(Z)", n=6, seed=1)


def test_the_help_states_the_librarys_sample_size_defaults():
    """`lifecycle sensitivity` without -n runs the library's default sizes (the command passes
    n only when given, so the defaults are written once, in the signatures); its help states
    them, and fails here if either drifts."""
    import inspect
    import re

    option = next(p for p in sensitivity_command.params if p.name == "n")
    stated = dict(
        (m.lower().rstrip("'"), int(v))
        for m, v in re.findall(r"(Sobol'|Morris)[^(]*\(default (\d+)\)", option.help)
    )
    defaults = {
        "sobol": inspect.signature(sobol).parameters["n"].default,
        "morris": inspect.signature(morris).parameters["n"].default,
    }
    assert stated == defaults, (stated, defaults)
    assert option.default is None  # None means: the library's default
