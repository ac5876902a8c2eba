"""The app's expensive work, cached across reruns and sessions.

Each function depends only on its (hashable) arguments: a race's ``RaceConfig``, or ``where``, the
part of one that names a surface (:func:`surface_part`), so changing a contestant does not evict
the surface. Objects the app only reads (trajectories, surfaces) are shared with
``st.cache_resource``; everything else is copied out of ``st.cache_data``.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from optviz import controls
from optviz.classroom.ewa import temperatures
from optviz.classroom.curvature import sharpness_series
from optviz.classroom.phase_diagram import phase_diagram
from optviz.classroom.range_test import range_test
from optviz.classroom.rates import quadratic_of
from optviz.figures.race import effective_lr_figure, surface_3d_figure
from optviz.figures.theory import (eigen_loss_figure, phase_figure, prediction_figure, range_test_figure,
                                   stability_figure)
from optviz.figures.classroom import ewa_figure
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.classroom.regression import run_regression, tuned_for_regression
from optviz.sweep import basin_map, sweep, tuned_learning_rates
from optviz.tuning import classroom_learning_rate


def surface_part(config: RaceConfig) -> RaceConfig:
    """The part of ``config`` that names its surface: the key of the surface caches."""
    return RaceConfig(surface=config.surface, surface_params=config.surface_params, expression=config.expression,
                      bounds=config.bounds)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_surface(where: RaceConfig):
    return where.build_surface()


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_race(config: RaceConfig):
    return run_race(config)


@st.cache_data(max_entries=64, show_spinner=False)
def figure_spec(config: RaceConfig, view: str, lang: str, height: str = "log") -> dict:
    """The Plotly spec of a view the race component does not draw ("inside", "3d"); {} when it has nothing
    to show."""
    traj = cached_race(config)
    if view == "inside":
        figure = effective_lr_figure(traj, lang=lang)
        return figure.to_dict() if figure is not None else {}
    return surface_3d_figure(traj, lang=lang, height=height).to_dict()


@st.cache_resource(max_entries=8, show_spinner=False)
def range_test_result(config: RaceConfig):
    """Smith's range test for SGD from the race's start on its surface."""
    surface = cached_surface(surface_part(config))
    return range_test(surface, "sgd", config.start_point(surface))


@st.cache_data(max_entries=32, show_spinner=False)
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


@st.cache_data(max_entries=512, show_spinner=False)
def tuned_lr(where: RaceConfig, start: tuple, steps: int, name: str) -> float:
    """A learning rate that suits optimizer ``name`` here, on the lr slider's notches."""
    return controls.snap("lr", classroom_learning_rate(cached_surface(where), name, start, steps))


@st.cache_data(max_entries=16, show_spinner=False)
def cached_sweep(where: RaceConfig, contestant: OptimizerConfig, x: str, y: str, start: tuple, steps: int):
    swept = (x.split(":")[0], y.split(":")[0])
    return sweep(cached_surface(where), contestant.name, x, y, start, steps, **contestant.settings(without=swept))


@st.cache_data(max_entries=16, show_spinner=False)
def cached_basins(where: RaceConfig, contestant: OptimizerConfig, n: int, steps: int):
    return basin_map(cached_surface(where), contestant.build(), n, steps)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_tuning(where: RaceConfig, names: tuple, start: tuple, steps: int):
    return tuned_learning_rates(cached_surface(where), list(names), start, steps)


@st.cache_data(max_entries=32, show_spinner=False)
def ewa_spec(days: int, seed: int, betas: tuple, corrected: bool, lang: str) -> dict:
    return ewa_figure(temperatures(days, seed), list(betas), corrected, lang).to_dict()


@st.cache_data(max_entries=32, show_spinner=False)
def cached_regression_tuning(optimizers: tuple, steps: int, n: int, seed: int) -> tuple:
    """The contestants with learning rates tuned on the regression's MSE (see ``tuned_for_regression``)."""
    return tuned_for_regression(optimizers, steps, n, seed)


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_regression(optimizers: tuple, steps: int, n: int, seed: int, batch: int, batch_seed: int):
    return run_regression(optimizers, steps, n, seed, batch, batch_seed)
