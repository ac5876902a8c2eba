"""Hyperparameter landscapes: one optimizer over a grid of two hyperparameters, or of starts.

- ``parse_axis("lr:1e-4:1:100:log")`` -> :class:`Axis`: a hyperparameter's name and its grid
- ``sweep(surface, "adam", x, y, start, steps)`` -> :class:`SweepResult`: every (x, y) cell is
  one run, and all ``nx * ny`` runs go through one vectorized ``simulate_finals`` call (a few for
  more than 65 536 cells), the swept hyperparameters passed as ``(runs,)`` arrays; no trajectory is
  kept, so memory does not grow with the steps
- ``basin_map(surface, "sgd", n, steps)`` -> :class:`BasinResult`: which minimum each start of
  an ``n x n`` grid over the plot ends at
- ``tuned_learning_rates(surface, names, start, steps)``: the best grid learning rate of each
  optimizer (``optviz.tuning``), with its final loss and steps to tolerance

Grids are indexed ``[j, i]`` = ``[y, x]``, as ``np.meshgrid`` and Plotly heatmaps do; run
``k = j * nx + i``. A diverged run is frozen at its last valid point (see ``simulate``), so
``final_loss`` is always finite: read ``status`` before trusting it. No plotting here.
Each takes ``cancelled`` (see ``optviz.simulate``): asked between chunks of steps and between
chunks of runs; once it says True, ``simulate.Cancelled`` is raised and nothing is returned.

Example::

    result = sweep(get_surface("rosenbrock"), "adam", parse_axis("lr:1e-4:1:50:log"),
                   parse_axis("beta1:0:0.99:50"), start=(-1.2, 1.0), steps=500)
    result.final_loss.shape    # (50, 50): [beta1 index, lr index]
    result.to_frame()          # lr, beta1, final_loss, steps_to_tol, status: one row per cell
    result.best()              # the lowest final loss among the runs that did not diverge
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from optviz.limits import GRID_POINTS, GRID_RUN_STEPS
from optviz.optimizers import HYPERPARAMETERS, Optimizer, make_optimizer
from optviz.simulate import Cancelled, simulate, simulate_finals
from optviz.trajectory import DIVERGED, DIVERGED_CODE, STATUSES, status_words
from optviz.tuning import LR_GRID, learning_rate_scores
from surfaces.base import Parameter, Surface
from surfaces.typed.custom import working_arrays

Array = np.ndarray

SETTLE_FRACTION = 0.05  # a run "settled" at a minimum within this fraction of the plot's half-diagonal
DIVERGED_BASIN, NOT_SETTLED = -1, -2
# A sweep or basin map keeps no trajectory: ``simulate_finals`` carries each run's state from step to step
# and returns its end, so memory does not grow with the steps. What it holds at once is a working set of
# (runs,) and (runs, 2) arrays: position, value, gradient, step, their next values, the optimizer's state
# and the update's temporaries. Measured with tracemalloc (Rosenbrock, 20 000 runs): 181 B per run for
# SGD, 288 for Adam, 339 for RAdam, the most of all optimizers. WORK_BYTES allows three times that, for
# swept hyperparameter arrays, noise and schedules; runs go to simulate_finals in chunks of at most
# WORK_BUDGET // WORK_BYTES = 65 536 runs. A typed surface adds 8 B per run for every array its
# largest program holds at once (surfaces.typed.custom.working_arrays), so its chunks are smaller.
WORK_BUDGET = 1 << 26  # bytes of working memory one simulate_finals call may hold: 64 MiB
WORK_BYTES = 1024  # per run, an upper bound of the working set (see above)
FINAL_BYTES = 8 + 16 + 1 + 8 + 8  # per run, what the sweep keeps: loss, position, status, stop, steps to tol


# ---------------------------------------------------------------------------------------------- axes


@dataclass(frozen=True)
class Axis:
    """One swept hyperparameter: ``n`` values from ``low`` to ``high``, evenly spaced or log-spaced."""

    name: str
    low: float
    high: float
    n: int
    log: bool = False

    @property
    def values(self) -> Array:
        """(n,) the grid, both ends exact."""
        if self.log:
            return np.geomspace(self.low, self.high, self.n)
        return np.linspace(self.low, self.high, self.n)

    @property
    def spec(self) -> str:
        """The text ``parse_axis`` reads back into this axis."""
        return f"{self.name}:{self.low!r}:{self.high!r}:{self.n}" + (":log" if self.log else "")


def hyperparameter_spec(name: str, optimizer: str | None = None) -> Parameter:
    """The allowed range of hyperparameter ``name`` (of ``optimizer``, or of any optimizer taking it).

    Raises ValueError naming the hyperparameter and what there is instead.
    """
    if optimizer is not None:
        if optimizer not in HYPERPARAMETERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose from: {', '.join(HYPERPARAMETERS)}")
        specs = {p.name: p for p in HYPERPARAMETERS[optimizer]}
        if name not in specs:
            raise ValueError(f"{optimizer} has no hyperparameter {name!r}; it takes: {', '.join(specs)}")
        return specs[name]
    everyone: dict[str, Parameter] = {}
    for spec in (p for group in HYPERPARAMETERS.values() for p in group):
        everyone.setdefault(spec.name, spec)
    if name not in everyone:
        raise ValueError(f"no optimizer has a hyperparameter {name!r}; choose from: {', '.join(everyone)}")
    return everyone[name]


def parse_axis(text: str, optimizer: str | None = None) -> Axis:
    """``"NAME:LOW:HIGH:N"`` or ``"NAME:LOW:HIGH:N:log"`` -> Axis, checked against the hyperparameter's range.

    With ``optimizer`` the name must be one of its hyperparameters; without, any optimizer's
    (``sweep`` checks the pairing). Raises ValueError naming the bad field.
    """
    fields = str(text).split(":")
    if len(fields) not in (4, 5):
        raise ValueError(f"an axis looks like NAME:LOW:HIGH:N or NAME:LOW:HIGH:N:log (got {text!r})")
    name, low_text, high_text, n_text = (f.strip() for f in fields[:4])
    if len(fields) == 5 and fields[4].strip() != "log":
        raise ValueError(f"the fifth field of an axis can only be 'log' (got {fields[4]!r})")
    low, high = _finite("LOW", low_text), _finite("HIGH", high_text)
    try:
        n = int(n_text)
    except ValueError:
        n = None
    if n is None or not GRID_POINTS[0] <= n <= GRID_POINTS[1]:
        raise ValueError(f"N must be a whole number in [{GRID_POINTS[0]}, {GRID_POINTS[1]}] (got {n_text!r})")
    axis = Axis(name, low, high, n, log=len(fields) == 5)
    check_axis(axis, optimizer)
    return axis


def check_axis(axis: Axis, optimizer: str | None = None) -> Axis:
    """Raise ValueError unless the axis is ordered, positive when log, and inside its hyperparameter's range."""
    spec = hyperparameter_spec(axis.name, optimizer)
    if not (math.isfinite(axis.low) and math.isfinite(axis.high)):
        raise ValueError(f"{axis.name} axis: LOW and HIGH must be finite (got {axis.low!r}, {axis.high!r})")
    if not axis.low < axis.high:
        raise ValueError(f"{axis.name} axis: LOW must be below HIGH (got {axis.low:g} ≥ {axis.high:g})")
    if axis.log and axis.low <= 0:
        raise ValueError(f"{axis.name} axis: a log axis needs LOW > 0 (got {axis.low:g})")
    if not GRID_POINTS[0] <= axis.n <= GRID_POINTS[1]:
        raise ValueError(f"{axis.name} axis: N must be a whole number in [{GRID_POINTS[0]}, {GRID_POINTS[1]}] "
                         f"(got {axis.n!r})")
    for end, value in (("LOW", axis.low), ("HIGH", axis.high)):
        try:
            spec.check(value)
        except ValueError:
            raise ValueError(f"{axis.name} axis: {end} must be in {spec.range_text} (got {value:g})") from None
    return axis


