"""Which feedback loops drive a run, when: Loops That Matter (LTM) through pysimlin.

LTM (Eberlein & Schoenberg 2020) scores every link ``x -> y`` at every step by the share of
the change in ``y`` that the change in ``x`` explains, and every loop by the product of its
link scores. A loop's *share* at time t is the magnitude of its score divided by the sum
of the magnitudes of all loops compared with it; its sign is its polarity at that time
(positive: reinforcing, R; negative: balancing, B).

Which loops are scored:

* a model with a loops file beside it (``<model>.loops.toml``, see :func:`load_named_loops`)
  has its **named loops** scored: each is pinned in Simlin (which recovers it as a cycle of
  the model), its score is the product of its links' *relative* LTM scores (see
  :func:`_named_scores` for why not the raw ones), and shares are shares among the named
  loops;
* otherwise every loop of the model is enumerated (LTM's exhaustive mode) and scored; on a
  model too large for that, :func:`score_loops` asks for a loops file.

``through=VARIABLE`` (or a list of variables) compares only the loops that pass through
that variable (any of them): the loops that act on it directly. For a stock between one
reinforcing and one balancing loop, such as the Infectious stock of the SIR model, the two
loop scores are the two parts of the change in its net flow, so the reinforcing loop
dominates exactly while the stock grows.

Dominance. At each time the dominant loops are the fewest loops of one polarity whose
shares add up to at least ``threshold`` (one half), taking the polarity whose loops reach
the larger sum (as Stella's and Simlin's dominant periods do). Over a life-cycle stage, the
dominant loops are the fewest loops, by mean share over the stage, whose mean shares add up
to at least ``threshold``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ArgumentError, ModelFileError, SimulationError
from .named import NamedLoop, load_named_loops, loops_file
from .structure import ModelStructure

__all__ = [
    "NamedLoop",
    "LoopScores",
    "dominance_periods",
    "load_named_loops",
    "loops_by_stage",
    "loops_file",
    "score_loops",
    "switch_times",
]

#: a dominant set of loops explains at least this share of the loop activity
THRESHOLD = 0.5


@dataclass
class LoopInfo:
    label: str
    polarity: str  # over the whole run: "R", "B" or "U" (both signs)
    variables: tuple[str, ...]  # display names around the loop
    declared: str | None = None  # a named loop's declared polarity


@dataclass
class LoopScores:
    """LTM loop scores of one run.

    ``scores``: the signed loop score of every loop (columns) at every saved time (index).
    ``series``: the model's variables (display names) from the same run.
    """

    scores: pd.DataFrame
    loops: dict[str, LoopInfo]
    mode: str  # "enumerated" or "named"
    series: pd.DataFrame = field(default_factory=pd.DataFrame)

    def loops_through(self, variables: str | Sequence[str]) -> list[str]:
        """The loops that pass through ``variables`` (one name, or any of several)."""
        wanted = {variables} if isinstance(variables, str) else set(variables)
        return [k for k, info in self.loops.items() if wanted & set(info.variables)]

    def shares(self, through: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Each loop's share of the compared loops' activity, signed by its polarity at t.

        Rows where no compared loop is active (all scores zero) are NaN.
        """
        cols = self.loops_through(through) if through else list(self.scores.columns)
        if not cols:
            raise ArgumentError(
                f"no scored loop passes through '{through}' (loops: "
                + ", ".join(self.scores.columns)
                + ")"
            )
        s = self.scores[cols]
        total = s.abs().sum(axis=1)
        return s.div(total.where(total > 0), axis=0)


def _polarity(values: np.ndarray) -> str:
    v = values[np.isfinite(values) & (values != 0)]
    if v.size == 0:
        return "U"
    if np.all(v > 0):
        return "R"
    if np.all(v < 0):
        return "B"
    return "R" if np.mean(v > 0) >= 0.5 else "B"


