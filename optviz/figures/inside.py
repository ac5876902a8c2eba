"""Inside the optimizer: what each optimizer keeps, step by step, one chart per internal its spec plots.

A spec's ``plotted`` names the recorded internals worth showing a class (Lion's sign, Prodigy's d,
Rprop's per-coordinate step sizes, Adam's moments) with their words in both languages. A race gets
one chart per internal name any contestant plots, holding the runs whose optimizer plots it, each
drawn from step 0 (the state ``init`` made) to the step it stopped at: the plotted y is the
trajectory's own record, never recomputed.

An internal recorded per coordinate, (steps+1, runs, 2), gets an x panel and a y panel. One that is a
single number per run (recorded as (steps+1, runs), or with both columns equal at every step of every
run shown, as Prodigy's d, which x and y share) gets one panel and one line per run; where the columns
are equal, a note under the title says so (it can happen by chance: Lion's signs while both coordinates
fall). The y axis is logarithmic when
every value is positive and they span more than two decades (Prodigy's d, Rprop's Δ), else linear (a
sign, a moment that changes sign).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optviz.figures.palette import path_color
from optviz.figures.race import _legend_name  # the run's name and how it ended, as in the other race figures
from optviz.i18n import t
from optviz.optimizers import SPECS
from optviz.optimizers.base import Text
from optviz.trajectory import Trajectory

INTERNAL_VIEW = "inside:"  # figure_spec's view for one internal's chart: "inside:<internal name>"
LOG_SPAN = 100.0  # positive values spanning more than this factor get a log axis


def plotted_internals(optimizers: Iterable[str]) -> dict[str, tuple[Text, ...]]:
    """Internal name -> its labels (one per distinct wording), in the order the contestants name them."""
    internals: dict[str, tuple[Text, ...]] = {}
    for name in optimizers:
        spec = SPECS.get(name)
        for internal, label in (spec.plotted.items() if spec else ()):
            labels = internals.get(internal, ())
            internals[internal] = labels if label in labels else labels + (label,)
    return internals


def runs_plotting(traj: Trajectory, internal: str) -> list[int]:
    """The runs whose optimizer's spec plots ``internal`` and whose trajectory recorded it."""
    if internal not in traj.internals:
        return []
    return [run for run, name in enumerate(traj.optimizers) if name in SPECS and internal in SPECS[name].plotted]


def one_number_per_run(values: np.ndarray, runs: list[int]) -> bool:
    """The internal is one number per run: recorded (steps+1, runs), or its two columns equal throughout."""
    if values.ndim == 2:
        return True
    picked = values[:, runs]  # (steps+1, k, 2)
    return bool(np.array_equal(picked[..., 0], picked[..., 1], equal_nan=True))


def series(traj: Trajectory, internal: str, run: int, column: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one run's line: steps 0 .. the step it stopped at; ``column`` None for one number per run."""
    values = traj.internals[internal]
    end = int(traj.last_step[run]) + 1
    ys = values[:end, run] if values.ndim == 2 else values[:end, run, 0 if column is None else column]
    return np.arange(end), ys


def _log_axis(traj: Trajectory, internal: str, runs: list[int]) -> bool:
    picked = np.concatenate([series(traj, internal, run, column)[1]
                             for run in runs for column in (0, 1)])
    finite = picked[np.isfinite(picked)]
    return bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN)


def _whole_numbers(traj: Trajectory, internal: str, runs: list[int]) -> np.ndarray | None:
    """The distinct values of ``internal`` over ``runs`` when they are few whole numbers (a sign, a count), else None."""
    picked = np.concatenate([series(traj, internal, run, column)[1] for run in runs for column in (0, 1)])
    finite = np.unique(picked[np.isfinite(picked)])
    return finite if finite.size and finite.size <= 30 and np.all(finite == np.round(finite)) else None


def internal_figure(traj: Trajectory, internal: str, *, lang: str = "en") -> go.Figure | None:
    """One chart of ``internal`` against the step for every run whose optimizer plots it; None when none does."""
    runs = runs_plotting(traj, internal)
    if not runs:
        return None
    labels = plotted_internals(traj.optimizers[run] for run in runs)[internal]
    title = "; ".join(label(lang) for label in labels)
    single = one_number_per_run(traj.internals[internal], runs)
    if single and traj.internals[internal].ndim == 3:  # recorded per coordinate, and x = y throughout
        title += f"<br><span style='font-size:13px'>{t('inside.same_xy', lang)}</span>"  # <sup> is ~8 px: unreadable
    columns = (None,) if single else (0, 1)
    # A sign flipping between −1 and 1 every step drawn as a line fills the panel solid: dots show each step.
    counts = _whole_numbers(traj, internal, runs)
    if single:
        fig = go.Figure()
    else:
        fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                            subplot_titles=[t("plot.coordinate_x", lang), t("plot.coordinate_y", lang)])
    for run in runs:
        for column in columns:
            steps, values = series(traj, internal, run, column)
            trace = go.Scatter(x=steps, y=values, mode="markers" if counts is not None else "lines",
                               line=dict(color=path_color(run), shape="hv"), marker=dict(color=path_color(run), size=5),
                               name=_legend_name(traj, run, lang), legendgroup=str(run),
                               showlegend=column in (None, 0),
                               hovertemplate=f"{traj.labels[run]} · {t('plot.step', lang)} %{{x}}: %{{y:.4g}}<extra></extra>")
            if single:
                fig.add_trace(trace)
            else:
                fig.add_trace(trace, row=1, col=column + 1)
    axis = dict(type="log", exponentformat="power") if _log_axis(traj, internal, runs) else {}
    if counts is not None and not axis:
        axis = dict(tickmode="array", tickvals=counts.tolist()) if counts.size <= 8 else dict(tickformat="d")
    fig.update_yaxes(**axis)  # no y title: the chart's title names the internal
    fig.update_xaxes(title_text=t("plot.step", lang))
    # the title names the internal above the panels' own titles; the legend goes under the step axis
    # the title starts under Plotly's toolbar, which a touch screen shows at all times
    fig.update_layout(title=dict(text=title, x=0, xanchor="left", y=1, yref="container", yanchor="top",
                                 pad=dict(t=34), font=dict(size=16)), height=420,
                      margin=dict(l=10, r=10, t=110, b=40),
                      legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))
    return fig
