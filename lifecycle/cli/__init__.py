"""The ``lifecycle`` command line: a thin click layer over the package's functions.

Exit codes: 0 success, 1 a run failed, 2 bad invocation or invalid scenario. A user
mistake gives one red line per problem on stderr, never a traceback; stdout is for data.

This module holds the group and the one place where errors become messages and exit
codes; the options every command shares are in :mod:`lifecycle.cli._shared`. The commands
live in modules named for what they hold and are imported only when used:

- :mod:`lifecycle.cli.run`: ``run``, ``compare``, ``stages``
- :mod:`lifecycle.cli.info`: ``params``, ``vars``, ``validate``
- :mod:`lifecycle.cli.analysis`: ``montecarlo``, ``sensitivity``
- :mod:`lifecycle.cli.calibrate`: ``calibrate``
- :mod:`lifecycle.cli.check`: ``check``
- :mod:`lifecycle.cli.explain`: ``loops``, ``diagram``, ``doc``, ``export``

**Adding a command.** Write it as a plain ``@click.command("name")`` in a module of this
package (decorate it with ``model_option`` and ``version_option`` from ``_shared``, give its help an
``Example:`` block), then add one line to :data:`COMMANDS`::

    "check": "lifecycle.cli.check:check_command",

The group sets the shared context settings (``-h``, width) when it loads the command; the
tests iterate over :data:`COMMANDS`, so a new command is checked for ``--version``, an
example in its help and no traceback without further work.
"""

from __future__ import annotations

import sys
from importlib import import_module as _import_module

import click

from ..errors import LifecycleError as _LifecycleError
from ..errors import ScenarioError as _ScenarioError
from ._shared import version_option as _version_option

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


class LifecycleGroup(click.Group):
    """Loads the commands of :data:`COMMANDS` on first use and maps every
    :class:`LifecycleError` to its message and exit code, in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str):
        if name in COMMANDS and name not in self.commands:
            module, _, attr = COMMANDS[name].partition(":")
            cmd = getattr(_import_module(module), attr)
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
        except _ScenarioError as exc:
            for problem in exc.problems:
                click.secho(f"error: {problem}", err=True, fg="red")
            n = len(exc.problems)
            click.secho(
                f"{n} problem{'s' * (n != 1)} found; nothing was run or written.",
                err=True,
                fg="red",
            )
            ctx.exit(exc.exit_code)
        except _LifecycleError as exc:
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


@click.group(cls=LifecycleGroup, context_settings=CONTEXT)
@_version_option
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


__all__ = ["COMMANDS", "CONTEXT", "LifecycleGroup", "cli", "main"]
