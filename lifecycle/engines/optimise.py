"""Rewrites of the generated loop that keep its results bit for bit.

Common subexpressions are computed once, loop invariants before the loop, and chains of
``+ - * /`` update one running array in place. Each pass moves whole subtrees of Python's own
parse of the generated expressions, so every intermediate value is computed by exactly the
same operations on the same operands, in the same order.
"""

from __future__ import annotations

import ast

_COMPOUND = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare, ast.BoolOp, ast.IfExp)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _count(node: ast.AST, counts: dict[str, int]) -> None:
    """Count compound subtrees, not descending into the branches of a conditional."""
    if isinstance(node, _COMPOUND):
        key = ast.dump(node)
        counts[key] = counts.get(key, 0) + 1
    if isinstance(node, ast.IfExp):
        _count(node.test, counts)
        return
    for child in ast.iter_child_nodes(node):
        _count(child, counts)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, counts, variant, hoisted, pre_loop):
        self.counts, self.variant = counts, variant
        self.hoisted = hoisted  # dump -> name, for invariants and shared subtrees alike
        self.pre_loop = pre_loop
        self.before: list[str] = []  # shared subtrees to compute before this statement
        self.serial = 0

    def _new(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def generic_visit(self, node):
        if isinstance(node, ast.IfExp):  # branches are evaluated only when taken
            node.test = self.visit(node.test)
            return node
        return super().generic_visit(node)

    def visit(self, node):
        if not isinstance(node, _COMPOUND) or isinstance(node, ast.Lambda):
            return self.generic_visit(node)
        key = ast.dump(node)
        if key in self.hoisted:
            return ast.Name(self.hoisted[key], ast.Load())
        names = _names(node)
        invariant = bool(names) and not names & self.variant
        shared = self.counts.get(key, 0) > 1
        if not (invariant or shared):
            return self.generic_visit(node)
        inner = self.generic_visit(node)
        name = self._new("_c" if invariant else "_s")
        line = f"{name} = {ast.unparse(inner)}"
        (self.pre_loop if invariant else self.before).append(line)
        self.hoisted[key] = name
        return ast.Name(name, ast.Load())


def optimise(body: list[str], rest: list[str]) -> tuple[list[str], list[str]]:
    """Rewrite the top-level ``name = expression`` lines of a loop body.

    Parameters
    ----------
    body : the part of the loop body to rewrite, one statement per line (indented lines
        belong to a compound statement and are left alone). Each name it uses must be
        assigned at most once in it, as the auxiliaries and derivatives are.
    rest : the remainder of the loop body (the state updates), kept as it is; what it
        assigns is not loop-invariant.

    Returns
    -------
    (pre_loop, body) : lines to run once before the loop, and the new body.
    """
    tree = ast.parse("\n".join(body + rest))
    assigned = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    variant = assigned | {"time", "i", "j"}
    simple = []
    for line in body:
        if line[:1].isspace() or line.startswith(("if ", "for ")) or " = " not in line:
            simple.append(None)
            continue
        target, expr = line.split(" = ", 1)
        simple.append((target, ast.parse(expr, mode="eval").body))
    counts: dict[str, int] = {}
    for item in simple:
        if item is not None:
            _count(item[1], counts)
    pre_loop: list[str] = []
    rewriter = _Rewriter(counts, variant, {}, pre_loop)
    lowering = _Lowering()
    out = []
    for line, item in zip(body, simple, strict=True):
        if item is None:
            out.append(line)
            continue
        target, expr = item
        if isinstance(expr, _COMPOUND):
            # the statement's own expression is computed here; only its parts are shared
            new = rewriter.generic_visit(expr)
        else:
            new = expr
        for stmt in rewriter.before + [f"{target} = {ast.unparse(new)}"]:
            out += lowering.statement(stmt)
        rewriter.before = []
    return pre_loop, out + rest


_AUG = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/="}


def _boolish(node: ast.AST) -> bool:
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Attribute) and func.attr.startswith("logical_")


class _Lowering:
    """Chains ``a + b * c - d`` become ``t = a + b * c`` then ``t -= d``: the same operations
    in the same order, with the running result updated in place instead of reallocated.

    Safe because ``t`` is new: the first operation returns a fresh array (or an immutable
    number, for which ``-=`` rebinds). Branches of conditionals are left alone.
    """

    def __init__(self):
        self.serial = 0

    def statement(self, stmt: str) -> list[str]:
        target, expr = stmt.split(" = ", 1)
        out: list[str] = []
        node = self.lower(ast.parse(expr, mode="eval").body, out)
        if not out:
            return [stmt]
        return out + [f"{target} = {ast.unparse(node)}"]

    def lower(self, node: ast.AST, out: list[str]) -> ast.AST:
        if isinstance(node, ast.IfExp):
            node.test = self.lower(node.test, out)
            return node
        if (
            isinstance(node, ast.BinOp)
            and type(node.op) in _AUG
            and isinstance(node.left, ast.BinOp)
        ):
            spine = []
            while (
                isinstance(node, ast.BinOp)
                and type(node.op) in _AUG
                and isinstance(node.left, ast.BinOp)
            ):
                spine.append((_AUG[type(node.op)], node.right))
                node = node.left
            if _boolish(node.left) and _boolish(node.right) and not isinstance(node.op, ast.Div):
                # bool * bool is a bool array, which cannot take a float result in place
                return self.lower_children(node, out)
            base = self.lower_children(node, out)
            self.serial += 1
            name = f"_t{self.serial}"
            out.append(f"{name} = {ast.unparse(base)}")
            for op, right in reversed(spine):
                out.append(f"{name} {op} {ast.unparse(self.lower(right, out))}")
            return ast.Name(name, ast.Load())
        return self.lower_children(node, out)

    def lower_children(self, node: ast.AST, out: list[str]) -> ast.AST:
        if isinstance(node, ast.BinOp):
            node.left = self.lower(node.left, out)
            node.right = self.lower(node.right, out)
        elif isinstance(node, ast.UnaryOp):
            node.operand = self.lower(node.operand, out)
        elif isinstance(node, ast.Call):
            node.args = [self.lower(a, out) for a in node.args]
        elif isinstance(node, ast.Compare):
            node.left = self.lower(node.left, out)
            node.comparators = [self.lower(c, out) for c in node.comparators]
        elif isinstance(node, ast.IfExp):
            return self.lower(node, out)
        return node
