"""Plotly figures of a Trajectory: the race map for the offline HTML export, the 3-D view, the
effective learning rates. (The app's race map, side-by-side panels and loss curves are drawn in the
browser by ``optviz/app/race_component``.)

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

from optviz.figures.contour_image import SCALE, colour_bar, contour_field, height_transform, png_data_uri
from optviz.figures.palette import path_color
from optviz.i18n import status_text, t
from optviz.trajectory import DIVERGED, RUNNING, Trajectory
from surfaces import Surface

CONTOUR_SCALE = [list(stop) for stop in SCALE]
FRAME_POINT_BUDGET = 200_000  # coordinates carried by all frames of one figure together
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
    ticks = colour_bar(field)
    bar = go.Scatter(
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip", name="colour bar",
        marker=dict(color=[field.lo, field.hi], cmin=field.lo, cmax=field.hi, colorscale=CONTOUR_SCALE,
                    showscale=True, colorbar=dict(title=dict(text=t("plot.loss", lang), side="right"), tickvals=[field.lo + s * (field.hi - field.lo) for s, _ in ticks],
                                                  ticktext=[label for _, label in ticks],
                                                  thickness=12, len=0.8)))
    return image, bar


def _landmarks(surface: Surface, lang: str, xaxis: str = "x", yaxis: str = "y", legend: bool = True) -> list:
    traces = []
    if surface.minima:
        m = np.asarray(surface.minima)
        traces.append(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers", name=t("plot.minimum", lang),
                                 marker=dict(symbol="star", size=13, color="gold", line=dict(width=1, color="black")),
                                 hovertemplate=t("plot.minimum", lang) + " (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=legend,
                                 xaxis=xaxis, yaxis=yaxis))
    if surface.saddles:
        s = np.asarray(surface.saddles)
        traces.append(go.Scatter(x=s[:, 0], y=s[:, 1], mode="markers", name=t("plot.saddle", lang),
                                 marker=dict(symbol="x-thin", size=12, line=dict(width=2.5, color="#444")),
                                 hovertemplate=t("plot.saddle", lang) + " (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=legend,
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
                            color="#d62728" if died else path_color(run),
                            line=dict(width=1.5, color="white")))


def _runs_at(traj: Trajectory, step: int, stride: int, lang: str) -> list[dict]:
    """One frame's data: every run's path so far and its current point (the last frame in full)."""
    data = []
    for run in range(traj.runs):
        x, y = _path(traj, run, step, 1 if step == traj.steps else stride)
        data += [dict(type="scatter", x=typed(x), y=typed(y)), dict(type="scatter", **_head(traj, run, step, lang))]
    return data


def _animation_controls(names: list[str], steps: list[int], lang: str, y: float = -0.06, redraw: bool = False,
                        speeds=SPEEDS) -> dict:
    """Play/Pause/speed buttons and the frame scrubber, all run by plotly.js in the browser
    (``redraw`` for 3-D scenes, which plotly.js animates only by redrawing)."""
    def play(duration: int, from_current: bool) -> list:
        return [None if from_current else names,
                dict(frame=dict(duration=duration, redraw=redraw), fromcurrent=from_current,
                     transition=dict(duration=0), mode="immediate")]

    buttons = [dict(label="▶ " + t("plot.play", lang), method="animate", args=play(speeds[1][1], False)),
               dict(label="❚❚ " + t("plot.pause", lang), method="animate",
                    args=[[None], dict(frame=dict(duration=0, redraw=redraw), mode="immediate",
                                       transition=dict(duration=0))])]
    buttons += [dict(label=label, method="animate", args=play(ms, True)) for label, ms in speeds]
    slider = dict(
        active=len(names) - 1, x=0.0, len=1.0, y=y, yanchor="top", pad=dict(t=30, b=0),
        currentvalue=dict(prefix=t("plot.step", lang) + " ", font=dict(size=16, color="#111")),
        ticklen=0, font=dict(color="rgba(0,0,0,0)"),  # a notch per step: the current value names it
        steps=[dict(label=str(s), method="animate",
                    args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
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
    color = path_color(run)
    return [dict(type="scatter", mode="lines+markers", showlegend=False, legendgroup=str(run),
                 line=dict(color=color, width=2.5, dash=ARROW_DASH[kind]),
                 marker=dict(symbol=["circle", "arrow"], size=[1, 13], angleref="previous", color=color),
                 hovertemplate=f"{traj.labels[run]} · {t(f'plot.arrow.{kind}', lang)}: "
                               "|v| = %{customdata:.4g}<extra></extra>",
                 **_arrow(traj, run, step, kind, length))
            for kind in ARROW_KINDS]


def race_figure(traj: Trajectory, *, lang: str = "en", max_frames: int = MAX_FRAMES, pixels: int = 480,
                arrows: bool = False) -> "ReadyFigure":
    """One contour map with every path, animated together; the last frame is shown first. The offline
    HTML export (the app draws the race in the browser with ``optviz/app/race_component``).

    The contour map is a layout image (see ``_background``). Trace order: the colour bar's holder,
    landmarks, then a path and a current-point trace per run, then (with ``arrows``)
    three arrows per run: −∇f, the optimizer's memory (−velocity or −first moment) and the step
    it takes next. Frames touch only the per-run traces.
    """
    surface = traj.surface
    image, bar = _background(surface, lang, pixels)
    data = [bar]
    (x0, x1), (y0, y1) = surface.bounds
    data += _landmarks(surface, lang)
    shown = frame_steps(traj.steps, max_frames)
    stride = _stride(traj, shown)
    first = len(data)
    for run in range(traj.runs):
        color = path_color(run)
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
        dragmode="zoom",
        **_animation_controls([str(s) for s in shown], [int(s) for s in shown], lang, y=-0.13),
    )
    return animated_figure(data, layout, frames)


MAX_3D_FRAMES = 1000  # plotly.js redraws a 3-D scene per frame: past this, frames spread evenly over the steps


def surface_3d_figure(traj: Trajectory, *, lang: str = "en", height: str = "log", grid: int = 70) -> "ReadyFigure":
    """The surface as a 3-D sheet with every path lying on it (``height`` "log" or "value"), drawn a little
    above it so the sheet never hides a path; Play moves each run's head along its path, a frame per
    step (up to ``MAX_3D_FRAMES``), and the scrubber names the exact step."""
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
    data = [go.Surface(x=X, y=Y, z=np.clip(H, None, top).astype(np.float32), colorscale=CONTOUR_SCALE,
                       opacity=0.85, showscale=False, hoverinfo="skip",
                       contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True))))]
    offset = 0.01 * (top - bottom)
    heads = []
    for run in range(traj.runs):
        end = int(traj.last_step[run]) + 1
        pts = traj.positions[:end, run]
        z = lift(traj.loss[:end, run]) + offset
        color = path_color(run)
        data.append(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=z, mode="lines", line=dict(color=color, width=6),
                                 name=_legend_name(traj, run, lang),
                                 hovertemplate=traj.labels[run] + " (%{x:.3g}, %{y:.3g})<extra></extra>"))
        heads.append((pts, z, color, traj.status[run] == DIVERGED, end - 1))
    first = len(data)

    def head(pts, z, color, died, last, step: int) -> dict:
        at = min(step, last)
        dead = died and step >= last
        return dict(type="scatter3d", x=pts[at:at + 1, 0], y=pts[at:at + 1, 1], z=z[at:at + 1], mode="markers",
                    showlegend=False, hoverinfo="skip",
                    marker=dict(size=7 if dead else 6, color="#d62728" if dead else color,
                                symbol="x" if dead else "circle", line=dict(color="#000000", width=2)))

    data += [head(*h, traj.steps) for h in heads]
    shown = frame_steps(traj.steps, MAX_3D_FRAMES)
    frames = [dict(name=str(s), data=[head(*h, int(s)) for h in heads], traces=list(range(first, len(data))))
              for s in shown]
    (x0, x1), (y0, y1) = surface.bounds
    ms = max(10, round(10_000 / len(shown)))  # the whole race in about ten seconds at ×1
    speeds = (("×¼", ms * 4), ("×1", ms), ("×4", max(ms // 4, 1)))
    layout = dict(height=640, margin=dict(l=0, r=0, t=20, b=110), legend=dict(orientation="h", y=1.0),
                  scene=dict(xaxis=dict(title="x", range=[x0, x1]), yaxis=dict(title="y", range=[y0, y1]),
                             zaxis=dict(title=t("plot.height_log" if height == "log" else "plot.height_value", lang),
                                        range=[bottom, top + 2 * offset]),
                             aspectmode="manual", aspectratio=dict(x=1.2, y=1.2 * (y1 - y0) / (x1 - x0), z=0.7)),
                  **_animation_controls([str(s) for s in shown], [int(s) for s in shown], lang, y=-0.02, redraw=True,
                                        speeds=speeds))
    return animated_figure(data, layout, frames)


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
                                     line=dict(color=path_color(run)),
                                     hovertemplate=f"{traj.labels[run]} · {t('plot.step', lang)} %{{x}}: %{{y:.3g}}<extra></extra>"),
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
