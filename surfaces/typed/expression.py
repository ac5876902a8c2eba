"""The expression tree of a user-typed ``f(x, y)``: nodes, simplifying builders, NumPy evaluation.

A tree is made of five immutable node types::

    Num(2.0)  Num(3.14159…, "pi")  Var("x")  Neg(a)  Binary("*", a, b)  Call("sin", a)

``Binary.op`` is one of ``+ - * / ^``. Trees are plain data: nothing here ever turns text
into code. :mod:`surfaces.typed.parser` builds them from text, the builders below
(``add``, ``mul``, ``power``, …) fold constants and drop ``0``/``1`` identities so that
derivatives stay small, and :func:`evaluate` walks them with NumPy ufuncs.

Each function sits next to its derivative in :data:`FUNCTIONS`. Example::

    tree = add(power(Var("x"), Num(2.0)), call("sin", Var("y")))     # x^2 + sin(y)
    evaluate([tree], np.array([1.0, 2.0]), np.array([0.0, 0.0]))  # [array([1., 4.])]
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, NamedTuple, Union

import numpy as np

Array = np.ndarray


class ExpressionError(ValueError):
    """A rejected expression. ``position`` is the 0-based character index of the culprit
    (``None`` when the problem is the function as a whole, e.g. non-finite everywhere)."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


# --- nodes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: float
    name: str | None = None  # "pi" or "e" when typed as a constant (only for printing)


@dataclass(frozen=True)
class Var:
    name: str  # "x" or "y"


@dataclass(frozen=True)
class Neg:
    arg: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    fn: str  # a key of FUNCTIONS
    arg: Expr


Expr = Union[Num, Var, Neg, Binary, Call]
ZERO, ONE, TWO = Num(0.0), Num(1.0), Num(2.0)


def children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, Binary):
        return node.left, node.right
    if isinstance(node, (Neg, Call)):
        return (node.arg,)
    return ()


def postorder(roots: list[Expr]) -> list[Expr]:
    """The distinct nodes (by identity) under ``roots``, children before parents.

    Iterative, so deep trees never hit Python's recursion limit; a subtree shared by
    several parents (derivatives share a lot) appears once, so walks cost its size once.
    """
    done: set[int] = set()
    order: list[Expr] = []
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children(node)) if id(child) not in done)
    return order


# --- NumPy semantics -----------------------------------------------------------------------
OPERATORS: dict[str, Callable[[Array, Array], Array]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
}


def _sigmoid(u):
    return 1.0 / (1.0 + np.exp(-u))  # exp overflows to inf for u < -709: 1/inf = 0, exact enough


class Function(NamedTuple):
    value: Callable[[Array], Array]  # NumPy implementation
    derivative: Callable[[Expr], Expr]  # f'(u) as a tree; the caller multiplies by u'
    latex: str  # "{}" marks the argument: r"\sin\left({}\right)"


def fold(op: str, *values: float) -> float:
    """``op`` (an operator or a function name) applied to numbers, in float64: 1/0 is inf, not an error."""
    with np.errstate(all="ignore"):
        impl = OPERATORS[op] if op in OPERATORS else FUNCTIONS[op].value
        return float(impl(*(np.float64(v) for v in values)))


def _fold(op: str, *values: float) -> Num:
    return Num(fold(op, *values))


def _is(node: Expr, value: float) -> bool:
    return isinstance(node, Num) and node.value == value


# --- simplifying builders: constant folding, 0/1 identities, signs pulled outwards ---------
def neg(a: Expr) -> Expr:
    if isinstance(a, Num):
        return Num(-a.value)
    return a.arg if isinstance(a, Neg) else Neg(a)


