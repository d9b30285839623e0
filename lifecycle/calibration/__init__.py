"""Calibration: fit a model's constants to observed series, with honest uncertainty.

Public names: :func:`calibrate`, :class:`Parameter`, :class:`CalibrationResult`,
:class:`IdentifiabilityWarning`, and the lists ``METHODS`` and ``ENGINES``. The modules
beneath are private: ``_setup`` (parameters, ties, observed series, the calendar),
``_objective`` (weighted residuals over the batch engine), ``_optimise`` (least squares,
multi-start, differential evolution, MCMC), ``_result`` (the result and its report) and
``_calibrate`` (the driver that joins them); ``_choices`` the lists. The rest is imported
on first use (PEP 562), so that the command line lists its options without loading scipy.
"""

from importlib import import_module as _import_module

from ._choices import ENGINES, METHODS

#: public name -> the private module that defines it
_LAZY = {
    "CalibrationResult": "_result",
    "IdentifiabilityWarning": "_calibrate",
    "Parameter": "_parameters",
    "calibrate": "_calibrate",
    "evaluate": "_calibrate",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ENGINES",
    "METHODS",
    "CalibrationResult",
    "IdentifiabilityWarning",
    "Parameter",
    "calibrate",
    "evaluate",
]
