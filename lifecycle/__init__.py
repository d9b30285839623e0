"""lifecycle: a system-dynamics model of regional industrial cluster life cycles, on PySD.

The same objects the command line uses::

    from lifecycle import load_model, load_scenario, run
    model = load_model()
    df = run(model, load_scenario("scenarios/networking_initiative.toml"))
"""

from importlib.metadata import PackageNotFoundError, version

from .calibration import IdentifiabilityWarning, calibrate
from .calibration_result import CalibrationResult
from .calibration_setup import Parameter
from .data import read_data
from .ensemble import ensemble
from .errors import (
    CalibrationError,
    DataError,
    LifecycleError,
    ModelFileError,
    NotAConstantError,
    OutOfRangeError,
    Problem,
    ScenarioError,
    SimulationError,
    UnknownParameterError,
    UnsupportedFunctionError,
)
from .model import Constant, Model, load_model
from .montecarlo import MonteCarloResult, monte_carlo
from .runner import run, run_scenarios, summary_table
from .scenarios import Scenario, load_scenario, load_scenarios
from .sensitivity import SensitivityResult, morris, sobol
from .stages import Stage, classify, stage_sequence
from .uncertain import load_uncertain

try:
    __version__ = version("lifecycle")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "CalibrationError",
    "CalibrationResult",
    "Constant",
    "DataError",
    "IdentifiabilityWarning",
    "LifecycleError",
    "Model",
    "ModelFileError",
    "MonteCarloResult",
    "NotAConstantError",
    "OutOfRangeError",
    "Parameter",
    "Problem",
    "Scenario",
    "ScenarioError",
    "SensitivityResult",
    "SimulationError",
    "Stage",
    "UnknownParameterError",
    "UnsupportedFunctionError",
    "__version__",
    "calibrate",
    "classify",
    "ensemble",
    "load_model",
    "load_scenario",
    "load_scenarios",
    "load_uncertain",
    "monte_carlo",
    "morris",
    "read_data",
    "run",
    "run_scenarios",
    "sobol",
    "stage_sequence",
    "summary_table",
]
