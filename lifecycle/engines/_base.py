"""What every engine shares: the run settings, the result, the interface.

This module imports nothing of ``lifecycle`` but the errors, so :mod:`lifecycle.model` and
every engine can use it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ArgumentError
from ..limits import check_settings

SETTINGS = ("final_time", "time_step", "saveper")


@dataclass(frozen=True, eq=False)
class State:
    """The state of runs at one time: the value of every stateful element.

    ``values`` maps an element to an array of shape ``(runs, width)``: a stock (``INTEG``)
    by its own name and width 1; a function's internal state by the name of the variable
    that holds it and the function (``"Growth Capital (SMOOTH)"``, ``"X (DELAY N)"``, its
    stage times as ``"X (DELAY N) times"``, an ``INITIAL``'s frozen value), its width the
    function's order. One row stands for every run. ``time`` is the model time of the state
    (exactly as the run that produced it accumulated it).

    Every engine that runs from a state (:attr:`RunSettings.state`) reads this one form, so
    a state taken from one engine starts another.
    """

    time: float
    values: Mapping[str, np.ndarray]

    def __post_init__(self):
        vals = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in self.values.items()}
        rows = {v.shape[0] for v in vals.values()} - {1}
        if len(rows) > 1:
            raise ArgumentError(f"a state's elements hold different numbers of runs: {rows}")
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "time", float(self.time))

    @property
    def runs(self) -> int:
        """Rows of the widest element (1: one state for every run)."""
        return max((v.shape[0] for v in self.values.values()), default=1)

    def row(self, i: int) -> dict[str, np.ndarray]:
        """Run ``i``'s values, one 1-d array per element."""
        return {k: v[i if v.shape[0] > 1 else 0] for k, v in self.values.items()}

    def take(self, i: int) -> State:
        """The state of run ``i`` alone."""
        return State(self.time, {k: v[None, :] for k, v in self.row(i).items()})

    def with_values(self, changes: Mapping[str, Any]) -> State:
        """A copy with some elements replaced (one number, or one per run)."""
        vals = dict(self.values)
        for k, v in changes.items():
            if k not in vals:
                raise ArgumentError(f"the state has no element {k!r}")
            arr = np.asarray(v, dtype=float)
            vals[k] = arr.reshape(-1, 1) if arr.ndim <= 1 else arr
        return State(self.time, vals)


def check_state(state: State, needed: Sequence[str], where: str) -> None:
    """Raise when ``state`` lacks an element an engine needs (a partial state would leave
    those elements at their initial values, which is not the state of any run)."""
    missing = [k for k in needed if k not in state.values]
    if missing:
        raise ArgumentError(
            f"{where}: the state to start from lacks {len(missing)} stateful element(s): "
            + ", ".join(missing[:5])
            + " (fix: take the state from a run of this model: engine.state_at(...))"
        )


@dataclass(frozen=True)
class RunSettings:
    """The time axis of a run: resolved once, then handed to whichever engine runs it.

    Examples
    --------
    >>> control = {"initial_time": 0.0, "final_time": 80.0, "time_step": 0.125,
    ...            "saveper": 0.125}
    >>> RunSettings.resolve(control, {"final_time": 40.0}, time_step=0.0625)
    RunSettings(initial_time=0.0, final_time=40.0, time_step=0.0625, saveper=0.125)
    """

    initial_time: float
    final_time: float
    time_step: float
    saveper: float
    #: start from this state (its time replaces ``initial_time``) instead of the model's
    #: initial values; see :meth:`from_state`
    state: State | None = field(default=None, compare=False, repr=False)

    @classmethod
    def resolve(
        cls,
        control: Mapping[str, float],
        scenario: Mapping[str, float] | None = None,
        *,
        final_time: float | None = None,
        time_step: float | None = None,
        saveper: float | None = None,
        where: str = "the model",
    ) -> RunSettings:
        """The model file's ``control``, then the ``scenario``'s ``[run]`` table, then the
        keyword overrides. ``saveper`` defaults to the model's SAVEPER, never below the
        time step, and must be a whole number of time steps.

        Raises
        ------
        SettingsError
            For anything :func:`lifecycle.limits.check_settings` refuses: a time step that
            is not positive or longer than the run, a final time not after the initial
            time, a SAVEPER below TIME STEP or not a multiple of it.
        """
        given = {k: v for k, v in (scenario or {}).items() if k in SETTINGS and v is not None}
        for key, value in (("final_time", final_time), ("time_step", time_step)):
            if value is not None:
                given[key] = value
        if saveper is not None:
            given["saveper"] = saveper
        # the one set of checks every entry point shares (lifecycle.limits)
        t0, ft, ts, sp = check_settings(control, **given, where=where)
        return cls(t0, ft, ts, sp)

    def from_state(self, state: State | None) -> RunSettings:
        """These settings, starting from ``state`` at its time (``None``: from the model's
        initial values at INITIAL TIME, unchanged)."""
        if state is None:
            return self
        if not state.time < self.final_time:
            raise ArgumentError(
                f"the state is at time {state.time:g}, not before the final time "
                f"{self.final_time:g}"
            )
        return replace(self, initial_time=state.time, state=state)

    def as_kwargs(self) -> dict[str, float]:
        """``final_time``, ``time_step`` and ``saveper`` as keyword arguments."""
        return {"final_time": self.final_time, "time_step": self.time_step, "saveper": self.saveper}


@dataclass
class EngineResult:
    """Runs of one engine: ``values[name]`` has shape ``(n, len(time))``; a run that failed
    holds NaN (``failed`` flags it)."""

    time: np.ndarray
    values: dict[str, np.ndarray]
    engine: str

    @property
    def failed(self) -> np.ndarray:
        """One flag per run: True where any value is NaN or infinite."""
        n = next(iter(self.values.values())).shape[0] if self.values else 0
        bad = np.zeros(n, dtype=bool)
        for v in self.values.values():
            bad |= ~np.isfinite(v).all(axis=1)
        return bad


@runtime_checkable
class Engine(Protocol):
    """The interface of an engine: built once for a model, then run any number of times.

    ``params`` maps constants (model spelling, already checked against their ranges) to
    one number for every run or an array of shape ``(n,)``; ``variables`` are model names.
    """

    name: str

    def run(
        self,
        params: Mapping[str, Any],
        n: int,
        variables: Sequence[str],
        settings: RunSettings,
    ) -> EngineResult: ...

    def state_at(self, params: Mapping[str, Any], n: int, settings: RunSettings) -> State:
        """The state of every stateful element at ``settings.final_time`` (runs from
        ``settings.state`` when it is set)."""
        ...


def settings_of(scenario: Any) -> dict[str, float]:
    """The ``[run]`` settings a scenario sets: a mapping, or any object with ``final_time``,
    ``time_step``, ``saveper`` attributes (a :class:`~lifecycle.scenarios.Scenario`)."""
    if scenario is None:
        return {}
    if isinstance(scenario, Mapping):
        items = scenario.items()
    else:
        items = ((k, getattr(scenario, k, None)) for k in SETTINGS)
    return {k: float(v) for k, v in items if k in SETTINGS and v is not None}


def run_each(
    one, params: Mapping[str, Any], n: int, variables: Sequence[str], name: str, indexed=False
):
    """Run ``one(params_i) -> DataFrame`` (``one(params_i, i)`` when ``indexed``) for each
    of ``n`` runs: the loop of the engines that run one parameter set at a time. A run that
    raises holds NaN; if every run raises, the first error is raised."""
    data: dict[str, np.ndarray] = {}
    time = None
    first = None
    for i in range(n):
        p = {k: (float(v[i]) if np.ndim(v) else v) for k, v in params.items()}
        try:
            df = one(p, i) if indexed else one(p)
        except Exception as exc:  # noqa: BLE001 - recorded as a failed run, raised if all fail
            first = first or exc
            continue
        if time is None:
            time = df.index.to_numpy(dtype=float)
            data = {v: np.full((n, len(time)), np.nan) for v in variables}
        for v in variables:
            data[v][i] = df[v].to_numpy(dtype=float)
    if time is None:
        if first is not None:
            raise first
        time = np.empty(0)
    return EngineResult(time=time, values=data, engine=name)
