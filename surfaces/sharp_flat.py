"""A sharp and a flat minimum of exactly equal depth: ``f = (x^2 - 1)^2 / 4 + 40^{(1 - x)/2} y^2 / 2``.

A double well along x, ``(x^2 - 1)^2 / 4``, with minima at ``x = ±1`` and a barrier at ``x = 0``,
plus a valley across y whose stiffness ``k(x) = 40^{(1 - x)/2}`` shrinks from 40 at ``x = -1`` to 1
at ``x = 1``. Both minima, ``(-1, 0)`` and ``(1, 0)``, have ``f = 0`` exactly (both terms vanish), so
their depth is equal by construction; their Hessians are ``diag(2, 40)`` (sharp: a narrow valley)
and ``diag(2, 1)`` (flat). ``∂f/∂y = k(x) y`` vanishes only on ``y = 0``, so the only other
stationary point is the saddle ``(0, 0)``, Hessian ``diag(-1, √40)``.

With ``L = ln 40`` and ``k' = -(L/2) k``:
``∇f = (x (x^2 - 1) - (L/4) k y^2,  k y)``,
``∇²f = [[3x^2 - 1 + (L^2/8) k y^2,  -(L/2) k y], [-(L/2) k y,  k]]``.

The picture behind sharpness-aware minimization: from ``start``, in the sharp minimum's basin,
gradient descent settles in the narrow valley; SAM takes its gradient ρ up the valley's wall, where
the shrinking stiffness ``k`` pulls toward larger x, and crosses to the flat minimum.
"""
from __future__ import annotations

import math

import numpy as np

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface

STIFFNESS = 40.0  # k at the sharp minimum; 1 at the flat one
LOG_STIFFNESS = math.log(STIFFNESS)  # L


def stiffness(x):
    """``k(x) = 40^{(1 - x)/2}``, the valley's curvature across y."""
    return np.exp(LOG_STIFFNESS * (1 - x) / 2)


def value(p):
    """``(x^2 - 1)^2 / 4 + k(x) y^2 / 2``"""
    x, y = split(p)
    return (x * x - 1) ** 2 / 4 + stiffness(x) * y * y / 2


def grad(p):
    """``[x (x^2 - 1) - (L/4) k y^2,  k y]``"""
    x, y = split(p)
    k = stiffness(x)
    return pack_grad(x * (x * x - 1) - LOG_STIFFNESS / 4 * k * y * y, k * y)


def hessian(p):
    """``[[3x^2 - 1 + (L^2/8) k y^2,  -(L/2) k y], [-(L/2) k y,  k]]``"""
    x, y = split(p)
    k = stiffness(x)
    return pack_hessian(3 * x * x - 1 + LOG_STIFFNESS**2 / 8 * k * y * y, -LOG_STIFFNESS / 2 * k * y, k)


SHARP, FLAT = (-1.0, 0.0), (1.0, 0.0)


def sharp_flat() -> Surface:
    return Surface(
        name="sharp_flat",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-1.2, 1.2)),
        start=(-0.4, 0.7),
        formula=r"\frac{(x^2 - 1)^2}{4} + 40^{(1 - x)/2}\,\frac{y^2}{2}",
        description={
            "en": "A sharp minimum (-1, 0) and a flat one (1, 0) of exactly equal depth (f = 0): gradient descent "
                  "stays in the narrow valley it falls into; sharpness-aware minimization crosses to the flat one.",
            "zh": "尖锐极小值 (-1, 0) 与平坦极小值 (1, 0) 深度完全相同（f = 0）：梯度下降停在它落入的窄谷中；"
                  "锐度感知最小化则越过去，到达平坦的那个。",
        },
        minima=(SHARP, FLAT),
        saddles=((0.0, 0.0),),
    )
