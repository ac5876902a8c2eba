"""An elongated quadratic valley: ``f = (u^2 + κ v^2) / 2`` in coordinates rotated by θ.

``u = x cos θ + y sin θ`` runs along the valley floor and ``v = -x sin θ + y cos θ`` across
it. The Hessian is ``R^T diag(1, κ) R`` everywhere, so its eigenvalues are exactly 1 and κ
(the condition number) whatever the angle: a learning rate small enough for the steep
walls (below ``2 / κ``) crawls along the floor, and a larger one zig-zags across it.
"""
from __future__ import annotations

import numpy as np

from ._calculus import pack_grad, pack_hessian, split
from .base import Parameter, Surface

CONDITION = Parameter("condition", 20.0, 1.0, 1000.0, log=True,
                      help="κ: curvature across the valley divided by curvature along it")
ANGLE = Parameter("angle", 0.0, 0.0, 180.0, help="direction of the valley floor, in degrees from the x axis")
PARAMETERS = (CONDITION, ANGLE)

BOUNDS = ((-3.0, 3.0), (-2.0, 2.0))


def ravine(condition: float = CONDITION.default, angle: float = ANGLE.default) -> Surface:
    kappa, degrees = CONDITION.check(condition), ANGLE.check(angle)
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))

    def along_across(p):
        x, y = split(p)
        return c * x + s * y, -s * x + c * y

    def value(p):
        """``(u^2 + κ v^2) / 2``"""
        u, v = along_across(p)
        return 0.5 * (u**2 + kappa * v**2)

    def grad(p):
        """Chain rule through the rotation: ``R^T [u, κ v]``."""
        u, v = along_across(p)
        return pack_grad(c * u - s * kappa * v, s * u + c * kappa * v)

    def hessian(p):
        """``R^T diag(1, κ) R``, the same at every point."""
        x, _ = split(p)
        fxx, fxy, fyy = c * c + kappa * s * s, (1 - kappa) * c * s, s * s + kappa * c * c
        return pack_hessian(*(np.full_like(x, h) for h in (fxx, fxy, fyy)))

    # Far out along the floor and a little up the steep wall, so gradient descent zig-zags
    # across the valley; pulled towards the centre if the rotation would leave the plot.
    sx, sy = -2.5 * c - 0.5 * s, -2.5 * s + 0.5 * c
    overshoot = max(1.0, abs(sx) / (0.9 * BOUNDS[0][1]), abs(sy) / (0.9 * BOUNDS[1][1]))

    return Surface(
        name="ravine",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=BOUNDS,
        start=(float(sx / overshoot), float(sy / overshoot)),
        formula=(
            r"\tfrac{1}{2}\left(u^2 + \kappa v^2\right),\ "
            r"u = x\cos\theta + y\sin\theta,\ v = y\cos\theta - x\sin\theta"
            rf"\quad (\kappa = {kappa:g},\ \theta = {degrees:g}^\circ)"
        ),
        description={
            "en": "A narrow valley with condition number κ: steep walls, a nearly flat floor; SGD zig-zags, momentum helps.",
            "zh": "条件数为 κ 的狭长山谷：谷壁陡峭、谷底平缓；SGD 来回震荡，动量法有帮助。",
        },
        minima=((0.0, 0.0),),
        params={"condition": kappa, "angle": degrees},
    )
