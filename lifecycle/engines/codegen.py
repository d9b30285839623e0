"""Generate the vectorised simulation function from a compiled node graph.

The generated ``simulate(P, times, save, out)`` runs every run of a chunk at once: each
quantity is a Python scalar when no sampled constant reaches it and an array of shape ``(n,)``
otherwise. Quantities that depend on neither time nor a stock are computed once, before the
time loop; only what the requested outputs need is computed at all.

Its integration loop is PySD's (``Model._integrate``): at each time, compute the auxiliaries,
save if it is a saving time, then take all derivatives before updating any state, Euler.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ArgumentError, ModelParseError, UnsupportedFunctionError
from .compile import CONTROL_KEYS, SMALL, Compiler, Node
from .optimise import optimise

STATEFUL = ("integ", "smooth", "delay", "delayn")


# -- runtime helpers used by the generated source (PySD's formulas, vectorised) ----------
def _xidz_s(n, d, x):
    return x if abs(d) < SMALL else n / d


def _xidz_a(n, d, x):
    return np.where(np.abs(d) < SMALL, x, n / d)


def _zidz_s(n, d):
    return 0 if abs(d) < SMALL else n / d


def _zidz_a(n, d):
    return np.where(np.abs(d) < SMALL, 0.0, n / d)


def _modulo(x, m):
    return x - np.where(m < SMALL, x, m * np.trunc(x / m))


def _pulse_s(t, start, width):
    return 1 if start - SMALL <= t < start + width else 0


def _pulse_a(t, start, width):
    return ((start - SMALL <= t) & (t < start + width)) * 1.0


def _pulse_train_s(t, start, repeat, width, end):
    if repeat == 0:
        return _pulse_s(t, start, width)
    if start <= t < end:
        return 1 if (t - start + SMALL) % repeat < width else 0
    return 0


def _pulse_train_a(t, start, repeat, width, end):
    single = _pulse_a(t, start, width)
    train = (start <= t) & (t < end) & ((t - start + SMALL) % repeat < width)
    return np.where(repeat == 0, single, train * 1.0)


def _pow(x, y):
    """``x ** y`` for arrays; small integer and half-integer powers by multiplication.

    ``np.power`` with a general exponent costs ten times a multiplication; products agree
    with it to a few units in the last place.
    """
    if isinstance(y, np.ndarray) or not isinstance(x, np.ndarray):  # np.ndim costs 2x
        return x**y
    if 2 < y <= 8 and y == int(y):  # NaN and inf fail the range test first
        k = int(y)
        out = None
        base = x
        while k:
            if k & 1:
                out = base if out is None else out * base
            k >>= 1
            if k:
                base = base * base
        return out
    if y == 1.5:
        return x * np.sqrt(x)
    return x**y


def _delay_order(order, dt, delay_time, name):
    """PySD's order of a DELAY: cast to int, lowered while order*TIME STEP > delay time."""
    if np.ndim(order):
        if np.all(order == order.flat[0]):
            order = order.flat[0]
        else:
            raise UnsupportedFunctionError("a DELAY whose order differs between runs", name)
    order = int(order)
    low = np.min(delay_time)
    base = order
    while order * dt > low:
        order -= 1
    if (
        order != base
        and np.ndim(delay_time)
        and np.any(base * dt > delay_time)
        and not np.all(base * dt > delay_time)
    ):
        # PySD lowers the order run by run; one order for all runs cannot reproduce that
        raise UnsupportedFunctionError(
            "a DELAY shorter than its order times TIME STEP in some runs only", name
        )
    return order


def _smooth_order(order, name):
    if np.ndim(order):
        if np.all(order == order.flat[0]):
            return int(order.flat[0])
        raise UnsupportedFunctionError("a SMOOTH N whose order differs between runs", name)
    return int(order)


def _minimum_s(a, b):
    return a if a <= b or a != a else b  # NaN wins, as in np.minimum


def _maximum_s(a, b):
    return a if a >= b or a != a else b


def _exp_s(x):
    try:
        return math.exp(x)
    except OverflowError:  # np.exp gives inf
        return math.inf


class _ScalarNumpy:
    """``np`` for a program in which every quantity is one number: the functions that the
    generated code calls on every step, on Python floats (a NumPy ufunc costs ~1 us on a
    scalar and returns a NumPy scalar, whose arithmetic is slower again; together this
    halves a single run of the cluster model). Everything else is NumPy's own."""

    minimum = staticmethod(_minimum_s)
    maximum = staticmethod(_maximum_s)
    exp = staticmethod(_exp_s)

    def __getattr__(self, name):
        return getattr(np, name)


