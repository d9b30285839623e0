"""Uncertain files: every mistake reported at once with file and line; exact sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from lifecycle.errors import ScenarioError
from lifecycle.model import load_model
from lifecycle.uncertain import load_uncertain, parse_uncertain

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "u.toml"
    path.write_text(text)
    return path


GOOD = """description = "four inputs"
[uncertain]
"x 1" = {dist = "uniform", min = 0.2, max = 0.6}
X2 = {dist = "normal", mean = 0.5, sd = 0.4}
x3 = {dist = "triangular", min = 0, mode = 0.2, max = 1}
X4 = {dist = "lognormal", mean = 2, sd = 1, max = 5}
"""


def test_names_resolve_and_truncation_combines_file_and_model_range(tmp_path, linear):
    spec = load_uncertain(write(tmp_path, GOOD), linear)
    assert spec.names == ["X1", "X2", "X3", "X4"]
    bounds = {p.name: (p.low, p.high) for p in spec.params}
    # normal: only the model's range [0, 1] cuts it; lognormal: its max 5 and the model's 0
    assert bounds == {"X1": (0.2, 0.6), "X2": (0.0, 1.0), "X3": (0.0, 1.0), "X4": (0.0, 5.0)}
    assert spec.description == "four inputs"


def test_samples_respect_truncation_and_match_the_distributions(tmp_path, linear):
    spec = load_uncertain(write(tmp_path, GOOD), linear)
    s = spec.sample(4000, seed=7)
    assert s.shape == (4000, 4)
    assert s["X1"].between(0.2, 0.6).all() and s["X2"].between(0, 1).all()
    assert s["X4"].between(0, 5).all()
    # the normal with sd 0.4 is cut by [0, 1]: its sample is the truncated normal
    trunc = stats.truncnorm(-0.5 / 0.4, 0.5 / 0.4, loc=0.5, scale=0.4)
    assert stats.kstest(s["X2"], trunc.cdf).pvalue > 0.01
    assert stats.kstest(s["X3"], stats.triang(0.2).cdf).pvalue > 0.01
    # Latin hypercube: exactly one value in each of the 4000 equal-probability strata of X1
    strata = np.floor((s["X1"].to_numpy() - 0.2) / 0.4 * 4000).astype(int)
    assert sorted(strata) == list(range(4000))


def test_lognormal_mean_and_sd_are_of_the_value_not_its_log(linear):
    spec = parse_uncertain({"X4": {"dist": "lognormal", "mean": 2.0, "sd": 0.5}}, linear)
    x = spec.sample(20000, seed=1)["X4"]
    assert x.mean() == pytest.approx(2.0, rel=0.01)
    assert x.std() == pytest.approx(0.5, rel=0.03)


def test_same_seed_same_samples_other_seed_differs(tmp_path, linear):
    spec = load_uncertain(write(tmp_path, GOOD), linear)
    a, b, c = spec.sample(50, seed=3), spec.sample(50, seed=3), spec.sample(50, seed=4)
    assert a.equals(b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


BAD = """extra = 1
[uncertain]
"X 10" = {dist = "uniform", min = 0, max = 1}
Y = {dist = "normal", mean = 0.5, sd = 0.1}
X3 = {dist = "weibull", shape = 2}
X1 = {dist = "triangular", min = 0, max = 1}
X2 = {dist = "uniform", min = 0.6, max = 0.2}
A1 = {dist = "normal", mean = 1, sd = -2}
A2 = {dist = "uniform", min = -1, max = 2}
A3 = {dist = "uniform", min = 0, max = "a"}
X4 = {dist = "normal", mean = 5, sd = 0.001, max = 4.9}
"""


def test_every_problem_is_reported_at_once_with_its_line(tmp_path, linear):
    path = write(tmp_path, BAD)
    with pytest.raises(ScenarioError) as info:
        load_uncertain(path, linear)
    found = {(p.line, p.message.split(":")[0]) for p in info.value.problems}
    by_line = {p.line: p for p in info.value.problems}
    assert len(info.value.problems) == 10
    assert all(p.file == str(path) for p in info.value.problems)
    assert "unknown key" in by_line[1].message
    assert "did you mean 'X1'" in str(by_line[3])  # unknown name, with a suggestion
    assert "not a constant" in by_line[4].message  # a stock
    assert "unknown dist 'weibull'" in by_line[5].message
    assert "needs `mode`" in by_line[6].message
    assert "min = 0.6 is not below max = 0.2" in by_line[7].message
    assert "sd = -2 must be positive" in by_line[8].message
    assert "min = -1 is outside the model's range [0, 10]" in by_line[9].message
    assert "must be a finite number" in by_line[10].message
    assert "no probability inside" in by_line[11].message
    assert len(found) == 10


def test_malformed_toml_and_missing_file_are_scenario_errors(tmp_path, linear):
    with pytest.raises(ScenarioError, match=r"u\.toml:2: not valid TOML"):
        load_uncertain(write(tmp_path, '[uncertain]\nX1 = {dist = "uniform" min = 0}\n'), linear)
    with pytest.raises(ScenarioError, match="not found"):
        load_uncertain(tmp_path / "nope.toml", linear)
    with pytest.raises(ScenarioError, match="no uncertain constants"):
        load_uncertain(write(tmp_path, 'description = "empty"\n'), linear)


def test_example_uncertain_file_is_valid_for_the_main_model():
    spec = load_uncertain(
        ROOT / "scenarios" / "uncertain" / "baseline_uncertain.toml", load_model()
    )
    assert len(spec) == 10
    s = spec.sample(200, seed=1)
    model = load_model()
    for p in spec.params:  # every sample is a value the model accepts
        const = model.parameters[p.name]
        assert s[p.name].between(const.low, const.high).all()


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-3, 12),
    sd=st.floats(0.01, 3),
    dist=st.sampled_from(["normal", "lognormal"]),
)
def test_truncated_inverse_cdf_stays_inside_and_is_monotone(linear, mean, sd, dist):
    # X4's model range is [0, 10]; the file truncates further to [0.5, 2]
    entry = {"dist": dist, "mean": mean, "sd": sd, "min": 0.5, "max": 2.0}
    if not 0 <= mean <= 10 or (dist == "lognormal" and mean == 0):  # outside the range
        with pytest.raises(ScenarioError, match="mean"):
            parse_uncertain({"X4": entry}, linear)
        return
    try:
        item = parse_uncertain({"X4": entry}, linear).params[0]
    except ScenarioError as exc:  # [0.5, 2] holds (almost) no probability, or sd >> mean
        assert "no probability" in str(exc) or "over 100" in str(exc)
        return
    u = np.linspace(0, 1, 201)
    x = item.ppf(u)
    assert np.all((x >= 0.5) & (x <= 2.0))
    assert np.all(np.diff(x) >= -1e-12)
    # the median of the truncated distribution splits its probability in half
    d = item.frozen()
    lo, hi = (d.sf(0.5), d.sf(2.0)) if d.cdf(0.5) > 0.5 else (d.cdf(0.5), d.cdf(2.0))
    at = d.sf(x[100]) if d.cdf(0.5) > 0.5 else d.cdf(x[100])
    assert (at - lo) / (hi - lo) == pytest.approx(0.5, abs=1e-6)
