"""The on-disk cache: one folder (``$LIFECYCLE_CACHE``, else ``~/.cache/lifecycle``).

Two things live there, both keyed by the content of what they are made from, so that an
edited model, another PySD or another version of this package never reads a stale entry:

- PySD's translation of each model (:func:`lifecycle.model.translate`);
- the batch engine's node graph of each model (:func:`pickled`), so that a warm
  ``lifecycle run`` does not parse the ``.mdl`` again (PySD's parser takes over a second).

Nothing is ever written outside :func:`cache_dir`; entries are written to a temporary file in
the same folder and renamed into place, so a crash or a concurrent process never leaves a
half-written entry. An entry that cannot be read is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """Where translations are cached: ``$LIFECYCLE_CACHE``, else ``~/.cache/lifecycle``."""
    return Path(os.environ.get("LIFECYCLE_CACHE", Path.home() / ".cache" / "lifecycle"))


def package_version() -> str:
    """This package's installed version (``0+unknown`` when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lifecycle")
    except PackageNotFoundError:
        return "0+unknown"


def content_key(parts: Iterable[bytes | str]) -> str:
    """A short SHA-256 over ``parts`` (file contents, versions), each length-prefixed."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:24]


def pickled(name: str, key: str, build: Callable[[], T]) -> T:
    """``build()``'s result, kept in the cache as ``name-key.pickle``.

    ``key`` must change whenever the result would (see :func:`content_key`). A missing or
    unreadable entry is built and written atomically; a cache folder that cannot be
    written is not an error (the result is returned, uncached)."""
    path = cache_dir() / f"{name}-{key}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, truncated or written by other code: build it again
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pickle", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass
    return value
