"""Which feedback loops drive a run, when: Loops That Matter (LTM) through pysimlin.

LTM (Eberlein & Schoenberg 2020) scores every link ``x -> y`` at every step by the share of
the change in ``y`` that the change in ``x`` explains, and every loop by the product of its
link scores. A loop's *share* at time t is the magnitude of its score divided by the sum
of the magnitudes of all loops compared with it; its sign is its polarity at that time
(positive: reinforcing, R; negative: balancing, B).

Which loops are scored:

* a model with a loops file beside it (``<model>.loops.toml``, see :func:`load_named_loops`)
  has its **named loops** scored: each is pinned in Simlin so that LTM always scores it,
  also in discovery mode (on a model too large to enumerate its loops), and shares are
  shares among the named loops;
* otherwise every loop of the model is enumerated (LTM's exhaustive mode) and scored; on a
  model too large for that, :func:`score_loops` asks for a loops file.

``through=VARIABLE`` compares only the loops that pass through that variable: the loops
that act on it directly. For a stock between one reinforcing and one balancing loop, such
as the Infectious stock of the SIR model, the two loop scores are the two parts of the
change in its net flow, so the reinforcing loop dominates exactly while the stock grows.

Dominance. At each time the dominant loops are the fewest loops of one polarity whose
shares add up to at least ``threshold`` (one half), taking the polarity whose loops reach
the larger sum (as Stella's and Simlin's dominant periods do). Over a life-cycle stage, the
dominant loops are the fewest loops, by mean share over the stage, whose mean shares add up
to at least ``threshold``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import (
    ArgumentError,
    LifecycleError,
    ModelFileError,
    Problem,
    ScenarioError,
    SimulationError,
)
from .structure import ModelStructure

#: a dominant set of loops explains at least this share of the loop activity
THRESHOLD = 0.5


@dataclass(frozen=True)
class NamedLoop:
    """A feedback loop named in a loops file: a closed path of variables (display names)."""

    name: str
    path: tuple[str, ...]
    polarity: str  # declared: "R" or "B"
    description: str = ""

    @property
    def links(self) -> list[tuple[str, str]]:
        """The loop's links, the closing one included."""
        return [(a, self.path[(i + 1) % len(self.path)]) for i, a in enumerate(self.path)]


def loops_file(model_path: str | os.PathLike) -> Path:
    """Where the named loops of a model live: ``<model stem>.loops.toml`` beside it."""
    p = Path(model_path)
    return p.with_name(p.stem + ".loops.toml")


