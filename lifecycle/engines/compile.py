"""Compile PySD's abstract model of a Vensim ``.mdl`` into one vectorised Python function.

The equations are never written twice: PySD's own Vensim translator parses the file into an
:class:`~pysd.translators.structures.abstract_model.AbstractModel`, and this module walks the
abstract syntax trees of its elements and emits NumPy source in which every quantity is either
a Python scalar (the same in every run) or an array of shape ``(n,)`` (one value per run).
The generated source follows PySD's runtime to the letter: the same Euler update, the same
initialisation order, the same stateful structures for SMOOTH and DELAY (see
``pysd/py_backend/statefuls.py``) and the same formulas for STEP, PULSE, RAMP, XIDZ...

Only what the project needs and the common built-ins are supported; anything else raises
:class:`~lifecycle.errors.UnsupportedFunctionError` naming the function and the variable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import _cache
from .._names import canonical
from ..errors import ModelParseError, UnsupportedFunctionError

CONTROL_KEYS = {
    "initialtime": "initial_time",
    "finaltime": "final_time",
    "timestep": "time_step",
    "saveper": "saveper",
}
SMALL = 1e-6  # PySD's SMALL_VENSIM

# Functions of arrays: name -> (arity or set of arities, template over a0, a1, ...).
_DIRECT = {
    "abs": ({1}, "np.abs({0})"),
    "exp": ({1}, "np.exp({0})"),
    "ln": ({1}, "np.log({0})"),
    "sqrt": ({1}, "np.sqrt({0})"),
    "sin": ({1}, "np.sin({0})"),
    "cos": ({1}, "np.cos({0})"),
    "tan": ({1}, "np.tan({0})"),
    "power": ({2}, "np.power({0}, {1})"),
    "log": ({2}, "(np.log({0})/np.log({1}))"),
    "min": ({2}, "np.minimum({0}, {1})"),
    "max": ({2}, "np.maximum({0}, {1})"),
    "integer": ({1}, "np.trunc({0})"),
    "modulo": ({2}, "_modulo({0}, {1})"),
    "step": ({2}, "({0} * (time + time_step/2 > {1}))"),
    "ramp": ({3}, None),
    "pulse": ({2}, None),
    "pulse_train": ({4}, None),
    "xidz": ({3}, None),
    "zidz": ({2}, None),
    "if_then_else": ({3}, None),
}
_VENSIM_NAME = {
    "if_then_else": "IF THEN ELSE",
    "pulse_train": "PULSE TRAIN",
    "delay_n": "DELAY N",
    "smooth_n": "SMOOTH N",
}

_OPS = {
    "^": "**",
    "*": "*",
    "/": "/",
    "+": "+",
    "-": "-",
    "=": "==",
    "<>": "!=",
    ">=": ">=",
    ">": ">",
    "<=": "<=",
    "<": "<",
}


def vensim_name(function: str) -> str:
    """The Vensim spelling of a PySD function reference (``pulse_train`` -> ``PULSE TRAIN``)."""
    return _VENSIM_NAME.get(function, function.replace("_", " ").upper())


@dataclass
class Node:
    """One quantity of the compiled model.

    ``kind`` is one of ``const``, ``aux``, ``integ``, ``smooth``, ``delay``, ``delayn``,
    ``initial``, ``lookup``, ``time``, ``control``.
    """

    key: str
    name: str
    kind: str
    ast: object = None  # aux/control: its expression; integ: its flow
    args: dict = field(default_factory=dict)  # stateful arguments: role -> node key
    refs: set = field(default_factory=set)  # nodes referenced by ``expr``
    default: float = 0.0
    order: int = 0  # fixed order of SMOOTH/DELAY (0: given by args["order"])
    nonneg: bool = False
    table: tuple = ()
    array: bool = False
    dynamic: bool = False

    def run_deps(self) -> set:
        """What must be computed, in the same time step, before this node's value."""
        if self.kind in ("aux", "control"):
            return set(self.refs)
        if self.kind == "delay":
            return {self.args["time"]}
        return set()

    def all_deps(self) -> set:
        return set(self.refs) | set(self.args.values())


