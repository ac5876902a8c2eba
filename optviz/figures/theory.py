"""Plotly figures of the theory next to a race (``optviz.classroom`` curvature, rates, phase diagram, range test).

- ``stability_figure(series, lang)``: sharpness against step, each run's limit dashed in its colour, the
  step where it first crosses marked
- ``prediction_figure(traj, configs, lang)``: measured loss gap (log y) with the exact prediction, the
  bound ρ^{2t} and the optimal rates
- ``phase_figure(diagram, lang, contestants)``: heatmap of the heavy-ball rate over (η, β), the divergence
  region, critical-damping curves, the optimum and the contestants' own points; an invisible marker on
  every cell (trace ``PHASE_PICK``) makes a click report that cell's (η, β)
- ``eigen_loss_figure(traj, run, lang)``: the loss gap of one run split by eigen-direction (log y)
- ``range_test_figure(result, lang)``: loss against lr (log x, log y), steepest point and suggestion

Every text goes through ``optviz.i18n.t``; keys not yet merged into the catalog come from
``optviz.i18n_theory``. No streamlit here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from optviz.classroom import rates
from optviz.classroom.curvature import SharpnessSeries
from optviz.classroom.phase_diagram import PhaseDiagram
from optviz.classroom.range_test import RangeTest
from optviz.figures.sweep import DIVERGED_COLOR, LOSS_SCALE, brick_edges
from optviz.figures.palette import path_color
from optviz.i18n import t
from optviz.trajectory import Trajectory

TINY = 1e-300  # floor of a loss gap before the log axis
PHASE_PICK = "phase-pick"  # the phase diagram's clickable grid: Plotly reports clicks on scatter points, not heatmaps
# The phase diagram's frame, in pixels: a figure cannot know the screen, so one layout serves a 390 px phone and a
# projector. Measured in the app on a phone (a 358 px wide chart): the title ends 55 px down, the colour bar (bar,
# labels, its title) takes 55-64 px, the x axis' labels and title 76 px and the legend's five rows 145 px. At 640 px
# the plot is 272 px tall there, as tall as it is wide, and 357 and 387 px tall at 1280 × 720 and 1920 × 1080, where
# the whole figure still fits in one screen under Streamlit's header.
PHASE_HEIGHT = 640
PHASE_COLORBAR_TOP = 66  # px from the figure's top edge: just under the title
PHASE_MARGIN_TOP = 140  # px above the plot at least: the colour bar ends by 130 px (Plotly lowers the plot if not)


def _layout(fig: go.Figure, title: str, x: str, y: str, *, log_x: bool = False, log_y: bool = False) -> go.Figure:
    # the legend hangs below the x axis' title (anchored at its top): on a phone it takes several rows
    # the title starts 34 px down, under Plotly's toolbar, which a touch screen shows at all times
    fig.update_layout(title=dict(text=title, x=0.01, y=1, yref="container", yanchor="top", pad=dict(t=34)),
                      height=500, margin=dict(l=10, r=10, t=75, b=10),
                      plot_bgcolor="white", hovermode="closest",
                      legend=dict(orientation="h", y=-0.2, yanchor="top", x=0.0),
                      xaxis=dict(title=x, type="log" if log_x else "linear", showgrid=True, gridcolor="#eee",
                                 exponentformat="power"),
                      yaxis=dict(title=y, type="log" if log_y else "linear", showgrid=True, gridcolor="#eee",
                                 exponentformat="power"))  # 10⁻¹⁸ beside 10⁻⁶, never "1a" beside "1µ"
    return fig


def stability_figure(series: SharpnessSeries, lang: str = "en") -> go.Figure:
    """Each run's sharpness (solid) and limit (dashed, same colour); a ✕ where it first crosses."""
    steps = np.arange(series.sharpness.shape[0])
    traces = []
    for r, label in enumerate(series.labels):
        color = path_color(r)
        key = "theory.eos.preconditioned" if series.preconditioned[r] else "theory.eos.sharpness"
        traces.append(go.Scatter(x=steps, y=series.sharpness[:, r], mode="lines", name=f"{label}: {t(key, lang)}",
                                 line=dict(color=color, width=2)))
        if np.isfinite(series.limit[:, r]).any():
            traces.append(go.Scatter(x=steps, y=series.limit[:, r], mode="lines",
                                     name=t("theory.eos.limit", lang, label=label),
                                     line=dict(color=color, width=1.5, dash="dash")))
        c = int(series.crossing[r])
        if c >= 0:
            traces.append(go.Scatter(x=[c], y=[series.sharpness[c, r]], mode="markers",
                                     name=t("theory.eos.crossing", lang, label=label, step=c),
                                     marker=dict(symbol="x", size=12, color=color, line=dict(width=1))))
    # log: an adaptive method's limit (38/η for Adam) is orders above GD's sharpness
    return _layout(go.Figure(traces), t("theory.eos.title", lang), t("theory.step", lang), t("theory.eos.y", lang),
                   log_y=True)


