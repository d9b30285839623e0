"""Limits that refuse, not hang: numbers, run settings and run sizes, checked before a run.

One checker for every entry point: scenario files (``validate`` reports what ``run`` would
reject), command-line options and the Python API call the same functions.

**Sizes.** Before a run or an ensemble starts, its work and memory are estimated:

- time steps per run: (FINAL TIME - INITIAL TIME) / TIME STEP, at most :func:`max_steps`
  (default 1,000,000; ``LIFECYCLE_MAX_STEPS``): the main model's 80 years at 0.125 are 640;
- time steps of all runs together: steps x runs, at most :func:`max_total_steps`
  (default 2,000,000,000; ``LIFECYCLE_MAX_TOTAL_STEPS``); 1,000 Monte Carlo runs are 640,000;
- memory of the results: saved times x recorded variables x runs x 8 bytes (float64),
  plus the engine's state, variables x runs x 8 bytes, at most :func:`max_bytes` (default
  2 GiB; ``LIFECYCLE_MAX_MEMORY_MB``).

Each refusal prints the figure and the way round it (``saveper``, fewer ``--vars``, a
smaller ``-n``, a larger time step, or the environment variable that raises the limit).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from ._readers import line_of
from .errors import ArgumentError, Problem, SettingsError

#: the keys of a scenario's [run] table
RUN_KEYS = ("final_time", "time_step", "saveper")

_DEFAULT_STEPS = 1_000_000
_DEFAULT_TOTAL = 2_000_000_000
_DEFAULT_MB = 2048


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    try:
        value = int(text)
    except ValueError:
        return default
    return value if value > 0 else default


def max_steps() -> int:
    """Time steps a single run may take (``LIFECYCLE_MAX_STEPS``)."""
    return _env_int("LIFECYCLE_MAX_STEPS", _DEFAULT_STEPS)


def max_total_steps() -> int:
    """Time steps all runs of an ensemble may take together (``LIFECYCLE_MAX_TOTAL_STEPS``)."""
    return _env_int("LIFECYCLE_MAX_TOTAL_STEPS", _DEFAULT_TOTAL)


def max_bytes() -> int:
    """Memory the results may need, in bytes (``LIFECYCLE_MAX_MEMORY_MB``)."""
    return _env_int("LIFECYCLE_MAX_MEMORY_MB", _DEFAULT_MB) * 1024 * 1024


def fmt(x: float) -> str:
    """A number as short as possible but never rounded into another one:
    ``0.3`` stays ``0.3``, ``0.3000000001`` is not shown as ``0.3``."""
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}" if abs(x) >= 10_000 else str(x)
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


def as_number(value, what: str, *, positive: bool = False, integer: bool = False) -> float:
    """``value`` as a finite float (or int), or a :class:`SettingsError` naming ``what``.

    Rejects booleans, text, NaN, infinities, integers too large for a float (a 400-digit
    number), and, with ``positive``, zero and negatives.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        and not hasattr(value, "__float__")
    ):
        raise SettingsError(f"{what} must be a number, not {value!r}")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        digits = len(str(value))
        raise SettingsError(
            f"{what} is a {digits}-digit number, too large for a float (fix: a number below 1e308)"
        ) from None
    if not math.isfinite(number):
        raise SettingsError(f"{what} must be a finite number, not {value!r}")
    if positive and number <= 0:
        raise SettingsError(f"{what} must be positive, not {fmt(number)}")
    if integer:
        if number != int(number):
            raise SettingsError(f"{what} must be a whole number, not {fmt(number)}")
        return int(number)
    return number


