"""Plotly figures of hyperparameter landscapes: loss and speed heatmaps of a sweep, basin maps.

- ``sweep_heatmap(result, lang)``: log10 of the final loss gap per (x, y) cell, diverged cells
  in their own colour, the stability edge drawn as a line between diverged and stable cells
- ``steps_heatmap(result, lang)``: steps to reach the tolerance, with "diverged" and "never
  within tolerance" cells in their own colours
- ``basin_figure(basin, surface, lang)``: the grid of starts coloured by the minimum each run
  ended at, minima marked

Cells are drawn as bricks between the midpoints of neighbouring grid values (geometric
midpoints on a log axis), so a log axis shows equal bricks and the edge line follows brick
borders exactly. Hover shows each cell's own numbers. No streamlit here.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optviz.i18n import CATALOG, t
from optviz.optimizers import DISPLAY_NAMES
from optviz.figures.race import height_transform
from optviz.sweep import DIVERGED_BASIN, NOT_SETTLED, STATUSES, Axis, BasinResult, SweepResult
from surfaces import Surface

LOSS_SCALE = "Viridis"
DIVERGED_COLOR = "#CC3311"  # red, outside Viridis
NEVER_COLOR = "#BBBBBB"  # grey: within budget, never within tolerance
NOT_SETTLED_COLOR = "#DDDDDD"
BASIN_COLORS = ("#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#7F3C8D", "#B8860B", "#332288",
                "#44AA99", "#882255")  # one per minimum, cycling; no red, which means diverged
EDGE_COLOR = "#000000"
TINY = 1e-16  # added to the loss gap before the log, so an exact minimum is finite


def _axis_title(axis: Axis, lang: str) -> str:
    key = f"opt.{axis.name}"
    return t(key, lang) if key in CATALOG else axis.name


def brick_edges(values: np.ndarray, log: bool) -> np.ndarray:
    """(n+1,) borders of the cells centred on ``values``: midpoints, geometric on a log axis."""
    v = np.log10(values) if log else np.asarray(values, dtype=float)
    inner = (v[1:] + v[:-1]) / 2
    edges = np.concatenate([[v[0] - (inner[0] - v[0])], inner, [v[-1] + (v[-1] - inner[-1])]])
    return 10**edges if log else edges


def edge_path(mask: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray) -> tuple[list, list]:
    """Line segments (None-separated) along every brick border between a True and a False cell.

    ``mask`` is (ny, nx); the result traces the outline of the True region on the brick grid.
    """
    xs: list = []
    ys: list = []
    across = np.argwhere(mask[:, 1:] != mask[:, :-1])  # (j, i): border between columns i and i+1
    for j, i in across:
        xs += [x_edges[i + 1], x_edges[i + 1], None]
        ys += [y_edges[j], y_edges[j + 1], None]
    up = np.argwhere(mask[1:, :] != mask[:-1, :])  # (j, i): border between rows j and j+1
    for j, i in up:
        xs += [x_edges[i], x_edges[i + 1], None]
        ys += [y_edges[j + 1], y_edges[j + 1], None]
    return xs, ys


def _hover_data(result: SweepResult, lang: str) -> tuple[np.ndarray, str]:
    """(ny, nx, 5) customdata and the hovertemplate showing both values, loss, steps and status."""
    X, Y = np.meshgrid(result.x_values, result.y_values)
    never = t("table.never", lang)
    steps = np.where(result.steps_to_tol >= 0, result.steps_to_tol.astype(str), never)
    words = np.array([t(f"sweep.status.{s}", lang) for s in STATUSES], dtype=object)[result.status]
    data = np.stack([X, Y, result.final_loss, steps, words], axis=-1).astype(object)
    template = (f"{_axis_title(result.x, lang)} = %{{customdata[0]:.4g}}<br>"
                f"{_axis_title(result.y, lang)} = %{{customdata[1]:.4g}}<br>"
                f"{t('sweep.final_loss', lang)} = %{{customdata[2]:.4g}}<br>"
                f"{t('sweep.steps', lang, tol=f'{result.tolerance:g}')} = %{{customdata[3]}}<br>"
                f"{t('sweep.status', lang)}: %{{customdata[4]}}<extra></extra>")
    return data, template


def _solid(color: str) -> list:
    return [[0.0, color], [1.0, color]]


def _legend_square(name: str, color: str) -> go.Scatter:
    """A legend entry for a heatmap layer (heatmaps have none of their own)."""
    return go.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True, hoverinfo="skip",
                      marker=dict(symbol="square", size=12, color=color, line=dict(width=1, color="#666")))


def _layout(fig: go.Figure, result: SweepResult, lang: str, title: str) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01), height=560, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white",
        hovermode="closest", legend=dict(orientation="h", y=-0.12, x=0.0),
        xaxis=dict(title=_axis_title(result.x, lang), type="log" if result.x.log else "linear",
                   range=_range(result.x), showgrid=False, zeroline=False),
        yaxis=dict(title=_axis_title(result.y, lang), type="log" if result.y.log else "linear",
                   range=_range(result.y), showgrid=False, zeroline=False),
    )
    return fig


def _range(axis: Axis) -> list[float]:
    edges = brick_edges(axis.values, axis.log)
    return [float(np.log10(edges[0])), float(np.log10(edges[-1]))] if axis.log else [float(edges[0]), float(edges[-1])]


def _title(key: str, result: SweepResult, lang: str, **values: object) -> str:
    named = f"surface.{result.surface}"  # the surface as the menu names it ("Rosenbrock 函数"), not its id
    surface = t(named, lang) if named in CATALOG else result.surface
    return t(key, lang, optimizer=DISPLAY_NAMES.get(result.optimizer, result.optimizer), surface=surface,
              steps=result.steps, **values)


def sweep_heatmap(result: SweepResult, lang: str = "en") -> go.Figure:
    """log10(final loss − f_min) per cell; diverged cells red, with the stability edge drawn around them.

    Surfaces with no known minimum use the lowest final loss of a non-diverged cell as f_min.
    """
    x_edges, y_edges = brick_edges(result.x_values, result.x.log), brick_edges(result.y_values, result.y.log)
    diverged = result.diverged
    floor = result.min_value
    if floor is None:
        alive = result.final_loss[~diverged]
        floor = float(alive.min()) if alive.size else 0.0
    with np.errstate(all="ignore"):
        gap = np.log10(np.maximum(result.final_loss - floor, 0.0) + TINY)
    z = np.where(diverged, np.nan, gap)
    custom, template = _hover_data(result, lang)
    scale_title = t("sweep.log_gap" if result.min_value is not None else "sweep.log_gap_lowest", lang)
    traces = [
        go.Heatmap(x=x_edges, y=y_edges, z=z, colorscale=LOSS_SCALE, customdata=custom, hovertemplate=template,
                   hoverongaps=False, name=t("sweep.final_loss", lang),
                   colorbar=dict(title=dict(text=scale_title, side="right"), thickness=12, len=0.85)),
        go.Heatmap(x=x_edges, y=y_edges, z=np.where(diverged, 1.0, np.nan), colorscale=_solid(DIVERGED_COLOR),
                   showscale=False, customdata=custom, hovertemplate=template, hoverongaps=False,
                   name=t("sweep.diverged", lang)),
    ]
    if diverged.any() and not diverged.all():
        ex, ey = edge_path(diverged, x_edges, y_edges)
        traces.append(go.Scatter(x=ex, y=ey, mode="lines", name=t("sweep.edge", lang), hoverinfo="skip",
                                 line=dict(color=EDGE_COLOR, width=2.5)))
    if diverged.any():
        traces.append(_legend_square(t("sweep.diverged", lang), DIVERGED_COLOR))
    best = result.best()
    if best is not None:
        j, i = best["index"]
        traces.append(go.Scatter(x=[result.x_values[i]], y=[result.y_values[j]], mode="markers",
                                 name=t("sweep.best", lang), hoverinfo="skip",
                                 marker=dict(symbol="star", size=14, color="white", line=dict(width=1.5, color="black"))))
    fig = go.Figure(traces)
    return _layout(fig, result, lang, _title("sweep.title_loss", result, lang))


def steps_heatmap(result: SweepResult, lang: str = "en") -> go.Figure:
    """Steps to reach loss − f_min ≤ tolerance per cell; diverged and never-reached cells in their own colours."""
    x_edges, y_edges = brick_edges(result.x_values, result.x.log), brick_edges(result.y_values, result.y.log)
    diverged = result.diverged
    reached = (result.steps_to_tol >= 0) & ~diverged
    never = ~reached & ~diverged
    custom, template = _hover_data(result, lang)
    tol = f"{result.tolerance:g}"
    traces = [
        go.Heatmap(x=x_edges, y=y_edges, z=np.where(reached, result.steps_to_tol, np.nan).astype(float),
                   colorscale=LOSS_SCALE, customdata=custom, hovertemplate=template, hoverongaps=False,
                   name=t("sweep.steps", lang, tol=tol),
                   colorbar=dict(title=dict(text=t("sweep.steps", lang, tol=tol), side="right"), thickness=12,
                                 len=0.85)),
    ]
    for mask, color, label in ((never, NEVER_COLOR, t("sweep.never", lang, steps=result.steps)),
                               (diverged, DIVERGED_COLOR, t("sweep.diverged", lang))):
        if mask.any():
            traces.append(go.Heatmap(x=x_edges, y=y_edges, z=np.where(mask, 1.0, np.nan), colorscale=_solid(color),
                                     showscale=False, customdata=custom, hovertemplate=template, hoverongaps=False,
                                     name=label))
            traces.append(_legend_square(label, color))
    if diverged.any() and not diverged.all():
        ex, ey = edge_path(diverged, x_edges, y_edges)
        traces.append(go.Scatter(x=ex, y=ey, mode="lines", name=t("sweep.edge", lang), hoverinfo="skip",
                                 line=dict(color=EDGE_COLOR, width=2.5)))
    fig = go.Figure(traces)
    return _layout(fig, result, lang, _title("sweep.title_steps", result, lang, tol=tol))


def basin_figure(basin: BasinResult, surface: Surface, lang: str = "en") -> go.Figure:
    """The grid of starts coloured by outcome: one colour per minimum, red diverged, grey not settled.

    Faint contour lines of the surface lie over it; the minima are gold stars, as on the race map.
    """
    k = len(basin.minima)
    colors = [BASIN_COLORS[m % len(BASIN_COLORS)] for m in range(k)] + [DIVERGED_COLOR, NOT_SETTLED_COLOR]
    labels = [t("basin.minimum", lang, x=f"{mx:.3g}", y=f"{my:.3g}") for mx, my in basin.minima]
    labels += [t("sweep.diverged", lang), t("basin.not_settled", lang, radius=f"{basin.settle_radius:.3g}")]
    category = np.where(basin.basin >= 0, basin.basin, np.where(basin.basin == DIVERGED_BASIN, k, k + 1))
    m = k + 2
    scale = []
    for c, color in enumerate(colors):  # a stepped scale: category c fills [c, c + 1) / m
        scale += [[c / m, color], [(c + 1) / m, color]]
    X, Y = np.meshgrid(basin.xs, basin.ys)
    custom = np.stack([X, Y, np.asarray(labels, dtype=object)[category], basin.final_position[..., 0],
                       basin.final_position[..., 1]], axis=-1).astype(object)
    template = (f"{t('plot.start', lang)} (%{{customdata[0]:.3g}}, %{{customdata[1]:.3g}})<br>"
                f"{t('basin.outcome', lang)}: %{{customdata[2]}}<br>"
                f"{t('basin.end', lang)} (%{{customdata[3]:.4g}}, %{{customdata[4]:.4g}})<extra></extra>")
    traces: list = [go.Heatmap(x=brick_edges(basin.xs, False), y=brick_edges(basin.ys, False), z=category + 0.5,
                               zmin=0, zmax=m, colorscale=scale, showscale=False, customdata=custom,
                               hovertemplate=template)]
    cx, cy, cz = surface.grid(120)
    height, _, _ = height_transform(surface, cz)
    lo, hi = float(np.nanmin(height)), float(np.nanpercentile(height, 99))
    traces.append(go.Contour(x=cx[0], y=cy[:, 0], z=height, showscale=False, showlegend=False, hoverinfo="skip",
                             contours=dict(coloring="none", start=lo, end=hi, size=(hi - lo) / 16),
                             line=dict(width=0.7, color="rgba(255,255,255,0.55)")))
    counts = basin.counts()
    keys = list(range(k)) + [DIVERGED_BASIN, NOT_SETTLED]
    for c, key in enumerate(keys):
        if counts[key]:
            traces.append(_legend_square(f"{labels[c]}: {t('basin.starts', lang, count=counts[key])}", colors[c]))
    if k:
        traces.append(go.Scatter(x=basin.minima[:, 0], y=basin.minima[:, 1], mode="markers",
                                 name=t("plot.minimum", lang), showlegend=False,
                                 marker=dict(symbol="star", size=16, color="gold", line=dict(width=1.5, color="black")),
                                 hovertemplate=t("plot.minimum", lang) + " (%{x:.4g}, %{y:.4g})<extra></extra>"))
    fig = go.Figure(traces)
    x_edges, y_edges = brick_edges(basin.xs, False), brick_edges(basin.ys, False)
    title = t("basin.title", lang, optimizer=DISPLAY_NAMES.get(basin.optimizer, basin.optimizer), steps=basin.steps)
    fig.update_layout(
        title=dict(text=title, x=0.01), height=600, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white",
        hovermode="closest", legend=dict(orientation="h", y=-0.1, x=0.0),
        xaxis=dict(title="x", range=[float(x_edges[0]), float(x_edges[-1])], showgrid=False, zeroline=False,
                   constrain="domain"),
        yaxis=dict(title="y", range=[float(y_edges[0]), float(y_edges[-1])], showgrid=False, zeroline=False,
                   scaleanchor="x", scaleratio=1, constrain="domain"),
    )
    return fig
