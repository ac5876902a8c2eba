"""What one request may cost, priced before it runs, and the largest setting that fits.

Every computation the app or a link can start (a race, a sweep, a basin map, the fair-race tuning,
an export, a typed surface's differentiation) is priced here in estimated CPU seconds of the
reference machine, from its shape alone: ``steps × (blocks × STEP_OVERHEAD + runs × RUN_STEP × factor)``,
plus the typed surface's NumPy calls. The app compares the price with ``REQUEST_SECONDS`` before it
starts the work; above it, the page runs (or offers) the largest setting that fits instead, found by
the ``largest_*`` functions below, which move the same notches as the app's sliders. No Streamlit.

Reference figures, measured with ``time.process_time`` on the project's 2-core test machine (under
load from other work, so rounded up): ``benchmarks/bench_heavy.py`` prints the price next to the
measured time of the computations it prices.

Example::

    plan = largest_sweep(surface, "adam", n=200, steps=2000)
    plan.reduced, plan.n, plan.steps       # True, 200, 800: what fits in REQUEST_SECONDS
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

from optviz.limits import APP_STEPS, BASIN_GRID, STEPS_NOTCH, SWEEP_RESOLUTION, SWEEP_STEPS
from optviz.optimizers import SPECS, make_optimizer
from surfaces.base import Surface

# --- the budget
REQUEST_SECONDS = 3.0  # estimated CPU seconds one computation may take: a page with a sweep, a basin map and
#                        the fair race then needs at most ~10 s of one core, and with one heavy slot per
#                        process (optviz.app.work) three such pages queue for half a minute, not minutes
HEAVY_SECONDS = 0.25  # above this a computation waits for a heavy slot (optviz.app.work), so requests
#                       priced below it (a 4-contestant race: ~0.05 s) never queue behind one

# --- the cost model (seconds), measured with time.process_time on Rosenbrock
STEP_OVERHEAD = 30e-6  # one step of one optimizer block, whatever its runs: 18-23 µs for SGD and Adam,
#                        38 µs for RAdam, with 12 runs (Python and NumPy call overhead dominates)
RUN_STEP = 90e-9  # one run-step on a built-in surface: 33-45 ns for SGD, Adam, RAdam and Newton with 40 000
#                   runs and no convergence test; 86 ns in a 200 × 200 Adam sweep (per-run hyperparameters,
#                   convergence and tolerance tracking, arrays beyond the cache) on the loaded server
HESSIAN_FACTOR = 1.5  # an optimizer that needs the Hessian evaluates it every step: Newton measured
#                       1.0-1.3 times SGD per run-step on Rosenbrock; more on a typed surface (below)
SURFACE_FACTOR = 3.0  # an optimizer that evaluates the surface itself (``needs_surface``: an ascent point, a
#                       line search) pays its block's step again for each evaluation: SAM once more, a
#                       backtracking line search a few times; priced at three steps
TYPED_CALL_OVERHEAD = 0.3e-6  # one NumPy call of a typed surface's program, per step: (48 - 18) µs over
#                               114 calls per step with 12 runs
TYPED_CALL_RUN = 4e-9  # one NumPy call of a typed surface's program, per run: 450 ns per run-step
#                        over 114 calls at 40 000 runs
CHUNK_RUNS = 65_536  # a sweep's runs per simulate_finals call (optviz.sweep: WORK_BUDGET // WORK_BYTES);
#                      each chunk pays the per-step overhead again
TUNING_RATES = 26  # learning rates tuning tries per optimizer (optviz.tuning.LR_GRID)
EXPORT_SECONDS = {"png": 0.8, "png2x": 1.3, "gif": 0.6, "mp4": 2.5, "html": 0.2, "csv": 0.3}  # one download
#                 of the largest race (12 runs, 2000 steps), measured: its frames are fixed (a slide, a 4K
#                 slide, 60 GIF frames, 300 MP4 frames; optviz.figures.export), so no setting makes it dearer


class OverBudget(ValueError):
    """A computation priced above ``REQUEST_SECONDS`` with no smaller setting that fits."""


@dataclass(frozen=True)
class Plan:
    """What to run: the asked setting, or the largest that fits; ``seconds`` is its price."""

    n: int  # cells per sweep axis, starts per basin side, or runs (a race's contestants)
    steps: int
    seconds: float
    asked_seconds: float  # the price of the setting asked for

    @property
    def reduced(self) -> bool:
        return self.asked_seconds > REQUEST_SECONDS


# ------------------------------------------------------------------------------------------ prices


def typed_calls(surface: Surface) -> tuple[int, int]:
    """NumPy calls per step of a typed surface: ``(value and gradient, Hessian)``; (0, 0) for a built-in one.

    A typed surface runs compiled programs (``surfaces.typed.program``); every step evaluates the
    value's and the gradient's, and the Hessian's for an optimizer that needs it.
    """
    value = surface.value
    function = getattr(value, "__self__", None)
    programs = getattr(function, "programs", None)
    if programs is None:
        return 0, 0
    return programs[0].size + programs[1].size, programs[2].size


@functools.lru_cache(maxsize=None)
def _appetite(name: str) -> tuple[bool, float]:
    """Whether optimizer ``name`` needs the Hessian, and how many steps' worth of surface evaluations it makes."""
    if name not in SPECS:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(SPECS)}")
    built = make_optimizer(name)  # the flags live on the built optimizer; building it costs microseconds
    return bool(built.needs_hessian), SURFACE_FACTOR if built.needs_surface else 1.0


