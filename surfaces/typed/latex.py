r"""LaTeX for an expression tree, e.g. ``x^{2} + 3 \cdot \sin\left(y\right) - \frac{x}{2}``.

Only tree nodes are printed, never the text the user typed, so nothing but numbers, ``x``,
``y``, ``\pi``, ``e`` and the whitelisted function names can reach the page. Parentheses
are added from precedence: 1 sums and signed terms, 2 products, 4 powers, 5 atoms.
"""
from __future__ import annotations

from .expression import FUNCTIONS, Call, Expr, Neg, Num, Var, postorder


def to_latex(tree: Expr) -> str:
    done: dict[int, tuple[str, int]] = {}  # id(node) -> (LaTeX, precedence)
    for node in postorder([tree]):
        done[id(node)] = _latex(node, done)
    return done[id(tree)][0]


def _latex(node: Expr, done: dict[int, tuple[str, int]]) -> tuple[str, int]:
    if isinstance(node, Num):
        return _number(node)
    if isinstance(node, Var):
        return node.name, 5
    if isinstance(node, Neg):
        return "-" + _wrap(done[id(node.arg)], 2), 1
    if isinstance(node, Call):
        return FUNCTIONS[node.fn].latex.replace("{}", done[id(node.arg)][0]), 5
    left, right = done[id(node.left)], done[id(node.right)]
    if node.op in "+-":
        return f"{_wrap(left, 1)} {node.op} {_wrap(right, 2)}", 1
    if node.op == "*":
        signed = isinstance(node.left, Neg)  # -x * y reads as a signed term
        return rf"{left[0] if signed else _wrap(left, 2)} \cdot {_wrap(right, 3)}", 1 if signed else 2
    if node.op == "/":
        return rf"\frac{{{left[0]}}}{{{right[0]}}}", 5
    base = left[0] if isinstance(node.left, (Num, Var)) and left[1] == 5 else rf"\left({left[0]}\right)"
    return f"{base}^{{{right[0]}}}", 4


def _wrap(part: tuple[str, int], at_least: int) -> str:
    text, precedence = part
    return text if precedence >= at_least else rf"\left({text}\right)"


def _number(node: Num) -> tuple[str, int]:
    if node.name == "pi":
        return r"\pi", 5
    if node.name == "e":
        return "e", 5
    text = repr(node.value)
    if "e" in text:  # 1e-05 -> 1 \times 10^{-5}
        mantissa, exponent = text.split("e")
        return rf"{mantissa.removesuffix('.0')} \times 10^{{{int(exponent)}}}", 2
    return text.removesuffix(".0"), 5 if node.value >= 0 else 1
