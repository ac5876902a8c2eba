"""The app's expensive work, cached across reruns and sessions.

Each function depends only on its (hashable) arguments: a race's ``RaceConfig``, or ``where``, the
part of one that names a surface (:func:`surface_part`), so changing a contestant does not evict
the surface. Objects the app only reads (trajectories, surfaces) are shared with
``st.cache_resource``; everything else is copied out of ``st.cache_data``.

Every long computation is priced first (``optviz.budget``): a sweep, a basin map or the fair race
above the request budget runs the largest setting that fits instead, and the page says so
(``optviz.app.work.budget_notice``); a computation is stopped when its run is superseded or its
session closes, and heavy ones wait for a heavy slot (``optviz.app.work``).

Memory is bounded by bytes, not only by entries. ``st.cache_data`` holds pickled bytes, so each
such cache has a ``max_size`` (``CACHE_DATA_BYTES``): Streamlit evicts the least recently used
entries to stay under it (it would still keep one entry larger than the whole size, so each
size is far above that function's largest entry, noted beside it). An
``st.cache_resource`` entry is an object shared by reference, bounded by design instead: its
worst case times its entries (``RESOURCE_BYTES``, each figure measured by
``benchmarks/bench_heavy.py``). Together at most ``CACHE_CEILING`` bytes.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from optviz import budget, controls
from optviz.app import work
from optviz.app.widget_values import STEPS
from optviz.classroom.ewa import temperatures
from optviz.classroom.curvature import sharpness_series
from optviz.classroom.phase_diagram import phase_diagram
from optviz.classroom.range_test import range_test
from optviz.classroom.rates import quadratic_of
from optviz.figures.inside import INTERNAL_VIEW, internal_figure
from optviz.figures.race import effective_lr_figure, surface_3d_figure
from optviz.figures.theory import (eigen_loss_figure, phase_figure, prediction_figure, range_test_figure,
                                   stability_figure)
from optviz.figures.classroom import ewa_figure
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.classroom.regression import run_regression, tuned_for_regression
from optviz.sweep import basin_map, sweep, tuned_learning_rates
from optviz.tuning import classroom_learning_rate

MiB = 1 << 20
# st.cache_data: at most this many bytes of pickled entries per cached function.
# The largest entry of each, pickled, measured (benchmarks/bench_heavy.py and by hand) for the largest race
# (12 runs, 2000 steps) or setting, is noted beside it.
CACHE_DATA_BYTES = {"figure_spec": 64 * MiB,  # the 3-D view's spec: 3.2 MiB ("inside": 0.4 MiB)
                    "theory_spec": 16 * MiB,  # the stability figure: 0.5 MiB
                    "tuned_lr": 1 * MiB,  # a float
                    "ewa_spec": 4 * MiB,  # a year of temperatures: 0.04 MiB
                    "sweep": 64 * MiB,  # a 200 × 200 sweep: 1.6 MiB
                    "basins": 16 * MiB,  # a 101 × 101 basin map: under 1 MiB (57 B a start)
                    "tuning": 1 * MiB, "regression_tuning": 1 * MiB}  # a row or a config per optimizer
# st.cache_resource: entries × the largest entry (measured by benchmarks/bench_heavy.py, rounded up).
RESOURCE_BYTES = {"surface": 32 * 4 * MiB,  # a typed surface: 0.22 MiB for 550 program calls, ~0.4 KiB a call,
                  #                         so ~3.6 MiB at MAX_NODES (3 × 3000 calls)
                  "race": 16 * 8 * MiB,  # 12 runs × 2001 steps with every internal recorded: 3.5 MiB
                  "range_test": 8 * 1 * MiB,  # one run's loss per learning rate: kilobytes
                  "regression": 8 * 8 * MiB}  # 12 contestants × 2000 steps on 10 000 points: 3.7 MiB
CACHE_CEILING = sum(CACHE_DATA_BYTES.values()) + sum(RESOURCE_BYTES.values())


def surface_part(config: RaceConfig) -> RaceConfig:
    """The part of ``config`` that names its surface: the key of the surface caches."""
    return RaceConfig(surface=config.surface, surface_params=config.surface_params, expression=config.expression,
                      bounds=config.bounds)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_surface(where: RaceConfig):
    return where.build_surface()


def cached_race(config: RaceConfig):
    """``run_race(config)``, stopped when this run is superseded or its session closes (the page checks the
    race's budget first: :func:`race_within_budget`)."""
    with work.stoppable():
        return _race(config)


def race_within_budget(config: RaceConfig) -> bool:
    """Whether ``config``'s race fits the budget; if not, the page says so and offers the most steps that fit.

    A race is not silently shortened: the map, the legend and the link would show other steps than
    the controls. So above the budget nothing runs until the offered steps are applied.
    """
    where = surface_part(config)
    names = [opt.name for opt in config.optimizers]
    try:
        plan = budget.largest_race(cached_surface(where), names, config.steps)
    except budget.OverBudget as refusal:
        work.refusal("race", str(refusal))
        return False
    if plan.reduced:
        work.budget_notice(plan, "race", "budget.steps", {"n": len(names), "steps": config.steps},
                           {STEPS: plan.steps}, key="budget_race", message="budget.refused_race")
    return not plan.reduced


@st.cache_resource(max_entries=16, show_spinner=False)
def _race(config: RaceConfig):
    seconds = budget.race_seconds(cached_surface(surface_part(config)), [opt.name for opt in config.optimizers],
                                  config.steps)
    with work.heavy_slot(seconds):
        return run_race(config, cancelled=work.cancelled)


@st.cache_data(max_entries=64, max_size=CACHE_DATA_BYTES["figure_spec"], show_spinner=False)
def figure_spec(config: RaceConfig, view: str, lang: str, height: str = "log") -> dict:
    """The Plotly spec of a view the race component does not draw ("inside", "inside:<internal>", "3d"); {}
    when it has nothing to show."""
    traj = cached_race(config)
    if view == "inside":
        figure = effective_lr_figure(traj, lang=lang)
        return figure.to_dict() if figure is not None else {}
    if view.startswith(INTERNAL_VIEW):  # "inside:<internal>": that internal's chart, for the runs that plot it
        figure = internal_figure(traj, view.removeprefix(INTERNAL_VIEW), lang=lang)
        return figure.to_dict() if figure is not None else {}
    return surface_3d_figure(traj, lang=lang, height=height).to_dict()


@st.cache_resource(max_entries=8, show_spinner=False)
def range_test_result(config: RaceConfig):
    """Smith's range test for SGD from the race's start on its surface."""
    surface = cached_surface(surface_part(config))
    return range_test(surface, "sgd", config.start_point(surface))


@st.cache_data(max_entries=32, max_size=CACHE_DATA_BYTES["theory_spec"], show_spinner=False)
def theory_spec(config: RaceConfig, kind: str, lang: str) -> dict:
    """A figure of the theory view ("stability", "prediction", "eigen", "phase", "range"); {} where the
    surface is not a quadratic and the figure needs one."""
    traj = cached_race(config)
    if kind == "stability":
        return stability_figure(sharpness_series(traj, config.optimizers), lang).to_dict()
    if kind == "range":
        return range_test_figure(range_test_result(config), lang).to_dict()
    try:
        quad = quadratic_of(traj.surface)
    except ValueError:  # not a quadratic: no closed-form rates
        return {}
    if kind == "prediction":
        return prediction_figure(traj, config.optimizers, lang).to_dict()
    if kind == "eigen":
        return eigen_loss_figure(traj, 0, lang).to_dict()
    top = float(quad.eigenvalues[-1])  # heavy ball converges only for lr < 2(1 + β)/λ_max ≤ 4/λ_max
    diagram = phase_diagram(quad, np.geomspace(1e-2 / top, 4.0 / top, 40), np.linspace(0.0, 0.99, 34))
    points = [(opt.display_label, opt.value("lr"), opt.value("beta") if opt.name == "momentum" else 0.0)
              for opt in config.optimizers if opt.name in ("sgd", "momentum") and opt.convention == "pytorch"]
    return phase_figure(diagram, lang, points).to_dict()


@st.cache_data(max_entries=512, max_size=CACHE_DATA_BYTES["tuned_lr"], show_spinner=False)
def tuned_lr(where: RaceConfig, start: tuple, steps: int, name: str) -> float:
    """A learning rate that suits optimizer ``name`` here, on the lr slider's notches (a heavy one waits for its slot)."""
    surface = cached_surface(where)
    with work.heavy_slot(budget.tuning_seconds(surface, [name], steps)):
        return controls.snap("lr", classroom_learning_rate(surface, name, start, steps))


# The sweep view's controls (optviz.app.views.sweep) that a budget notice's button sets.
SWEEP_POINTS, SWEEP_STEPS, BASIN_POINTS = "sweep_n", "sweep_steps", "basin_n"


def cached_sweep(where: RaceConfig, contestant: OptimizerConfig, x: str, y: str, start: tuple, steps: int):
    """The sweep of axes ``x`` and ``y`` (``parse_axis`` texts with the same points), or the largest that fits the
    budget, said on the page with a button that puts it on the sweep's sliders."""
    n = int(x.split(":")[3])
    plan = _within_budget(lambda: budget.largest_sweep(cached_surface(where), contestant.name, n, steps), "sweep")
    if plan.reduced:
        work.budget_notice(plan, "sweep", "budget.cells", {"n": n, "steps": steps},
                           {SWEEP_POINTS: plan.n, SWEEP_STEPS: plan.steps}, key="budget_sweep")
    with work.stoppable():
        return _sweep(where, contestant, _with_points(x, plan.n), _with_points(y, plan.n), start, plan.steps)


@st.cache_data(max_entries=16, max_size=CACHE_DATA_BYTES["sweep"], show_spinner=False)
def _sweep(where: RaceConfig, contestant: OptimizerConfig, x: str, y: str, start: tuple, steps: int):
    swept = (x.split(":")[0], y.split(":")[0])
    surface = cached_surface(where)
    with work.heavy_slot(budget.grid_seconds(surface, contestant.name, int(x.split(":")[3]) ** 2, steps)):
        return sweep(surface, contestant.name, x, y, start, steps, cancelled=work.cancelled,
                     **contestant.settings(without=swept))


def cached_basins(where: RaceConfig, contestant: OptimizerConfig, n: int, steps: int):
    """The basin map of ``n × n`` starts, or the largest that fits the budget (said on the page)."""
    plan = _within_budget(lambda: budget.largest_basins(cached_surface(where), contestant.name, n, steps), "basins")
    if plan.reduced:
        work.budget_notice(plan, "basins", "budget.starts", {"n": n, "steps": steps},
                           {BASIN_POINTS: plan.n, SWEEP_STEPS: plan.steps}, key="budget_basins")
    with work.stoppable():
        return _basins(where, contestant, plan.n, plan.steps)


@st.cache_data(max_entries=16, max_size=CACHE_DATA_BYTES["basins"], show_spinner=False)
def _basins(where: RaceConfig, contestant: OptimizerConfig, n: int, steps: int):
    surface = cached_surface(where)
    with work.heavy_slot(budget.grid_seconds(surface, contestant.name, n * n, steps)):
        return basin_map(surface, contestant.build(), n, steps, cancelled=work.cancelled)


def cached_tuning(where: RaceConfig, names: tuple, start: tuple, steps: int):
    """The fair race's tuned learning rates, at the most steps that fit the budget (said on the page); an empty
    table when not even the fewest steps fit (a dozen costly optimizers on a very long typed formula)."""
    try:
        plan = budget.largest_tuning(cached_surface(where), names, steps)
    except budget.OverBudget as refusal:
        work.refusal("tuning", str(refusal))
        return tuned_learning_rates(cached_surface(where), [], start, steps)  # no optimizer: the empty table
    if plan.reduced:
        work.budget_notice(plan, "tuning", "budget.steps", {"n": len(names), "steps": steps}, {SWEEP_STEPS: plan.steps},
                           key="budget_tuning")
    with work.stoppable():
        return _tuning(where, names, start, plan.steps)


@st.cache_data(max_entries=16, max_size=CACHE_DATA_BYTES["tuning"], show_spinner=False)
def _tuning(where: RaceConfig, names: tuple, start: tuple, steps: int):
    surface = cached_surface(where)
    with work.heavy_slot(budget.tuning_seconds(surface, names, steps)):
        return tuned_learning_rates(surface, list(names), start, steps, cancelled=work.cancelled)


def _with_points(axis: str, n: int) -> str:
    """A ``parse_axis`` text with ``n`` points instead of its own."""
    fields = axis.split(":")
    fields[3] = str(int(n))
    return ":".join(fields)


def _within_budget(plan, what: str) -> budget.Plan:
    """``plan()``; when even the smallest setting is over the budget, say so and end this run here."""
    try:
        return plan()
    except budget.OverBudget as refusal:
        work.refusal(what, str(refusal))
        st.stop()


@st.cache_data(max_entries=32, max_size=CACHE_DATA_BYTES["ewa_spec"], show_spinner=False)
def ewa_spec(days: int, seed: int, betas: tuple, corrected: bool, lang: str) -> dict:
    return ewa_figure(temperatures(days, seed), list(betas), corrected, lang).to_dict()


@st.cache_data(max_entries=32, max_size=CACHE_DATA_BYTES["regression_tuning"], show_spinner=False)
def cached_regression_tuning(optimizers: tuple, steps: int, n: int, seed: int) -> tuple:
    """The contestants with learning rates tuned on the regression's MSE (see ``tuned_for_regression``)."""
    return tuned_for_regression(optimizers, steps, n, seed)


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_regression(optimizers: tuple, steps: int, n: int, seed: int, batch: int, batch_seed: int):
    return run_regression(optimizers, steps, n, seed, batch, batch_seed)