def simulation_seconds(surface: Surface, blocks: Sequence[tuple[str, int]], steps: int, chunks: int = 1) -> float:
    """The price of ``simulate`` with one block of ``runs`` runs per ``(optimizer name, runs)`` for ``steps``
    steps, done in ``chunks`` calls (each pays the per-step overhead)."""
    _check_count("steps", steps)
    calls, hessian_calls = typed_calls(surface)
    per_step = 0.0
    for name, runs in blocks:
        _check_count("runs", runs)
        hessian, evaluations = _appetite(name)
        surface_calls = calls + (hessian_calls if hessian else 0)
        block = chunks * (STEP_OVERHEAD + surface_calls * TYPED_CALL_OVERHEAD)
        block += runs * (RUN_STEP * (HESSIAN_FACTOR if hessian else 1.0) + surface_calls * TYPED_CALL_RUN)
        per_step += evaluations * block
    return steps * per_step


def race_seconds(surface: Surface, names: Sequence[str], steps: int) -> float:
    """A race: one run per contestant, each its own block."""
    return simulation_seconds(surface, [(name, 1) for name in names], steps)


def grid_seconds(surface: Surface, name: str, cells: int, steps: int) -> float:
    """A sweep of ``cells`` cells or a basin map of ``cells`` starts: one block, in chunks of CHUNK_RUNS."""
    return simulation_seconds(surface, [(name, cells)], steps, chunks=math.ceil(cells / CHUNK_RUNS))


def tuning_seconds(surface: Surface, names: Sequence[str], steps: int) -> float:
    """The fair race: every learning rate of the grid per optimizer, then its winner once more."""
    return sum(simulation_seconds(surface, [(name, TUNING_RATES)], steps)
               + simulation_seconds(surface, [(name, 1)], steps) for name in names)


def export_seconds(kind: str) -> float:
    """A download: drawing its frames (the race it draws is already computed). Bounded by design: at most
    the largest race's, measured (``EXPORT_SECONDS``)."""
    if kind not in EXPORT_SECONDS:
        raise ValueError(f"unknown export {kind!r}; choose from: {', '.join(EXPORT_SECONDS)}")
    return EXPORT_SECONDS[kind]


def _check_count(what: str, value: int) -> None:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{what} must be a whole number ≥ 1 (got {value!r})")


# ------------------------------------------------------------------------------ the largest that fits


