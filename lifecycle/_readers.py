"""Reading the text files users write (scenarios, ``.cin`` changes files, uncertain files,
observed CSVs): one reader that names what is wrong with a file, and TOML with line numbers.

:func:`read_text` accepts a UTF-8 byte-order mark and turns every other reason a file
cannot be read (missing, a folder, a symbolic-link loop, binary, Latin-1) into a
:class:`~lifecycle.errors.Problem` with the fix.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path

from .errors import Problem

#: problems reported for one file; the rest are counted (5,000 took 30 s to report)
MAX_PROBLEMS = 100


def read_text(path: Path, problems: list[Problem], what: str = "scenario file") -> str | None:
    """The text of ``path`` as UTF-8 (a byte-order mark is accepted), or None with a
    Problem saying why not: missing, a folder, a symlink loop, binary, another encoding."""
    where = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(
            Problem(where, f"{what} not found", None, "check the path (.toml or .cin files)")
        )
        return None
    except IsADirectoryError:
        problems.append(Problem(where, f"is a folder, not a {what}", None, "name a file"))
        return None
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == 40 else exc.strerror or str(exc)
        problems.append(Problem(where, f"cannot read the {what}: {reason}", None, "name a file"))
        return None
    if looks_binary(data):
        problems.append(Problem(where, f"is a binary file, not a {what}", None, "name a text file"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                where,
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}; "
                "Latin-1 or Windows-1252?)",
                line,
                "save the file as UTF-8",
            )
        )
        return None


#: bytes below 0x20 that text files hold (tab, newline, form feed, carriage return)
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")


def looks_binary(data: bytes) -> bool:
    """A NUL byte, or more than 5 % control bytes in the first 4 KiB: binary, not text in
    some other encoding (Latin-1 and Windows-1252 text has no C0 control bytes; random bytes
    have about 11 %)."""
    if b"\0" in data:
        return True
    head = data[:4096]
    controls = sum(1 for b in head if (b < 0x20 and b not in _TEXT_CONTROLS) or b == 0x7F)
    return bool(head) and controls > 0.05 * len(head)


def line_of(text: str, key: str, section: str | None = None) -> int | None:
    """Line number (1-based) of ``key`` in a TOML text, within ``[section]`` if given, else
    at the top level (a ``[key]`` table header counts, and ``[section.key]`` counts as
    ``key`` of ``section``).

    The one TOML line lookup of scenario and uncertain files (each had its own)."""
    return _key_lines(text).get((section, key))


#: a ``[table.key]`` header: a bare or quoted table name, a dot, a bare or quoted key
_SUBTABLE = re.compile(
    r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+))\s*\.\s*"""
    r"""(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_\- ]+?))\s*$"""
)


@functools.lru_cache(maxsize=16)
def _key_lines(text: str) -> dict[tuple[str | None, str], int]:
    """Every key's first line, by (section, key): one pass over the text (looking each key
    up by scanning made 5,000 problems take 30 s)."""
    out: dict[tuple[str | None, str], int] = {}
    current = None
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if m:
            current = m.group(1).strip().strip('"')
            out.setdefault((None, current), no)
            sub = _SUBTABLE.match(m.group(1))
            if sub:  # [uncertain."imitation rate"]: the entry opens a table of its own
                table = next(g for g in sub.groups()[:3] if g is not None)
                entry = next(g for g in sub.groups()[3:] if g is not None)
                out.setdefault((table, entry.strip()), no)
            continue
        m = re.match(r'^(?:"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_\- ]+?))\s*=', stripped)
        if m:
            key = (m.group(1) or m.group(2) or m.group(3) or "").strip()
            out.setdefault((current, key), no)
    return out


def resolve(path: Path) -> Path:
    """``path`` made absolute with its links followed; a symbolic-link loop (which makes
    ``Path.resolve`` raise) is left unresolved, to be reported when the file is read."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def read_toml(
    path: Path,
    problems: list[Problem],
    what: str = "scenario file",
    fix: str = 'write `"name" = value` lines under [params]',
) -> tuple[dict | None, str]:
    """The parsed TOML of ``path`` and its text, or None with a Problem (``fix`` for a
    malformed file)."""
    text = read_text(path, problems, what)
    if text is None:
        return None, ""
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 has no lineno/msg attributes: read them from "(at line 3, column 5)"
        m = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
        line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
        msg = getattr(exc, "msg", None) or (str(exc)[: m.start()] if m else str(exc))
        problems.append(
            Problem(
                str(path),
                f"malformed TOML: {msg}",
                line,
                fix,
            )
        )
        return None, text
