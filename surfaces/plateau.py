"""A wide plateau around a small basin: ``f = 1 - exp(-(x^2 + y^2) / (2 w^2))``.

With ``g = exp(-r^2 / (2 w^2))`` the gradient is ``g p / w^2``, which decays like a
Gaussian: at the default start ``(3, 2.5)``, about four widths out when ``w = 1``, its
length is ``3.9 e^{-7.6} ≈ 2e-3``, so plain gradient descent barely moves while adaptive
methods (which rescale the gradient) cross the flat.
"""
from __future__ import annotations

import numpy as np

from ._calculus import pack_grad, pack_hessian, split
from .base import Parameter, Surface

WIDTH = Parameter("width", 1.0, 0.25, 2.0, help="w: radius of the basin; the plateau begins a few widths out")
PARAMETERS = (WIDTH,)


def plateau(width: float = WIDTH.default) -> Surface:
    w = WIDTH.check(width)
    w2 = w * w

    def bump(x, y):
        return np.exp(-(x**2 + y**2) / (2 * w2))

    def value(p):
        """``1 - g``"""
        x, y = split(p)
        return 1 - bump(x, y)

    def grad(p):
        """``g [x, y] / w^2``"""
        x, y = split(p)
        g = bump(x, y)
        return pack_grad(g * x / w2, g * y / w2)

    def hessian(p):
        """``(g / w^2) (I - p p^T / w^2)``"""
        x, y = split(p)
        g = bump(x, y) / w2
        return pack_hessian(g * (1 - x**2 / w2), -g * x * y / w2, g * (1 - y**2 / w2))

    return Surface(
        name="plateau",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-4.0, 4.0), (-4.0, 4.0)),
        start=(3.0, 2.5),
        formula=rf"1 - \exp\!\left(-\frac{{x^2 + y^2}}{{2 w^2}}\right)\quad (w = {w:g})",
        description={
            "en": "A nearly flat plateau around one small basin: tiny gradients stall plain gradient descent.",
            "zh": "一个小盆地四周环绕着近乎平坦的高原：梯度极小，普通梯度下降几乎停滞。",
        },
        minima=((0.0, 0.0),),
        params={"width": w},
    )
