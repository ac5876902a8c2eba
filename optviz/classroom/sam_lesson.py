r"""Lesson claim: SAM prefers the flat minimum. From one start, SGD settles in the sharp minimum, SAM in the flat one.

The surface is ``sharp_flat`` (``surfaces/sharp_flat.py``): minima at (−1, 0) and (1, 0), both with
f = 0 exactly, whose Hessians are diag(2, 40) (a narrow valley) and diag(2, 1). The loss cannot tell
them apart; their sharpness (the Hessian's largest eigenvalue) can. From the surface's start (−0.4, 0.7),
which lies in the sharp minimum's basin, plain gradient descent goes down into the narrow valley.
SAM, at the same rate, takes each gradient ρ up the valley's wall, where the stiffness across the
valley falls toward larger x: that gradient pulls it over the barrier into the flat basin.

A point's basin is the minimum that plain gradient descent with a small step (η = 0.01, well inside
both minima's stability limit 2/40) reaches from it: SAM with a fixed ρ hovers near a minimum rather
than landing on it, so "where it ends" means "which minimum its end point drains to".
:func:`sam_versus_sgd` returns the numbers of both runs.
"""
from __future__ import annotations

import numpy as np

from optviz.optimizers import make_optimizer
from optviz.simulate import simulate
from surfaces import get_surface

LR = 0.04  # both runs; SGD is stable in the sharp valley below 2/40 = 0.05
RHO = 0.5  # SAM's radius: about half the distance from the sharp minimum to the barrier at x = 0
STEPS = 2000
DRAIN_LR, DRAIN_STEPS = 0.01, 5000  # the plain descent that names a point's basin
AT_MINIMUM = 1e-6  # the drained point must be this close to a listed minimum


def basin_of(surface, points) -> list[int | None]:
    """For each (2,) point of ``points`` (k, 2): the index into ``surface.minima`` of the minimum plain gradient
    descent (η = 0.01) reaches from it, or None if it reaches none within 5000 steps."""
    drained = simulate(surface, make_optimizer("sgd", lr=DRAIN_LR), np.asarray(points, dtype=float), DRAIN_STEPS,
                       record_internals=False).positions[-1]  # (k, 2)
    minima = np.asarray(surface.minima)  # (m, 2)
    distance = np.linalg.norm(drained[:, None] - minima[None], axis=-1)  # (k, m)
    nearest = distance.argmin(axis=1)
    return [int(i) if distance[k, i] <= AT_MINIMUM else None for k, i in enumerate(nearest)]


def sam_versus_sgd(lr: float = LR, rho: float = RHO, steps: int = STEPS, start=None) -> dict:
    """SGD and SAM-SGD at the same ``lr`` from the same start on ``sharp_flat``; where each ends and how sharp it is.

    Returns ``{"surface", "start", "lr", "rho", "steps", "sgd": run, "sam": run}`` with each run
    ``{"end": (x, y), "loss", "basin": "sharp" | "flat" | None, "minimum": (x, y) | None,
    "minimum_loss", "sharpness"}``: ``sharpness`` is the largest eigenvalue of the Hessian at the
    minimum of its basin (40 sharp, 2 flat). ``start`` defaults to the surface's.
    """
    surface = get_surface("sharp_flat")
    point = np.asarray(surface.start if start is None else start, dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be a finite point (x, y) (got {start!r})")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a whole number ≥ 1 (got {steps!r})")
    # the builders refuse a bad lr or ρ with a message naming it
    optimizers = [make_optimizer("sgd", lr=lr), make_optimizer("sam_sgd", lr=lr, rho=rho)]
    traj = simulate(surface, optimizers, [point, point], steps, tol=0, record_internals=False)
    ends = traj.positions[-1]  # (2, 2): SGD's, SAM's
    names = ("sharp", "flat")  # surface.minima is (sharp, flat)
    out = {"surface": "sharp_flat", "start": tuple(map(float, point)), "lr": float(lr), "rho": float(rho),
           "steps": steps}
    for key, end, basin in zip(("sgd", "sam"), ends, basin_of(surface, ends)):
        minimum = None if basin is None else np.asarray(surface.minima[basin])
        out[key] = {"end": tuple(map(float, end)), "loss": float(surface.value(end)),
                    "basin": None if basin is None else names[basin],
                    "minimum": None if minimum is None else tuple(map(float, minimum)),
                    "minimum_loss": None if minimum is None else float(surface.value(minimum)),
                    "sharpness": None if minimum is None else float(np.linalg.eigvalsh(surface.hessian(minimum))[-1])}
    return out
