"""OptViz in the browser: pick a loss surface and some optimizers, and watch them race.

Widgets and layout only. The numbers come from ``optviz``/``surfaces``, the figures from
``optviz.plots``, the ladders of slider values from ``optviz.controls`` and every word from
``optviz.i18n``. Start it with ``streamlit run app.py``.
"""
from __future__ import annotations

import functools
import html
import zlib

import numpy as np
import pandas as pd
import streamlit as st

from optviz import controls, share
from optviz.ewa import temperatures
from optviz.explain import explain_step
from optviz.export import frame_png, race_gif, standalone_html, trajectories_csv
from optviz.i18n import LANGUAGES, status_text, t
from optviz.lessons import LESSONS, get_lesson, schedule_controls, slots
from optviz.optimizers import CONVENTIONS, DISPLAY_NAMES, HAS_BIAS_CORRECTION
from optviz.plots import (PICK_TRACE, ReadyFigure, effective_lr_figure, loss_figure, race_figure,
                          side_by_side_figure, surface_3d_figure)
from optviz.plots_classroom import ewa_figure, regression_figure
from optviz.plots_sweep import basin_figure, steps_heatmap, sweep_heatmap
from optviz.race import OptimizerConfig, RaceConfig, run_race, unique_labels, validate
from optviz.regression import batch_gradient, run_regression
from optviz.sweep import basin_map, sweep, tuned_learning_rates
from optviz.tuning import classroom_learning_rate
from surfaces import CUSTOM, PARAMETERS, SURFACES

LESSON_IDS = [lesson.id for lesson in LESSONS]

VIEWS = ("race", "side", "3d", "loss", "inside", "table", "sweep", "ewa", "regression")
DEFAULT_SURFACE = "rosenbrock"
DEFAULT_STEPS = 500
DEFAULT_EXPRESSION = "x**2 + 3*sin(y) - 0.5*x*y"
BADGE_COLORS = {"running": "blue", "converged": "green", "diverged": "red"}
BADGE_STYLES = {"blue": "background:#e0ecff;color:#0b3d91", "green": "background:#dcf5e3;color:#0d5124",
                "red": "background:#fde2e2;color:#8a1010"}  # text at 7:1 or more against its ground
TONES = {"note": "font-size:0.875rem;color:#31333f", "warning": "padding:0.75rem 1rem;background:#fff4d6;color:#4d3800",
         "error": "padding:0.75rem 1rem;background:#fde2e2;color:#7a0b0b"}
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}

ss = st.session_state


def choice(widget, label: str, options, key: str, format_func, on_change=None, default=None, **kwargs):
    """A selectbox or radio whose shown labels can change (language, contestants' names).

    Streamlit sends a choice back as its shown label, so after a language switch the browser would
    answer with a label of the old language, which no option has: Streamlit then hands back the bare
    label as the value. So the widget is keyed by its labels and the chosen option (an id, never a
    label) lives under ``key``: new labels make a new widget that starts from the stored choice.
    """
    options = list(options)
    labels = [str(format_func(option)) for option in options]
    widget_key = f"{key}#{zlib.crc32(chr(31).join(labels).encode())}"
    value = ss.get(key, default)
    if value not in options:
        value = default if default in options else options[0]
    ss[key] = value
    if ss.get(widget_key) != value:
        ss[widget_key] = value

    def store() -> None:
        # The browser may still answer for the widget of the labels before (its key is gone by then).
        if widget_key in ss and ss[widget_key] != ss.get(key):
            ss[key] = ss[widget_key]
            if on_change is not None:
                on_change()

    widget(label, options, key=widget_key, format_func=format_func, on_change=store, **kwargs)
    return value


# ---------------------------------------------------------------------------------------- cached work

@st.cache_resource(max_entries=16, show_spinner=False)
def cached_race(config: RaceConfig):
    return run_race(config)


@st.cache_data(max_entries=64, show_spinner=False)
def figure_spec(config: RaceConfig, view: str, lang: str, height: str = "log", arrows: bool = False) -> dict:
    traj = cached_race(config)
    if view == "race":
        return race_figure(traj, lang=lang, arrows=arrows).to_dict()
    if view == "inside":
        figure = effective_lr_figure(traj, lang=lang)
        return figure.to_dict() if figure is not None else {}
    if view == "side":
        return side_by_side_figure(traj, lang=lang).to_dict()
    if view == "loss":
        return loss_figure(traj, lang=lang).to_dict()
    return surface_3d_figure(traj, lang=lang, height=height).to_dict()


