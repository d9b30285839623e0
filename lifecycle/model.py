"""Load a Vensim model through PySD, with a translation cache and a parameter table.

The ``.mdl`` file is the single source of truth. PySD translates it to Python once; the
translation is cached under ``$LIFECYCLE_CACHE`` (default ``~/.cache/lifecycle``), keyed by
the model's content and PySD's version, so nothing generated lands beside the model.

:class:`Model` wraps the PySD model and removes its two traps: parameters set for one run
never leak into the next, and only constants inside the model's ``[min,max]`` range can be
set (PySD accepts anything silently).
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ._cache import cache_dir
from ._names import canonical, closest
from .engines._base import RunSettings
from .engines.pysd import frame
from .errors import (
    ArgumentError,
    ModelNotFoundError,
    NotAConstantError,
    OutOfRangeError,
    SettingsError,
    SimulationError,
    UnknownParameterError,
)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "cluster_lifecycle.mdl"
CONTROL = ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER")


def _import_pysd():
    with warnings.catch_warnings():
        # chardet >= 7 deprecates the import path PySD 3.14 uses; harmless.
        warnings.filterwarnings(
            "ignore", "chardet.universaldetector is deprecated", DeprecationWarning
        )
        import pysd
    return pysd


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (the model's identity in records and caches)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _model_hash(path: Path) -> str:
    """:func:`file_hash` of a model file; a missing, unreadable or folder path raises the
    error that names it (a folder was "not found")."""
    if not path.exists() and not path.is_symlink():
        raise ModelNotFoundError(
            f"model file not found: {path} (fix: give the path of a .mdl file, e.g. --model)"
        )
    try:
        return file_hash(path)
    except OSError:
        from ._mdl import read_model

        read_model(path)  # raises, naming why
        raise


def translate(path: str | os.PathLike) -> Path:
    """Translate ``path`` with PySD (once per content and PySD version); return the ``.py``.

    The file is checked first and every failure is one :class:`ModelParseError` naming the
    file, the equation and its line (:mod:`lifecycle._mdl`), never PySD's internals."""
    from . import _mdl

    pysd = _import_pysd()
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ModelNotFoundError(
            f"model file not found: {path} (fix: give the path of a .mdl file)"
        )
    _, eqs = _mdl.read_model(path)
    key = hashlib.sha256(path.read_bytes() + pysd.__version__.encode()).hexdigest()[:20]
    target = cache_dir() / f"{path.stem}-{key}"
    py = target / f"{path.stem}.py"
    if not py.is_file():
        _translate(pysd, path, target, eqs)
    problem = _mdl.unsupported(path, py.read_text(encoding="utf-8"), eqs)
    if problem:
        raise problem
    return py


def _translate(pysd, path: Path, target: Path, eqs) -> None:
    from . import _mdl

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        copy = tmp / f"{path.stem}.mdl"  # PySD insists on the suffix
        shutil.copyfile(path, copy)
        try:
            with warnings.catch_warnings():
                # PySD warns about its own translation choices (no sketch, one view, an
                # encoding guessed); what matters to a user is checked by _mdl instead
                warnings.simplefilter("ignore")
                pysd.read_vensim(str(copy), split_views=False)
        except Exception as exc:  # PySD raises bare exceptions on parse failures
            raise _mdl.explain(path, exc, eqs) from None
        try:
            tmp.rename(target)
        except OSError:  # another process won the race; its translation is identical
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Constant:
    """A settable constant of a model: what ``lifecycle params`` lists."""

    name: str
    default: float
    units: str
    low: float | None
    high: float | None
    comment: str

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside the constant's ``[min,max]`` range."""
        if self.low is not None and value < self.low:
            return False
        return not (self.high is not None and value > self.high)


