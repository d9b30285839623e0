"""The public surface: ``__all__`` is honest, sorted, documented; errors form one tree."""

from __future__ import annotations

import inspect

import lifecycle
from lifecycle import errors


def test_all_is_sorted_and_every_name_exists():
    assert lifecycle.__all__ == sorted(lifecycle.__all__)
    missing = [n for n in lifecycle.__all__ if not hasattr(lifecycle, n)]
    assert missing == []


def test_every_public_function_and_class_has_a_docstring():
    undocumented = [
        n
        for n in lifecycle.__all__
        if (inspect.isfunction(getattr(lifecycle, n)) or inspect.isclass(getattr(lifecycle, n)))
        and not (getattr(lifecycle, n).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_every_error_derives_from_lifecycle_error_and_a_builtin():
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == errors.__name__
    ]
    assert len(classes) >= 10
    for cls in classes:
        assert issubclass(cls, errors.LifecycleError), cls
        if cls is not errors.LifecycleError:
            builtin = [
                b
                for b in cls.__mro__
                if b.__module__ == "builtins" and b not in (Exception, BaseException, object)
            ]
            assert builtin, f"{cls.__name__} inherits no builtin exception"


def test_user_errors_exit_2_and_run_failures_exit_1():
    assert errors.ScenarioError([]).exit_code == 2
    assert errors.SimulationError("x").exit_code == 1
