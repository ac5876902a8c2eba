"""The contestants fit a line to noisy points, with full or mini-batch gradients."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz.app.caches import cached_regression, cached_regression_tuning
from optviz.app.explain_panel import explain_panel
from optviz.app.widgets import PLOT_CONFIG
from optviz.i18n import t
from optviz.figures.classroom import regression_figure
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    """``traj`` (the race on the surface) is not shown here: the contestants run on the regression's loss."""
    st.caption(t("regression.caption", lang))
    cols = st.columns(4)
    n = cols[0].slider(t("regression.points", lang), 10, 500, 100, step=10, key="reg_n")
    seed = cols[1].number_input(t("regression.seed", lang), 0, 10_000, 0, key="reg_seed")
    batch = cols[2].slider(t("regression.batch", lang), 1, int(n), int(n), key="reg_batch")
    batch_seed = cols[3].number_input(t("regression.batch_seed", lang), 0, 10_000, 0, key="reg_batch_seed")
    batch = min(int(batch), int(n))
    # The sidebar's learning rates suit the race's surface, not this bowl: by default each is tuned on the MSE.
    if st.checkbox(t("regression.tune", lang), value=True, key="reg_tune"):
        config = replace(config, optimizers=cached_regression_tuning(config.optimizers, config.steps, int(n),
                                                                     int(seed)))
        rates = [f"{label} {float(opt.value('lr')):.3g}" for label, opt in zip(traj.labels, config.optimizers)]
        st.caption(t("regression.tuned", lang, rates=", ".join(rates)))
    fit, data = cached_regression(config.optimizers, config.steps, int(n), int(seed), batch, int(batch_seed))
    step = st.slider(t("regression.step", lang), 0, fit.steps, fit.steps, key="reg_step")
    st.plotly_chart(regression_figure(fit, data, min(step, fit.steps), lang), key="chart_regression",
                    config=PLOT_CONFIG, width="stretch")
    explain_panel(config, fit, lang, data, batch, int(batch_seed))
