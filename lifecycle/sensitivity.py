"""Global sensitivity analysis (Sobol' and Morris, through SALib) of scalar output metrics.

The metrics (``peak(Firms)``, ``Employment@40``...) are those of :mod:`lifecycle.metrics`.

Both methods work in probability space: SALib designs points of the unit cube, and each
coordinate goes through the inverse CDF of its constant's (truncated) distribution
(:meth:`lifecycle.uncertain.UncertainSpec.transform`), so any distribution is sampled
exactly. Sobol' indices are therefore those of the distributions in the uncertain file.
Morris levels sit at the centres of ``num_levels`` equal-probability strata (finite even for
an unbounded normal), and elementary effects are reported per unit of probability: for a
uniform constant on ``[a, b]`` entering linearly with slope ``c``, ``mu_star = |c| (b - a)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._ensemble import ensemble
from .errors import MetricError, SensitivityError, SimulationError
from .inputs import as_scenario
from .limits import check_count, check_ensemble, check_seed
from .metrics import Metric, parse_metric, parse_metrics
from .outputs import save_figure, versions, write_atomically, write_csv, write_json
from .uncertain import Provenance, UncertainSpec

if TYPE_CHECKING:
    from .model import Model
    from .scenarios import Scenario

__all__ = [
    "Metric",
    "MetricError",
    "SensitivityError",
    "SensitivityResult",
    "morris",
    "parse_metric",
    "parse_metrics",
    "sobol",
]

# -- results -------------------------------------------------------------------------------


@dataclass
class SensitivityResult(Provenance):
    """Indices of a Sobol' or Morris analysis, with the samples and metric values behind them.

    Attributes
    ----------
    method : ``"sobol"`` or ``"morris"``.
    indices : tidy table, one row per (metric, parameter). Sobol': ``S1, S1_conf, ST,
        ST_conf``; Morris: ``mu, mu_star, mu_star_conf, sigma``. ``rank`` is 1 for the most
        influential parameter of each metric (by ``ST`` or ``mu_star``).
    second_order : Sobol' ``S2, S2_conf`` per (metric, parameter_1, parameter_2), or None.
    samples : the parameter sets run (one row a run).
    outputs : metric values (one row a run, one column a metric).
    timings : seconds spent sampling, simulating, computing metrics and analysing.
    """

    method: str
    indices: pd.DataFrame
    samples: pd.DataFrame
    outputs: pd.DataFrame
    spec: UncertainSpec
    n: int
    seed: int | None
    second_order: pd.DataFrame | None = None
    options: dict = field(default_factory=dict)
    scenario_values_replaced: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "ST" if self.method == "sobol" else "mu_star"

    def plot(self, metrics: Sequence[str] | None = None) -> Figure:
        """Ranked horizontal bars with confidence intervals, one panel per metric."""
        from .plotting import plot_style

        with plot_style():
            names = list(metrics or self.indices["metric"].unique())
            d = len(self.spec)
            ncols = min(3, len(names))
            nrows = math.ceil(len(names) / ncols)
            fig = Figure(figsize=(4.6 * ncols + 1.2, (0.42 * d + 1.3) * nrows))
            axes = fig.subplots(nrows, ncols, squeeze=False)
            for ax in axes.flat[len(names) :]:
                ax.set_visible(False)
            bars = (
                (("S1", "first order", "#6fa8dc"), ("ST", "total", "#1f4e79"))
                if self.method == "sobol"
                else (("mu_star", "mu*", "#1f4e79"), ("sigma", "sigma", "#b7b7b7"))
            )
            for ax, metric in zip(axes.flat, names, strict=False):
                df = self.indices[self.indices["metric"] == metric].sort_values(
                    "rank", ascending=False
                )
                pos = np.arange(len(df))
                h = 0.38
                for k, (col, lab, colour) in enumerate(bars):
                    conf = df.get(f"{col}_conf")
                    ax.barh(
                        pos + (k - 0.5) * h,
                        df[col].fillna(0.0),
                        height=h,
                        color=colour,
                        label=lab,
                        xerr=None if conf is None else conf.fillna(0.0),
                        error_kw={"elinewidth": 0.8, "capsize": 2},
                    )
                ax.set_yticks(pos, df["parameter"], fontsize=8)
                if df[self.key].isna().all():
                    ax.text(0.5, 0.5, "no variance: undefined", transform=ax.transAxes, ha="center")
                ax.set_title(metric, fontsize=10)
                ax.axvline(0, color="black", lw=0.6)
                ax.set_xlabel(
                    "Sobol' index" if self.method == "sobol" else "effect per unit of probability"
                )
            axes[0, 0].legend(loc="lower right", fontsize=8, frameon=False)
            fig.suptitle(f"{self.method.capitalize()}: {len(self.samples)} runs, seed {self.seed}")
            fig.tight_layout()
        return fig

    def record(self) -> dict:
        return {
            "analysis": self.method,
            "seed": self.seed,
            "n": self.n,
            "runs": len(self.samples),
            "options": self.options,
            "metrics": list(self.outputs.columns),
            **self.provenance(replaced=self.scenario_values_replaced),
            **self.spec.to_dict(),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def write(self, directory, *, fmt: str = "png", force: bool = False, inputs=()) -> Path:
        """Write ``indices.csv`` (and ``second_order.csv``), ``samples.csv``, ``outputs.csv``,
        ``sensitivity.<fmt>`` and ``sensitivity.json``, atomically, replacing only an earlier
        lifecycle output unless ``force`` (:func:`lifecycle.outputs.atomic_dir`)."""

        def fill(tmp: Path) -> None:
            self.indices.to_csv(tmp / "indices.csv", index=False)
            if self.second_order is not None:
                self.second_order.to_csv(tmp / "second_order.csv", index=False)
            write_csv(self.samples, tmp / "samples.csv")
            write_csv(self.outputs, tmp / "outputs.csv")
            save_figure(self.plot(), tmp / f"sensitivity.{fmt}")
            write_json(self.record(), tmp / "sensitivity.json")

        command = self.options.get("command")
        return write_atomically(directory, fill, force=force, inputs=inputs, command=command)


# -- analyses ------------------------------------------------------------------------------


def _problem(spec: UncertainSpec) -> dict:
    return {"num_vars": len(spec), "names": spec.names, "bounds": [[0.0, 1.0]] * len(spec)}


def _salib_seed(seed: int | None) -> int | None:
    # SALib's Sobol' analysis falls back to numpy's global RNG when the seed is falsy (0).
    return None if seed is None else int(np.random.default_rng(seed).integers(1, 2**31 - 1))


def _evaluate(model, scenario, spec, unit, metrics, timings) -> tuple:
    """Samples, metric values (one row a run) and the engine used."""
    t0 = time.perf_counter()
    samples = spec.transform(unit)
    variables = sorted({m.variable for m in metrics})
    ds = ensemble(model, samples, scenario=scenario, variables=variables, engine="auto")
    t1 = time.perf_counter()
    failed = np.zeros(len(samples), dtype=bool)
    for v in variables:
        failed |= ~np.isfinite(ds[v].transpose("run", "time").to_numpy()).all(axis=1)
    if failed.any():
        example = {k: float(f"{x:.6g}") for k, x in samples[failed].iloc[0].items()}
        raise SimulationError(
            f"{failed.sum()} of {len(samples)} runs failed (NaN or overflow), for instance "
            f"with {example}; narrow the distributions in the uncertain file"
        )
    outputs = pd.DataFrame({m.text: m.evaluate(ds) for m in metrics}, index=samples.index)
    timings["simulate"] = t1 - t0
    timings["metrics"] = time.perf_counter() - t1
    return samples, outputs, str(ds.attrs.get("engine", ""))


def _check_size(n, name: str, minimum: int) -> int:
    return check_count(n, name, minimum, SensitivityError)


class _Study:
    """What Sobol' and Morris share, in their one order: metrics parsed and the seed and
    ensemble size checked before any run; the unit-cube design drawn, transformed and run
    (:meth:`run`); the indices ranked and the result built with its provenance (:meth:`result`).
    """

    def __init__(self, model, scenario, spec, metrics, seed, runs_per_n, n):
        scenario = as_scenario(scenario, model)
        self.model, self.scenario, self.spec, self.n = model, scenario, spec, n
        self.metrics = parse_metrics(metrics, model, scenario)
        self.seed = check_seed(seed)
        check_ensemble(model, scenario, n * runs_per_n, len(self.metrics))
        self.problem = _problem(spec)
        self.timings: dict[str, float] = {}

    def run(self, draw) -> np.ndarray:
        """``draw(problem)`` -> ``(design, unit)``: SALib's design and its points in the unit
        cube; runs them and returns the design."""
        t0 = time.perf_counter()
        design, unit = draw(self.problem)
        self.timings["sample"] = time.perf_counter() - t0
        self.samples, self.outputs, self.engine = _evaluate(
            self.model, self.scenario, self.spec, unit, self.metrics, self.timings
        )
        self._t1 = time.perf_counter()
        return design

    def values(self, m: Metric) -> np.ndarray:
        return self.outputs[m.text].to_numpy()

    def result(self, method: str, rows: list, key: str, options: dict, **kw):
        indices = _ranked(pd.DataFrame(rows), key)
        self.timings["analyse"] = time.perf_counter() - self._t1
        return SensitivityResult(
            method=method,
            indices=indices,
            samples=self.samples,
            outputs=self.outputs,
            n=self.n,
            seed=self.seed,
            options=options | {"engine": self.engine},
            timings=self.timings,
            spec=self.spec,
            **Provenance.of(self.model, self.scenario),
            scenario_values_replaced=self.spec.replaced(self.scenario),
            **kw,
        )


def sobol(
    model: Model,
    scenario: Scenario | None,
    spec: UncertainSpec,
    metrics: Sequence[str | Metric] | str,
    *,
    n: int = 1024,
    seed: int | None = 1234,
    calc_second_order: bool = False,
    num_resamples: int = 100,
    conf_level: float = 0.95,
) -> SensitivityResult:
    """Sobol' indices of each metric, by Saltelli's scheme on a scrambled Sobol' sequence.

    Runs ``n * (D + 2)`` simulations (``n * (2 D + 2)`` with ``calc_second_order``) for
    ``D`` uncertain constants. ``n`` must be a power of two.

    Examples
    --------
    >>> res = sobol(model, scenario, spec, ["Employment@40", "peak(Firms)"])  # doctest: +SKIP
    >>> res.indices.sort_values("ST", ascending=False).head()                 # doctest: +SKIP
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    n = _check_size(n, "n", 2)
    if n & (n - 1):
        p = 1 << (n - 1).bit_length()
        raise SensitivityError(f"Sobol' sampling needs n a power of two, not {n} (fix: use {p})")
    d = len(spec.names)
    study = _Study(
        model, scenario, spec, metrics, seed, 2 * d + 2 if calc_second_order else d + 2, n
    )

    def draw(problem):
        unit = sobol_sample.sample(problem, n, calc_second_order=calc_second_order, seed=study.seed)
        return unit, np.clip(unit, 1e-12, 1 - 1e-12)  # keep unbounded tails finite

    study.run(draw)

    def analyse(m: Metric) -> dict:
        y = study.values(m)
        if np.ptp(y) == 0:  # no variance to apportion: indices undefined
            si = {k: np.full(len(spec), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            si["S2"] = si["S2_conf"] = np.full((len(spec), len(spec)), np.nan)
            return si
        return sobol_analyze.analyze(
            study.problem,
            y,
            calc_second_order=calc_second_order,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=_salib_seed(study.seed),
        )

    # metrics are independent and NumPy releases the GIL: two threads nearly halve the time
    with ThreadPoolExecutor(min(2, len(study.metrics))) as pool:
        results = list(pool.map(analyse, study.metrics))
    rows, rows2 = _sobol_rows(study.metrics, results, spec.names, calc_second_order)
    options = {
        "calc_second_order": calc_second_order,
        "num_resamples": num_resamples,
        "conf_level": conf_level,
        "sampling": "SALib sobol (scrambled), inverse CDF",
    }
    second = pd.DataFrame(rows2) if calc_second_order else None
    return study.result("sobol", rows, "ST", options, second_order=second)


def morris(
    model: Model,
    scenario: Scenario | None,
    spec: UncertainSpec,
    metrics: Sequence[str | Metric] | str,
    *,
    n: int = 100,
    num_levels: int = 4,
    seed: int | None = 1234,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> SensitivityResult:
    """Morris elementary effects of each metric: ``n`` trajectories, ``n * (D + 1)`` runs.

    Effects are per unit of probability (see the module docstring); ``mu_star`` ranks
    influence, ``sigma`` flags interactions and non-linearity.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    n = _check_size(n, "n", 2)
    levels = _check_size(num_levels, "num_levels", 2)
    study = _Study(model, scenario, spec, metrics, seed, len(spec.names) + 1, n)

    def draw(problem):
        grid = morris_sample.sample(problem, n, num_levels=levels, seed=study.seed)
        return grid, (grid * (levels - 1) + 0.5) / levels  # centres of equal-probability strata

    grid = study.run(draw)
    scale = levels / (levels - 1)  # from SALib's grid step to a step in probability
    rows = []
    for m in study.metrics:
        si = morris_analyze.analyze(
            study.problem,
            grid,
            study.values(m),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=levels,
            seed=study.seed,
        )
        for j, name in enumerate(spec.names):
            rows.append(
                {"metric": m.text, "parameter": name}
                | {k: scale * float(si[k][j]) for k in ("mu", "mu_star", "mu_star_conf", "sigma")}
            )
    options = {
        "num_levels": levels,
        "num_resamples": num_resamples,
        "conf_level": conf_level,
        "sampling": "SALib morris, levels at stratum centres, inverse CDF",
    }
    return study.result("morris", rows, "mu_star", options)


def _sobol_rows(metrics, results, names, second_order: bool) -> tuple[list, list]:
    """Tidy rows of SALib's Sobol' results: first/total order, and second order if asked."""
    rows, rows2 = [], []
    for m, si in zip(metrics, results, strict=True):
        for j, name in enumerate(names):
            rows.append(
                {"metric": m.text, "parameter": name}
                | {k: float(si[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            )
            if second_order:
                rows2 += [
                    {
                        "metric": m.text,
                        "parameter_1": name,
                        "parameter_2": names[k],
                        "S2": float(si["S2"][j, k]),
                        "S2_conf": float(si["S2_conf"][j, k]),
                    }
                    for k in range(j + 1, len(names))
                ]
    return rows, rows2


def _ranked(df: pd.DataFrame, key: str) -> pd.DataFrame:
    df["rank"] = (
        df.groupby("metric", sort=False)[key].rank(ascending=False, method="first").astype("Int64")
    )
    order = {m: i for i, m in enumerate(df["metric"].unique())}
    df = df.assign(_order=df["metric"].map(order)).sort_values(["_order", "rank"], kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)
