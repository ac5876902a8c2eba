"""The sidebar: language, lesson, surface, start, steps and the contestants with all their settings.

Every control is keyed by ``optviz.app.widget_values`` and calls back into ``optviz.app.state``.
The contestants menu lists its thirty-odd optimizers by group (``optviz.optimizers.base.GROUPS``), each
labelled with its group's short tag, and "What each optimizer does" under it gives every group's heading
and each optimizer's one-line description.
"""
from __future__ import annotations

import html

import numpy as np
import streamlit as st

from optviz import controls, schedules
from optviz.app import state
from optviz.app.widget_values import (BOUNDS, EXPRESSION, LANG, LESSON, SLOT_IDS, SLOTS, START, STEPS, SURFACE,
                                      contestant_key, slot_label, surface_param_key)
from optviz.app.formula import formula_markdown
from optviz.app.widgets import choice, plain_text
from optviz.i18n import LANGUAGES, t
from optviz.classroom.catalog import get_lesson
from optviz.limits import (APP_STEPS, BOUND_RANGE, MAX_EXPRESSION, MAX_OPTIMIZERS, SCHEDULE_EVERY, SCHEDULE_PERIOD,
                           SCHEDULE_WARMUP, SEEDS, START_RANGE, STEPS_NOTCH)
from optviz.optimizers import HAS_BIAS_CORRECTION, SPECS
from optviz.optimizers.base import GROUPS
from surfaces import CUSTOM, PARAMETERS, SURFACES


def render() -> list:
    """Draw the sidebar; return, per contestant, the spot for its status badge."""
    with st.sidebar:
        L = st.radio(t("app.language", state.lang()), list(LANGUAGES), key=LANG, horizontal=True,
                     format_func=LANGUAGES.__getitem__, on_change=state.on_language_change)
        choice(st.selectbox, t("app.lesson", L), ["", *state.LESSON_IDS], key=LESSON, on_change=state.on_lesson_change,
               format_func=lambda i: get_lesson(i).title[L] if i else t("app.lesson_none", L))
        surface_controls(L)
        start_controls(L)
        slots = st.multiselect(t("app.optimizers", L), by_group(state.value(SLOT_IDS)), key=SLOTS,
                               format_func=lambda slot: option_label(slot, L), max_selections=MAX_OPTIMIZERS,
                               help=t("app.optimizers_help", L), on_change=state.forget_labels)
        with st.popover(t("picker.guide", L), icon=":material/info:", width="stretch"):
            st.html(optimizer_guide(L))
        st.button(t("app.tune_all", L), on_click=state.tune_all, help=t("app.tune_help", L), width="stretch")
        badges = [contestant_controls(slot, L) for slot in slots]
    return badges


def group_of(slot: str) -> str:
    return SPECS[controls.optimizer_of(slot)].group


def by_group(slots: list[str]) -> list[str]:
    """The menu's slots in group order (``GROUPS``), keeping their own order within a group; the
    multiselect's value and key do not depend on the order of its options."""
    order = list(GROUPS)
    return sorted(slots, key=lambda slot: order.index(group_of(slot)))  # sorted is stable


def option_label(slot: str, L: str) -> str:
    """``Adam · adaptive``: the contestant's name, then its group's short tag (typing either filters)."""
    return t("picker.option", L, name=slot_label(slot), group=t(f"picker.tag.{group_of(slot)}", L))


def optimizer_guide(L: str) -> str:
    """Every group's heading and, under it, each of its optimizers with its one-line description (HTML,
    every text escaped)."""
    parts = []
    for group, heading in GROUPS.items():
        members = [spec for spec in SPECS.values() if spec.group == group]
        if not members:
            continue
        items = "".join(f'<li style="margin:0 0 .3rem 0"><b>{html.escape(spec.display_name)}</b>: '
                        f"{html.escape(spec.description(L))}</li>" for spec in members)
        parts.append(f'<div class="optviz-guide-group" data-group="{group}"><p style="margin:.6rem 0 .2rem 0;'
                     f'font-weight:700">{html.escape(heading(L))}</p>'
                     f'<ul style="margin:0;padding-left:1.1rem">{items}</ul></div>')
    return f'<div class="optviz-guide" style="line-height:1.35">{"".join(parts)}</div>'


