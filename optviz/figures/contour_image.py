"""The filled contour map of a surface as an RGB image: log-spaced bands with marked edges.

The race map draws it as a background picture rather than a contour trace, because Plotly's
animation frames drop every trace they do not mention (the contour would vanish while a race
plays); the PNG and GIF exports paste the same picture. Heights use ``height_transform``, so
evenly spaced bands are log-spaced in the loss. ``colour_bar(field)`` gives the colour bar's ticks
and labels: the one source the app's bar and every export read, so the bar says the same everywhere.

The colours are cividis (Nuñez, Anderton & Renslow 2018), reversed: designed to look the same to
people with red–green colour-vision deficiency, with lightness rising evenly. Low loss is light:
the minima sit in pale-yellow pools that draw the eye, the high walls fade into dark blue, and a
projector's washed-out blacks only hide the parts nobody looks at. Its ends differ 12.6:1 in WCAG
contrast (``optviz.figures.contrast``). Band edges are darkened on light bands and lightened on
dark ones so they show on both.
"""
from __future__ import annotations

import base64
import io
from typing import NamedTuple

import numpy as np
from PIL import Image

from optviz.figures.contrast import luminance
from surfaces import Surface

LEVELS = 24  # filled bands between the lowest height and the 99th percentile
REFERENCE = 256  # floor, δ and the bands' range come from this square grid, whatever the picture's size
_CIVIDIS = ("#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8678", "#a59c74", "#c3b369", "#e1cc55",
            "#fee838")  # dark to light, as plotly.colors.sequential.Cividis
SCALE = tuple((i / (len(_CIVIDIS) - 1), color) for i, color in enumerate(reversed(_CIVIDIS)))  # 0 = low loss = light
EDGE_ALPHA = 0.35  # band edges: this much of the way to black (on light bands) or to white (on dark bands)
EDGE_LIGHT_BELOW = 0.18  # bands darker than this WCAG luminance get light edges


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


def _sample(surface: Surface, bounds, width: int, height: int) -> np.ndarray:
    """Surface values at the centres of a ``width`` × ``height`` grid of pixels, row 0 at the top."""
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (np.arange(width) + 0.5) / width * (x1 - x0)
    ys = y1 - (np.arange(height) + 0.5) / height * (y1 - y0)
    X, Y = np.meshgrid(xs, ys)  # (height, width)
    with np.errstate(all="ignore"):
        return surface.value(np.stack([X, Y], axis=-1))


def contour_field(surface: Surface, width: int, height: int,
                  bounds: tuple | None = None) -> ContourField:
    """Bands over ``bounds`` (default the surface's), sampled at pixel centres.

    The transform's floor and δ and the bands' ``lo`` and ``hi`` come from a fixed
    ``REFERENCE`` × ``REFERENCE`` grid over the bounds, not from the picture's pixels, so a map of
    any size has the same bands and the same colour bar (the app's map, a slide, a GIF).
    """
    bounds = bounds or surface.bounds
    reference = _sample(surface, bounds, REFERENCE, REFERENCE)
    with np.errstate(all="ignore"):
        ref, floor, delta = height_transform(surface, reference)
        H = np.log10(np.maximum(_sample(surface, bounds, width, height) - floor, 0.0) + delta)  # (height, width)
    finite = ref[np.isfinite(ref)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(np.percentile(finite, 99)) if finite.size else 1.0
    if not hi > lo:
        hi = lo + 1.0
    with np.errstate(all="ignore"):
        band = np.floor((np.nan_to_num(H, nan=np.inf, posinf=np.inf) - lo) / (hi - lo) * LEVELS)
    band = np.clip(np.nan_to_num(band, posinf=LEVELS, neginf=0), 0, LEVELS).astype(int)  # (height, width)
    rgb = colormap(band / LEVELS).astype(float)  # (height, width, 3)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] = edge_color(rgb[edge])
    return ContourField(rgb.round().astype(np.uint8), lo, hi, floor, delta)


def edge_color(rgb: np.ndarray) -> np.ndarray:
    """The colour of a band edge drawn on band colours ``rgb`` ``(..., 3)`` (0–255 floats): darker on
    light bands, lighter on dark ones, so edges show on both."""
    rgb = np.asarray(rgb, dtype=float)
    target = np.where((luminance(rgb) < EDGE_LIGHT_BELOW)[..., None], 255.0, 0.0)  # (..., 1)
    return (1 - EDGE_ALPHA) * rgb + EDGE_ALPHA * target


def colour_bar(field: ContourField, count: int = 6) -> list[tuple[float, str]]:
    """The colour bar's ticks: ``(fraction, label)`` from the bottom (``lo``, fraction 0) to the top
    (``hi``, fraction 1), ``count`` of them evenly spaced in the transformed height.

    A tick at fraction ``s`` sits at height ``v = lo + s (hi − lo)``; its label is the loss there,
    ``10**v − δ + floor`` (the inverse of ``height_transform``), with 3 significant digits. A loss
    below 1e-9 of the top label's size is rounding noise (``−8.7e-19``) and reads ``0``.
    """
    if isinstance(count, bool) or int(count) != count or count < 2:
        raise ValueError(f"count must be a whole number ≥ 2 (got {count!r})")
    fractions = np.linspace(0.0, 1.0, int(count))
    losses = 10.0 ** (field.lo + fractions * (field.hi - field.lo)) - field.delta + field.floor
    top = abs(float(losses[-1]))
    return [(float(s), f"{0.0 if abs(loss) < 1e-9 * top else loss:.3g}") for s, loss in zip(fractions, losses)]


def band_colors() -> np.ndarray:
    """The ``LEVELS + 1`` band colours, uint8 ``(LEVELS + 1, 3)``, lowest loss first."""
    return colormap(np.arange(LEVELS + 1) / LEVELS)


def png_data_uri(rgb: np.ndarray) -> str:
    """A ``data:image/png;base64,...`` address of an RGB array, for Plotly's layout images."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
