"""The package's shape: layers without cycles, small modules, short functions.

The import graph counts every import of one ``lifecycle`` module by another, those inside
functions included (a deferred import hides a cycle from the interpreter, not from the
reader), and the modules a registry loads by name: a table ``_LAZY = {name: submodule}``
(the façade's, the calibration's and the engines', read by ``lifecycle._lazy``), and any
string naming a module in a module that calls ``importlib.import_module`` itself (the
engines' ``ENGINES``, the CLI's ``COMMANDS``).
Imports under ``if TYPE_CHECKING:`` are left out, as they never run. ``from . import x``
imports the submodule ``x`` (an edge to it, not to the package); ``from . import name``
imports the package's own ``name`` (an edge to the package).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import lifecycle

PACKAGE = Path(lifecycle.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80  # of code: the docstring is not counted


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {module_name(p): p for p in MODULES}


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    return skip


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _owner(name: str) -> str | None:
    """The ``lifecycle`` module that ``name`` (a module, or a name inside one) lives in."""
    while name and name not in NAMES:
        name = name.rpartition(".")[0]
    return name if name.startswith("lifecycle") else None


def lazy_table(tree: ast.AST) -> list[str]:
    """The submodules named by a top-level ``_LAZY = {name: submodule}`` of ``tree``."""
    out = []
    for node in getattr(tree, "body", []):
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        table = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "_LAZY" and isinstance(table, ast.Dict):
            out += [v.value for v in table.values if isinstance(v, ast.Constant)]
    return out


def imports_of(path: Path) -> set[str]:
    """The ``lifecycle`` modules that ``path`` imports, anywhere in it, or loads by name."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_blocks(tree)
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    targets, by_name = [], False
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = _absolute(node, package)
            by_name |= prefix == "importlib" and "import_module" in {a.name for a in node.names}
            # "from . import engines" imports the module; "from . import name" the package
            targets += [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in NAMES else prefix
                        for a in node.names]  # fmt: skip
    targets += [f"{package}.{sub}" for sub in lazy_table(tree)]  # loaded by lifecycle._lazy
    if by_name:  # a registry: every string that names a module of ours ("batch", "x.y:attr")
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.partition(":")[0]
                targets += [t for t in (text, f"{package}.{text}") if t in NAMES]
    return {t for t in map(_owner, targets) if t and t != me}


@functools.cache
def graph() -> dict[str, set[str]]:
    return {name: imports_of(path) for name, path in NAMES.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``edges`` (the first found, as a closed path), or None."""
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if state.get(start) is None:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_graph_sees_deferred_imports():
    # runner imports stages inside a function only; the graph must count it
    edges = graph()
    assert "lifecycle.stages" in edges["lifecycle.runner"]
    assert "lifecycle.engines._base" in edges["lifecycle.model"]


def test_the_graph_sees_modules_loaded_by_name_and_tells_submodules_from_names():
    edges = graph()
    # registries: the CLI's COMMANDS, the engines' ENGINES, the _LAZY tables of the façade
    # and the calibration (which import nothing by name themselves: lifecycle._lazy does)
    assert "lifecycle.cli.run" in edges["lifecycle.cli"]
    assert "lifecycle.engines.batch" in edges["lifecycle.engines"]
    assert "lifecycle.stages" in edges["lifecycle"]
    assert "lifecycle.calibration._result" in edges["lifecycle.calibration"]
    # "from . import engines" is an edge to lifecycle.engines, not to the package
    assert "lifecycle.engines" in edges["lifecycle.runner"]
    assert "lifecycle" not in edges["lifecycle.runner"]


def test_no_command_module_imports_the_group_that_loads_it():
    # the cycle issue 9's review found (cli <-> ensemble_cli): the group loads its commands
    # by name, so a command module must take the shared options from cli._shared
    edges = graph()
    commands = {m for m in edges["lifecycle.cli"] if m.startswith("lifecycle.cli.")}
    assert {"lifecycle.cli.run", "lifecycle.cli.calibrate"} <= commands
    assert [m for m in sorted(commands) if "lifecycle.cli" in edges[m]] == []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_even_counting_imports_inside_functions():
    assert find_cycle(graph()) is None


def test_names_and_errors_are_the_bottom_layer():
    edges = graph()
    assert edges["lifecycle._names"] == set()
    assert edges["lifecycle.errors"] <= {"lifecycle._names"}
    assert edges["lifecycle._lazy"] == set()
    # the engines and the name users do not load the PySD wrapper
    for user in ("lifecycle.stages", "lifecycle.plotting", "lifecycle.engines.batch"):
        assert "lifecycle.model" not in edges[user], user


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_module_is_over_500_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


def long_functions(path: Path) -> list[str]:
    """Functions over the limit whose docstring does not say why they are long."""
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if doc:
                first = node.body[0]
                length -= first.end_lineno - first.lineno + 1
            if length > MAX_FUNCTION_LINES and "long because" not in doc.lower():
                out.append(f"{node.name} ({length} lines of code, line {node.lineno})")
    return out


def test_the_length_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(90))
    src = tmp_path / "long.py"
    src.write_text(f'def f():\n    """Short doc."""\n{body}\n')
    assert long_functions(src) == ["f (91 lines of code, line 1)"]  # with its def line
    src.write_text(f'def f():\n    """Long because it must be."""\n{body}\n')
    assert long_functions(src) == []


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_function_over_80_lines_without_a_reason_in_its_docstring(path):
    assert long_functions(path) == []


TESTS = Path(__file__).resolve().parent


def fixtures_of(path: Path) -> set[str]:
    """The names of the pytest fixtures defined at the top of ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    }


def test_fixtures_are_shared_in_conftest_not_copied_between_test_modules():
    shared = fixtures_of(TESTS / "conftest.py")
    assert {"cluster", "linear", "bass", "tv"} <= shared
    where: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for name in fixtures_of(path):
            where.setdefault(name, []).append(path.name)
    # a conftest fixture redefined (shadowed) in a module, or one fixture in two modules
    copied = {n: w for n, w in where.items() if n in shared or len(w) > 1}
    assert copied == {}
