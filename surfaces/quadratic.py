"""The round bowl ``f = x^2 + y^2``: the easy case every optimizer should solve.

Its Hessian is ``2 I`` everywhere, so the gradient is Lipschitz with ``L = 2`` and plain
gradient descent converges for any learning rate below ``2 / L = 1``.
"""
from __future__ import annotations

import numpy as np

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface


def value(p):
    """``x^2 + y^2``"""
    x, y = split(p)
    return x**2 + y**2


def grad(p):
    """``[2x, 2y]``"""
    x, y = split(p)
    return pack_grad(2 * x, 2 * y)


def hessian(p):
    """``[[2, 0], [0, 2]]`` at every point."""
    x, _ = split(p)
    two, zero = np.full_like(x, 2.0), np.zeros_like(x)
    return pack_hessian(two, zero, two)


def quadratic() -> Surface:
    return Surface(
        name="quadratic",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.5, 1.0),
        formula=r"x^2 + y^2",
        description={
            "en": "A round bowl with its minimum at the origin; every sensible optimizer converges.",
            "zh": "圆形碗状曲面，最小值在原点；任何合理的优化器都能收敛。",
        },
        minima=((0.0, 0.0),),
    )
