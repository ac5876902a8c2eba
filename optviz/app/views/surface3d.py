"""The surface in 3-D with the paths on it; its height is the loss or the loss's logarithm."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import figure_spec
from optviz.app.widgets import PLOT_CONFIG, choice
from optviz.i18n import t
from optviz.figures.race import ReadyFigure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    height = choice(st.radio, t("view.height", lang), ["log", "value"], key="height", horizontal=True,
                    format_func=lambda h: t(f"view.height.{h}", lang))
    st.plotly_chart(ReadyFigure(figure_spec(config, "3d", lang, height)), key="chart_3d", config=PLOT_CONFIG,
                    width="stretch")
