"""Monte Carlo simulation with confidence bands, as Vensim's sensitivity graphs show them.

A Latin-hypercube sample of the uncertain constants (see :mod:`lifecycle.uncertain`) is run
on top of a scenario; for each variable and time the runs give percentiles, drawn as a
median line inside nested envelopes holding 50, 75, 95 and 100 % of the runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from ._ensemble import ensemble
from ._names import closest, find
from .errors import LifecycleError, Problem, ScenarioError, SimulationError, UnknownParameterError
from .inputs import as_scenario
from .limits import as_names, check_count, check_ensemble, check_seed
from .outputs import save_figure, slug, versions, write_atomically, write_csv, write_json
from .uncertain import Provenance, UncertainSpec

if TYPE_CHECKING:
    from .model import Model
    from .scenarios import Scenario

#: percentiles of the bands: the median and the edges of the 50/75/95/100 % envelopes
PERCENTILES = (0.0, 2.5, 12.5, 25.0, 50.0, 75.0, 87.5, 97.5, 100.0)
#: envelopes from the widest to the narrowest: (share of runs, low, high, colour as Vensim's)
ENVELOPES = (
    (100, "p0", "p100", "#b7b7b7"),
    (95, "p2.5", "p97.5", "#6fa8dc"),
    (75, "p12.5", "p87.5", "#93c47d"),
    (50, "p25", "p75", "#ffd966"),
)


def label(q: float) -> str:
    """Column name of percentile ``q``: ``p2.5``, ``p50``..."""
    return f"p{q:g}"


def default_variables(model) -> list[str]:
    """What a Monte Carlo shows when no variables are asked for: the variables users rely on
    (:data:`lifecycle.runner.KEY_VARIABLES`) where the model has them, else its stocks."""
    from .runner import KEY_VARIABLES

    keys = [v for v in KEY_VARIABLES if v in model.variables]
    if keys:
        return keys
    return sorted(model.stocks)


# -- Monte Carlo ---------------------------------------------------------------------------


@dataclass
class MonteCarloResult(Provenance):
    """Runs of a Monte Carlo: the samples, the trajectories and their percentile bands.

    Attributes
    ----------
    samples : one row a run, one column an uncertain constant (model spelling).
    dataset : trajectories, dims (run, time), one data variable a model variable.
    spec, seed, n : what was sampled, with which seed, how many runs.
    """

    samples: pd.DataFrame
    dataset: xr.Dataset
    spec: UncertainSpec
    seed: int | None
    n: int
    units: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    time_unit: str = ""

    @property
    def variables(self) -> list[str]:
        return list(self.dataset.data_vars)

    def _resolve(self, variable: str) -> str:
        name = find(variable, self.variables)
        if name is None:
            raise UnknownParameterError(
                variable,
                "this Monte Carlo",
                closest(variable, self.variables) or self.variables,
                kind="recorded variable",
            )
        return name

    @property
    def failed(self) -> np.ndarray:
        """One flag per run: True where the run failed (NaN or overflow in any variable)."""
        ok = np.ones(self.dataset.sizes["run"], dtype=bool)
        for v in self.variables:
            ok &= np.isfinite(self.dataset[v].transpose("run", "time").to_numpy()).all(axis=1)
        return ~ok

    def bands(self, variable: str) -> pd.DataFrame:
        """Percentiles over the runs at every time: columns ``p0 ... p100`` (see PERCENTILES).

        Failed runs (see :attr:`failed`) are left out; the record counts them.
        """
        name = self._resolve(variable)
        values = self.dataset[name].transpose("run", "time").to_numpy()[~self.failed]
        if len(values) == 0:
            raise SimulationError("every run of the Monte Carlo failed (NaN or overflow)")
        q = np.percentile(values, PERCENTILES, axis=0)
        out = pd.DataFrame(q.T, columns=[label(p) for p in PERCENTILES])
        out.index = pd.Index(self.dataset["time"].to_numpy(), name="time")
        return out

    def plot(self, variables: Sequence[str] | None = None) -> Figure:
        """Median with nested 50/75/95/100 % envelopes, one panel per variable."""
        from .plotting import plot_style

        with plot_style():
            names = [self._resolve(v) for v in (variables or self.variables)]
            fig = Figure(figsize=(7, 2.8 * len(names) + 0.6))
            axes = fig.subplots(len(names), 1, squeeze=False, sharex=True)
            for ax, name in zip(axes[:, 0], names, strict=True):
                b = self.bands(name)
                for share, lo, hi, colour in ENVELOPES:
                    ax.fill_between(b.index, b[lo], b[hi], color=colour, lw=0, label=f"{share} %")
                ax.plot(b.index, b["p50"], color="black", lw=1.4, label="median")
                unit = self.units.get(name, "")
                ax.set_title(name, loc="left", fontsize=10)
                ax.set_ylabel(unit)
                ax.margins(x=0)
            height = fig.get_figheight()
            handles, labels = axes[0, 0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="lower center", ncols=5, fontsize=8, frameon=False)
            axes[-1, 0].set_xlabel(self.time_unit or "Time")
            k = int(self.failed.sum())
            fig.suptitle(
                f"{self.scenario_name or 'Monte Carlo'}: {self.n} runs, seed {self.seed}"
                + (f" ({k} failed, left out)" if k else ""),
                fontsize=10,
            )
            fig.tight_layout(rect=(0, 0.35 / height, 1, 1))  # room for the legend below
        return fig

    def tidy_bands(self) -> pd.DataFrame:
        """Bands of every recorded variable in one table: variable, time, p0 ... p100."""
        parts = [self.bands(v).reset_index().assign(variable=v) for v in self.variables]
        df = pd.concat(parts, ignore_index=True)
        return df[["variable", "time", *[label(p) for p in PERCENTILES]]]

    def record(self) -> dict:
        return {
            "analysis": "montecarlo",
            "seed": self.seed,
            "n": self.n,
            "failed_runs": int(self.failed.sum()),
            "engine": str(self.dataset.attrs.get("engine", "")),
            "sampling": "Latin hypercube of the unit cube through each inverse CDF",
            **self.provenance(),
            "variables": self.variables,
            "percentiles": list(PERCENTILES),
            "options": self.options,
            **self.spec.to_dict(),
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def write(self, directory, *, fmt: str = "png", force: bool = False, inputs=()) -> Path:
        """Write ``bands.csv``, ``samples.csv``, one figure per variable and ``montecarlo.json``.

        Atomically, replacing only an earlier lifecycle output unless ``force``
        (:func:`lifecycle.outputs.atomic_dir`).
        """

        def fill(tmp: Path) -> None:
            self.tidy_bands().to_csv(tmp / "bands.csv", index=False)
            write_csv(self.samples, tmp / "samples.csv")
            for v in self.variables:
                save_figure(self.plot([v]), tmp / f"bands_{slug(v)}.{fmt}")
            write_json(self.record(), tmp / "montecarlo.json")

        command = self.options.get("command")
        return write_atomically(directory, fill, force=force, inputs=inputs, command=command)


def monte_carlo(
    model: Model,
    scenario: Scenario | None,
    spec: UncertainSpec,
    n: int = 1000,
    seed: int | None = 1234,
    variables: Sequence[str] | None = None,
) -> MonteCarloResult:
    """Run ``n`` Latin-hypercube samples of ``spec`` on top of ``scenario``.

    Parameters
    ----------
    model : a :class:`~lifecycle.model.Model`.
    scenario : a scenario (``.params``, ``.final_time``, ``.time_step``, ``.name``) or None for
        the model's defaults. Constants in ``spec`` replace the scenario's values.
    spec : the uncertain constants (:func:`lifecycle.uncertain.load_uncertain`).
    n : number of runs.
    seed : seed of the sampling; the same seed gives the same samples and bands.
    variables : variables to record (model names, any spelling); default the model's stocks.

    Examples
    --------
    >>> mc = monte_carlo(model, scenario, spec, n=500, seed=1)      # doctest: +SKIP
    >>> mc.bands("Firms").loc[40.0, ["p2.5", "p50", "p97.5"]]      # doctest: +SKIP
    >>> mc.plot(["Firms", "Employment"]).savefig("bands.png")       # doctest: +SKIP
    """
    scenario = as_scenario(scenario, model)
    variables = as_names(variables)
    if variables:
        problems = []
        names = []
        for v in variables:
            try:
                names.append(model.resolve(v))
            except LifecycleError as exc:
                problems.append(Problem("--vars", str(exc)))
        if problems:
            raise ScenarioError(problems)
    else:
        names = default_variables(model)
    n, seed = check_count(n, "n"), check_seed(seed)
    check_ensemble(model, scenario, n, len(names))  # before any run: steps and memory
    samples = spec.sample(n, seed)
    # the batch engine, or PySD for a model it cannot compile; failed runs hold NaN
    ds = ensemble(model, samples, scenario=scenario, variables=names, engine="auto")
    units = {name: model.units(name) for name in names}
    return MonteCarloResult(
        samples=samples,
        dataset=ds,
        spec=spec,
        seed=seed,
        n=int(n),
        **Provenance.of(model, scenario),
        units=units,
        time_unit=model.time_unit,
        options={"scenario_values_replaced": spec.replaced(scenario)},
    )
