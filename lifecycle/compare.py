"""``lifecycle compare``: run scenarios, draw them together, and summarise them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .errors import DataError, LifecycleError, Problem, ScenarioError
from .model import Model
from .outputs import atomic_dir, atomic_files, check_files, check_folder, slug
from .runner import FIGURE_VARIABLES, run_scenarios, summary_table
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
    force: bool = False,
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
    inputs = [s.path for s in scenarios if s.path is not None]
    if single:  # checked again just before the files are moved into place
        check_files([output, output.with_suffix(".csv")], force=force, inputs=inputs)
    else:
        check_folder(output, force=force, inputs=inputs)
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
        with atomic_files([output, output.with_suffix(".csv")], force=force, inputs=inputs) as (
            fig_tmp,
            csv_tmp,
        ):
            fig = plot_scenarios(results, variables, **kw)
            save_figure(fig, fig_tmp)
            plt.close(fig)
            table.to_csv(csv_tmp, index=False, float_format="%.6g")
        return table
    with atomic_dir(output, force=force, inputs=inputs) as tmp:
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
