"""Side by side: one small map per contestant, all drawn at the same step."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import figure_spec
from optviz.app.widgets import PLOT_CONFIG
from optviz.figures.race import ReadyFigure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    st.plotly_chart(ReadyFigure(figure_spec(config, "side", lang)), key="chart_side", config=PLOT_CONFIG,
                    width="stretch")
