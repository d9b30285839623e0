"""Scenario figures: layout, conventions, difference values and byte-stable files."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from lifecycle.errors import DataError
from lifecycle.plotting import (
    BASELINE_STYLE,
    SCENARIO_COLORS,
    STAGE_COLORS,
    plot_scenarios,
    plot_variable,
    save_figure,
    scenario_styles,
)
from lifecycle.stages import Stage

TIME = pd.Index(np.arange(0.0, 40.0 + 1e-9, 0.5), name="time")
UNITS = {"Firms": "firms", "Employment": "people", "Members": "firms"}
STAGES = [Stage("embryonic", 0, 8), Stage("growth", 8, 20), Stage("maturity", 20, 40)]


def run(scale: float) -> pd.DataFrame:
    firms = scale * 100 / (1 + np.exp(-0.3 * (TIME - 15)))
    return pd.DataFrame(
        {"Firms": firms, "Employment": 25 * firms, "Members": 0.5 * firms}, index=TIME
    )


@pytest.fixture
def results() -> dict[str, pd.DataFrame]:
    # Baseline deliberately not first: it is still drawn and listed first.
    return {"policy A": run(1.2), "baseline": run(1.0), "policy B": run(0.7)}


def lines_by_label(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def test_one_panel_per_variable_with_units_and_year(results):
    fig = plot_scenarios(results, ["Firms", "Employment", "Members"], units=UNITS)
    assert len(fig.axes) == 3  # the unused fourth cell of the 2x2 grid is removed
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Firms", "Employment", "Members"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["firms", "people", "firms"]
    # "Year" under the lowest panel of each column: Members (column 1), Employment (column 2).
    assert [ax.get_xlabel() for ax in fig.axes] == ["", "Year", "Year"]
    assert fig.get_suptitle() == "Scenarios compared"
    assert len(plot_scenarios(results, list(UNITS) * 2).axes) == 6


def test_baseline_is_black_thick_and_others_follow_the_colour_cycle(results):
    fig = plot_scenarios(results, ["Firms"], title="t")
    lines = lines_by_label(fig.axes[0])
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "baseline",
        "policy A",
        "policy B",
    ]
    base = lines["baseline"]
    assert to_hex(base.get_color()) == "#000000"
    assert base.get_linewidth() == BASELINE_STYLE["linewidth"] == 2.6
    assert to_hex(lines["policy A"].get_color()) == SCENARIO_COLORS[0]
    assert to_hex(lines["policy B"].get_color()) == SCENARIO_COLORS[1]
    assert all(lines[n].get_linewidth() < base.get_linewidth() for n in ("policy A", "policy B"))
    # The same scenario keeps its colour in every figure built from the same results.
    again = lines_by_label(plot_variable(results, "Members").axes[0])
    assert to_hex(again["policy B"].get_color()) == SCENARIO_COLORS[1]


def test_colour_cycle_changes_line_style_after_it_wraps():
    names = ["baseline"] + [f"s{i}" for i in range(len(SCENARIO_COLORS) + 1)]
    styles = scenario_styles(names)
    assert styles["s0"]["color"] == styles[f"s{len(SCENARIO_COLORS)}"]["color"]
    assert styles["s0"]["linestyle"] == "-"
    assert styles[f"s{len(SCENARIO_COLORS)}"]["linestyle"] == "--"


@pytest.mark.parametrize("variables", [["Firms"], ["Firms", "Employment", "Members"]])
def test_legends_are_outside_every_axes(results, variables):
    long_names = {f"{name} with a long descriptive name": df for name, df in results.items()}
    long_names["baseline"] = results["baseline"]
    fig = plot_scenarios(long_names, variables, stages=STAGES, units=UNITS)
    fig.draw_without_rendering()
    assert len(fig.legends) == 2  # scenarios and stages
    figure_box = fig.bbox
    for legend in fig.legends:
        box = legend.get_window_extent()
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1  # not cut off
        assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent()), legend.get_title().get_text()
    scenario_legend = fig.legends[0]
    assert [t.get_text() for t in scenario_legend.get_texts()][0] == "baseline"


def test_stages_of_the_baseline_are_shaded(results):
    fig = plot_scenarios(results, ["Firms", "Employment"], stages=STAGES)
    for ax in fig.axes:
        spans = ax.patches
        assert len(spans) == 3
        assert [to_hex(p.get_facecolor()) for p in spans] == [STAGE_COLORS[s.name] for s in STAGES]
        assert spans[1].get_x() == 8 and spans[1].get_width() == 12
    stage_legend = fig.legends[1]
    assert [t.get_text() for t in stage_legend.get_texts()] == [
        "embryonic",
        "growth",
        "maturity",
    ]


def test_diff_plots_scenario_minus_baseline(results):
    fig = plot_scenarios(results, ["Firms", "Employment"], diff=True, units=UNITS)
    ax = fig.axes[1]
    lines = lines_by_label(ax)
    expected = results["policy A"]["Employment"] - results["baseline"]["Employment"]
    np.testing.assert_allclose(lines["policy A"].get_ydata(), expected.to_numpy())
    np.testing.assert_allclose(lines["policy A"].get_xdata(), TIME.to_numpy())
    np.testing.assert_array_equal(lines["baseline"].get_ydata(), 0.0)
    # policy A is 1.2 x the baseline: 20 % of 25 * 100 jobs at the logistic's end.
    assert lines["policy A"].get_ydata()[-1] == pytest.approx(0.2 * 2500, rel=0.01)
    assert ax.get_ylabel() == "difference from baseline (people)"
    assert ax.yaxis.get_major_formatter()(-2500.0) == "\N{MINUS SIGN}2,500"


def test_relative_diff_is_percent_and_leaves_gaps_where_baseline_is_zero(results):
    results["baseline"].loc[0.0, "Firms"] = 0.0
    fig = plot_scenarios(results, ["Firms"], diff=True, relative=True)
    y = lines_by_label(fig.axes[0])["policy B"].get_ydata()
    assert np.isnan(y[0])  # baseline 0 at t = 0: a gap, not inf
    np.testing.assert_allclose(y[1:], -30.0)  # 0.7 x the baseline
    assert fig.axes[0].get_ylabel() == "% difference from baseline"
    assert fig.get_suptitle() == "Firms: % difference from baseline"


def test_diff_uses_common_times_only(results):
    results["policy A"] = results["policy A"].iloc[:21]  # a run that stopped at t = 10
    fig = plot_scenarios(results, ["Firms"], diff=True)
    line = lines_by_label(fig.axes[0])["policy A"]
    assert line.get_xdata()[-1] == 10.0
    assert len(line.get_ydata()) == 21


def test_plot_variable_is_a_single_titled_panel(results):
    fig = plot_variable(results, "employment", units=UNITS)  # Vensim-style name matching
    assert len(fig.axes) == 1
    assert fig.get_suptitle() == "employment"
    assert fig.axes[0].get_ylabel() == "people"
    assert fig.axes[0].get_xlabel() == "Year"


@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_saved_files_are_byte_identical(results, tmp_path, ext):
    paths = []
    for k in range(2):  # two figures built from the same inputs, saved in new folders
        fig = plot_variable(results, "Firms", units=UNITS, stages=STAGES)
        paths.append(save_figure(fig, tmp_path / f"run{k}" / f"figure.{ext}", dpi=50))
    data = [p.read_bytes() for p in paths]
    assert len(data[0]) > 1000
    assert data[0] == data[1]
    # Saving the same figure again also gives the same bytes.
    assert save_figure(fig, tmp_path / f"again.{ext}", dpi=50).read_bytes() == data[1]


def test_user_matplotlibrc_does_not_change_the_figure(results, tmp_path):
    fig = plot_variable(results, "Firms", stages=STAGES)
    plain = save_figure(fig, tmp_path / "plain.png", dpi=50).read_bytes()
    with mpl.rc_context({"lines.linewidth": 7, "font.size": 20, "axes.grid": False}):
        fig = plot_variable(results, "Firms", stages=STAGES)
        styled = save_figure(fig, tmp_path / "styled.png", dpi=50).read_bytes()
    assert styled == plain


def test_user_mistakes_raise_data_error(results, tmp_path):
    with pytest.raises(
        DataError, match="scenario 'baseline' has no variable 'Jobs'; it has: Firms"
    ):
        plot_scenarios(results, ["Jobs"])
    with pytest.raises(DataError, match="needs the baseline 'reference'.*policy A"):
        plot_scenarios(results, ["Firms"], baseline="reference", diff=True)
    with pytest.raises(DataError, match="no scenario results"):
        plot_scenarios({}, ["Firms"])
    with pytest.raises(DataError, match=r"use \.png, \.svg or \.pdf"):
        save_figure(plot_variable(results, "Firms"), tmp_path / "figure.jpg")


@pytest.mark.parametrize("n", [1, 3, 7])
def test_the_layout_overlaps_nothing_and_stays_inside_the_figure(results, n):
    """The one-pass layout (no constrained layout): the panels with their labels, the
    suptitle and both legends are pairwise apart and inside the figure, and the panels
    share the space equally."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def widen(df):
        return df.assign(**{f"V{i}": df["Firms"] * i for i in range(7)})

    data = {k: widen(df) for k, df in results.items()}
    names = [f"V{i}" for i in range(n)]
    fig = plot_scenarios(data, names, stages=STAGES, title="a title" if n > 1 else None)
    assert fig.get_layout_engine() is None
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = [ax.get_tightbbox(renderer, for_layout_only=True) for ax in fig.axes]
    boxes += [leg.get_window_extent(renderer) for leg in fig.legends]
    boxes.append(fig.get_suptitle() and fig._suptitle.get_window_extent(renderer))
    boxes = [b for b in boxes if b]
    assert len(boxes) == n + 3
    for k, a in enumerate(boxes):
        assert a.x0 >= 0 and a.y0 >= 0 and a.x1 <= fig.bbox.width and a.y1 <= fig.bbox.height
        for b in boxes[k + 1 :]:
            assert not a.overlaps(b), (a, b)
    sizes = {(round(ax.bbox.width, 6), round(ax.bbox.height, 6)) for ax in fig.axes}
    assert len(sizes) == 1
