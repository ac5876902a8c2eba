"""Run optimizers on a surface: every run of every optimizer advances together, step by step.

The loop is over steps only. Each step, every optimizer updates its own block of runs, then
the surface is evaluated once for all runs, so ten thousand runs cost little more than one.
A run stops when it converges (gradient and step both at most ``tol``; where the surface's Hessian
is indefinite there, the status is a saddle stop rather than a minimum) or diverges (a
non-finite value or gradient, or a coordinate beyond ``±divergence_radius``, by default 100
times the plot's largest bound); from then on it is frozen at its last valid point. A start that
is already invalid diverges at step 0 and keeps its true loss and gradient where they are finite;
a non-finite loss is stored as ``NO_LOSS`` (the largest double) and a non-finite gradient
coordinate as 0, so that every stored number stays finite without passing for a minimum. Overflow
inside a step is expected there and never warns. Once every run has stopped, the remaining
rows repeat the final state without further arithmetic. ``simulate_finals`` runs the same loop
keeping only each run's end (for sweeps: memory independent of the steps).

Both take ``cancelled``, a function asked between chunks of steps whether the work is still wanted
(the app's answer: the page was rerun or closed). Once it says True they raise :class:`Cancelled`
instead of finishing. A chunk lasts ``CHECK_SECONDS``: the loop reads the clock every step (tens of
nanoseconds against a step's tens of microseconds at least) and asks only when a chunk is over, so
asking costs well under 1% and a cancelled run stops within a chunk plus one step.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np

from optviz.optimizers import DISPLAY_NAMES, Optimizer
from optviz.trajectory import CONVERGED_CODE, DIVERGED_CODE, RUNNING_CODE, SADDLE_CODE, Trajectory, indefinite, status_words
from surfaces.base import Surface

Array = np.ndarray

DIVERGENCE_FACTOR = 100.0  # default |coordinate| limit, in units of the plot's largest |bound|
NO_LOSS = float(np.finfo(float).max)  # stored for a start whose loss is not finite (NaN, ±inf)
CHECK_SECONDS = 0.02  # a chunk of steps between two questions to ``cancelled``: a stop within ~1/50 s


class Cancelled(Exception):
    """The work was no longer wanted: ``cancelled()`` said so after ``steps_done`` steps."""

    def __init__(self, steps_done: int):
        super().__init__(f"cancelled after {steps_done} steps")
        self.steps_done = steps_done


def simulate(surface: Surface, optimizers: Optimizer | Sequence[Optimizer], starts, steps: int, *,
             labels: Sequence[str] | None = None, record_internals: bool = True, tol: float = 1e-8,
             divergence_radius: float | None = None, cancelled: Callable[[], bool] | None = None) -> Trajectory:
    """Run every optimizer from its starts for ``steps`` updates and collect a Trajectory.

    ``starts`` is one point ``(2,)``, a batch ``(runs, 2)`` that broadcasts with the optimizer's
    array hyperparameters, or, with several optimizers, a list holding one of those per optimizer.
    Runs are ordered optimizer by optimizer. ``tol=0`` never declares convergence.
    ``record_internals=False`` keeps positions and loss only: no gradient history (``grad`` is
    None) and no optimizer state, which is what sweeps and benchmarks want. ``cancelled`` is asked
    between chunks of steps; once it returns True, Cancelled is raised (see the module's docstring).
    """
    if isinstance(optimizers, Optimizer):
        optimizers = [optimizers]
    optimizers = list(optimizers)
    if not optimizers:
        raise ValueError("simulate needs at least one optimizer")
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a whole number ≥ 1 (got {steps!r})")
    per_optimizer = isinstance(starts, list) and len(starts) == len(optimizers) and np.ndim(starts[0]) >= 1
    start_list = starts if per_optimizer else [starts] * len(optimizers)
    blocks = [_as_starts(s, opt) for opt, s in zip(optimizers, start_list)]
    sizes = [len(b) for b in blocks]
    names = tuple(name for opt, n in zip(optimizers, sizes) for name in [opt.name] * n)
    labels = tuple(labels) if labels is not None else tuple(_default_labels(optimizers, sizes))
    if len(labels) != len(names):
        raise ValueError(f"{len(labels)} labels for {len(names)} runs")
    radius = divergence_radius if divergence_radius is not None else default_divergence_radius(surface)
    out = _run(surface, optimizers, np.concatenate(blocks), sizes, int(steps), record_internals, tol, radius,
               cancelled=cancelled)
    del out["first_within"]
    return Trajectory(surface=surface, labels=labels, optimizers=names, status=status_words(out.pop("status")), **out)


def simulate_finals(surface: Surface, optimizer: Optimizer, starts, steps: int, *, tol: float = 1e-8,
                    f_min: float | None = None, tolerance: float = 0.0,
                    divergence_radius: float | None = None,
                    cancelled: Callable[[], bool] | None = None) -> dict[str, Array]:
    """``simulate`` without the trajectory: the same arithmetic, keeping only each run's end.

    Returns ``positions`` (runs, 2) and ``loss`` (runs,) after the last step (a stopped run's
    frozen point), ``status`` (runs,) int8 codes, ``stop_step`` (runs,), and ``first_within``
    (runs,): the first step with ``loss - f_min <= tolerance`` (-1 if never, or if ``f_min`` is
    None), the same test as ``Trajectory.steps_to_reach``. Memory is a few arrays of (runs, 2),
    whatever ``steps``: what a sweep of many runs wants. ``cancelled`` as in ``simulate``.
    """
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a whole number ≥ 1 (got {steps!r})")
    params = _as_starts(starts, optimizer)
    radius = divergence_radius if divergence_radius is not None else default_divergence_radius(surface)
    out = _run(surface, [optimizer], params, [len(params)], int(steps), False, tol, radius, record=False,
               reach=None if f_min is None else (f_min, tolerance), cancelled=cancelled)
    return {"positions": out["positions"][0], "loss": out["loss"][0], "status": out["status"],
            "stop_step": out["stop_step"], "first_within": out["first_within"]}


def default_divergence_radius(surface: Surface) -> float:
    return DIVERGENCE_FACTOR * float(np.max(np.abs(surface.bounds)))


def _as_starts(starts, optimizer: Optimizer) -> Array:
    points = np.asarray(starts, dtype=float)
    if points.ndim == 1:
        points = points[None]
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"starts must have shape (2,) or (runs, 2), got {np.shape(starts)}")
    runs = points.shape[0]
    if optimizer.runs > 1 and runs not in (1, optimizer.runs):
        raise ValueError(f"{runs} starts for an optimizer with {optimizer.runs} runs")
    return np.broadcast_to(points, (max(runs, optimizer.runs), 2)).copy()


def _default_labels(optimizers: list[Optimizer], sizes: list[int]) -> list[str]:
    labels = []
    for opt, size in zip(optimizers, sizes):
        base = DISPLAY_NAMES.get(opt.name, opt.name)
        labels += [base] if size == 1 else [f"{base} #{i}" for i in range(size)]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def _run(surface: Surface, optimizers: list[Optimizer], params: Array, sizes: list[int], steps: int,
         record_internals: bool, tol: float, radius: float, *, record: bool = True,
         reach: tuple[float, float] | None = None, cancelled: Callable[[], bool] | None = None) -> dict:
    """The loop. ``record=False`` keeps one row (the latest) instead of ``steps + 1``; ``reach =
    (f_min, tolerance)`` tracks each run's first step with ``loss - f_min <= tolerance``; ``cancelled``
    is asked before the first step and then once per CHECK_SECONDS (raises Cancelled)."""
    if cancelled is not None and not callable(cancelled):
        raise ValueError(f"cancelled must be a function answering True or False (got {cancelled!r})")
    runs = params.shape[0]
    edges = np.cumsum([0] + sizes)
    blocks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
    single = len(optimizers) == 1
    needs_hessian = any(opt.needs_hessian for opt in optimizers)
    oracles = [{"surface": surface} if opt.needs_surface else {} for opt in optimizers]
    rows = steps + 1 if record else 1
    positions = np.empty((rows, runs, 2))  # (steps+1, runs, 2), or only the latest row
    loss = np.empty((rows, runs))
    # The gradient history is an internal too: without it a big sweep writes a third less memory.
    grads = np.empty((rows, runs, 2)) if record_internals else None
    first_within = np.full(runs, -1)
    status = np.full(runs, RUNNING_CODE, dtype=np.int8)  # (runs,) codes, see trajectory.STATUSES
    stop_step = np.full(runs, -1)
    tol2 = tol * tol
    step = np.zeros_like(params)

    with np.errstate(all="ignore"):
        value, grad = surface.value(params), surface.grad(params)
        bad = ~_valid(params, value, grad, radius)
        if bad.any():  # an invalid start: diverged at step 0, before the first step
            status[bad], stop_step[bad] = DIVERGED_CODE, 0
            params = np.where(bad[:, None], np.clip(np.nan_to_num(params), -1e300, 1e300), params)
            # Its loss and gradient are the true ones where finite. Where not, the record stays finite (plots
            # draw it) with a stand-in that is no minimum: the worst loss there is, and no direction.
            value = np.where(np.isfinite(value), value, NO_LOSS)
            grad = np.where(np.isfinite(grad), grad, 0.0)
        states = [opt.init(params[block]) for opt, block in zip(optimizers, blocks)]
        positions[0], loss[0] = params, value
        if reach is not None:  # a start that diverged at step 0 never counts (Trajectory.steps_to_reach)
            f_min, tolerance = reach
            counted = ~bad  # (runs,)
            first_within[(value - f_min <= tolerance) & counted] = 0
        if grads is not None:
            grads[0] = grad
        recorded = _internal_arrays(optimizers, states, blocks, steps, runs) if record_internals else {}
        frozen = status != RUNNING_CODE  # (runs,)
        any_frozen = bool(frozen.any())

        last = steps
        next_check = -math.inf  # the clock reading at which to ask ``cancelled`` again
        for t in range(1, steps + 1):
            if cancelled is not None and (now := time.monotonic()) >= next_check:
                if cancelled():
                    raise Cancelled(t - 1)
                next_check = now + CHECK_SECONDS
            hessian = surface.hessian(params) if needs_hessian else None
            if single:
                step, states[0] = optimizers[0].update(grad, states[0], params, hessian, **oracles[0])
            else:
                for i, (opt, block) in enumerate(zip(optimizers, blocks)):
                    step[block], states[i] = opt.update(grad[block], states[i], params[block],
                                                        None if hessian is None else hessian[block], **oracles[i])
            new_params = params + step
            new_value, new_grad = surface.value(new_params), surface.grad(new_params)

            stay = frozen  # runs that do not move this step: stopped before, or diverging now
            if any_frozen or not _all_valid(new_params, new_value, new_grad, radius):
                diverging = ~_valid(new_params, new_value, new_grad, radius) & ~frozen
                status[diverging], stop_step[diverging] = DIVERGED_CODE, t
                stay = frozen | diverging
            frozen = stay
            if tol2 > 0:
                arriving = _stationary(new_grad, step, tol2)
                if arriving is not None:
                    arriving &= ~stay
                    status[arriving], stop_step[arriving] = _stationary_code(surface, new_params[arriving]), t
                    frozen = stay | arriving  # a converged run keeps the point it arrived at
            if any_frozen or stay.any():
                new_params = np.where(stay[:, None], params, new_params)
                new_value = np.where(stay, value, new_value)
                new_grad = np.where(stay[:, None], grad, new_grad)
            any_frozen = bool(frozen.any())
            params, value, grad = new_params, new_value, new_grad
            row = t if record else 0
            positions[row], loss[row] = params, value
            if reach is not None:
                first_within[(value - f_min <= tolerance) & (first_within < 0) & counted] = t
            if grads is not None:
                grads[row] = grad
            for opt, block, state in zip(optimizers, blocks, states) if recorded else ():
                for key, array in opt.internals(state).items():
                    recorded[key][t, block] = np.where(stay[block, None], recorded[key][t - 1, block], array)
            if any_frozen and frozen.all():
                last = t
                break

    if record and last < steps:  # every run has stopped: the rest of the record is the final state
        for array in (positions, loss, *([] if grads is None else [grads]), *recorded.values()):
            array[last + 1:] = array[last]
    return {"positions": positions, "loss": loss, "grad": grads, "status": status, "stop_step": stop_step,
            "internals": recorded, "first_within": first_within}


def _internal_arrays(optimizers, states, blocks, steps: int, runs: int) -> dict[str, Array]:
    """(steps+1, runs, 2) arrays for every internal any optimizer records; NaN where one has none."""
    recorded: dict[str, Array] = {}
    for opt, block, state in zip(optimizers, blocks, states):
        for key, array in opt.internals(state).items():
            if key not in recorded:
                recorded[key] = np.full((steps + 1, runs, 2), np.nan)
            recorded[key][0, block] = array
    return recorded


def _valid(params: Array, value: Array, grad: Array, radius: float) -> Array:
    """(runs,) finite value and gradient, and every coordinate within ±radius."""
    return np.isfinite(value) & np.isfinite(grad).all(axis=1) & (np.abs(params) <= radius).all(axis=1)


def _all_valid(params: Array, value: Array, grad: Array, radius: float) -> bool:
    """The same test for the whole batch in four reductions, so the common step skips the masks.

    A NaN anywhere makes a sum NaN and a max/min comparison False; an overflowing sum only
    sends the step to the exact per-run test.
    """
    return bool(np.isfinite(value.sum() + grad.sum()) and params.max() <= radius and params.min() >= -radius)


def _stationary_code(surface: Surface, points: Array) -> Array:
    """(k,) SADDLE_CODE where the surface's exact Hessian at a stationary point is indefinite, else
    CONVERGED_CODE (a minimum; a degenerate Hessian counts as one)."""
    if not len(points):
        return np.empty(0, dtype=np.int8)
    return np.where(indefinite(surface.hessian(points)), SADDLE_CODE, CONVERGED_CODE).astype(np.int8)


def _stationary(grad: Array, step: Array, tol2: float) -> Array | None:
    """(runs,) gradient and step both within tol; None when no coordinate is small enough."""
    if np.abs(grad).min() > np.sqrt(tol2):
        return None
    return ((grad * grad).sum(axis=1) <= tol2) & ((step * step).sum(axis=1) <= tol2)
