"""What a check run reports: the printed table, ``checks.csv``, ``checks.json``, the figure."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .run import CheckReport, Outcome

#: PRIM trade-off panels per row, and at most this many (checks.json holds every box)
COLS = 3
MAX_PANELS = 12


def _g(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "nan"
    return f"{x:.4g}"


def failure_text(f: dict) -> str:
    """``final(Firms) = 320 is not < 0.1 * peak(Firms) = 43: off by 277 (644 %)``."""
    rel = f["relative"]
    pct = f" ({100 * rel:.3g} % of the right side)" if np.isfinite(rel) else ""
    left = f["left"] if f.get("left_is_number") else f"{f['left']} = {_g(f['left_value'])}"
    right = f["right"] if f.get("right_is_number") else f"{f['right']} = {_g(f['right_value'])}"
    return f"{left} is not {f['op']} {right}: off by {_g(f['shortfall'])}{pct}"


def values_text(o: Outcome, i: int = 0) -> str:
    return "; ".join(
        f"{m} = {_g(float(v[i]))}" for m, v in zip(o.check.metrics, o.values, strict=True)
    )


def table(report: CheckReport) -> pd.DataFrame:
    """One row per check: ``check, passed`` (single run) or ``check, share, low, high, n``."""
    rows = []
    for o in report.outcomes:
        if report.ensemble:
            lo, hi = o.interval
            rows.append(
                {
                    "check": o.check.name,
                    "share": o.share,
                    "low": lo,
                    "high": hi,
                    "n": o.n,
                }
            )
        else:
            rows.append({"check": o.check.name, "passed": o.passed})
    cols = ["check", "share", "low", "high", "n"] if report.ensemble else ["check", "passed"]
    return pd.DataFrame(rows, columns=cols)


def render(report: CheckReport) -> str:
    """The table printed on stdout."""
    width = max([len("check"), *(len(o.check.name) for o in report.outcomes)]) + 2
    lines = []
    if report.ensemble:
        ms = report.min_share
        head = (
            f"{'check':<{width}}{'share':>7}  {'95 % interval':<15}{'n':>6}  "
            f"{'model values':<14}result"
        )
        lines.append(head)
        for o in report.outcomes:
            lo, hi = o.interval
            result = "-" if ms is None else ("pass" if report.ok(o) else f"FAIL (< {ms:g})")
            extra = f"  ({o.failed_runs} runs failed)" if o.failed_runs else ""
            nom = "-" if o.nominal is None else ("holds" if o.nominal.passed else "fails")
            lines.append(
                f"{o.check.name:<{width}}{o.share:>7.3f}  [{lo:.3f}, {hi:.3f}]  {o.n:>6}  "
                f"{nom:<14}{result}{extra}"
            )
        n_bad = sum(not report.ok(o) for o in report.outcomes)
        summary = f"{len(report.outcomes)} checks over {report.n} runs (seed {report.seed})"
        if ms is not None:
            summary += f": {len(report.outcomes) - n_bad} hold in at least {ms:g} of the runs"
            summary += f", {n_bad} below" if n_bad else ""
        lines.append(summary)
        for name, d in report.discoveries.items():
            lines.append("")
            lines.extend(d.describe(name))
        return "\n".join(lines) + "\n"
    lines.append(f"{'check':<{width}}{'result':<8}values")
    for o in report.outcomes:
        lines.append(f"{o.check.name:<{width}}{'pass' if o.passed else 'FAIL':<8}{values_text(o)}")
        if not o.passed:
            if o.failed_runs:
                lines.append(" " * 4 + "the run failed (NaN or overflow): no value to compare")
            for f in o.failures():
                lines.append(" " * 4 + failure_text(f))
    n_bad = sum(not o.passed for o in report.outcomes)
    lines.append(
        f"{len(report.outcomes)} checks: {len(report.outcomes) - n_bad} pass, {n_bad} fail"
    )
    return "\n".join(lines) + "\n"


def record(report: CheckReport, command: list[str]) -> dict:
    """``checks.json``: the provenance of ``run.json`` plus every check and its result."""
    from ..outputs import provenance

    cs = report.checkset
    scenarios = [cs.scenario_for(spec) for spec in cs.runs()]
    rec = provenance(cs.model, scenarios, command=command)
    rec["analysis"] = "checks (ensemble)" if report.ensemble else "checks (model values)"
    rec["check_files"] = [str(f) for f in cs.files]
    rec["engine"] = report.engine
    rec["seconds"] = {k: round(v, 4) for k, v in report.seconds.items()}
    if report.ensemble:
        rec["ensemble"] = {
            "n": report.n,
            "seed": report.seed,
            "min_share": report.min_share,
            "interval": "Wilson score, 95 %",
            "sampling": "Latin hypercube of the unit cube through each inverse CDF",
            "scenario_values": report.scenario_values,
            "set_by_scenario": report.held_by_scenario,
            **report.spec.to_dict(),
        }
    checks = []
    for o in report.outcomes:
        c = o.check
        item = {
            "name": c.name,
            "claim": c.claim,
            "file": str(c.file),
            "line": c.line,
            "condition": c.condition.text,
            "scenario": c.run.key,
            "metrics": [str(m) for m in c.metrics],
        }
        if report.ensemble:
            lo, hi = o.interval
            if o.nominal is not None:
                item["at_model_values"] = {
                    "passed": o.nominal.passed,
                    "values": {
                        str(m): _num(v[0]) for m, v in zip(c.metrics, o.nominal.values, strict=True)
                    },
                }
            item.update(
                share=o.share,
                low=lo,
                high=hi,
                n=o.n,
                held=o.k,
                failed_runs=o.failed_runs,
                passed=report.ok(o),
            )
            if c.name in report.discoveries:
                item["discovery"] = report.discoveries[c.name].to_dict()
        else:
            item.update(
                passed=o.passed,
                values={str(m): _num(v[0]) for m, v in zip(c.metrics, o.values, strict=True)},
                margin=_num(c.condition.margin(o.values)[0]),
                failures=[{k: _num(v) for k, v in f.items()} for f in o.failures()],
            )
        checks.append(item)
    rec["checks"] = checks
    return rec


def _num(v):
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return v


def figure(report: CheckReport) -> Figure:
    """Share per check with its 95 % interval (ensemble) or each check's relative margin
    (single run); with discovery, PRIM's coverage-density trade-off of each box."""
    from ..plotting import plot_style

    outs = report.outcomes
    disc = [(name, d) for name, d in report.discoveries.items() if d.boxes][:MAX_PANELS]
    with plot_style():
        h = 0.9 + 0.32 * len(outs)
        fig = Figure(figsize=(9, h + 2.8 * math.ceil(len(disc) / COLS)))
        rows = 1 + math.ceil(len(disc) / COLS)
        gs = fig.add_gridspec(rows, COLS, height_ratios=[h] + [2.6] * (rows - 1))
        ax = fig.add_subplot(gs[0, :])
        y = np.arange(len(outs))[::-1]
        names = [o.check.name for o in outs]
        if report.ensemble:
            share = np.array([o.share for o in outs])
            lo = np.array([o.interval[0] for o in outs])
            hi = np.array([o.interval[1] for o in outs])
            colours = ["#2a7f62" if report.ok(o) else "#c0392b" for o in outs]
            ax.hlines(y, lo, hi, colors=colours, lw=2.5)
            ax.scatter(share, y, color=colours, zorder=3, s=22)
            if report.min_share is not None:
                ax.axvline(report.min_share, color="#555555", lw=1, ls="--")
                ax.text(
                    report.min_share,
                    -0.55,
                    f" min share {report.min_share:g}",
                    fontsize=7,
                    va="bottom",
                    color="#555555",
                )
            ax.set_xlim(-0.02, 1.02)
            ax.set_xlabel(f"share of {report.n} runs in which the check holds (95 % Wilson)")
            ax.set_title(
                f"{report.checkset.model.name}: {len(outs)} checks, {report.n} draws of "
                f"{Path(str(report.spec.path or 'uncertain')).name}, seed {report.seed}",
                loc="left",
                fontsize=8,
            )
        else:
            m = np.array([float(o.check.condition.margin(o.values)[0]) for o in outs])
            m = np.nan_to_num(m, nan=-2.0)
            colours = ["#2a7f62" if o.passed else "#c0392b" for o in outs]
            ax.barh(y, np.clip(m, -1, 1), color=colours, height=0.6)
            ax.axvline(0, color="black", lw=0.8)
            ax.set_xlim(-1.05, 1.05)
            ax.set_xlabel("relative margin of the tightest comparison (right: holds, left: fails)")
            ax.set_title(
                f"{report.checkset.model.name}: {len(outs)} checks at the model's values",
                loc="left",
                fontsize=9,
            )
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(-0.6, len(outs) - 0.4)
        for k, (name, d) in enumerate(disc):
            axd = fig.add_subplot(gs[1 + k // COLS, k % COLS])
            d.plot_tradeoff(axd, name)
        fig.tight_layout()
    return fig


def inputs(report: CheckReport) -> list[Path]:
    """Every file the checks read (none of them may lie inside the output folder)."""
    cs = report.checkset
    out = [*cs.files, *cs.scenarios, cs.model.path]
    if report.spec is not None and report.spec.path is not None:
        out.append(report.spec.path)
    return [Path(p) for p in out]


def write(
    report: CheckReport,
    outdir,
    *,
    command: list[str],
    figure_format: str = "png",
    force: bool = False,
) -> Path:
    """Write ``checks.csv``, ``checks.json`` and ``checks.<format>`` into ``outdir``: the
    folder appears complete or not at all, and replaces only an earlier lifecycle output
    (:func:`lifecycle.outputs.atomic_dir`)."""
    from ..outputs import atomic_dir, save_figure, write_json

    rec = record(report, command)
    fig = figure(report)
    with atomic_dir(outdir, force=force, inputs=inputs(report), command=command) as tmp:
        table(report).to_csv(tmp / "checks.csv", index=False, float_format="%.6g")
        rec["files"] = {"table": "checks.csv", "figure": f"checks.{figure_format}"}
        write_json(rec, tmp / "checks.json")
        save_figure(fig, tmp / f"checks.{figure_format}")
    return Path(outdir)
