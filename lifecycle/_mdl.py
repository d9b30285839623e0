"""What is wrong with a model file, in the user's terms: the file, the equation, its line.

PySD reports a model it cannot translate with its own internals: ``decode() argument
'encoding' must be str`` for a binary file, ``'market_size'`` for an undefined name,
parser rules with positions inside one equation, the path of the translation cache
(issue 8). :func:`read_model` reads and checks a ``.mdl`` file before PySD sees it (a file
that is not UTF-8 text, no equations, an equation without its ``|``, missing control
variables, unsupported constructs); :func:`explain` turns a failure of PySD's translation
into one :class:`~lifecycle.errors.ModelParseError` that names the equation and its line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from ._names import canonical, closest, did_you_mean
from ._readers import looks_binary
from .errors import ModelParseError

#: the sketch marker (PySD looks for three backslashes; files with two exist, and work)
SKETCH = re.compile(r"\\{2,}---///")
CONTROL = ("INITIAL TIME", "FINAL TIME", "TIME STEP")
#: functions that read files beside the model: the translation runs in a cache folder
EXTERNAL = re.compile(r"\bGET[\s_]+(DIRECT|XLS|123|DATA\s+AT\s+TIME\s+FROM)\w*[\s_]*\w*\s*\(", re.I)


@dataclass(frozen=True)
class Equation:
    """One ``name = expression ~ units ~ comment |`` entry of a model file."""

    name: str
    line: int  # where the entry starts (1-based)
    start: int  # offset of the entry in the text
    parts: tuple[str, ...]  # the text between the ``~``

    @property
    def expression(self) -> str:
        return self.parts[0]


def _fail(path: Path, message: str, fix: str, line: int | None = None) -> ModelParseError:
    where = f"{path}:{line}" if line else str(path)
    return ModelParseError(f"{where}: {message} (fix: {fix})")


def _decode(path: Path, data: bytes) -> str:
    if looks_binary(data):
        raise _fail(
            path,
            "is a binary file, not a Vensim model (.mdl text)",
            "give the .mdl file; in Vensim, save a binary model (.vpm, .vmf) as .mdl",
        )
    head = re.match(rb"(?:\xef\xbb\xbf)?\s*\{([^}\r\n]*)\}", data)
    encoding = head.group(1).decode("ascii", "replace").strip() if head else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _fail(
            path,
            f"declares the encoding {{{encoding}}}, which is not one Python knows",
            "save the model as UTF-8 with {UTF-8} on its first line",
            1,
        ) from None
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        guess = " (Latin-1 or Windows-1252?)" if not head else ""
        name = encoding if head else "UTF-8"
        raise _fail(
            path,
            f"is not {name} text: byte 0x{data[exc.start]:02x} at column {column}{guess}",
            "save the model as UTF-8 with {UTF-8} on its first line, or name its encoding "
            "there, e.g. {windows-1252}",
            line,
        ) from None


def equations(text: str) -> tuple[list[Equation], str]:
    """The entries of a model's text (up to its sketch) and the text after the last ``|``.

    Follows PySD's grammar: an entry is ``element ~ element ~ comment (~ element)? |``; a
    quoted name may hold ``~`` and ``|``, a comment may not.
    """
    body = SKETCH.split(text, 1)[0]
    head = re.match(r"(?:\ufeff)?\s*\{[^}\n]*\}", body)
    pos = head.end() if head else 0
    out: list[Equation] = []
    parts: list[str] = []
    begin, quoted, i = pos, False, pos
    while i < len(body):
        ch = body[i]
        if quoted:
            if ch == "\\" and body[i + 1 : i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"' and len(parts) != 2:
            quoted = True
        elif ch in "~|":
            parts.append(body[begin:i])
            begin = i + 1
            if ch == "|":
                out.append(_entry(body, parts, begin))
                parts = []
        i += 1
    rest = body[begin:] if not parts else body[_start_of(body, parts, begin) :]
    return out, rest


def _start_of(body: str, parts: list[str], begin: int) -> int:
    length = sum(len(p) + 1 for p in parts)
    return begin - length


def _entry(body: str, parts: list[str], end: int) -> Equation:
    start = _start_of(body, parts, end)
    lead = len(parts[0]) - len(parts[0].lstrip())
    start += lead
    first = parts[0].strip()
    first = re.sub(r"^:END OF MACRO:\s*", "", first)
    first = re.sub(r"^:MACRO:\s*[^(]*\([^)]*\)\s*", "", first)
    m = re.match(r'\s*("(?:\\"|[^"])*"|[^=(\[:~|]*)', first)
    name = " ".join((m.group(1) if m else first).split()).strip('"')
    return Equation(name, body.count("\n", 0, start) + 1, start, tuple(parts))


def _is_group(eq: Equation) -> bool:
    return eq.expression.lstrip().startswith("*") or len(eq.parts) == 2


def read_model(path: Path) -> tuple[str, list[Equation]]:
    """The text and the entries of the model file ``path``, or a ModelParseError naming
    the file, the line and the fix."""
    path = Path(path)
    if path.is_dir():
        raise _fail(path, "is a folder, not a model file", "give the path of a .mdl file")
    if path.suffix.lower() in (".xmile", ".stmx", ".itmx", ".xml"):
        raise _fail(
            path,
            "is an XMILE file; lifecycle reads Vensim .mdl models",
            "save the model as a Vensim .mdl file",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == 40 else exc.strerror or str(exc)
        raise _fail(
            path, f"cannot be read: {reason}", "give the path of a readable .mdl file"
        ) from None
    text = _decode(path, data)
    if text.lstrip().startswith("<"):
        raise _fail(
            path,
            "is XML (XMILE?), not a Vensim model",
            "save the model as a Vensim .mdl file",
        )
    eqs, rest = equations(text)
    if rest.strip():
        _unfinished(path, text, rest)
    for eq in eqs:
        _check_entry(path, eq)
    named = [e for e in eqs if not _is_group(e) and e.name]
    if not named:
        raise _fail(
            path,
            "holds no equations",
            "give a Vensim .mdl model (each equation: name = expression ~ units ~ comment |)",
        )
    have = {canonical(e.name) for e in named}
    missing = [c for c in CONTROL if canonical(c) not in have]
    if missing:
        raise _fail(
            path,
            f"has no equation for {', '.join(missing)} (every model needs INITIAL TIME, "
            "FINAL TIME and TIME STEP)",
            f"add e.g. '{missing[0]} = {1 if 'STEP' in missing[0] else 0}' ~ Year ~ |",
        )
    return text, eqs


def _unfinished(path: Path, text: str, rest: str):
    start = len(SKETCH.split(text, 1)[0]) - len(rest) + (len(rest) - len(rest.lstrip()))
    line = text.count("\n", 0, start) + 1
    name = re.match(r'\s*("(?:\\"|[^"])*"|[^=(\[:~|]*)', rest)
    what = (
        f"the equation of '{' '.join(name.group(1).split())}'"
        if name and name.group(1).strip()
        else "the last entry"
    )
    cut = SKETCH.search(text) is None
    raise _fail(
        path,
        f"{what} has no closing '|'" + (": the file ends inside it" if cut else ""),
        "the file looks cut off; restore it from the original"
        if cut
        else "end the equation with '~ units ~ comment |'",
        line,
    )


def _check_entry(path: Path, eq: Equation) -> None:
    if len(eq.parts) > 4 or (len(eq.parts) == 4 and not eq.parts[3].strip().startswith(":")):
        raise _fail(
            path,
            f"the equation of '{eq.name}' runs into the next entry: it has "
            f"{len(eq.parts) - 1} '~' where an equation has two (a missing '|')",
            f"end the equation of '{eq.name}' with a line holding '|' after its comment",
            eq.line,
        )
    if re.search(r"\bA\s+FUNCTION\s+OF\b", eq.expression, re.I):
        raise _fail(
            path,
            f"'{eq.name}' has no equation yet (Vensim's A FUNCTION OF)",
            f"write the equation of '{eq.name}'",
            eq.line,
        )
    m = EXTERNAL.search(eq.expression)
    if m:
        function = " ".join(m.group(0).rstrip("( ").split()).upper()
        raise _fail(
            path,
            f"'{eq.name}' reads an external file with {function}, which lifecycle does not "
            "support (it translates models in a cache folder)",
            "write the values into the model as constants or a lookup",
            line_at(eq, m.start()),
        )


def line_at(eq: Equation, offset: int) -> int:
    """The file line of ``offset`` in the entry's equation text."""
    return eq.line + eq.expression.lstrip().count("\n", 0, max(0, offset - _lead(eq)))


