"""One exception hierarchy for everything a user can get wrong.

Every error a user can cause derives from :class:`LifecycleError`; each subclass also
inherits the matching builtin so that ``except KeyError`` still works in scripts. The
command line maps them to a message and an exit code in one place (``lifecycle/cli``).
The root itself is never raised: every raise names what went wrong by its class.

::

    LifecycleError(Exception)                     exit code 2: a user mistake
    ├── ArgumentError(TypeError, ValueError)      a Python argument of the wrong type or value
    ├── ModelFileError(OSError)                   a model file that cannot be used
    │   ├── ModelNotFoundError(FileNotFoundError)     ... because it does not exist
    │   └── ModelParseError(ValueError)               ... because it is not a valid model
    ├── UnknownParameterError(KeyError)           a name that is not in the model (suggestions)
    ├── NotAConstantError(ValueError)             setting a variable the model computes
    ├── OutOfRangeError(ValueError)               a value outside the constant's [min,max]
    ├── ScenarioError(ValueError)                 problems in scenario files, all at once
    ├── SettingsError(ValueError)                 run settings that do not fit together
    ├── DataError(ValueError)                     observed data that cannot be used
    │   └── OutputError(DataError)                an output path that must not be written
    ├── CalibrationError(ValueError)              a calibration that cannot run as set up
    ├── SensitivityError(ValueError)              a sensitivity analysis that cannot run
    │   └── MetricError(SensitivityError)         metrics that cannot be parsed
    ├── CheckError(ValueError)                    a behaviour check that cannot run as set up
    ├── UnsupportedFunctionError(NotImplementedError)  a construct the batch engine lacks
    └── SimulationError(RuntimeError)             exit code 1: a run that started and failed
        └── ConvergenceError(SimulationError)     ... a fit that ran and did not converge
"""

from __future__ import annotations

from dataclasses import dataclass

from ._names import did_you_mean


class LifecycleError(Exception):
    """Root of every error raised for a user mistake. Exit code 2 on the command line."""

    exit_code = 2
    #: The message as the command line shows it, when the fix there is an option (``--map``)
    #: rather than a Python argument (``columns=``); None: the message is the same.
    cli_message: str | None = None

    @classmethod
    def with_fix(cls, text: str, python: str, cli: str) -> LifecycleError:
        """``cls("TEXT (fix: PYTHON)")``, shown on the command line as ``TEXT (fix: CLI)``."""
        exc = cls(f"{text} (fix: {python})")
        exc.cli_message = f"{text} (fix: {cli})"
        return exc


class ArgumentError(LifecycleError, TypeError, ValueError):
    """A Python call given an argument it cannot use; the message names it and what fits."""


class ModelFileError(LifecycleError, OSError):
    """A model file that cannot be used (catch this for either of its two causes)."""


class ModelNotFoundError(ModelFileError, FileNotFoundError):
    """A model file that does not exist."""


class ModelParseError(ModelFileError, ValueError):
    """An existing model file that is not a valid model: a syntax PySD or Simlin rejects, a
    missing control variable, a reference to no variable, or simultaneous equations."""


class UnknownParameterError(LifecycleError, KeyError):
    """A name that is not a variable of the model, with the closest names."""

    def __init__(
        self, name: str, model: str, suggestions: list[str] | None = None, kind="variable"
    ):
        self.name = name
        self.model = model
        self.suggestions = list(suggestions or [])
        self.kind = kind
        super().__init__(name)

    def __str__(self) -> str:
        msg = f"'{self.name}' is not a {self.kind} of {self.model}"
        if self.suggestions:
            msg += "; " + did_you_mean(self.suggestions)
        return msg


class NotAConstantError(LifecycleError, ValueError):
    """An attempt to set a variable that is computed by the model."""

    def __init__(self, name: str, model: str, kind: str):
        self.name, self.model, self.kind = name, model, kind
        super().__init__(
            f"'{name}' is not a constant of {model} (it is a {kind.lower()} computed by the "
            "model); set one of the constants it depends on instead"
        )


class OutOfRangeError(LifecycleError, ValueError):
    """A value outside the model's [min,max] range for that constant."""

    def __init__(self, name: str, value: float, low: float | None, high: float | None):
        self.name, self.value, self.low, self.high = name, value, low, high
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        # never rounded into the range: 0.3000000001 is not shown as 0.3
        shown = f"{value:g}" if float(f"{value:g}") == value else repr(float(value))
        super().__init__(f"'{name}' = {shown} is outside the model's range [{lo}, {hi}]")


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario file."""

    file: str
    message: str
    line: int | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text


class ScenarioError(LifecycleError, ValueError):
    """One or more problems in scenario files; all are reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SettingsError(LifecycleError, ValueError):
    """Simulation settings that do not fit together (e.g. SAVEPER not a multiple of TIME STEP)."""


class DataError(LifecycleError, ValueError):
    """Observed data that cannot be used as given (empty, non-numeric, unmatched column...)."""


class CalibrationError(LifecycleError, ValueError):
    """A calibration set up so that it cannot run (bad bounds, times outside the horizon...)."""


class SensitivityError(LifecycleError, ValueError):
    """A sensitivity analysis set up so that it cannot run (bad metric, bad sample size)."""


class MetricError(SensitivityError):
    """One or more metrics that cannot be parsed or refer to unknown variables."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class CheckError(LifecycleError, ValueError):
    """Behaviour checks set up so that they cannot run (``lifecycle check``: discovery
    without the ``prim`` package or without uncertain constants, an output it cannot write)."""


class UnsupportedFunctionError(LifecycleError, NotImplementedError):
    """A model construct the batch engine cannot evaluate; names the function and variable."""

    def __init__(self, function: str, variable: str):
        self.function, self.variable = function, variable
        super().__init__(
            f"the batch engine does not support {function} (used in '{variable}'); "
            "run this model with engine='pysd'"
        )


class SimulationError(LifecycleError, RuntimeError):
    """A run that started but failed (NaN, overflow, engine failure). Exit code 1."""

    exit_code = 1


class ConvergenceError(SimulationError):
    """A fit that ran but did not converge (an iteration limit, a stalled search). Exit
    code 1; the command line writes the fit's files first, for inspection."""


class OutputError(DataError):
    """An output path that cannot or must not be written: a folder lifecycle did not write,
    the current or root folder, a symlink, a file where a folder is wanted, no space left.
    Derives from :class:`DataError`, which output paths raised before."""