@st.cache_data(max_entries=32, show_spinner=False)
def ewa_spec(days: int, seed: int, betas: tuple, corrected: bool, lang: str) -> dict:
    return ewa_figure(temperatures(days, seed), list(betas), corrected, lang).to_dict()


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_regression(optimizers: tuple, steps: int, n: int, seed: int, batch: int, batch_seed: int):
    return run_regression(optimizers, steps, n, seed, batch, batch_seed)


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


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_surface(where: RaceConfig):
    return where.build_surface()


@st.cache_data(max_entries=512, show_spinner=False)
def tuned_lr(where: RaceConfig, start: tuple, steps: int, name: str) -> float:
    return controls.snap("lr", classroom_learning_rate(cached_surface(where), name, start, steps))


# ---------------------------------------------------------------------------------------- state

def lang() -> str:
    return ss.get("lang", "en")


def surface_params() -> tuple[tuple[str, float], ...]:
    name = ss.surface
    return tuple((p.name, float(ss.get(f"sp.{name}.{p.name}", p.default))) for p in PARAMETERS.get(name, ()))


def custom_bounds() -> tuple[tuple[float, float], tuple[float, float]]:
    return (float(ss.custom_x0), float(ss.custom_x1)), (float(ss.custom_y0), float(ss.custom_y1))


def surface_choice() -> RaceConfig:
    """Which surface, as the part of a RaceConfig that names it (hashable, so it keys caches).

    A typed expression that does not parse is reported once and the last good one is used.
    """
    if ss.surface != CUSTOM:
        return RaceConfig(surface=ss.surface, surface_params=surface_params())
    where = RaceConfig(surface=CUSTOM, expression=ss.custom_expr, bounds=custom_bounds())
    try:
        cached_surface(where)
        ss.custom_good = (where.expression, where.bounds)
        ss.custom_problem = None
    except ValueError as error:
        ss.custom_problem = error
        expression, bounds = ss.get("custom_good") or (DEFAULT_EXPRESSION, ((-3.0, 3.0), (-3.0, 3.0)))
        where = RaceConfig(surface=CUSTOM, expression=expression, bounds=bounds)
    return where


def current_surface():
    return cached_surface(surface_choice())


def current_start() -> tuple[float, float]:
    return float(ss.start_x), float(ss.start_y)


def set_start(point) -> None:
    ss.start_x, ss.start_y = round(float(point[0]), 4), round(float(point[1]), 4)


def lr_for(slot: str) -> float:
    return tuned_lr(surface_choice(), current_start(), int(ss.steps), controls.optimizer_of(slot))


def ensure_slot(slot: str) -> None:
    """Give a contestant's controls their defaults (lr tuned for this surface) where unset."""
    defaults = {f"{slot}.{p}": controls.default_value(slot, p) for p in controls.hyperparameter_names(slot)}
    defaults |= {f"{slot}.convention": "pytorch", f"{slot}.bias_correction": True, f"{slot}.schedule": "constant",
                 f"{slot}.every": 100, f"{slot}.factor": 0.5, f"{slot}.gamma": 0.99, f"{slot}.period": int(ss.steps),
                 f"{slot}.warmup": 0, f"{slot}.noise": 0.0, f"{slot}.seed": 0}
    for key, value in defaults.items():
        if key not in ss:
            ss[key] = lr_for(slot) if key == f"{slot}.lr" else value


def init_state() -> None:
    ss.setdefault("lang", "en")
    ss.setdefault("surface", DEFAULT_SURFACE)
    ss.setdefault("steps", DEFAULT_STEPS)
    ss.setdefault("view", "race")
    ss.setdefault("slot_ids", controls.base_slots())
    ss.setdefault("slots", list(controls.DEFAULT_SLOTS))
    ss.setdefault("lesson", "")
    ss.setdefault("lesson_labels", {})
    ss.setdefault("custom_expr", DEFAULT_EXPRESSION)
    for key, value in (("custom_x0", -3.0), ("custom_x1", 3.0), ("custom_y0", -3.0), ("custom_y1", 3.0)):
        ss.setdefault(key, value)
    if "start_x" not in ss:
        set_start(current_surface().start)


