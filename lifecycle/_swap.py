"""The system-level half of :mod:`lifecycle.outputs`: signals, the lock file, the atomic
exchange of two folders and its per-file fallback. See that module for the guarantees."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

_SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s)
_BLOCKED = {signal.SIGINT, *_SIGNALS}


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
def _lock(lockfile: Path, shown, timeout: float) -> Iterator[None]:
    """An exclusive ``flock`` on ``lockfile``; a second writer is told and waits (up to
    ``timeout`` seconds), then is refused. The file is removed by its last holder."""
    told = False
    deadline = time.monotonic() + timeout
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
                raise OutputError(
                    f"-o {shown}: another lifecycle process is still writing it after "
                    f"{timeout:.0f} s (fix: wait for it, or choose another -o); nothing was "
                    "written"
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
    raise OutputError(
        f"-o {b}: could not swap the new output in ({os.strerror(err)}); the earlier output "
        "is unchanged (fix: choose another -o)"
    )


def _merge_into(staged: Path, target: Path, last: str) -> None:
    """Fallback swap: move every staged file into ``target`` (``os.replace``, atomic per
    file), the manifest last, then delete the old output's files the new one lacks."""
    new = _entries(staged)
    old = set(_entries(target))
    for name in sorted(new, key=lambda n: n == last):
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
