"""The race map: every contestant's path over the contour, played in the browser; a click on the map starts there."""
from __future__ import annotations

import streamlit as st

from optviz.app import race_component, state
from optviz.i18n import t
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    arrows = state.flag("arrows")
    race_component.render("race", config, lang, arrows=arrows, **state.opening())
    st.toggle(t("app.arrows", lang), key="arrows")
