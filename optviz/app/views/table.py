"""The results table: one row per contestant, with the steps it took to come within a tolerance.

As students read it: the contestants' names, the status in words, numbers to three significant
digits, "never" for a tolerance not reached and every header in the page's language.
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from optviz import controls
from optviz.i18n import status_text, t
from optviz.race import RaceConfig


def _sig3(value: float) -> str:
    """Three significant digits: 0.0316, 1.23e-07, −0.5; "—" where there is no number (a start that diverged)."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.3g}"


def results_table(traj, tol: float, lang: str) -> pd.DataFrame:
    """``Trajectory.summary`` at ``tol`` in words and short numbers, headers in ``lang``."""
    summary = traj.summary(tol)
    steps = summary[summary.columns[5]]  # "steps_to_<tol>": a whole number or missing
    return pd.DataFrame({
        t("table.label", lang): summary["label"],
        t("table.status", lang): [status_text(traj, run, lang) for run in range(traj.runs)],
        t("table.final_loss", lang): [_sig3(v) for v in summary["final_loss"]],
        t("table.best_loss", lang): [_sig3(v) for v in summary["best_loss"]],
        t("table.steps_to", lang, tol=controls.format_number(tol)):
            [t("table.never_reached", lang) if pd.isna(v) else str(int(v)) for v in steps],
        t("table.final_x", lang): [_sig3(v) for v in summary["final_x"]],
        t("table.final_y", lang): [_sig3(v) for v in summary["final_y"]],
    })


def render(config: RaceConfig, traj, lang: str) -> None:
    tol = st.select_slider(t("table.tolerance", lang), controls.TOLERANCE_CHOICES, value=1e-6, key="tolerance",
                           format_func=controls.format_number)
    st.dataframe(results_table(traj, tol, lang), hide_index=True, width="stretch")
