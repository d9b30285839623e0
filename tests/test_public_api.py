"""The public surface: ``__all__`` is honest in both directions, sorted and documented; every
lazy name is the object it names; errors form one tree and user mistakes never escape it."""

from __future__ import annotations
import __future__

import ast
import builtins
import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import lifecycle
from lifecycle import errors

PACKAGE = Path(lifecycle.__file__).resolve().parent


def submodules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(lifecycle.__path__, "lifecycle.")
        if not info.name.endswith("__main__")
    ]


def surface(module) -> set[str]:
    """Names a ``from module import *`` reader would take for its interface: neither private,
    nor a module, nor a ``from __future__`` feature."""
    return {
        n
        for n in dir(module)
        if not n.startswith("_")
        and not isinstance(getattr(module, n), types.ModuleType | __future__._Feature)
    }


def import_every_submodule() -> None:
    """Import all of ``lifecycle`` (an import may bind a submodule's name in its package)."""
    for name in submodules():
        importlib.import_module(name)


def test_all_is_sorted_and_equals_the_public_surface():
    assert lifecycle.__all__ == sorted(lifecycle.__all__)
    assert set(lifecycle.__all__) - {"__version__"} == surface(lifecycle)


def test_every_lazy_name_is_the_object_it_names_after_every_submodule_is_imported():
    import_every_submodule()
    assert set(lifecycle._LAZY) <= set(lifecycle.__all__)
    wrong = {}
    for name, module in lifecycle._LAZY.items():
        expected = getattr(importlib.import_module(f"lifecycle.{module}"), name)
        if getattr(lifecycle, name) is not expected:
            wrong[name] = getattr(lifecycle, name)
    assert wrong == {}
    # the surface did not change by importing: no submodule shadows a public name
    assert set(lifecycle.__all__) - {"__version__"} == surface(lifecycle)


def test_no_public_name_is_also_a_submodule():
    names = {m.rsplit(".", 1)[-1] for m in submodules() if m.count(".") == 1}
    assert names & set(lifecycle.__all__) == set()


def test_every_public_function_and_class_has_a_docstring():
    undocumented = [
        n
        for n in lifecycle.__all__
        if (inspect.isfunction(getattr(lifecycle, n)) or inspect.isclass(getattr(lifecycle, n)))
        and not (getattr(lifecycle, n).__doc__ or "").strip()
    ]
    assert undocumented == []


def subpackages() -> list[str]:
    return [
        info.name for info in pkgutil.walk_packages(lifecycle.__path__, "lifecycle.") if info.ispkg
    ]


@pytest.mark.parametrize("name", subpackages())
def test_every_subpackage_declares_all_equal_to_its_surface(name):
    """Both directions, after every submodule is imported (an import may bind a submodule's
    name in its package); a lazy name is the object its module defines."""
    import_every_submodule()
    package = importlib.import_module(name)
    assert hasattr(package, "__all__"), f"{name} has no __all__"
    assert set(package.__all__) == surface(package)
    for attr, module in getattr(package, "_LAZY", {}).items():
        source = importlib.import_module(f"{name}.{module}")
        assert getattr(package, attr) is getattr(source, attr), (name, attr)


def test_the_surface_rule_sees_a_stray_import():
    """The rule of the test above is not vacuous: an imported function or class counts."""
    stray = types.ModuleType("stray")
    exec("from __future__ import annotations\nfrom importlib import import_module", vars(stray))
    assert surface(stray) == {"import_module"}


def error_classes() -> list[type]:
    return [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == errors.__name__
    ]


def test_every_error_derives_from_lifecycle_error_and_a_builtin_and_is_exported():
    classes = error_classes()
    assert len(classes) >= 14
    for cls in classes:
        assert issubclass(cls, errors.LifecycleError), cls
        assert cls.__name__ in lifecycle.__all__, f"{cls.__name__} is not exported"
        if cls is not errors.LifecycleError:
            builtin = [
                b
                for b in cls.__mro__
                if b.__module__ == "builtins" and b not in (Exception, BaseException, object)
            ]
            assert builtin, f"{cls.__name__} inherits no builtin exception"


def test_the_tree_in_the_errors_docstring_names_every_class():
    drawn = errors.__doc__
    missing = [c.__name__ for c in error_classes() if f"{c.__name__}(" not in drawn]
    assert missing == []


def test_a_parse_error_is_not_a_missing_file():
    assert issubclass(errors.ModelNotFoundError, FileNotFoundError)
    assert issubclass(errors.ModelParseError, ValueError)
    assert not issubclass(errors.ModelParseError, FileNotFoundError)
    assert issubclass(errors.ModelParseError, errors.ModelFileError)


def test_user_errors_exit_2_and_run_failures_exit_1():
    assert errors.ScenarioError([]).exit_code == 2
    assert errors.ModelParseError("x").exit_code == 2
    assert errors.SimulationError("x").exit_code == 1


#: builtin exceptions the package may raise itself, each with its reason
ALLOWED_RAISES = {
    "AttributeError",  # module __getattr__ (PEP 562) must raise it for unknown names
    "ImportError",  # an optional extra that is not installed, with the pip command
}
BUILTIN_ERRORS = {n for n in dir(builtins) if n.endswith(("Error", "Exception"))}


def raised_names(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name):
                out.append((node.lineno, exc.id))
    return out


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_the_package_raises_no_bare_builtin_nor_the_root(path):
    bad = [
        (line, name)
        for line, name in raised_names(path)
        if name == "LifecycleError" or (name in BUILTIN_ERRORS and name not in ALLOWED_RAISES)
    ]
    assert bad == []
