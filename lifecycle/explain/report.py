"""``lifecycle loops``: loop dominance by life-cycle stage for scenarios, as tables and a figure.

Stages come from the same PySD runs and classifier as ``lifecycle stages`` (with a scenario
named "baseline", every run is measured against the baseline's peaks); loop scores come
from a Simlin run of the same scenario with Loops That Matter (:mod:`.loops`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .loops import (
    LoopScores,
    NamedLoop,
    dominance_periods,
    load_named_loops,
    loops_by_stage,
    loops_file,
    score_loops,
)
from .structure import ModelStructure

LOOPS_COLUMNS = ["scenario", "variable", "stage", "start", "end", "loop", "polarity", "share"]
PERIODS_COLUMNS = ["scenario", "start", "end", "loop", "polarity", "share"]


@dataclass
class ScenarioLoops:
    name: str
    scores: LoopScores
    stages: list
    by_stage: pd.DataFrame
    periods: pd.DataFrame
    trajectory: pd.DataFrame  # the stage variables from the PySD run


def named_loops_for(structure: ModelStructure) -> list[NamedLoop] | None:
    """The model's named loops, if it has a loops file beside it."""
    path = loops_file(structure.path)
    return load_named_loops(path, structure) if path.is_file() else None


def analyse(
    model,
    scenarios: Sequence,
    *,
    variables: Sequence[str],
    through: str | None = None,
) -> list[ScenarioLoops]:
    """Stages (PySD) and loop scores (Simlin, LTM) of each scenario."""
    from ..runner import comparable_stages, run_scenarios

    structure = ModelStructure(model.path)
    named = named_loops_for(structure)
    if through is not None:
        through = structure.name(through)
    # loop scores first: a model that cannot be scored fails before anything else runs
    scored = {
        s.name: score_loops(
            model.path, s.params, named=named, structure=structure, **s.run_settings
        )
        for s in scenarios
    }
    results = run_scenarios(model, scenarios, variables=list(variables))
    base = "baseline" if "baseline" in results else None
    sequences = comparable_stages(results, base, list(variables), strict=True)
    out = []
    for s in scenarios:
        scores = scored[s.name]
        stages = sequences[s.name]
        out.append(
            ScenarioLoops(
                s.name,
                scores,
                stages,
                loops_by_stage(scores, stages, through=through),
                dominance_periods(scores, through=through),
                results[s.name][list(variables)],
            )
        )
    return out


def loops_table(runs: Sequence[ScenarioLoops], variables: Sequence[str]) -> pd.DataFrame:
    frames = []
    label = "+".join(variables)
    for r in runs:
        t = r.by_stage.copy()
        t.insert(0, "variable", label)
        t.insert(0, "scenario", r.name)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)[LOOPS_COLUMNS]


def periods_table(runs: Sequence[ScenarioLoops]) -> pd.DataFrame:
    frames = []
    for r in runs:
        t = r.periods.copy()
        t.insert(0, "scenario", r.name)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)[PERIODS_COLUMNS]


def plot_loops(runs: Sequence[ScenarioLoops], variables: Sequence[str], units=None):
    """One panel per scenario: the stage variables, the stage bands, and in each band the
    stage's dominant loops with their polarity and share. A Figure built without pyplot."""
    from matplotlib.figure import Figure

    from ..plotting import STAGE_COLORS, plot_style

    with plot_style():
        fig = Figure(figsize=(9, 3.2 * len(runs)), layout="constrained")
        axes = fig.subplots(len(runs), 1, squeeze=False)
        for ax, r in zip(axes[:, 0], runs, strict=True):
            t = r.trajectory.index.to_numpy()
            twin = None
            for k, v in enumerate(variables):
                target = ax
                if k == 1:
                    twin = ax.twinx()
                    target = twin
                elif k > 1:
                    target = twin
                style = {
                    "color": "black" if k == 0 else "#1f77b4",
                    "linestyle": "-" if k == 0 else "--",
                }
                target.plot(t, r.trajectory[v].to_numpy(), label=v, linewidth=1.8, **style)
                unit = (units or {}).get(v)
                target.set_ylabel(f"{v}" + (f" ({unit})" if unit else ""))
            for st in r.stages:
                ax.axvspan(st.start, st.end, color=STAGE_COLORS.get(st.name, "#eeeeee"), zorder=0)
                text = st.name
                block = r.by_stage[
                    (r.by_stage["stage"] == st.name) & (r.by_stage["start"] == float(st.start))
                ]
                narrow = st.end - st.start < 0.12 * (t[-1] - t[0])
                for row in block.head(1 if narrow else 2).itertuples():
                    text += f"\n{row.loop} ({row.polarity}, {row.share:.0%})"
                ax.text(
                    0.5 * (st.start + st.end),
                    0.97,
                    text,
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="top",
                    fontsize=7.5,
                    rotation=90 if narrow else 0,
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.5},
                )
            ax.set_xlim(t[0], t[-1])
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.45)
            if twin is not None:
                twin.set_ylim(bottom=0, top=twin.get_ylim()[1] * 1.45)
            ax.set_title(f"{r.name}: dominant feedback loop in each life-cycle stage")
            lines = ax.get_lines() + (twin.get_lines() if twin is not None else [])
            ax.legend(lines, [ln.get_label() for ln in lines], loc="lower right", fontsize=8)
        axes[-1, 0].set_xlabel("Year")
    return fig


def write_report(
    folder: str | os.PathLike,
    runs: Sequence[ScenarioLoops],
    variables: Sequence[str],
    *,
    periods: bool = False,
    figure_format: str = "png",
    units=None,
) -> list[Path]:
    """Write ``loops.csv``, ``loops.<fmt>`` and (with ``periods``) ``periods.csv`` into
    ``folder`` (the command line stages them and swaps the folder in whole)."""
    from ..plotting import save_figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "loops.csv"]
    loops_table(runs, variables).to_csv(written[0], index=False, float_format="%.4g")
    if periods:
        written.append(folder / "periods.csv")
        periods_table(runs).to_csv(written[-1], index=False, float_format="%.4g")
    fig = plot_loops(runs, variables, units)
    written.append(save_figure(fig, folder / f"loops.{figure_format}"))
    return written


def stage_summary(runs: Sequence[ScenarioLoops]) -> str:
    """One line per stage: the dominant loops in words, for the terminal."""
    lines = []
    for r in runs:
        for (stage, start), block in r.by_stage.groupby(["stage", "start"], sort=False):
            end = block["end"].iloc[0]
            loops = ", ".join(
                f"{row.loop} ({row.polarity}, {row.share:.0%})" for row in block.itertuples()
            )
            lines.append(f"{r.name}: {stage} {start:g}-{end:g}: {loops}")
    return "\n".join(lines)
