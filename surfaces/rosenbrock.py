"""Rosenbrock's banana valley ``f = (1 - x)^2 + 100 (y - x^2)^2``, minimum 0 at ``(1, 1)``.

Finding the curved valley is easy; following it to the minimum is slow, because the
curvature across the valley (about 1000 near the minimum) dwarfs the one along it.
"""
from __future__ import annotations

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface


def value(p):
    """``(1 - x)^2 + 100 (y - x^2)^2``"""
    x, y = split(p)
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def grad(p):
    """``[-2 (1 - x) - 400 x (y - x^2),  200 (y - x^2)]``"""
    x, y = split(p)
    valley = y - x * x  # shared by both partials; this runs once per step for every run
    return pack_grad(-2 * (1 - x) - 400 * x * valley, 200 * valley)


def hessian(p):
    """``[[2 - 400 y + 1200 x^2, -400 x], [-400 x, 200]]``"""
    x, y = split(p)
    return pack_hessian(2 - 400 * y + 1200 * x**2, -400 * x, 200.0)


def rosenbrock() -> Surface:
    return Surface(
        name="rosenbrock",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.2, 1.0),
        formula=r"(1 - x)^2 + 100\,(y - x^2)^2",
        description={
            "en": "Rosenbrock's curved banana valley: easy to reach, slow to follow to the minimum at (1, 1).",
            "zh": "Rosenbrock 香蕉形弯曲山谷：容易进入谷底，却很难沿谷底走到 (1, 1) 处的最小值。",
        },
        minima=((1.0, 1.0),),
    )