def check_settings(
    control: Mapping[str, float],
    *,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
    where: str = "the run",
) -> tuple[float, float, float, float]:
    """Resolve ``(initial_time, final_time, time_step, saveper)`` over the model's
    ``control`` and refuse what a run would reject or that gives a one-row result.

    Raises :class:`SettingsError` naming ``where``, the setting and the fix.
    """
    t0 = as_number(control["initial_time"], f"{where}: INITIAL TIME")
    ft = as_number(
        final_time if final_time is not None else control["final_time"], f"{where}: final_time"
    )
    ts = as_number(
        time_step if time_step is not None else control["time_step"],
        f"{where}: time_step",
        positive=True,
    )
    if saveper is not None:
        sp = as_number(saveper, f"{where}: saveper", positive=True)
    else:
        sp = max(as_number(control["saveper"], f"{where}: SAVEPER", positive=True), ts)
    if ft <= t0:
        raise SettingsError(
            f"{where}: final_time {fmt(ft)} is not after INITIAL TIME {fmt(t0)} "
            f"(fix: a final_time above {fmt(t0)})"
        )
    if ts > ft - t0:
        raise SettingsError(
            f"{where}: time_step {fmt(ts)} is longer than the whole run ({fmt(ft - t0)}), "
            f"which would give one row (fix: a time_step below {fmt(ft - t0)})"
        )
    if sp < ts:
        raise SettingsError(
            f"{where}: saveper {fmt(sp)} is shorter than time_step {fmt(ts)}; values are "
            f"only computed every time step (fix: saveper = {fmt(ts)} or a multiple of it)"
        )
    ratio = sp / ts
    if abs(ratio - round(ratio)) > 1e-9 * ratio:
        raise SettingsError(
            f"{where}: SAVEPER {fmt(sp)} is not a multiple of TIME STEP {fmt(ts)}, so the "
            f"saved times would drift (fix: a time_step that divides {fmt(sp)}, e.g. "
            f"{fmt(sp / 2 ** max(1, round(math.log2(ratio))))}, or saveper = "
            f"{fmt(ts * max(1, round(ratio)))})"
        )
    if sp > ft - t0:
        raise SettingsError(
            f"{where}: saveper {fmt(sp)} is longer than the whole run ({fmt(ft - t0)}), "
            f"which would save one row (fix: a saveper of at most {fmt(ft - t0)})"
        )
    return t0, ft, ts, sp


def check_size(
    control: Mapping[str, float],
    *,
    final_time: float | None = None,
    time_step: float | None = None,
    saveper: float | None = None,
    variables: int = 1,
    model_variables: int = 0,
    runs: int = 1,
    where: str = "the run",
    fewer_runs: str = "-n",
) -> int:
    """Refuse a run or ensemble whose steps or memory exceed the limits; return the number
    of time steps per run. ``variables`` are the recorded ones, ``model_variables`` all of
    the model's (the engine's state)."""
    t0, ft, ts, sp = check_settings(
        control, final_time=final_time, time_step=time_step, saveper=saveper, where=where
    )
    steps = math.ceil((ft - t0) / ts - 1e-9)
    rows = math.floor((ft - t0) / sp + 1e-9) + 1
    limit = max_steps()
    if steps > limit:
        raise SettingsError(
            f"{where}: {fmt(steps)} time steps ((final_time {fmt(ft)} - {fmt(t0)}) / time_step "
            f"{fmt(ts)}), more than the limit of {fmt(limit)} (fix: a shorter final_time or a "
            "larger time_step; LIFECYCLE_MAX_STEPS raises the limit)"
        )
    total = steps * runs
    if runs > 1 and total > max_total_steps():
        raise SettingsError(
            f"{where}: {fmt(runs)} runs x {fmt(steps)} time steps = {fmt(total)} steps, more "
            f"than the limit of {fmt(max_total_steps())} (fix: a smaller {fewer_runs}, a "
            "shorter final_time or a larger time_step; LIFECYCLE_MAX_TOTAL_STEPS raises it)"
        )
    need = 8 * runs * (rows * max(1, variables) + max(0, model_variables))
    if need > max_bytes():
        way = f"a smaller {fewer_runs}, " if runs > 1 else ""
        raise SettingsError(
            f"{where}: the results would need about {need / 2**20:,.0f} MB ({fmt(rows)} saved "
            f"times x {fmt(variables)} variables x {fmt(runs)} run(s) x 8 bytes), more than "
            f"the limit of {max_bytes() / 2**20:,.0f} MB (fix: {way}a larger saveper, fewer "
            "--vars, or LIFECYCLE_MAX_MEMORY_MB to raise the limit)"
        )
    return steps


def as_names(variables, what: str = "variables") -> list[str] | None:
    """A ``variables=`` argument as a list of names: one name may be given as a string
    (``"Firms"``, not the letters of it); None stays None."""
    if variables is None or isinstance(variables, str):
        return None if variables is None else [variables]
    try:
        names = list(variables)
    except TypeError:
        names = None
    if names is None or not all(isinstance(v, str) for v in names):
        raise ArgumentError(f"`{what}` must be a name or a list of names, not {variables!r}")
    return names