def _limit(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class Model:
    """A translated model with its parameter table.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A Vensim ``.mdl`` file; default the main cluster model.

    Examples
    --------
    >>> m = Model()
    >>> df = m.run({"networking initiative intensity": 0.5}, variables=["Firms"])
    >>> list(df.columns), df.index.name
    (['Firms'], 'time')
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else DEFAULT_MODEL
        self.name = self.path.name
        self.hash = _model_hash(self.path)
        self.py_path = translate(self.path)
        pysd = _import_pysd()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PySD's notes on its own translation
                self.pysd = pysd.load(str(self.py_path))
        except Exception as exc:  # never PySD's message or the cache path (issue 8)
            from ._mdl import explain, read_model

            raise explain(self.path, exc, read_model(self.path)[1]) from None
        doc = self.pysd.doc
        self.doc = doc
        self._by_key: dict[str, pd.Series] = {}
        for _, row in doc.iterrows():
            if isinstance(row["Real Name"], str) and row["Real Name"] != "Time":
                self._by_key[canonical(row["Real Name"])] = row
        self.constants: dict[str, Constant] = {}
        for row in self._by_key.values():
            if row["Type"] == "Constant" and row["Subtype"] == "Normal":
                name = row["Real Name"]
                value = getattr(self.pysd.components, row["Py Name"])()
                if not np.ndim(value) == 0:
                    continue  # subscripted constants are not settable here
                # a Vensim range may carry a third item, the increment: [min,max,step]
                limits = row["Limits"] if isinstance(row["Limits"], tuple) else ()
                low, high = (tuple(limits) + (None, None))[:2]
                self.constants[name] = Constant(
                    name=name,
                    default=float(value),
                    units=str(row["Units"]) if isinstance(row["Units"], str) else "",
                    low=_limit(low),
                    high=_limit(high),
                    comment=" ".join(str(row["Comment"]).split())
                    if isinstance(row["Comment"], str)
                    else "",
                )
        self._dirty: set[str] = set()
        # PySD keeps run settings between runs: remember the model file's own
        comp = self.pysd.components
        self.control = {
            "initial_time": float(comp.initial_time()),
            "final_time": float(comp.final_time()),
            "time_step": float(comp.time_step()),
            "saveper": float(comp.saveper()),
        }

    # -- names ---------------------------------------------------------------------------
    @property
    def variables(self) -> list[str]:
        """Every computed variable (stocks, flows, auxiliaries), in model spelling."""
        return list(self._variables)

    @cached_property
    def _variables(self) -> tuple[str, ...]:
        return tuple(
            row["Real Name"]
            for row in self._by_key.values()
            if row["Type"] in ("Stateful", "Auxiliary") and row["Real Name"] not in CONTROL
        )

    @property
    def stocks(self) -> list[str]:
        """The stocks (Vensim's levels: every ``INTEG``), in model spelling."""
        return [
            row["Real Name"]
            for row in self._by_key.values()
            if row["Type"] == "Stateful" and row["Subtype"] == "Integ"
        ]

    @cached_property
    def flows(self) -> frozenset[str]:
        """True flows: variables measured per unit of time (``firm/Year``, ``1/Year``).

        A variable in a stock's units (``person``, ``firm``), or in any units that are not
        per time, is a level even where a stock integrates it (``Employment`` feeds a
        smooth). Only a variable without units falls back on the structure: a flow when a
        stock integrates it directly (and it is not a stock itself).
        """
        py_to_real = {str(r["Py Name"]): r["Real Name"] for r in self._by_key.values()}
        deps = getattr(self.pysd, "dependencies", {}) or {}
        integrated: set[str] = set()
        for key, dep in deps.items():
            if key.startswith("_integ") and isinstance(dep, Mapping):
                integrated.update(py_to_real[k] for k in dep.get("step", {}) if k in py_to_real)
        time_unit = canonical(self.time_unit)
        per_time = {f"/{time_unit}", f"/{time_unit}s", f"/{time_unit.rstrip('s')}"}
        stocks = set(self.stocks)
        found = set()
        for name in self.variables:
            units = canonical(self.units(name))
            if units:
                if time_unit and any(units.endswith(u) for u in per_time):
                    found.add(name)
            elif name in integrated and name not in stocks:
                found.add(name)
        return frozenset(found)

    @property
    def levels(self) -> list[str]:
        """Every computed variable that is not a flow: stocks and auxiliaries compared at a
        point in time (``Employment``, ``Member Share``)."""
        return [v for v in self.variables if v not in self.flows]

    @property
    def time_unit(self) -> str:
        """The unit of the model's time (that of TIME STEP, e.g. ``Year``; '' when none)."""
        row = self._by_key.get(canonical("TIME STEP"))
        return str(row["Units"]) if row is not None and isinstance(row["Units"], str) else ""

    def horizon(self, scenario=None) -> tuple[float, float]:
        """The time span a run covers: the file's INITIAL TIME to the scenario's FINAL TIME
        (its ``[run]`` table), else the file's. From :attr:`control`, never PySD's live
        values, which keep the last run's settings."""
        final = getattr(scenario, "final_time", None)
        end = self.control["final_time"] if final is None else float(final)
        return self.control["initial_time"], end

    @property
    def parameters(self) -> dict[str, Constant]:
        """Settable constants, without the control variables."""
        return {n: c for n, c in self.constants.items() if n not in CONTROL}

    def suggest(self, name: str, pool=None, n: int = 3) -> list[str]:
        """Up to ``n`` names of ``pool`` (default every variable) that look like ``name``."""
        pool = pool if pool is not None else (r["Real Name"] for r in self._by_key.values())
        return closest(name, pool, n=n)

    def resolve(self, name: str) -> str:
        """The model's spelling of any variable ``name``; raises with suggestions."""
        row = self._by_key.get(canonical(name))
        if row is None:
            raise UnknownParameterError(name, self.name, self.suggest(name))
        return row["Real Name"]

    def units(self, name: str) -> str:
        """Units of any variable, as written in the model ('' when none)."""
        units = self._by_key[canonical(self.resolve(name))]["Units"]
        return str(units) if isinstance(units, str) else ""

    def resolve_constant(self, name: str) -> Constant:
        """The settable constant ``name`` (any spelling); raises for computed variables."""
        real = self.resolve(name)
        if real not in self.constants:
            row = self._by_key[canonical(real)]
            kind = {"Stateful": "Stock", "Auxiliary": "Auxiliary"}.get(row["Type"], row["Type"])
            raise NotAConstantError(real, self.name, str(kind))
        return self.constants[real]

    def check_value(self, name: str, value) -> tuple[str, float]:
        """Resolve ``name`` to a constant and check ``value`` against its range."""
        const = self.resolve_constant(name)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ArgumentError(f"'{const.name}' needs a number, not {value!r}")
        try:
            value = float(value)
        except OverflowError:  # a 400-digit integer (issue 8)
            raise ArgumentError(
                f"'{const.name}' = a {len(str(value))}-digit number, too large for a float"
            ) from None
        if not (math.isfinite(value) and const.contains(value)):
            raise OutOfRangeError(const.name, value, const.low, const.high)
        return const.name, value

    def check_params(self, params: Mapping[str, float] | None) -> dict[str, float]:
        """Every ``name: value`` checked by :meth:`check_value`, keyed by model spelling; a
        constant given twice under two spellings is refused, as in a scenario file."""
        out: dict[str, float] = {}
        spelled: dict[str, str] = {}
        for k, v in (params or {}).items():
            name, value = self.check_value(k, v)
            if name in out:
                raise ArgumentError(
                    f"'{k}' sets '{name}' again (already given as '{spelled[name]}'); "
                    "give each constant once"
                )
            out[name], spelled[name] = value, k
        return out

    # -- running -------------------------------------------------------------------------
    def run(
        self,
        params: Mapping[str, float] | None = None,
        *,
        final_time: float | None = None,
        time_step: float | None = None,
        saveper: float | None = None,
        variables: list[str] | None = None,
        state=None,
    ) -> pd.DataFrame:
        """Run from a fresh state; return a DataFrame indexed by time.

        Every constant not in ``params`` is at its default, whatever earlier runs set.
        ``state`` (a one-run :class:`~lifecycle.engines.State`) starts the run from it, at
        its time, instead of from the model's initial values.
        """
        checked = refuse_settings(self.check_params(params), self.name)
        columns = [self.resolve(v) for v in variables] if variables else self.variables
        settings = RunSettings.resolve(
            self.control,
            final_time=final_time,
            time_step=time_step,
            saveper=saveper,
            where=self.name,
        ).from_state(state)
        out = frame(self, checked, columns, settings, None if state is None else state.row(0))
        bad = [c for c in out.columns if not np.all(np.isfinite(out[c].to_numpy()))]
        if bad:
            raise SimulationError(
                f"{self.name}: non-finite values in {', '.join(bad[:5])} with parameters {checked}"
            )
        return out


def setting_key(name: str) -> str | None:
    """The keyword (``final_time``) of a control variable, None for any other name."""
    return name.lower().replace(" ", "_") if name in CONTROL else None


def not_a_parameter(name: str, what: str = "a parameter") -> str:
    """The one wording for a control variable given where constants go (a run's
    parameters, a scenario's [params], a constant to fit): the fix is the caller's."""
    return f"'{name}' is a simulation setting, not {what}"


def refuse_settings(checked: dict[str, float], where: str) -> dict[str, float]:
    """``checked`` unchanged, or a SettingsError when it sets a control variable: a run's
    time settings are keywords (``final_time=``), not parameters; they were silently
    ignored (issue 8)."""
    given = [n for n in CONTROL if n in checked]
    if given:
        key = setting_key(given[0])
        how = (
            f"pass {key}= to the run, or set {key} in a scenario's [run] table"
            if key != "initial_time"
            else "INITIAL TIME cannot be changed"
        )
        raise SettingsError(f"{where}: {not_a_parameter(given[0])} ({how})")
    return checked


_LOADED: dict[tuple[str, str], Model] = {}


def load_model(path: str | os.PathLike | None = None) -> Model:
    """Load (and cache in this process) the model at ``path``; default the main model.

    Examples
    --------
    >>> from lifecycle import load_model
    >>> model = load_model()                              # doctest: +SKIP
    >>> model.parameters["networking initiative intensity"].default  # doctest: +SKIP
    0.0
    """
    p = Path(path) if path is not None else DEFAULT_MODEL
    key = (str(p.resolve()), _model_hash(p))
    if key not in _LOADED:
        _LOADED[key] = Model(p)
    return _LOADED[key]