def _width(values, order, name):
    """A function's internal state from a state to start from: one value per stage."""
    if len(values) != order:
        raise ArgumentError(
            f"the state of '{name}' has {len(values)} stage(s); this run's order is {order}"
        )
    return list(values)


HELPERS = {
    "_width": _width,
    "np": np,
    "_xidz_s": _xidz_s,
    "_xidz_a": _xidz_a,
    "_zidz_s": _zidz_s,
    "_zidz_a": _zidz_a,
    "_modulo": _modulo,
    "_pulse_s": _pulse_s,
    "_pulse_a": _pulse_a,
    "_pulse_train_s": _pulse_train_s,
    "_pulse_train_a": _pulse_train_a,
    "_delay_order": _delay_order,
    "_smooth_order": _smooth_order,
    "_pow": _pow,
}


# -- graph analysis ------------------------------------------------------------------------
def _deps_init(node: Node) -> set:
    if node.kind in ("aux", "control"):
        return set(node.refs)
    if node.kind == "integ":
        return {node.args["init"]}
    if node.kind == "smooth":
        return {node.args["init"]} | ({node.args["order"]} if "order" in node.args else set())
    return {v for r, v in node.args.items() if r != "input"}


def _toposort(keys, deps, nodes, where: str = "the model") -> list:
    order, state = [], {}

    def visit(k, path):
        s = state.get(k)
        if s == 2:
            return
        if s == 1:
            cyc = [nodes[p].name for p in path[path.index(k) :]]
            raise ModelParseError(
                f"{where}: simultaneous equations (a loop without a stock): "
                + " -> ".join(cyc)
                + " (fix: put a stock, e.g. a SMOOTH or an INTEG, somewhere in the loop)"
            )
        state[k] = 1
        for d in sorted(deps(k)):
            if d in keys:
                visit(d, path + [d])
        state[k] = 2
        order.append(k)

    for k in sorted(keys):
        visit(k, [k])
    return order


def state_keys(comp: Compiler) -> dict[str, str]:
    """Node key -> the name of its state in a :class:`~lifecycle.engines.State`: a stock's
    own name, or ``"variable (FUNCTION)"`` for a function's internal state (DELAY N's stage
    times add ``" times"``, under the key ``"T" + node key``)."""
    out: dict[str, str] = {}
    keys = [k for k, n in comp.nodes.items() if n.kind in STATEFUL or n.kind == "initial"]
    count: dict[str, int] = {}
    # several of one kind in one equation: "x (SMOOTH)", "x (SMOOTH 2)"... in the order the
    # parser met them (hidden keys are numbered in that order), as PySD numbers its objects
    for k in sorted(keys, key=lambda k: int(k.lstrip("_abcdefghijklmnopqrstuvwxyz") or 0)):
        n = comp.nodes[k]
        count[n.name] = count.get(n.name, 0) + 1
        name = n.name if count[n.name] == 1 else f"{n.name[:-1]} {count[n.name]})"
        out[k] = name
        if n.kind == "delayn":
            out["T" + k] = name + " times"
    return out