def score_loops(
    model_path: str | os.PathLike,
    params: Mapping[str, float] | None = None,
    *,
    named: Sequence[NamedLoop] | None = None,
    structure: ModelStructure | None = None,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
) -> LoopScores:
    """Run the model once in Simlin with LTM and return the loop scores.

    Parameters
    ----------
    model_path : the ``.mdl`` file.
    params : constants to set (any Vensim spelling).
    named : named loops to score (pinned); without them every loop is enumerated.
    structure : the model's :class:`ModelStructure`, if already loaded.
    final_time, time_step, saveper : run settings (default: the model's).

    Raises
    ------
    ModelFileError
        No named loops were given and the model has too many loops to enumerate, or none.
    SimulationError
        The run failed.
    """
    import warnings

    from ..engines.simlin import _simlin

    simlin = _simlin()
    structure = structure or ModelStructure(model_path)
    model = _prepare(simlin, structure, named, final_time, time_step, saveper)
    overrides = {structure.ident(k): float(v) for k, v in (params or {}).items()}
    try:
        with warnings.catch_warnings():
            # Simlin warns that run.loops is empty in discovery mode; pinned loops are read
            # from the simulation below, and without them the error below says what to do.
            warnings.filterwarnings("ignore", "this model is too large", RuntimeWarning)
            sim = model.simulate(overrides=overrides, enable_ltm=True)
            sim.run_to_end()
        if named:
            columns, loops = _named_scores(sim, structure, named)
        else:
            columns, loops = _enumerated_scores(sim, structure)
        time = np.asarray(sim.get_series("time"), dtype=float)
        series = {
            name: np.asarray(sim.get_series(ident), dtype=float)
            for name, ident in structure._sim_ident.items()
            if structure.variables[name].kind in ("stock", "flow", "auxiliary")
        }
    except simlin.SimlinError as exc:
        where = structure.path.name
        raise SimulationError(f"{where}: Simlin run with LTM failed: {exc}") from exc
    index = pd.Index(time, name="time")
    scores = pd.DataFrame(columns, index=index)
    for label, info in loops.items():
        info.polarity = _polarity(scores[label].to_numpy())
    mode = "named" if named else "enumerated"
    return LoopScores(scores, loops, mode, pd.DataFrame(series, index=index))


def _prepare(simlin, structure: ModelStructure, named, final_time, time_step, saveper):
    """A fresh Simlin model with the run settings and the named loops pinned."""
    from ..engines.simlin import _load

    model = _load(simlin, structure.path)
    dt = model.time_spec.dt
    settings = {}
    if final_time is not None:
        settings["stop"] = float(final_time)
    if time_step is not None:
        settings["dt"] = float(time_step)
    if saveper is not None or time_step is not None:
        settings["save_step"] = max(float(saveper or 0), float(time_step or dt))
    if settings:
        model.project.set_sim_specs(**settings)
    if named:
        with model.edit() as (_current, patch):
            for loop in named:
                patch.set_loop_name(loop.name, structure.loop_idents(loop.path))
    return model


def _named_scores(sim, structure: ModelStructure, named):
    """The score of every named loop: the product, around the loop, of its links' relative
    LTM scores (each link's signed share of its target's change among all the target's
    inputs, in [-1, 1]).

    Not the raw LTM loop score: a raw link score is the change its source explains divided
    by the change of its target, and it grows without bound where the target is a gap near
    balance (the net flow of a stock close to its goal, vacancies when hiring matches
    demand). A loop through several gaps then scores in the hundreds of thousands. In full
    LTM the loops through each gap's other input carry equally large scores and the
    normalisation over all loops cancels them; among a handful of named loops it would not.
    The relative link scores are bounded, so no gap can dominate the comparison.
    """
    pins = {rl.name: rl for rl in sim.get_loops_runtime() if rl.name}
    links = {(k.from_var, k.to_var): k for k in sim.get_links()}
    columns, loops = {}, {}
    for loop in named:
        rl = pins.get(loop.name)
        if rl is None:
            raise SimulationError(f"Simlin did not score the named loop '{loop.name}'")
        idents = structure.loop_idents(loop.path)
        score = 1.0
        for a, b in zip(idents, idents[1:] + idents[:1], strict=True):
            link = links.get((a, b))
            if link is None or link.relative_score is None:
                raise SimulationError(f"Simlin did not score the link {a} -> {b}")
            score = score * np.nan_to_num(np.asarray(link.relative_score, dtype=float))
        columns[loop.name] = score
        variables = _names(structure, rl.variables)
        loops[loop.name] = LoopInfo(loop.name, "", variables, loop.polarity)
    return columns, loops


def _enumerated_scores(sim, structure: ModelStructure):
    """The raw LTM loop score of every loop of the model (LTM's exhaustive mode)."""
    name = structure.path.name
    if str(sim.get_ltm_mode()) == "discovery":
        raise ModelFileError(
            f"{name} has too many feedback loops to enumerate them all (LTM discovery "
            f"mode); name its main loops in {loops_file(structure.path).name} beside the model"
        )
    runtime = sim.get_loops_runtime()
    if not runtime:
        raise ModelFileError(f"{name} has no feedback loops: there is no loop to score")
    columns, loops = {}, {}
    for rl in runtime:
        names = _names(structure, rl.variables)
        label = f"{rl.id}: " + " > ".join(names)
        columns[label] = np.asarray(sim.get_loop_score(rl.id), dtype=float)
        loops[label] = LoopInfo(label, "", names)
    return columns, loops


