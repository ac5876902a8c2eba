"""Learning rates that suit a surface: one vectorized sweep over a log grid per optimizer.

The score of a learning rate is the mean over the run of log10(loss − f_min + 1e-12): it
rewards getting close early and staying close, and punishes oscillating around the minimum.
Diverged runs are out. Surfaces with no known minimum use the lowest loss seen instead.
"""
from __future__ import annotations

import numpy as np

from optviz.optimizers import SPECS, make_optimizer
from optviz.simulate import simulate
from surfaces import Surface

LR_GRID = np.logspace(-4, 1, 26)  # 1e-4 ... 10, five points a decade


def learning_rate_scores(surface: Surface, name: str, start, steps: int, grid: np.ndarray = LR_GRID,
                         **settings) -> np.ndarray:
    """(len(grid),) score of each learning rate (lower is better; +inf where the run diverged)."""
    optimizer = make_optimizer(name, lr=np.asarray(grid, dtype=float), **settings)
    traj = simulate(surface, optimizer, np.asarray(start, dtype=float), steps, record_internals=False, tol=0)
    floor = surface.min_value if surface.min_value is not None else float(traj.loss.min())
    gap = np.maximum(traj.loss - floor, 0.0) + 1e-12
    scores = np.log10(gap).mean(axis=0)
    return np.where(traj.status == "diverged", np.inf, scores)


def best_learning_rate(surface: Surface, name: str, start, steps: int, grid: np.ndarray = LR_GRID,
                       **settings) -> float | None:
    """The grid's best learning rate for this surface, start and budget; None if every one diverges."""
    scores = learning_rate_scores(surface, name, start, steps, grid, **settings)
    if not np.isfinite(scores).any():
        return None
    return float(np.asarray(grid)[int(np.argmin(scores))])


def classroom_learning_rate(surface: Surface, name: str, start, steps: int) -> float:
    """A learning rate that makes a good first picture: the tuned one, gentler where it would jump.

    The optimizer's ``TuningHint`` says whether to tune at all, and for methods whose step is
    about lr per coordinate, how small a fraction of the plot the lr must stay.
    """
    spec = SPECS[name]
    default = spec.hyper("lr").default
    if not spec.tuning.tune_lr:
        return default
    best = best_learning_rate(surface, name, start, steps)
    if best is None:
        return default
    if spec.tuning.step_cap is not None:
        (x0, x1), (y0, y1) = surface.bounds
        return min(best, spec.tuning.step_cap * max(x1 - x0, y1 - y0))
    return best
