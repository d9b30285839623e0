"""The condition language of a check: metrics, numbers, arithmetic, comparisons, logic.

A condition such as ``final(Member Share) >= 0.5 and final(Firms) < 0.1 * peak(Firms)`` is
read in two steps. First every metric call (``peak(...)``, ``X@40``...) is cut out of the
text and replaced by a placeholder, so that variable names may hold spaces. Then Python's
``ast`` parses what is left, and only these node types are accepted: numbers, placeholders,
``+ - * / **``, unary ``-``, ``abs()``, the comparisons ``< <= > >= == !=`` (chains too),
``and``, ``or``, ``not``. Nothing is ever evaluated by Python: a condition is turned into a
small tree that this module evaluates with NumPy, one value per run.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .metrics import FUNCTIONS, HELP, brackets

KEYWORDS = ("and", "or", "not")
CALLS = ("abs",)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUM = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_PLACEHOLDER = re.compile(r"_m(\d+)_")
_NAME_WORD = re.compile(r"\w+")
SYNTAX_HELP = (
    "write metrics such as final(Member Share) or Employment@40, compare them with "
    "< <= > >= == !=, combine with and/or/not, e.g. peak(Firms) > 2 * final(Firms)"
)

_COMPARE = {
    ast.Lt: ("<", np.less),
    ast.LtE: ("<=", np.less_equal),
    ast.Gt: (">", np.greater),
    ast.GtE: (">=", np.greater_equal),
    ast.Eq: ("==", np.equal),
    ast.NotEq: ("!=", np.not_equal),
}
_ARITH = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}


class ConditionError(ValueError):
    """Problems in one condition (messages without file or line)."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class Call:
    """A metric call cut out of the condition: function, argument text, original text."""

    function: str
    args: str
    text: str


def _closing(text: str, start: int) -> int | None:
    """Index of the ``)`` matching the ``(`` at ``start``, outside quotes; None if none."""
    return next((i for i, ch, depth in brackets(text, start) if ch == ")" and depth == 0), None)


def cut_metrics(text: str) -> tuple[str, list[Call], list[str]]:
    """Replace every metric call of ``text`` by ``_mN_``; return the text, calls, problems."""
    text = " ".join(text.split())  # a condition may span lines
    out: list[str] = []
    calls: list[Call] = []
    problems: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        m = _IDENT.match(text, i)
        if m and not (i and (text[i - 1].isalnum() or text[i - 1] in "_.")):
            word, j = m.group(), m.end()
            k = j
            while k < n and text[k].isspace():
                k += 1
            if k < n and text[k] == "(" and word not in CALLS + KEYWORDS:
                close = _closing(text, k)
                if close is None:
                    problems.append(
                        f"the parenthesis after '{word}' is never closed; close it with ')'"
                    )
                    return "".join(out), calls, problems
                if word.lower() in FUNCTIONS:
                    calls.append(Call(word.lower(), text[k + 1 : close], text[i : close + 1]))
                    out.append(f" _m{len(calls) - 1}_ ")
                else:
                    close_names = difflib.get_close_matches(word.lower(), list(FUNCTIONS), n=2)
                    hint = (
                        "did you mean " + " or ".join(f"{c}()" for c in close_names) + "? "
                        if close_names
                        else ""
                    )
                    problems.append(f"unknown function '{word}()'; {hint}{HELP}")
                    out.append(" 0 ")
                i = close + 1
                continue
            out.append(word)
            i = j
            continue
        if ch in "'\"":
            problems.append(
                f"a quoted text outside a metric ({text[i:].split()[0]}); quotes belong in "
                'scenario="..." inside a metric'
            )
            return "".join(out), calls, problems
        out.append(ch)
        i += 1
    rewritten = "".join(out)
    rewritten, problems2 = _cut_at(rewritten, calls)
    return rewritten, calls, problems + problems2


def _cut_at(text: str, calls: list[Call]) -> tuple[str, list[str]]:
    """Replace ``Name With Spaces@40`` by a placeholder (the ``at`` metric)."""
    problems: list[str] = []
    while "@" in text:
        pos = text.index("@")
        num = _NUM.match(text, pos + 1)
        j = pos - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        start = j + 1
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_ "):
            start -= 1
        words = list(_NAME_WORD.finditer(text, start, j + 1))
        keep = [
            w
            for w in words
            if w.group() in KEYWORDS or _PLACEHOLDER.fullmatch(w.group()) or w.group()[0].isdigit()
        ]
        if keep:
            words = [w for w in words if w.start() > keep[-1].start()]
        if not words:
            problems.append("'@' needs a variable before it; write e.g. Employment@40")
            text = text[:pos] + " 0 " + text[pos + 1 :]
            continue
        if num is None:
            problems.append(
                f"'{text[words[0].start() : pos + 1].strip()}' needs a time after '@'; "
                "write e.g. Employment@40"
            )
            text = text[: words[0].start()] + " 0 " + text[pos + 1 :]
            continue
        name = " ".join(w.group() for w in words)
        original = f"{name}@{num.group(1)}"
        calls.append(Call("at", f"{name}, {num.group(1)}", original))
        text = text[: words[0].start()] + f" _m{len(calls) - 1}_ " + text[num.end() :]
    return text, problems