def add(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return _fold("+", a.value, b.value)
    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    if isinstance(b, Neg):
        return sub(a, b.arg)
    if isinstance(a, Neg):
        return sub(b, a.arg)
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return _fold("-", a.value, b.value)
    if _is(b, 0):
        return a
    if _is(a, 0):
        return neg(b)
    if isinstance(b, Neg):
        return add(a, b.arg)
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return _fold("*", a.value, b.value)
    if isinstance(b, Num):  # constants to the left
        a, b = b, a
    if _is(a, 0):
        return ZERO
    if _is(a, 1):
        return b
    if _is(a, -1):
        return neg(b)
    if isinstance(a, Neg):
        return neg(mul(a.arg, b))
    if isinstance(b, Neg):
        return neg(mul(a, b.arg))
    if isinstance(a, Num) and isinstance(b, Binary) and b.op == "*" and isinstance(b.left, Num):
        return mul(_fold("*", a.value, b.left.value), b.right)  # 2 * (3 * u) -> 6 * u
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return _fold("/", a.value, b.value)
    if _is(a, 0):
        return ZERO
    if _is(b, 1):
        return a
    if isinstance(a, Neg):
        return neg(div(a.arg, b))
    if isinstance(b, Neg):
        return neg(div(a, b.arg))
    return Binary("/", a, b)


def power(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return _fold("^", a.value, b.value)
    if _is(b, 0) or _is(a, 1):
        return ONE
    if _is(b, 1):
        return a
    return Binary("^", a, b)


def call(fn: str, a: Expr) -> Expr:
    return _fold(fn, a.value) if isinstance(a, Num) else Call(fn, a)


# name -> (NumPy value, derivative, LaTeX with {} for the argument). "sign" is internal: abs'.
FUNCTIONS: dict[str, Function] = {
    "sin": Function(np.sin, lambda u: call("cos", u), r"\sin\left({}\right)"),
    "cos": Function(np.cos, lambda u: neg(call("sin", u)), r"\cos\left({}\right)"),
    "tan": Function(np.tan, lambda u: add(ONE, power(call("tan", u), TWO)), r"\tan\left({}\right)"),
    "exp": Function(np.exp, lambda u: call("exp", u), r"\exp\left({}\right)"),
    "log": Function(np.log, lambda u: div(ONE, u), r"\log\left({}\right)"),
    "sqrt": Function(np.sqrt, lambda u: div(Num(0.5), call("sqrt", u)), r"\sqrt{{}}"),
    "tanh": Function(np.tanh, lambda u: sub(ONE, power(call("tanh", u), TWO)), r"\tanh\left({}\right)"),
    "sinh": Function(np.sinh, lambda u: call("cosh", u), r"\sinh\left({}\right)"),
    "cosh": Function(np.cosh, lambda u: call("sinh", u), r"\cosh\left({}\right)"),
    # |u|' = sign(u) and sign' = 0: the Hessian of abs is 0 away from the kink at u = 0.
    "abs": Function(np.abs, lambda u: call("sign", u), r"\left|{}\right|"),
    "sign": Function(np.sign, lambda u: ZERO, r"\operatorname{sign}\left({}\right)"),
    "arctan": Function(np.arctan, lambda u: div(ONE, add(ONE, power(u, TWO))), r"\arctan\left({}\right)"),
    "sigmoid": Function(_sigmoid, lambda u: mul(call("sigmoid", u), sub(ONE, call("sigmoid", u))),  # σ(1 - σ)
                        r"\operatorname{sigmoid}\left({}\right)"),
}


def evaluate(roots: list[Expr], x, y) -> list:
    """Values of ``roots`` at ``x, y`` (arrays of one shape, or scalars), sharing common subtrees.

    Overflow and invalid operations give inf/nan silently. A constant root gives a float:
    the caller broadcasts it. An intermediate array is dropped once its last parent has used
    it, so memory stays near the tree's width, not its size.
    """
    order = postorder(roots)
    uses = Counter(id(child) for node in order for child in children(node))
    uses.update(id(root) for root in roots)  # never dropped
    values: dict[int, object] = {}
    with np.errstate(all="ignore"):
        for node in order:
            if isinstance(node, Num):
                result = node.value
            elif isinstance(node, Var):
                result = x if node.name == "x" else y
            elif isinstance(node, Neg):
                result = np.negative(values[id(node.arg)])
            elif isinstance(node, Binary):
                result = OPERATORS[node.op](values[id(node.left)], values[id(node.right)])
            else:
                result = FUNCTIONS[node.fn].value(values[id(node.arg)])
            values[id(node)] = result
            for child in children(node):
                uses[id(child)] -= 1
                if not uses[id(child)]:
                    del values[id(child)]
    return [values[id(root)] for root in roots]