def _names(structure: ModelStructure, idents) -> tuple[str, ...]:
    """Display names around a loop, synthetic net flows left out."""
    out: list[str] = []
    for ident in idents:
        name = structure.name(ident)
        if name not in out:
            out.append(name)
    return tuple(out)


def _dominant_at(row: np.ndarray, threshold: float) -> frozenset[int]:
    """Indices of the fewest same-polarity loops whose shares reach ``threshold``."""
    best: tuple[float, list[int]] = (0.0, [])
    for sign in (1.0, -1.0):
        v = np.nan_to_num(row * sign)
        order = [int(i) for i in np.argsort(-v, kind="stable") if v[i] > 0]
        chosen, total = [], 0.0
        for i in order:
            chosen.append(i)
            total += float(v[i])
            if total >= threshold:
                break
        if total > best[0]:
            best = (total, chosen)
    return frozenset(best[1])


def dominance_periods(
    scores: LoopScores,
    *,
    through: str | Sequence[str] | None = None,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """The periods in which one set of loops dominates: columns ``start, end, loop,
    polarity, share`` (one row per dominant loop of a period; ``share`` is its mean share
    over the period, ``polarity`` the sign of its mean score there).

    Periods are consecutive: a period ends where the next one starts; the last ends at the
    final time. Times at which no loop is active are left out.
    """
    shares = scores.shares(through).dropna(how="all")
    rows = []
    if shares.empty:
        return pd.DataFrame(columns=["start", "end", "loop", "polarity", "share"])
    labels = list(shares.columns)
    sets = [frozenset(labels[i] for i in _dominant_at(row, threshold)) for row in shares.to_numpy()]
    t = shares.index.to_numpy()
    t_end = float(scores.scores.index[-1])
    start = 0
    for i in range(1, len(sets) + 1):
        if i < len(sets) and sets[i] == sets[start]:
            continue
        if sets[start]:
            block = shares.iloc[start:i]
            end = float(t[i]) if i < len(sets) else t_end
            for label in sorted(sets[start], key=lambda c: -block[c].abs().mean()):
                mean = float(block[label].mean())
                rows.append(
                    {
                        "start": float(t[start]),
                        "end": end,
                        "loop": label,
                        "polarity": "R" if mean > 0 else "B",
                        "share": float(block[label].abs().mean()),
                    }
                )
        start = i
    return pd.DataFrame(rows, columns=["start", "end", "loop", "polarity", "share"])


def loops_by_stage(
    scores: LoopScores,
    stages: Sequence,
    *,
    through: str | Sequence[str] | None = None,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """The dominant loops of each stage: columns ``stage, start, end, loop, polarity,
    share`` (``share``: the loop's mean share over the stage's times; the fewest loops whose
    mean shares reach ``threshold``, largest first)."""
    shares = scores.shares(through)
    t = shares.index.to_numpy()
    rows = []
    for k, st in enumerate(stages):
        last = k == len(stages) - 1
        mask = (t >= st.start) & ((t <= st.end) if last else (t < st.end))
        block = shares[mask].dropna(how="all")
        if block.empty:
            continue
        mean_abs = block.abs().mean().sort_values(ascending=False)
        total = 0.0
        for label, value in mean_abs.items():
            mean = float(block[label].mean())
            rows.append(
                {
                    "stage": st.name,
                    "start": float(st.start),
                    "end": float(st.end),
                    "loop": label,
                    "polarity": "R" if mean > 0 else "B",
                    "share": float(value),
                }
            )
            total += float(value)
            if total >= threshold:
                break
    return pd.DataFrame(rows, columns=["stage", "start", "end", "loop", "polarity", "share"])


def switch_times(periods: pd.DataFrame) -> list[tuple[float, str, str]]:
    """``(time, polarity before, polarity after)`` wherever the dominant polarity changes."""
    first = periods.drop_duplicates("start")
    out = []
    prev = None
    for _, row in first.iterrows():
        if prev is not None and row["polarity"] != prev:
            out.append((float(row["start"]), prev, row["polarity"]))
        prev = row["polarity"]
    return out
