"""A model file lifecycle cannot use is one error: the file, the equation and its line, the
fix; exit 2, nothing written, no traceback, never PySD's internals or the cache path
(issue 8: "model-file errors show PySD internals (``decode() argument 'encoding' must be
str``, or just ``'market_size'``) and cache paths").

Each bad model is the small SIR test model with one thing broken; every case failed before
:mod:`lifecycle._mdl` (PySD's message, a traceback, or a silent mistranslation).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle import load_model
from lifecycle.cli import cli
from lifecycle.errors import ModelNotFoundError, ModelParseError

ROOT = Path(__file__).resolve().parents[1]
SIR = (ROOT / "tests" / "models" / "sir.mdl").read_text(encoding="utf-8")
#: what PySD (or parsimonious, or the cache) says, which a user must never see
INTERNALS = ("decode()", "Traceback", "Rule '", ".tmp-", "_control_vars", "KeyError",
             "not_implemented_function", "site-packages")  # fmt: skip


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _sir(old: str, new: str) -> str:
    assert old in SIR
    return SIR.replace(old, new, 1)


def _cut() -> str:
    return SIR[: SIR.index("Susceptible*Infectious") + 15]


#: name -> (file content, expected line or None, words the message must hold)
CASES = {
    "binary": (bytes(range(256)) * 4, None, ["is a binary file", "fix:"]),
    # binary without a NUL byte (a cut piece of a .vpm, random bytes): still binary, not
    # "Latin-1 or Windows-1252?"
    "binary_no_nul": (
        bytes(b for b in random.Random(8).randbytes(600) if b),
        None,
        ["is a binary file"],
    ),
    "latin1": (
        _sir("{UTF-8}\n", "").replace("Duration", "Durée").encode("latin-1"),
        _line(_sir("{UTF-8}\n", ""), "Duration"),
        ["not UTF-8", "0xe9", "save the model as UTF-8"],
    ),
    "empty": (b"", None, ["holds no equations"]),
    "only_header": (b"{UTF-8}\n\n", None, ["holds no equations"]),
    "truncated": (_cut(), _line(SIR, "Succumbing="), ["'Succumbing'", "no closing '|'", "cut off"]),
    "missing_bar": (
        _sir("How long are you infectious for?\n\t|", "How long are you infectious for?\n"),
        _line(SIR, "Duration="),
        ["'Duration'", "missing '|'"],
    ),
    "undefined_name": (
        _sir("Infectious/Duration", "Infectious/market_size"),
        _line(SIR, "Infectious/Duration"),
        ["'Recovering' uses 'market_size'", "no equation of the model defines"],
    ),
    "undefined_spaced_name": (
        _sir("Infectious/Duration", "Infectious/Market Size"),
        _line(SIR, "Infectious/Duration"),
        ["'Recovering' uses 'Market Size'"],
    ),
    "syntax_error": (
        _sir("Infectious/Duration", "Infectious/(Duration"),
        _line(SIR, "Infectious/Duration"),
        ["equation of 'Recovering' cannot be read", "'(' without its ')'"],
    ),
    "operator_error": (
        _sir("Infectious/Duration", "Infectious/ * Duration"),
        _line(SIR, "Infectious/Duration"),
        ["equation of 'Recovering' cannot be read"],
    ),
    "unsupported_function": (
        _sir("Infectious/Duration", "Infectious/Duration + NPV(Infectious, 0.1, 0, 1)"),
        _line(SIR, "Infectious/Duration"),
        ["'Recovering' uses NPV", "does not implement"],
    ),
    "external_file": (
        _sir("Infectious/Duration", "GET DIRECT CONSTANTS('x.csv', ',', 'B2')"),
        _line(SIR, "Infectious/Duration"),
        ["GET DIRECT CONSTANTS", "external file"],
    ),
    "no_final_time": (
        _sir("FINAL TIME  = 100", "LAST TIME = 100"),
        None,
        ["no equation for FINAL TIME"],
    ),
    "incomplete": (
        _sir("Infectious/Duration", "A FUNCTION OF(Infectious, Duration)"),
        _line(SIR, "Infectious/Duration") - 1,
        ["'Recovering' has no equation"],
    ),
}


def _write(folder: Path, name: str, content) -> Path:
    path = folder / f"{name}.mdl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _refused(folder: Path, args: list, where: str) -> str:
    """``lifecycle ARGS`` run in ``folder``: exit 2, one error naming ``where``, nothing
    written, no internals."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        before = sorted(p.name for p in folder.iterdir())
        result = CliRunner().invoke(cli, [str(a) for a in args])
        after = sorted(p.name for p in folder.iterdir())
    finally:
        os.chdir(old)
    assert result.exit_code == 2, (args, result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    err = result.stderr
    assert f"error: {where}".lower() in err.lower(), err  # click's own: "Error: "
    for word in (*INTERNALS, os.environ["LIFECYCLE_CACHE"]):
        assert word not in result.output, (word, result.output)
    assert before == after, f"{args} wrote {set(after) - set(before)}"
    return err


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_model_file_is_one_error_naming_the_file_line_and_fix(case, tmp_path):
    content, line, words = CASES[case]
    _write(tmp_path, case, content)
    (tmp_path / "s.toml").write_text('name = "s"\n', encoding="utf-8")
    where = f"{case}.mdl:{line}: " if line else f"{case}.mdl: "
    err = _refused(tmp_path, ["run", "s.toml", "--model", f"{case}.mdl", "-o", "out"], where)
    for word in words:
        assert word in err, (word, err)
    assert "(fix: " in err
    with pytest.raises(ModelParseError) as exc:  # the Python API says the same
        load_model(tmp_path / f"{case}.mdl")
    assert str(exc.value).replace(str(tmp_path) + os.sep, "") in err


def test_a_folder_given_as_the_model_is_named(tmp_path):
    (tmp_path / "m.mdl").mkdir()
    (tmp_path / "s.toml").write_text('name = "s"\nmodel = "m.mdl"\n', encoding="utf-8")
    err = _refused(tmp_path, ["run", "s.toml", "--model", "m.mdl"], "")
    assert "'m.mdl' is a directory" in err
    err = _refused(tmp_path, ["validate", "s.toml"], "s.toml:2: ")
    assert "is a folder, not a model file" in err
    with pytest.raises(ModelParseError, match="is a folder, not a model file"):
        load_model(tmp_path / "m.mdl")
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "absent.mdl")


