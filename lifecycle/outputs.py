"""Writing output that never destroys what lifecycle did not write.

Every folder lifecycle writes holds a manifest, :data:`MANIFEST`, listing each file with its
size and SHA-256. A folder is *lifecycle's own output* when it has a manifest and holds
exactly the files it lists, unchanged. Only such a folder (or an empty one, or a missing
one) is replaced; anything else is refused with :class:`~lifecycle.errors.OutputError`
(exit code 2) naming the fix: ``--force`` or another ``-o``.

How a folder is replaced (:func:`atomic_dir`):

1. :func:`check_folder` refuses bad targets before any simulation starts: ``""``, ``/``,
   ``.`` or any folder holding the working directory, a symlink, a file, a parent that is a
   file or not writable, an input of the command inside the target, a folder lifecycle did
   not write.
2. The new files are written into a staging folder beside the target (``.NAME.tmp-PID-*``),
   created with ``os.mkdir`` so it follows the user's umask (``mkdtemp`` would make it 0700).
3. Under a lock file beside the target (``.NAME.lock``, ``flock``), the target is checked
   again, then the staging folder and the target are swapped in one system call,
   ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+, glibc 2.28+, through ctypes). There is no
   moment when the target is missing or half-written: a reader sees the old set or the new
   set. A missing target is created by a plain ``rename``, equally atomic. The old output,
   now in the staging folder, is deleted.
4. Where ``RENAME_EXCHANGE`` is unavailable (another OS, a file system without it), the
   staged files are moved into the existing target one by one with ``os.replace`` (atomic
   per file), the manifest last, and files of the old output that the new one lacks are
   deleted. The target is never missing and no file is ever half-written, but a reader
   during those few renames may see a mix of old and new files. Renaming the target aside
   first (the former approach) leaves a moment with no target, and a kill at that moment
   left the old output under another name; a symlink flip would change what ``-o`` names.
5. SIGTERM and SIGHUP are turned into ``SystemExit`` while a folder is staged (SIGINT is
   already ``KeyboardInterrupt``), so the staging folder is removed on the way out; during
   the swap and the clean-up those signals are blocked and delivered just after. Staging
   folders of writers that died by SIGKILL are removed by the next writer to that target.

Files written beside other files (``compare -o fig.png``, ``calibrate -o fitted.toml``) go
through :func:`atomic_files`: all are staged first, then moved into place one by one, each
replacing only an absent file or one the folder's manifest says lifecycle wrote; the
manifest of that folder is updated, and a failure while moving rolls back.

Also here: :func:`provenance` (the ``run.json`` record), :func:`versions`, :func:`slug`,
:func:`write_csv` and :func:`save_figure`, used by every command that writes.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ._manifest import (  # noqa: F401 (the public names of this module)
    MANIFEST,
    check_files,
    check_folder,
    foreign_files,
    read_manifest,
    write_manifest,
)
from ._swap import _blocked, _exchange, _lock, _merge_into, _signals_raise
from .errors import OutputError

DEPENDENCIES = ("pysd", "numpy", "scipy", "pandas", "xarray", "matplotlib", "click", "SALib")
#: how long a second writer waits for the first to finish its swap, in seconds
LOCK_TIMEOUT = 120.0


# -- small helpers -------------------------------------------------------------------------


def slug(name: str) -> str:
    """A file-name stem for ``name``: ``"Member Share"`` -> ``"member_share"``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "scenario"


def versions() -> dict[str, str]:
    """Versions of Python, lifecycle and its dependencies, for provenance records."""
    out = {"python": platform.python_version()}
    for pkg in ("lifecycle", *DEPENDENCIES):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def provenance(
    model,
    scenarios: Sequence,
    *,
    command: Sequence[str] | None = None,
    extra_params: Mapping[str, float] | None = None,
    settings: Mapping[str, float | None] | None = None,
) -> dict:
    """The ``run.json`` record: versions, hashes, every resolved parameter, command, time."""
    from .scenarios import merged_params

    defaults = {n: c.default for n, c in model.parameters.items()}
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": list(command if command is not None else sys.argv),
        "versions": versions(),
        "platform": platform.platform(),
        "model": {"path": str(model.path), "name": model.name, "sha256": model.hash},
        "settings": dict(settings or {}),
        "set": dict(extra_params or {}),
        "scenarios": [
            {
                "name": s.name,
                "file": str(s.path) if s.path else None,
                "sha256": s.sha256,
                "description": s.description,
                "overrides": dict(merged_params(s, extra_params)),
                "parameters": {**defaults, **merged_params(s, extra_params)},
                "run": s.run_settings,
            }
            for s in scenarios
        ],
    }


def write_csv(df, path: Path) -> None:
    """Write a numeric frame with its index; floats in shortest round-trip form.

    Three times faster than ``DataFrame.to_csv`` for the tens of thousands of rows of a
    sensitivity analysis, and ``pandas.read_csv`` reads back the same numbers.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow([df.index.name or "", *df.columns])
        rows = zip(df.index.tolist(), df.to_numpy(dtype=float).tolist(), strict=True)
        fh.write("".join(f"{i}," + ",".join(map(repr, r)) + "\n" for i, r in rows))


def _finite(obj):
    """``obj`` with NaN and infinities as None: JSON has no NaN."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        try:
            return _finite(obj.item())
        except (TypeError, ValueError):
            return str(obj)
    return obj


def to_json(obj) -> str:
    """Strict JSON (NaN and infinities become null; other objects their ``str``)."""
    return json.dumps(_finite(obj), indent=2, default=str, allow_nan=False) + "\n"