def apply_map_pick() -> None:
    """A click on the race map's pick grid moves the start there (once per click)."""
    event = ss.get("race_chart") or {}
    points = (event.get("selection") or {}).get("points") or []
    pick = next((p for p in points if p.get("curve_number") == PICK_TRACE), None)
    if pick is None:
        if not points:
            ss.applied_pick = None
        return
    key = (round(float(pick["x"]), 6), round(float(pick["y"]), 6))
    if ss.get("applied_pick") != key:
        ss.applied_pick = key
        set_start(key)


# ---------------------------------------------------------------------------------------- callbacks

def on_surface_change() -> None:
    set_start(current_surface().start)
    ss.lesson_labels = {}
    retune()


def load_lesson() -> None:
    """Move every control to the lesson's setting; nothing else is touched."""
    ss.lesson_labels = {}
    if not ss.lesson:
        return
    lesson = get_lesson(ss.lesson)
    config = lesson.race_config(lang())
    ss.surface = config.surface
    for key, value in config.surface_params:
        ss[f"sp.{config.surface}.{key}"] = value
    set_start(config.start)
    ss.steps = config.steps
    pairs = slots(config)
    for slot, opt in pairs:
        for key in slot_value_keys(slot):
            del ss[key]
        for key, value in opt.hyperparams:
            ss[f"{slot}.{key}"] = value
        ss[f"{slot}.convention"], ss[f"{slot}.bias_correction"] = opt.convention, opt.bias_correction
        ss[f"{slot}.noise"], ss[f"{slot}.seed"] = opt.noise, opt.seed
        for key, value in schedule_controls(opt.schedule).items():
            ss[f"{slot}.{'schedule' if key == 'kind' else key}"] = value
        ensure_slot(slot)
    ss.slot_ids = list(dict.fromkeys(ss.slot_ids + [slot for slot, _ in pairs]))
    ss.slots = [slot for slot, _ in pairs]
    ss.lesson_labels = {slot: opt.label for slot, opt in pairs}
    ss.view = lesson.view


def on_slots_change() -> None:
    ss.lesson_labels = {}


def retune() -> None:
    for slot in ss.slots:
        ss[f"{slot}.lr"] = lr_for(slot)


def random_start() -> None:
    (x0, x1), (y0, y1) = current_surface().bounds
    rng = np.random.default_rng()
    set_start((rng.uniform(x0, x1), rng.uniform(y0, y1)))


def default_start() -> None:
    set_start(current_surface().start)


def reset_slot(slot: str) -> None:
    for key in slot_value_keys(slot):
        del ss[key]
    ensure_slot(slot)


def slot_value_keys(slot: str) -> list[str]:
    """A contestant's settings in the session (its buttons' own state excluded: that is read-only)."""
    return [k for k in ss.keys() if isinstance(k, str) and k.startswith(f"{slot}.") and not k.endswith("_button")]


def duplicate(slot: str) -> None:
    copy = controls.duplicate_slot(slot, ss.slot_ids)
    for key in slot_value_keys(slot):
        ss[copy + key[len(slot):]] = ss[key]
    ss.slot_ids = ss.slot_ids + [copy]
    ss.slots = ss.slots + [copy]


# ---------------------------------------------------------------------------------------- sidebar

def surface_controls() -> None:
    L = lang()
    choice(st.selectbox, t("app.surface", L), [*SURFACES, CUSTOM], key="surface", on_change=on_surface_change,
           format_func=lambda name: t("app.custom_surface" if name == CUSTOM else f"surface.{name}", L))
    if ss.surface == CUSTOM:
        custom_controls()
    surface = current_surface()
    st.caption(surface.description[L])
    st.latex(surface.formula)
    for p in PARAMETERS.get(ss.surface, ()):
        key = f"sp.{ss.surface}.{p.name}"
        ss.setdefault(key, p.default)
        label, help_text = t(f"sparam.{p.name}", L), t(f"sparam.{p.name}.help", L)
        if p.log:
            st.select_slider(label, controls.surface_ladder(p), key=key, help=help_text, format_func=controls.format_number)
        else:
            st.slider(label, float(p.low), float(p.high), key=key, help=help_text)


