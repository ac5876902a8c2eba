"""The filled contour map of a surface as an RGB image: log-spaced bands with darker edges.

The race map draws it as a background picture rather than a contour trace, because Plotly's
animation frames drop every trace they do not mention (the contour would vanish while a race
plays); the PNG and GIF exports paste the same picture. Heights use ``height_transform``, so
evenly spaced bands are log-spaced in the loss.
"""
from __future__ import annotations

import base64
import io
from typing import NamedTuple

import numpy as np
from PIL import Image

from surfaces import Surface

LEVELS = 24  # filled bands between the lowest height and the 99th percentile
SCALE = ((0.0, "#f7fbff"), (0.35, "#deebf7"), (0.7, "#c6dbef"), (1.0, "#9ecae1"))  # light blues: paths stand out
LINE_RGBA = (60, 90, 140, 0.45)  # band edges


class ContourField(NamedTuple):
    rgb: np.ndarray  # (height, width, 3) uint8, row 0 at the top (y = ymax)
    lo: float  # transformed height of the first band
    hi: float  # transformed height of the last band
    floor: float  # height_transform's floor and δ, to label a colour bar in loss units
    delta: float


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def colormap(values: np.ndarray, scale=SCALE) -> np.ndarray:
    """Plotly-style colour scale: ``values`` in [0, 1] -> uint8 RGB ``(..., 3)``, linear between stops."""
    stops = np.array([s for s, _ in scale], dtype=float)
    colors = np.array([_rgb(c) for _, c in scale], dtype=float)  # (stops, 3)
    v = np.clip(np.nan_to_num(values, nan=1.0), 0.0, 1.0)
    return np.stack([np.interp(v, stops, colors[:, i]) for i in range(3)], axis=-1).round().astype(np.uint8)


def height_transform(surface: Surface, values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``log10(f − floor + δ)``: contour levels evenly spaced in it are log-spaced in the loss.

    Returns the transformed values with the ``floor`` and ``δ`` used, so paths and colour-bar
    labels can be mapped the same way.
    """
    finite = values[np.isfinite(values)]
    floor = float(finite.min()) if finite.size else 0.0
    if surface.min_value is not None:
        floor = min(floor, surface.min_value)
    spread = float(np.median(finite) - floor) if finite.size else 1.0
    delta = max(1e-3 * spread, 1e-9)
    with np.errstate(all="ignore"):
        return np.log10(np.maximum(values - floor, 0.0) + delta), floor, delta


def contour_field(surface: Surface, width: int, height: int,
                  bounds: tuple | None = None) -> ContourField:
    """Bands over ``bounds`` (default the surface's), sampled at pixel centres."""
    (x0, x1), (y0, y1) = bounds or surface.bounds
    xs = x0 + (np.arange(width) + 0.5) / width * (x1 - x0)
    ys = y1 - (np.arange(height) + 0.5) / height * (y1 - y0)
    X, Y = np.meshgrid(xs, ys)  # (height, width)
    with np.errstate(all="ignore"):
        Z = surface.value(np.stack([X, Y], axis=-1))
        H, floor, delta = height_transform(surface, Z)
    finite = H[np.isfinite(H)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(np.percentile(finite, 99)) if finite.size else 1.0
    if not hi > lo:
        hi = lo + 1.0
    with np.errstate(all="ignore"):
        band = np.floor((np.nan_to_num(H, nan=np.inf, posinf=np.inf) - lo) / (hi - lo) * LEVELS)
    band = np.clip(np.nan_to_num(band, posinf=LEVELS, neginf=0), 0, LEVELS).astype(int)
    rgb = colormap(band / LEVELS).astype(float)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    *line, alpha = LINE_RGBA
    rgb[edge] = (1 - alpha) * rgb[edge] + alpha * np.array(line, dtype=float)
    return ContourField(rgb.round().astype(np.uint8), lo, hi, floor, delta)


def png_data_uri(rgb: np.ndarray) -> str:
    """A ``data:image/png;base64,...`` address of an RGB array, for Plotly's layout images."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
