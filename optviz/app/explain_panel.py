"""Explain one step: pick a contestant and a step, and see its update rule with that step's numbers in it.
Shown under the "inside" and "regression" views."""
from __future__ import annotations

import streamlit as st

from optviz.app.widgets import choice, plain_text
from optviz.classroom.explain import explain_step
from optviz.i18n import t
from optviz.race import RaceConfig
from optviz.classroom.regression import batch_gradient


def explain_panel(config: RaceConfig, traj, lang: str, data=None, batch: int | None = None,
                  batch_seed: int = 0) -> None:
    """``data``, ``batch`` and ``batch_seed``: the regression's points and mini-batches, whose gradient
    the step used instead of the surface's."""
    left, right = st.columns([1, 2])
    with left:
        run = choice(st.selectbox, t("explain.pick_run", lang), range(traj.runs), key="explain_run",
                     format_func=lambda r: traj.labels[r])
    step = right.slider(t("explain.pick_step", lang), 1, traj.steps, min(traj.steps, 1), key="explain_step")
    step = min(step, traj.steps)
    gradient = None
    if data is not None and batch is not None and batch < data.x.size:
        gradient = batch_gradient(data, traj.positions[step - 1, run], batch, batch_seed, step)
    explanation = explain_step(config.optimizers[run], traj, run, step, lang=lang, gradient=gradient)
    st.markdown(f"**{t('explain.title', lang, step=step)}**")
    plain_text(t("explain.rule", lang, optimizer=traj.labels[run], convention=explanation.convention))
    st.latex(explanation.formula_latex)
    st.caption(t("explain.numbers", lang, step=step))
    for line in explanation.substituted_latex:
        st.latex(line)
    for note in explanation.notes:
        st.caption(note)