def custom_controls() -> None:
    L = lang()
    st.text_input(t("app.expression", L), key="custom_expr", max_chars=300, help=t("app.expression_help", L),
                  on_change=on_surface_change)
    left, right = st.columns(2)
    left.number_input("x min", -1000.0, 1000.0, key="custom_x0", on_change=on_surface_change)
    right.number_input("x max", -1000.0, 1000.0, key="custom_x1", on_change=on_surface_change)
    left.number_input("y min", -1000.0, 1000.0, key="custom_y0", on_change=on_surface_change)
    right.number_input("y max", -1000.0, 1000.0, key="custom_y1", on_change=on_surface_change)
    surface_choice()
    problem = ss.get("custom_problem")
    if problem is not None:
        plain_text(t("app.expression_error", L, message=problem), tone="error")
        position = getattr(problem, "position", None)
        if isinstance(position, int) and isinstance(ss.custom_expr, str):
            st.code(f"{ss.custom_expr}\n{' ' * position}^", language=None)


def start_controls() -> None:
    L = lang()
    surface = current_surface()
    limit = 10.0 * float(np.max(np.abs(surface.bounds)))
    st.markdown(f"**{t('app.start', L)}**")
    left, right = st.columns(2)
    left.number_input(t("app.start_x", L), -limit, limit, key="start_x", step=0.1, format="%.4f")
    right.number_input(t("app.start_y", L), -limit, limit, key="start_y", step=0.1, format="%.4f")
    left, right = st.columns(2)
    left.button(t("app.random_start", L), on_click=random_start, width="stretch")
    right.button(t("app.default_start", L), on_click=default_start, width="stretch")
    st.caption(t("app.start_hint", L))
    st.slider(t("app.steps", L), 10, 2000, key="steps", step=10)


def slot_label(slot: str) -> str:
    copies = [s for s in ss.slot_ids if controls.optimizer_of(s) == controls.optimizer_of(slot)]
    name = DISPLAY_NAMES[controls.optimizer_of(slot)]
    return name if copies.index(slot) == 0 else f"{name} ({copies.index(slot) + 1})"


def optimizer_controls(slot: str, label: str) -> st.delta_generator.DeltaGenerator:
    """One contestant's group of controls; returns the spot for its status badge."""
    L = lang()
    name = controls.optimizer_of(slot)
    ensure_slot(slot)
    with st.expander(label, expanded=False):
        badge = st.empty()
        for p in controls.hyperparameter_names(slot):
            st.select_slider(t(f"opt.{p}", L), controls.LADDERS[p], key=f"{slot}.{p}",
                             format_func=controls.format_number)
        choice(st.selectbox, t("opt.convention", L), CONVENTIONS, key=f"{slot}.convention",
               format_func=lambda c: t(f"opt.conv.{c}", L))
        if name in HAS_BIAS_CORRECTION:
            st.checkbox(t("opt.bias_correction", L), key=f"{slot}.bias_correction")
        choice(st.selectbox, t("opt.schedule", L), controls.SCHEDULE_KINDS, key=f"{slot}.schedule",
               format_func=lambda k: t(f"opt.schedule.{k}", L))
        kind = ss[f"{slot}.schedule"]
        if kind == "step":
            st.number_input(t("opt.every", L), 1, 5000, key=f"{slot}.every")
            st.select_slider(t("opt.factor", L), controls.FACTOR_CHOICES, key=f"{slot}.factor")
        elif kind == "exp":
            st.select_slider(t("opt.gamma", L), controls.GAMMA_CHOICES, key=f"{slot}.gamma")
        elif kind == "cosine":
            st.number_input(t("opt.period", L), 1, 5000, key=f"{slot}.period")
        if kind != "constant" or ss[f"{slot}.warmup"]:
            st.number_input(t("opt.warmup", L), 0, 2000, key=f"{slot}.warmup")
        st.select_slider(t("opt.noise", L), controls.NOISE_CHOICES, key=f"{slot}.noise",
                         format_func=controls.format_number)
        if ss[f"{slot}.noise"] > 0:
            st.number_input(t("opt.seed", L), 0, 2**31 - 1, key=f"{slot}.seed")
        left, right = st.columns(2)
        left.button(t("opt.reset", L), key=f"{slot}.reset_button", on_click=reset_slot, args=(slot,),
                    width="stretch")
        right.button(t("opt.duplicate", L), key=f"{slot}.duplicate_button", on_click=duplicate, args=(slot,),
                     width="stretch")
    return badge