def _line(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def load_named_loops(path: str | os.PathLike, structure: ModelStructure) -> list[NamedLoop]:
    """Read and check a loops file against the model's causal links.

    The file holds ``[[loop]]`` tables, each with ``name``, ``polarity`` ("R" reinforcing or
    "B" balancing), ``path`` (the variables around the loop, in causal order, each a
    variable of the model; the last links back to the first) and an optional
    ``description``.

    Raises
    ------
    ScenarioError
        Every problem at once: unreadable TOML, a missing key, an unknown variable, a link
        of the path that is not a link of the model, a repeated name, a declared polarity
        that contradicts the signs of the loop's links.
    """
    path = Path(path)
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ScenarioError(
            [Problem(fname, "loops file not found", None, "name the model's loops in it")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(fname, f"not valid TOML: {exc}")]) from None
    problems: list[Problem] = []
    out: list[NamedLoop] = []
    entries = data.get("loop")
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(
            [Problem(fname, "no [[loop]] tables", None, "add one [[loop]] table per loop")]
        )
    seen: set[str] = set()
    for k, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = _line(text, f'"{name}"') if name else None
        label = f"loop {k}" + (f" '{name}'" if name else "")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(fname, f"{label} has no name", where, 'add name = "..."'))
            continue
        if name in seen:
            problems.append(Problem(fname, f"{label}: the name is used twice", where))
        seen.add(name)
        extra = sorted(set(entry) - {"name", "polarity", "path", "description"})
        if extra:
            problems.append(
                Problem(
                    fname,
                    f"{label}: unknown key(s) {', '.join(extra)}",
                    where,
                    "allowed: name, polarity, path, description",
                )
            )
        pol = entry.get("polarity")
        if pol not in ("R", "B"):
            problems.append(
                Problem(fname, f'{label}: polarity must be "R" or "B", not {pol!r}', where)
            )
        raw = entry.get("path")
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(v, str) for v in raw):
            problems.append(
                Problem(fname, f"{label}: path must list at least two variable names", where)
            )
            continue
        names = []
        for v in raw:
            try:
                names.append(structure.name(v))
            except LifecycleError as exc:
                problems.append(Problem(fname, f"{label}: {exc}", _line(text, f'"{v}"') or where))
        if len(names) != len(raw):
            continue
        if len(set(names)) != len(names):
            problems.append(Problem(fname, f"{label}: a variable appears twice on the path", where))
            continue
        loop = NamedLoop(name, tuple(names), pol or "?", str(entry.get("description", "")))
        signs = []
        for a, b in loop.links:
            sign = structure.link_map.get((a, b))
            if sign is None:
                problems.append(
                    Problem(
                        fname,
                        f"{label}: '{a}' -> '{b}' is not a link of {structure.path.name} "
                        f"('{b}' does not use '{a}')",
                        where,
                        f"the variables '{b}' uses: {', '.join(structure.variables[b].uses)}",
                    )
                )
            signs.append(sign)
        if None not in signs and "?" not in signs and pol in ("R", "B"):
            structural = "B" if signs.count("-") % 2 else "R"
            if structural != pol:
                problems.append(
                    Problem(
                        fname,
                        f"{label}: declared {pol} but its links' signs make it {structural}",
                        where,
                    )
                )
        out.append(loop)
    if problems:
        raise ScenarioError(problems)
    return out


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

    def loops_through(self, variable: str) -> list[str]:
        return [k for k, info in self.loops.items() if variable in info.variables]

    def shares(self, through: str | None = None) -> pd.DataFrame:
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
    LifecycleError
        The model is too large to enumerate its loops and no named loops were given.
    SimulationError
        The run failed.
    """
    import warnings

    from ..engines.simlin import _load, _simlin

    simlin = _simlin()
    structure = structure or ModelStructure(model_path)
    model = _load(simlin, Path(model_path))
    spec = model.time_spec
    settings = {}
    if final_time is not None:
        settings["stop"] = float(final_time)
    if time_step is not None:
        settings["dt"] = float(time_step)
    if saveper is not None or time_step is not None:
        settings["save_step"] = max(float(saveper or 0), float(time_step or spec.dt))
    if settings:
        model.project.set_sim_specs(**settings)
    pins = {}
    if named:
        with model.edit() as (_current, patch):
            for loop in named:
                patch.set_loop_name(loop.name, structure.loop_idents(loop.path))
    overrides = {structure.ident(k): float(v) for k, v in (params or {}).items()}
    try:
        with warnings.catch_warnings():
            # Simlin warns that run.loops is empty in discovery mode; pinned loops are read
            # from the simulation below, and without them the error below says what to do.
            warnings.filterwarnings("ignore", "this model is too large", RuntimeWarning)
            sim = model.simulate(overrides=overrides, enable_ltm=True)
            sim.run_to_end()
        runtime = sim.get_loops_runtime()
        time = np.asarray(sim.get_series("time"), dtype=float)
        columns = {}
        loops: dict[str, LoopInfo] = {}
        if named:
            by_name = {loop.name: loop for loop in named}
            for rl in runtime:
                if rl.name in by_name:
                    pins[rl.name] = rl
            for loop in named:
                rl = pins.get(loop.name)
                if rl is None:
                    raise SimulationError(f"Simlin did not score the named loop '{loop.name}'")
                columns[loop.name] = np.asarray(sim.get_loop_score(rl.id), dtype=float)
                loops[loop.name] = LoopInfo(
                    loop.name, "", _names(structure, rl.variables), loop.polarity
                )
            mode = "named"
        else:
            if str(sim.get_ltm_mode()) == "discovery" or not runtime:
                raise ModelFileError(
                    f"{Path(model_path).name} has too many feedback loops to enumerate "
                    "them all (LTM discovery mode); name its main loops in "
                    f"{loops_file(model_path).name} beside the model"
                )
            for rl in runtime:
                names = _names(structure, rl.variables)
                label = f"{rl.id}: " + " > ".join(_short(v) for v in names)
                columns[label] = np.asarray(sim.get_loop_score(rl.id), dtype=float)
                loops[label] = LoopInfo(label, "", names)
            mode = "enumerated"
        series = {
            name: np.asarray(sim.get_series(ident), dtype=float)
            for name, ident in structure._sim_ident.items()
            if structure.variables[name].kind in ("stock", "flow", "auxiliary")
        }
    except simlin.SimlinError as exc:
        raise SimulationError(
            f"{Path(model_path).name}: Simlin run with LTM failed: {exc}"
        ) from exc
    index = pd.Index(time, name="time")
    scores = pd.DataFrame(columns, index=index)
    for label, info in loops.items():
        info.polarity = _polarity(scores[label].to_numpy())
    return LoopScores(scores, loops, mode, pd.DataFrame(series, index=index))


def _short(name: str) -> str:
    return name


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
    scores: LoopScores, *, through: str | None = None, threshold: float = THRESHOLD
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
    through: str | None = None,
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
