"""Expression trees turned, once, into straight-line NumPy programs over registers.

Walking a derivative tree per call costs Python work per node (type tests, dictionary
look-ups, use counts) on top of the NumPy call itself, and a tree holds the same
subexpression many times over: ``d/dx`` and ``d/dy`` of ``f`` both rebuild ``sigmoid(u)``,
``x^2`` appears in ``f``, ``f_x`` and ``f_xx``. :func:`build_programs` does that work once:

1. **Hash-consing.** Every node of every root gets a *value number*: two nodes with the same
   operation on the same value numbers (``a + b`` and ``b + a`` alike: IEEE addition and
   multiplication are commutative, bit for bit) share one number, so each distinct
   subexpression is computed once per call, whichever tree it came from.
2. **Straight-line code.** The value numbers, children first, become a flat tuple of
   ``(function, output register, input register, input register or -1)``. ``x``, ``y`` and
   the constants sit in fixed registers; ``u^2``, ``u^0.5`` and ``u^-1`` use ``np.square``,
   ``np.sqrt`` and ``np.reciprocal``, which NumPy's ``np.power`` calls for those exponents
   anyway (same bits, without its dispatch).
3. **Register reuse.** A register is handed to a later operation once its last reader has
   run, so a grid of a million points holds about as many arrays as the program is *wide*,
   not as many as it is long (the tree walk's guarantee, kept).

Running a program is one Python loop of NumPy calls; nothing is generated as text, and the
user's text never gets here (only trees built by :mod:`surfaces.typed.parser` do).

Example::

    f = simplify(parse("x^2 + sin(x*y)"))
    (fx, fy), _ = gradient_and_hessian(f)
    value, first = build_programs([f], [f, fx, fy])
    first.run(np.array([1.0]), np.array([2.0]))   # [f, f_x, f_y] at (1, 2)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .expression import FUNCTIONS, OPERATORS, Binary, Call, Expr, Neg, Num, Var, postorder

COMMUTATIVE = frozenset("+*")
POWER_SHORTCUTS = {2.0: np.square, 0.5: np.sqrt, -1.0: np.reciprocal}  # what np.power itself does


class Program:
    """Straight-line NumPy code for a list of roots; ``run(x, y)`` returns their values.

    ``run`` returns one entry per root: an array shaped like ``x`` and ``y`` (broadcast), or a
    0-d array for a root that is constant (``x`` itself for a root that is ``x``: copy before
    writing). Overflow and invalid operations give inf/nan silently.
    """

    __slots__ = ("ops", "registers", "roots", "size")

    def __init__(self, ops: tuple, registers: list, roots: tuple[int, ...]):
        self.ops = ops  # ((function, out, a, b or -1), ...)
        self.registers = registers  # initial register file: None, x, y slots and the constants
        self.roots = roots  # register of each root
        self.size = len(ops)  # NumPy calls per run

    def run(self, x, y) -> list:
        reg = self.registers.copy()
        reg[0], reg[1] = x, y
        with np.errstate(all="ignore"):
            for fn, out, a, b in self.ops:
                reg[out] = fn(reg[a]) if b < 0 else fn(reg[a], reg[b])
        return [reg[r] for r in self.roots]


class _Numbering:
    """Value numbers shared by every program built from one set of trees.

    ``key[n]`` is ``("num", value)``, ``("var", name)`` or ``(operation, child numbers...)``;
    ``number(node)`` walks a tree once and returns its root's number.
    """

    def __init__(self):
        self.keys: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.of_node: dict[int, int] = {}  # id(node) -> value number
        self.nodes: list[Expr] = []  # keeps numbered nodes alive, so their ids stay unique

    def _intern(self, key: tuple) -> int:
        n = self.index.get(key)
        if n is None:
            n = self.index[key] = len(self.keys)
            self.keys.append(key)
        return n

    def number(self, root: Expr) -> int:
        of = self.of_node
        for node in postorder([root]):
            if id(node) in of:
                continue
            if isinstance(node, Num):
                key = ("num", float(node.value).hex())  # hex: -0.0 and nan are keys like any other
            elif isinstance(node, Var):
                key = ("var", node.name)
            elif isinstance(node, Neg):
                key = ("neg", of[id(node.arg)])
            elif isinstance(node, Binary):
                a, b = of[id(node.left)], of[id(node.right)]
                if node.op in COMMUTATIVE and b < a:
                    a, b = b, a
                key = (node.op, a, b)
            else:
                assert isinstance(node, Call)
                key = ("call:" + node.fn, of[id(node.arg)])
            of[id(node)] = self._intern(key)
            self.nodes.append(node)
        return of[id(root)]

    def constant(self, n: int) -> float | None:
        key = self.keys[n]
        return float.fromhex(key[1]) if key[0] == "num" else None


def build_programs(*root_lists: list[Expr]) -> list[Program]:
    """One :class:`Program` per list of roots, all numbered together (see the module docstring)."""
    numbering = _Numbering()
    numbered = [[numbering.number(root) for root in roots] for roots in root_lists]
    return [_program(numbering, roots) for roots in numbered]


def _operation(numbering: _Numbering, key: tuple) -> tuple[Callable, tuple[int, ...]]:
    """The NumPy function of a non-leaf value number and the value numbers it reads."""
    kind = key[0]
    if kind == "neg":
        return np.negative, (key[1],)
    if kind.startswith("call:"):
        return FUNCTIONS[kind[5:]].value, (key[1],)
    if kind == "^":
        exponent = numbering.constant(key[2])
        if exponent in POWER_SHORTCUTS:
            return POWER_SHORTCUTS[exponent], (key[1],)
    return OPERATORS[kind], (key[1], key[2])


def _program(numbering: _Numbering, roots: list[int]) -> Program:
    keys = numbering.keys
    needed: set[int] = set()  # the value numbers the roots depend on
    stack = list(roots)
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        if keys[n][0] not in ("num", "var"):
            stack.extend(_operation(numbering, keys[n])[1])  # u^2 reads u only: no register for the 2
    order = sorted(needed)  # numbers are handed out children first, so this is a valid order

    registers: list = [None, None]  # 0: x, 1: y
    home: dict[int, int] = {}  # value number -> register
    steps = []  # (function, output number, input numbers)
    for n in order:
        key = keys[n]
        if key[0] == "var":
            home[n] = 0 if key[1] == "x" else 1
        elif key[0] == "num":
            home[n] = len(registers)
            registers.append(np.array(float.fromhex(key[1])))  # 0-d: NumPy mixes it with arrays faster than a float
        else:
            fn, inputs = _operation(numbering, key)
            steps.append((fn, n, inputs))

    last_read: dict[int, int] = {}  # value number -> index of the last step reading it
    for i, (_, _, inputs) in enumerate(steps):
        for m in inputs:
            last_read[m] = i
    pinned = set(roots) | {n for n in order if keys[n][0] in ("num", "var")}
    free: list[int] = []
    ops = []
    for i, (fn, n, inputs) in enumerate(steps):
        read = [home[m] for m in inputs]
        for m in set(inputs):  # inputs read for the last time: their registers can take the output
            if last_read[m] == i and m not in pinned:
                free.append(home[m])
        if free:
            home[n] = free.pop()
        else:
            home[n] = len(registers)
            registers.append(None)
        ops.append((fn, home[n], read[0], read[1] if len(read) > 1 else -1))
    return Program(tuple(ops), registers, tuple(home[n] for n in roots))
