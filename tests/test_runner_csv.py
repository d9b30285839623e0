"""The fast CSV writers of ``lifecycle run`` write pandas' bytes exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lifecycle.runner import tidy, write_frame_csv, write_tidy_csv


def frames() -> dict[str, pd.DataFrame]:
    t = pd.Index([0.0, 0.125, 1 / 3, 80.0], name="time")
    a = pd.DataFrame(
        {
            "Firms": [1.0, 2.5e-12, 123456789.123, np.nan],
            'odd, "name"': [0.0, -1e300, np.inf, 1e-5],
        },
        index=t,
    )
    b = a * np.pi
    return {"baseline": a, "shock, with comma": b}


def test_frame_csv_is_pandas_to_csv_byte_for_byte(tmp_path):
    df = frames()["baseline"]
    df.to_csv(tmp_path / "pandas.csv", float_format="%.10g")
    write_frame_csv(df, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_tidy_csv_is_pandas_to_csv_byte_for_byte(tmp_path):
    results = frames()
    tidy(results).to_csv(tmp_path / "pandas.csv", index=False, float_format="%.10g")
    write_tidy_csv(results, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