def _lead(eq: Equation) -> int:
    return len(eq.expression) - len(eq.expression.lstrip())


def _uses(eqs: list[Equation], word: str) -> tuple[Equation, int, str] | None:
    """The first equation whose expression uses the name ``word`` (PySD spelling, e.g.
    ``market_size``): the equation, the line, and the name as written."""
    words = [w for w in re.split(r"_+", word) if w]
    if not words:
        return None
    pattern = re.compile(
        r'(?<![\w"])"?' + r"[\s_]+".join(map(re.escape, words)) + r'"?(?![\w"])', re.I
    )
    for eq in eqs:
        if _is_group(eq):
            continue
        m = pattern.search(eq.expression)
        if m:
            return eq, line_at(eq, m.start()), " ".join(m.group(0).strip('"').split())
    return None


def explain(path: Path, exc: BaseException, eqs: list[Equation]) -> ModelParseError:
    """One ModelParseError for a failure of PySD's translation of ``path``: the equation
    and line it comes from, and a fix; never PySD's own message or a cache path."""
    names = [e.name for e in eqs if not _is_group(e) and e.name]
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        found = _uses(eqs, exc.args[0])
        if found:
            eq, line, written = found
            hint = did_you_mean(closest(written, names))
            return _fail(
                path,
                f"'{eq.name}' uses '{written}', which no equation of the model defines"
                + (f"; {hint}" if hint else ""),
                f"add an equation for '{written}' or correct the name",
                line,
            )
    text, pos = getattr(exc, "text", None), getattr(exc, "pos", None)
    if isinstance(text, str) and isinstance(pos, int):
        found = _parse_error(eqs, text, pos)
        if found:
            eq, line = found
            return _fail(
                path,
                f"the equation of '{eq.name}' cannot be read: "
                + _syntax_hint(eq.expression, text[pos : pos + 30]),
                f"correct the equation of '{eq.name}'",
                line,
            )
    return _fail(
        path,
        "PySD cannot translate this model, and the equation at fault could not be found",
        "open the model in Vensim and check its syntax (Model > Check Syntax)",
    )


