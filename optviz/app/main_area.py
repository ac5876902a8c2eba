"""The page's main area: the view picker, the lesson, the chosen view and the downloads."""
from __future__ import annotations

import streamlit as st

from optviz.app import header, state
from optviz.app.caches import cached_race, race_within_budget
from optviz.app.views import RENDERERS
from optviz.app.widget_values import VIEW
from optviz.app.widgets import export_buttons, plain_text
from optviz.i18n import t
from optviz.race import RaceConfig, validate
from optviz.trajectory import Trajectory
from optviz.views import PLAYED, VIEWS


def render(config: RaceConfig, lang: str) -> Trajectory | None:
    """Draw the main area for ``config``; return its trajectory, or None when it cannot run (and say why)."""
    if not config.optimizers:
        st.info(t("app.no_optimizer", lang))
        return None
    try:
        validate(config)
    except ValueError as error:
        plain_text(t("app.error", lang, message=error), tone="error")
        return None
    if not race_within_budget(config):  # said on the page, with the most steps that fit
        return None
    traj = cached_race(config)
    st.segmented_control("view", VIEWS, key=VIEW, format_func=lambda v: t(f"view.{v}", lang),
                         on_change=state.keep_a_view, label_visibility="collapsed")
    view = state.view()
    played = view in PLAYED  # drawn by the race component, whose legend gives each run's status beside the map
    header.lesson_card(state.lesson(), lang, under_the_map_on_a_phone=played)
    if not played:
        header.status_row(traj, lang)
    RENDERERS[view](config, traj, lang)
    if played:
        header.presenter_toggle(lang)
    export_buttons(traj, lang, header.lesson_title(state.lesson(), lang))
    return traj
