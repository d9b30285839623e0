"""Uncertain constants: parse a distribution file, validate it, sample from it.

An uncertain file gives each uncertain constant a distribution, in the spirit of Vensim's
sensitivity control files (``.vsc``)::

    description = "Why these constants are uncertain"   # optional

    [uncertain]
    "imitation rate"   = {dist = "uniform",    min = 0.1, max = 0.4}
    "spin-off rate"    = {dist = "triangular", min = 0.0, mode = 0.02, max = 0.05}
    "relative wage"    = {dist = "normal",     mean = 1.0, sd = 0.1, min = 0.8}
    "fund multiple"    = {dist = "lognormal",  mean = 2.0, sd = 0.8}

Distributions and their fields:

``uniform``
    ``min``, ``max``: the support.
``triangular``
    ``min``, ``mode``, ``max``: the support and the most likely value.
``normal``
    ``mean``, ``sd`` of the value; optional ``min``/``max`` truncate it.
``lognormal``
    ``mean``, ``sd`` **of the value itself, not of its logarithm** (as Vensim's
    ``RANDOM LOGNORMAL``); optional ``min``/``max`` truncate it.

Every distribution is also truncated to the constant's ``[min,max]`` range in the model, so
a sample never holds a value the model rejects. Numbers the user writes (a support bound,
a truncation bound, a mode, a mean) must lie inside that range; only the unbounded tails of
the normal and lognormal are cut silently.

Sampling works in probability space: a point ``u`` of the unit cube is pushed through the
inverse CDF of each (truncated) distribution, ``x = F^-1(F(lo) + u (F(hi) - F(lo)))``. The
Monte Carlo uses a Latin hypercube of the unit cube (each constant's n values fall one in
each of n equal-probability strata); Sobol' and Morris use SALib's designs of the unit cube.
The same seed gives the same samples.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from ._names import did_you_mean
from ._readers import line_of, read_text  # one reader: BOM, Latin-1, binary, links
from .errors import ArgumentError, LifecycleError, Problem, ScenarioError, UnknownParameterError
from .limits import check_count

DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # dist: (required fields, optional fields)
    "uniform": (("min", "max"), ()),
    "triangular": (("min", "mode", "max"), ()),
    "normal": (("mean", "sd"), ("min", "max")),
    "lognormal": (("mean", "sd"), ("min", "max")),
}

#: probability mass below which a truncation interval counts as empty
_MIN_MASS = 1e-9


@dataclass(frozen=True)
class Uncertain:
    """One uncertain constant: its distribution, truncated to ``[low, high]``.

    Attributes
    ----------
    name : the constant's name in model spelling.
    dist : ``"uniform"``, ``"triangular"``, ``"normal"`` or ``"lognormal"``.
    fields : the numbers given in the file (``min``, ``max``, ``mode``, ``mean``, ``sd``).
    low, high : the truncation interval actually used (file bounds within the model range;
        ``-inf``/``inf`` where neither bounds the distribution).
    """

    name: str
    dist: str
    fields: Mapping[str, float]
    low: float
    high: float

    def frozen(self):
        """The untruncated scipy distribution."""
        f = self.fields
        if self.dist == "uniform":
            return stats.uniform(loc=f["min"], scale=f["max"] - f["min"])
        if self.dist == "triangular":
            width = f["max"] - f["min"]
            return stats.triang(c=(f["mode"] - f["min"]) / width, loc=f["min"], scale=width)
        if self.dist == "normal":
            return stats.norm(loc=f["mean"], scale=f["sd"])
        # mean m and sd s of the value: log-variance ln(1 + s^2/m^2), median m exp(-var/2)
        sigma2 = math.log1p((f["sd"] / f["mean"]) ** 2)
        return stats.lognorm(s=math.sqrt(sigma2), scale=f["mean"] * math.exp(-sigma2 / 2))

    def mass(self) -> float:
        """Probability of the untruncated distribution inside ``[low, high]``."""
        d = self.frozen()
        return float(d.cdf(self.high) - d.cdf(self.low))

    def ppf(self, u) -> np.ndarray:
        """Inverse CDF of the truncated distribution at probabilities ``u`` in [0, 1]."""
        d = self.frozen()
        u = np.asarray(u, dtype=float)
        lo_p, hi_p = d.cdf(self.low), d.cdf(self.high)
        if lo_p > 0.5:  # an upper-tail interval: survival functions keep the precision
            lo_s, hi_s = d.sf(self.low), d.sf(self.high)
            x = d.isf(lo_s - u * (lo_s - hi_s))
        else:
            x = d.ppf(lo_p + u * (hi_p - lo_p))
        return np.clip(x, self.low, self.high)

    def describe(self) -> str:
        """A short text such as ``normal(mean=1, sd=0.1) in [0.8, 2]``."""
        args = ", ".join(f"{k}={v:g}" for k, v in self.fields.items())
        return f"{self.dist}({args}) in [{self.low:g}, {self.high:g}]"

    def to_dict(self) -> dict:
        return {"dist": self.dist, **dict(self.fields), "low": self.low, "high": self.high}


@dataclass(frozen=True)
class UncertainSpec:
    """The uncertain constants of one analysis, in file order.

    Examples
    --------
    >>> spec = load_uncertain("scenarios/uncertain/baseline_uncertain.toml", m)  # doctest: +SKIP
    >>> samples = spec.sample(1000, seed=1234)            # doctest: +SKIP
    """

    params: tuple[Uncertain, ...]
    path: Path | None = None
    description: str = ""

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def transform(self, unit) -> pd.DataFrame:
        """Map points of the unit cube (n x d, columns in :attr:`names` order) to values."""
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        if unit.shape[1] != len(self.params):
            raise ArgumentError(f"`unit` needs {len(self.params)} columns, not {unit.shape[1]}")
        cols = {p.name: p.ppf(unit[:, j]) for j, p in enumerate(self.params)}
        df = pd.DataFrame(cols)
        df.index.name = "run"
        return df

    def sample(self, n: int, seed: int | None = 1234) -> pd.DataFrame:
        """``n`` parameter sets from a Latin hypercube (one row a run, one column a constant).

        Parameters
        ----------
        n : number of runs (at least 1).
        seed : seed of the numpy Generator; the same seed gives the same samples.
        """
        n = check_count(n, "n")
        lhs = qmc.LatinHypercube(d=len(self.params), rng=np.random.default_rng(seed))
        return self.transform(lhs.random(n))

    def replaced(self, scenario) -> list[str]:
        """Constants the scenario sets that this spec replaces by a distribution."""
        names = set(self.names)
        return sorted(n for n in scenario_params(scenario) if n in names)

    def to_dict(self) -> dict:
        """JSON-ready description (for provenance records)."""
        return {
            "file": str(self.path) if self.path else None,
            "description": self.description,
            "uncertain": {p.name: p.to_dict() for p in self.params},
        }


@dataclass(kw_only=True)
class Provenance:
    """What an analysis ran on: the model (name, SHA-256) and the scenario beneath it.

    The base of :class:`~lifecycle.montecarlo.MonteCarloResult` and
    :class:`~lifecycle.sensitivity.SensitivityResult`; :meth:`of` fills it in.
    """

    model_name: str = ""
    model_hash: str = ""
    scenario_name: str = ""
    scenario_params: dict = field(default_factory=dict)

    @staticmethod
    def of(model, scenario) -> dict:
        """The provenance fields of an analysis of ``model`` on top of ``scenario``."""
        return {
            "model_name": model.name,
            "model_hash": model.hash,
            "scenario_name": str(getattr(scenario, "name", "") or ""),
            "scenario_params": scenario_params(scenario),
        }

    def provenance(self, replaced: list[str] | None = None) -> dict:
        """The ``model`` and ``scenario`` entries of a JSON record; ``replaced`` lists the
        scenario's constants that distributions replaced, when the record names them."""
        scenario = {"name": self.scenario_name, "params": self.scenario_params}
        if replaced is not None:
            scenario["replaced_by_distributions"] = replaced
        return {"model": {"name": self.model_name, "sha256": self.model_hash}, "scenario": scenario}


