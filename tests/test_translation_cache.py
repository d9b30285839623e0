"""PySD's translation is cached by the model's content and PySD's version, outside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lifecycle import model as model_module
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


def test_doctests_of_the_package_share_the_isolated_cache():
    # the doctests of lifecycle/ run in the same session (pyproject: --doctest-modules over
    # tests and lifecycle), after pytest_configure pointed the cache at a temporary folder
    assert "lifecycle-test-cache-" in str(cache_dir())
