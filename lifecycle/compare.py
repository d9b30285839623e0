"""``lifecycle compare``: run scenarios, draw them together, and summarise them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .errors import DataError, LifecycleError, Problem, ScenarioError
from .model import Model
from .runner import FIGURE_VARIABLES, atomic_dir, run_scenarios, slug, summary_table
from .scenarios import Scenario

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def pick_baseline(scenarios: Sequence[Scenario], baseline: str | None) -> str:
    names = [s.name for s in scenarios]
    if baseline is None:
        return "baseline" if "baseline" in names else names[0]
    if baseline not in names:
        raise ScenarioError(
            [
                Problem(
                    "--baseline",
                    f"no scenario is named '{baseline}'",
                    None,
                    "choose one of " + ", ".join(repr(n) for n in names),
                )
            ]
        )
    return baseline


def compare_scenarios(
    model: Model,
    scenarios: Sequence[Scenario],
    output: str | Path,
    *,
    baseline: str | None = None,
    variables: Sequence[str] | None = None,
    diff: bool = False,
    relative: bool = False,
    years: Sequence[float] = (20, 40, 60),
    per_variable: bool = False,
) -> pd.DataFrame:
    """Run ``scenarios``, write the comparison figure(s) and ``summary.csv``; return the
    summary table.

    ``output`` ending in .png/.svg/.pdf is one small-multiples figure (the summary goes
    beside it as ``<stem>.csv``); anything else is a folder with ``comparison.png`` (or one
    figure per variable) and ``summary.csv``.
    """
    import matplotlib.pyplot as plt

    from .plotting import plot_scenarios, plot_variable, save_figure
    from .stages import stage_sequence

    output = Path(output)
    single = output.suffix.lower() in FIGURE_SUFFIXES
    if output.suffix and not single:  # checked before anything runs
        raise DataError(
            f"-o {output}: a figure must end in .png, .svg or .pdf "
            "(or give a folder name without a suffix)"
        )
    if not single and output.exists() and not output.is_dir():
        raise DataError(f"-o {output} is a file, not a folder (fix: choose another name)")
    base = pick_baseline(scenarios, baseline)
    variables = list(variables or [v for v in FIGURE_VARIABLES if v in model.variables])
    size = [v for v in ("Firms", "Employment") if v in model.variables]
    ordered = sorted(scenarios, key=lambda s: s.name != base)
    results = run_scenarios(model, ordered, variables=list(dict.fromkeys(variables + size)))
    table = summary_table(results, variables, years=years, baseline=base)
    units = {v: model.units(v) for v in variables}
    try:
        stages = stage_sequence(results[base], size) if size else None
    except LifecycleError:
        stages = None
    kw = {"baseline": base, "units": units, "stages": stages, "diff": diff, "relative": relative}
    if single:
        fig = plot_scenarios(results, variables, **kw)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.stem}.tmp{output.suffix}")
        save_figure(fig, tmp)
        plt.close(fig)
        table.to_csv(output.with_suffix(".csv"), index=False, float_format="%.6g")
        tmp.replace(output)
        return table
    with atomic_dir(output) as tmp:
        if per_variable:
            for v in variables:
                fig = plot_variable(results, v, **kw)
                save_figure(fig, tmp / f"{slug(v)}.png")
                plt.close(fig)
        else:
            fig = plot_scenarios(results, variables, **kw)
            save_figure(fig, tmp / "comparison.png")
            plt.close(fig)
        table.to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
    return table
