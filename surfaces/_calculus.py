"""Plumbing shared by the surfaces: split points, pack derivatives, polish stationary points.

Each surface writes its value, gradient and Hessian as scalar formulas in ``x`` and ``y``;
these helpers turn points of shape ``(..., 2)`` into ``x, y`` and the partial derivatives
back into arrays of shape ``(..., 2)`` and ``(..., 2, 2)``.
"""
from __future__ import annotations

import numpy as np

from .base import Array, Point


def split(p) -> tuple[Array, Array]:
    """``x, y`` of points ``p`` of shape ``(..., 2)``, each of shape ``(...)``."""
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def pack_grad(fx, fy) -> Array:
    """``[f_x, f_y]`` stacked on a new last axis: ``(..., 2)``."""
    if np.shape(fx) != np.shape(fy):  # a constant partial (e.g. 200.0) broadcasts against the other
        fx, fy = np.broadcast_arrays(fx, fy)
    return np.stack((fx, fy), axis=-1)


def pack_hessian(fxx, fxy, fyy) -> Array:
    """``[[f_xx, f_xy], [f_xy, f_yy]]`` on two new last axes: ``(..., 2, 2)``.

    Constant entries may be plain numbers: they broadcast against the others.
    """
    fxx, fxy, fyy = np.broadcast_arrays(fxx, fxy, fyy)
    return np.stack([np.stack([fxx, fxy], axis=-1), np.stack([fxy, fyy], axis=-1)], axis=-2)


def newton_polish(grad, hessian, guesses, steps: int = 8, max_move: float = 1e-3) -> tuple[Point, ...]:
    """Refine approximate stationary points to float64 precision with Newton's method.

    Newton's method on the exact gradient converges quadratically, so a guess good to
    four digits reaches machine precision in a handful of steps. It converges to *any*
    stationary point, so a guess that moves further than ``max_move`` means a stale
    constant in the module: fail loudly instead of labelling the wrong point.
    """
    guesses = np.asarray(guesses, dtype=float)  # (n, 2)
    p = guesses.copy()
    for _ in range(steps):
        p = p - np.linalg.solve(hessian(p), grad(p)[..., None])[..., 0]
    moved = np.max(np.abs(p - guesses), axis=-1)
    if not np.all(moved <= max_move):
        raise RuntimeError(f"Newton polish moved {guesses[moved > max_move]} too far; update the guesses")
    return tuple((float(x), float(y)) for x, y in p)
