"""The ``lifecycle`` command line: a thin click layer over the package's functions.

Exit codes: 0 success, 1 a run failed, 2 bad invocation or invalid scenario. A user
mistake gives one red line per problem on stderr, never a traceback; stdout is for data.

This module holds the group, the one place where errors become messages and exit codes,
and the options every command shares. The commands live in modules named for what they
hold and are imported only when used:

- :mod:`lifecycle.cli.run`: ``run``, ``compare``, ``stages``
- :mod:`lifecycle.cli.info`: ``params``, ``vars``, ``validate``
- :mod:`lifecycle.cli.analysis`: ``montecarlo``, ``sensitivity``
- :mod:`lifecycle.cli.calibrate`: ``calibrate``

**Adding a command.** Write it as a plain ``@click.command("name")`` in a module of this
package (decorate it with :func:`model_option` and :func:`version_option`, give its help an
``Example:`` block), then add one line to :data:`COMMANDS`::

    "check": "lifecycle.cli.check:check_command",

The group sets the shared context settings (``-h``, width) when it loads the command; the
tests iterate over :data:`COMMANDS`, so a new command is checked for ``--version``, an
example in its help and no traceback without further work.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import click

from .. import __version__
from ..errors import LifecycleError, ScenarioError
from ..model import DEFAULT_MODEL

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: every command: name -> "module:attribute", imported only when the command is used (the
#: analysis and calibration commands pull in scipy and SALib). One line per command.
COMMANDS: dict[str, str] = {
    "run": "lifecycle.cli.run:run",
    "compare": "lifecycle.cli.run:compare",
    "stages": "lifecycle.cli.run:stages",
    "validate": "lifecycle.cli.info:validate",
    "params": "lifecycle.cli.info:params",
    "vars": "lifecycle.cli.info:variables",
    "montecarlo": "lifecycle.cli.analysis:montecarlo_command",
    "sensitivity": "lifecycle.cli.analysis:sensitivity_command",
    "calibrate": "lifecycle.cli.calibrate:calibrate_command",
    "check": "lifecycle.cli.check:check_command",
    "loops": "lifecycle.cli.explain:loops_command",
    "diagram": "lifecycle.cli.explain:diagram_command",
    "doc": "lifecycle.cli.explain:doc_command",
    "export": "lifecycle.cli.explain:export_command",
}


@contextmanager
def collecting(problems: list) -> Iterator[None]:
    """Add a :class:`ScenarioError`'s problems to ``problems`` instead of raising, so that a
    command reports the problems of all its files at once (then ``raise
    ScenarioError(problems)``)."""
    try:
        yield
    except ScenarioError as exc:
        problems += exc.problems


class LifecycleGroup(click.Group):
    """Loads the commands of :data:`COMMANDS` on first use and maps every
    :class:`LifecycleError` to its message and exit code, in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str):
        if name in COMMANDS and name not in self.commands:
            module, _, attr = COMMANDS[name].partition(":")
            cmd = getattr(import_module(module), attr)
            cmd.context_settings = {**CONTEXT, **(cmd.context_settings or {})}
            # click caches the help option at the first use of the command (a test that
            # invokes the command object directly): rebuild it with the group's -h
            if getattr(cmd, "_help_option", None) is not None:
                cmd._help_option = None
            self.add_command(cmd, name)
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # the command line as given, for run.json (sys.argv is the host's when run in-process)
        ctx.meta["lifecycle.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            for problem in exc.problems:
                click.secho(f"error: {problem}", err=True, fg="red")
            n = len(exc.problems)
            click.secho(
                f"{n} problem{'s' * (n != 1)} found; nothing was run or written.",
                err=True,
                fg="red",
            )
            ctx.exit(exc.exit_code)
        except LifecycleError as exc:
            click.secho(f"error: {exc.cli_message or exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)
        except ValueError as exc:
            # a NUL character in a path reaches the OS layer from any command's option
            if "null byte" not in str(exc) and "null character" not in str(exc):
                raise
            click.secho(
                "error: a path on the command line contains a NUL character "
                "(fix: remove it); nothing was run or written",
                err=True,
                fg="red",
            )
            ctx.exit(2)


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


@click.group(cls=LifecycleGroup, context_settings=CONTEXT)
@version_option
def cli():
    """Regional industrial cluster life cycles: run, compare and calibrate a
    system-dynamics model.

    \b
    Example:
      lifecycle validate scenarios/*.toml
      lifecycle run scenarios/*.toml                  # into results/run
      lifecycle compare scenarios/baseline.toml scenarios/disruptive_shock.toml \\
          -o results/shock.png
      lifecycle vars --search trust
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="lifecycle")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