def scenario_params(scenario) -> dict[str, float]:
    """The constants a scenario sets (``{}`` for None), which an analysis runs on top of."""
    return dict(getattr(scenario, "params", None) or {}) if scenario is not None else {}


def sample(spec: UncertainSpec, n: int, seed: int | None = 1234) -> pd.DataFrame:
    """``n`` Latin-hypercube samples of ``spec``; see :meth:`UncertainSpec.sample`."""
    return spec.sample(n, seed)


# -- parsing and validation ----------------------------------------------------------------


def _number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a 400-digit integer
        return False


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"a {len(text)}-character value {text[:12]}..."


def _resolve_entry(name, entry, model):
    """The constant and distribution an entry names, or the one problem that stops its
    check: an unknown name, a computed variable, not a table, no or an unknown ``dist``."""
    try:
        const = model.resolve_constant(name)
    except UnknownParameterError:
        sugg = model.suggest(name, pool=model.parameters)
        fix = did_you_mean(sugg) or None
        return None, None, [(f"'{name}' is not a constant of {model.name}", fix)]
    except LifecycleError as exc:  # a computed variable
        return None, None, [(str(exc), None)]
    if not isinstance(entry, Mapping):
        msg = f"'{name}' needs a table such as {{dist = \"uniform\", min = .., max = ..}}"
        return None, None, [(msg, "write the distribution as an inline table")]
    dist = entry.get("dist")
    if dist not in DISTRIBUTIONS:
        allowed = ", ".join(f"'{d}'" for d in DISTRIBUTIONS)
        got = "no `dist`" if dist is None else f"unknown dist {dist!r}"
        return None, None, [(f"'{const.name}': {got}", f"set dist to one of {allowed}")]
    return const, dist, []