def optimizer_config(slot: str) -> OptimizerConfig:
    kind = ss[f"{slot}.schedule"]
    schedule = controls.schedule_spec(kind, every=ss[f"{slot}.every"], factor=ss[f"{slot}.factor"],
                                      gamma=ss[f"{slot}.gamma"], period=ss[f"{slot}.period"],
                                      warmup=ss[f"{slot}.warmup"])
    return OptimizerConfig(
        name=controls.optimizer_of(slot), label=ss.get("lesson_labels", {}).get(slot) or slot_label(slot),
        hyperparams=tuple((p, float(ss[f"{slot}.{p}"])) for p in controls.hyperparameter_names(slot)),
        convention=ss[f"{slot}.convention"], bias_correction=bool(ss[f"{slot}.bias_correction"]),
        schedule=schedule, noise=float(ss[f"{slot}.noise"]), seed=int(ss[f"{slot}.seed"]))


def sidebar() -> tuple[RaceConfig, list]:
    L = lang()
    with st.sidebar:
        st.radio(t("app.language", L), list(LANGUAGES), key="lang", horizontal=True,
                 format_func=LANGUAGES.__getitem__)
        L = lang()
        choice(st.selectbox, t("app.lesson", L), ["", *LESSON_IDS], key="lesson", on_change=load_lesson,
               format_func=lambda i: get_lesson(i).title[L] if i else t("app.lesson_none", L))
        surface_controls()
        start_controls()
        st.multiselect(t("app.optimizers", L), ss.slot_ids, key="slots", format_func=slot_label,
                       help=t("app.optimizers_help", L), on_change=on_slots_change)
        st.button(t("app.tune_all", L), on_click=retune, help=t("app.tune_help", L), width="stretch")
        badges = [optimizer_controls(slot, slot_label(slot)) for slot in ss.slots]
    where = surface_choice()
    config = RaceConfig(surface=where.surface, surface_params=where.surface_params, expression=where.expression,
                        bounds=where.bounds, start=current_start(), steps=int(ss.steps),
                        optimizers=tuple(optimizer_config(slot) for slot in ss.slots))
    return config, badges


# ---------------------------------------------------------------------------------------- links and files

def current_state(config: RaceConfig | None = None) -> share.AppState:
    """The app state as a link carries it: ``config`` from the sidebar, or rebuilt from the session."""
    if config is None:
        for slot in ss.slots:
            ensure_slot(slot)
        where = surface_choice()
        config = RaceConfig(surface=where.surface, surface_params=where.surface_params, expression=where.expression,
                            bounds=where.bounds, start=current_start(), steps=int(ss.steps),
                            optimizers=tuple(optimizer_config(slot) for slot in ss.slots))
    return share.AppState(config, view=ss.get("view") or "race", lang=lang(), lesson=ss.get("lesson") or None)


def apply_link() -> None:
    """Once per session, before any widget exists: move the controls to what the address says."""
    if ss.get("link_read"):
        return
    ss.link_read = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    if not params:
        return
    state, notices = share.decode(params, current_state(), lessons=LESSON_IDS, views=VIEWS)
    if state.lesson:  # what the link leaves out comes from its lesson's setting, not from the default race
        lesson = get_lesson(state.lesson)
        setting = share.AppState(lesson.race_config(state.lang), lesson.view, state.lang, state.lesson)
        state, notices = share.decode(params, setting, lessons=LESSON_IDS, views=VIEWS)
    for key, value in share.session_values(state).items():
        ss[key] = value
    ss.link_notices = [str(notice) for notice in notices]


def write_link(config: RaceConfig) -> None:
    """Keep the address bar equal to what is on screen, so copying it shares exactly this."""
    query = share.encode(current_state(config))
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def export_buttons(config: RaceConfig, traj) -> None:
    """Downloads, generated only when clicked (Streamlit runs the callable then, off the script thread)."""
    L = lang()
    name = f"optviz-{traj.surface.name}"
    cols = st.columns(4)
    cols[0].download_button(t("export.png", L), functools.partial(frame_png, traj, lang=L),
                            file_name=f"{name}.png", mime="image/png", key="dl_png", width="stretch")
    cols[1].download_button(t("export.gif", L), functools.partial(race_gif, traj, lang=L),
                            file_name=f"{name}.gif", mime="image/gif", key="dl_gif", width="stretch")
    cols[2].download_button(t("export.html", L), lambda: standalone_html(race_figure(traj, lang=L)),
                            file_name=f"{name}.html", mime="text/html", key="dl_html", width="stretch")
    cols[3].download_button(t("export.csv", L), functools.partial(trajectories_csv, traj),
                            file_name=f"{name}.csv", mime="text/csv", key="dl_csv", width="stretch")


