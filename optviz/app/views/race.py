"""The race map: every contestant's path over the contour, animated; a click on the map picks the start."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import figure_spec
from optviz.app.widget_values import RACE_MAP
from optviz.app.widgets import PLOT_CONFIG
from optviz.i18n import t
from optviz.figures.race import ReadyFigure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    arrows = st.toggle(t("app.arrows", lang), key="arrows")
    st.plotly_chart(ReadyFigure(figure_spec(config, "race", lang, arrows=arrows)), key=RACE_MAP,
                    on_select="rerun", selection_mode="points", config=PLOT_CONFIG, width="stretch")
