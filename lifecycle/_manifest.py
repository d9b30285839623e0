"""Manifests and the checks made on output paths before anything runs (the rules of
:mod:`lifecycle.outputs`, which re-exports everything here)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ._swap import _entries, _lock
from .errors import OutputError

#: the manifest lifecycle writes into every output folder
MANIFEST = ".lifecycle-manifest.json"
#: how long a second writer waits for the first to finish its swap, in seconds
LOCK_TIMEOUT = 120.0
_FORCE_FIX = "add --force to replace it and everything in it, or choose another -o"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- manifests -----------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, dict] | None:
    """The files the manifest of ``folder`` lists (name -> size, sha256), or None."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            return None
        return files
    except (OSError, ValueError, KeyError, TypeError):
        return None


def foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that are not lifecycle's own earlier output: every file when it
    has no manifest, else the files the manifest does not list or that were changed."""
    folder = Path(folder)
    entries = {k: v for k, v in _entries(folder).items() if k != MANIFEST}
    if not entries:
        return []
    listed = read_manifest(folder)
    if listed is None:
        return sorted(entries)
    out = []
    for name, path in sorted(entries.items()):
        info = listed.get(name)
        try:
            ok = (
                isinstance(info, dict)
                and not path.is_symlink()
                and path.stat().st_size == info.get("size")
                and _sha256(path) == info.get("sha256")
            )
        except OSError:
            ok = False
        if not ok:
            out.append(name)
    return out


def write_manifest(
    folder: Path, *, command: Sequence[str] | None = None, files=None, known=None
) -> None:
    """Write the manifest of ``folder``: every file in it (or ``files``), size and SHA-256;
    ``known`` entries (from an earlier manifest) are kept as they were."""
    folder = Path(folder)
    names = sorted(files) if files is not None else sorted(k for k in _entries(folder))
    listed = dict(known or {})
    for name in names:
        if name == MANIFEST:
            continue
        p = folder / name
        listed[name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
    record = {
        "written_by": f"lifecycle {_version()}".strip(),
        "note": "lifecycle replaces these files, or this folder when it holds only them, "
        "only while they are unchanged",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command if command is None or isinstance(command, str) else list(command),
        "files": listed,
    }
    (folder / MANIFEST).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


# -- checks made before anything runs ------------------------------------------------------


def _refuse(target, message: str, fix: str) -> OutputError:
    return OutputError(f"-o {target}: {message} (fix: {fix}); nothing was run or written")


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _check_parent(target: Path, shown) -> None:
    """The first existing ancestor must be a writable folder."""
    parent = target.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(
            shown,
            f"{parent} is a file, so nothing can be created in it",
            "choose an output path whose parent is a folder",
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(
            shown,
            f"the folder {parent} is not writable",
            "choose an output folder you can write to",
        )


def check_folder(
    target: str | os.PathLike,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
    locked: bool = False,
) -> Path:
    """Refuse an output folder that cannot or must not be replaced; return it (see
    :func:`_check_folder`); a path the OS refuses (too long, NUL) is refused the same way."""
    try:
        return _check_folder(target, force=force, inputs=inputs, locked=locked)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:
        raise _unusable(target, exc) from None


def _unusable(target, exc) -> OutputError:
    reason = getattr(exc, "strerror", None) or str(exc)
    return _refuse(str(target)[:80] or '""', f"not a usable path ({reason})", "choose another -o")


def _check_folder(
    target: str | os.PathLike,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
    locked: bool = False,
) -> Path:
    """Refuse an output folder that cannot or must not be replaced; return it.

    Called before any simulation starts, and again just before the swap. ``inputs`` are the
    files the command reads: none of them may lie inside the output folder, even with
    ``force``.
    """
    shown = str(target) if str(target) else '""'
    if not str(target).strip():
        raise _refuse(
            shown, "the output folder is empty", "give a folder name, e.g. -o results/run"
        )
    target = Path(target)
    try:
        absolute = Path(os.path.abspath(target))
    except (OSError, ValueError) as exc:
        raise _refuse(shown, f"not a usable path ({exc})", "choose another -o") from None
    if "\0" in str(target):
        raise _refuse(shown, "the path contains a NUL character", "choose another -o")
    cwd = Path(os.path.abspath(os.getcwd()))
    if absolute == Path(absolute.anchor) or _is_within(cwd, absolute.resolve()):
        where = (
            "the root folder"
            if absolute == Path(absolute.anchor)
            else (
                "the current folder"
                if absolute.resolve() == cwd.resolve()
                else "a folder that holds the current folder"
            )
        )
        raise _refuse(
            shown,
            f"this is {where}; lifecycle replaces its output folder whole",
            "name a new folder, e.g. -o results/run",
        )
    home = Path.home()
    if absolute.resolve() == home.resolve():
        raise _refuse(shown, "this is your home folder", "name a new folder, e.g. -o results/run")
    if target.is_symlink():
        raise _refuse(
            shown,
            f"a symbolic link (to {os.readlink(target)}); lifecycle would replace the link",
            f"give the folder itself: -o {target.resolve()}",
        )
    if target.exists() and not target.is_dir():
        raise _refuse(shown, "is a file, not a folder", "choose another output name")
    _check_parent(absolute, shown)
    resolved = absolute.resolve()
    for item in inputs:
        p = Path(os.path.abspath(item)).resolve()
        if _is_within(p, resolved):
            raise _refuse(
                shown,
                f"the input {item} is inside the output folder, which is replaced whole",
                "choose an output folder that holds no inputs",
            )
    if target.is_dir() and not force:
        foreign = foreign_files(target)
        lockfile = target.parent / f".{target.name}.lock"
        if foreign and not locked and os.access(target.parent, os.W_OK):
            # another lifecycle may be swapping this folder (its lock file may already be
            # gone by the time we look for it): what was read may mix two sets, so judge it
            # again under the lock (``locked``: the caller holds it)
            with _lock(lockfile, str(target), LOCK_TIMEOUT):
                foreign = foreign_files(target)
        if foreign:
            named = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            what = (
                "has files lifecycle did not write"
                if read_manifest(target) is None
                else "has files added or changed since lifecycle wrote it"
            )
            raise _refuse(shown, f"the folder {what} ({named})", _FORCE_FIX)
    return target


def check_files(
    paths: Iterable[str | os.PathLike],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
    locked: bool = False,
) -> list[Path]:
    """Refuse output files that must not be replaced (see :func:`_check_files`); a path the
    OS refuses (too long, NUL) is refused the same way."""
    paths = list(paths)
    try:
        return _check_files(paths, force=force, inputs=inputs, locked=locked)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:
        raise _unusable(paths[0] if paths else "", exc) from None


def _check_files(
    paths: Iterable[str | os.PathLike],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
    locked: bool = False,
) -> list[Path]:
    """Refuse output files that must not be replaced: a folder, a symlink, a file the
    folder's manifest does not list as lifecycle's (unless ``force``), an input."""
    out = []
    paths = list(paths)
    ins = {Path(os.path.abspath(p)).resolve() for p in inputs}
    shown = str(paths[0]) if paths and str(paths[0]) else '""'
    for raw in paths:
        if not str(raw).strip():
            raise _refuse(shown, "the output file name is empty", "give a file name")
        p = Path(raw)
        if p.is_symlink():
            raise _refuse(shown, "a symbolic link", f"give the file itself: -o {p.resolve()}")
        if p.is_dir():
            raise _refuse(shown, "is a folder, not a file", "choose another output name")
        absolute = Path(os.path.abspath(p))
        _check_parent(absolute, shown)
        if absolute.resolve() in ins:
            raise _refuse(shown, "is an input of this command", "choose another output name")
        if p.exists() and not force:
            ok = _listed_unchanged(p, absolute.parent)
            lockfile = absolute.parent / ".lifecycle.lock"
            if not ok and not locked and os.access(absolute.parent, os.W_OK):
                # another lifecycle is committing files here: look again once it is done
                with _lock(lockfile, shown, LOCK_TIMEOUT):
                    ok = _listed_unchanged(p, absolute.parent)
            if not ok:
                raise _refuse(
                    shown,
                    f"{p.name} exists and was not written by lifecycle (or was changed since)",
                    "add --force to replace it, or choose another name",
                )
        out.append(p)
    return out


def _listed_unchanged(path: Path, folder: Path) -> bool:
    """``path`` is listed in ``folder``'s manifest with its current SHA-256."""
    info = (read_manifest(folder) or {}).get(path.name)
    return isinstance(info, dict) and _sha256(path) == info.get("sha256")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lifecycle")
    except PackageNotFoundError:
        return ""
