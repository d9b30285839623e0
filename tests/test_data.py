"""read_data: observed series indexed by model time, columns named after model variables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lifecycle.data import read_data
from lifecycle.errors import DataError
from lifecycle.model import load_model

ROOT = Path(__file__).resolve().parents[1]
BASS = ROOT / "models" / "bass_diffusion.mdl"
TV = ROOT / "data" / "bass_colour_tv_sales.csv"
UK = ROOT / "data" / "uk_motor_car_firms_1897_1956.csv"


def write(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_colour_tv_sales_land_on_model_time_one_to_eight():
    data = read_data(
        TV,
        time_column="year",
        columns={"sales_thousand_units": "adoption rate"},
        time_offset=1962,
    )
    assert list(data.columns) == ["adoption rate"]
    assert data.index.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert data["adoption rate"].iloc[0] == 747.0
    assert data["adoption rate"].max() == 5982.0
    assert data.attrs["columns"] == {"adoption rate": "sales_thousand_units"}


def test_columns_resolve_to_model_spelling_ignoring_case_spaces_underscores(tmp_path):
    path = write(tmp_path, "Year,ADOPTION_RATE, potential adopters\n0,1,10\n1,2,\n2,,8\n")
    data = read_data(path, time_column="year", model=load_model(BASS))
    assert list(data.columns) == ["adoption rate", "Potential Adopters"]
    assert np.isnan(data.loc[1.0, "Potential Adopters"])  # missing values are allowed
    assert data["adoption rate"].count() == 2


def test_uk_series_with_missing_first_entries_reads_all_ten_dates():
    data = read_data(UK, time_column="year", time_offset=1897)
    assert data.index[0] == 0.0 and data.index[-1] == 59.0
    assert data["number_of_firms"].max() == 88.0
    assert data.loc[25.0, "number_of_firms"] == 88.0  # 1922: the peak
    assert np.isnan(data["entries_since_previous_date"].iloc[0])


def test_rows_are_sorted_by_time(tmp_path):
    path = write(tmp_path, "time,x\n3,30\n1,10\n2,20\n")
    assert read_data(path, time_column="time")["x"].tolist() == [10.0, 20.0, 30.0]


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {}, "is empty"),
        ("time,x\n", {}, "no data rows"),
        ("time,x\n0,1\n1,lots\n", {}, r"line 3, column 'x': 'lots' is not a number"),
        ("time,x,y\n0,1,\n1,2,\n", {}, "column 'y' has no values"),
        ("time,x\n0,1\n", {"columns": ["sales"]}, "no column 'sales'"),
        ("time,Sales,sales\n0,1,2\n", {"columns": ["SALES"]}, "ambiguous"),
        ("t,x\n0,1\n", {}, "no time column 'time'"),
        ("time,x\n0,1\n0,2\n", {}, "repeated times"),
        ("time,x\n0,1\n,2\n", {}, "time column 'time' is empty"),
    ],
)
def test_bad_files_raise_data_error_naming_the_problem(tmp_path, text, kwargs, match):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=match):
        read_data(path, time_column="time", **kwargs)


def test_a_column_that_names_no_variable_is_an_error_with_a_suggestion(tmp_path):
    path = write(tmp_path, "time,adoptrs\n0,1\n")
    with pytest.raises(DataError, match="matches no variable.*did you mean 'Adopters'"):
        read_data(path, time_column="time", model=load_model(BASS))


def test_two_columns_for_one_variable_are_ambiguous(tmp_path):
    path = write(tmp_path, "time,a,b\n0,1,2\n")
    with pytest.raises(DataError, match="both map to 'Adopters'"):
        read_data(
            path,
            time_column="time",
            columns={"a": "Adopters", "b": "adopters"},
            model=load_model(BASS),
        )


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_data(tmp_path / "nope.csv", time_column="time")
