"""Several basins of different depth: a mild bowl minus three Gaussian wells.

``f = (x^2 + y^2) / 20 - Σ_k d_k exp(-|p - c_k|^2 / (2 s_k^2))``. Each well adds
``w_k (p - c_k)`` to the gradient and ``w_k (I - (p - c_k)(p - c_k)^T / s_k^2)`` to the
Hessian, with ``w_k = d_k exp(...) / s_k^2``. The wells pull on each other, so the minima
sit near but not at the centres; they and the two saddles between the basins were found
by Newton's method from a grid of starts and are polished to float64 precision at import.
From the default start, gradient descent (lr 0.1) settles in the middle-depth basin while
heavy-ball momentum (lr 0.1, β 0.9) carries on into the deepest one.
"""
from __future__ import annotations

import numpy as np

from ._calculus import newton_polish, pack_grad, pack_hessian, split
from .base import Surface

BOWL = 1 / 20
CENTERS = np.array([[-2.0, -1.0], [1.5, 1.5], [1.8, -1.8]])  # (3, 2)
DEPTHS = np.array([1.0, 0.7, 0.45])  # (3,)
WIDTHS = np.array([0.8, 0.6, 0.5])  # (3,)


def _wells(p):
    """Offsets ``dx, dy`` from the centres and well depths ``d_k exp(...)`` at ``p``, each ``(..., 3)``."""
    x, y = split(p)
    dx, dy = x[..., None] - CENTERS[:, 0], y[..., None] - CENTERS[:, 1]
    return dx, dy, DEPTHS * np.exp(-(dx**2 + dy**2) / (2 * WIDTHS**2))


def value(p):
    """``(x^2 + y^2) / 20 - Σ_k d_k exp(-|p - c_k|^2 / (2 s_k^2))``"""
    x, y = split(p)
    return BOWL * (x**2 + y**2) - np.sum(_wells(p)[2], axis=-1)


def grad(p):
    """``p / 10 + Σ_k w_k (p - c_k)``"""
    x, y = split(p)
    dx, dy, depth = _wells(p)
    w = depth / WIDTHS**2
    return pack_grad(2 * BOWL * x + np.sum(w * dx, axis=-1), 2 * BOWL * y + np.sum(w * dy, axis=-1))


def hessian(p):
    """``I / 10 + Σ_k w_k (I - (p - c_k)(p - c_k)^T / s_k^2)``"""
    dx, dy, depth = _wells(p)
    s2 = WIDTHS**2
    w = depth / s2
    return pack_hessian(
        2 * BOWL + np.sum(w * (1 - dx**2 / s2), axis=-1),
        -np.sum(w * dx * dy / s2, axis=-1),
        2 * BOWL + np.sum(w * (1 - dy**2 / s2), axis=-1),
    )


MINIMA = newton_polish(grad, hessian, [(-1.878047, -0.939023), (1.425546, 1.425546), (1.701686, -1.701723)])
SADDLES = newton_polish(grad, hessian, [(0.274762, 0.323716), (0.971940, -0.989741)])


def local_minima() -> Surface:
    return Surface(
        name="local_minima",
        value=value,
        grad=grad,
        hessian=hessian,
        bounds=((-3.0, 3.0), (-3.0, 3.0)),
        start=(-0.5, 2.5),
        formula=(
            r"\frac{x^2 + y^2}{20} - \sum_{k=1}^{3} d_k \exp\!\left(-\frac{\lVert p - c_k \rVert^2}{2 s_k^2}\right),\ "
            r"d = (1, 0.7, 0.45),\ s = (0.8, 0.6, 0.5),\ c = (-2, -1), (1.5, 1.5), (1.8, -1.8)"
        ),
        description={
            "en": "Three basins of different depth in a mild bowl: where a run ends up depends on the start and the optimizer.",
            "zh": "平缓碗形中有三个深浅不同的盆地：最终落入哪个盆地取决于起点和优化器。",
        },
        minima=MINIMA,
        saddles=SADDLES,
    )