def _read_fields(const, dist: str, entry: Mapping):
    """The entry's numbers, and a problem for each missing, unknown or non-numeric field."""
    required, optional = DISTRIBUTIONS[dist]
    problems: list[tuple[str, str | None]] = []
    fields: dict[str, float] = {}
    for key in required:
        if key not in entry:
            problems.append((f"'{const.name}': {dist} needs `{key}`", f"add {key} = <number>"))
    for key, value in entry.items():
        if key == "dist":
            continue
        if key not in required + optional:
            allowed = ", ".join(f"`{k}`" for k in required + optional)
            problems.append((f"'{const.name}': {dist} takes no `{key}`", f"use {allowed}"))
        elif not _number(value):
            problems.append(
                (
                    f"'{const.name}': `{key}` must be a finite number, not {_shown(value)}",
                    f"write {key} = <number>",
                )
            )
        else:
            fields[key] = float(value)
    return fields, problems


def _shape_problems(name: str, dist: str, fields: Mapping[str, float], lo: float, hi: float):
    """What is wrong with the numbers themselves: an empty interval, a mode outside it, a
    non-positive sd, a lognormal whose mean is not positive or whose sd swamps it."""
    problems: list[tuple[str, str | None]] = []
    if lo >= hi:
        problems.append(
            (f"'{name}': min = {lo:g} is not below max = {hi:g}", "swap them or widen the interval")
        )
    if dist == "triangular" and not lo <= fields["mode"] <= hi:
        problems.append(
            (
                f"'{name}': mode = {fields['mode']:g} is outside [{lo:g}, {hi:g}]",
                "put the mode between min and max",
            )
        )
    if "sd" in fields and fields["sd"] <= 0:
        problems.append(
            (
                f"'{name}': sd = {fields['sd']:g} must be positive",
                "give a positive standard deviation",
            )
        )
    if dist == "lognormal" and fields["mean"] > 0 and fields.get("sd", 0) > 100 * fields["mean"]:
        problems.append(
            (
                f"'{name}': sd/mean = {fields['sd'] / fields['mean']:.3g} is over 100; "
                "such a lognormal puts nearly all its probability at 0",
                "give the mean and sd of the value itself, in the same units",
            )
        )
    if dist == "lognormal" and fields["mean"] <= 0:
        problems.append(
            (
                f"'{name}': a lognormal needs mean > 0, not {fields['mean']:g}",
                "give the (positive) mean of the value, not of its logarithm",
            )
        )
    return problems


def _range_problems(name: str, fields: Mapping[str, float], model_lo: float, model_hi: float):
    """A problem for each number the user wrote outside the model's range of the constant."""
    rng = f"[{model_lo:g}, {model_hi:g}]"
    return [
        (
            f"'{name}': {key} = {fields[key]:g} is outside the model's range {rng}",
            f"keep {key} inside {rng}",
        )
        for key in ("min", "max", "mode", "mean")
        if key in fields and not model_lo <= fields[key] <= model_hi
    ]


