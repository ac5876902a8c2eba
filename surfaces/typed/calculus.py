"""Symbolic derivatives of expression trees: the chain, product, quotient and power rules.

Every rule builds its result with the simplifying builders of :mod:`surfaces.typed.expression`,
so ``d/dx (x^2 + 3 sin y)`` comes out as ``2 * x``, not ``2 * x^1 * 1 + 3 * cos(y) * 0``.
Walks are iterative (children before parents) and remember each node's derivative, so a
subtree shared by several parents is differentiated once and derivative trees share nodes.

The rules, for ``u``, ``v`` with derivatives ``u'``, ``v'`` and a constant ``c``::

    (u ± v)' = u' ± v'            (u v)' = u' v + u v'        (u / v)' = (u' v - u v') / v^2
    (u^c)' = c u^(c-1) u'          (c^v)' = c^v log(c) v'      (-u)' = -u'
    (u^v)' = u^v (v' log u + v u' / u)        (exp(g log f), for a variable exponent)
    f(u)' = f'(u) u'               (f' from FUNCTIONS; |u|' = sign(u), whose derivative is 0)
"""
from __future__ import annotations

from .expression import (FUNCTIONS, ONE, TWO, ZERO, Call, Expr, Neg, Num, Var, add, call, div, mul, neg,
                         postorder, power, sub)


def simplify(tree: Expr) -> Expr:
    """``tree`` rebuilt with the simplifying builders: constants folded, 0/1 identities dropped."""
    done: dict[int, Expr] = {}
    for node in postorder([tree]):
        if isinstance(node, Num):
            done[id(node)] = Num(node.value)
        elif isinstance(node, Var):
            done[id(node)] = node
        elif isinstance(node, Neg):
            done[id(node)] = neg(done[id(node.arg)])
        elif isinstance(node, Call):
            done[id(node)] = call(node.fn, done[id(node.arg)])
        else:
            done[id(node)] = BUILDERS[node.op](done[id(node.left)], done[id(node.right)])
    return done[id(tree)]


BUILDERS = {"+": add, "-": sub, "*": mul, "/": div, "^": power}


def derivative(tree: Expr, var: str) -> Expr:
    """``d tree / d var`` (``var`` is ``"x"`` or ``"y"``), simplified."""
    d: dict[int, Expr] = {}
    for node in postorder([tree]):
        d[id(node)] = _rule(node, var, d)
    return d[id(tree)]


def _rule(node: Expr, var: str, d: dict[int, Expr]) -> Expr:
    if isinstance(node, Num):
        return ZERO
    if isinstance(node, Var):
        return ONE if node.name == var else ZERO
    if isinstance(node, Neg):
        return neg(d[id(node.arg)])
    if isinstance(node, Call):
        return mul(FUNCTIONS[node.fn].derivative(node.arg), d[id(node.arg)])
    u, v, du, dv = node.left, node.right, d[id(node.left)], d[id(node.right)]
    if node.op == "+":
        return add(du, dv)
    if node.op == "-":
        return sub(du, dv)
    if node.op == "*":
        return add(mul(du, v), mul(u, dv))
    if node.op == "/":
        return div(sub(mul(du, v), mul(u, dv)), power(v, TWO))
    if isinstance(v, Num):  # u^c
        return mul(mul(v, power(u, Num(v.value - 1))), du)
    if isinstance(u, Num):  # c^v
        return mul(mul(node, call("log", u)), dv)
    return mul(node, add(mul(dv, call("log", u)), div(mul(v, du), u)))  # u^v = exp(v log u)


def gradient_and_hessian(tree: Expr) -> tuple[tuple[Expr, Expr], tuple[Expr, Expr, Expr]]:
    """``(f_x, f_y), (f_xx, f_xy, f_yy)``; ``f_xy`` serves both off-diagonal entries."""
    fx, fy = derivative(tree, "x"), derivative(tree, "y")
    return (fx, fy), (derivative(fx, "x"), derivative(fx, "y"), derivative(fy, "y"))