# -- the tree ------------------------------------------------------------------------------


@dataclass
class Node:
    """A node of a condition: ``kind`` is "num" (a value per run) or "bool" (true/false)."""

    op: str
    kind: str
    children: list = field(default_factory=list)
    value: float | int | None = None
    text: str = ""

    def evaluate(self, values: Sequence[np.ndarray]):
        op = self.op
        if op == "num":
            return np.float64(self.value)
        if op == "ref":
            return values[int(self.value)]
        ev = [c.evaluate(values) for c in self.children]
        if op == "neg":
            return -ev[0]
        if op == "abs":
            return np.abs(ev[0])
        if op in ("and", "or"):
            f = np.logical_and if op == "and" else np.logical_or
            out = ev[0]
            for e in ev[1:]:
                out = f(out, e)
            return out
        if op == "not":
            return np.logical_not(ev[0])
        if op == "cmp":
            return _compare_fn(self.value)(ev[0], ev[1])
        return _arith_fn(op)(ev[0], ev[1])


def _compare_fn(symbol):
    return next(f for s, f in _COMPARE.values() if s == symbol)


def _arith_fn(symbol):
    return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}[symbol]


_ARITH_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def slack(symbol: str, left: float, right: float) -> float:
    """How far a comparison is from failing: positive when it holds, negative by how much it
    fails (in the units of the compared values)."""
    if symbol in ("<", "<="):
        return right - left
    if symbol in (">", ">="):
        return left - right
    if symbol == "==":
        return -abs(left - right)
    return abs(left - right)


@dataclass
class Condition:
    """A parsed condition: its text, tree and the metric calls it reads (by placeholder)."""

    text: str
    tree: Node
    calls: list[Call]

    def evaluate(self, values: Sequence[np.ndarray]) -> np.ndarray:
        """Truth per run; a run in which any metric is NaN does not hold."""
        with np.errstate(all="ignore"):
            out = np.asarray(self.tree.evaluate(values), dtype=bool)
        n = max((len(v) for v in values), default=1)
        out = np.broadcast_to(out, (n,)).copy()
        for v in values:
            out &= np.isfinite(v)
        return out

    def comparisons(self) -> list[Node]:
        out = []

        def walk(node):
            if node.op == "cmp":
                out.append(node)
            elif node.kind == "bool":
                for c in node.children:
                    walk(c)

        walk(self.tree)
        return out

    def margin(self, values: Sequence[np.ndarray]) -> np.ndarray:
        """Relative margin per run: positive when the condition holds, negative when it fails;
        a comparison's slack over the larger of its two sides (so within [-2, 2]), the
        smallest over ``and``, the largest over ``or``, negated under ``not``."""

        def walk(node):
            if node.op == "cmp":
                a = np.asarray(node.children[0].evaluate(values), dtype=float)
                b = np.asarray(node.children[1].evaluate(values), dtype=float)
                s = slack(node.value, a, b)
                scale = np.maximum(np.abs(a), np.abs(b))
                return np.where(scale > 0, s / np.where(scale > 0, scale, 1), 0.0)
            parts = [walk(c) for c in node.children]
            if node.op == "not":
                return -parts[0]
            return np.minimum.reduce(parts) if node.op == "and" else np.maximum.reduce(parts)

        with np.errstate(all="ignore"):
            return np.atleast_1d(walk(self.tree))

    def failures(self, values: Sequence[np.ndarray], i: int = 0) -> list[dict]:
        """The comparisons that make run ``i`` fail: text, both sides, the shortfall."""
        one = [np.atleast_1d(v)[i : i + 1] for v in values]
        out: list[dict] = []

        def value(node):
            with np.errstate(all="ignore"):
                return float(np.atleast_1d(node.evaluate(one))[0])

        def walk(node, want: bool):
            with np.errstate(all="ignore"):
                held = bool(np.atleast_1d(node.evaluate(one))[0])
            if held == want:
                return
            if node.op == "cmp":
                a, b = value(node.children[0]), value(node.children[1])
                s = slack(node.value, a, b)
                out.append(
                    {
                        "comparison": node.text,
                        "left": node.children[0].text,
                        "left_is_number": node.children[0].op == "num",
                        "right_is_number": node.children[1].op == "num",
                        "left_value": a,
                        "op": node.value if want else _NEGATE[node.value],
                        "right": node.children[1].text,
                        "right_value": b,
                        "shortfall": abs(s) if np.isfinite(s) else float("nan"),
                        "relative": abs(s) / abs(b) if b and np.isfinite(s) else float("nan"),
                    }
                )
            elif node.op == "not":
                walk(node.children[0], not want)
            elif (node.op == "and") == want:  # every child should hold (or fail)
                for c in node.children:
                    walk(c, want)
            else:  # none of the alternatives gave the wanted truth
                for c in node.children:
                    walk(c, want)

        walk(self.tree, True)
        return out


