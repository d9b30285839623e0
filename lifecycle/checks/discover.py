"""Scenario discovery: where in the uncertain space does a check fail?

For every check that holds in some draws of an ensemble and fails in others, PRIM (the
Patient Rule Induction Method of Friedman and Fisher, 1999, as used for scenario discovery
by Bryant and Lempert, 2010) looks for boxes, ranges of the uncertain constants, in which
the check fails. The maintained ``prim`` package (the EMA workbench's PRIM as a standalone
library) does the peeling and pasting; this module picks a box on each peeling trajectory,
reports it and ranks the constants.

For a box: *coverage* is the share of all failing draws that fall inside it, *density* the
share of the draws inside it that fail. The box reported is, on the trajectory PRIM peels,
the one with the largest coverage among those with density at least ``density`` (0.8 by
default, as the EMA workbench's threshold; of equal coverages the densest), else the
densest. Its restrictions carry PRIM's
quasi-p values (a one-sided binomial test of each restriction, Bryant and Lempert); while
the largest is above 0.05 that restriction is dropped (PRIM's ``drop_restriction``) and the
box's coverage and density are those of the box without it.

The ranking of the constants is the Kolmogorov-Smirnov distance between the values of a
constant in failing and in holding draws (0: the constant does not separate them; 1: it
separates them perfectly), with its p-value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import CheckError

#: default minimum density of a reported box
DENSITY = 0.8
#: at most this many boxes per check; a further box must cover at least MIN_COVERAGE
MAX_BOXES = 3
MIN_COVERAGE = 0.1
_EMPTY = pd.DataFrame(columns=["coverage", "density", "mass", "res dim"], dtype=float)
#: restrictions with a larger quasi-p value are dropped from a box
QP_MAX = 0.05
#: fewer failing (or holding) draws than this give no box: PRIM would fit noise
MIN_CASES = 10


def require_prim():
    """Import the ``prim`` package, or explain how to install it (exit code 2)."""
    try:
        import prim  # noqa: F401
    except ImportError:
        raise CheckError(
            "--discover needs the `prim` package (fix: pip install 'lifecycle[discover]' or "
            "pip install prim)"
        ) from None
    import prim

    return prim


@dataclass
class Box:
    """One PRIM box: the ranges of the restricted constants, and how well it fits."""

    limits: pd.DataFrame  # index: constant; columns: min, max, qp, drawn_min, drawn_max
    coverage: float
    density: float
    mass: float
    runs: int
    dropped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "runs": self.runs,
            "dropped_restrictions": list(self.dropped),
            "limits": {
                str(k): {c: float(v) for c, v in row.items()} for k, row in self.limits.iterrows()
            },
        }


@dataclass
class Discovery:
    """PRIM boxes in which one check fails, the first box's trajectory, and a ranking."""

    failing: int
    n: int
    boxes: list[Box]
    trajectory: pd.DataFrame
    chosen: int
    ranking: pd.DataFrame
    density_target: float = DENSITY
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "failing_runs": self.failing,
            "n": self.n,
            "density_target": self.density_target,
            "boxes": [b.to_dict() for b in self.boxes],
            "trajectory": self.trajectory[["coverage", "density", "mass", "res dim"]]
            .astype(float)
            .to_dict(orient="list"),
            "chosen": self.chosen,
            "ranking": self.ranking.reset_index().to_dict(orient="records"),
            **self.options,
        }

    def describe(self, name: str) -> list[str]:
        lines = [f"where '{name}' fails ({self.failing} of {self.n} runs), PRIM:"]
        if "error" in self.options:
            lines.append(f"  no box: {self.options['error']}")
        elif not self.boxes and min(self.failing, self.n - self.failing) < MIN_CASES:
            lines.append(f"  no box: fewer than {MIN_CASES} failing or holding runs")
        elif not self.boxes:
            lines.append("  no box (PRIM found no range of the constants that concentrates them)")
        for k, b in enumerate(self.boxes, 1):
            lines.append(
                f"  box {k}: coverage {b.coverage:.2f}, density {b.density:.2f} "
                f"({b.runs} runs, {100 * b.mass:.0f} % of the draws)"
            )
            if b.density < self.density_target:
                lines.append(
                    f"    (no box reaches density {self.density_target:g}; the densest PRIM "
                    "found, less the restrictions dropped below)"
                )
            for const, row in b.limits.iterrows():
                lines.append(
                    f"    {const} in [{row['min']:.4g}, {row['max']:.4g}]"
                    f"  (drawn {row['drawn_min']:.4g} to {row['drawn_max']:.4g}; "
                    f"quasi-p {row['qp']:.2g})"
                )
            if b.dropped:
                lines.append(
                    f"    restrictions dropped as no better than chance (quasi-p > {QP_MAX:g}): "
                    + ", ".join(b.dropped)
                )
        if min(self.failing, self.n - self.failing) >= MIN_CASES:
            top = self.ranking.head(5)
            ranks = ", ".join(f"{c} {r['ks']:.2f}" for c, r in top.iterrows())
            lines.append(f"  ranking (Kolmogorov-Smirnov distance, failing vs holding): {ranks}")
        return lines

    def plot_tradeoff(self, ax, name: str) -> None:
        """PRIM's coverage-density trade-off of the first box's peeling trajectory."""
        t = self.trajectory
        from matplotlib.colors import BoundaryNorm

        top = max(1, int(t["res dim"].max()) if len(t) else 1)
        norm = BoundaryNorm(np.arange(-0.5, top + 1.5), 256)
        sc = ax.scatter(
            t["coverage"], t["density"], c=t["res dim"], cmap="viridis", norm=norm, s=14
        )
        if 0 <= self.chosen < len(t):
            row = t.iloc[self.chosen]
            ax.scatter(
                [row["coverage"]],
                [row["density"]],
                s=90,
                facecolors="none",
                edgecolors="#c0392b",
                lw=1.5,
                label="box chosen on the trajectory",
            )
        if self.boxes and self.boxes[0].dropped:
            b = self.boxes[0]
            ax.scatter(
                [b.coverage],
                [b.density],
                marker="x",
                s=60,
                color="#c0392b",
                lw=1.5,
                label="reported (quasi-p > 0.05 dropped)",
            )
        if 0 <= self.chosen < len(t):
            ax.legend(fontsize=6, loc="lower left", frameon=False, borderaxespad=0.2)
        ax.axhline(self.density_target, color="#888888", lw=0.8, ls=":")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("coverage", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
        import textwrap

        title = textwrap.fill(f"where '{name}' fails", 34, max_lines=2, placeholder="...'")
        ax.set_title(title, fontsize=7, loc="left")
        cb = ax.figure.colorbar(sc, ax=ax, pad=0.01, ticks=range(top + 1))
        cb.set_label("restricted constants", fontsize=7)


def ranking(samples: pd.DataFrame, failing: np.ndarray) -> pd.DataFrame:
    """Constants ranked by how well they separate failing from holding draws (KS)."""
    rows = []
    for c in samples.columns:
        x = samples[c].to_numpy(dtype=float)
        res = stats.ks_2samp(x[failing], x[~failing])
        rows.append({"constant": c, "ks": float(res.statistic), "p": float(res.pvalue)})
    return pd.DataFrame(rows).set_index("constant").sort_values("ks", ascending=False)


def _drop_insignificant(box) -> list[str]:
    """Drop, one at a time, the restriction with the largest quasi-p value while it is above
    :data:`QP_MAX` (PRIM's ``drop_restriction``, as an analyst does by hand in the EMA
    workbench): a restriction no better than chance says nothing about the failure."""
    dropped: list[str] = []
    while True:
        lim = box.limits
        if len(lim) <= 1:
            return dropped
        worst = str(lim["qp values"].idxmax())
        if not lim.loc[worst, "qp values"] > QP_MAX:
            return dropped
        box.drop_restriction(worst)
        dropped.append(worst)


def discover(
    samples: pd.DataFrame,
    failing: np.ndarray,
    *,
    density: float = DENSITY,
    max_boxes: int = MAX_BOXES,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """PRIM boxes of ``samples`` (one row a draw) in which ``failing`` is True."""
    prim = require_prim()
    failing = np.asarray(failing, dtype=bool)
    if samples.shape[1] == 0:
        raise CheckError("discovery needs at least one uncertain constant")
    drawn = samples.agg(["min", "max"]).T
    n_fail = int(failing.sum())
    rank = ranking(samples, failing)
    if min(n_fail, len(failing) - n_fail) < MIN_CASES:
        return Discovery(
            n_fail,
            len(failing),
            [],
            _EMPTY.copy(),
            -1,
            rank,
            density,
        )
    x = samples.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        # prim 1.0 divides by zero in a quasi-p value of an empty box; harmless here
        warnings.simplefilter("ignore", RuntimeWarning)
        p = prim.Prim(x, failing, peel_alpha=peel_alpha, mass_min=mass_min)
        boxes: list[Box] = []
        trajectory, chosen = None, -1
        for _ in range(max_boxes):
            box = p.find_box()
            if box is None:
                break
            t = box.peeling_trajectory.reset_index(drop=True)
            dense = t.index[t["density"] >= density]
            if len(dense):  # the largest coverage; of equal coverages the densest
                best = t.loc[dense].sort_values(["coverage", "density"], kind="stable")
                i = int(best.index[-1])
            else:
                i = int(t["density"].idxmax())
            box.select(i)
            if trajectory is None:
                trajectory, chosen = t.copy(), i
            dropped = _drop_insignificant(box)
            # coverage of all failing draws (PRIM's own is of the draws left by earlier boxes)
            inside = np.asarray(box.yi)
            cov = float(failing[inside].sum() / n_fail)
            dens = float(failing[inside].mean()) if len(inside) else 0.0
            if boxes and (cov < MIN_COVERAGE or dens < density):
                break
            lim = box.limits.rename(columns={"qp values": "qp"})
            lim = lim.join(drawn.rename(columns={"min": "drawn_min", "max": "drawn_max"}))
            boxes.append(
                Box(
                    lim[["min", "max", "qp", "drawn_min", "drawn_max"]],
                    cov,
                    dens,
                    float(len(inside) / len(failing)),
                    int(len(inside)),
                    dropped,
                )
            )
            if dens < density:
                break
    return Discovery(
        n_fail,
        len(failing),
        boxes,
        trajectory,
        chosen,
        rank,
        density,
        options={"peel_alpha": peel_alpha, "mass_min": mass_min, "package": "prim"},
    )


def discover_all(report, **kw) -> dict:
    """Discovery for every check of an ensemble report that fails in part of the draws;
    stored in ``report.discoveries`` (check name -> :class:`Discovery`)."""
    if report.samples is None or report.samples.shape[1] == 0:
        raise CheckError("--discover needs --ensemble with at least one uncertain constant")
    prim = require_prim()
    for o in report.outcomes:
        if 0 < o.k < o.n:
            try:
                found = discover(report.samples, ~o.held, **kw)
            except prim.PrimError as exc:  # e.g. constants PRIM cannot peel
                found = Discovery(
                    o.n - o.k,
                    o.n,
                    [],
                    _EMPTY.copy(),
                    -1,
                    ranking(report.samples, ~o.held),
                    options={"error": f"PRIM: {exc}"},
                )
            report.discoveries[o.check.name] = found
    return report.discoveries
