"""Calendar years in scenario files (issue 12): the ``[calendar]`` table.

Claims: a scenario with ``[calendar] year_zero = Y`` is run, staged and summarised in
calendar years, and a date constant written as a year is model time ``year - Y``; the
table is inherited through ``extends``; ``dates = "model"`` keeps dates in model time; every
mistake in the table is reported with the file, the line and a fix, exit code 2, and
nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from lifecycle.cli import cli
from lifecycle.errors import ScenarioError
from lifecycle.scenarios import load_scenario

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
ROOT = Path(__file__).resolve().parents[1]
SHOCK = (ROOT / "scenarios" / "disruptive_shock.toml").as_posix()


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dates_in_calendar_years_and_inheritance(tmp_path):
    region = _write(tmp_path, "region.toml", f'extends = "{SHOCK}"\n[calendar]\nyear_zero = 1960\n'
                    '[params]\n"disruptive shock year" = 2005\n"startup rate" = 0.1\n')  # fmt: skip
    scen = load_scenario(region)
    assert scen.params["disruptive shock year"] == 45.0  # 2005 - 1960
    assert scen.params["startup rate"] == 0.1  # not a date: unchanged
    child = _write(tmp_path, "child.toml", 'extends = "region.toml"\n[params]\n'
                   '"disruptive shock year" = 2010\n')  # fmt: skip
    assert load_scenario(child).calendar.year_zero == 1960.0
    assert load_scenario(child).params["disruptive shock year"] == 50.0
    model_dates = _write(tmp_path, "m.toml", '[calendar]\nyear_zero = 1960\ndates = "model"\n'
                         '[params]\n"disruptive shock year" = 45\n')  # fmt: skip
    assert load_scenario(model_dates).params["disruptive shock year"] == 45.0


def test_run_and_stages_are_in_calendar_years(tmp_path):
    region = _write(tmp_path, "region.toml", f'extends = "{SHOCK}"\n[calendar]\nyear_zero = 1960\n'
                    '[params]\n"disruptive shock year" = 2005\n')  # fmt: skip
    plain = _write(tmp_path, "plain.toml", f'extends = "{SHOCK}"\n[params]\n'
                   '"disruptive shock year" = 45\n')  # fmt: skip
    runner = CliRunner()
    out = {}
    for path in (region, plain):
        result = runner.invoke(cli, ["run", str(path), "-o", str(tmp_path / path.stem)])
        assert result.exit_code == 0, result.output
        out[path.stem] = pd.read_csv(tmp_path / path.stem / f"{path.stem}.csv", index_col=0)
    # the same run, its time axis shifted by the calendar
    assert (out["region"].index - out["plain"].index == 1960).all()
    assert (out["region"]["Employment"].to_numpy() == out["plain"]["Employment"].to_numpy()).all()
    stages = runner.invoke(cli, ["stages", str(region)])
    assert stages.exit_code == 0, stages.output
    starts = [float(line.split()[2]) for line in stages.stdout.splitlines()[1:] if line.strip()]
    assert starts[0] == 1960.0 and all(1960 <= s <= 2040 for s in starts)


def test_every_mistake_in_the_table_is_reported_with_its_line_and_fix(tmp_path):
    bad = _write(tmp_path, "bad.toml", '[calendar]\nyear_zer = 1960\ndates = "years"\n\n[params]\n'
                 '"disruptive shock year" = 1900\n')  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    text = [str(p) for p in err.value.problems]
    assert any(f"{bad}:2: unknown key 'year_zer'" in t and "did you mean 'year_zero'" in t
               for t in text)  # fmt: skip
    assert any(f"{bad}:1: [calendar] needs 'year_zero'" in t and "fix:" in t for t in text)
    assert any(f"{bad}:3: 'dates' must be" in t and "fix:" in t for t in text)
    for table in ("calendar = 1960\n", '[calendar]\nyear_zero = "1960"\n'):
        path = _write(tmp_path, "t.toml", table)
        with pytest.raises(ScenarioError, match=r"t.toml:[12]: .*(must be a table|must be a num)"):
            load_scenario(path)
    # a year outside the model's range names the year and its model time
    far = _write(tmp_path, "far.toml", '[calendar]\nyear_zero = 1960\n[params]\n'
                 '"disruptive shock year" = 1900\n')  # fmt: skip
    with pytest.raises(ScenarioError, match=r"far.toml:4: .*written as the year 1900, which is "
                       r"model time -60"):  # fmt: skip
        load_scenario(far)
    result = CliRunner().invoke(cli, ["run", str(bad), "-o", str(tmp_path / "never")])
    assert result.exit_code == 2 and "nothing was run or written" in result.output
    assert not (tmp_path / "never").exists()
