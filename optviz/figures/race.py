"""Plotly figures of a Trajectory: the race map, side-by-side panels, 3-D view, loss curves.

Animation is client-side: every figure carries Plotly frames that replace only the path and
current-point traces, so Play, Pause and scrubbing never call the server. Frames are plain
dicts (validating thousands of frame traces through ``go`` objects costs more than the
simulation), with float32 coordinates to keep the payload small.
"""
from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optviz.figures.contour_image import SCALE, contour_field, height_transform, png_data_uri
from optviz.i18n import status_text, t
from optviz.trajectory import DIVERGED, RUNNING, Trajectory
from surfaces import Surface

COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F3C8D", "#000000",
          "#B8860B", "#A0522D")
CONTOUR_SCALE = [list(stop) for stop in SCALE]
FRAME_POINT_BUDGET = 200_000  # coordinates carried by all frames of one figure together
PICK_TRACE = 1  # index of the race map's invisible grid of clickable start points
SPEEDS = (("×0.5", 100), ("×1", 50), ("×2", 25), ("×4", 12))  # button label, ms per frame
MAX_FRAMES = 60  # every frame is a scrubber notch, and plotly.js draws each notch: more costs redraw time


def frame_steps(steps: int, max_frames: int = 100) -> np.ndarray:
    """The steps shown by the animation frames: 0, ..., steps, at most ``max_frames + 1`` of them."""
    return np.unique(np.round(np.linspace(0, steps, min(steps, max_frames) + 1)).astype(int))


def _background(surface: Surface, lang: str, pixels: int = 420, xref: str = "x", yref: str = "y",
                colorbar: bool = True) -> tuple[dict, go.Scatter | None]:
    """The contour map as a layout image under the axes, and an invisible trace holding its colour bar.

    A picture rather than a contour trace: Plotly's animation frames drop every trace they do
    not name, so a contour trace vanishes while the race plays; layout images stay.
    """
    (x0, x1), (y0, y1) = surface.bounds
    aspect = (y1 - y0) / (x1 - x0)
    width = pixels if aspect <= 1 else max(int(pixels / aspect), 2)
    height = max(int(width * aspect), 2)
    field = contour_field(surface, width, height)
    image = dict(source=png_data_uri(field.rgb), xref=xref, yref=yref, x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                 sizing="stretch", layer="below", opacity=1.0)
    if not colorbar:
        return image, None
    ticks = np.linspace(field.lo, field.hi, 6)
    bar = go.Scatter(
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip", name="colour bar",
        marker=dict(color=[field.lo, field.hi], cmin=field.lo, cmax=field.hi, colorscale=CONTOUR_SCALE,
                    showscale=True, colorbar=dict(title=dict(text=t("plot.loss", lang), side="right"), tickvals=ticks,
                                                  ticktext=[f"{10**v - field.delta + field.floor:.3g}" for v in ticks],
                                                  thickness=12, len=0.8)))
    return image, bar


def _landmarks(surface: Surface, lang: str, xaxis: str = "x", yaxis: str = "y", legend: bool = True) -> list:
    traces = []
    if surface.minima:
        m = np.asarray(surface.minima)
        traces.append(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers", name=t("plot.minimum", lang),
                                 marker=dict(symbol="star", size=13, color="gold", line=dict(width=1, color="black")),
                                 hovertemplate="min (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=legend,
                                 xaxis=xaxis, yaxis=yaxis))
    if surface.saddles:
        s = np.asarray(surface.saddles)
        traces.append(go.Scatter(x=s[:, 0], y=s[:, 1], mode="markers", name=t("plot.saddle", lang),
                                 marker=dict(symbol="x-thin", size=12, line=dict(width=2.5, color="#444")),
                                 hovertemplate="saddle (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=legend,
                                 xaxis=xaxis, yaxis=yaxis))
    return traces


def _stride(traj: Trajectory, shown: np.ndarray, budget: int = FRAME_POINT_BUDGET) -> int:
    """Every how many steps a frame's path keeps a point, so all frames fit the budget."""
    total = 2 * traj.runs * float(np.sum(shown))
    return max(1, math.ceil(total / budget))


def typed(values) -> dict:
    """Plotly.js's typed-array form: float32 in base64, a third the size of JSON decimals."""
    data = np.ascontiguousarray(values, dtype=np.float32)
    return {"dtype": "f4", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}


