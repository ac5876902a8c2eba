"""Beale's function: ``f = Σ_{i=1}^{3} r_i^2`` with residuals ``r_i = c_i - x + x y^i``.

``c = (1.5, 2.25, 2.625)``; all three residuals vanish at ``(3, 0.5)``, the minimum.
As a sum of squares, ``∇f = Σ 2 r_i ∇r_i`` and ``∇²f = Σ 2 (∇r_i ∇r_i^T + r_i ∇²r_i)`` with

    ∇r_i  = [y^i - 1,  i x y^(i-1)]
    ∇²r_i = [[0, i y^(i-1)], [i y^(i-1), i (i-1) x y^(i-2)]]

On the line ``x = 0`` every ``∇r_i`` vanishes at ``y = 1``, which makes ``(0, 1)`` a saddle
with Hessian ``[[0, 2 Σ i c_i], [2 Σ i c_i, 0]]``; a second saddle near ``(0.1, -2.64)``
was found numerically and is polished at import. Steep walls (``f`` reaches ~1e5 in the
corners) next to flat arms make it hard for fixed learning rates.
"""
from __future__ import annotations

from ._calculus import newton_polish, pack_grad, pack_hessian, split
from .base import Surface

RESIDUALS = ((1, 1.5), (2, 2.25), (3, 2.625))  # (i, c_i)


def value(p):
    """``Σ_i (c_i - x + x y^i)^2``"""
    x, y = split(p)
    return sum((c - x + x * y**i) ** 2 for i, c in RESIDUALS)


def grad(p):
    """``Σ_i 2 r_i [y^i - 1, i x y^(i-1)]``"""
    x, y = split(p)
    fx = fy = 0.0
    for i, c in RESIDUALS:
        r = c - x + x * y**i
        fx = fx + 2 * r * (y**i - 1)
        fy = fy + 2 * r * i * x * y ** (i - 1)
    return pack_grad(fx, fy)


def hessian(p):
    """``Σ_i 2 (∇r_i ∇r_i^T + r_i ∇²r_i)``"""
    x, y = split(p)
    fxx = fxy = fyy = 0.0
    for i, c in RESIDUALS:
        r = c - x + x * y**i
        rx, ry = y**i - 1, i * x * y ** (i - 1)
        rxy, ryy = i * y ** (i - 1), i * (i - 1) * x * y ** max(i - 2, 0)  # r_xx = 0
        fxx = fxx + 2 * rx * rx
        fxy = fxy + 2 * (rx * ry + r * rxy)
        fyy = fyy + 2 * (ry * ry + r * ryy)
    return pack_hessian(fxx, fxy, fyy)


SADDLES = ((0.0, 1.0),) + newton_polish(grad, hessian, [(0.100538, -2.644514)])


def beale() -> Surface:
    return Surface(
        name="beale",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        formula=r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        description={
            "en": "Beale's function: a minimum at (3, 0.5) between flat arms and very steep walls.",
            "zh": "Beale 函数：最小值位于 (3, 0.5)，周围是平坦的长臂和非常陡峭的谷壁。",
        },
        minima=((3.0, 0.5),),
        saddles=SADDLES,
    )