def surface_controls(L: str) -> None:
    surface = choice(st.selectbox, t("app.surface", L), [*SURFACES, CUSTOM], key=SURFACE,
                     on_change=state.on_surface_change,
                     format_func=lambda name: t("app.custom_surface" if name == CUSTOM else f"surface.{name}", L))
    if surface == CUSTOM:
        custom_controls(L)
    drawn = state.current_surface()
    st.caption(drawn.description[L])
    with st.container(key="surface_formula"):  # header.PAGE_STYLE lets a term wider than the sidebar scroll here
        st.markdown(formula_markdown(drawn.formula), text_alignment="center")
    for p in PARAMETERS.get(surface, ()):
        label, help_text = t(f"sparam.{p.name}", L), t(f"sparam.{p.name}.help", L)
        key = surface_param_key(surface, p.name)
        if p.log:
            st.select_slider(label, controls.surface_ladder(p), key=key, help=help_text,
                             format_func=controls.format_number)
        else:
            st.slider(label, float(p.low), float(p.high), key=key, help=help_text)


def custom_controls(L: str) -> None:
    """f(x, y) as typed and its plot box; a typed expression that cannot be drawn says why, and where."""
    expression = st.text_input(t("app.expression", L), key=EXPRESSION, max_chars=MAX_EXPRESSION,
                               help=t("app.expression_help", L), on_change=state.on_surface_change)
    left, right = st.columns(2)
    for (low, high), axis in zip(BOUNDS, "xy"):
        left.number_input(f"{axis} min", -BOUND_RANGE, BOUND_RANGE, key=low, on_change=state.on_surface_change)
        right.number_input(f"{axis} max", -BOUND_RANGE, BOUND_RANGE, key=high, on_change=state.on_surface_change)
    state.surface_choice()
    problem = state.surface_problem()
    if problem is not None:
        plain_text(t("app.expression_error", L, message=problem), tone="error")
        position = getattr(problem, "position", None)
        if isinstance(position, int) and isinstance(expression, str):
            st.code(f"{expression}\n{' ' * position}^", language=None)


def start_controls(L: str) -> None:
    limit = START_RANGE * float(np.max(np.abs(state.current_surface().bounds)))
    st.markdown(f"**{t('app.start', L)}**")
    left, right = st.columns(2)
    left.number_input(t("app.start_x", L), -limit, limit, key=START[0], step=0.1, format="%.4f")
    right.number_input(t("app.start_y", L), -limit, limit, key=START[1], step=0.1, format="%.4f")
    left, right = st.columns(2)
    left.button(t("app.random_start", L), on_click=state.random_start, width="stretch")
    right.button(t("app.default_start", L), on_click=state.default_start, width="stretch")
    st.caption(t("app.start_hint", L))
    st.slider(t("app.steps", L), *APP_STEPS, key=STEPS, step=STEPS_NOTCH)


def contestant_controls(slot: str, L: str):
    """One contestant's group of controls; returns the spot for its status badge."""
    def key(setting: str) -> str:
        return contestant_key(slot, setting)

    with st.expander(slot_label(slot), expanded=False):
        badge = st.empty()
        for p in controls.hyperparameter_names(slot):
            st.select_slider(t(f"opt.{p}", L), controls.LADDERS[p], key=key(p), format_func=controls.format_number)
        choice(st.selectbox, t("opt.convention", L), SPECS[controls.optimizer_of(slot)].conventions, key=key("convention"),
               format_func=lambda c: t(f"opt.conv.{c}", L))
        if controls.optimizer_of(slot) in HAS_BIAS_CORRECTION:
            st.checkbox(t("opt.bias_correction", L), key=key("bias_correction"))
        kind = choice(st.selectbox, t("opt.schedule", L), schedules.KINDS, key=key("schedule"),
                      format_func=lambda k: t(f"opt.schedule.{k}", L))
        if kind == "step":
            st.number_input(t("opt.every", L), *SCHEDULE_EVERY, key=key("every"))
            st.select_slider(t("opt.factor", L), controls.FACTOR_CHOICES, key=key("factor"))
        elif kind == "exp":
            st.select_slider(t("opt.gamma", L), controls.GAMMA_CHOICES, key=key("gamma"))
        elif kind == "cosine":
            st.number_input(t("opt.period", L), *SCHEDULE_PERIOD, key=key("period"))
        if kind != "constant" or state.value(key("warmup")):  # a warm-up set before stays in view
            st.number_input(t("opt.warmup", L), *SCHEDULE_WARMUP, key=key("warmup"))
        noise = st.select_slider(t("opt.noise", L), controls.NOISE_CHOICES, key=key("noise"),
                                 format_func=controls.format_number)
        if noise > 0:
            st.number_input(t("opt.seed", L), *SEEDS, key=key("seed"))
        left, right = st.columns(2)
        left.button(t("opt.reset", L), key=key("reset_button"), on_click=state.reset, args=(slot,), width="stretch")
        right.button(t("opt.duplicate", L), key=key("duplicate_button"), on_click=state.duplicate, args=(slot,),
                     width="stretch")
    return badge
