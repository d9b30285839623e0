"""``lifecycle check``: check files, the condition language, single runs and ensembles.

Most tests use ``tests/models/sa_linear.mdl``, where every metric is known in closed form:
``Y(1) = A1 X1 + A2 X2 + A3 X3`` exactly under Euler (the inflow is constant), and
``Hump = 4 X1 t (1 - t)`` peaks at ``t = 0.5`` with height ``X1``.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from lifecycle.checks import CheckFileError, load_checks, run_checks, wilson
from lifecycle.checks.expr import ConditionError, cut_metrics, parse_condition
from lifecycle.cli import cli
from lifecycle.uncertain import load_uncertain

ROOT = Path(__file__).resolve().parents[1]
LINEAR = ROOT / "tests" / "models" / "sa_linear.mdl"
EXAMPLES = ROOT / "checks" / "examples"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def checkfile(tmp_path: Path, body: str, name: str = "checks.toml") -> Path:
    """A check file on the linear model; ``body`` holds its [[check]] tables."""
    return write(tmp_path / name, f'model = "{LINEAR}"\n\n' + textwrap.dedent(body).lstrip())


def invoke(*args, code: int):
    result = CliRunner().invoke(cli, ["check", *map(str, args)])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result


# -- metrics and conditions ------------------------------------------------------------------


def test_metrics_on_the_linear_model_match_their_closed_forms(tmp_path):
    # X1 = 0.5: Hump peaks at t = 0.5 with 0.5; on [0, 0.25] it rises to 4*0.5*0.25*0.75;
    # at t = 0.3 it is interpolated between the saves at 0.25 and 0.375.
    f = checkfile(
        tmp_path,
        """
        [[check]]
        name = "metrics"
        condition = '''peak(Hump) > 0 and time_of_peak(Hump) > 0 and max(Hump, 0, 0.25) > 0
            and min(Hump) >= 0 and Hump@0.3 > 0 and final(Y) > 0 and initial(Y) >= 0
            and mean(Y, 0.25, 0.75) > 0'''
        """,
    )
    cs = load_checks([f])
    out = run_checks(cs).outcomes[0]
    got = {str(m): float(v[0]) for m, v in zip(out.check.metrics, out.values, strict=True)}
    x1 = 0.5
    assert got["peak(Hump)"] == pytest.approx(x1)
    assert got["time_of_peak(Hump)"] == 0.5
    assert got["max(Hump, 0, 0.25)"] == pytest.approx(4 * x1 * 0.25 * 0.75)
    assert got["min(Hump)"] == pytest.approx(0.0, abs=1e-12)
    h25, h375 = 4 * x1 * 0.25 * 0.75, 4 * x1 * 0.375 * 0.625
    assert got["Hump@0.3"] == pytest.approx(h25 + 0.4 * (h375 - h25))
    assert got["final(Y)"] == pytest.approx(1 * 0.5 + 2 * 0.5 + 3 * 0.5)
    assert got["initial(Y)"] == 0.0
    # Y(t) = 3 t: its mean over [0.25, 0.75] is 3 * 0.5
    assert got["mean(Y, 0.25, 0.75)"] == pytest.approx(1.5)
    assert out.passed


def test_variable_names_with_spaces_work_inside_functions_and_before_at(cluster, tmp_path):
    f = write(
        tmp_path / "spaces.toml",
        f"""
        [[check]]
        name = "spaces"
        scenario = "{ROOT / "scenarios" / "baseline.toml"}"
        condition = '''final(Member Share) >= 0 and Member Share@40 <= 1
            and not mean( member  share , 10, 20) > 1 and 0 <= peak(Students in Training)'''
        """,
    )
    cs = load_checks([f])
    names = sorted({m.variable for m in cs.checks[0].metrics})
    assert names == ["Member Share", "Students in Training"]
    kinds = sorted((m.kind, m.variable) for m in cs.checks[0].metrics)
    assert kinds == [
        ("at", "Member Share"),
        ("final", "Member Share"),
        ("max", "Students in Training"),
        ("mean", "Member Share"),
    ]


def test_conditions_never_evaluate_python():
    for text in (
        "__import__('os').system('true')",
        "peak(Y).__class__ > 0",
        "(lambda: 1)() > 0",
        "[x for x in ()] == 0",
        "peak(Y) if 1 else 0",
    ):
        with pytest.raises(ConditionError):
            parse_condition(text, lambda call: 0)
    # the metric calls are cut out before Python's parser sees the text
    rewritten, calls, problems = cut_metrics("final(Member Share) > 2 * Firms@40")
    assert [c.text for c in calls] == ["final(Member Share)", "Firms@40"] and not problems
    assert rewritten.split() == ["_m0_", ">", "2", "*", "_m1_"]


def test_chained_and_boolean_conditions_evaluate_per_run():
    calls = []
    cond = parse_condition(
        "0 <= final(A) < 2 and not (peak(B) > 5 or final(A) == 1)",
        lambda call: calls.append(call.text) or len(calls) - 1,
    )
    a = np.array([0.5, 1.0, 3.0, 0.5])
    b = np.array([1.0, 1.0, 1.0, 6.0])
    assert cond.evaluate([a, b, a]).tolist() == [True, False, False, False]


# -- validation: every error class, all at once, with file and line --------------------------


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    f = checkfile(
        tmp_path,
        """
        colour = "blue"

        [[check]]
        name = "typo in a variable"
        condition = "peak(Hmp) > 0"

        [[check]]
        name = "unknown function"
        condition = "peek(Hump) > 0"

        [[check]]
        name = "unknown key"
        condtion = "peak(Hump) > 0"

        [[check]]
        name = "missing scenario"
        scenario = "nowhere.toml"
        condition = "peak(Hump) > 0"

        [[check]]
        name = "time outside the run"
        condition = "Y@5 > 0"

        [[check]]
        name = "bare name"
        condition = "Y > 0"

        [[check]]
        name = "a number, not a condition"
        condition = "peak(Hump) + 1"

        [[check]]
        name = "other scenario missing"
        condition = "final(Y) > final(Y, scenario='gone.toml')"

        [[check]]
        name = "bad constant"
        params = { "X9" = 1 }
        condition = "final(Y) > 0"
        """,
    )
    with pytest.raises(CheckFileError) as info:
        load_checks([f])
    problems = info.value.problems
    text = "\n".join(map(str, problems))
    lines = {p.message.split(":")[0]: p.line for p in problems}
    assert "unknown key `colour`" in text
    assert "'Hmp' is not a variable" in text and "did you mean 'Hump'" in text
    assert "unknown function 'peek()'" in text and "did you mean peak()" in text
    assert "unknown key `condtion`" in text and "did you mean 'condition'" in text
    assert "needs a `condition`" in text
    assert "nowhere.toml not found" in text
    assert "time 5 is outside the run [0, 1]" in text
    assert "'Y' on its own is not a metric" in text
    assert "is a number, not a condition" in text
    assert "gone.toml not found" in text
    assert "'X9' is not a constant" in text
    assert len(problems) >= 11
    # lines point into the file: the condition of the first check is on line 7
    assert lines["check 'typo in a variable'"] == 7
    assert all(p.line is not None for p in problems)


def test_malformed_toml_gives_its_line(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "x"\ncondition = "peak(Hump) > 0\n')
    with pytest.raises(CheckFileError) as info:
        load_checks([f])
    (p,) = info.value.problems
    assert "malformed TOML" in p.message and p.line == 5


def test_a_condition_that_reads_no_metric_is_refused(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "always"\ncondition = "1 < 2"\n')
    with pytest.raises(CheckFileError, match="reads no metric"):
        load_checks([f])


def test_duplicate_names_and_empty_folders(tmp_path):
    body = '[[check]]\nname = "same"\ncondition = "final(Y) > 0"\n'
    a = checkfile(tmp_path, body, "a.toml")
    b = checkfile(tmp_path, body, "b.toml")
    with pytest.raises(CheckFileError, match="also used in"):
        load_checks([a, b])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckFileError, match="holds no check files"):
        load_checks([tmp_path / "empty"])


# -- the command: single run ------------------------------------------------------------------


def test_a_false_check_exits_1_and_says_by_how_much(tmp_path):
    # at the model's values Y(1) = 0.5 + 1 + 1.5 = 3, so "final(Y) > 3.5" misses by 0.5
    f = checkfile(
        tmp_path,
        """
        [[check]]
        name = "holds"
        condition = "final(Y) > 2.5"

        [[check]]
        name = "too optimistic"
        condition = "final(Y) > 3.5"
        """,
    )
    out = tmp_path / "out"
    r = invoke(f, "-o", out, code=1)
    assert "too optimistic" in r.stdout and "FAIL" in r.stdout
    assert "final(Y) = 3 is not > 3.5: off by 0.5 (14.3 % of the right side)" in r.stdout
    table = pd.read_csv(out / "checks.csv")
    assert table.to_dict(orient="list") == {
        "check": ["holds", "too optimistic"],
        "passed": [True, False],
    }
    rec = json.loads((out / "checks.json").read_text())
    assert rec["checks"][1]["failures"][0]["shortfall"] == pytest.approx(0.5)
    assert rec["model"]["sha256"] and rec["versions"]["lifecycle"]
    assert rec["command"][:2] == ["lifecycle", "check"]
    assert (out / "checks.png").stat().st_size > 0


def test_all_true_exits_0(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "ok"\ncondition = "final(Y) >= 3 - 1e-9"\n')
    invoke(f, "-o", tmp_path / "out", code=0)


def test_a_malformed_check_exits_2_with_file_and_line_and_writes_nothing(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "bad"\ncondition = "peak(Hmp) > 0"\n')
    out = tmp_path / "out"
    r = invoke(f, "-o", out, code=2)
    assert f"{f}:5:" in r.stderr and "did you mean 'Hump'" in r.stderr
    assert "nothing was run or written" in r.stderr
    assert not out.exists()


def test_the_example_checks_pass_on_the_main_model(tmp_path):
    r = invoke(EXAMPLES, "-o", tmp_path / "out", code=0)
    assert "2 pass, 0 fail" in r.stdout


def test_discover_needs_an_ensemble(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "ok"\ncondition = "final(Y) > 0"\n')
    invoke(f, "--discover", code=2)


# -- ensembles --------------------------------------------------------------------------------


def uncertain(tmp_path: Path, table: str) -> Path:
    return write(tmp_path / "uncertain.toml", "[uncertain]\n" + textwrap.dedent(table))


def ensemble_setup(tmp_path: Path, scenarios: dict[str, str], check: str, table: str):
    """``(checks, spec)`` on the linear model: scenario files (name -> the lines after
    ``[params]``), one check file and one uncertain file, loaded as a user's would be."""
    for name, lines in scenarios.items():
        write(tmp_path / name, f'model = "{LINEAR}"\n[params]\n{lines}')
    cs = load_checks([checkfile(tmp_path, check)])
    return cs, load_uncertain(uncertain(tmp_path, table), cs.model)


