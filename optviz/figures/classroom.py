"""Classroom figures: exponentially weighted averages of temperatures, and fitting a line live.

Plotly figures only, no streamlit; every word comes from the catalog in :mod:`optviz.i18n`.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optviz.classroom.ewa import ewa, window
from optviz.i18n import t
from optviz.figures.palette import path_color
from optviz.figures.race import CONTOUR_SCALE, height_transform
from optviz.classroom.regression import TRUE_B, TRUE_W, RegressionData
from optviz.trajectory import DIVERGED, Trajectory


def _days_text(days: float) -> str:
    return f"{days:.0f}" if abs(days - round(days)) < 0.05 else f"{days:.3g}"


def ewa_figure(series, betas, bias_correction: bool = False, lang: str = "en") -> go.Figure:
    """Daily dots, one EWA curve per β (corrected and uncorrected when ``bias_correction``), and
    for each β a shaded band over the last ≈ 1/(1−β) days with the text "≈ N days".
    """
    theta = np.asarray(series, dtype=float)  # (T,)
    b = np.atleast_1d(np.asarray(betas, dtype=float))  # (k,)
    days = np.arange(1, theta.size + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=theta, mode="markers", name=t("ewa.daily", lang),
                             marker=dict(size=5, color="#888"), hovertemplate="%{x}: %{y:.1f} °C<extra></extra>"))
    plain = np.atleast_2d(ewa(theta, b))  # (k, T)
    corrected = np.atleast_2d(ewa(theta, b, bias_correction=True)) if bias_correction else None
    shapes, notes = [], []
    for k, beta in enumerate(b):
        color = path_color(k)
        label = f"{beta:g}"
        if corrected is not None:
            fig.add_trace(go.Scatter(x=days, y=plain[k], mode="lines", name=t("ewa.uncorrected", lang, beta=label),
                                     line=dict(color=color, width=1.5, dash="dot"), opacity=0.7,
                                     hovertemplate="%{x}: %{y:.2f} °C<extra></extra>"))
            fig.add_trace(go.Scatter(x=days, y=corrected[k], mode="lines", name=t("ewa.corrected", lang, beta=label),
                                     line=dict(color=color, width=2.5), hovertemplate="%{x}: %{y:.2f} °C<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(x=days, y=plain[k], mode="lines", name=t("ewa.average", lang, beta=label),
                                     line=dict(color=color, width=2.5), hovertemplate="%{x}: %{y:.2f} °C<extra></extra>"))
        span = float(window(beta))
        left = max(theta.size + 0.5 - span, 0.5)
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=left, x1=theta.size + 0.5, y0=0, y1=1,
                           fillcolor=color, opacity=0.10, line=dict(width=0), layer="below"))
        notes.append(dict(x=theta.size + 0.5, xref="x", xanchor="right", y=1.0 - 0.07 * k, yref="paper",
                          yanchor="top", showarrow=False, font=dict(color=color, size=13), bgcolor="rgba(255,255,255,0.7)",
                          text=t("ewa.window", lang, days=_days_text(span), beta=label)))
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white", shapes=shapes,
                      annotations=notes, hovermode="x unified",
                      xaxis=dict(title=t("ewa.day", lang), range=[0.5, theta.size + 0.5], gridcolor="#eee"),
                      yaxis=dict(title=t("ewa.temperature", lang), gridcolor="#eee", zeroline=False),
                      legend=dict(orientation="h", y=-0.15, yanchor="top", x=0))
    return fig


def regression_figure(traj: Trajectory, data: RegressionData, step: int, lang: str = "en",
                      grid: int = 120) -> go.Figure:
    """Left: the MSE contour over (w, b) with every path up to ``step``; right: the data, the true
    line (dashed) and each run's line y = w x + b at ``step`` (or where the run stopped).
    """
    if isinstance(step, bool) or int(step) != step or not 0 <= step <= traj.steps:
        raise ValueError(f"step must be a whole number in [0, {traj.steps}] (got {step!r})")
    step = int(step)
    surface = traj.surface
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=[t("regression.loss_map", lang),
                                        t("regression.data_title", lang, step=step)])
    X, Y, Z = surface.grid(grid)
    H, floor, delta = height_transform(surface, Z)
    lo, hi = float(np.nanmin(H)), float(np.nanpercentile(H, 99))
    ticks = np.linspace(lo, hi, 5)
    fig.add_trace(go.Contour(x=X[0].astype(np.float32), y=Y[:, 0].astype(np.float32), z=H.astype(np.float32),
                             zmin=lo, zmax=hi, colorscale=CONTOUR_SCALE, hoverinfo="skip",
                             contours=dict(start=lo, end=hi, size=(hi - lo) / 20, coloring="fill", showlines=True),
                             line=dict(width=0.6, color="rgba(60,90,140,0.45)"),
                             colorbar=dict(title=dict(text=t("regression.mse", lang), side="top"), x=0.43,
                                           tickvals=ticks, ticktext=[f"{10**v - delta + floor:.3g}" for v in ticks],
                                           thickness=10, len=0.8)), row=1, col=1)
    x = np.asarray(data.x, dtype=float)
    y = np.asarray(data.y, dtype=float)
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=t("regression.data", lang),
                             marker=dict(size=6, color="#888"), hovertemplate="(%{x:.3f}, %{y:.3f})<extra></extra>"),
                  row=1, col=2)
    xs = np.array([x.min(), x.max()])
    fig.add_trace(go.Scatter(x=xs, y=TRUE_W * xs + TRUE_B, mode="lines", name=t("regression.true_line", lang),
                             line=dict(color="#444", width=2, dash="dash")), row=1, col=2)
    for run in range(traj.runs):
        color = path_color(run)
        at = min(step, int(traj.last_step[run]))
        path = traj.positions[: at + 1, run]  # (at+1, 2)
        died = traj.status[run] == DIVERGED and step >= traj.stop_step[run]
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name=traj.labels[run],
                                 legendgroup=str(run), line=dict(color=color, width=2), marker=dict(size=3, color=color),
                                 hovertemplate=traj.labels[run] + ": w = %{x:.4g}, b = %{y:.4g}<extra></extra>"),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=path[-1:, 0], y=path[-1:, 1], mode="markers", showlegend=False,
                                 legendgroup=str(run), hoverinfo="skip",
                                 marker=dict(symbol="x" if died else "circle", size=12,
                                             color="#d62728" if died else color, line=dict(width=1.5, color="white"))),
                      row=1, col=1)
        w, b = path[-1]
        fig.add_trace(go.Scatter(x=xs, y=w * xs + b, mode="lines", legendgroup=str(run),
                                 name=t("regression.fit", lang, label=traj.labels[run], w=f"{w:.3g}", b=f"{b:.3g}"),
                                 line=dict(color=color, width=2.5)), row=1, col=2)
    # the least-squares point and the true parameters, drawn over the paths
    w_star, b_star = surface.minima[0]
    fig.add_trace(go.Scatter(x=[w_star], y=[b_star], mode="markers", name=t("regression.least_squares", lang),
                             marker=dict(symbol="star", size=14, color="gold", line=dict(width=1, color="black")),
                             hovertemplate="w = %{x:.4f}, b = %{y:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[TRUE_W], y=[TRUE_B], mode="markers", name=t("regression.true_params", lang),
                             marker=dict(symbol="x-thin", size=12, line=dict(width=2.5, color="#444"))), row=1, col=1)
    (w0, w1), (b0, b1) = surface.bounds
    fig.update_xaxes(title_text="w", range=[w0, w1], constrain="domain", row=1, col=1)
    fig.update_yaxes(title_text="b", range=[b0, b1], scaleanchor="x", scaleratio=1, constrain="domain", row=1, col=1)
    pad = 0.05 * (x.max() - x.min())
    fig.update_xaxes(title_text="x", range=[x.min() - pad, x.max() + pad], gridcolor="#eee", row=1, col=2)
    fig.update_yaxes(title_text="y", gridcolor="#eee", row=1, col=2)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white", hovermode="closest",
                      legend=dict(orientation="h", y=-0.12, yanchor="top", x=0))
    return fig
