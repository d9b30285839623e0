"""What the commands share: the options, the number types, the progress bar, the gathering
of every file's problems, and the command line as given.

The commands import these from here, not from the package (:mod:`lifecycle.cli`), which
loads the command modules by name: so no command module imports the module that imports
it (tests/test_layout.py counts the names in :data:`lifecycle.cli.COMMANDS` as imports).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .. import __version__
from ..errors import ScenarioError
from ..model import DEFAULT_MODEL


@contextmanager
def collecting(problems: list) -> Iterator[None]:
    """Add a :class:`ScenarioError`'s problems to ``problems`` instead of raising, so that a
    command reports the problems of all its files at once (then ``raise
    ScenarioError(problems)``)."""
    try:
        yield
    except ScenarioError as exc:
        problems += exc.problems


class Number(click.ParamType):
    """A finite number (NaN, infinities and, with ``positive``, zero and negatives refused
    with the option's name), so that no option reaches a run unchecked."""

    name = "number"

    def __init__(self, positive: bool = True):
        self.positive = positive

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(str(value).strip())
            except (ValueError, OverflowError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.positive and number <= 0:
            self.fail(f"{value!r} must be positive", param, ctx)
        return number


#: a positive, finite number (times, time steps)
POSITIVE = Number(positive=True)
#: any finite number (offsets)
FINITE = Number(positive=False)
#: a sampling seed: what numpy accepts
SEED = click.IntRange(0, 2**32 - 1)


def model_option(f):
    return click.option(
        "--model",
        "model_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Model file (.mdl). Default: {DEFAULT_MODEL.name}.",
    )(f)


def force_option(f):
    return click.option(
        "--force",
        is_flag=True,
        help="Replace the output even if it holds files lifecycle did not write.",
    )(f)


def version_option(f):
    return click.version_option(__version__, "--version", prog_name="lifecycle")(f)


def scenarios_argument(f=None, *, required: bool = True):
    """The SCENARIOS arguments of the commands that run scenario files."""
    deco = click.argument(
        "scenarios", nargs=-1, required=required, type=click.Path(dir_okay=False, path_type=Path)
    )
    return deco if f is None else deco(f)


class _OutputPath(click.Path):
    """click.Path that refuses an empty name: ``Path("")`` is ``Path(".")``, and ``-o ""``
    would otherwise be reported as the current folder."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail(
                "the output name is empty (fix: give a folder or file name, e.g. -o results/run)",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def output_option(
    help: str,
    *,
    default: str | None = None,
    dest: str = "output",
    kind: str | None = None,
    required: bool = False,
):
    """``-o/--output``, the one output option: ``kind`` is "folder", "file" or None
    (either, e.g. a figure file or a folder); ``default`` a path shown in the help."""
    return click.option(
        "-o",
        "--output",
        dest,
        type=_OutputPath(path_type=Path, file_okay=kind != "folder", dir_okay=kind != "file"),
        default=None if default is None else Path(default),
        show_default=default is not None,
        required=required,
        help=help,
    )


def figure_format_option(f):
    return click.option(
        "--figure-format",
        type=click.Choice(["png", "svg", "pdf"]),
        default="png",
        show_default=True,
        help="Format of the figure files.",
    )(f)


@contextmanager
def progress(n: int, label: str) -> Iterator[Callable[[object], None]]:
    """A progress bar on stderr when it is a terminal and there is more than one item:
    yields the function to call when an item is done."""
    if n > 1 and sys.stderr.isatty():
        with click.progressbar(length=n, label=label, file=sys.stderr) as bar:
            yield lambda _item: bar.update(1)
    else:
        yield lambda _item: None


def command_line() -> list[str]:
    """The command as the user gave it (``sys.argv`` is the host's when run in-process)."""
    ctx = click.get_current_context(silent=True)
    argv = ctx.meta.get("lifecycle.argv") if ctx is not None else None
    return ["lifecycle", *(argv if argv is not None else sys.argv[1:])]


def split_names(values: tuple[str, ...] | None) -> list[str] | None:
    """``--vars A,B --vars C`` -> ["A", "B", "C"]; None when not given."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]
