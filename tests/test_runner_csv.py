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
    # finite blocks take the one-template path, NaN blocks the per-value path: cover both
    c = pd.DataFrame(
        {"50% share": [0.1, 1 / 7, -2.0, 3e21], "Trust": [1.0, 0.5, np.nan, 2.0]},
        index=t,
    )
    return {"baseline": a, "shock, with comma": b, 'rate=5% "quoted"': c}


def test_frame_csv_is_pandas_to_csv_byte_for_byte(tmp_path):
    finite = frames()["baseline"].fillna(7.0).replace(np.inf, 1e308)
    finite.columns = ["Firms", '50% "odd", name']
    for k, df in enumerate([frames()["baseline"], finite, finite.rename_axis(None)]):
        df.to_csv(tmp_path / f"pandas{k}.csv", float_format="%.10g")
        write_frame_csv(df, tmp_path / f"fast{k}.csv")
        expected = (tmp_path / f"pandas{k}.csv").read_bytes()
        assert (tmp_path / f"fast{k}.csv").read_bytes() == expected


def test_csv_of_a_real_run_reads_back_the_same_numbers_as_pandas(tmp_path, bass):
    """The model's own numbers (the finite, one-template path), against pandas' bytes."""
    from lifecycle import run

    results = {"baseline": run(bass), "other": run(bass, params={"imitation coefficient": 0.3})}
    write_tidy_csv(results, tmp_path / "fast.csv")
    tidy(results).to_csv(tmp_path / "pandas.csv", index=False, float_format="%.10g")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    back = pd.read_csv(tmp_path / "fast.csv")
    assert len(back) == sum(df.size for df in results.values())


def test_tidy_csv_is_pandas_to_csv_byte_for_byte(tmp_path):
    results = frames()
    tidy(results).to_csv(tmp_path / "pandas.csv", index=False, float_format="%.10g")
    write_tidy_csv(results, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
