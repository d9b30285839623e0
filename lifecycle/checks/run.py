"""Run checks: once at the model's values, or over an ensemble of parameter draws.

Every run goes through :func:`lifecycle.ensemble` (the vectorised batch engine, or PySD for
a model the batch engine cannot compile), never a Python loop over draws: every scenario on
the same table of draws, so that a check comparing two scenarios compares them on the same
parameters. Scenarios with the same run settings share batches of up to 5,000 runs (each
scenario's constants a column); ``group=False`` gives one batch per scenario, with the same
values. A constant that a scenario sets to something other than the model's value keeps the
scenario's value in every run (the scenario's statement); the draws vary the rest.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._ensemble import ensemble
from ..errors import ArgumentError
from ..uncertain import UncertainSpec
from .files import Check, CheckSet, RunSpec

#: how a scenario's setting of a sampled constant applies in a draw (see :func:`simulate`)
SCENARIO_VALUES = ("held", "scaled")
#: runs per batch when scenarios are grouped (the batch engine's chunk size)
GROUP_ROWS = 5000
#: two-sided 95 % normal quantile for the Wilson interval
Z95 = float(stats.norm.ppf(0.975))


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial share ``k / n`` (95 % by default).

    Unlike the normal approximation it stays inside [0, 1] and is not empty at k = 0 or n.
    """
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Outcome:
    """One check's result over the runs (one run at the model's values, or an ensemble).

    Attributes
    ----------
    held : per run, whether the condition holds (a run with a NaN metric does not).
    values : per metric of the check, its value in each run.
    failed_runs : runs in which a metric could not be computed (the simulation failed).
    """

    check: Check
    held: np.ndarray
    values: list[np.ndarray]
    failed_runs: int = 0
    #: in an ensemble, the same check at the model's values (outside the share)
    nominal: Outcome | None = None

    @property
    def n(self) -> int:
        return int(len(self.held))

    @property
    def k(self) -> int:
        return int(self.held.sum())

    @property
    def share(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)

    @property
    def passed(self) -> bool:
        return bool(self.held.all())

    def failures(self, i: int = 0) -> list[dict]:
        return self.check.condition.failures(self.values, i)


@dataclass
class CheckReport:
    """The outcome of every check, with what was run (for the table, files and figure)."""

    checkset: CheckSet
    outcomes: list[Outcome]
    samples: pd.DataFrame | None = None
    spec: UncertainSpec | None = None
    seed: int | None = None
    min_share: float | None = None
    engine: str = ""
    held_by_scenario: dict[str, list[str]] = field(default_factory=dict)
    scenario_values: str = "held"
    seconds: dict[str, float] = field(default_factory=dict)
    discoveries: dict = field(default_factory=dict)

    @property
    def ensemble(self) -> bool:
        return self.spec is not None

    @property
    def n(self) -> int:
        return self.outcomes[0].n if self.outcomes else 0

    def ok(self, outcome: Outcome) -> bool:
        """Whether a check passes: it holds in the single run, or (ensemble) its share is at
        least ``min_share`` (every ensemble check passes when no ``min_share`` is given)."""
        if not self.ensemble:
            return outcome.passed
        return self.min_share is None or outcome.share >= self.min_share

    @property
    def all_ok(self) -> bool:
        return all(self.ok(o) for o in self.outcomes)


