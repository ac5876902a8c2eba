"""Himmelblau's function ``f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four equal minima.

With ``a = x^2 + y - 11`` and ``b = x + y^2 - 7``, ``f = a^2 + b^2``, and all four minima
are common roots ``a = b = 0`` (so ``f = 0`` there); ``(3, 2)`` is exact, the other three
and the four saddles between them are known to six digits and polished at import. The
local maximum near ``(-0.27, -0.92)`` is not listed.
"""
from __future__ import annotations

from ._calculus import newton_polish, pack_grad, pack_hessian, split
from .base import Surface


def value(p):
    """``(x^2 + y - 11)^2 + (x + y^2 - 7)^2``"""
    x, y = split(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def grad(p):
    """``[4 x a + 2 b, 2 a + 4 y b]``"""
    x, y = split(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return pack_grad(4 * x * a + 2 * b, 2 * a + 4 * y * b)


def hessian(p):
    """``[[12 x^2 + 4 y - 42, 4 (x + y)], [4 (x + y), 4 x + 12 y^2 - 26]]``"""
    x, y = split(p)
    return pack_hessian(12 * x**2 + 4 * y - 42, 4 * (x + y), 4 * x + 12 * y**2 - 26)


MINIMA = ((3.0, 2.0),) + newton_polish(
    grad, hessian, [(-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)]
)
SADDLES = newton_polish(
    grad, hessian, [(0.086677, 2.884254), (-3.073026, -0.081353), (3.385154, 0.073852), (-0.127961, -1.953715)]
)


def himmelblau() -> Surface:
    return Surface(
        name="himmelblau",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, 0.0),
        formula=r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        description={
            "en": "Himmelblau's function: four minima of equal depth (f = 0); which one a run finds depends on where it starts.",
            "zh": "Himmelblau 函数：四个深度相同的极小值（f = 0）；收敛到哪一个取决于起点。",
        },
        minima=MINIMA,
        saddles=SADDLES,
    )
