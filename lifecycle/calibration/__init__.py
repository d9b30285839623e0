"""Calibration: fit a model's constants to observed series, with honest uncertainty.

Public names: :func:`calibrate`, :class:`Parameter`, :class:`CalibrationResult`,
:class:`IdentifiabilityWarning`, and the lists ``METHODS`` and ``ENGINES``. The modules
beneath are private: ``_setup`` (parameters, ties, observed series, the calendar),
``_objective`` (weighted residuals over the batch engine), ``_optimise`` (least squares,
multi-start, differential evolution, MCMC), ``_result`` (the result and its report) and
``_calibrate`` (the driver that joins them); ``_choices`` the lists. The rest is imported
on first use (PEP 562), so that the command line lists its options without loading scipy.
"""

from .._lazy import lazy_attributes as _lazy_attributes
from ._choices import ENGINES, METHODS

#: public name -> the private module that defines it
_LAZY = {
    "CalibrationResult": "_result",
    "IdentifiabilityWarning": "_calibrate",
    "Parameter": "_parameters",
    "calibrate": "_calibrate",
    "evaluate": "_calibrate",
}


__getattr__, __dir__ = _lazy_attributes(globals(), _LAZY)

__all__ = [
    "ENGINES",
    "METHODS",
    "CalibrationResult",
    "IdentifiabilityWarning",
    "Parameter",
    "calibrate",
    "evaluate",
]
