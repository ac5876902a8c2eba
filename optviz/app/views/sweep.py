"""Thousands of runs at once: a hyperparameter heatmap, a basin map and a fair-race table.

Its picks load onto the contestants' controls (``state.load_picked``, ``state.load_tuned_rates``).
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from optviz import controls
from optviz.app import state
from optviz.app.caches import cached_basins, cached_surface, cached_sweep, cached_tuning, surface_part
from optviz.app.widget_values import SLOTS
from optviz.app.widgets import PLOT_CONFIG, choice
from optviz.i18n import t
from optviz.limits import BASIN_GRID, SWEEP_RESOLUTION, SWEEP_STEPS
from optviz.figures.sweep import basin_figure, steps_heatmap, sweep_heatmap
from optviz.optimizers import DISPLAY_NAMES
from optviz.race import RaceConfig
from optviz.sweep import TUNING_TOLERANCE
from optviz.tuning import LR_GRID  # the rates tuned_learning_rates tries per optimizer


def _sig3(value: float) -> str:
    """Three significant digits: 0.0316, 1.23e-07; "—" where there is no number (every rate diverged)."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.3g}"


def fair_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``sweep.tuned_learning_rates``'s table as students read it: display names, numbers to three
    significant digits, "never" for a tolerance not reached, the status in words, translated headers."""
    steps = [t("table.never_reached", lang) if s < 0 else str(int(s)) for s in table["steps_to_tol"]]
    return pd.DataFrame({
        t("table.label", lang): [DISPLAY_NAMES.get(name, name) for name in table["optimizer"]],
        t("opt.lr", lang): [_sig3(v) for v in table["lr"]],
        t("table.final_loss", lang): [_sig3(v) for v in table["final_loss"]],
        t("table.steps_to", lang, tol=controls.format_number(TUNING_TOLERANCE)): steps,
        t("table.status", lang): [t(f"sweep.status.{s}", lang) for s in table["status"]],
    })


def render(config: RaceConfig, traj, lang: str) -> None:
    where = surface_part(config)
    start = config.start_point()
    cols = st.columns([2, 1, 1, 1, 1])
    with_beta = [i for i, opt in enumerate(config.optimizers)
                 if {"beta", "beta1"} & set(controls.hyperparameter_names(opt.name))]
    with cols[0]:
        index = choice(st.selectbox, t("sweep.contestant", lang), range(len(config.optimizers)), key="sweep_run",
                       default=with_beta[0] if with_beta else 0, format_func=traj.labels.__getitem__)
    contestant, slot = config.optimizers[index], state.value(SLOTS)[index]
    names = [n for n in controls.hyperparameter_names(slot) if n in controls.SWEEP_RANGES]
    with cols[1]:
        x_name = choice(st.selectbox, t("sweep.x", lang), names, key="sweep_x",
                        format_func=lambda n: t(f"opt.{n}", lang))
    y_names = [n for n in names if n != x_name]
    if not y_names:
        st.info(t("sweep.one_parameter", lang))
        return
    with cols[2]:
        y_name = choice(st.selectbox, t("sweep.y", lang), y_names, key="sweep_y",
                        format_func=lambda n: t(f"opt.{n}", lang))
    state.first_value("sweep_n", 100)
    state.first_value("sweep_steps", max(SWEEP_STEPS[0], min(int(config.steps) // 50 * 50, 500)))
    n = cols[3].slider(t("sweep.resolution", lang), *SWEEP_RESOLUTION, step=10, key="sweep_n")
    steps = cols[4].slider(t("sweep.budget", lang), *SWEEP_STEPS, step=50, key="sweep_steps")
    x_text, y_text = controls.sweep_axis_text(x_name, n), controls.sweep_axis_text(y_name, n)
    with st.spinner(t("sweep.computing", lang, cells=n * n, steps=steps)):
        result = cached_sweep(where, contestant, x_text, y_text, start, steps)
    left, right = st.columns(2)
    left.plotly_chart(sweep_heatmap(result, lang), key="chart_sweep_loss", config=PLOT_CONFIG, width="stretch")
    right.plotly_chart(steps_heatmap(result, lang), key="chart_sweep_steps", config=PLOT_CONFIG, width="stretch")
    best = result.best()
    pick = st.columns([3, 3, 2, 2])
    px = pick[0].select_slider(t("sweep.pick_x", lang), list(result.x_values), key="sweep_pick_x",
                               value=best[x_name] if best else result.x_values[0], format_func=controls.format_number)
    py = pick[1].select_slider(t("sweep.pick_y", lang), list(result.y_values), key="sweep_pick_y",
                               value=best[y_name] if best else result.y_values[0], format_func=controls.format_number)
    pick[2].button(t("sweep.load", lang), on_click=state.load_picked, args=(slot, {x_name: px, y_name: py}),
                   width="stretch")
    if best:
        pick[3].button(t("sweep.load_best", lang), on_click=state.load_picked,
                       args=(slot, {x_name: best[x_name], y_name: best[y_name]}), width="stretch")
    st.caption(t("sweep.loaded_note", lang))

    st.subheader(t("sweep.basins", lang))
    surface = cached_surface(where)
    if not surface.minima:
        st.info(t("sweep.no_minima", lang))
    else:
        state.first_value("basin_n", 41)
        grid = st.slider(t("sweep.basin_grid", lang), *BASIN_GRID, step=10, key="basin_n")
        with st.spinner(t("sweep.computing", lang, cells=grid * grid, steps=steps)):
            basins = cached_basins(where, contestant, grid, steps)
        st.plotly_chart(basin_figure(basins, surface, lang), key="chart_basins", config=PLOT_CONFIG, width="stretch")

    st.subheader(t("sweep.fair", lang))
    names_in_race = tuple(dict.fromkeys(opt.name for opt in config.optimizers))
    with st.spinner(t("sweep.computing", lang, cells=len(names_in_race) * len(LR_GRID), steps=steps)):
        table = cached_tuning(where, names_in_race, start, steps)
    st.dataframe(fair_table(table, lang), hide_index=True, width="stretch")
    st.button(t("sweep.tuned_race", lang), on_click=state.load_tuned_rates,
              args=(dict(zip(table["optimizer"], table["lr"])),), key="tuned_race")