def _gap(values, floor: float) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=float) - floor, TINY)


def prediction_figure(traj: Trajectory, configs: Sequence, lang: str = "en", *, optimal: bool = True) -> go.Figure:
    """Measured loss − f* of every GD or heavy-ball run with a constant lr, its exact prediction (open
    circles in its colour) and bound ρ^{2t} (dotted); with ``optimal`` also the optimal-GD and optimal-momentum rate curves.

    Needs a quadratic surface (``rates.quadratic_of`` raises ValueError otherwise); runs of other
    optimizers, or with a schedule, noise or weight decay, show their measured curve only.
    """
    quad = rates.quadratic_of(traj.surface)
    steps = np.arange(traj.steps + 1)
    start = traj.positions[0, 0]
    traces = []
    for r, (label, config) in enumerate(zip(traj.labels, configs)):
        color = path_color(r)
        traces.append(go.Scatter(x=steps, y=_gap(traj.loss[:, r], quad.c), mode="lines",
                                 name=t("theory.pred.measured", lang, label=label), line=dict(color=color, width=3)))
        if (config.schedule != "constant" or config.name not in ("sgd", "momentum") or config.noise
                or config.value("weight_decay")):
            continue  # the closed forms are for plain GD and heavy ball at a constant lr
        lr = config.value("lr")
        if config.name == "sgd":
            exact, rho = rates.gd_loss(quad, start, lr, traj.steps), float(rates.gd_rate(quad, lr))
        else:
            b = config.value("beta")
            exact = rates.heavy_ball_loss(quad, start, lr, b, traj.steps, config.convention)
            rho = float(rates.heavy_ball_rate(quad, lr, b, config.convention))
        every = max(1, traj.steps // 25)  # the theory as circles on the measured line: one per run colour
        traces.append(go.Scatter(x=steps[::every], y=_gap(exact, quad.c)[::every], mode="markers",
                                 name=t("theory.pred.exact", lang, label=label),
                                 marker=dict(symbol="circle-open", size=9, color=color, line=dict(width=2))))
        traces.append(go.Scatter(x=steps, y=_gap(rates.rate_curve(quad, start, rho, traj.steps), quad.c),
                                 mode="lines", name=t("theory.pred.bound", lang, label=label),
                                 line=dict(color=color, width=1, dash="dot")))
    if optimal:
        for key, rho, dash, color in (("theory.pred.optimal_gd", rates.optimal_gd(quad)[1], "longdash", "#444444"),
                                      ("theory.pred.optimal_hb", rates.optimal_heavy_ball(quad)[2], "dashdot",
                                       "#7b3294")):
            traces.append(go.Scatter(x=steps, y=_gap(rates.rate_curve(quad, start, rho, traj.steps), quad.c),
                                     mode="lines", name=t(key, lang), line=dict(color=color, width=2, dash=dash)))
    fig = _layout(go.Figure(traces), t("theory.pred.title", lang), t("theory.step", lang), t("theory.pred.y", lang),
                  log_y=True)
    measured = _gap(traj.loss, quad.c)
    low = max(float(measured.min()), TINY)  # the optimal-rate curves fall far below: show them down to 1e-6 of it
    fig.update_yaxes(range=[np.log10(low) - 6, np.log10(float(measured.max())) + 0.5])
    return fig


def phase_figure(diagram: PhaseDiagram, lang: str = "en",
                 contestants: Sequence[tuple[str, float, float]] = ()) -> go.Figure:
    """The rate heatmap (log-spaced lr axis assumed when the grid is geometric), diverging cells red,
    critical-damping curves, the optimum ★ and each ``(label, lr, beta)`` contestant as a ●. Framed for a
    phone and a projector alike: the colour bar across the top, the legend at the bottom, a fixed height."""
    lrs, betas = diagram.lrs, diagram.betas
    log_x = bool(len(lrs) > 2 and np.allclose(np.diff(np.log(lrs)), np.log(lrs[1] / lrs[0])))
    x_edges, y_edges = brick_edges(lrs, log_x), brick_edges(betas, False)
    rate = np.where(diagram.diverges, np.nan, diagram.rate)
    template = (f"{t('theory.phase.lr', lang)} = %{{x:.4g}}<br>{t('theory.phase.beta', lang)} = %{{y:.3g}}<br>"
                f"{t('theory.phase.rate', lang)} = %{{customdata:.4f}}<extra></extra>")
    L, B = np.meshgrid(lrs, betas)  # (ny, nx) cell centres, as the rate
    traces: list = [
        go.Heatmap(x=x_edges, y=y_edges, z=rate, zmin=float(np.nanmin(rate)) if np.isfinite(rate).any() else 0,
                   zmax=1.0, colorscale=LOSS_SCALE, hoverinfo="skip", hoverongaps=False,
                   name=t("theory.phase.rate", lang),
                   colorbar=_phase_colorbar(t("theory.phase.rate", lang))),
        go.Heatmap(x=x_edges, y=y_edges, z=np.where(diagram.diverges, 1.0, np.nan),
                   colorscale=[[0.0, DIVERGED_COLOR], [1.0, DIVERGED_COLOR]], showscale=False, hoverinfo="skip",
                   hoverongaps=False, name=t("theory.phase.diverges", lang)),
        go.Scatter(x=[None], y=[None], mode="markers", name=t("theory.phase.diverges", lang),
                   marker=dict(symbol="square", size=12, color=DIVERGED_COLOR)),
        # the hover and the clicks: one invisible marker per cell, the size of a cell on a ~600 px plot
        go.Scatter(x=L.ravel(), y=B.ravel(), customdata=diagram.rate.ravel(), mode="markers", uid=PHASE_PICK,
                   name=PHASE_PICK, showlegend=False, marker=dict(size=14, opacity=0, color="black"),
                   hovertemplate=template),
    ]
    for k, lam in enumerate(diagram.eigenvalues):
        # White with a black casing, legible on every band of the rate scale; the legend cannot draw a cased
        # line on its white ground, so its entry is a black line of the same dash, grouped with the curve.
        dash, group = "10px,6px" if k else "solid", f"critical-{k}"  # in pixels: the same for both widths
        for color, width in (("black", 5), ("white", 2)):
            traces.append(go.Scatter(x=lrs, y=diagram.critical[k], mode="lines", hoverinfo="skip", showlegend=False,
                                     legendgroup=group, line=dict(color=color, width=width, dash=dash)))
        traces.append(go.Scatter(x=[None], y=[None], mode="lines", legendgroup=group,
                                 name=t("theory.phase.critical", lang, lam=f"{lam:.3g}"),
                                 line=dict(color="black", width=2, dash=dash)))
    eta, beta, _ = diagram.optimum
    traces.append(go.Scatter(x=[eta], y=[beta], mode="markers",
                             name=t("theory.phase.optimum", lang, lr=f"{eta:.3g}", beta=f"{beta:.3g}"),
                             marker=dict(symbol="star", size=16, color="gold", line=dict(width=1.5, color="black"))))
    for i, (label, lr, b) in enumerate(contestants):
        traces.append(go.Scatter(x=[lr], y=[b], mode="markers", name=t("theory.phase.current", lang, label=label),
                                 marker=dict(size=12, color=path_color(i), line=dict(width=1.5, color="black"))))
    fig = _layout(go.Figure(traces), t("theory.phase.title", lang), t("theory.phase.lr", lang),
                  t("theory.phase.beta", lang), log_x=log_x)
    x_range = [float(np.log10(x_edges[0])), float(np.log10(x_edges[-1]))] if log_x else [float(x_edges[0]),
                                                                                        float(x_edges[-1])]
    # Anchored to the figure's bottom edge, the legend makes Plotly reserve its rows under the x axis' title
    # whatever the plot's height; _layout's y = -0.2 of the plot is too little when a phone makes the plot short.
    fig.update_layout(height=PHASE_HEIGHT, margin=dict(t=PHASE_MARGIN_TOP),
                      legend=dict(yref="container", y=0, yanchor="bottom"),
                      xaxis=dict(range=x_range, showgrid=False),
                      yaxis=dict(range=[float(y_edges[0]), float(y_edges[-1])], showgrid=False))
    return fig


def _phase_colorbar(title: str) -> dict:
    """The rate's colour bar, horizontal across the plot's width between the title and the plot: upright it
    took 72 px beside the plot, a fifth of a phone's width. Placed in pixels from the top (a fixed height
    makes the container's fraction a pixel count): anchored to the plot instead, Plotly moves the figure's
    title up into the toolbar. Its own title goes under the labels, like an axis title: placed above the
    bar, Plotly draws it over the bar when the bar is placed in the container."""
    return dict(orientation="h", x=0, xanchor="left", len=1, lenmode="fraction", thickness=10, xpad=0,
                yref="container", y=1 - PHASE_COLORBAR_TOP / PHASE_HEIGHT, yanchor="top", ypad=4,
                title=dict(text=title, side="bottom"))


def eigen_loss_figure(traj: Trajectory, run: int = 0, lang: str = "en") -> go.Figure:
    """½ λ_i x_i(t)² of one run for each eigen-direction, and their sum (log y)."""
    quad = rates.quadratic_of(traj.surface)
    parts = rates.eigen_losses(traj, quad)[:, run]  # (steps+1, 2)
    steps = np.arange(traj.steps + 1)
    traces = [go.Scatter(x=steps, y=np.maximum(parts[:, i], TINY), mode="lines", line=dict(color=path_color(i), width=2),
                         name=t("theory.eigen.direction", lang, lam=f"{lam:.3g}"))
              for i, lam in enumerate(quad.eigenvalues)]
    traces.append(go.Scatter(x=steps, y=np.maximum(parts.sum(axis=1), TINY), mode="lines",
                             name=t("theory.eigen.total", lang), line=dict(color="black", width=1, dash="dash")))
    fig = _layout(go.Figure(traces), t("theory.eigen.title", lang, label=traj.labels[run]), t("theory.step", lang),
                  t("theory.pred.y", lang), log_y=True)
    # The fast direction decays to the floor of the doubles (1e-300): show 20 decades below the start, enough
    # for the race's steps to tell the slow direction from the fast, not three hundred.
    top = float(np.log10(max(parts.sum(axis=1).max(), TINY)))
    return fig.update_yaxes(range=[max(top - 20, np.log10(max(parts.sum(axis=1).min(), TINY)) - 1), top + 0.5])


def range_test_figure(result: RangeTest, lang: str = "en") -> go.Figure:
    """Loss − f_min against lr (both log), the smoothed part read, the steepest point and the suggestion."""
    floor = result.floor
    traces = [go.Scatter(x=result.lrs, y=_gap(result.loss, floor), mode="lines", name=t("theory.range.loss", lang),
                         line=dict(color="#999", width=1))]
    read = slice(0, result.stop)
    smoothed = result.smoothed[read]
    shown = np.exp(smoothed) if result.log_loss else smoothed - floor
    traces.append(go.Scatter(x=result.lrs[read], y=np.maximum(shown, TINY), mode="lines",
                             name=t("theory.range.smoothed", lang), line=dict(color=path_color(0), width=2.5)))
    i = result.steepest
    traces.append(go.Scatter(x=[result.lrs[i]], y=[max(float(_gap(result.loss[i], floor)), TINY)], mode="markers",
                             name=t("theory.range.steepest", lang, lr=f"{result.steepest_lr:.3g}"),
                             marker=dict(symbol="triangle-down", size=12, color=path_color(1))))
    fig = _layout(go.Figure(traces), t("theory.range.title", lang), t("theory.range.x", lang),
                  t("theory.range.y", lang), log_x=True, log_y=True)
    fig.add_vline(x=result.suggested_lr, line=dict(color=path_color(2), width=2, dash="dash"))
    traces_legend = go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=path_color(2), width=2, dash="dash"),
                               name=t("theory.range.suggested", lang, lr=f"{result.suggested_lr:.3g}"))
    fig.add_trace(traces_legend)
    return fig
