"""The results table: one row per contestant, with the steps it took to come within a tolerance."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from optviz import controls
from optviz.i18n import status_text, t
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    tol = st.select_slider(t("table.tolerance", lang), controls.TOLERANCE_CHOICES, value=1e-6, key="tolerance",
                           format_func=controls.format_number)
    summary = traj.summary(tol)
    summary["status"] = [status_text(traj, run, lang) for run in range(traj.runs)]
    steps_column = summary.columns[5]
    summary[steps_column] = [t("table.never", lang) if pd.isna(v) else str(int(v)) for v in summary[steps_column]]
    summary = summary.drop(columns="optimizer").rename(columns={
        "label": t("table.label", lang), "status": t("table.status", lang), "final_loss": t("table.final_loss", lang),
        "best_loss": t("table.best_loss", lang),
        steps_column: t("table.steps_to", lang, tol=controls.format_number(tol)),
        "final_x": t("table.final_x", lang), "final_y": t("table.final_y", lang)})
    st.dataframe(summary, hide_index=True, width="stretch")