def wilson_by_quadratic(k: int, n: int, z: float = 1.959963984540054):
    """The Wilson interval as the two roots of (p_hat - p)^2 = z^2 p (1 - p) / n."""
    ph = k / n
    roots = np.roots([1 + z * z / n, -(2 * ph + z * z / n), ph * ph])
    return tuple(sorted(float(r.real) for r in roots))


def test_wilson_interval_matches_its_definition():
    for k, n in [(140, 200), (0, 50), (50, 50), (7, 9), (523, 1000)]:
        assert wilson(k, n) == pytest.approx(wilson_by_quadratic(k, n), abs=1e-12)
    lo, hi = wilson(0, 50)
    assert lo == 0 and 0.05 < hi < 0.08  # not empty at k = 0, unlike the normal interval


def test_ensemble_share_is_the_analytic_one(tmp_path):
    # Y(1) = X1 + 2.5 with X1 ~ U(0, 1): "final(Y) > 2.8" holds when X1 > 0.3. A Latin
    # hypercube puts exactly one draw of X1 in each of the n strata, so exactly 70 % hold.
    f = checkfile(tmp_path, '[[check]]\nname = "above"\ncondition = "final(Y) > 2.8"\n')
    u = uncertain(
        tmp_path,
        """
        "X1" = {dist = "uniform", min = 0, max = 1}
        "X4" = {dist = "uniform", min = 0, max = 10}
        """,
    )
    out = tmp_path / "out"
    r = invoke(f, "--ensemble", u, "-n", 200, "--seed", 3, "-o", out, "--min-share", 0.6, code=0)
    table = pd.read_csv(out / "checks.csv")
    assert list(table.columns) == ["check", "share", "low", "high", "n"]
    row = table.iloc[0]
    assert row["share"] == pytest.approx(0.7) and row["n"] == 200
    lo, hi = wilson_by_quadratic(140, 200)
    assert (row["low"], row["high"]) == (pytest.approx(lo, abs=1e-6), pytest.approx(hi, abs=1e-6))
    assert "0.700" in r.stdout
    # the same draws and a higher bar: the share is below it, exit 1
    r = invoke(f, "--ensemble", u, "-n", 200, "--seed", 3, "-o", out, "--min-share", 0.8, code=1)
    assert "FAIL (< 0.8)" in r.stdout
    rec = json.loads((out / "checks.json").read_text())
    assert rec["ensemble"]["n"] == 200 and rec["ensemble"]["seed"] == 3
    assert rec["checks"][0]["held"] == 140
    # the model's values (X1 = 0.5, Y(1) = 3) ride along outside the share
    assert rec["checks"][0]["at_model_values"] == {"passed": True, "values": {"final(Y)": 3.0}}