def _path(traj: Trajectory, run: int, step: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of one run from step 0 to ``step`` (or to where it stopped), every ``stride``-th step."""
    end = min(step, int(traj.last_step[run]))
    idx = np.arange(0, end + 1, stride)
    if idx[-1] != end:
        idx = np.append(idx, end)
    pts = traj.positions[idx, run]
    return pts[:, 0], pts[:, 1]


def _head(traj: Trajectory, run: int, step: int, lang: str) -> dict:
    """The current point of one run at ``step``: a dot, or a red cross with words once it diverged."""
    at = min(step, int(traj.last_step[run]))
    x, y = traj.positions[at, run]
    died = traj.status[run] == DIVERGED and step >= traj.stop_step[run]
    return dict(x=[float(x)], y=[float(y)], mode="markers+text" if died else "markers",
                text=[status_text(traj, run, lang)] if died else [""], textposition="top center",
                marker=dict(symbol="x" if died else "circle", size=16 if died else 12,
                            color="#d62728" if died else COLORS[run % len(COLORS)],
                            line=dict(width=1.5, color="white")))


def _runs_at(traj: Trajectory, step: int, stride: int, lang: str) -> list[dict]:
    """One frame's data: every run's path so far and its current point (the last frame in full)."""
    data = []
    for run in range(traj.runs):
        x, y = _path(traj, run, step, 1 if step == traj.steps else stride)
        data += [dict(type="scatter", x=typed(x), y=typed(y)), dict(type="scatter", **_head(traj, run, step, lang))]
    return data


def _animation_controls(names: list[str], steps: list[int], lang: str, y: float = -0.06) -> dict:
    """Play/Pause/speed buttons and the frame scrubber, all run by plotly.js in the browser."""
    def play(duration: int, from_current: bool) -> list:
        return [None if from_current else names,
                dict(frame=dict(duration=duration, redraw=False), fromcurrent=from_current,
                     transition=dict(duration=0), mode="immediate")]

    buttons = [dict(label="▶ " + t("plot.play", lang), method="animate", args=play(SPEEDS[1][1], False)),
               dict(label="❚❚ " + t("plot.pause", lang), method="animate",
                    args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                       transition=dict(duration=0))])]
    buttons += [dict(label=label, method="animate", args=play(ms, True)) for label, ms in SPEEDS]
    slider = dict(
        active=len(names) - 1, x=0.0, len=1.0, y=y, yanchor="top", pad=dict(t=30, b=0),
        currentvalue=dict(prefix=t("plot.step", lang) + " ", font=dict(size=13)),
        steps=[dict(label=str(s), method="animate",
                    args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                    transition=dict(duration=0))])
               for n, s in zip(names, steps)],
    )
    menu = dict(type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=y + 0.01,
                yanchor="bottom", pad=dict(t=0, r=6), buttons=buttons)
    return dict(updatemenus=[menu], sliders=[slider])


def _legend_name(traj: Trajectory, run: int, lang: str) -> str:
    running = traj.status[run] == RUNNING  # a run that never stopped has no event to name in the legend
    return traj.labels[run] if running else f"{traj.labels[run]} · {status_text(traj, run, lang)}"


ARROW_KINDS = ("gradient", "memory", "step")  # −∇f, −(velocity or first moment), the step taken next
ARROW_DASH = {"gradient": "dot", "memory": "dash", "step": "solid"}
ARROW_LENGTH = 0.07  # of the plot's larger side: arrows show directions; hover gives the true size


def _arrow_vectors(traj: Trajectory, run: int, step: int) -> dict[str, np.ndarray]:
    """The three arrows of one run at ``step``, in parameter space (before scaling for display)."""
    at = min(step, int(traj.last_step[run]))
    vectors = {"gradient": -traj.grad[at, run]}
    for name in ("velocity", "first_moment"):
        memory = traj.internals.get(name)
        if memory is not None and np.isfinite(memory[at, run]).all():
            vectors["memory"] = -memory[at, run]  # recorded memories point uphill, like the gradient
            break
    nxt = min(at + 1, int(traj.last_step[run]))
    prev = max(nxt - 1, 0)
    vectors["step"] = traj.positions[nxt, run] - traj.positions[prev, run]
    return vectors


def _arrow(traj: Trajectory, run: int, step: int, kind: str, length: float) -> dict:
    at = min(step, int(traj.last_step[run]))
    origin = traj.positions[at, run]
    vector = _arrow_vectors(traj, run, step).get(kind)
    norm = float(np.hypot(*vector)) if vector is not None else 0.0
    if vector is None or not np.isfinite(norm) or norm == 0.0:
        return dict(x=[], y=[], customdata=[])
    tip = origin + vector / norm * length
    return dict(x=[float(origin[0]), float(tip[0])], y=[float(origin[1]), float(tip[1])], customdata=[norm, norm])


def _arrow_traces(traj: Trajectory, run: int, step: int, length: float, lang: str) -> list[dict]:
    color = COLORS[run % len(COLORS)]
    return [dict(type="scatter", mode="lines+markers", showlegend=False, legendgroup=str(run),
                 line=dict(color=color, width=2.5, dash=ARROW_DASH[kind]),
                 marker=dict(symbol=["circle", "arrow"], size=[1, 13], angleref="previous", color=color),
                 hovertemplate=f"{traj.labels[run]} · {t(f'plot.arrow.{kind}', lang)}: "
                               "|v| = %{customdata:.4g}<extra></extra>",
                 **_arrow(traj, run, step, kind, length))
            for kind in ARROW_KINDS]


def race_figure(traj: Trajectory, *, lang: str = "en", max_frames: int = MAX_FRAMES, pixels: int = 480,
                pick_grid: int = 21, arrows: bool = False) -> "ReadyFigure":
    """One contour map with every path, animated together; the last frame is shown first.

    The contour map is a layout image (see ``_background``). Trace order: the colour bar's holder,
    the invisible pick grid (trace ``PICK_TRACE``: click a point to start there), landmarks, then a path and a current-point trace per run, then (with ``arrows``)
    three arrows per run: −∇f, the optimizer's memory (−velocity or −first moment) and the step
    it takes next. Frames touch only the per-run traces.
    """
    surface = traj.surface
    image, bar = _background(surface, lang, pixels)
    data = [bar]
    (x0, x1), (y0, y1) = surface.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, pick_grid), np.linspace(y0, y1, pick_grid))
    with np.errstate(all="ignore"):
        gf = surface.value(np.stack([gx.ravel(), gy.ravel()], axis=-1))
    data.append(go.Scatter(x=gx.ravel().astype(np.float32), y=gy.ravel().astype(np.float32), mode="markers",
                           name="pick", showlegend=False, marker=dict(size=10, opacity=0),
                           customdata=np.clip(gf, -3e38, 3e38).astype(np.float32),  # float32 holds ±3.4e38
                           hovertemplate="(%{x:.3g}, %{y:.3g})  f = %{customdata:.4g}<br>" + t("plot.click_to_start", lang)
                           + "<extra></extra>"))
    data += _landmarks(surface, lang)
    shown = frame_steps(traj.steps, max_frames)
    stride = _stride(traj, shown)
    first = len(data)
    for run in range(traj.runs):
        color = COLORS[run % len(COLORS)]
        x, y = _path(traj, run, traj.steps, 1)
        data.append(go.Scatter(x=x.astype(np.float32), y=y.astype(np.float32), mode="lines+markers",
                               name=_legend_name(traj, run, lang),
                               legendgroup=str(run), line=dict(color=color, width=2.2),
                               marker=dict(size=3.5, color=color),
                               hovertemplate=traj.labels[run] + " (%{x:.4g}, %{y:.4g})<extra></extra>"))
        data.append(go.Scatter(**_head(traj, run, traj.steps, lang), legendgroup=str(run), showlegend=False,
                               hoverinfo="skip", textfont=dict(color="#d62728", size=12)))
    traces = list(range(first, first + 2 * traj.runs))
    length = ARROW_LENGTH * max(x1 - x0, y1 - y0)
    if arrows:
        for run in range(traj.runs):
            data += _arrow_traces(traj, run, traj.steps, length, lang)
        for kind in ARROW_KINDS:  # a legend of the three line styles
            data.append(go.Scatter(x=[None], y=[None], mode="lines", name=t(f"plot.arrow.{kind}", lang),
                                   line=dict(color="#555", width=2.5, dash=ARROW_DASH[kind])))
        traces += list(range(first + 2 * traj.runs, first + 5 * traj.runs))
    frames = []
    for s in shown:
        frame_data = _runs_at(traj, int(s), stride, lang)
        if arrows:
            frame_data += [a for run in range(traj.runs) for a in _arrow_traces(traj, run, int(s), length, lang)]
        frames.append(dict(name=str(s), data=frame_data, traces=traces))
    layout = dict(
        height=660, margin=dict(l=10, r=10, t=30, b=150), plot_bgcolor="white", hovermode="closest",
        images=[image],
        xaxis=dict(range=[x0, x1], title="x", constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(range=[y0, y1], title="y", scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False,
                   zeroline=False),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=12)),
        clickmode="event+select", dragmode="zoom",
        **_animation_controls([str(s) for s in shown], [int(s) for s in shown], lang, y=-0.13),
    )
    return animated_figure(data, layout, frames)


def _grid_shape(n: int) -> tuple[int, int]:
    cols = 2 if n in (2, 4) else min(n, 3)
    return math.ceil(n / cols), cols


def side_by_side_figure(traj: Trajectory, *, lang: str = "en", max_frames: int = MAX_FRAMES,
                        pixels: int = 240) -> "ReadyFigure":
    """One small map per run, same surface and scale, all driven by one Play button and scrubber."""
    surface = traj.surface
    rows, cols = _grid_shape(traj.runs)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.03, vertical_spacing=0.07,
                        subplot_titles=[_legend_name(traj, r, lang) for r in range(traj.runs)])
    image, _ = _background(surface, lang, pixels, colorbar=False)
    shown = frame_steps(traj.steps, max_frames)
    stride = _stride(traj, shown)
    traces = []
    (x0, x1), (y0, y1) = surface.bounds
    for run in range(traj.runs):
        row, col = divmod(run, cols)
        suffix = "" if run == 0 else str(run + 1)
        fig.add_layout_image(image | dict(xref=f"x{suffix}", yref=f"y{suffix}"))
        for mark in _landmarks(surface, lang, legend=False):
            fig.add_trace(mark, row=row + 1, col=col + 1)
        color = COLORS[run % len(COLORS)]
        x, y = _path(traj, run, traj.steps, 1)
        fig.add_trace(go.Scatter(x=x.astype(np.float32), y=y.astype(np.float32), mode="lines+markers",
                                 line=dict(color=color, width=2),
                                 marker=dict(size=3, color=color), showlegend=False,
                                 hovertemplate=traj.labels[run] + " (%{x:.4g}, %{y:.4g})<extra></extra>"),
                      row=row + 1, col=col + 1)
        fig.add_trace(go.Scatter(**_head(traj, run, traj.steps, lang), showlegend=False, hoverinfo="skip",
                                 textfont=dict(color="#d62728", size=11)), row=row + 1, col=col + 1)
        n = len(fig.data)
        traces += [n - 2, n - 1]
        fig.layout[f"xaxis{suffix}"].update(range=[x0, x1], constrain="domain", showticklabels=row == rows - 1,
                                            showgrid=False, zeroline=False)
        fig.layout[f"yaxis{suffix}"].update(range=[y0, y1], scaleanchor=f"x{suffix}", scaleratio=1,
                                            constrain="domain", showticklabels=col == 0, showgrid=False,
                                            zeroline=False)
    frames = [dict(name=str(s), data=_runs_at(traj, int(s), stride, lang), traces=traces) for s in shown]
    fig.update_layout(height=330 * rows + 150, margin=dict(l=10, r=10, t=40, b=150), plot_bgcolor="white",
                      showlegend=False,
                      **_animation_controls([str(s) for s in shown], [int(s) for s in shown], lang,
                                            y=-0.2 if rows == 1 else -0.1))
    spec = fig.to_dict()
    spec["frames"] = frames
    return ReadyFigure(spec)


LOG_FLOOR = 1e-16  # a gap of exactly zero is drawn here on the log axis (hover shows the true value)


def loss_figure(traj: Trajectory, *, lang: str = "en", max_frames: int = MAX_FRAMES) -> "ReadyFigure":
    """Loss (as the gap to the minimum, log scale) and distance to the nearest minimum per step.

    The current-step markers move with their own Play button and scrubber.
    """
    surface = traj.surface
    known = surface.min_value is not None
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[t("plot.gap" if known else "plot.loss_linear", lang),
                                        t("plot.distance", lang)])
    steps = np.arange(traj.steps + 1)
    gap = traj.loss - surface.min_value if known else traj.loss
    distance = traj.distance_to_nearest_minimum()
    shown = frame_steps(traj.steps, max_frames)
    markers = []
    for run in range(traj.runs):
        color = COLORS[run % len(COLORS)]
        end = int(traj.last_step[run]) + 1
        shown_gap = np.maximum(gap[:end, run], LOG_FLOOR) if known else gap[:end, run]
        fig.add_trace(go.Scatter(x=steps[:end], y=shown_gap, customdata=gap[:end, run], mode="lines",
                                 name=_legend_name(traj, run, lang), legendgroup=str(run), line=dict(color=color),
                                 hovertemplate=traj.labels[run] + " step %{x}: %{customdata:.4g}<extra></extra>"),
                      row=1, col=1)
        if surface.minima:
            fig.add_trace(go.Scatter(x=steps[:end], y=np.maximum(distance[:end, run], LOG_FLOOR),
                                     customdata=distance[:end, run], mode="lines", showlegend=False,
                                     legendgroup=str(run), line=dict(color=color, dash="dot"),
                                     hovertemplate=traj.labels[run] + " step %{x}: %{customdata:.4g}<extra></extra>"),
                          row=2, col=1)
        died = traj.status[run] == DIVERGED
        if died:
            fig.add_trace(go.Scatter(x=[end - 1], y=[shown_gap[-1]], mode="markers+text", showlegend=False,
                                     text=[status_text(traj, run, lang)], textposition="top left",
                                     marker=dict(symbol="x", size=12, color="#d62728"), hoverinfo="skip",
                                     textfont=dict(color="#d62728")), row=1, col=1)
    first_marker = len(fig.data)
    for run in range(traj.runs):
        for row, series in ((1, gap), (2, distance)):
            if row == 2 and not surface.minima:
                continue
            fig.add_trace(go.Scatter(x=[traj.steps], y=[0.0], mode="markers", showlegend=False, hoverinfo="skip",
                                     marker=dict(size=10, color=COLORS[run % len(COLORS)],
                                                 line=dict(width=1.5, color="white"))), row=row, col=1)
            markers.append((run, series, row))
    traces = list(range(first_marker, len(fig.data)))

    def marker_at(run: int, series: np.ndarray, s: int) -> dict:
        at = min(s, int(traj.last_step[run]))
        y = float(series[at, run])
        return dict(type="scatter", x=[at], y=[max(y, LOG_FLOOR) if known or series is distance else y])

    frames = [dict(name=str(s), data=[marker_at(run, series, int(s)) for run, series, _ in markers], traces=traces)
              for s in shown]
    for trace_index, (run, series, _) in zip(traces, markers):
        fig.data[trace_index].update(marker_at(run, series, traj.steps))
    fig.update_yaxes(type="log" if known else "linear", row=1, col=1, exponentformat="power")
    fig.update_yaxes(type="log", row=2, col=1, exponentformat="power")
    fig.update_xaxes(title_text=t("plot.step", lang), row=2, col=1)
    fig.update_layout(height=660, margin=dict(l=10, r=10, t=40, b=150), hovermode="x unified",
                      legend=dict(orientation="h", y=1.06, yanchor="bottom", x=0),
                      **_animation_controls([str(s) for s in shown], [int(s) for s in shown], lang, y=-0.16))
    spec = fig.to_dict()
    spec["frames"] = frames
    return ReadyFigure(spec)


def surface_3d_figure(traj: Trajectory, *, lang: str = "en", height: str = "log", grid: int = 70) -> go.Figure:
    """The surface as a 3-D sheet with every path lying on it (``height`` "log" or "value")."""
    surface = traj.surface
    X, Y, Z = surface.grid(grid)
    if height == "log":
        H, floor, delta = height_transform(surface, Z)

        def lift(values):
            with np.errstate(all="ignore"):
                return np.log10(np.maximum(values - floor, 0.0) + delta)
    else:
        H = Z

        def lift(values):
            return values
    finite = H[np.isfinite(H)]
    top = float(np.percentile(finite, 99)) if finite.size else 1.0
    bottom = float(finite.min()) if finite.size else 0.0
    data = [go.Surface(x=X, y=Y, z=np.clip(H, None, top).astype(np.float32), colorscale="Blues", reversescale=True,
                       opacity=0.85, showscale=False, hoverinfo="skip",
                       contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True))))]
    offset = 0.01 * (top - bottom)
    for run in range(traj.runs):
        end = int(traj.last_step[run]) + 1
        pts = traj.positions[:end, run]
        z = lift(traj.loss[:end, run]) + offset
        color = COLORS[run % len(COLORS)]
        data.append(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=z, mode="lines", line=dict(color=color, width=6),
                                 name=_legend_name(traj, run, lang),
                                 hovertemplate=traj.labels[run] + " (%{x:.3g}, %{y:.3g})<extra></extra>"))
        died = traj.status[run] == DIVERGED
        data.append(go.Scatter3d(x=pts[-1:, 0], y=pts[-1:, 1], z=z[-1:], mode="markers", showlegend=False,
                                 marker=dict(size=6 if died else 5, color="#d62728" if died else color,
                                             symbol="x" if died else "circle"), hoverinfo="skip"))
    (x0, x1), (y0, y1) = surface.bounds
    fig = go.Figure(data=data)
    fig.update_layout(height=640, margin=dict(l=0, r=0, t=20, b=0), legend=dict(orientation="h", y=1.0),
                      scene=dict(xaxis=dict(title="x", range=[x0, x1]), yaxis=dict(title="y", range=[y0, y1]),
                                 zaxis=dict(title=t("plot.height_log" if height == "log" else "plot.height_value", lang),
                                            range=[bottom, top + 2 * offset]),
                                 aspectmode="manual", aspectratio=dict(x=1.2, y=1.2 * (y1 - y0) / (x1 - x0), z=0.7)))
    return fig


def effective_lr_figure(traj: Trajectory, *, lang: str = "en") -> go.Figure | None:
    """Each adaptive run's per-coordinate effective learning rate against the step (log scale).

    The factor that multiplies the (bias-corrected) gradient or first moment in the step:
    AdaGrad's falls for ever, RMSprop's levels off. None when no run has one. Where a rate is
    undefined (NaN: ε = 0 on a coordinate with no gradient yet) its line has a gap.
    """
    values = traj.internals.get("effective_lr")
    # a run has one if it records any value: other optimizers' runs are NaN throughout
    runs = [r for r in range(traj.runs) if values is not None and np.isfinite(values[:, r]).any()]
    if not runs:
        return None
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[t("plot.coordinate_x", lang), t("plot.coordinate_y", lang)])
    for run in runs:
        end = int(traj.last_step[run]) + 1
        steps = np.arange(1, end)
        for col in (0, 1):
            fig.add_trace(go.Scatter(x=steps, y=values[1:end, run, col], mode="lines", legendgroup=str(run),
                                     name=_legend_name(traj, run, lang), showlegend=col == 0,
                                     line=dict(color=COLORS[run % len(COLORS)]),
                                     hovertemplate=traj.labels[run] + " step %{x}: %{y:.3g}<extra></extra>"),
                          row=1, col=col + 1)
    fig.update_yaxes(type="log", exponentformat="power", title_text=t("plot.effective_lr", lang), row=1, col=1)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_xaxes(title_text=t("plot.step", lang))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=1.12, yanchor="bottom", x=0))
    return fig


def animated_figure(data: list, layout: dict, frames: list[dict]) -> "ReadyFigure":
    """Validate the static traces and layout as usual; attach the plain-dict frames as they are."""
    spec = go.Figure(data=data, layout=layout).to_dict()
    spec["frames"] = frames
    return ReadyFigure(spec)


class ReadyFigure(go.Figure):
    """A figure already in Plotly's JSON form: ``to_dict()`` hands the spec over as it is.

    Streamlit, ``plotly.io.to_json`` and ``write_html`` all start from ``to_dict()``, so a
    cached spec is drawn without being copied or validated again. Treat the spec as read-only.
    """

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec
