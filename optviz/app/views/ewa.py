"""The exponentially weighted average on a year of made-up temperatures: what β and bias correction do."""
from __future__ import annotations

import streamlit as st

from optviz.app.caches import ewa_spec
from optviz.app.widgets import PLOT_CONFIG
from optviz.i18n import t
from optviz.figures.race import ReadyFigure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    left, middle, right = st.columns(3)
    days = left.slider(t("ewa.days", lang), 10, 365, 30, key="ewa_days")
    seed = middle.number_input(t("ewa.seed", lang), 0, 10_000, 0, key="ewa_seed")
    corrected = right.checkbox(t("ewa.show_correction", lang), True, key="ewa_corrected")
    betas = st.multiselect(t("ewa.betas", lang), [0.5, 0.8, 0.9, 0.95, 0.98], [0.9, 0.98], key="ewa_betas")
    st.caption(t("ewa.caption", lang))
    st.plotly_chart(ReadyFigure(ewa_spec(int(days), int(seed), tuple(sorted(betas)), corrected, lang)),
                    key="chart_ewa", config=PLOT_CONFIG, width="stretch")