_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def parse_condition(text: str, metric: Callable[[Call], int | None]) -> Condition:
    """Parse ``text``; ``metric(call)`` validates a metric call and returns its index in the
    caller's list of metrics (or None after recording its own problem).

    Raises :class:`ConditionError` with every problem found.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError([f"the condition must be a non-empty text; {SYNTAX_HELP}"])
    rewritten, calls, problems = cut_metrics(text)
    index = {k: metric(call) for k, call in enumerate(calls)}
    if problems:
        raise ConditionError(problems)
    source = " ".join(rewritten.split())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(
            [f"'{text}' is not a valid condition ({exc.msg}); {SYNTAX_HELP}"]
        ) from None
    root = _Builder(source, calls, index).build(tree.body)
    if root.kind != "bool":
        raise ConditionError(
            [f"'{text}' is a number, not a condition; compare it, e.g. '{text.strip()} > 0'"]
        )
    return Condition(text=" ".join(text.split()), tree=root, calls=calls)


class _Builder:
    """Turns the allowed ``ast`` nodes into :class:`Node` trees; refuses every other node."""

    def __init__(self, source: str, calls: list[Call], index: dict[int, int | None]):
        self.source, self.calls, self.index = source, calls, index

    def show(self, node) -> str:
        """The node's text as the user wrote it (metric placeholders put back)."""
        seg = ast.get_source_segment(self.source, node) or ""
        return " ".join(_PLACEHOLDER.sub(lambda m: self.calls[int(m.group(1))].text, seg).split())

    def build(self, node) -> Node:
        kind = type(node).__name__
        method = getattr(self, f"_{kind}", None)
        out = method(node) if method is not None else None
        if out is None:
            raise ConditionError(
                [f"'{self.show(node)}' is not allowed in a condition; {SYNTAX_HELP}"]
            )
        return out

    def _Constant(self, node):  # methods are named after the ast classes
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ConditionError([f"{self.show(node)} is not a number; write a number"])
        return Node("num", "num", value=node.value, text=self.show(node))

    def _Name(self, node):
        m = _PLACEHOLDER.fullmatch(node.id)
        if m and int(m.group(1)) < len(self.calls):
            k = self.index[int(m.group(1))]
            return Node("ref", "num", value=-1 if k is None else k, text=self.show(node))
        raise ConditionError(
            [
                f"'{node.id}' on its own is not a metric; write final({node.id}), "
                f"peak({node.id}) or {node.id}@40"
            ]
        )

    def _UnaryOp(self, node):
        inner = self.build(node.operand)
        if isinstance(node.op, ast.Not):
            _want(inner, "bool", "not")
            return Node("not", "bool", [inner], text=self.show(node))
        _want(inner, "num", "a sign")
        if isinstance(node.op, ast.USub):
            return Node("neg", "num", [inner], text=self.show(node))
        return inner if isinstance(node.op, ast.UAdd) else None

    def _BinOp(self, node):
        if type(node.op) not in _ARITH:
            return None
        a, b = self.build(node.left), self.build(node.right)
        sym = _ARITH_SYMBOL[type(node.op)]
        _want(a, "num", sym)
        _want(b, "num", sym)
        return Node(sym, "num", [a, b], text=self.show(node))

    def _Compare(self, node):
        parts = [self.build(node.left), *(self.build(c) for c in node.comparators)]
        for p in parts:
            _want(p, "num", "a comparison")
        pairs = []
        for op, left, right in zip(node.ops, parts[:-1], parts[1:], strict=True):
            symbol = _COMPARE[type(op)][0]
            text = f"{left.text} {symbol} {right.text}"
            pairs.append(Node("cmp", "bool", [left, right], value=symbol, text=text))
        return pairs[0] if len(pairs) == 1 else Node("and", "bool", pairs, text=self.show(node))

    def _BoolOp(self, node):
        parts = [self.build(v) for v in node.values]
        op = "and" if isinstance(node.op, ast.And) else "or"
        for p in parts:
            _want(p, "bool", op)
        return Node(op, "bool", parts, text=self.show(node))

    def _Call(self, node):
        if not (
            isinstance(node.func, ast.Name)
            and node.func.id in CALLS
            and len(node.args) == 1
            and not node.keywords
        ):
            return None
        inner = self.build(node.args[0])
        _want(inner, "num", "abs()")
        return Node("abs", "num", [inner], text=self.show(node))


def _want(node: Node, kind: str, where: str) -> None:
    if node.kind != kind:
        what = "a number" if kind == "num" else "a comparison"
        raise ConditionError([f"'{node.text}' must be {what} for {where}; {SYNTAX_HELP}"])
