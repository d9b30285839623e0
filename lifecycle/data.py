"""Read observed series for calibration.

:func:`read_data` turns a CSV table (one row per observation time, one column per series)
into a DataFrame indexed by *model* time whose columns carry model variable names. Names
are matched as Vensim matches them: case, spaces and underscores do not matter. Missing
cells are allowed (a series may skip years); a column with no value at all, a non-numeric
cell or an empty file is an error that names the file, the line and the column.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._names import canonical, closest, did_you_mean
from .errors import DataError, UnknownParameterError

if TYPE_CHECKING:
    from .model import Model

__all__ = ["read_data"]

TIME_COLUMNS = ("time", "year")  # what time_column=None looks for
MISSING = {"", "na", "nan", "n/a", "null", "none", "-", "."}


def _closest(name: str, pool: Sequence[str]) -> str:
    hint = did_you_mean(closest(name, pool, cutoff=0.5))
    return "; " + hint if hint else ""


def _find_header(name: str, headers: list[str], path: Path, what: str) -> str:
    """The one header of ``headers`` that matches ``name`` in Vensim's sense."""
    hits = [h for h in headers if canonical(h) == canonical(name)]
    if not hits:
        raise DataError(
            f"{path}: no {what} '{name}' among the columns {headers}{_closest(name, headers)}"
        )
    if len(hits) > 1:
        raise DataError(
            f"{path}: {what} '{name}' is ambiguous: columns {hits} differ only in case, spaces "
            "or underscores (fix: rename one of them in the file)"
        )
    return hits[0]


def _parse_column(raw: pd.Series, column: str, path: Path) -> np.ndarray:
    values = np.full(len(raw), np.nan)
    for i, cell in enumerate(raw.tolist()):
        text = str(cell).strip()
        if text.lower() in MISSING:
            continue
        try:
            value = float(text.replace("_", "x"))  # float() accepts "1_000"; a CSV should not
        except ValueError:
            fix = "correct the cell, leave it empty for a missing value, or leave the column out"
            raise DataError.with_fix(
                f"{path}, line {i + 2}, column '{column}': '{text}' is not a number",
                f"{fix} with columns=...",
                f"{fix}: --map only the columns to fit",
            ) from None
        if not math.isfinite(value):
            raise DataError(f"{path}, line {i + 2}, column '{column}': '{text}' is not finite")
        values[i] = value
    return values


def _time_column(headers: list[str], path: Path) -> str:
    """The one header named ``time`` or ``year`` (any case)."""
    found = [h for h in headers if canonical(h) in TIME_COLUMNS]
    if len(found) != 1:
        what = "no column" if not found else f"columns {found}"
        raise DataError(
            f"{path}: {what} named {' or '.join(repr(c) for c in TIME_COLUMNS)} to take the "
            f"times from, among {headers} (fix: name the time column, time_column=... or "
            "--time-column)"
        )
    return found[0]


def read_data(
    path: str | os.PathLike,
    *,
    time_column: str | None = None,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    time_offset: float = 0.0,
    model: Model | None = None,
) -> pd.DataFrame:
    """Read observed series from a CSV file, indexed by model time.

    Parameters
    ----------
    path : str or path-like
        A comma-separated file with a header line (``.tsv``/``.tab``: tab-separated).
    time_column : str, optional
        The column that holds each observation's time (a year, say). Default: the column
        named ``time`` or ``year`` (any case; an error when neither or both are there).
    columns : list of str or dict, optional
        The columns to keep. A list keeps those columns under their own names; a dict maps
        a file column to a model variable name (``{"number_of_firms": "Firms"}``). Default:
        every column except the time column.
    time_offset : float, default 0
        The data time at which model time is 0: model time = data time - ``time_offset``.
        With ``time_offset=1962`` the year 1963 is model time 1.
    model : Model, optional
        When given, column names are resolved to the model's spelling of its variables,
        and a column that names no variable of the model is an error.

    Returns
    -------
    pandas.DataFrame
        Float columns (NaN where a value is missing), indexed by model time (``"time"``),
        sorted by time. ``df.attrs`` records the ``source`` file and the ``time_offset``.

    Raises
    ------
    DataError
        An empty file, an unknown or ambiguous column, a non-numeric cell, a missing or
        repeated time, or a series with no value at all.

    Examples
    --------
    >>> data = read_data("data/bass_colour_tv_sales.csv", time_column="year",
    ...                  columns={"sales_thousand_units": "adoption rate"},
    ...                  time_offset=1962)                           # doctest: +SKIP
    >>> data.index[0], data.columns[0]                               # doctest: +SKIP
    (1.0, 'adoption rate')
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty (fix: a header line, then one row per time)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a readable CSV file: {exc}") from None
    headers = [str(h).strip() for h in raw.columns]
    raw.columns = headers
    if raw.empty:
        raise DataError(f"{path} has a header but no data rows")

    tcol = _find_header(time_column or _time_column(headers, path), headers, path, "time column")
    if isinstance(columns, Mapping):
        wanted = {_find_header(c, headers, path, "column"): str(v) for c, v in columns.items()}
    elif columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        wanted = {_find_header(c, headers, path, "column"): str(c) for c in columns}
    else:
        wanted = {h: h for h in headers if h != tcol}
    wanted.pop(tcol, None)
    if not wanted:
        raise DataError(f"{path}: no data column besides the time column '{tcol}'")

    times = _parse_column(raw[tcol], tcol, path)
    missing_t = np.flatnonzero(np.isnan(times))
    if missing_t.size:
        raise DataError(f"{path}, line {missing_t[0] + 2}: the time column '{tcol}' is empty")
    if np.unique(times).size != times.size:
        raise DataError(f"{path}: repeated times in column '{tcol}'")

    out: dict[str, np.ndarray] = {}
    by_key: dict[str, str] = {}
    for header, name in wanted.items():
        if model is not None:
            try:
                name = model.resolve(name)
            except UnknownParameterError as exc:
                raise DataError.with_fix(
                    f"{path}: column '{header}' matches no variable of {model.name}"
                    f"{_closest(name, model.variables)}",
                    f"map it to a variable, e.g. columns={{'{header}': 'VARIABLE'}}",
                    f"map it to a variable, e.g. --map '{header}=VARIABLE', or leave it out "
                    "by mapping only the columns to fit",
                ) from exc
        key = canonical(name)
        if key in by_key:
            raise DataError(
                f"{path}: columns '{by_key[key]}' and '{header}' both map to '{name}' "
                "(ambiguous: keep one)"
            )
        by_key[key] = header
        values = _parse_column(raw[header], header, path)
        if np.all(np.isnan(values)):
            raise DataError(f"{path}: column '{header}' has no values (all missing)")
        out[name] = values

    index = pd.Index(times - float(time_offset), name="time")
    df = pd.DataFrame(out, index=index).sort_index()
    df.attrs["source"] = str(path)
    df.attrs["time_offset"] = float(time_offset)
    df.attrs["columns"] = {name: by_key[canonical(name)] for name in out}
    return df