# ---------------------------------------------------------------------------------------- main area

def plain_text(text: str, tone: str = "note") -> None:
    """Text shown exactly as written: labels, formulas and values from a link never become links or markup.

    Markdown (``st.caption``, ``st.badge``, ``st.error``) auto-links ``www.`` and ``http://`` text
    even when its punctuation is escaped, so such text goes out as escaped HTML instead.
    """
    st.html(f'<div class="optviz-plain" data-tone="{tone}" style="white-space:pre-wrap;border-radius:0.5rem;'
            f'{TONES[tone]}">'
            f"{html.escape(text)}</div>")


def plain_badge(text: str, color: str) -> None:
    """``st.badge``'s look, with the text as plain text (see :func:`plain_text`)."""
    st.html(f'<span class="optviz-badge" data-color="{color}" style="display:inline-block;padding:0.1rem 0.5rem;border-radius:0.5rem;'
            f'font-size:0.875rem;font-weight:600;{BADGE_STYLES[color]}">{html.escape(text)}</span>')


def status_badges(traj, badge_spots) -> None:
    L = lang()
    columns = st.columns(max(traj.runs, 1))
    for run, column in enumerate(columns):
        text = f"{traj.labels[run]}: {status_text(traj, run, L)}"
        color = BADGE_COLORS[str(traj.status[run])]
        with column:
            plain_badge(text, color)
        with badge_spots[run].container():
            plain_badge(status_text(traj, run, L), color)


def results_table(traj) -> None:
    L = lang()
    tol = st.select_slider(t("table.tolerance", L), controls.TOLERANCE_CHOICES, value=1e-6, key="tolerance",
                           format_func=controls.format_number)
    summary = traj.summary(tol)
    summary["status"] = [status_text(traj, run, L) for run in range(traj.runs)]
    steps_column = summary.columns[5]
    summary[steps_column] = [t("table.never", L) if pd.isna(v) else str(int(v)) for v in summary[steps_column]]
    summary = summary.drop(columns="optimizer").rename(columns={
        "label": t("table.label", L), "status": t("table.status", L), "final_loss": t("table.final_loss", L),
        "best_loss": t("table.best_loss", L), steps_column: t("table.steps_to", L, tol=controls.format_number(tol)),
        "final_x": t("table.final_x", L), "final_y": t("table.final_y", L)})
    st.dataframe(summary, hide_index=True, width="stretch")


def lesson_card() -> None:
    if not ss.get("lesson"):
        return
    L = lang()
    lesson = get_lesson(ss.lesson)
    with st.container(border=True):
        st.markdown(f"**{lesson.title[L]}** — {lesson.explanation[L]}")
        left, right = st.columns(2)
        left.markdown(f"**{t('lesson.question', L)}:** {lesson.question[L]}")
        right.markdown(f"**{t('lesson.look_for', L)}:** {lesson.look_for[L]}")


def inside_view(config: RaceConfig, traj) -> None:
    L = lang()
    spec = figure_spec(config, "inside", L)
    if spec:
        st.plotly_chart(ReadyFigure(spec), key="chart_inside", config=PLOT_CONFIG, width="stretch")
    else:
        st.info(t("plot.no_effective_lr", L))
    explain_panel(config, traj)


def explain_panel(config: RaceConfig, traj, data=None, batch: int | None = None, batch_seed: int = 0) -> None:
    """Pick a contestant and a step; show its update rule with that step's numbers in it."""
    L = lang()
    left, right = st.columns([1, 2])
    with left:
        run = choice(st.selectbox, t("explain.pick_run", L), range(traj.runs), key="explain_run",
                     format_func=lambda r: traj.labels[r])
    step = right.slider(t("explain.pick_step", L), 1, traj.steps, min(traj.steps, 1), key="explain_step")
    step = min(step, traj.steps)
    gradient = None
    if data is not None and batch is not None and batch < data.x.size:
        gradient = batch_gradient(data, traj.positions[step - 1, run], batch, batch_seed, step)
    explanation = explain_step(config.optimizers[run], traj, run, step, lang=L, gradient=gradient)
    st.markdown(f"**{t('explain.title', L, step=step)}**")
    plain_text(t("explain.rule", L, optimizer=traj.labels[run], convention=explanation.convention))
    st.latex(explanation.formula_latex)
    st.caption(t("explain.numbers", L, step=step))
    for line in explanation.substituted_latex:
        st.latex(line)
    for note in explanation.notes:
        st.caption(note)


