"""PySD's translation and the batch engine's node graph are cached by the model's content
and the versions that make them, in the cache folder only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lifecycle import _cache
from lifecycle import model as model_module
from lifecycle.engines import compile as compile_module
from lifecycle.engines.batch import BatchModel
from lifecycle.model import cache_dir, translate

from .paths import LINEAR_MODEL


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LIFECYCLE_CACHE", str(cache))
    return cache


@pytest.fixture
def counted(monkeypatch):
    """Count PySD's translations (read_vensim calls) made through ``translate``."""
    pysd = model_module._import_pysd()
    calls = []
    real = pysd.read_vensim

    def read_vensim(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pysd, "read_vensim", read_vensim)
    return calls


def test_the_suite_does_not_use_the_users_cache():
    home = Path.home() / ".cache" / "lifecycle"
    assert cache_dir() != home
    assert Path(os.environ["LIFECYCLE_CACHE"]) == cache_dir()


def test_same_content_is_translated_once_and_a_change_translates_again(
    own_cache, counted, tmp_path
):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text())
    first = translate(mdl)
    assert first.is_file() and own_cache in first.parents
    assert translate(mdl) == first  # hit: no second translation
    assert len(counted) == 1
    assert not list(tmp_path.glob("m.py")), "nothing generated beside the model"
    mdl.write_text(LINEAR_MODEL.read_text().replace("A1 = 1\n", "A1 = 2\n"))
    second = translate(mdl)  # miss: the content changed
    assert second != first and second.is_file() and len(counted) == 2
    assert not [p for p in own_cache.iterdir() if p.name.startswith(".tmp-")]


def test_a_new_pysd_version_translates_again(own_cache, counted, tmp_path, monkeypatch):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text())
    first = translate(mdl)
    pysd = model_module._import_pysd()
    monkeypatch.setattr(pysd, "__version__", pysd.__version__ + ".post1")
    second = translate(mdl)
    assert second != first and len(counted) == 2


def test_the_package_doctests_are_collected(request):
    """Issue 9: the docstring examples of ``lifecycle/`` are tests (two of them failed
    unseen before): the suite's configuration collects them, and there are some to collect."""
    import doctest
    import importlib
    import pkgutil

    import lifecycle

    assert request.config.getoption("doctestmodules")
    assert "lifecycle" in request.config.getini("testpaths")
    names = [i.name for i in pkgutil.walk_packages(lifecycle.__path__, "lifecycle.")]
    finder = doctest.DocTestFinder()
    with_examples = [
        n
        for n in names
        if not n.endswith("__main__")
        and any(t.examples for t in finder.find(importlib.import_module(n)))
    ]
    assert {"lifecycle._names", "lifecycle.stages", "lifecycle.metrics"} <= set(with_examples)


def test_doctests_of_the_package_share_the_isolated_cache():
    # the doctests of lifecycle/ run in the same session (pyproject: --doctest-modules over
    # tests and lifecycle), after pytest_configure pointed the cache at a temporary folder
    assert "lifecycle-test-cache-" in str(cache_dir())


@pytest.fixture
def parses(monkeypatch):
    """Count the batch compiler's parses of a ``.mdl`` (PySD's parser, over a second)."""
    calls = []
    real = compile_module.Compiler._parse

    def _parse(self):
        calls.append(self.path)
        return real(self)

    monkeypatch.setattr(compile_module.Compiler, "_parse", _parse)
    return calls


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_the_batch_graph_is_parsed_once_per_content_and_an_edit_gives_the_new_result(
    own_cache, parses, tmp_path
):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text())
    first = compile_module.compiled(mdl)
    assert len(parses) == 1 and [p.name for p in own_cache.glob("batch-*.pickle")]
    again = compile_module.compiled(mdl)  # from the disk, not parsed
    assert len(parses) == 1 and again is not first and again.nodes.keys() == first.nodes.keys()
    inflow = BatchModel(mdl).run({}, 1, ["Inflow"]).values["Inflow"]
    assert inflow[0, -1] == pytest.approx(1 * 0.5 + 2 * 0.5 + 3 * 0.5)
    mdl.write_text(LINEAR_MODEL.read_text().replace("A1 = 1\n", "A1 = 2\n"))
    inflow = BatchModel(mdl).run({}, 1, ["Inflow"]).values["Inflow"]
    assert inflow[0, -1] == pytest.approx(2 * 0.5 + 2 * 0.5 + 3 * 0.5)  # not the stale graph
    assert len(parses) == 2 and len(list(own_cache.glob("batch-*.pickle"))) == 2
    assert _files(tmp_path) - _files(own_cache) == {mdl}, "nothing written outside the cache"
    assert not list(own_cache.glob(".tmp-*"))


def test_a_graph_from_the_disk_generates_the_same_program(own_cache):
    # the compiler remembers stateful calls by the identity of their syntax trees, which a
    # pickle does not keep: a graph read back must still find its SMOOTH and DELAY nodes
    from lifecycle.engines.codegen import Program

    from .paths import TEST_MODELS

    mdl = TEST_MODELS / "builtins.mdl"  # SMOOTH, DELAY and their N forms inside equations
    fresh = compile_module.Compiler(mdl)
    compile_module.compiled(mdl)  # written
    read = compile_module.compiled(mdl)  # read back
    capture = [k for k, n in fresh.nodes.items() if n.kind != "lookup" and k != "time"]
    assert {"smooth", "delay", "delayn"} <= {n.kind for n in fresh.nodes.values()}
    assert Program(read, set(), capture).source == Program(fresh, set(), capture).source


def test_another_package_version_or_a_broken_entry_parses_again(
    own_cache, parses, tmp_path, monkeypatch
):
    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text())
    compile_module.compiled(mdl)
    (entry,) = own_cache.glob("batch-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert "Inflow" in {n.name for n in compile_module.compiled(mdl).nodes.values()}
    assert len(parses) == 2
    monkeypatch.setattr(_cache, "package_version", lambda: "0.0.0+other")
    compile_module.compiled(mdl)
    assert len(parses) == 3 and len(list(own_cache.glob("batch-*.pickle"))) == 2


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("LIFECYCLE_CACHE", str(blocker / "cache"))  # under a file
    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text())
    assert compile_module.compiled(mdl).nodes
    assert _files(tmp_path) == {blocker, mdl}


def test_the_batch_engine_runs_the_file_the_model_loaded_or_says_it_changed(own_cache, tmp_path):
    from lifecycle import engines
    from lifecycle.errors import ModelFileError
    from lifecycle.model import Model

    mdl = tmp_path / "m.mdl"
    mdl.write_text(LINEAR_MODEL.read_text().replace("A1 = 1\n", "A1 = 1.0625\n"))  # unique
    model = Model(mdl)
    mdl.write_text(LINEAR_MODEL.read_text())  # edited after loading, before the first run
    with pytest.raises(ModelFileError, match="changed since the model was loaded"):
        engines.engine("batch", model)
