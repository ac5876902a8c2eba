"""The theory beside the race: each run's sharpness against its stability limit on any surface; on a
quadratic (the bowl, the ravine) the predicted loss curves, the loss along each eigen-direction and
heavy ball's phase diagram, where a click loads that (η, β) into the heavy-ball contestant; and the
learning-rate range test, whose suggestion loads into SGD."""
from __future__ import annotations

import math
from functools import partial

import streamlit as st

from optviz import controls
from optviz.app import state
from optviz.app.caches import range_test_result, theory_spec
from optviz.app.widgets import PLOT_CONFIG, plain_text
from optviz.figures.race import ReadyFigure
from optviz.i18n import t
from optviz.race import RaceConfig

PHASE_CHART = "chart_theory_phase"


def heavy_ball_slot(config: RaceConfig) -> str | None:
    """The first contestant the phase diagram describes: heavy ball in PyTorch's form (the diagram's η)."""
    for slot, opt in zip(state.racing_slots(), config.optimizers):
        if opt.name == "momentum" and opt.convention == "pytorch":
            return slot
    return None


def load_phase_point(slot: str) -> None:
    """A click on the phase diagram: the clicked (η, β), on the nearest notches of the sliders, for ``slot``.

    Any drawn point counts (a cell's invisible marker, the optimum ★, a contestant's ●): each is an (η, β).
    The selection arrives as a plain dict in AppTest and as a dict subclass in the browser."""
    event = state.value(PHASE_CHART) or {}
    for point in event.get("selection", {}).get("points", []):
        lr, beta = point.get("x"), point.get("y")
        if isinstance(lr, (int, float)) and isinstance(beta, (int, float)) and math.isfinite(lr) and lr > 0 \
                and math.isfinite(beta):
            state.set_values(slot, {"lr": controls.snap("lr", lr), "beta": controls.snap("beta", beta)})
            return


def render(config: RaceConfig, traj, lang: str) -> None:
    for kind in ("stability", "prediction", "eigen", "phase"):
        spec = theory_spec(config, kind, lang)
        if kind == "phase" and spec:
            phase(config, spec, lang)
        elif spec:
            st.plotly_chart(ReadyFigure(spec), key=f"chart_theory_{kind}", config=PLOT_CONFIG, width="stretch")
        elif kind == "prediction":
            plain_text(t("theory.quadratic_only", lang))
    st.plotly_chart(ReadyFigure(theory_spec(config, "range", lang)), key="chart_theory_range", config=PLOT_CONFIG,
                    width="stretch")
    suggested = range_test_result(config).suggested_lr
    if "sgd" in state.racing_slots():
        st.button(t("theory.use_lr", lang, lr=f"{suggested:.3g}"), key="use_range_lr", on_click=state.set_values,
                  args=("sgd", {"lr": suggested}))


def phase(config: RaceConfig, spec: dict, lang: str) -> None:
    """The phase diagram; with a heavy-ball contestant racing, a click loads its point into it."""
    slot = heavy_ball_slot(config)
    if slot is None:
        st.plotly_chart(ReadyFigure(spec), key=PHASE_CHART, config=PLOT_CONFIG, width="stretch")
        plain_text(t("theory.phase.no_target", lang))
        return
    st.plotly_chart(ReadyFigure(spec), key=PHASE_CHART, config=PLOT_CONFIG, width="stretch",
                    on_select=partial(load_phase_point, slot), selection_mode="points")
    contestant = config.optimizers[state.racing_slots().index(slot)]
    plain_text(t("theory.phase.click_hint", lang, label=contestant.display_label,
                 lr=controls.format_number(contestant.value("lr")),
                 beta=controls.format_number(contestant.value("beta"))))