def write_json(obj, path: Path) -> None:
    """Write ``obj`` as strict JSON (:func:`to_json`)."""
    Path(path).write_text(to_json(obj), encoding="utf-8")


def save_figure(fig, path: Path) -> None:
    """Save byte-stably, in the project's figure style (:func:`lifecycle.plotting.save_figure`),
    and release the figure."""
    from .plotting import save_figure as _save

    _save(fig, path)


def _stage_name(target: Path) -> Path:
    return target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"


def _remove_stale(target: Path) -> None:
    """Staging folders of writers to ``target`` that died without cleaning up (SIGKILL)."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.tmp-(\d+)-[0-9a-f]{{8}}$")
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return
    for p in siblings:
        m = pattern.match(p.name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(p, ignore_errors=True)
        except (PermissionError, OverflowError):
            pass


def _oserror(exc: OSError, shown) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(
        f"-o {shown}: could not write the output ({reason}); the earlier "
        "output, if any, is unchanged (fix: free space or choose another -o)"
    )


@contextmanager
def atomic_dir(
    target: str | os.PathLike,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
    command: Sequence[str] | None = None,
) -> Iterator[Path]:
    """Yield a staging folder; when the body succeeds it replaces ``target`` as a set.

    See the module docstring for the guarantees. On an exception (or SIGINT, SIGTERM,
    SIGHUP) the staging folder is removed and ``target`` is left untouched. A
    :data:`MANIFEST` listing the staged files is written before the swap.
    """
    inputs = list(inputs)
    target = check_folder(target, force=force, inputs=inputs)
    shown = str(target)
    target = Path(os.path.abspath(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _oserror(exc, shown) from None
    tmp = _stage_name(target)
    with _signals_raise():
        try:
            os.mkdir(tmp, 0o777)  # the umask applies, unlike mkdtemp's 0700
            yield tmp
            write_manifest(tmp, command=command)
            with _lock(target.parent / f".{target.name}.lock", shown, LOCK_TIMEOUT):
                check_folder(target, force=force, inputs=inputs, locked=True)
                with _blocked():
                    if not os.path.lexists(target):
                        os.rename(tmp, target)
                    elif _exchange(tmp, target):
                        pass  # tmp now holds the old output, removed below
                    else:
                        _merge_into(tmp, target, MANIFEST)
                    shutil.rmtree(tmp, ignore_errors=True)
                _remove_stale(target)
        except OSError as exc:
            with _blocked():
                shutil.rmtree(tmp, ignore_errors=True)
            raise _oserror(exc, shown) from None
        except BaseException:
            with _blocked():
                shutil.rmtree(tmp, ignore_errors=True)
            raise


def write_atomically(target, fill: Callable[[Path], None], **kw) -> Path:
    """Call ``fill(staging_folder)``, then replace ``target`` with it (:func:`atomic_dir`)."""
    with atomic_dir(target, **kw) as tmp:
        fill(tmp)
    return Path(target)


@contextmanager
def atomic_files(
    paths: Sequence[str | os.PathLike],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
) -> Iterator[list[Path]]:
    """Yield one staging path per output file; when the body succeeds they replace
    ``paths``, each only if it is absent or lifecycle's own (see :func:`check_files`).

    The files are moved into place one by one after all are written; if a move fails, the
    ones already moved are rolled back. The manifest of each folder is updated.
    """
    inputs = list(inputs)
    finals = [Path(os.path.abspath(p)) for p in check_files(paths, force=force, inputs=inputs)]
    shown = str(paths[0]) if paths else '""'
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staged = [p.with_name(f".{p.stem}.tmp-{token}{p.suffix}") for p in finals]
    with _signals_raise():
        try:
            for p in finals:
                p.parent.mkdir(parents=True, exist_ok=True)
            yield staged
            folders = sorted({p.parent for p in finals})
            with _lock_all(folders, shown):
                check_files(paths, force=force, inputs=inputs, locked=True)
                with _blocked():
                    _commit_files(staged, finals)
        except OSError as exc:
            raise _oserror(exc, shown) from None
        finally:
            with _blocked():
                for s in staged:
                    try:
                        s.unlink()
                    except OSError:
                        pass


@contextmanager
def _lock_all(folders: list[Path], shown) -> Iterator[None]:
    if not folders:
        yield
        return
    with _lock(folders[0] / ".lifecycle.lock", shown, LOCK_TIMEOUT), _lock_all(folders[1:], shown):
        yield


def _commit_files(staged: list[Path], finals: list[Path]) -> None:
    backups: list[tuple[Path, Path | None]] = []
    try:
        for s, f in zip(staged, finals, strict=True):
            backup = None
            if os.path.lexists(f):
                backup = f.with_name(f".{f.name}.bak-{os.getpid()}")
                os.link(f, backup)
            backups.append((f, backup))
            os.replace(s, f)
    except BaseException:
        for f, backup in reversed(backups):
            if backup is not None and os.path.exists(f) and os.path.samefile(backup, f):
                backup.unlink()  # not replaced yet (rename of a hard link onto itself: no-op)
            elif backup is not None:
                os.replace(backup, f)
            else:
                try:
                    f.unlink()
                except OSError:
                    pass
        raise
    for _f, backup in backups:
        if backup is not None:
            backup.unlink()
    for folder in sorted({f.parent for f in finals}):
        listed = read_manifest(folder) or {}
        mine = {f.name for f in finals if f.parent == folder}
        known = {n: v for n, v in listed.items() if n not in mine and (folder / n).is_file()}
        write_manifest(folder, files=mine, known=known)
