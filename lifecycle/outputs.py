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
import ctypes
import errno
import fcntl
import hashlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .errors import OutputError

#: the manifest lifecycle writes into every output folder
MANIFEST = ".lifecycle-manifest.json"
DEPENDENCIES = ("pysd", "numpy", "scipy", "pandas", "xarray", "matplotlib", "click", "SALib")
#: how long a second writer waits for the first to finish its swap, in seconds
LOCK_TIMEOUT = 120.0
_FORCE_FIX = "add --force to replace it and everything in it, or choose another -o"
_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s)
_BLOCKED = {signal.SIGINT, *_SIGNALS}


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


def _entries(folder: Path) -> dict[str, Path]:
    """Every file below ``folder`` by its relative path; folders themselves are not listed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames:
            p = Path(dirpath) / name
            out[p.relative_to(folder).as_posix()] = p
        for name in dirnames:  # a symlinked folder is not walked: list it as an entry
            p = Path(dirpath) / name
            if p.is_symlink():
                out[p.relative_to(folder).as_posix()] = p
    return out


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
        "written_by": f"lifecycle {versions().get('lifecycle', '')}".strip(),
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
    target: str | os.PathLike, *, force: bool = False, inputs: Iterable[str | os.PathLike] = ()
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
            listed = read_manifest(absolute.parent) or {}
            info = listed.get(p.name)
            if not (isinstance(info, dict) and _sha256(p) == info.get("sha256")):
                raise _refuse(
                    shown,
                    f"{p.name} exists and was not written by lifecycle (or was changed since)",
                    "add --force to replace it, or choose another name",
                )
        out.append(p)
    return out


# -- signals, locks, swaps -----------------------------------------------------------------


class _Interrupted(SystemExit):
    """Raised in the main thread by SIGTERM/SIGHUP while output is staged."""


@contextmanager
def _signals_raise() -> Iterator[None]:
    """While staging: SIGTERM and SIGHUP raise ``SystemExit(128 + signal)`` so that clean-up
    runs (SIGINT raises ``KeyboardInterrupt`` already). Handlers a host installed are kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):
        raise _Interrupted(128 + signum)

    for s in _SIGNALS:
        if signal.getsignal(s) in (signal.SIG_DFL, None):
            previous[s] = signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def _blocked() -> Iterator[None]:
    """Signals held back during a swap and its clean-up, delivered right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def _lock(lockfile: Path, shown) -> Iterator[None]:
    """An exclusive ``flock`` on ``lockfile``; a second writer is told and waits (up to
    :data:`LOCK_TIMEOUT`), then is refused. The file is removed by its last holder."""
    told = False
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        fd = os.open(lockfile, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if not told:
                holder = ""
                try:
                    holder = f" (pid {lockfile.read_text().strip()})"
                except OSError:
                    pass
                print(
                    f"lifecycle: another lifecycle process{holder} is writing {shown}; "
                    "waiting for it to finish",
                    file=sys.stderr,
                    flush=True,
                )
                told = True
            if time.monotonic() > deadline:
                raise _refuse(
                    shown,
                    f"another lifecycle process is still writing it after {LOCK_TIMEOUT:.0f} s",
                    "wait for it, or choose another -o",
                ) from None
            time.sleep(0.05)
            continue
        # the file may have been removed (and re-created) by the holder we waited for
        try:
            same = os.fstat(fd).st_ino == os.stat(lockfile).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        break
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        try:
            os.unlink(lockfile)
        except OSError:
            pass
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise _oserror(OSError(err, os.strerror(err)), b)


def _merge_into(staged: Path, target: Path) -> None:
    """Fallback swap: move every staged file into ``target`` (``os.replace``, atomic per
    file), the manifest last, then delete the old output's files the new one lacks."""
    new = _entries(staged)
    old = set(_entries(target))
    for name in sorted(new, key=lambda n: n == MANIFEST):
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new[name], dest)
    for name in sorted(old - set(new), reverse=True):
        try:
            (target / name).unlink()
        except OSError:
            pass
    for dirpath, _dirs, _files in sorted(os.walk(target), reverse=True):
        if Path(dirpath) != target and not os.listdir(dirpath):
            os.rmdir(dirpath)


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
            with _lock(target.parent / f".{target.name}.lock", shown):
                check_folder(target, force=force, inputs=inputs)
                with _blocked():
                    if not os.path.lexists(target):
                        os.rename(tmp, target)
                    elif _exchange(tmp, target):
                        pass  # tmp now holds the old output, removed below
                    else:
                        _merge_into(tmp, target)
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
                check_files(paths, force=force, inputs=inputs)
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
    with _lock(folders[0] / ".lifecycle.lock", shown), _lock_all(folders[1:], shown):
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