def test_every_scenario_of_a_draw_shares_its_parameters(tmp_path):
    # In "double.toml" A1 = 2, so Y(1) differs from the base run by exactly X1 in each draw:
    # "final(Y) - final(Y, base) > 0.3" holds in 70 % of a Latin hypercube only if both runs
    # of a draw see the same X1 (independent draws would give about 0.5 + noise).
    cs, spec = ensemble_setup(
        tmp_path,
        {"base.toml": "", "double.toml": '"A1" = 2\n'},
        """
        [[check]]
        name = "doubling A1 adds X1"
        scenario = "double.toml"
        condition = "final(Y) - final(Y, scenario='base.toml') > 0.3"
        """,
        '"X1" = {dist = "uniform", min = 0, max = 1}\n',
    )
    report = run_checks(cs, spec=spec, n=100, seed=5)
    assert report.outcomes[0].k == 70
    # one batch for both scenarios (the default) or one batch each: the same numbers
    alone = run_checks(cs, spec=spec, n=100, seed=5, group=False)
    for a, b in zip(report.outcomes[0].values, alone.outcomes[0].values, strict=True):
        assert np.array_equal(a, b)
    d, b = report.outcomes[0].values
    assert np.allclose(d - b, report.samples["X1"].to_numpy()) or np.allclose(
        b - d, report.samples["X1"].to_numpy()
    )