def _notches(low: int, high: int, notch: int) -> list[int]:
    """The values a slider from ``low`` in steps of ``notch`` offers up to ``high``, largest first."""
    return list(range(low + (high - low) // notch * notch, low - 1, -notch))


def _largest(price: Callable[[int], float], values: list[int]) -> int | None:
    """The first (largest) of ``values`` priced within the budget, or None."""
    return next((value for value in values if price(value) <= REQUEST_SECONDS), None)


def largest_sweep(surface: Surface, name: str, n: int, steps: int) -> Plan:
    """A sweep of ``n × n`` cells and ``steps`` steps, or the largest that fits: fewer steps first (on the
    sweep's steps slider), then fewer cells at its fewest steps. OverBudget if even the smallest does not fit."""
    asked = grid_seconds(surface, name, n * n, steps)
    if asked <= REQUEST_SECONDS:
        return Plan(n, steps, asked, asked)
    low, notch = SWEEP_STEPS[0], 50
    fewer = _largest(lambda s: grid_seconds(surface, name, n * n, s), _notches(low, min(steps, SWEEP_STEPS[1]), notch))
    if fewer is not None:
        return Plan(n, fewer, grid_seconds(surface, name, n * n, fewer), asked)
    steps = min(steps, low)
    smaller = _largest(lambda m: grid_seconds(surface, name, m * m, steps),
                       _notches(SWEEP_RESOLUTION[0], min(n, SWEEP_RESOLUTION[1]), 10))
    if smaller is None:
        raise OverBudget(f"even a {SWEEP_RESOLUTION[0]} × {SWEEP_RESOLUTION[0]} sweep of {low} steps costs more "
                         f"than {REQUEST_SECONDS:g} s here")
    return Plan(smaller, steps, grid_seconds(surface, name, smaller * smaller, steps), asked)


def largest_basins(surface: Surface, name: str, n: int, steps: int) -> Plan:
    """A basin map of ``n × n`` starts, or the largest that fits: fewer starts first (the basin grid slider,
    in tens from 11), then fewer steps at 11 × 11 starts. OverBudget if even the smallest does not fit."""
    asked = grid_seconds(surface, name, n * n, steps)
    if asked <= REQUEST_SECONDS:
        return Plan(n, steps, asked, asked)
    low = BASIN_GRID[0]
    smaller = _largest(lambda m: grid_seconds(surface, name, m * m, steps), _notches(low, min(n, BASIN_GRID[1]), 10))
    if smaller is not None:
        return Plan(smaller, steps, grid_seconds(surface, name, smaller * smaller, steps), asked)
    fewer = _largest(lambda s: grid_seconds(surface, name, low * low, s),
                     _notches(SWEEP_STEPS[0], min(steps, SWEEP_STEPS[1]), 50))
    if fewer is None:
        raise OverBudget(f"even a {low} × {low} basin map of {SWEEP_STEPS[0]} steps costs more than "
                         f"{REQUEST_SECONDS:g} s here")
    return Plan(low, fewer, grid_seconds(surface, name, low * low, fewer), asked)


def largest_tuning(surface: Surface, names: Sequence[str], steps: int) -> Plan:
    """The fair race at ``steps`` steps, or at the most steps that fit (the sweep's steps slider)."""
    asked = tuning_seconds(surface, names, steps)
    if asked <= REQUEST_SECONDS:
        return Plan(len(names), steps, asked, asked)
    fewer = _largest(lambda s: tuning_seconds(surface, names, s), _notches(SWEEP_STEPS[0], min(steps, SWEEP_STEPS[1]), 50))
    if fewer is None:
        raise OverBudget(f"tuning {len(names)} optimizers for {SWEEP_STEPS[0]} steps costs more than "
                         f"{REQUEST_SECONDS:g} s here")
    return Plan(len(names), fewer, tuning_seconds(surface, names, fewer), asked)


def largest_race(surface: Surface, names: Sequence[str], steps: int) -> Plan:
    """A race of ``steps`` steps, or the most steps that fit (the app's steps slider, in STEPS_NOTCH)."""
    asked = race_seconds(surface, names, steps)
    if asked <= REQUEST_SECONDS:
        return Plan(len(names), steps, asked, asked)
    fewer = _largest(lambda s: race_seconds(surface, names, s), _notches(APP_STEPS[0], min(steps, APP_STEPS[1]), STEPS_NOTCH))
    if fewer is None:
        raise OverBudget(f"a race of {len(names)} contestants for {APP_STEPS[0]} steps costs more than "
                         f"{REQUEST_SECONDS:g} s here")
    return Plan(len(names), fewer, race_seconds(surface, names, fewer), asked)