def load_values(slot: str, values: dict) -> None:
    for name, value in values.items():
        ss[f"{slot}.{name}"] = controls.snap(name, value)
    ss.view = "race"


def load_tuned(rates: dict) -> None:
    for slot, lr in rates.items():
        if np.isfinite(lr):
            ss[f"{slot}.lr"] = controls.snap("lr", lr)
    ss.view = "race"


def sweep_view(config: RaceConfig) -> None:
    """Thousands of runs at once: a hyperparameter heatmap, a basin map and a fair-race table."""
    L = lang()
    where = surface_choice()
    surface = cached_surface(where)
    cols = st.columns([2, 1, 1, 1, 1])
    with_beta = [i for i, opt in enumerate(config.optimizers)
                 if {"beta", "beta1"} & set(controls.hyperparameter_names(opt.name))]
    labels = unique_labels(config.optimizers)
    with cols[0]:
        index = choice(st.selectbox, t("sweep.contestant", L), range(len(config.optimizers)), key="sweep_run",
                       default=with_beta[0] if with_beta else 0, format_func=labels.__getitem__)
    contestant, slot = config.optimizers[index], ss.slots[index]
    names = [n for n in controls.hyperparameter_names(slot) if n in controls.SWEEP_RANGES]
    with cols[1]:
        x_name = choice(st.selectbox, t("sweep.x", L), names, key="sweep_x", format_func=lambda n: t(f"opt.{n}", L))
    y_names = [n for n in names if n != x_name]
    if not y_names:
        st.info(t("sweep.one_parameter", L))
        return
    with cols[2]:
        y_name = choice(st.selectbox, t("sweep.y", L), y_names, key="sweep_y",
                        format_func=lambda n: t(f"opt.{n}", L))
    n = cols[3].slider(t("sweep.resolution", L), 10, 200, 100, step=10, key="sweep_n")
    steps = cols[4].slider(t("sweep.budget", L), 50, 2000, min(int(config.steps), 500), step=50, key="sweep_steps")
    x_text, y_text = controls.sweep_axis_text(x_name, n), controls.sweep_axis_text(y_name, n)
    with st.spinner(t("sweep.computing", L, cells=n * n, steps=steps)):
        result = cached_sweep(where, contestant, x_text, y_text, current_start(), steps)
    left, right = st.columns(2)
    left.plotly_chart(sweep_heatmap(result, L), key="chart_sweep_loss", config=PLOT_CONFIG, width="stretch")
    right.plotly_chart(steps_heatmap(result, L), key="chart_sweep_steps", config=PLOT_CONFIG, width="stretch")
    best = result.best()
    pick = st.columns([3, 3, 2, 2])
    px = pick[0].select_slider(t("sweep.pick_x", L), list(result.x_values), key="sweep_pick_x",
                               value=best[x_name] if best else result.x_values[0], format_func=controls.format_number)
    py = pick[1].select_slider(t("sweep.pick_y", L), list(result.y_values), key="sweep_pick_y",
                               value=best[y_name] if best else result.y_values[0], format_func=controls.format_number)
    pick[2].button(t("sweep.load", L), on_click=load_values, args=(slot, {x_name: px, y_name: py}), width="stretch")
    if best:
        pick[3].button(t("sweep.load_best", L), on_click=load_values,
                       args=(slot, {x_name: best[x_name], y_name: best[y_name]}), width="stretch")
    st.caption(t("sweep.loaded_note", L))

    st.subheader(t("sweep.basins", L))
    if not surface.minima:
        st.info(t("sweep.no_minima", L))
    else:
        grid = st.slider(t("sweep.basin_grid", L), 11, 101, 41, step=10, key="basin_n")
        with st.spinner(t("sweep.computing", L, cells=grid * grid, steps=steps)):
            basins = cached_basins(where, contestant, grid, steps)
        st.plotly_chart(basin_figure(basins, surface, L), key="chart_basins", config=PLOT_CONFIG, width="stretch")

    st.subheader(t("sweep.fair", L))
    names_in_race = tuple(dict.fromkeys(opt.name for opt in config.optimizers))
    with st.spinner(t("sweep.computing", L, cells=len(names_in_race) * 26, steps=steps)):
        table = cached_tuning(where, names_in_race, current_start(), steps)
    st.dataframe(table, hide_index=True, width="stretch")
    best_lr = dict(zip(table["optimizer"], table["lr"]))
    st.button(t("sweep.tuned_race", L), on_click=load_tuned,
              args=({slot: best_lr[controls.optimizer_of(slot)] for slot in ss.slots},), key="tuned_race")