def simulate(
    checkset: CheckSet,
    samples: pd.DataFrame,
    *,
    engine: str = "auto",
    group: bool = True,
    scenario_values: str = "held",
) -> tuple[dict[RunSpec, object], dict[str, list[str]], str]:
    """Run every scenario of ``checkset`` on the rows of ``samples``; returns the datasets
    (one per run spec, dims run x time), the sampled constants each scenario holds at its
    own value, and the engine used.

    With ``group`` (the default) scenarios that share run settings go into batches of up to
    :data:`GROUP_ROWS` runs, each scenario's constants a column with one value per row: the
    batch engine is faster per run on batches of a few thousand runs than on batches of
    1,000 (``benchmarks/bench_checks.py``), and the cap bounds the memory the trajectories
    take. ``group=False`` runs one batch per scenario; both give the same values
    (``tests/test_checks.py``).

    A sampled constant that a scenario sets to another value than the model's keeps the
    scenario's value in every draw (``scenario_values="held"``), or (``"scaled"``) takes the
    draw times the scenario's change, ``draw * value / default`` within the constant's range
    (so "halve venture supply" halves each draw's supply); a constant whose default is 0
    is held either way.
    """
    model = checkset.model
    blocks: dict[RunSpec, tuple[pd.DataFrame, object]] = {}
    held: dict[str, list[str]] = {}
    for spec in checkset.runs():
        scen = checkset.scenario_for(spec)
        fixed = [
            c
            for c in samples.columns
            if c in scen.params and scen.params[c] != model.parameters[c].default
        ]
        if fixed:
            held[spec.key] = fixed
        if scenario_values == "scaled":
            blocks[spec] = (_scaled(model, samples, scen, fixed), scen)
        else:
            blocks[spec] = (samples.drop(columns=fixed), scen)
    groups: dict[tuple, list[list[RunSpec]]] = {}
    per_batch = max(1, GROUP_ROWS // max(1, len(samples))) if group else 1
    for spec, (_block, scen) in blocks.items():
        batches = groups.setdefault((scen.final_time, scen.time_step, scen.saveper), [[]])
        if len(batches[-1]) >= per_batch:
            batches.append([])
        batches[-1].append(spec)
    data: dict[RunSpec, object] = {}
    used = set()
    for members in (m for batches in groups.values() for m in batches):
        if len(members) == 1:
            block, scen = blocks[members[0]]
            variables = checkset.variables(members[0])
            ds = ensemble(model, block, scenario=scen, variables=variables, engine=engine)
            data[members[0]] = ds
        else:
            data.update(_grouped(checkset, blocks, members, len(samples), engine))
            ds = data[members[0]]
        used.add(str(ds.attrs.get("engine", engine)))
    return data, held, ", ".join(sorted(used))


def _scaled(model, samples: pd.DataFrame, scen, fixed: list[str]) -> pd.DataFrame:
    """Draws with the scenario's changes applied as ratios to the model's values."""
    out = samples.copy()
    for c in fixed:
        const = model.parameters[c]
        if const.default == 0:
            out = out.drop(columns=[c])
            continue
        lo = -np.inf if const.low is None else const.low
        hi = np.inf if const.high is None else const.high
        ratio = scen.params[c] / const.default
        out[c] = np.clip(samples[c].to_numpy(dtype=float) * ratio, lo, hi)
    return out


def _grouped(checkset: CheckSet, blocks: dict, members: list[RunSpec], n: int, engine: str):
    """One batch for several scenarios with the same run settings, split back per scenario."""
    from ..scenarios import Scenario

    model = checkset.model
    frames = []
    variables: list[str] = []
    for spec in members:
        block, scen = blocks[spec]
        frame = block.reset_index(drop=True).copy()
        for name, value in scen.params.items():
            if name not in frame.columns:
                frame[name] = float(value)
        frames.append(frame)
        variables += [v for v in checkset.variables(spec) if v not in variables]
    combined = pd.concat(frames, ignore_index=True)
    for c in combined.columns:  # rows of scenarios that neither draw nor set it: the default
        combined[c] = combined[c].fillna(model.parameters[c].default)
    first = blocks[members[0]][1]
    settings = Scenario(
        name="checks",
        params={},
        final_time=first.final_time,
        time_step=first.time_step,
        saveper=first.saveper,
    )
    ds = ensemble(model, combined, scenario=settings, variables=variables, engine=engine)
    out = {}
    for k, spec in enumerate(members):
        part = ds.isel(run=slice(k * n, (k + 1) * n))
        out[spec] = part.assign_coords(run=np.arange(n))
    return out


def evaluate(checkset: CheckSet, data: dict) -> list[Outcome]:
    """Every check's truth per run from the simulated datasets."""
    out = []
    for c in checkset.checks:
        values = []
        for m in c.metrics:
            spec = RunSpec(_path(m.scenario)) if m.scenario else c.run
            values.append(np.asarray(m.evaluate(data[spec]), dtype=float))
        held = c.condition.evaluate(values)
        out.append(Outcome(c, held, values, _bad(values)))
    return out


def _bad(values: list[np.ndarray]) -> int:
    """Runs in which some metric is not finite (the simulation failed)."""
    if not values:
        return 0
    bad = np.zeros(len(values[0]), dtype=bool)
    for v in values:
        bad |= ~np.isfinite(v)
    return int(bad.sum())


def _path(p):
    from pathlib import Path

    return Path(p)


def run_checks(
    checkset: CheckSet,
    *,
    spec: UncertainSpec | None = None,
    n: int = 1000,
    seed: int | None = 1234,
    min_share: float | None = None,
    engine: str = "auto",
    group: bool = True,
    scenario_values: str = "held",
) -> CheckReport:
    """Run every check at the model's values, or (with ``spec``) over ``n`` Latin-hypercube
    draws of the uncertain constants.

    Examples
    --------
    >>> cs = load_checks(["checks/"])                                  # doctest: +SKIP
    >>> report = run_checks(cs)                                        # doctest: +SKIP
    >>> report.all_ok                                                  # doctest: +SKIP
    >>> spec = load_uncertain("scenarios/uncertain/plausible.toml", cs.model)  # doctest: +SKIP
    >>> report = run_checks(cs, spec=spec, n=200, seed=1)              # doctest: +SKIP
    >>> [(o.check.name, o.share, o.interval) for o in report.outcomes]  # doctest: +SKIP
    """
    if scenario_values not in SCENARIO_VALUES:
        raise ArgumentError(
            f"`scenario_values` must be one of {', '.join(SCENARIO_VALUES)}, "
            f"not {scenario_values!r}"
        )
    if min_share is not None and not 0 <= min_share <= 1:
        raise ArgumentError(f"`min_share` must lie in [0, 1], not {min_share:g}")
    t0 = time.perf_counter()
    if spec is None:
        samples = pd.DataFrame(index=pd.RangeIndex(1, name="run"))
    else:
        samples = spec.sample(n, seed)
    t1 = time.perf_counter()
    # in an ensemble, one more row at the model's values rides along in every batch
    nominal = None
    if spec is not None:
        model = checkset.model
        row = pd.DataFrame([{c: model.parameters[c].default for c in samples.columns}])
        batch = pd.concat([samples, row], ignore_index=True)
    else:
        batch = samples
    data, held, engine_used = simulate(
        checkset, batch, engine=engine, group=group, scenario_values=scenario_values
    )
    t2 = time.perf_counter()
    outcomes = evaluate(checkset, data)
    if spec is not None:
        nominal = [Outcome(o.check, o.held[-1:], [v[-1:] for v in o.values]) for o in outcomes]
        outcomes = [
            Outcome(o.check, o.held[:-1], [v[:-1] for v in o.values], _bad(o.values[:-1]))
            for o in outcomes
        ]
        for o, nom in zip(outcomes, nominal, strict=True):
            o.nominal = nom
    t3 = time.perf_counter()
    return CheckReport(
        checkset=checkset,
        outcomes=outcomes,
        samples=samples if spec is not None else None,
        spec=spec,
        seed=seed if spec is not None else None,
        min_share=min_share,
        engine=engine_used,
        held_by_scenario=held,
        scenario_values=scenario_values,
        seconds={"sampling": t1 - t0, "simulation": t2 - t1, "evaluation": t3 - t2},
    )
