"""Names a package imports on first use (PEP 562), from one table of name -> submodule.

The bottom layer, with ``_names`` and ``errors``: it imports nothing of ``lifecycle``. The
façade (``lifecycle``), ``lifecycle.calibration`` and ``lifecycle.engines`` each keep their
table ``_LAZY`` (what the import-graph test of ``tests/test_layout.py`` reads) and take
their ``__getattr__`` and ``__dir__`` from here, so that ``lifecycle --help`` does not pay
for scipy, SALib and matplotlib.

Examples
--------
>>> space = {"__name__": "lifecycle"}
>>> get, names = lazy_attributes(space, {"canonical": "_names"})
>>> names(), "canonical" in space
(['__name__', 'canonical'], False)
>>> get("canonical")("Firm Births")
'firmbirths'
>>> space["canonical"] is get("canonical")
True
>>> get("missing")
Traceback (most recent call last):
AttributeError: module 'lifecycle' has no attribute 'missing'
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_attributes(
    namespace: dict, table: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module whose globals are ``namespace``.

    Each name of ``table`` is taken, on first use, from the module it maps to (relative to
    the package, ``"model"`` for ``.model``) and kept in ``namespace``, so the import runs
    once and the name is afterwards the object itself; any other name is an
    ``AttributeError`` naming the module.
    """
    package = namespace["__name__"]

    def __getattr__(name: str):
        if name in table:
            value = getattr(import_module(f".{table[name]}", package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