class Program:
    """The generated source and function for one model, sampled set and output list.

    ``states`` are the stateful nodes whose starting state differs between runs (they hold
    arrays like sampled constants); ``full`` computes every stateful node, so that the run's
    final state is complete.
    """

    def __init__(
        self,
        comp: Compiler,
        sampled: set,
        capture: list,
        states: frozenset = frozenset(),
        full: bool = False,
    ):
        self.comp = comp
        self.keep_state = full
        nodes = comp.nodes
        self.capture = list(capture)
        controls = list(CONTROL_KEYS.values())
        needed: set = set()
        stack = list(capture) + controls
        if full:
            stack += [k for k, n in nodes.items() if n.kind in STATEFUL or n.kind == "initial"]
        while stack:
            k = stack.pop()
            if k in needed:
                continue
            needed.add(k)
            stack.extend(nodes[k].all_deps())
        self.needed = needed
        # which nodes hold arrays of runs (fixed point over every dependency)
        for k in needed:
            nodes[k].array = (k in sampled and nodes[k].kind == "const") or k in states
        changed = True
        while changed:
            changed = False
            for k in needed:
                n = nodes[k]
                if not n.array and n.kind not in ("const", "lookup", "time"):
                    if any(nodes[d].array for d in n.all_deps()):
                        n.array = changed = True
        dyn = {k: nodes[k].kind in STATEFUL or k == "time" for k in needed}
        run_order = _toposort(needed, lambda k: nodes[k].run_deps(), nodes, comp.path.name)
        for k in run_order:
            if nodes[k].kind in ("aux", "control", "delay"):
                dyn[k] = dyn[k] or any(dyn[d] for d in nodes[k].run_deps())
            nodes[k].dynamic = dyn[k]
        for c in controls:
            if nodes[c].dynamic or nodes[c].array:
                raise UnsupportedFunctionError(
                    "a control variable that changes with time or between runs", nodes[c].name
                )
        self.init_order = _toposort(needed, lambda k: _deps_init(nodes[k]), nodes, comp.path.name)
        self.run_order = [
            k
            for k in run_order
            if nodes[k].dynamic and nodes[k].kind in ("aux", "smooth", "delay", "delayn")
        ]
        self.controls_order = _toposort(
            set().union(*(self._closure(c) for c in controls)),
            lambda k: _deps_init(nodes[k]),
            nodes,
            comp.path.name,
        )
        self.stateful = [
            k for k in sorted(needed) if nodes[k].kind in STATEFUL or nodes[k].kind == "initial"
        ]
        self.live = self._live(capture + ([k for k in needed if k.startswith("v")] * full))
        self.source = self._emit()
        namespace = dict(HELPERS)
        if not any(nodes[k].array for k in needed):
            namespace["np"] = _ScalarNumpy()
        for k in needed:
            if nodes[k].kind == "lookup":
                namespace[k] = tuple(np.array(v, dtype=float) for v in nodes[k].table)
        exec(compile(self.source, f"<batch {comp.path.name}>", "exec"), namespace)
        self.simulate = namespace["simulate"]
        self.controls = namespace["controls"]

    def _live(self, roots: list) -> list:
        """The stateful nodes a run from a state reads: those ``roots`` reach through
        equations, not through an initial value only (that is never evaluated)."""
        live: set = set()
        stack = list(roots)
        while stack:
            k = stack.pop()
            if k in live:
                continue
            live.add(k)
            n = self.comp.nodes[k]
            if n.kind != "initial":
                stack.extend(d for r, d in n.args.items() if r != "init")
                stack.extend(n.refs)
        return [k for k in self.stateful if k in live]

    def _closure(self, key) -> set:
        out, stack = set(), [key]
        while stack:
            k = stack.pop()
            if k not in out:
                out.add(k)
                stack.extend(_deps_init(self.comp.nodes[k]))
        return out

    def _code(self, node: Node) -> str:
        return self.comp.expr(node.ast, set(), node.array)

    def _init_line(self, k: str) -> list[str]:
        lines = self._init_fresh(k)
        n = self.comp.nodes[k]
        given = f"if Z is not None and {k!r} in Z:"  # absent: only an initial value needs it
        if n.kind in ("integ", "initial"):
            lines.append(f"{given} {k} = Z[{k!r}]")
        elif n.kind in STATEFUL:
            value = f"S{k}[-1]" if n.kind == "smooth" else f"S{k}[-1] / {n.args['time']}"
            lines.append(f"{given} S{k} = _width(Z[{k!r}], o{k}, {n.name!r})")
            if n.kind == "delayn":
                lines.append(f"{given} T{k} = _width(Z['T{k}'], o{k}, {n.name!r})")
                value = f"S{k}[-1] / T{k}[0]"
            lines.append(f"{k} = {value}")
        return lines

    def _init_fresh(self, k: str) -> list[str]:
        n = self.comp.nodes[k]
        a = n.args
        if n.kind == "const":
            return [f"{k} = P.get({k!r}, {n.default!r})"]
        if n.kind in ("time", "lookup"):
            return []
        if n.kind == "control":
            return [f"{k} = P[{k!r}]"]
        if n.kind == "aux":
            return [f"{k} = {self._code(n)}"]
        if n.kind == "integ":
            return [f"{k} = {a['init']}"]
        if n.kind == "initial":
            return [f"{k} = {a['init']}"]
        if n.kind == "smooth":
            order = f"_smooth_order({a['order']}, {n.name!r})" if "order" in a else n.order
            return [f"o{k} = {order}", f"S{k} = [{a['init']}] * o{k}", f"{k} = S{k}[-1]"]
        order = a["order"] if "order" in a else n.order
        lines = [
            f"o{k} = _delay_order({order}, time_step, {a['time']}, {n.name!r})",
            f"S{k} = [{a['init']} * {a['time']}] * o{k}",
        ]
        if n.kind == "delay":
            return lines + [f"{k} = S{k}[-1] / {a['time']}"]
        return lines + [f"T{k} = [{a['time']}] * o{k}", f"{k} = S{k}[-1] / T{k}[0]"]

    def _run_line(self, k: str) -> str:
        n = self.comp.nodes[k]
        if n.kind == "aux":
            return f"{k} = {self._code(n)}"
        if n.kind == "smooth":
            return f"{k} = S{k}[-1]"
        if n.kind == "delay":
            return f"{k} = S{k}[-1] / {n.args['time']}"
        return f"{k} = S{k}[-1] / T{k}[0]"

    def _ddt_lines(self, k: str) -> tuple[list[str], list[str]]:
        n = self.comp.nodes[k]
        a = n.args
        if n.kind == "integ":
            upd = f"{k} + d{k} * time_step"
            if n.nonneg:
                upd = f"np.maximum({upd}, 0)"
            return [f"d{k} = {self._code(n)}"], [f"{k} = {upd}"]
        upd = [f"S{k} = [s + d * time_step for s, d in zip(S{k}, d{k})]"]
        if n.kind == "smooth":
            return [
                f"d{k} = []",
                f"g = {a['input']}",
                f"for s in S{k}:",
                f"    d{k}.append((g - s) * o{k} / {a['time']})",
                "    g = s",
            ], upd
        if n.kind == "delay":
            return [
                f"d{k} = []",
                f"g = {a['input']}",
                f"for s in S{k}:",
                f"    f = s / {a['time']}",
                f"    d{k}.append((g - f) * o{k})",
                "    g = f",
            ], upd
        return [
            f"T{k} = [{a['time']}] + T{k}[:-1]",
            f"d{k} = []",
            f"g = {a['input']}",
            f"for s, tt in zip(S{k}, T{k}):",
            "    f = s / tt",
            f"    d{k}.append((g - f) * o{k})",
            "    g = f",
        ], upd

    def _emit(self) -> str:
        nodes = self.comp.nodes
        ind = "    "
        src = ["def controls(P):"]
        for k in self.controls_order:
            n = nodes[k]
            if n.kind == "control":
                src.append(ind + f"{k} = {self._code(n)}")
            else:
                src += [ind + line for line in self._init_fresh(k)]
        src.append(ind + "return {" + ", ".join(f"{c!r}: {c}" for c in CONTROL_KEYS.values()) + "}")
        src += ["", "", "def simulate(P, times, save, out, Z=None):", ind + "time = times[0]"]
        src += [ind + f"{c} = P[{c!r}]" for c in CONTROL_KEYS.values()]
        for k in self.init_order:
            if nodes[k].kind != "control":
                src += [ind + line for line in self._init_line(k)]
        body = [self._run_line(k) for k in self.run_order]
        body.append("if save[i]:")
        # One number per quantity (a single run): the saved values go into a list of
        # tuples and into ``out`` in one assignment after the loop, as writing each number
        # into a NumPy array costs more than computing it. Otherwise each row of runs is
        # written into ``out`` where it is computed.
        scalar = not any(nodes[k].array for k in self.needed)
        if scalar:
            body.append(ind + "_keep((" + "".join(f"{k}, " for k in self.capture) + "))")
        else:
            body += [ind + f"out[{c}, j] = {k}" for c, k in enumerate(self.capture)]
            body.append(ind + "j += 1")
        body += ["if i == last:", ind + "break"]
        ddts, updates = [], []
        for k in sorted(self.needed):
            if nodes[k].kind in STATEFUL:
                d, u = self._ddt_lines(k)
                ddts += d
                updates += u
        pre_loop, body = optimise(body + ddts, updates)
        src += [ind + line for line in pre_loop]
        src += [ind + ("kept = []\n" + ind + "_keep = kept.append" if scalar else "j = 0")]
        src += [ind + "last = len(times) - 1", ind + "for i, time in enumerate(times):"]
        src += [ind * 2 + line for line in body]
        if scalar:
            src.append(
                # every run of the chunk is this one (a sampled constant none of them uses)
                ind + f"out[...] = np.array(kept, dtype=float).reshape(len(kept), "
                f"{len(self.capture)}).T[:, :, None]"
            )
        final = []
        for k in self.stateful:  # the state after the last time (``Z`` of a continuation)
            kind = nodes[k].kind
            final.append(f"{k!r}: {k}" if kind in ("integ", "initial") else f"{k!r}: S{k}")
            if kind == "delayn":
                final.append(f"'T{k}': T{k}")
        src.append(ind + "return {" + ", ".join(final) + "}")
        return "\n".join(src) + "\n"
