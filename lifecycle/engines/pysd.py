"""PySD's own engine, the reference: one run at a time, from a fresh state.

:class:`PySDEngine` runs a :class:`~lifecycle.model.Model`'s PySD model; :func:`frame` is
one run, used by :meth:`Model.run <lifecycle.model.Model.run>` and by the engine's loop.
It removes PySD's trap of parameters that leak from one run into the next: every constant
set by the previous run and not by this one goes back to its default.

A run can start from a :class:`~lifecycle.engines.State` (``RunSettings.state``): PySD's
own stateful objects (``INTEG``, ``SMOOTH``, ``DELAY``, ``DELAY N``, ``INITIAL``) are set
to it after the constants, as PySD's ``import_pickle`` does, and the run continues from its
time (``initial_condition="current"``), so no initial value is evaluated again.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ArgumentError, ModelParseError, SimulationError, UnsupportedFunctionError
from ._base import EngineResult, RunSettings, State, check_state, run_each

_LABELS = {
    "Integ": "INTEG",
    "NonNegativeInteg": "INTEG",
    "Smooth": "SMOOTH",
    "Delay": "DELAY",
    "DelayN": "DELAY N",
    "Initial": "INITIAL",
}


_TAGS = {"INTEG": "integ", "SMOOTH": "smooth", "DELAY": "delay", "DELAY N": "delayn",
         "INITIAL": "initial"}  # fmt: skip


def _reached(pysd, element: str) -> list[str]:
    """PySD's stateful objects an element's equation uses while running: its own, and those
    their updates read (a SMOOTH of a DELAY). An object read only by another's initial value
    (PySD copies a nested DELAY for it) is never evaluated again and is left out."""
    out, stack = [], [d for d in pysd._dependencies.get(element, {}) if d.startswith("_")]
    while stack:
        dep = stack.pop(0)
        if dep in out or dep not in pysd._stateful_elements:
            continue
        out.append(dep)
        deps = pysd._dependencies.get(dep, {})
        step = deps.get("step", {}) if isinstance(deps.get("step"), Mapping) else {}
        stack += [d for d in step if d.startswith("_")]
    return out


def state_names(model) -> dict[str, str]:
    """PySD's stateful objects of ``model`` -> their names in a :class:`State` (those of
    the batch engine: a stock's own name, else ``"variable (FUNCTION)"``, then
    ``"variable (FUNCTION 2)"``... in PySD's numbering)."""
    cached = getattr(model, "_state_names", None)
    if cached is not None:
        return cached
    pysd = model.pysd
    out: dict[str, str] = {}
    for _, row in model.doc.iterrows():
        element = row["Py Name"]
        if not isinstance(element, str):
            continue
        found: dict[str, list[tuple[int, str]]] = {}
        for dep in _reached(pysd, element):
            obj = pysd._stateful_elements[dep]
            label = _LABELS.get(type(obj).__name__)
            if label is None:
                raise UnsupportedFunctionError(
                    f"{type(obj).__name__} (for a run from a state)", row["Real Name"]
                )
            base = f"_{_TAGS[label]}_{element}"
            suffix = dep[len(base) :].lstrip("_")
            number = int(suffix) if dep.startswith(base) and suffix.isdigit() else 0
            found.setdefault(label, []).append((number, dep))
        for label, deps in found.items():
            for i, (_, dep) in enumerate(sorted(deps)):
                stock = label == "INTEG" and row["Subtype"] == "Integ" and i == 0
                name = row["Real Name"] if stock else f"{row['Real Name']} ({label}"
                out[dep] = name if stock else name + (f" {i + 1})" if i else ")")
    model._state_names = out
    return out


def export_state(model) -> dict[str, np.ndarray]:
    """The current state of ``model``'s PySD objects, by :class:`State` name."""
    out = {}
    for dep, name in state_names(model).items():
        obj = model.pysd._stateful_elements[dep]
        out[name] = np.ravel(np.asarray(obj.state, dtype=float)).copy()
        if type(obj).__name__ == "DelayN":
            out[name + " times"] = np.ravel(np.asarray(obj.times, dtype=float)).copy()
    return out


