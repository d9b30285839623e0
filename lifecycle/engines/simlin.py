"""An independent second engine: the Simlin simulator (pysimlin) running the same ``.mdl``.

Simlin parses the Vensim file with its own parser and integrates it with its own compiler,
so agreement with PySD is evidence that neither engine misreads the model. It also infers
and checks units, which PySD does not: :func:`unit_problems` lists every unit mismatch.

pysimlin is an optional dependency (``pip install lifecycle[simlin]``).

Examples
--------
>>> sm = SimlinModel("models/cluster_lifecycle.mdl")          # doctest: +SKIP
>>> sm.run({"startup rate": 0.12}, variables=["Firms"]).tail(1)  # doctest: +SKIP
>>> unit_problems("models/cluster_lifecycle.mdl")               # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._names import canonical
from ..errors import (
    ModelNotFoundError,
    ModelParseError,
    SimulationError,
    UnknownParameterError,
    UnsupportedFunctionError,
)
from ._base import EngineResult, RunSettings, run_each

# Simlin error codes that concern units: malformed unit definitions (what check_units()
# reports) and, above all, dimensional mismatches found by unit inference (check() only).
_UNIT_CODES = {31, 33, 35, 36, 37, 38, 39, 40, 43}


def _simlin():
    try:
        import simlin
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the simlin engine needs pysimlin: pip install 'lifecycle[simlin]'"
        ) from exc
    return simlin


def unit_problems(path: str | os.PathLike) -> list[str]:
    """Every unit problem Simlin finds in the model at ``path``; empty when units agree.

    Unit mismatches come from Simlin's unit inference and appear only in the project's
    errors (what ``Model.check()`` reports), not in ``Model.check_units()``, which lists only
    malformed unit definitions; both kinds are returned here, each as one line of text.
    """
    simlin = _simlin()
    model = _load(simlin, Path(path))
    out = []
    for detail in model.project.get_errors():
        if int(detail.code) in _UNIT_CODES:
            where = f"'{detail.variable_name}': " if detail.variable_name else ""
            out.append(where + " ".join(str(detail.message).split()))
    return out


def _load(simlin, path: Path):
    if not path.is_file():
        raise ModelNotFoundError(f"model file not found: {path}")
    from .._mdl import read_model

    read_model(path)  # binary, not UTF-8, cut off: named with the line (issue 8)
    try:
        return simlin.load(path)
    except simlin.SimlinError as exc:
        raise ModelParseError(f"{path}: Simlin cannot read this model: {exc}") from exc


class SimlinModel:
    """A Vensim model loaded into Simlin, run with the conventions of :class:`Model.run`.

    Parameters
    ----------
    path : path of the ``.mdl`` file.
    """

    def __init__(self, path: str | os.PathLike):
        self._simlin = _simlin()
        self.path = Path(path)
        self.model = _load(self._simlin, self.path)
        self._lock = threading.Lock()
        spec = self.model.time_spec
        self.start, self.stop, self.dt = float(spec.start), float(spec.stop), float(spec.dt)
        specs = json.loads(self.model.project.serialize_json().decode("utf-8"))["simSpecs"]
        self.saveper = float(specs.get("saveStep") or self.dt)
        self.names = {canonical(v.name): v.name for v in self.model.variables}
        self._spec = None

    def ident(self, name: str) -> str:
        """Simlin's identifier of the variable ``name`` (any Vensim spelling)."""
        key = canonical(name)
        for cand in (key, key.replace('"', "")):
            if cand in self.names:
                return self.names[cand].replace(" ", "_").lower()
        raise UnknownParameterError(name, self.path.name)

    def run(
        self,
        params: Mapping[str, float] | None = None,
        *,
        final_time: float | None = None,
        time_step: float | None = None,
        saveper: float | None = None,
        variables: list[str],
    ) -> pd.DataFrame:
        """One run; a DataFrame indexed by time with one column per name in ``variables``.

        As in :meth:`lifecycle.model.Model.run`, ``saveper`` defaults to the model's SAVEPER
        and is never below the time step; rows are taken at multiples of it.
        """
        stop = self.stop if final_time is None else float(final_time)
        dt = self.dt if time_step is None else float(time_step)
        save = max(self.saveper if saveper is None else float(saveper), dt)
        overrides = {self.ident(k): float(v) for k, v in (params or {}).items()}
        with self._lock:
            spec = (stop, dt, save)
            if spec != self._spec:
                self.model.project.set_sim_specs(stop=stop, dt=dt, save_step=save)
                self._spec = spec
            try:
                sim = self.model.simulate(overrides=overrides, enable_ltm=False)
                sim.run_to_end()
                series = {
                    v: np.asarray(sim.get_series(self.ident(v)), dtype=float) for v in variables
                }
                time = np.asarray(sim.get_series("time"), dtype=float)
            except self._simlin.SimlinError as exc:
                raise SimulationError(f"{self.path.name}: Simlin run failed: {exc}") from exc
        df = pd.DataFrame(series, index=pd.Index(time, name="time"))
        steps = np.round((df.index.to_numpy() - self.start) / save, 6)
        return df[np.isclose(steps, np.round(steps), atol=1e-6)]


class SimlinEngine:
    """The :class:`~lifecycle.engines.Engine` of Simlin: ``n`` runs, one after the other."""

    name = "simlin"

    def __init__(self, model):
        self.model = model
        self.simlin = SimlinModel(model.path)

    def run(
        self, params: Mapping[str, Any], n: int, variables: Sequence[str], settings: RunSettings
    ) -> EngineResult:
        """``n`` runs; array-valued ``params`` differ between runs (see :class:`Engine`)."""
        if settings.state is not None:
            self.state_at(params, n, settings)  # refuses
        names = list(variables)

        def one(p):
            return self.simlin.run(p, variables=names, **settings.as_kwargs())

        return run_each(one, params, n, names, self.name)

    def state_at(self, params, n, settings):
        """Refused: pysimlin has no way to set or read the internal state of a run."""
        raise UnsupportedFunctionError(
            "a run from a state or to a state (the simlin engine cannot set stock values; "
            "fix: engine='batch' or 'pysd')",
            self.model.name,
        )
