"""A saddle that is bounded below: ``f = x^2/2 + y^4/4 - y^2/2``.

The origin is a saddle (curvature +1 along x, -1 along y); the runs that escape it roll
into one of the two minima ``(0, ±1)`` where ``f = 1/4 - 1/2 = -1/4``. Starting almost on
the unstable axis ``y = 0`` shows how slowly plain gradient descent leaves a saddle.
"""
from __future__ import annotations

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface


def value(p):
    """``x^2/2 + y^4/4 - y^2/2``"""
    x, y = split(p)
    return x**2 / 2 + y**4 / 4 - y**2 / 2


def grad(p):
    """``[x, y^3 - y]``"""
    x, y = split(p)
    return pack_grad(x, y**3 - y)


def hessian(p):
    """``[[1, 0], [0, 3 y^2 - 1]]``"""
    _, y = split(p)
    return pack_hessian(1.0, 0.0, 3 * y**2 - 1)


def saddle() -> Surface:
    return Surface(
        name="saddle",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-1.5, 1.5)),
        start=(-1.5, 1e-3),
        formula=r"\frac{x^2}{2} + \frac{y^4}{4} - \frac{y^2}{2}",
        description={
            "en": "A saddle at the origin between two minima at (0, ±1); gradient descent lingers near it, momentum escapes fast.",
            "zh": "原点处的鞍点夹在 (0, ±1) 两个极小值之间；梯度下降在鞍点附近停留很久，动量法很快逃离。",
        },
        minima=((0.0, 1.0), (0.0, -1.0)),
        saddles=((0.0, 0.0),),
    )
