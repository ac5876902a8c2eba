"""Inside the optimizer: the effective learning rate of each contestant over the race, one chart per internal
the contestants' specs plot (Lion's sign, Prodigy's d, Rprop's step sizes, Adam's moments), and one step explained."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import figure_spec
from optviz.app.explain_panel import explain_panel
from optviz.app.widgets import PLOT_CONFIG
from optviz.figures.inside import INTERNAL_VIEW, plotted_internals
from optviz.figures.race import ReadyFigure
from optviz.i18n import t
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    spec = figure_spec(config, "inside", lang)
    if spec:
        st.plotly_chart(ReadyFigure(spec), key="chart_inside", config=PLOT_CONFIG, width="stretch")
    else:
        st.info(t("plot.no_effective_lr", lang))
    internals = plotted_internals(contestant.name for contestant in config.optimizers)
    if internals:
        st.subheader(t("inside.internals", lang))
    for internal in internals:
        spec = figure_spec(config, INTERNAL_VIEW + internal, lang)
        if spec:  # empty when every run that plots it has no record of it
            st.plotly_chart(ReadyFigure(spec), key=f"chart_inside_{internal}", config=PLOT_CONFIG, width="stretch")
    explain_panel(config, traj, lang)