def _check_entry(name, entry, model) -> tuple[Uncertain | None, list[tuple[str, str]]]:
    """Validate one entry; return the Uncertain (or None) and (message, fix) pairs."""
    const, dist, problems = _resolve_entry(name, entry, model)
    if problems:
        return None, problems
    fields, problems = _read_fields(const, dist, entry)
    if problems:
        return None, problems
    model_lo = -math.inf if const.low is None else const.low
    model_hi = math.inf if const.high is None else const.high
    lo, hi = fields.get("min", -math.inf), fields.get("max", math.inf)
    problems = _shape_problems(const.name, dist, fields, lo, hi)
    problems += _range_problems(const.name, fields, model_lo, model_hi)
    if problems:
        return None, problems
    item = Uncertain(const.name, dist, fields, max(lo, model_lo), min(hi, model_hi))
    if not item.mass() > _MIN_MASS:
        return None, [
            (
                f"'{const.name}': {item.describe()} has no probability inside "
                f"[{item.low:g}, {item.high:g}]",
                "move the mean inside that interval",
            )
        ]
    return item, []


def parse_uncertain(
    table: Mapping, model, *, file: str = "<uncertain>", text: str = "", description: str = ""
) -> UncertainSpec:
    """Validate an ``[uncertain]`` table (name -> distribution table) against ``model``.

    Every problem is collected and raised at once as a :class:`~lifecycle.errors.ScenarioError`
    naming the file, the line (when ``text``, the file's source, is given) and a fix.
    """
    problems: list[Problem] = []
    items: list[Uncertain] = []
    seen: dict[str, str] = {}
    if not table:
        raise ScenarioError(
            [
                Problem(
                    file,
                    "no uncertain constants",
                    None,
                    'add an [uncertain] table: "name" = {dist = ..., ...}',
                )
            ]
        )
    for name, entry in table.items():
        line = line_of(text, name, "uncertain") if text else None
        item, found = _check_entry(name, entry, model)
        problems += [Problem(file, msg, line, fix) for msg, fix in found]
        if item is not None:
            if item.name in seen:
                problems.append(
                    Problem(
                        file,
                        f"'{name}' and '{seen[item.name]}' are the same constant",
                        line,
                        "keep one of them",
                    )
                )
                continue
            seen[item.name] = name
            items.append(item)
    if problems:
        raise ScenarioError(problems)
    return UncertainSpec(tuple(items), Path(file) if file != "<uncertain>" else None, description)


def load_uncertain(path, model) -> UncertainSpec:
    """Read and validate an uncertain file (TOML with an ``[uncertain]`` table).

    Parameters
    ----------
    path : path of the ``.toml`` file.
    model : the :class:`~lifecycle.model.Model` whose constants the file names.

    Raises
    ------
    ScenarioError
        Listing every problem (file, line, fix): a missing or malformed file, unknown names
        (with suggestions), names that are not constants, unknown distributions, missing or
        non-numeric fields, ``min`` not below ``max``, numbers outside the model's range.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise ScenarioError(
            [
                Problem(
                    file,
                    "uncertain file not found",
                    None,
                    "give the path of a .toml file with an [uncertain] table",
                )
            ]
        )
    read_problems: list[Problem] = []
    text = read_text(path, read_problems, "uncertain file")
    if text is None:
        raise ScenarioError(read_problems)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ScenarioError(
            [
                Problem(
                    file,
                    f"not valid TOML: {exc}",
                    int(m.group(1)) if m else None,
                    "check quotes, brackets and '=' on that line",
                )
            ]
        ) from None
    problems = []
    for key in data:
        if key not in ("uncertain", "description"):
            problems.append(
                Problem(
                    file,
                    f"unknown key or table `{key}`",
                    line_of(text, key),
                    "the file holds `description` and an [uncertain] table",
                )
            )
    table = data.get("uncertain")
    if table is not None and not isinstance(table, Mapping):
        problems.append(
            Problem(
                file,
                "`uncertain` must be a table",
                line_of(text, "uncertain"),
                'write [uncertain] then "name" = {dist = ..., ...} lines',
            )
        )
        table = None
    try:
        spec = parse_uncertain(
            table or {}, model, file=file, text=text, description=str(data.get("description", ""))
        )
    except ScenarioError as exc:
        raise ScenarioError(problems + exc.problems) from None
    if problems:
        raise ScenarioError(problems)
    return spec