def _finite(field_name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{field_name} must be a finite number (got {text!r})")
    return value


def _axis(axis: Axis | str, optimizer: str) -> Axis:
    return parse_axis(axis, optimizer) if isinstance(axis, str) else check_axis(axis, optimizer)


# ------------------------------------------------------------------------------------- shared runner


@dataclass(frozen=True)
class _Finals:
    """What a sweep keeps of each run, all (runs,) or (runs, 2)."""

    final_loss: Array
    final_position: Array
    status: Array  # int8 codes, see trajectory.STATUSES
    stop_step: Array
    steps_to_tol: Array


def _run_cells(surface: Surface, build: Callable[[slice], Optimizer], starts: Array, runs: int, steps: int,
               tol: float, tolerance: float | None, cancelled: Callable[[], bool] | None = None) -> _Finals:
    """Run ``runs`` runs, vectorized, in chunks of at most ``WORK_BUDGET // WORK_BYTES`` runs.

    ``build(block)`` makes the optimizer for runs ``block``; ``starts`` is (2,) or (runs, 2).
    Each chunk keeps only its runs' ends (``simulate_finals``), copied into arrays allocated once,
    so memory is one chunk's working set plus ``FINAL_BYTES`` per run, whatever ``steps`` is.
    Chunking changes nothing but memory: every run's arithmetic depends on its own values only.
    ``tolerance=None`` skips ``steps_to_tol`` (all -1). ``cancelled`` goes to every chunk, and is
    asked again before each chunk (raises ``simulate.Cancelled``).
    """
    per_call = max(1, WORK_BUDGET // (WORK_BYTES + 8 * working_arrays(surface)))
    f_min = surface.min_value if tolerance is not None else None
    finals = _Finals(np.empty(runs), np.empty((runs, 2)), np.empty(runs, dtype=np.int8), np.empty(runs, dtype=int),
                     np.empty(runs, dtype=int))
    for first in range(0, runs, per_call):
        block = slice(first, min(runs, first + per_call))
        points = starts if starts.ndim == 1 else starts[block]
        if cancelled is not None and cancelled():
            raise Cancelled(0)
        end = simulate_finals(surface, build(block), points, steps, tol=tol, f_min=f_min,
                              tolerance=tolerance or 0.0, cancelled=cancelled)
        if len(end["loss"]) != block.stop - block.start:  # scalar settings and one start: broadcast
            raise ValueError(f"expected {block.stop - block.start} runs, simulate made {len(end['loss'])}")
        finals.final_loss[block], finals.final_position[block] = end["loss"], end["positions"]
        finals.status[block], finals.stop_step[block] = end["status"], end["stop_step"]
        finals.steps_to_tol[block] = end["first_within"]
        del end
    return finals


def _check_steps(steps: int) -> int:
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a whole number ≥ 1 (got {steps!r})")
    return int(steps)


def check_budget(runs: int, steps: int, what: str = "cells") -> None:
    """Raise ValueError when ``runs`` runs (cells or starts, named by ``what``) of ``steps`` steps are more
    than ``limits.GRID_RUN_STEPS``."""
    if runs * steps > GRID_RUN_STEPS:
        raise ValueError(f"{runs} {what} × {steps} steps is more than {GRID_RUN_STEPS:.0e} run-steps; "
                         "use fewer steps or a smaller grid")


def _check_tolerance(tolerance: float) -> float:
    value = float(tolerance)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"tolerance must be a finite number ≥ 0 (got {tolerance!r})")
    return value


# --------------------------------------------------------------------------------------------- sweep


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A 2-D hyperparameter sweep: arrays ``(ny, nx)`` indexed ``[y index, x index]``."""

    surface: str
    surface_params: dict[str, float]
    optimizer: str
    x: Axis
    y: Axis
    x_values: Array  # (nx,)
    y_values: Array  # (ny,)
    final_loss: Array  # (ny, nx) loss after the last step (a diverged run's last valid loss)
    steps_to_tol: Array  # (ny, nx) first step with loss − f_min ≤ tolerance; -1 if never or no known minimum
    status: Array  # (ny, nx) int8 codes, see trajectory.STATUSES
    stop_step: Array  # (ny, nx) step at which the run converged or diverged; -1 while running
    final_position: Array  # (ny, nx, 2)
    start: tuple[float, float]
    steps: int
    tolerance: float
    min_value: float | None  # the surface's lowest known minimum, None if unbounded below
    settings: dict[str, Any] = field(default_factory=dict)  # the fixed settings every cell shared

    @property
    def shape(self) -> tuple[int, int]:
        return self.final_loss.shape

    @property
    def diverged(self) -> Array:
        """(ny, nx) bool."""
        return self.status == DIVERGED_CODE

    def status_words(self) -> Array:
        """(ny, nx) ``"running"`` / ``"converged"`` / ``"diverged"``."""
        return status_words(self.status)

    def to_frame(self) -> pd.DataFrame:
        """One row per cell, x fastest: ``<x name>, <y name>, final_loss, steps_to_tol, status``."""
        X, Y = np.meshgrid(self.x_values, self.y_values)  # (ny, nx)
        return pd.DataFrame({
            self.x.name: X.ravel(),
            self.y.name: Y.ravel(),
            "final_loss": self.final_loss.ravel(),
            "steps_to_tol": self.steps_to_tol.ravel().astype(int),
            "status": self.status_words().ravel(),
        })

    def best(self) -> dict[str, Any] | None:
        """The cell with the lowest final loss among runs that did not diverge (first on ties), or None.

        Keys are the ``to_frame`` columns plus ``index``, the cell's ``(j, i)``.
        """
        loss = np.where(self.diverged, np.inf, self.final_loss)
        if not np.isfinite(loss).any():
            return None
        j, i = np.unravel_index(int(np.argmin(loss)), loss.shape)
        return {self.x.name: float(self.x_values[i]), self.y.name: float(self.y_values[j]),
                "final_loss": float(self.final_loss[j, i]), "steps_to_tol": int(self.steps_to_tol[j, i]),
                "status": STATUSES[int(self.status[j, i])], "index": (int(j), int(i))}


def sweep(surface: Surface, optimizer_name: str, x_axis: Axis | str, y_axis: Axis | str, start=None,
          steps: int = 200, tolerance: float = 1e-6, *, tol: float = 1e-8,
          cancelled: Callable[[], bool] | None = None, **fixed_settings: Any) -> SweepResult:
    """Run ``optimizer_name`` once per (x, y) cell of two hyperparameter grids, all cells in one call.

    ``x_axis``/``y_axis`` are Axis objects or ``parse_axis`` strings naming two different
    hyperparameters of the optimizer. ``start`` defaults to the surface's; ``tolerance`` is the
    loss gap ``steps_to_tol`` measures; ``tol`` is simulate's convergence test. ``fixed_settings``
    go to ``make_optimizer`` unchanged (other hyperparameters, ``convention``, ``schedule``,
    ``noise``, ``seed``, ``bias_correction``). Raises ValueError naming a bad axis or setting, and
    ``simulate.Cancelled`` once ``cancelled()`` says True.
    """
    x, y = _axis(x_axis, optimizer_name), _axis(y_axis, optimizer_name)
    if x.name == y.name:
        raise ValueError(f"both axes sweep {x.name}; choose two different hyperparameters")
    for axis in (x, y):
        if axis.name in fixed_settings:
            raise ValueError(f"{axis.name} is swept on an axis, so it cannot also be fixed")
    steps, tolerance = _check_steps(steps), _check_tolerance(tolerance)
    check_budget(x.n * y.n, steps)
    point = np.asarray(surface.start if start is None else start, dtype=float)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be two finite numbers (got {start!r})")

    X, Y = np.meshgrid(x.values, y.values)  # (ny, nx)
    xs, ys = X.ravel(), Y.ravel()  # (runs,), run k = j * nx + i
    make_optimizer(optimizer_name, **{x.name: xs[:1], y.name: ys[:1]}, **fixed_settings)  # fail before the work

    def build(block: slice) -> Optimizer:
        return make_optimizer(optimizer_name, **{x.name: xs[block], y.name: ys[block]}, **fixed_settings)

    finals = _run_cells(surface, build, point, xs.size, steps, tol, tolerance, cancelled)
    shape = X.shape
    return SweepResult(
        surface=surface.name, surface_params=dict(surface.params), optimizer=optimizer_name, x=x, y=y,
        x_values=x.values, y_values=y.values,
        final_loss=finals.final_loss.reshape(shape), steps_to_tol=finals.steps_to_tol.reshape(shape),
        status=finals.status.reshape(shape), stop_step=finals.stop_step.reshape(shape),
        final_position=finals.final_position.reshape(shape + (2,)),
        start=(float(point[0]), float(point[1])), steps=steps, tolerance=tolerance,
        min_value=surface.min_value, settings=dict(fixed_settings),
    )


# ---------------------------------------------------------------------------------------- basin map


@dataclass(frozen=True, eq=False)
class BasinResult:
    """Where each start of an ``n x n`` grid over the plot ended: arrays ``(n, n)`` indexed ``[j, i]``.

    ``basin`` holds the index into ``minima`` of the minimum the run settled at, ``-1``
    (DIVERGED_BASIN) if it diverged, or ``-2`` (NOT_SETTLED) if it ended farther than
    ``settle_radius`` from every known minimum: still travelling, stalled at a saddle or on a
    plateau, or on a surface with no known minimum.
    """

    surface: str
    optimizer: str
    xs: Array  # (n,) start x of each column
    ys: Array  # (n,) start y of each row
    basin: Array  # (n, n) int
    status: Array  # (n, n) int8 codes, see trajectory.STATUSES
    final_position: Array  # (n, n, 2)
    final_loss: Array  # (n, n)
    minima: Array  # (k, 2)
    settle_radius: float
    steps: int

    def counts(self) -> dict[int, int]:
        """Starts per outcome: every minimum index, then -1 (diverged) and -2 (not settled), zeros included."""
        keys = list(range(len(self.minima))) + [DIVERGED_BASIN, NOT_SETTLED]
        return {key: int(np.count_nonzero(self.basin == key)) for key in keys}

    def to_frame(self) -> pd.DataFrame:
        """One row per start, x fastest: ``x, y, basin, status, final_x, final_y, final_loss``."""
        X, Y = np.meshgrid(self.xs, self.ys)
        return pd.DataFrame({
            "x": X.ravel(), "y": Y.ravel(), "basin": self.basin.ravel(),
            "status": status_words(self.status.ravel()),
            "final_x": self.final_position[..., 0].ravel(), "final_y": self.final_position[..., 1].ravel(),
            "final_loss": self.final_loss.ravel(),
        })


def basin_map(surface: Surface, optimizer: Optimizer | str, n: int = 41, steps: int = 500, *,
              settle: float = SETTLE_FRACTION, tol: float = 1e-8, cancelled: Callable[[], bool] | None = None,
              **settings: Any) -> BasinResult:
    """Run ``optimizer`` from every point of an ``n x n`` grid over the surface's bounds, in one call.

    ``optimizer`` is an Optimizer with scalar hyperparameters, or a registry name built with
    ``settings``. A run belongs to minimum m when its final point is within
    ``settle * surface.radius`` (the plot's half-diagonal) of m and closer to m than to any
    other minimum; see BasinResult for the other codes. Raises ``simulate.Cancelled`` once
    ``cancelled()`` says True.
    """
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, **settings)
    elif settings:
        raise ValueError(f"settings {sorted(settings)} need an optimizer name, not a built optimizer")
    if optimizer.runs != 1:
        raise ValueError(f"basin_map needs scalar hyperparameters (the optimizer has {optimizer.runs} runs)")
    if isinstance(n, bool) or int(n) != n or not GRID_POINTS[0] <= n <= GRID_POINTS[1]:
        raise ValueError(f"n must be a whole number in [{GRID_POINTS[0]}, {GRID_POINTS[1]}] (got {n!r})")
    if not (math.isfinite(settle) and settle > 0):
        raise ValueError(f"settle must be a positive fraction of the plot's half-diagonal (got {settle!r})")
    n, steps = int(n), _check_steps(steps)
    check_budget(n * n, steps, "starts")
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)  # (n, n)
    starts = np.column_stack([X.ravel(), Y.ravel()])  # (runs, 2)
    finals = _run_cells(surface, lambda block: optimizer, starts, starts.shape[0], steps, tol, None, cancelled)

    minima = np.asarray(surface.minima, dtype=float).reshape(-1, 2)  # (k, 2)
    radius = settle * surface.radius
    if len(minima):
        distance = np.linalg.norm(finals.final_position[:, None, :] - minima[None], axis=-1)  # (runs, k)
        nearest = distance.argmin(axis=1)
        basin = np.where(distance.min(axis=1) <= radius, nearest, NOT_SETTLED)
    else:
        basin = np.full(starts.shape[0], NOT_SETTLED)
    basin = np.where(finals.status == DIVERGED_CODE, DIVERGED_BASIN, basin)
    return BasinResult(
        surface=surface.name, optimizer=optimizer.name, xs=xs, ys=ys, basin=basin.reshape(n, n),
        status=finals.status.reshape(n, n), final_position=finals.final_position.reshape(n, n, 2),
        final_loss=finals.final_loss.reshape(n, n), minima=minima, settle_radius=radius, steps=steps,
    )


# --------------------------------------------------------------------------------- tuned learning rates


TUNING_TOLERANCE = 1e-6  # tuned_learning_rates' steps_to_tol: steps to loss − f_min ≤ this


def tuned_learning_rates(surface: Surface, names: Iterable[str], start=None, steps: int = 200,
                         tolerance: float = TUNING_TOLERANCE, grid: Array = LR_GRID, *, convention: str = "pytorch",
                         tol: float = 1e-8, cancelled: Callable[[], bool] | None = None) -> pd.DataFrame:
    """The best learning rate of ``grid`` for each optimizer, by ``optviz.tuning``'s score.

    One row per name: ``optimizer, lr, final_loss, steps_to_tol, status``. The grid is scored by
    one vectorized call of ``tuning.learning_rate_scores``; the winner is then run once more with
    the convergence test on, for its status. Every learning rate diverging gives ``lr`` NaN and
    status ``diverged``. ``cancelled`` is asked before each optimizer's grid and inside its winner's
    run (raises ``simulate.Cancelled``).
    """
    steps, tolerance = _check_steps(steps), _check_tolerance(tolerance)
    point = np.asarray(surface.start if start is None else start, dtype=float)
    rows = []
    for name in names:
        if cancelled is not None and cancelled():
            raise Cancelled(0)
        scores = learning_rate_scores(surface, name, point, steps, grid, convention=convention)
        if not np.isfinite(scores).any():
            rows.append({"optimizer": name, "lr": math.nan, "final_loss": math.nan, "steps_to_tol": -1,
                         "status": DIVERGED})
            continue
        lr = float(np.asarray(grid)[int(np.argmin(scores))])
        traj = simulate(surface, make_optimizer(name, lr=lr, convention=convention), point, steps,
                        record_internals=False, tol=tol, cancelled=cancelled)
        rows.append({"optimizer": name, "lr": lr, "final_loss": float(traj.loss[-1, 0]),
                     "steps_to_tol": int(traj.steps_to_reach(tolerance)[0]), "status": str(traj.status[0])})
    return pd.DataFrame(rows, columns=["optimizer", "lr", "final_loss", "steps_to_tol", "status"])
