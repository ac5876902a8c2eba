"""The theory beside the race: each run's sharpness against its stability limit on any surface; on a
quadratic (the bowl, the ravine) the predicted loss curves, the loss along each eigen-direction and
heavy ball's phase diagram; and the learning-rate range test, whose suggestion loads into SGD."""
from __future__ import annotations

import streamlit as st

from optviz.app import state
from optviz.app.caches import range_test_result, theory_spec
from optviz.app.widgets import PLOT_CONFIG, plain_text
from optviz.figures.race import ReadyFigure
from optviz.i18n import t
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    for kind in ("stability", "prediction", "eigen", "phase"):
        spec = theory_spec(config, kind, lang)
        if spec:
            st.plotly_chart(ReadyFigure(spec), key=f"chart_theory_{kind}", config=PLOT_CONFIG, width="stretch")
        elif kind == "prediction":
            plain_text(t("theory.quadratic_only", lang))
    st.plotly_chart(ReadyFigure(theory_spec(config, "range", lang)), key="chart_theory_range", config=PLOT_CONFIG,
                    width="stretch")
    suggested = range_test_result(config).suggested_lr
    if "sgd" in state.racing_slots():
        st.button(t("theory.use_lr", lang, lr=f"{suggested:.3g}"), key="use_range_lr", on_click=state.set_values,
                  args=("sgd", {"lr": suggested}))
