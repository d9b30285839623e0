"""The CSV files of ``lifecycle run``, written fast and byte for byte as pandas writes them.

``DataFrame.to_csv(float_format="%.10g")`` formats each value through several Python
calls; for the 17 scenarios' ``combined.csv`` (two million rows) that is seconds. Here each
block of numbers (a whole frame, or one variable of one scenario) is formatted by a single
``%`` operation on a template: the same ``"%.10g"`` pandas applies, so the same bytes, and
``pandas.read_csv`` reads back the same numbers as from pandas' own file. Text fields are
quoted by the :mod:`csv` module, as pandas does. A block holding NaN (written as an empty
field, like pandas) takes the per-value path.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

_G10 = "%.10g"


def _g10(values) -> list[str]:
    """Numbers as ``DataFrame.to_csv(float_format="%.10g")`` writes them (NaN as '')."""
    return [_G10 % v if v == v else "" for v in np.asarray(values, dtype=float).tolist()]


def _field(text: str) -> str:
    """``text`` as one CSV field, quoted where the :mod:`csv` module (and pandas) quotes."""
    if not text:
        return ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text])
    return buf.getvalue()[:-1]


def _header(fields) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(list(fields))
    return buf.getvalue()


def write_frame_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """``df.to_csv(path, float_format="%.10g")`` for a float frame, byte for byte."""
    table = np.column_stack([df.index.to_numpy(dtype=float), df.to_numpy(dtype=float)])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(_header([df.index.name or "", *map(str, df.columns)]))
        if not np.isnan(table).any():
            row = ",".join([_G10] * table.shape[1]) + "\n"
            fh.write((row * table.shape[0]) % tuple(table.ravel().tolist()))
            return
        for values in table.tolist():
            fh.write(",".join(_g10(values)) + "\n")


def write_tidy_csv(results: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """``tidy(results).to_csv(path, index=False, float_format="%.10g")``, byte for byte,
    without building the long table (two million rows for the scenarios)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write("scenario,time,variable,value\n")
        for name, df in results.items():
            times = _g10(df.index.to_numpy())
            lead = _field(str(name))
            # one template per scenario; "\0" stands for the variable, "%%" for a literal %
            escaped = lead.replace("%", "%%")
            template = "".join(f"{escaped},{t},\0,{_G10}\n" for t in times)
            for var, values in zip(df.columns, df.to_numpy(dtype=float).T, strict=True):
                field = _field(str(var))
                if "\0" in lead or "\0" in field or np.isnan(values).any():
                    fh.writelines(
                        f"{lead},{t},{field},{v}\n"
                        for t, v in zip(times, _g10(values), strict=True)
                    )
                    continue
                fh.write(template.replace("\0", field.replace("%", "%%")) % tuple(values.tolist()))
