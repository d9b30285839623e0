"""Life-cycle stages of a trajectory: embryonic, growth, maturity, decline, rejuvenation.

The classifier works on any time series of a size measure (number of firms, employment,
members...), from a model run or from observed data, with even or uneven time steps. It
looks at two smoothed quantities at every time point:

* the **level** ``s(t)``: a local linear fit of the values within ``smooth_years`` around t;
* the **slope** ``ds/dt``: the slope of a local linear fit over the same window (widened to
  at least one neighbour on each side, so that sparse series have one), from which come the
  **growth rate** ``g = (ds/dt) / s`` (relative growth, per year) and the **fall rate**
  ``f = (ds/dt) / peak`` where ``peak`` is the highest ``s`` so far (a loss per year as a
  share of the peak; it does not blow up when a collapsed series nears zero).

Each is also estimated on the trailing half window ``[t - smooth_years / 2, t]``, and a
point counts as growing (or falling, or below the peak) only when the centred and the
trailing estimates agree. A centred window alone would label a shock up to half a window
before it happens; with both, a jump is labelled when it happens and a smooth turning point
up to about a quarter window late. Where the trailing window holds fewer than two
observations (sparse data such as a census every few years), the centred estimate is used.

Each point is labelled, in this order of precedence:

1. **embryonic** (only at the start, before any other stage): the level is below
   ``embryonic_share`` of the reference size and it is not yet growing fast in absolute
   terms (``ds/dt`` below ``embryonic_speed`` of the reference size per year);
2. **decline**: ``f <= -decline_rate`` (falling fast), or the level is more than
   ``decline_drop`` below the peak so far without growth ``g >= growth_rate`` (a cluster
   that has shrunk and not recovered stays in decline, even if its size is flat);
3. **growth** / **rejuvenation**: ``g >= growth_rate``; called rejuvenation once a decline
   has occurred earlier (growth after a decline);
4. **maturity**: anything else (near the peak so far, low growth either way).

Runs of labels shorter than ``min_duration`` are then merged into their neighbours so that
the sequence is readable (a two-year blip of regrowth inside a long decline is not a
rejuvenation: rejuvenation means *sustained* growth). A run shorter than that between two
different stages is split at its middle; between two equal ones it is absorbed.

A sustained rejuvenation starts a new cycle: from its first point on, "the peak so far" is
the peak reached since the rejuvenation began, so a cluster that recovers to a new, lower
plateau is mature again rather than still "10 % below its old peak".

Look-ahead. The labels at time t use data up to ``t + smooth_years / 2`` (the centred
smoothing window; one further observation for sparse series) and change only once the
trailing window confirms the change, with one documented
exception: the reference size for the embryonic test is by default the eventual peak of the
smoothed series (embryonic means "small compared with what the cluster becomes", which is
only known in hindsight). Pass ``reference=`` (for example a market capacity) to make that
test causal too. Merging short runs also uses up to ``min_duration`` of later labels.

Thresholds are rates per unit of time; with time in years they are per year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._names import find
from .errors import DataError

#: Stage names, in their usual order.
STAGE_NAMES = ("embryonic", "growth", "maturity", "decline", "rejuvenation")

# --- thresholds (all overridable by keyword in classify/stage_sequence) --------------------
#: Width (years) of the centred smoothing window for level and growth rate. Five years damps
#: year-to-year noise in observed series but keeps turning points within about 2.5 years.
SMOOTH_YEARS = 5.0
#: Relative growth above this rate (3 % a year) is growth; below it, maturity.
#: Industry employment grows about 1-2 % a year in mature sectors (OECD averages), so 3 %
#: separates a cluster that is still expanding from one that merely keeps pace.
GROWTH_RATE = 0.03
#: Falling faster than this (3 % of the peak per year) is decline even near the peak.
DECLINE_RATE = 0.03
#: A level more than 10 % below the peak so far, without regrowth, is decline. The smoothed
#: level of a mature cluster stays within a few percent of its plateau, so a lasting loss of
#: a tenth is a trend, not noise (Klepper's shakeouts cut firm numbers by far more: 83-97 %).
DECLINE_DROP = 0.10
#: Embryonic while the level is below 10 % of the reference size...
EMBRYONIC_SHARE = 0.10
#: ...and its absolute growth is below 2 % of the reference size per year (not yet fast).
EMBRYONIC_SPEED = 0.02
#: Stages shorter than this (years) are merged into their neighbours.
MIN_DURATION = 3.0

_DEFAULTS = {
    "smooth_years": SMOOTH_YEARS,
    "growth_rate": GROWTH_RATE,
    "decline_rate": DECLINE_RATE,
    "decline_drop": DECLINE_DROP,
    "embryonic_share": EMBRYONIC_SHARE,
    "embryonic_speed": EMBRYONIC_SPEED,
    "min_duration": MIN_DURATION,
}


@dataclass(frozen=True)
class Stage:
    """One life-cycle stage: ``name`` from ``start`` to ``end`` (times, e.g. years).

    Consecutive stages share their boundary: one stage's ``end`` is the next one's ``start``.
    """

    name: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        """Length of the stage, ``end - start``."""
        return self.end - self.start


def _check(time: Iterable[float], values: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    try:
        t = np.asarray(time, dtype=float).ravel()
        y = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"time and values must be numeric: {exc}") from None
    if t.size != y.size:
        raise DataError(f"time has {t.size} points but values has {y.size}; they must match")
    if t.size < 3:
        raise DataError(f"at least 3 points are needed to classify stages, got {t.size}")
    for label, arr in (("time", t), ("values", y)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise DataError(
                f"{label} has {bad.size} missing or infinite entries (first at position "
                f"{bad[0]}); drop or fill them before classifying"
            )
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise DataError(
            f"time must be strictly increasing, but time[{i + 1}] = {t[i + 1]:g} follows "
            f"time[{i}] = {t[i]:g}; sort the series and remove duplicate times"
        )
    if np.any(y < 0):
        raise DataError(
            f"values must be a non-negative size measure (firms, jobs...), found {y.min():g}"
        )
    return t, y


def _local_fits(t: np.ndarray, y: np.ndarray, half: float) -> np.ndarray:
    """Levels and slopes of local linear fits, as rows of one array.

    Rows: centred level (points in ``[t - half, t + half]``; one point: the value itself),
    centred slope (window widened to at least one neighbour on each side, so that sparse
    series get a slope), trailing level and trailing slope (points in ``[t - half, t]``; where
    that window holds fewer than two points, the centred values are used).
    Window sums come from cumulative sums: O(n) for long model outputs.
    """
    n = t.size
    tc = t - t.mean()
    cs = [np.concatenate(([0.0], np.cumsum(a))) for a in (np.ones(n), tc, y, tc * tc, tc * y)]
    idx = np.arange(n)
    lo = np.searchsorted(t, t - half * (1 + 1e-12), side="left")
    hi = np.searchsorted(t, t + half * (1 + 1e-12), side="right")

    def fit(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s0, s1, sy, s2, s1y = (c[hi] - c[lo] for c in cs)
        sxx = s2 - s1 * s1 / s0
        sxy = s1y - s1 * sy / s0
        ok = sxx > 1e-12 * np.maximum(s2, 1.0)
        slope = np.where(ok, sxy / np.where(ok, sxx, 1.0), 0.0)
        level = sy / s0 + slope * (tc - s1 / s0)
        return level, slope

    level, _ = fit(lo, hi)
    _, slope = fit(np.clip(np.minimum(lo, idx - 1), 0, n), np.clip(np.maximum(hi, idx + 2), 0, n))
    level_b, slope_b = fit(lo, idx + 1)
    sparse = idx + 1 - lo < 2
    level_b = np.where(sparse, level, level_b)
    slope_b = np.where(sparse, slope, slope_b)
    return np.maximum(
        np.vstack([level, slope, level_b, slope_b]), [[0.0], [-np.inf], [0.0], [-np.inf]]
    )


def _runs(labels: list[str]) -> list[list]:
    """[name, first index, last index] of each run of equal labels."""
    runs: list[list] = []
    for i, name in enumerate(labels):
        if runs and runs[-1][0] == name:
            runs[-1][2] = i
        else:
            runs.append([name, i, i])
    return runs


def _merge_runs(labels: list[str], t: np.ndarray, min_duration: float) -> list[str]:
    """Relabel runs shorter than ``min_duration`` until none is left (or one run remains)."""
    labels = list(labels)
    n = len(labels)

    def duration(run: list) -> float:
        return t[min(run[2] + 1, n - 1)] - t[run[1]]

    while True:
        runs = _runs(labels)
        if len(runs) < 2:
            return labels
        k = min(range(len(runs)), key=lambda j: (duration(runs[j]), j))
        if duration(runs[k]) >= min_duration:
            return labels
        name, i, j = runs[k]
        prev = runs[k - 1][0] if k > 0 else None
        nxt = runs[k + 1][0] if k + 1 < len(runs) else None
        if prev is None or nxt is None or prev == nxt:
            fill = [prev or nxt] * (j - i + 1)
        else:  # split at the middle of the short run's time span
            mid = 0.5 * (t[i] + t[min(j + 1, n - 1)])
            fill = [prev if t[m] < mid else nxt for m in range(i, j + 1)]
        labels[i : j + 1] = fill


def classify(
    time: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    *,
    reference: float | None = None,
    **thresholds: float,
) -> list[Stage]:
    """Classify a trajectory into life-cycle stages.

    Parameters
    ----------
    time : array_like
        Strictly increasing times (years); uneven steps are fine.
    values : array_like
        Non-negative size measure at those times (firms, employment...), no NaN.
    reference : float, optional
        Size that "small" is measured against in the embryonic test. Default: the eventual
        peak of the smoothed series (the one documented look-ahead).
    **thresholds : float
        Overrides of the module constants, by lower-case name: ``smooth_years``,
        ``growth_rate``, ``decline_rate``, ``decline_drop``, ``embryonic_share``,
        ``embryonic_speed``, ``min_duration``.

    Returns
    -------
    list of Stage
        Consecutive stages covering ``time[0]`` to ``time[-1]``; adjacent stages differ.

    Raises
    ------
    DataError
        Length mismatch, NaN/inf, fewer than 3 points, non-increasing time, negative values,
        or an unknown threshold name.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 80.0, 0.25)
    >>> [s.name for s in classify(t, 1000 / (1 + np.exp(-0.25 * (t - 25))))]
    ['embryonic', 'growth', 'maturity']
    """
    unknown = sorted(set(thresholds) - set(_DEFAULTS))
    if unknown:
        raise DataError(
            f"unknown threshold {', '.join(map(repr, unknown))}; allowed: "
            + ", ".join(sorted(_DEFAULTS))
        )
    p = {**_DEFAULTS, **{k: float(v) for k, v in thresholds.items()}}
    t, y = _check(time, values)
    fits = _local_fits(t, y, p["smooth_years"] / 2)
    ref = float(fits[0].max()) if reference is None else float(reference)

    labels = _merge_short(_label_points(fits, 0, ref, p), t, p["min_duration"])
    # A sustained rejuvenation starts a new cycle: from its first point on, maturity and
    # decline are judged against the peak reached since then, not the old peak.
    done = 0
    while True:
        starts = [i for name, i, _ in _runs(labels) if name == "rejuvenation" and i > done]
        if not starts:
            break
        done = starts[0]
        labels = labels[:done] + _label_points(fits, done, ref, p)
        labels = _merge_short(labels, t, p["min_duration"])
    runs = _runs(labels)
    return [Stage(name, float(t[i]), float(t[min(j + 1, t.size - 1)])) for name, i, j in runs]


def _label_points(fits: np.ndarray, start: int, ref: float, p: dict[str, float]) -> list[str]:
    """Point labels from index ``start`` on; ``start > 0`` begins a new cycle after a decline.

    Growth needs both the centred and the trailing slope to be high enough, decline needs
    both to say so: a stage never changes before the change shows in the trailing window.
    """
    level, slope, level_b, slope_b = fits[:, start:]
    peak = np.maximum.accumulate(level)
    rising, falling = np.minimum(slope, slope_b), np.maximum(slope, slope_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(level > 0, rising / level, 0.0)  # relative growth rate
        fall = np.where(peak > 0, falling / peak, 0.0)  # change as a share of the peak
    low = np.maximum(level, level_b) < (1 - p["decline_drop"]) * peak
    labels: list[str] = []
    early, declined = start == 0, start > 0
    for k in range(peak.size):
        if ref <= 0:
            labels.append("embryonic")  # nothing has emerged (an all-zero series)
            continue
        small = level[k] < p["embryonic_share"] * ref
        if early and small and rising[k] < p["embryonic_speed"] * ref:
            labels.append("embryonic")
            continue
        early = False
        if fall[k] <= -p["decline_rate"] or (low[k] and g[k] < p["growth_rate"]):
            name = "decline"
        elif g[k] >= p["growth_rate"]:
            name = "rejuvenation" if declined else "growth"
        else:
            name = "maturity"
        labels.append(name)
        declined = declined or name == "decline"
    return labels


def _merge_short(labels: list[str], t: np.ndarray, min_duration: float) -> list[str]:
    """Relabel runs shorter than ``min_duration`` until none is left (or one run remains).

    Merging can remove the decline before a growth run, or leave growth after one: the
    names are then corrected (rejuvenation is growth with a decline somewhere before it).
    """
    labels = _merge_runs(labels, t, min_duration)
    seen_decline = False
    for i, name in enumerate(labels):
        if name == "rejuvenation" and not seen_decline:
            labels[i] = "growth"
        elif name == "growth" and seen_decline:
            labels[i] = "rejuvenation"
        seen_decline = seen_decline or name == "decline"
    return labels


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    column = name if name in df.columns else find(name, df.columns)
    if column is None:
        raise DataError(
            f"no column '{name}' in the data; columns are: " + ", ".join(map(str, df.columns))
        )
    return df[column]


def stage_sequence(
    df: pd.DataFrame,
    variables: str | Sequence[str] = ("Firms", "Employment"),
    *,
    how: str = "index",
    reference: float | None = None,
    scale: Mapping[str, float] | None = None,
    **thresholds: float,
) -> list[Stage]:
    """Stages of a run (or observed data) from one or several of its series.

    Parameters
    ----------
    df : pandas.DataFrame
        Indexed by time (as returned by ``Model.run``); columns are variables (names matched
        exactly, then ignoring case, spaces and underscores).
    variables : str or sequence of str
        The series to use. Default: firms and employment.
    how : {"index", "first"}
        ``"index"`` (default): classify a size index, the mean of the series each divided by
        its own peak, so that every series weighs the same (firms and employment each count
        for half; when firms stay flat and jobs double, the index grows by half).
        ``"first"``: classify the first series alone.
    reference : float, optional
        Passed to :func:`classify`; for ``how="index"`` it is on the index scale (0-1).
    scale : mapping of str to float, optional
        For ``how="index"``: divide each series by this value instead of its own peak.
        Comparing scenarios, pass the baseline's peaks, so that runs with the same history
        get the same stages until they part (each run's own peak would make "small", the
        embryonic test, depend on where the run ends up).
    **thresholds : float
        Passed to :func:`classify`.

    Returns
    -------
    list of Stage

    Raises
    ------
    DataError
        Missing columns, an unknown ``how``, or bad data (see :func:`classify`).
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise DataError("give at least one variable to classify")
    if how not in ("index", "first"):
        raise DataError(f"how must be 'index' or 'first', not {how!r}")
    series = [_column(df, v).to_numpy(dtype=float) for v in names]
    try:
        time = df.index.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"the data must be indexed by numeric time (years), not {df.index.dtype}"
        ) from None
    if how == "first" or len(series) == 1:
        values = series[0]
    else:
        tops = [
            float(scale[name]) if scale and name in scale else float(np.max(s)) if s.size else 0.0
            for name, s in zip(names, series, strict=True)
        ]
        values = np.mean(
            [s / top if top > 0 else s for s, top in zip(series, tops, strict=True)], axis=0
        )
    return classify(time, values, reference=reference, **thresholds)


def stage_table(stages: Sequence[Stage]) -> pd.DataFrame:
    """The stages as a table with columns ``stage, start, end, duration``."""
    return pd.DataFrame(
        {
            "stage": [s.name for s in stages],
            "start": [s.start for s in stages],
            "end": [s.end for s in stages],
            "duration": [s.duration for s in stages],
        }
    )


def describe(stages: Sequence[Stage], *, sep: str = " > ") -> str:
    """A one-line sequence such as ``"embryonic > growth > maturity"`` for summary tables."""
    return sep.join(s.name for s in stages)