def ewa_view() -> None:
    L = lang()
    left, middle, right = st.columns(3)
    days = left.slider(t("ewa.days", L), 10, 365, 30, key="ewa_days")
    seed = middle.number_input(t("ewa.seed", L), 0, 10_000, 0, key="ewa_seed")
    corrected = right.checkbox(t("ewa.show_correction", L), True, key="ewa_corrected")
    betas = st.multiselect(t("ewa.betas", L), [0.5, 0.8, 0.9, 0.95, 0.98], [0.9, 0.98], key="ewa_betas")
    st.caption(t("ewa.caption", L))
    st.plotly_chart(ReadyFigure(ewa_spec(int(days), int(seed), tuple(sorted(betas)), corrected, L)),
                    key="chart_ewa", config=PLOT_CONFIG, width="stretch")


def regression_view(config: RaceConfig) -> None:
    L = lang()
    st.caption(t("regression.caption", L))
    cols = st.columns(4)
    n = cols[0].slider(t("regression.points", L), 10, 500, 100, step=10, key="reg_n")
    seed = cols[1].number_input(t("regression.seed", L), 0, 10_000, 0, key="reg_seed")
    batch = cols[2].slider(t("regression.batch", L), 1, int(n), int(n), key="reg_batch")
    batch_seed = cols[3].number_input(t("regression.batch_seed", L), 0, 10_000, 0, key="reg_batch_seed")
    batch = min(int(batch), int(n))
    traj, data = cached_regression(config.optimizers, config.steps, int(n), int(seed), batch, int(batch_seed))
    step = st.slider(t("regression.step", L), 0, traj.steps, traj.steps, key="reg_step")
    st.plotly_chart(regression_figure(traj, data, min(step, traj.steps), L), key="chart_regression",
                    config=PLOT_CONFIG, width="stretch")
    explain_panel(config, traj, data, batch, int(batch_seed))


def main() -> None:
    st.set_page_config(page_title="OptViz", page_icon="📉", layout="wide")
    init_state()
    apply_link()
    apply_map_pick()
    config, badge_spots = sidebar()
    write_link(config)
    L = lang()
    st.title(t("app.title", L))
    notices = ss.pop("link_notices", [])
    if notices:
        plain_text("\n".join([t("app.link_ignored", L), *(f"• {text}" for text in notices)]), tone="warning")
    if not config.optimizers:
        st.info(t("app.no_optimizer", L))
        return
    try:
        validate(config)
    except ValueError as error:
        plain_text(t("app.error", L, message=error), tone="error")
        return
    traj = cached_race(config)
    export_buttons(config, traj)
    lesson_card()
    status_badges(traj, badge_spots)
    view = st.segmented_control("view", VIEWS, key="view", format_func=lambda v: t(f"view.{v}", L),
                                label_visibility="collapsed") or "race"
    if view == "table":
        results_table(traj)
    elif view == "race":
        arrows = st.toggle(t("app.arrows", L), key="arrows")
        st.plotly_chart(ReadyFigure(figure_spec(config, "race", L, arrows=arrows)), key="race_chart",
                        on_select="rerun", selection_mode="points", config=PLOT_CONFIG, width="stretch")
    elif view == "inside":
        inside_view(config, traj)
    elif view == "sweep":
        sweep_view(config)
    elif view == "ewa":
        ewa_view()
    elif view == "regression":
        regression_view(config)
    elif view == "3d":
        height = choice(st.radio, t("view.height", L), ["log", "value"], key="height", horizontal=True,
                        format_func=lambda h: t(f"view.height.{h}", L))
        st.plotly_chart(ReadyFigure(figure_spec(config, "3d", L, height)), key="chart_3d", config=PLOT_CONFIG,
                        width="stretch")
    else:
        st.plotly_chart(ReadyFigure(figure_spec(config, view, L)), key=f"chart_{view}", config=PLOT_CONFIG,
                        width="stretch")


main()