def _squash(s: str) -> str:
    return re.sub(r"\\\n\t?|\s+", "", s)


def _parse_error(eqs: list[Equation], text: str, pos: int) -> tuple[Equation, int] | None:
    """The equation whose text PySD failed to parse at ``pos`` of ``text``, and the file
    line of that character (PySD parses each equation with its white space collapsed)."""
    target = _squash(text)
    if not target:
        return None
    for eq in eqs:
        entry = eq.parts[0].lstrip()
        at = _squash(entry).find(target)
        if at < 0:
            continue
        k = at + len(_squash(text[:pos]))
        seen = i = 0
        while i < len(entry) and seen < k:
            if entry[i] == "\\" and entry[i + 1 : i + 2] == "\n":
                i += 2
                continue
            seen += not entry[i].isspace()
            i += 1
        return eq, eq.line + entry.count("\n", 0, i)
    return None


def _syntax_hint(expression: str, tail: str) -> str:
    opened, closed = expression.count("("), expression.count(")")
    if opened > closed:
        return f"{opened - closed} '(' without its ')'"
    if closed > opened:
        return f"{closed - opened} ')' without its '('"
    tail = " ".join(tail.split())
    return f"unexpected text at '{tail}'" if tail else "it ends too early"


def unsupported(path: Path, py_text: str, eqs: list[Equation]) -> ModelParseError | None:
    """A ModelParseError for the first function PySD translated as not implemented (its
    translation crashes when run), else None."""
    m = re.search(r"""not_implemented_function\(\s*["']([^"']+)["']""", py_text)
    if not m:
        return None
    found = _uses(eqs, m.group(1))
    function = m.group(1).replace("_", " ").upper()
    eq, line = (found[0].name, found[1]) if found else ("", None)
    return _fail(
        path,
        f"{f'{eq!r} uses ' if eq else 'uses '}{function}, a Vensim function PySD (the engine "
        "of lifecycle) does not implement",
        f"replace {function} by functions PySD supports (see PySD's list of supported "
        "Vensim functions)",
        line,
    )