def check_count(n, what: str = "n", minimum: int = 1, error: type = ArgumentError) -> int:
    """A whole number of runs (or samples, starts, levels) of at least ``minimum``: no bools,
    floats, NaN. The one check and wording of every count a public function takes; ``error``
    is the caller's error class (a subclass of :class:`~lifecycle.errors.LifecycleError`)."""
    if (
        isinstance(n, bool)
        or not isinstance(n, int)
        and not (hasattr(n, "__index__") and not isinstance(n, float))
    ):
        raise error(f"`{what}` must be a whole number >= {minimum}, not {n!r}")
    n = int(n)
    if n < minimum:
        raise error(f"`{what}` must be a whole number >= {minimum}, not {n}")
    return n


def check_seed(seed) -> int | None:
    """A sampling seed: None or a whole number in [0, 2**32 - 1], as numpy accepts."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise ArgumentError(f"seed must be a whole number in [0, 4294967295], not {seed!r}")
    if not 0 <= int(seed) <= 2**32 - 1:
        raise ArgumentError(f"seed must be in [0, 4294967295], not {fmt(int(seed))}")
    return int(seed)


def check_ensemble(model, scenario, runs: int, variables: int, *, what: str = "-n") -> None:
    """Refuse an ensemble of ``runs`` runs of ``model`` under ``scenario``'s settings whose
    steps or memory exceed the limits (:func:`check_size`), before any run starts."""
    settings = dict(getattr(scenario, "run_settings", None) or {})
    name = getattr(scenario, "name", None)
    check_size(
        model.control,
        **settings,
        variables=variables,
        model_variables=len(model.variables),
        runs=runs,
        where=f"{fmt(runs)} runs of '{name}'" if name else f"{fmt(runs)} runs",
        fewer_runs=what,
    )


def _positive(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value) and value > 0
    except OverflowError:  # a 400-digit integer
        return False


def run_table(run, where: str, text: str, problems: list[Problem]) -> dict[str, float]:
    """The ``[run]`` table of a scenario file: known keys, each a positive finite number;
    the problems (with their lines in ``text``) are appended to ``problems``."""
    settings: dict[str, float] = {}
    if not isinstance(run, dict):
        problems.append(Problem(where, "[run] must be a table", line_of(text, "run")))
        return settings
    for key, value in run.items():
        line = line_of(text, key, "run")
        if key not in RUN_KEYS:
            problems.append(
                Problem(
                    where,
                    f"unknown setting '{key}' in [run]",
                    line,
                    "use one of " + ", ".join(RUN_KEYS),
                )
            )
        elif not _positive(value):
            problems.append(
                Problem(where, f"[run] {key} must be a positive number, got {value!r}", line)
            )
        else:
            settings[key] = float(value)
    ts, ft = settings.get("time_step"), settings.get("final_time")
    if ts is not None and ft is not None and ts > ft:
        problems.append(Problem(where, "[run] time_step is larger than final_time", None))
    return settings


def settings_problems(
    model, settings: Mapping[str, float], where: str, line: int | None = None, **over
) -> list[Problem]:
    """What a run of ``model`` with these ``[run]`` settings (and overrides) would refuse:
    bad or drifting time settings, a one-row result, too many steps or too much memory
    (:mod:`lifecycle.limits`), as a Problem of ``where``."""
    given = {**settings, **{k: v for k, v in over.items() if v is not None}}
    try:
        check_size(
            model.control,
            **{k: given.get(k) for k in RUN_KEYS},
            variables=len(model.variables),
            where="[run]" if not over else "the run",
        )
    except SettingsError as exc:
        return [Problem(where, str(exc), line)]
    return []


def check_suffix(output: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    """``output`` as a path if its extension is one of ``suffixes`` (any case); else an
    :class:`~lifecycle.errors.ArgumentError` saying ``what`` is written there."""
    output = Path(output)
    if output.suffix.lower() not in suffixes:
        raise ArgumentError(f"-o {output}: {what} (fix: change the extension)")
    return output
