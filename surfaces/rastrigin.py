"""Rastrigin's function ``f = 20 + Σ_{v ∈ {x, y}} (v^2 - 10 cos 2πv)``: a bowl under an egg crate.

It is a sum of one-dimensional terms, so the Hessian is diagonal. The cosine ripples put
a local minimum near every integer point; only the global one, 0 at the origin, is listed
(the ~120 local minima and the saddles between them would bury the plot).
"""
from __future__ import annotations

import numpy as np

from ._calculus import pack_grad, pack_hessian, split
from .base import Surface

TAU = 2 * np.pi


def value(p):
    """``20 + x^2 - 10 cos 2πx + y^2 - 10 cos 2πy``"""
    x, y = split(p)
    return 20 + (x**2 - 10 * np.cos(TAU * x)) + (y**2 - 10 * np.cos(TAU * y))


def grad(p):
    """``[2x + 20π sin 2πx, 2y + 20π sin 2πy]``"""
    x, y = split(p)
    return pack_grad(2 * x + 10 * TAU * np.sin(TAU * x), 2 * y + 10 * TAU * np.sin(TAU * y))


def hessian(p):
    """``diag(2 + 40π² cos 2πx, 2 + 40π² cos 2πy)``"""
    x, y = split(p)
    return pack_hessian(2 + 10 * TAU**2 * np.cos(TAU * x), 0.0, 2 + 10 * TAU**2 * np.cos(TAU * y))


def rastrigin() -> Surface:
    return Surface(
        name="rastrigin",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-5.12, 5.12), (-5.12, 5.12)),
        start=(3.6, -2.3),
        formula=r"20 + \left(x^2 - 10\cos 2\pi x\right) + \left(y^2 - 10\cos 2\pi y\right)",
        description={
            "en": "Rastrigin's function: a bowl covered in regular ripples, with a local minimum near every integer point.",
            "zh": "Rastrigin 函数：布满规则波纹的碗形曲面，几乎每个整数点附近都有一个局部极小值。",
        },
        minima=((0.0, 0.0),),
    )