def _set_state(model, row: Mapping[str, np.ndarray]) -> None:
    """Set every PySD stateful object from one run's state (``State.row``)."""
    names = state_names(model)
    needed = list(names.values())
    needed += [n + " times" for d, n in names.items()
               if type(model.pysd._stateful_elements[d]).__name__ == "DelayN"]  # fmt: skip
    check_state(State(0.0, dict(row)), needed, model.name)
    for dep, name in names.items():
        obj = model.pysd._stateful_elements[dep]
        value = np.asarray(row[name], dtype=float)
        scalar = type(obj).__name__ in ("Integ", "NonNegativeInteg", "Initial")
        if scalar and value.size != 1:
            raise ArgumentError(f"the state of '{name}' must hold one value per run")
        obj.state = float(value[0]) if scalar else value.copy()
        if type(obj).__name__ == "DelayN":
            obj.times = np.asarray(row[name + " times"], dtype=float).copy()


def frame(
    model,
    params: Mapping[str, float],
    columns: Sequence[str],
    settings: RunSettings,
    state: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One PySD run of ``model`` with checked ``params``; a float DataFrame indexed by time.

    ``state`` (one run's :meth:`State.row`, at ``settings.initial_time``) replaces the
    model's initial values. Non-finite values are returned as they are; the caller decides
    whether they fail.
    """
    overrides = {n: model.constants[n].default for n in model._dirty - set(params)}
    overrides.update(params)
    model._dirty = set(params)
    start = {}
    if state is not None:
        # PySD caches constants per run (its "run" cache) and a model it has not run
        # yet applies changed constants late: one ordinary step with these constants sets
        # every cache as an ordinary run would (measured: the first run from a state
        # otherwise missed a changed shock year)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.pysd.run(
                params=overrides, return_columns=list(columns)[:1] or None, progress=False,
                final_time=model.control["initial_time"] + settings.time_step,
                time_step=settings.time_step, saveper=settings.time_step, cache_output=False,
            )  # fmt: skip
        clock = model.pysd.time
        clock.set_control_vars(initial_time=settings.initial_time)  # the clock and saving
        # ... but INITIAL TIME in equations keeps the model's value, as in the run continued
        clock.initial_time = lambda: model.control["initial_time"]
        _set_state(model, state)
        overrides, start = {}, {"initial_condition": "current"}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN/inf is the caller's to check
        # known third-party warnings, by message: pandas 3.1 deprecates an argument
        # PySD 3.14 passes; PySD warns on every lookup extrapolation (held as Vensim)
        warnings.filterwarnings("ignore", "The inplace keyword in DataFrame.set_index")
        warnings.filterwarnings("ignore", "(?s).*extrapolating data", UserWarning)
        try:
            out = model.pysd.run(
                params=overrides,
                return_columns=list(columns),
                progress=False,
                # PySD advises against output caching when TIME STEP << SAVEPER
                cache_output=False,
                **start,
                **settings.as_kwargs(),
            )
        except RecursionError as exc:  # auxiliaries that need each other
            raise ModelParseError(
                f"{model.name}: simultaneous equations (a loop without a stock), which "
                "PySD cannot order (fix: put a stock, e.g. a SMOOTH, in the loop)"
            ) from exc
        except Exception as exc:
            raise SimulationError(f"{model.name}: the run failed: {exc}") from exc
    out.index.name = "time"
    return out.astype(float)


class PySDEngine:
    """The :class:`~lifecycle.engines.Engine` of PySD: ``n`` runs, one after the other."""

    name = "pysd"

    def __init__(self, model):
        self.model = model

    def run(
        self, params: Mapping[str, Any], n: int, variables: Sequence[str], settings: RunSettings
    ) -> EngineResult:
        """``n`` runs; array-valued ``params`` differ between runs (see :class:`Engine`)."""
        columns = list(variables)
        state = settings.state
        if state is not None and state.runs not in (1, n):
            raise ArgumentError(f"the state holds {state.runs} runs, expected 1 or {n}")

        def one(p, i):
            return frame(self.model, p, columns, settings, None if state is None else state.row(i))

        return run_each(one, params, n, columns, self.name, indexed=True)

    def state_at(self, params: Mapping[str, Any], n: int, settings: RunSettings) -> State:
        """The state of every stateful element at ``settings.final_time``, run by run."""
        states: list[dict] = []
        times: list[float] = []
        first = self.model.stocks[:1] or self.model.variables[:1]

        def one(p, i):
            row = None if settings.state is None else settings.state.row(i)
            df = frame(self.model, p, first, settings, row)
            states.append(export_state(self.model))
            times.append(float(self.model.pysd.time()))
            return df

        run_each(one, params, n, first, self.name, indexed=True)
        if len(states) != n:
            raise SimulationError(f"{self.model.name}: a run to take the state from failed")
        values = {k: np.array([s[k] for s in states]) for k in states[0]}
        return State(times[0], values)
