"""Inside the optimizer: the effective learning rate of each contestant over the race, and one step explained."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import figure_spec
from optviz.app.explain_panel import explain_panel
from optviz.app.widgets import PLOT_CONFIG
from optviz.i18n import t
from optviz.figures.race import ReadyFigure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    spec = figure_spec(config, "inside", lang)
    if spec:
        st.plotly_chart(ReadyFigure(spec), key="chart_inside", config=PLOT_CONFIG, width="stretch")
    else:
        st.info(t("plot.no_effective_lr", lang))
    explain_panel(config, traj, lang)