def test_a_latin1_file_that_names_its_encoding_is_read(tmp_path):
    text = _sir("{UTF-8}", "{windows-1252}").replace("Duration", "Durée")
    path = tmp_path / "cp.mdl"
    path.write_bytes(text.encode("cp1252"))
    assert "Durée" in load_model(path).parameters  # PySD alone silently made it "Dure"


COMMANDS = [
    ["run", "s.toml"],
    ["compare", "s.toml"],
    ["stages", "s.toml"],
    ["validate", "s.toml"],
    ["params"],
    ["vars"],
    ["montecarlo", "s.toml", "--uncertain", "u.toml", "-n", "4"],
    ["sensitivity", "s.toml", "--uncertain", "u.toml", "--metric", "final(Infectious)"],
    ["calibrate", "d.csv", "--param", "Duration=1:9", "-o", "fit.toml"],
    ["check", "c.toml"],
    ["loops", "s.toml"],
    ["diagram", "-o", "d.svg"],
    ["doc", "-o", "d.html"],
    ["export", "--xmile", "-o", "d.xmile"],
]


@pytest.mark.parametrize("case", ["binary", "undefined_name", "truncated"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_every_command_with_a_model_reports_a_bad_model_the_same_way(args, case, tmp_path):
    content, line, words = CASES[case]
    _write(tmp_path, case, content)
    (tmp_path / "s.toml").write_text('name = "s"\n', encoding="utf-8")
    (tmp_path / "u.toml").write_text(
        '[uncertain]\nDuration = {dist = "uniform", min = 4, max = 6}\n', encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("time,Infectious\n0,5\n1,6\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[[check]]\nname = "c"\nclaim = "x"\nexpect = "final(Infectious) > 0"\n',
        encoding="utf-8",
    )
    where = f"{case}.mdl:{line}: " if line else f"{case}.mdl: "
    err = _refused(tmp_path, [*args, "--model", f"{case}.mdl"], where)
    assert words[0] in err


def test_a_scenario_naming_a_bad_model_gives_its_line_and_the_models_error(tmp_path):
    _write(tmp_path, "undefined_name", CASES["undefined_name"][0])
    (tmp_path / "s.toml").write_text('name = "s"\nmodel = "undefined_name.mdl"\n')
    err = _refused(tmp_path, ["validate", "s.toml"], "s.toml:2: ")
    assert "'Recovering' uses 'market_size'" in err
