"""The one TOML line lookup (``_readers.line_of``) that scenario and uncertain files share."""

from __future__ import annotations

import pytest

from lifecycle._readers import line_of
from lifecycle.errors import ScenarioError
from lifecycle.uncertain import load_uncertain

TEXT = """description = "x"
[uncertain]
"imitation rate" = {dist = "uniform", min = 0, max = 1}
'spin-off rate' = {dist = "uniform", min = 0, max = 1}
X1 = {dist = "uniform", min = 0, max = 1}
[uncertain . "fund multiple"]
dist = "normal"
[uncertain.X2]
dist = "uniform"
"""


def test_keys_are_found_in_their_table_quoted_bare_or_as_a_table_of_their_own():
    assert line_of(TEXT, "description") == 1
    assert line_of(TEXT, "uncertain") == 2
    assert line_of(TEXT, "imitation rate", "uncertain") == 3
    assert line_of(TEXT, "spin-off rate", "uncertain") == 4
    assert line_of(TEXT, "X1", "uncertain") == 5
    assert line_of(TEXT, "fund multiple", "uncertain") == 6  # [table."key"] header
    assert line_of(TEXT, "X2", "uncertain") == 8
    assert line_of(TEXT, "X1") is None  # not at the top level
    assert line_of(TEXT, "dist", "uncertain") is None  # only in the sub-tables


def test_an_uncertain_entry_written_as_a_table_gets_its_header_line(tmp_path, linear):
    path = tmp_path / "u.toml"
    path.write_text('[uncertain]\nX1 = {dist = "uniform", min = 0, max = 1}\n'
                    '[uncertain.X2]\ndist = "uniform"\nmin = 0.6\nmax = 0.2\n')  # fmt: skip
    with pytest.raises(ScenarioError) as info:
        load_uncertain(path, linear)
    [problem] = info.value.problems
    assert problem.line == 3 and "min = 0.6 is not below max = 0.2" in problem.message
