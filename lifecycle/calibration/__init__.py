"""Calibration: fit a model's constants to observed series, with honest uncertainty.

Public names: :func:`calibrate`, :class:`Parameter`, :class:`CalibrationResult`,
:class:`IdentifiabilityWarning`, and the lists ``METHODS`` and ``ENGINES``. The modules
beneath are private: ``_setup`` (parameters, ties, observed series, the calendar),
``_objective`` (weighted residuals over the batch engine), ``_optimise`` (least squares,
multi-start, differential evolution, MCMC), ``_result`` (the result and its report) and
``_calibrate`` (the driver that joins them).
"""

from ._calibrate import METHODS, IdentifiabilityWarning, calibrate, evaluate
from ._objective import ENGINES
from ._result import CalibrationResult
from ._setup import Parameter

__all__ = [
    "ENGINES",
    "METHODS",
    "CalibrationResult",
    "IdentifiabilityWarning",
    "Parameter",
    "calibrate",
    "evaluate",
]
