"""lifecycle: a system-dynamics model of regional industrial cluster life cycles, on PySD.

The same objects the command line uses::

    from lifecycle import load_model, load_scenario, run
    model = load_model()
    df = run(model, load_scenario("scenarios/networking_initiative.toml"))

Names are imported on first use (PEP 562), so that ``lifecycle --help`` does not pay for
scipy, SALib and matplotlib.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from ._lazy import lazy_attributes as _lazy_attributes
from .errors import (
    ArgumentError,
    CalibrationError,
    CheckError,
    ConvergenceError,
    DataError,
    LifecycleError,
    MetricError,
    ModelFileError,
    ModelNotFoundError,
    ModelParseError,
    NotAConstantError,
    OutOfRangeError,
    OutputError,
    Problem,
    ScenarioError,
    SensitivityError,
    SettingsError,
    SimulationError,
    UnknownParameterError,
    UnsupportedFunctionError,
)

try:
    __version__ = _version("lifecycle")
except _PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

#: public name -> the module that defines it
_LAZY = {
    "CalibrationResult": "calibration",
    "Constant": "model",
    "IdentifiabilityWarning": "calibration",
    "Model": "model",
    "MonteCarloResult": "montecarlo",
    "Parameter": "calibration",
    "Scenario": "scenarios",
    "SensitivityResult": "sensitivity",
    "Stage": "stages",
    "calibrate": "calibration",
    "classify": "stages",
    "ensemble": "_ensemble",
    "load_checks": "checks",
    "load_model": "model",
    "load_scenario": "scenarios",
    "load_scenarios": "scenarios",
    "load_uncertain": "uncertain",
    "monte_carlo": "montecarlo",
    "morris": "sensitivity",
    "read_data": "data",
    "run": "runner",
    "run_checks": "checks",
    "run_scenarios": "runner",
    "sobol": "sensitivity",
    "stage_sequence": "stages",
    "summary_table": "runner",
}


__getattr__, __dir__ = _lazy_attributes(globals(), _LAZY)

__all__ = [
    "ArgumentError",
    "CalibrationError",
    "CalibrationResult",
    "CheckError",
    "Constant",
    "ConvergenceError",
    "DataError",
    "IdentifiabilityWarning",
    "LifecycleError",
    "MetricError",
    "Model",
    "ModelFileError",
    "ModelNotFoundError",
    "ModelParseError",
    "MonteCarloResult",
    "NotAConstantError",
    "OutOfRangeError",
    "OutputError",
    "Parameter",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SensitivityError",
    "SensitivityResult",
    "SettingsError",
    "SimulationError",
    "Stage",
    "UnknownParameterError",
    "UnsupportedFunctionError",
    "__version__",
    "calibrate",
    "classify",
    "ensemble",
    "load_checks",
    "load_model",
    "load_scenario",
    "load_scenarios",
    "load_uncertain",
    "monte_carlo",
    "morris",
    "read_data",
    "run",
    "run_checks",
    "run_scenarios",
    "sobol",
    "stage_sequence",
    "summary_table",
]