def test_a_constant_the_scenario_sets_keeps_its_value_in_every_draw(tmp_path):
    # the scenario sets X1 = 0.9 (the model's is 0.5): Y(1) = 3.4 in every draw, whatever X1
    # the ensemble draws; X2 is drawn and moves Y by 2 X2 - 1
    cs, spec = ensemble_setup(
        tmp_path,
        {"high.toml": '"X1" = 0.9\n'},
        """
        [[check]]
        name = "X1 held"
        scenario = "high.toml"
        condition = "peak(Hump) > 0.89"
        """,
        """
        "X1" = {dist = "uniform", min = 0, max = 1}
        "X2" = {dist = "uniform", min = 0, max = 1}
        """,
    )
    report = run_checks(cs, spec=spec, n=50, seed=1)
    assert report.outcomes[0].share == 1.0
    assert list(report.held_by_scenario.values()) == [["X1"]]
    # scaled: X1 = min(1, draw * 0.9 / 0.5), so peak(Hump) > 0.89 when the draw exceeds
    # 0.89 / 1.8 = 0.494: 0.506 of a uniform draw, 25 or 26 of a 50-draw Latin hypercube
    scaled = run_checks(cs, spec=spec, n=50, seed=1, scenario_values="scaled")
    draws = scaled.samples["X1"].to_numpy()
    assert np.allclose(scaled.outcomes[0].values[0], np.minimum(1, draws * 1.8))
    assert scaled.outcomes[0].k == int((draws * 1.8 > 0.89).sum()) in (25, 26)