def compiled(path: str | Path, data: bytes | None = None) -> Compiler:
    """The :class:`Compiler` of the model at ``path``, from the on-disk cache when it holds
    one for these bytes (``data``, default the file's), this PySD, this package and this
    compiler's source; parsing with PySD takes over a second, loading the entry milliseconds.
    """
    from importlib.metadata import version

    path = Path(path)
    data = path.read_bytes() if data is None else data
    parts = [data, version("pysd"), _cache.package_version(), Path(__file__).read_bytes()]
    comp = _cache.pickled("batch", _cache.content_key(parts), lambda: Compiler(path))
    comp.path = path  # the same content may sit at another path: name this one in messages
    return comp


class Compiler:
    """Build the node graph of a Vensim file from PySD's abstract model."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.nodes: dict[str, Node] = {}
        self.by_name: dict[str, str] = {}  # canonical name -> key
        self._count = 0
        self._element = ""
        # id of a stateful call's syntax tree -> (the tree, its node): the code generator
        # asks again for the expressions that hold it (see :meth:`expr`)
        self._memo: dict[int, tuple[object, str]] = {}
        self._parse()

    # -- the on-disk cache (:func:`compiled`) ---------------------------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_memo"] = list(self._memo.values())  # ids do not survive a pickle
        return state

    def __setstate__(self, state: dict) -> None:
        pairs = state.pop("_memo")
        self.__dict__.update(state)
        self._memo = {id(tree): (tree, key) for tree, key in pairs}

    # -- parsing -------------------------------------------------------------------------
    def _parse(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pysd.translators.structures import abstract_model as am
            from pysd.translators.vensim.vensim_file import VensimFile

            try:
                vf = VensimFile(self.path)
                vf.parse()
                model = vf.get_abstract_model()
            except Exception as exc:  # PySD raises bare exceptions on parse failures
                raise ModelParseError(f"{self.path}: PySD cannot parse this model: {exc}") from exc
        sections = list(model.sections)
        for sec in sections[1:]:
            raise UnsupportedFunctionError("MACRO", sec.name)
        elements = list(sections[0].elements)
        self.nodes["time"] = Node("time", "Time", "time", dynamic=True)
        self.by_name["time"] = "time"
        for el in elements:  # names first: references may point forward
            key = canonical(el.name)
            if key in CONTROL_KEYS:
                self.by_name[key] = CONTROL_KEYS[key]
            else:
                self.by_name[key] = f"v{len(self.by_name)}"
        for el in elements:
            self._element = el.name
            if len(el.components) != 1 or el.components[0].subscripts[0]:
                raise UnsupportedFunctionError("subscripts", el.name)
            if isinstance(el.components[0], am.AbstractData):
                raise UnsupportedFunctionError("DATA", el.name)
            if isinstance(el.components[0], am.AbstractLookup):  # lookups first: calls need them
                key = self.by_name[canonical(el.name)]
                self.nodes[key] = self._lookup_node(key, el.name, el.components[0].ast)
        for el in elements:
            self._element = el.name
            key = self.by_name[canonical(el.name)]
            if key not in self.nodes:
                self.nodes[key] = self._element_node(key, el.name, el.components[0].ast)
        for c in CONTROL_KEYS.values():
            if c not in self.nodes:
                raise ModelParseError(f"{self.path}: the control variable {c} is missing")

    def _lookup_node(self, key, name, ast) -> Node:
        from pysd.translators.structures import abstract_expressions as ae

        if not isinstance(ast, ae.LookupsStructure):
            raise UnsupportedFunctionError(type(ast).__name__.replace("Structure", ""), name)
        return Node(key, name, "lookup", table=self._table(ast))

    def _table(self, lk) -> tuple:
        if lk.type != "interpolate":
            raise UnsupportedFunctionError(f"lookup of type {lk.type}", self._element)
        return (tuple(float(x) for x in lk.x), tuple(float(y) for y in lk.y))

    def _element_node(self, key, name, ast) -> Node:
        from pysd.translators.structures import abstract_expressions as ae

        kind = "control" if key in CONTROL_KEYS.values() else "aux"
        if isinstance(ast, (int, float, np.number)) and kind == "aux":
            return Node(key, name, "const", default=float(ast))
        if isinstance(ast, ae.IntegStructure):
            refs: set = set()
            self.expr(ast.flow, refs)
            return Node(
                key,
                name,
                "integ",
                ast=ast.flow,
                refs=refs,
                args={"init": self._arg(ast.initial)},
                nonneg=bool(ast.non_negative),
            )
        refs = set()
        self.expr(ast, refs)
        return Node(key, name, kind, ast=ast, refs=refs)

    def _hidden(self, prefix: str) -> str:
        self._count += 1
        return f"_{prefix}{self._count}"

    def _arg(self, ast) -> str:
        """A node key for an argument of a stateful function (a hidden aux if needed)."""
        from pysd.translators.structures import abstract_expressions as ae

        if isinstance(ast, ae.ReferenceStructure) and ast.subscripts is None:
            key = self._ref(ast.reference)
            if key not in self.nodes or self.nodes[key].kind != "lookup":
                return key
        refs: set = set()
        self.expr(ast, refs)
        key = self._hidden("a")
        self.nodes[key] = Node(key, f"{self._element} (argument)", "aux", ast=ast, refs=refs)
        return key

    def _ref(self, reference: str) -> str:
        key = self.by_name.get(canonical(reference))
        if key is None:
            raise ModelParseError(
                f"{self.path}: '{self._element}' refers to '{reference}', which is not defined"
            )
        return key

    # -- expressions ---------------------------------------------------------------------
    def expr(self, ast, refs: set, array: bool = False) -> str:
        """Python source for ``ast``; adds the keys of referenced nodes to ``refs``.

        ``array`` selects the form of conditionals: ``np.where`` when some operand may be
        an array of runs, a Python conditional (which evaluates one branch) otherwise.
        The first call on an AST creates the hidden nodes of its stateful functions.
        """
        from pysd.translators.structures import abstract_expressions as ae

        if isinstance(ast, (bool, np.bool_)):
            return repr(float(ast))
        if isinstance(ast, (int, float, np.number)):
            # unparenthesised, as PySD writes it: -2^2 is -(2^2) = -4, as in Vensim
            x = float(ast)
            return repr(x) if np.isfinite(x) else f"float('{x}')"
        if isinstance(ast, ae.ReferenceStructure):
            if ast.subscripts is not None:
                raise UnsupportedFunctionError("subscripts", self._element)
            key = self._ref(ast.reference)
            if key in self.nodes and self.nodes[key].kind == "lookup":
                raise UnsupportedFunctionError("a lookup used without argument", self._element)
            refs.add(key)
            return key
        if isinstance(ast, (ae.ArithmeticStructure, ae.LogicStructure)):
            return self._operation(ast, refs, array)
        if isinstance(ast, ae.CallStructure):
            return self._call(ast, refs, array)
        if isinstance(ast, ae.InlineLookupsStructure):
            x = self.expr(ast.argument, refs, array)
            xs, ys = self._table(ast.lookups)
            return f"np.interp({x}, {xs!r}, {ys!r})"
        memo = self._memo.get(id(ast))
        if memo is not None:
            refs.add(memo[1])
            return memo[1]
        key = self._stateful_node(ast)
        self._memo[id(ast)] = (ast, key)  # the object too: it keeps the id valid
        refs.add(key)
        return key

    def _stateful_node(self, ast) -> str:
        from pysd.translators.structures import abstract_expressions as ae

        el = self._element
        if isinstance(ast, ae.InitialStructure):
            return self._stateful("initial", init=ast.initial)
        if isinstance(ast, ae.IntegStructure):
            key = self._hidden("integ")
            refs: set = set()
            self.expr(ast.flow, refs)
            self.nodes[key] = Node(
                key,
                f"{el} (INTEG)",
                "integ",
                ast=ast.flow,
                refs=refs,
                args={"init": self._arg(ast.initial)},
                nonneg=bool(ast.non_negative),
            )
            return key
        if isinstance(ast, ae.SmoothStructure):
            return self._stateful(
                "smooth",
                order=int(ast.order),
                input=ast.input,
                time=ast.smooth_time,
                init=ast.initial,
            )
        if isinstance(ast, ae.SmoothNStructure):
            return self._stateful(
                "smooth", input=ast.input, time=ast.smooth_time, init=ast.initial, n=ast.order
            )
        if isinstance(ast, ae.DelayStructure):
            return self._stateful(
                "delay",
                order=int(ast.order),
                input=ast.input,
                time=ast.delay_time,
                init=ast.initial,
            )
        if isinstance(ast, ae.DelayNStructure):
            return self._stateful(
                "delayn", input=ast.input, time=ast.delay_time, init=ast.initial, n=ast.order
            )
        name = {
            "DelayFixedStructure": "DELAY FIXED",
            "TrendStructure": "TREND",
            "ForecastStructure": "FORECAST",
            "SampleIfTrueStructure": "SAMPLE IF TRUE",
            "GameStructure": "GAME",
            "LookupsStructure": "a lookup table in an equation",
            "DataStructure": "DATA",
            "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
            "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
        }.get(type(ast).__name__)
        if name is None:
            name = type(ast).__name__.replace("Structure", "").upper()
            if name.startswith("GET"):
                name = "GET DIRECT/XLS"
        raise UnsupportedFunctionError(name, el)

    def _stateful(self, kind: str, order: int = 0, **asts) -> str:
        key = self._hidden(kind)
        args = {role: self._arg(a) for role, a in asts.items()}
        if "n" in args:
            args["order"] = args.pop("n")
        label = {"initial": "INITIAL", "smooth": "SMOOTH", "delay": "DELAY", "delayn": "DELAY N"}[
            kind
        ]
        self.nodes[key] = Node(key, f"{self._element} ({label})", kind, args=args, order=order)
        return key

    def _operation(self, ast, refs: set, array: bool) -> str:
        ops = list(ast.operators)
        args = [self.expr(a, refs, array) for a in ast.arguments]
        if len(args) == 1:
            if ops[0] == "negative":
                return f"(-{args[0]})"
            if ops[0] == ":NOT:":
                return f"np.logical_not({args[0]})"
            raise UnsupportedFunctionError(f"operator {ops[0]}", self._element)
        if ops[-1] in (":AND:", ":OR:"):
            fn = {":AND:": "np.logical_and", ":OR:": "np.logical_or"}
            # PySD nests right to left: a AND (b AND c)
            out = args[-1]
            for op, arg in zip(reversed(ops), reversed(args[:-1]), strict=True):
                out = f"{fn[op]}({arg}, {out})"
            return out
        if array and set(ops) == {"^"}:
            # right-associative like Python's **; _pow multiplies out small integer powers
            out = args[-1]
            for arg in reversed(args[:-1]):
                out = f"_pow({arg}, {out})"
            return out
        # PySD writes "a op b op c" and lets Python's precedence and associativity decide
        # (``**`` is right-associative); the same string gives the same floating point.
        parts = [args[0]]
        for op, arg in zip(ops, args[1:], strict=True):
            if op not in _OPS:
                raise UnsupportedFunctionError(f"operator {op}", self._element)
            parts += [_OPS[op], arg]
        return "(" + " ".join(parts) + ")"

    def _call(self, ast, refs: set, array: bool) -> str:
        fname = ast.function.reference
        key = self.by_name.get(canonical(fname))
        if key is not None and key in self.nodes and self.nodes[key].kind == "lookup":
            if len(ast.arguments) != 1:
                raise UnsupportedFunctionError(
                    f"lookup {fname} with several arguments", self._element
                )
            refs.add(key)
            return f"np.interp({self.expr(ast.arguments[0], refs, array)}, *{key})"
        if fname not in _DIRECT:
            raise UnsupportedFunctionError(vensim_name(fname), self._element)
        arities, template = _DIRECT[fname]
        if len(ast.arguments) not in arities:
            raise UnsupportedFunctionError(
                f"{vensim_name(fname)} with {len(ast.arguments)} arguments", self._element
            )
        a = [self.expr(x, refs, array) for x in ast.arguments]
        if fname in ("step", "ramp", "pulse", "pulse_train"):
            refs.update({"time", "time_step"})
        if template is not None:
            return template.format(*a)
        if fname == "ramp":
            final = "time" if len(a) == 2 else f"np.minimum({a[2]}, time)"
            return f"((time + {SMALL!r} > {a[1]}) * {a[0]} * ({final} - {a[1]}))"
        if fname == "if_then_else":
            if array:
                return f"np.where({a[0]}, {a[1]}, {a[2]})"
            return f"({a[1]} if {a[0]} else {a[2]})"
        suffix = "a" if array else "s"
        if fname in ("pulse", "pulse_train"):
            return f"_{fname}_{suffix}(time, {', '.join(a)})"
        return f"_{fname}_{suffix}({', '.join(a)})"
