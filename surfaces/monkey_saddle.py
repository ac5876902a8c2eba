"""The monkey saddle ``f = x^3 - 3 x y^2``: a flat, degenerate saddle with three valleys.

In polar form ``f = r^3 cos 3φ``, so the surface falls away without bound along the
directions 60°, 180° and 300°. At the origin the gradient *and* the Hessian vanish, so
second-order methods get no curvature to work with there.
"""
from __future__ import annotations

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface


def value(p):
    """``x^3 - 3 x y^2``"""
    x, y = split(p)
    return x**3 - 3 * x * y**2


def grad(p):
    """``[3 x^2 - 3 y^2, -6 x y]``"""
    x, y = split(p)
    return pack_grad(3 * x**2 - 3 * y**2, -6 * x * y)


def hessian(p):
    """``[[6 x, -6 y], [-6 y, -6 x]]``"""
    x, y = split(p)
    return pack_hessian(6 * x, -6 * y, -6 * x)


def monkey_saddle() -> Surface:
    return Surface(
        name="monkey_saddle",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-1.5, 1.5), (-1.5, 1.5)),
        start=(1.0, 0.1),
        formula=r"x^3 - 3xy^2",
        description={
            "en": "A degenerate saddle at the origin (zero gradient and zero Hessian) with three downhill valleys; unbounded below.",
            "zh": "原点处为退化鞍点（梯度与 Hessian 均为零），有三条下坡山谷；函数无下界。",
        },
        saddles=((0.0, 0.0),),
    )