def test_discovery_finds_the_known_box(tmp_path):
    # "peak(Hump) >= 0.3 or final(Y) - peak(Hump) <= 2.7" reads X1 (the peak of Hump) and,
    # with X3 = 0.5, 2 X2 + 1.5 (final(Y) - X1): it fails exactly when X1 < 0.3 and X2 > 0.6.
    # X4 enters nothing.
    f = checkfile(
        tmp_path,
        """
        [[check]]
        name = "corner"
        condition = "peak(Hump) >= 0.3 or final(Y) - peak(Hump) <= 2.7"
        """,
    )
    u = uncertain(
        tmp_path,
        """
        "X1" = {dist = "uniform", min = 0, max = 1}
        "X2" = {dist = "uniform", min = 0, max = 1}
        "X4" = {dist = "uniform", min = 0, max = 10}
        """,
    )
    out = tmp_path / "out"
    r = invoke(f, "--ensemble", u, "-n", 600, "--seed", 11, "--discover", "-o", out, code=0)
    rec = json.loads((out / "checks.json").read_text())
    item = rec["checks"][0]
    assert item["share"] == pytest.approx(1 - 0.3 * 0.4, abs=0.03)
    box = item["discovery"]["boxes"][0]
    assert set(box["limits"]) == {"X1", "X2"}
    assert box["limits"]["X1"]["max"] == pytest.approx(0.3, abs=0.03)
    assert box["limits"]["X2"]["min"] == pytest.approx(0.6, abs=0.03)
    assert box["coverage"] >= 0.85 and box["density"] >= 0.85
    ranking = [r["constant"] for r in item["discovery"]["ranking"]]
    assert ranking[-1] == "X4"
    assert "box 1: coverage" in r.stdout and "X1 in [" in r.stdout
    assert not math.isnan(item["low"])


def test_output_replaces_only_an_earlier_lifecycle_output(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "ok"\ncondition = "final(Y) > 2"\n')
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = invoke(f, "-o", out, code=2)
    assert "notes.txt" in r.stderr or "did not write" in r.stderr
    assert (out / "notes.txt").read_text() == "mine" and not (out / "checks.csv").exists()
    invoke(f, "-o", tmp_path / "fresh", code=0)
    invoke(f, "-o", tmp_path / "fresh", code=0)  # its own earlier output is replaced


def test_problems_of_the_check_file_and_the_uncertain_file_come_together(tmp_path):
    f = checkfile(tmp_path, '[[check]]\nname = "bad"\ncondition = "final(Yy) > 0"\n')
    u = uncertain(tmp_path, '"X11" = {dist = "uniform", min = 0, max = 1}\n')
    r = invoke(f, "--ensemble", u, "-n", 10, "-o", tmp_path / "out", code=2)
    assert "'Yy' is not a variable" in r.stderr and "'X11' is not a constant" in r.stderr
    assert "2 problems found" in r.stderr and not (tmp_path / "out").exists()


def test_scenarios_with_other_run_settings_run_in_their_own_batch(tmp_path):
    # Y(t) = 3 t at the model's values: the half-length run ends at 1.5, the full one at 3
    cs, spec = ensemble_setup(
        tmp_path,
        {"half.toml": "[run]\nfinal_time = 0.5\n", "full.toml": '"A1" = 1\n'},
        """
        [[check]]
        name = "half"
        scenario = "half.toml"
        condition = "abs(2 * final(Y) - final(Y, scenario='full.toml')) < 1e-9"
        """,
        '"X2" = {dist = "uniform", min = 0, max = 1}\n',
    )
    report = run_checks(cs, spec=spec, n=30, seed=2)
    assert report.outcomes[0].share == 1.0
    half, full = report.outcomes[0].values
    assert np.allclose(full, 0.5 + 2 * report.samples["X2"].to_numpy() + 1.5)


def test_discover_without_the_prim_package_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "prim", None)  # import prim now raises ImportError
    f = checkfile(tmp_path, '[[check]]\nname = "ok"\ncondition = "final(Y) > 2.8"\n')
    u = uncertain(tmp_path, '"X1" = {dist = "uniform", min = 0, max = 1}\n')
    r = invoke(f, "--ensemble", u, "-n", 20, "--discover", "-o", tmp_path / "out", code=2)
    assert "pip install 'lifecycle[discover]'" in r.stderr
    assert not (tmp_path / "out").exists()


def test_the_readme_check_file_runs_as_written(tmp_path):
    text = (ROOT / "README.md").read_text()
    part = text.split("## Behaviour checks", 1)[1].split("\n## ", 1)[0]
    block = part.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "checks").mkdir()
    path = write(tmp_path / "checks" / "my_region.toml", block)
    report = run_checks(load_checks([path]))
    assert [o.check.name for o in report.outcomes] == [
        "forum lifts membership",
        "decline without renewal",
    ]
    assert report.all_ok  # both hold at the model's values, as the README says
