"""Trajectory: what a simulation produced, as arrays, plus a long-form table.

Arrays are indexed ``[step, run]``: positions ``(steps+1, runs, 2)``, step 0 being the start.
A run that stopped (converged or diverged at step k) keeps its last valid point from k on,
so every stored position, loss and gradient is finite and plots never meet a NaN. A run that
diverged at step 0 has no valid point: it keeps its start's true loss and gradient where they are
finite (see ``simulate`` for the stand-ins where not), and the summary reports no result for it.
Internals are NaN where an optimizer has none, or where one is undefined (an effective learning
rate at ε = 0, see ``optimizers.base.effective_rate``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surfaces.base import Surface

Array = np.ndarray

# A run's status, the one encoding: words in a Trajectory and in every table; where arrays hold many
# runs (simulate's loop, a sweep's grid) a small int, the word's index in STATUSES; the app colours its
# badge with STATUS_COLORS.
#   RUNNING    not within the tolerance after all the steps (the run was not stopped; nothing is still computing)
#   CONVERGED  gradient and step within the tolerance at a point where the Hessian is not indefinite (a minimum)
#   DIVERGED   a non-finite value or gradient, or a coordinate beyond the divergence radius
#   SADDLE     gradient and step within the tolerance at a point where the Hessian is indefinite (a saddle point)
# SADDLE comes last so that the first three codes keep their values.
RUNNING, CONVERGED, DIVERGED, SADDLE = "running", "converged", "diverged", "saddle"
STATUSES = (RUNNING, CONVERGED, DIVERGED, SADDLE)
RUNNING_CODE, CONVERGED_CODE, DIVERGED_CODE, SADDLE_CODE = range(len(STATUSES))
STATUS_COLORS = {RUNNING: "blue", CONVERGED: "green", DIVERGED: "red", SADDLE: "orange"}
STOPPED_STATIONARY = (CONVERGED, SADDLE)  # the runs the convergence test stopped


def indefinite(hessian: Array) -> Array:
    """(...,) the symmetric 2 × 2 Hessians (..., 2, 2) have eigenvalues of both signs: det H < 0.

    For a 2 × 2 symmetric matrix the eigenvalues' product is the determinant, so a negative
    determinant is exactly one positive and one negative eigenvalue."""
    h = np.asarray(hessian, dtype=float)
    return (h[..., 0, 0] * h[..., 1, 1] - h[..., 0, 1] * h[..., 1, 0]) < 0


def status_words(codes: Array) -> Array:
    """Status codes (any shape) -> the words, as an object array of the same shape."""
    return np.asarray(STATUSES, dtype=object)[codes]


def status_codes(words: Array) -> Array:
    """Status words (any shape) -> int8 codes, the inverse of :func:`status_words`."""
    return np.select([np.asarray(words) == word for word in STATUSES], range(len(STATUSES)), -1).astype(np.int8)


@dataclass(frozen=True, eq=False)
class Trajectory:
    surface: Surface
    labels: tuple[str, ...]  # (runs,) names to show, unique within one race
    optimizers: tuple[str, ...]  # (runs,) registry names
    positions: Array  # (steps+1, runs, 2)
    loss: Array  # (steps+1, runs)
    grad: Array | None  # (steps+1, runs, 2); None when simulated with record_internals=False
    status: Array  # (runs,) RUNNING | CONVERGED | DIVERGED | SADDLE
    stop_step: Array  # (runs,) step at which the run stopped, -1 while running
    internals: dict[str, Array] = field(default_factory=dict)  # name -> (steps+1, runs, 2); NaN where absent

    @property
    def steps(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def runs(self) -> int:
        return self.positions.shape[1]

    @property
    def last_step(self) -> Array:
        """(runs,) the last step at which each run moved: its stop step, or ``steps``."""
        return np.where(self.stop_step >= 0, self.stop_step, self.steps)

    def status_text(self, run: int) -> str:
        """``"converged to a minimum at step 12"``, ``"stopped at a saddle point at step 12"``,
        ``"not converged in 300 steps"`` or ``"diverged at step 37"`` (English; ``i18n.status_text``
        says it in either language)."""
        status, stop = self.status[run], int(self.stop_step[run])
        if status == RUNNING:
            return f"not converged in {self.steps} steps"
        if status == CONVERGED:
            return f"converged to a minimum at step {stop}"
        if status == SADDLE:
            return f"stopped at a saddle point at step {stop}"
        return f"diverged at step {stop}"

    def final_position(self) -> Array:
        return self.positions[-1]

    @property
    def diverged_at_start(self) -> Array:
        """(runs,) bool: the start itself was invalid (non-finite, or beyond the divergence radius)."""
        return (self.status == DIVERGED) & (self.stop_step == 0)

    def steps_to_reach(self, tolerance: float) -> Array:
        """(runs,) first step with ``loss - f_min <= tolerance``, or -1 if never (or no known minimum).

        A run that diverged at step 0 never reaches it, whatever the loss at its invalid start."""
        f_min = self.surface.min_value
        if f_min is None:
            return np.full(self.runs, -1)
        reached = ((self.loss - f_min) <= tolerance) & ~self.diverged_at_start  # (steps+1, runs)
        return np.where(reached.any(axis=0), reached.argmax(axis=0), -1)

    def distance_to_nearest_minimum(self) -> Array:
        """(steps+1, runs) Euclidean distance to the closest known minimum (NaN if none known)."""
        if not self.surface.minima:
            return np.full(self.loss.shape, np.nan)
        minima = np.asarray(self.surface.minima, dtype=float)  # (k, 2)
        diff = self.positions[:, :, None, :] - minima[None, None]  # (steps+1, runs, k, 2)
        return np.sqrt((diff**2).sum(axis=-1)).min(axis=-1)

    def summary(self, tolerance: float = 1e-6) -> pd.DataFrame:
        """One row per run: status in words, final and best loss, steps to reach the tolerance.

        A run that diverged at step 0 has no result: its final and best loss are NaN (its loss is
        that of an invalid start) and it never reaches the tolerance."""
        reach = self.steps_to_reach(tolerance)
        final = self.final_position()
        return pd.DataFrame({
            "label": list(self.labels),
            "optimizer": list(self.optimizers),
            "status": [self.status_text(i) for i in range(self.runs)],
            "final_loss": np.where(self.diverged_at_start, np.nan, self.loss[-1]),
            "best_loss": np.where(self.diverged_at_start, np.nan, self.loss.min(axis=0)),
            f"steps_to_{tolerance:g}": pd.array([int(r) if r >= 0 else None for r in reach], dtype="Int64"),
            "final_x": final[:, 0],
            "final_y": final[:, 1],
        })

    def to_frame(self, internals: bool = True) -> pd.DataFrame:
        """Long form: one row per (run, step) with ``run, label, optimizer, step, x, y, loss``, then
        ``grad_x, grad_y`` and ``<internal>_x, <internal>_y`` columns where they were recorded."""
        steps1, runs = self.loss.shape
        columns = {
            "run": np.tile(np.arange(runs), steps1),
            "label": np.tile(np.asarray(self.labels, dtype=object), steps1),
            "optimizer": np.tile(np.asarray(self.optimizers, dtype=object), steps1),
            "step": np.repeat(np.arange(steps1), runs),
            "x": self.positions[..., 0].ravel(),
            "y": self.positions[..., 1].ravel(),
            "loss": self.loss.ravel(),
        }
        if self.grad is not None:
            columns["grad_x"] = self.grad[..., 0].ravel()
            columns["grad_y"] = self.grad[..., 1].ravel()
        if internals:
            for name, values in self.internals.items():
                columns[f"{name}_x"] = values[..., 0].ravel()
                columns[f"{name}_y"] = values[..., 1].ravel()
        frame = pd.DataFrame(columns)
        return frame.sort_values(["run", "step"], kind="stable", ignore_index=True)
