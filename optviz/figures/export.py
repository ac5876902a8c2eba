"""Files to take away from a race: trajectories as CSV, the figure as offline HTML, the map as a
slide (PNG), a looping GIF or an MP4 video.

- ``trajectories_csv(traj)``: the long-form table (``Trajectory.to_frame``), UTF-8 CSV bytes.
- ``standalone_html(fig)``: a Plotly figure as one HTML file with plotly.js inside; plays offline.
- ``frame_png(traj, step)``: the race map at one step, a 1920 × 1080 slide (``scale=2``: 3840 × 2160).
- ``race_gif(traj)`` / ``race_mp4(traj)``: the race as a looping GIF or an MP4 (1280 × 720), every
  step when the race is short enough, else ``frames`` steps evenly spread; each frame says its step.
- ``render(config, path)``: run a race and write whichever of those the file name asks for.

The pictures are drawn with Pillow, not through a browser (kaleido needs Chromium and about 4 s per
image; Pillow draws a frame in milliseconds). A slide carries the title (the lesson's, then the
surface's display name), axis titles, a legend naming every contestant in its colour and the colour
bar whose ticks come from ``contour_image.colour_bar`` (the same labels as the app's bar). Colours
come from ``optviz.figures.palette``: every path is cased (dark outer stroke, light inner stroke,
Okabe–Ito core) so it stands out at least 3:1 on every band; minima (★) and saddles (✕) are drawn
last, above paths and current points, so a run that ends on a minimum does not hide it.

The points an optimizer keeps beside its position (``OptimizerSpec.map_points``: Lookahead's slow
weights, SAM's ascent point, Schedule-Free's x and z) are drawn as the live race draws them at that
step: a hollow marker in the run's colour, cased like the paths (square, diamond, triangle in the
spec's order), its track so far and a tie to the run's current point as a thin dashed line (light
casing, the run's colour), above the current points and below the landmarks; the legend names each
under its run. A point not recorded yet (NaN) or off the map at that step is not drawn, track and all.

The background (contours, axes, colour bar, legend) is drawn once. The paths live in three masks
(dark casing, light casing, core) plus a core colour layer; an animation frame adds only the new
stretch of every path to the masks and pastes them, in that order, onto a copy of the background.

Text in Chinese needs a CJK font: the first of ``CJK_FONTS`` found under ``FONT_DIRS``
(Debian's ``fonts-noto-cjk``). Without one, Pillow's built-in font is used, which has no CJK
glyphs, and a :class:`FontWarning` says so. MP4 needs the ``imageio`` and ``imageio-ffmpeg``
packages; without them ``race_mp4`` raises :class:`MissingPackageError`.
"""
from __future__ import annotations

import functools
import io
import math
import os
import tempfile
import unicodedata
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image, ImageDraw, ImageFont

from optviz.figures.contour_image import LEVELS, colormap, colour_bar, contour_field
from optviz.figures.palette import (CASING_DARK, CASING_LIGHT, DIVERGED as RED, MINIMUM_EDGE, MINIMUM_FILL as GOLD,
                                    PATH_COLORS, SADDLE_CASING, SADDLE_CORE, path_color)
from optviz.figures.race import frame_steps, race_figure
from optviz.figures.race_payload import point_tracks
from optviz.i18n import CATALOG, LANGUAGES, status_text, t
from optviz.race import RaceConfig, run_race
from optviz.trajectory import DIVERGED, Trajectory
from surfaces import source_of

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"))
LATIN_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "Arial.ttf")
CJK_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
             "wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.otf")
INK, GREY, WHITE = "#222222", "#555555", "#ffffff"
SUFFIXES = (".csv", ".html", ".png", ".gif", ".mp4")
SLIDE = (1920, 1080)  # PNG size; scale=2 doubles it
VIDEO = (1280, 720)  # GIF and MP4 size
AXIS_TITLES = ("x", "y")  # as the app's race map names its axes
MP4_PACKAGES = "imageio and imageio-ffmpeg"


class FontWarning(UserWarning):
    """No CJK font was found: Chinese text falls back to Pillow's font and shows as boxes."""


class MissingPackageError(ImportError, ValueError):
    """An export needs a package that is not installed (the message names it and the pip line).

    Also a ValueError, so callers that report bad requests (the command line) report this too."""


# --------------------------------------------------------------------------------------------- CSV, HTML


def trajectories_csv(traj: Trajectory) -> bytes:
    """One row per (run, step): ``run, label, optimizer, step, x, y, loss, grad_x, grad_y, <internals>``.

    Floats are written with full precision, so reading the file back gives the same numbers.
    """
    return traj.to_frame().to_csv(index=False).encode("utf-8")


def standalone_html(fig: go.Figure, title: str = "OptViz") -> bytes:
    """The figure as one HTML file with plotly.js embedded (about 5 MB): opens and plays offline.

    The animation does not start by itself.
    """
    spec = fig.to_dict()
    html = pio.to_html(spec, include_plotlyjs=True, full_html=True, auto_play=False, validate=False,
                       config={"displaylogo": False, "responsive": True}, default_height="95vh")
    return html.replace("</head>", f"    <title>{_escape(title)}</title>\n</head>", 1).encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -------------------------------------------------------------------------------------------------- fonts


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        for root in FONT_DIRS:
            if not os.path.isdir(root):
                continue
            for folder, _, files in os.walk(root):
                if name in files:
                    return os.path.join(folder, name)
    return None


@functools.lru_cache(maxsize=None)
def font_file(cjk: bool) -> tuple[str, int] | None:
    """``(path, index)`` of the font used for Latin or Chinese text, or None (Pillow's own)."""
    path = _find(CJK_FONTS if cjk else LATIN_FONTS)
    if path is None:
        return None
    index = 0
    if path.endswith(".ttc") and cjk:  # a collection: pick its Simplified Chinese face
        for i in range(10):
            try:
                if ImageFont.truetype(path, 12, index=i).getname()[0].endswith(" SC"):
                    index = i
                    break
            except OSError:
                break
    return path, index


@functools.lru_cache(maxsize=64)
def _font(cjk: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = font_file(cjk)
    if found is None:
        if cjk:
            warnings.warn("no CJK font found (install fonts-noto-cjk); Chinese text falls back to Pillow's "
                          "default font and shows as boxes", FontWarning, stacklevel=3)
        return ImageFont.load_default(size)
    return ImageFont.truetype(found[0], size, index=found[1])


def _is_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def _clusters(text: str) -> list[str]:
    """``text`` cut into letters, each with the combining marks that follow it."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.combining(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


@functools.lru_cache(maxsize=1024)
def _has_glyphs(font, cluster: str) -> bool:
    """Whether ``font`` draws every character of ``cluster`` with a glyph of its own, not the box it
    draws for a character it lacks (that of a private-use code point, which no font here covers).
    Looked at one character at a time without text shaping, which would add a dotted circle to a lone mark."""
    if not isinstance(font, ImageFont.FreeTypeFont):
        return True  # Pillow's own font: nothing better to fall back to

    plain = font.font_variant(layout_engine=ImageFont.Layout.BASIC)

    def ink(ch: str) -> tuple:
        mask = plain.getmask(ch)
        return mask.size, bytes(mask)
    missing = ink("\ue000")
    return all(ch.isspace() or ink(ch) != missing for ch in cluster)


# ------------------------------------------------------------------------------------------------ drawing


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _nice_ticks(lo: float, hi: float, count: int = 6) -> np.ndarray:
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = np.arange(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1) * step
    return np.where(np.abs(ticks) < step * 1e-9, 0.0, ticks)


def _clip_segment(p: np.ndarray, q: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Liang–Barsky: the part of segment p→q inside the box [lo, hi], or None."""
    d = q - p
    t0, t1 = 0.0, 1.0
    for axis in range(2):
        for edge, sign in ((lo[axis], -1.0), (hi[axis], 1.0)):
            num = sign * (edge - p[axis])
            den = sign * d[axis]
            if den == 0:
                if num < 0:
                    return None
                continue
            ratio = num / den
            if den > 0:
                t1 = min(t1, ratio)
            else:
                t0 = max(t0, ratio)
    if t0 > t1:
        return None
    return p + t0 * d, p + t1 * d


def polylines(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[list[tuple[float, float]]]:
    """Split a pixel polyline ``(n, 2)`` into pieces safe to hand to Pillow: runs of segments inside
    the box ``[lo, hi]`` as they are, segments that leave it cut at its edge, the rest dropped."""
    if len(points) < 2:
        return []
    inside = np.all((points >= lo) & (points <= hi), axis=1)
    whole = inside[:-1] & inside[1:]  # (n-1,) segments entirely inside
    out = []
    idx = np.flatnonzero(whole)
    if idx.size:
        breaks = np.flatnonzero(np.diff(idx) > 1)
        for first, last in zip(np.r_[idx[0], idx[breaks + 1]], np.r_[idx[breaks], idx[-1]]):
            out.append([tuple(p) for p in points[first: last + 2].tolist()])
    for i in np.flatnonzero(~whole):
        clipped = _clip_segment(points[i], points[i + 1], lo, hi)
        if clipped is not None:
            out.append([tuple(clipped[0].tolist()), tuple(clipped[1].tolist())])
    return out


def dashes(points: np.ndarray, on: float, off: float) -> list[list[tuple[float, float]]]:
    """A polyline ``(k, 2)`` cut into dashes ``on`` long with ``off`` gaps, from its first point, each
    dash a polyline that turns where the line turns (Pillow draws no dashed lines)."""
    points = np.asarray(points, dtype=float)
    if len(points) < 2:
        return []
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])  # (k,) arc length
    starts = np.arange(0.0, along[-1], on + off)  # (dashes,) where each dash begins
    ends = np.minimum(starts + on, along[-1])

    def at(length: np.ndarray) -> np.ndarray:  # (n, 2) the points at these arc lengths
        return np.stack([np.interp(length, along, points[:, 0]), np.interp(length, along, points[:, 1])], axis=-1)

    first, last = np.searchsorted(along, starts, "right"), np.searchsorted(along, ends, "left")
    out = []
    for a, b, i, j in zip(at(starts).tolist(), at(ends).tolist(), first.tolist(), last.tolist()):
        out.append([tuple(a), *map(tuple, points[i:j].tolist()), tuple(b)])  # the corners inside the dash too
    return out


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    return list(zip((cx + radii * np.cos(angles)).tolist(), (cy + radii * np.sin(angles)).tolist()))




def surface_title(surface, lang: str = "en") -> str:
    """The surface's display name as the app shows it: ``"Rosenbrock 函数 (a 1, b 100)"``, or
    ``"f(x, y) = <expression>"`` for a typed surface."""
    typed = source_of(surface)
    if typed:
        return f"f(x, y) = {typed}"
    key = f"surface.{surface.name}"
    name = t(key, lang) if key in CATALOG else surface.name
    params = ", ".join(f"{k} {v:g}" for k, v in surface.params.items())
    return name + (f" ({params})" if params else "")


def animation_steps(steps: int, frames: int) -> np.ndarray:
    """The steps an animation of a ``steps``-step race shows: all of 0..steps when that is at most
    ``frames`` frames, else ``frames`` steps evenly spread from 0 to ``steps`` (both included)."""
    return frame_steps(int(steps), int(frames) - 1)


class Paths(NamedTuple):
    """Everything the paths drew so far, over the plot area: three masks and the cores' colours."""

    dark: Image.Image  # "L": 255 where the dark outer casing is
    light: Image.Image  # "L": 255 where the light inner casing is
    core: Image.Image  # "RGB" or "P": the Okabe–Ito cores
    core_mask: Image.Image  # "L": 255 where a core is


# sizes in pixels of a 1920 × 1080 slide; everything scales with the picture
SIZE = dict(pad=28, title=46, counter=34, tick=26, legend=30, axis=30, bar=30, tick_len=10,
            core=6, light=11, dark=15, bead=2, head=9, star=17, saddle=10, saddle_core=3.5, saddle_casing=7.5,
            start=13,
            # an optimizer's own points: 1.5 × the live race's (its 12-px marker stroked 5, 3 and 2 px, its track
            # dashed 5 on, 4 off and stroked 3.5 and 1.5 px), as the slide's 13.5-px head is 1.5 × the live 9 px
            point=18, point_dark=7.5, point_light=4.5, point_core=3, track_light=5.25, track_core=2.25, dash=7.5, gap=6,
            legend_point=9)
# An optimizer's own points, in its spec's order, as the live race marks them (race.js POINT_SHAPES).
POINT_SHAPES = ("square", "diamond", "triangle")


class MapPoint(NamedTuple):
    """A point of the plane a run's optimizer keeps beside its position, as the map draws it."""

    shape: str  # one of POINT_SHAPES
    name: str  # in the canvas's language
    track: np.ndarray  # (steps+1, 2) surface coordinates; NaN where the point does not exist yet


class RaceCanvas:
    """The race map of a Trajectory drawn with Pillow: the static background once, paths per step.

    ``supersample`` draws everything that many times larger (``frame_png`` uses 2, then shrinks
    the image, which smooths the lines). ``to_pixel`` maps surface coordinates to pixels of the
    final ``width`` × ``height`` image. Sizes scale with ``min(width / 1920, height / 1080)``.
    ``map_points=False`` leaves out the optimizers' own points (and their legend entries).
    """

    def __init__(self, traj: Trajectory, *, lang: str = "en", width: int = SLIDE[0], height: int = SLIDE[1],
                 supersample: int = 1, lesson_title: str | None = None, map_points: bool = True):
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)} (got {lang!r})")
        if not (isinstance(width, int) and isinstance(height, int) and 200 <= width <= 4000
                and 150 <= height <= 4000):
            raise ValueError(f"width and height must be whole numbers in [200, 4000] and [150, 4000] "
                             f"(got {width!r} × {height!r})")
        self.traj, self.lang, self.ss = traj, lang, int(supersample)
        self.width, self.height = width, height
        s = self.ss
        u = s * min(width / SLIDE[0], height / SLIDE[1])  # one pixel of a 1080p slide, in canvas pixels
        self.u = u
        self.W, self.H = width * s, height * s
        size = {k: max(int(round(v * u)), 8 * s) for k, v in SIZE.items() if k in ("title", "counter", "tick",
                                                                                     "legend", "axis")}
        self.title_size, self.counter_size = size["title"], size["counter"]
        self.tick_size, self.legend_size, self.axis_size = size["tick"], size["legend"], size["axis"]
        surface = traj.surface
        (self.x0, self.x1), (self.y0, self.y1) = surface.bounds
        name = surface_title(surface, lang)
        self.title = f"{lesson_title} — {name}" if lesson_title else name
        self.points = [self._map_points(run) if map_points else [] for run in range(traj.runs)]  # per run

        pad = round(SIZE["pad"] * u)
        self.pad = pad
        tick = max(round(SIZE["tick_len"] * u), s)
        title_h = round(self.title_size * 1.35)
        top = pad + title_h + round(20 * u)
        # right, from the edge inwards: legend column, colour-bar title (turned), labels, ticks, bar
        self._legend = self._legend_items()
        legend_w = int(min(max(self._legend_width(item) for item in self._legend), 0.3 * self.W))
        label_w = self._text_width(["−0.000e-00", "0.000e+00"], self.tick_size)
        bar_w = max(round(SIZE["bar"] * u), 4 * s)
        bar_title_h = round(self.axis_size * 1.3)
        inner = round(28 * u) + bar_w + tick + round(6 * u) + label_w + round(14 * u) + bar_title_h + round(40 * u)
        right = inner + legend_w  # map's right edge to the legend's right edge
        left = self._text_width([AXIS_TITLES[1]], self.axis_size) + round(14 * u) \
            + self._text_width(self._tick_texts(self.y0, self.y1), self.tick_size) + tick + round(6 * u)
        bottom = pad + round(self.axis_size * 1.3) + round(6 * u) + round(self.tick_size * 1.3) + tick + round(6 * u)
        avail_w, avail_h = self.W - 2 * pad - left - right, self.H - top - bottom
        if avail_w < 20 or avail_h < 20:
            raise ValueError(f"{width} × {height} leaves no room for the map")
        per_unit = min(avail_w / (self.x1 - self.x0), avail_h / (self.y1 - self.y0))
        pw, ph = int(round(per_unit * (self.x1 - self.x0))), int(round(per_unit * (self.y1 - self.y0)))
        bl, bt = pad + left + (avail_w - pw) // 2, top + (avail_h - ph) // 2  # the whole row centred
        self.box = (bl, bt, bl + pw, bt + ph)  # plot area in supersampled pixels, right/bottom exclusive
        self.tick = tick
        self.bar = (bl + pw + round(28 * u), bt, bl + pw + round(28 * u) + bar_w, bt + ph)  # colour bar
        self.legend_x, self.legend_w = bl + pw + inner, legend_w
        self.title_y = pad
        self._sx, self._sy = pw / (self.x1 - self.x0), ph / (self.y1 - self.y0)
        margin = 2.0 * max(pw, ph)
        self._clip_lo, self._clip_hi = np.array([-margin, -margin]), np.array([pw + margin, ph + margin])
        self.background = self._draw_background()

    # ------------------------------------------------------------------ geometry and text

    def _local(self, points) -> np.ndarray:
        """Surface coordinates ``(..., 2)`` -> pixels of the plot area (supersampled)."""
        p = np.asarray(points, dtype=float)
        return np.stack([(p[..., 0] - self.x0) * self._sx, (self.y1 - p[..., 1]) * self._sy], axis=-1)

    def to_pixel(self, points) -> np.ndarray:
        """Surface coordinates ``(..., 2)`` -> ``(column, row)`` pixels of the final image."""
        local = self._local(points)
        return (local + np.array(self.box[:2], dtype=float)) / self.ss

    @property
    def map_box(self) -> tuple[int, int, int, int]:
        """The plot area in pixels of the final image: ``(left, top, right, bottom)``, right/bottom exclusive."""
        return tuple(int(round(v / self.ss)) for v in self.box)

    @property
    def bar_box(self) -> tuple[int, int, int, int]:
        """The colour bar in pixels of the final image, like ``map_box``."""
        return tuple(int(round(v / self.ss)) for v in self.bar)

    def font(self, text: str, size: int):
        return _font(self.lang == "zh" or _is_cjk(text), size)

    def _text_with_fallback(self, draw: ImageDraw.ImageDraw, xy, text: str, size: int, fill: str) -> None:
        """``text`` anchored left-middle at ``xy``; a letter with its combining marks that the text's font
        has no glyph for (Noto CJK lacks U+0302, the hat of θ̂) is drawn in the Latin font."""
        font = self.font(text, size)
        latin = _font(False, size)
        runs = []  # (font, text) in order
        for cluster in _clusters(text):
            use = latin if font is not latin and not _has_glyphs(font, cluster) else font
            if runs and runs[-1][0] is use:
                runs[-1] = (use, runs[-1][1] + cluster)
            else:
                runs.append((use, cluster))
        x, y = xy
        for use, part in runs:
            draw.text((x, y), part, fill=fill, font=use, anchor="lm")
            x += use.getlength(part)

    def _text_width(self, texts, size: int) -> int:
        return int(max((self.font(x, size).getlength(x) for x in texts), default=0))

    def _tick_texts(self, lo: float, hi: float) -> list[str]:
        return [f"{v:g}" for v in _nice_ticks(lo, hi)]

    def _map_points(self, run: int) -> list[MapPoint]:
        """The points ``run``'s optimizer keeps beside its position, as the live map shows them."""
        return [MapPoint(POINT_SHAPES[k % len(POINT_SHAPES)], name, np.asarray(track, dtype=float))
                for k, (name, track) in enumerate(point_tracks(self.traj, run, self.lang))]

    def _legend_items(self) -> list[tuple[str, str, str]]:
        """(kind, colour, text) per legend entry: each run, then its own points (kind: their shape)."""
        traj, lang = self.traj, self.lang
        items = []
        for run in range(traj.runs):
            items.append(("line", path_color(run), traj.labels[run]))
            items += [(point.shape, path_color(run), point.name) for point in self.points[run]]
        if traj.surface.minima:
            items.append(("star", GOLD, t("plot.minimum", lang)))
        if traj.surface.saddles:
            items.append(("cross", SADDLE_CORE, t("plot.saddle", lang)))
        items.append(("ring", INK, t("plot.start", lang)))
        return items

    def _legend_size(self, kind: str) -> int:
        """A run's own points are named in the smaller tick font, beneath the run's name."""
        return self.tick_size if kind in POINT_SHAPES else self.legend_size

    def _legend_width(self, item) -> float:
        size = self._legend_size(item[0])
        return 60 * self.u + self.font(item[2], size).getlength(item[2])

    def _fit(self, text: str, size: int, room: float) -> str:
        font = self.font(text, size)
        if font.getlength(text) <= room:
            return text
        while len(text) > 1 and font.getlength(text + "…") > room:
            text = text[:-1]
        return text + "…"

    # ---------------------------------------------------------------------------- marks

    def _cased_line(self, draw: ImageDraw.ImageDraw, points, core, ink=_rgb) -> None:
        """A legend sample: the same casing as the paths."""
        u = self.u
        for width, color in ((SIZE["dark"], CASING_DARK), (SIZE["light"], CASING_LIGHT), (SIZE["core"], core)):
            draw.line(points, fill=ink(color), width=max(1, round(width * u)))

    def _saddle(self, draw: ImageDraw.ImageDraw, x: float, y: float, ink, r: float | None = None) -> None:
        u = self.u
        r = SIZE["saddle"] * u if r is None else r
        for width, color in ((SIZE["saddle_casing"], SADDLE_CASING), (SIZE["saddle_core"], SADDLE_CORE)):
            for dy in (-1, 1):
                draw.line((x - r, y - dy * r, x + r, y + dy * r), fill=ink(color), width=max(1, round(width * u)))

    def _minimum(self, draw: ImageDraw.ImageDraw, x: float, y: float, ink, r: float | None = None) -> None:
        u = self.u
        r = SIZE["star"] * u if r is None else r
        draw.polygon(_star(x, y, r), fill=ink(GOLD), outline=ink(MINIMUM_EDGE), width=max(1, round(2.5 * u)))

    def _start(self, draw: ImageDraw.ImageDraw, x: float, y: float, ink, r: float | None = None) -> None:
        u = self.u
        r = SIZE["start"] * u if r is None else r
        w = max(1, round(2.5 * u))
        draw.ellipse((x - r - w, y - r - w, x + r + w, y + r + w), outline=ink(WHITE), width=3 * w)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=ink(INK), width=w)

    def _marker(self, draw: ImageDraw.ImageDraw, x: float, y: float, shape: str, color: str, ink,
                m: float | None = None) -> None:
        """A hollow square, diamond or triangle of half-size ``m`` around (x, y), its outline cased like
        a path (dark, light, then the run's colour, each stroke centred on the outline)."""
        u = self.u
        m = SIZE["point"] * u if m is None else m
        scale = m / SIZE["point"]  # a legend marker is smaller, its strokes in proportion
        if shape == "square":
            corners = [(-m, -m), (m, -m), (m, m), (-m, m)]
        elif shape == "diamond":
            corners = [(0, -1.3 * m), (1.3 * m, 0), (0, 1.3 * m), (-1.3 * m, 0)]
        else:
            corners = [(0, -1.3 * m), (1.2 * m, 0.9 * m), (-1.2 * m, 0.9 * m)]
        ring = [(x + dx, y + dy) for dx, dy in corners]
        ring += ring[:2]  # closed, and the first corner gets a round joint like the others
        for key, stroke in (("point_dark", CASING_DARK), ("point_light", CASING_LIGHT), ("point_core", color)):
            draw.line(ring, fill=ink(stroke), width=max(1, round(SIZE[key] * scale)), joint="curve")

    # ---------------------------------------------------------------------------- background

    def _field(self):
        """Contour bands as an RGB array over the plot area, and the ContourField behind it."""
        bl, bt, br, bb = self.box
        pw, ph = br - bl, bb - bt
        s = self.ss
        field = contour_field(self.traj.surface, max(pw // s, 2), max(ph // s, 2),
                              ((self.x0, self.x1), (self.y0, self.y1)))
        image = Image.fromarray(field.rgb, "RGB")  # evaluated at the final resolution, then enlarged
        if image.size != (pw, ph):
            image = image.resize((pw, ph), Image.Resampling.NEAREST if s > 1 else Image.Resampling.BILINEAR)
        return np.asarray(image), field

    def _draw_background(self) -> Image.Image:
        u = self.u
        img = Image.new("RGB", (self.W, self.H), WHITE)
        draw = ImageDraw.Draw(img)
        pixels, field = self._field()
        self.field = field
        bl, bt, br, bb = self.box
        img.paste(Image.fromarray(pixels, "RGB"), (bl, bt))
        small, tick, line = self.tick_size, self.tick, max(1, round(1.5 * u))

        # axes: frame, ticks, labels, titles
        draw.rectangle((bl - line, bt - line, br + line - 1, bb + line - 1), outline=GREY, width=line)
        for v in _nice_ticks(self.x0, self.x1):
            x = bl + (v - self.x0) * self._sx
            draw.line((x, bb, x, bb + tick), fill=GREY, width=line)
            draw.text((x, bb + tick + round(4 * u)), f"{v:g}", fill=INK, font=self.font("", small), anchor="mt")
        for v in _nice_ticks(self.y0, self.y1):
            y = bt + (self.y1 - v) * self._sy
            draw.line((bl - tick, y, bl, y), fill=GREY, width=line)
            draw.text((bl - tick - round(6 * u), y), f"{v:g}", fill=INK, font=self.font("", small), anchor="rm")
        axis = self.axis_size
        draw.text(((bl + br) / 2, bb + tick + round(10 * u) + round(small * 1.3)), AXIS_TITLES[0], fill=INK,
                  font=self.font(AXIS_TITLES[0], axis), anchor="mt")
        ticks_w = self._text_width(self._tick_texts(self.y0, self.y1), small)
        draw.text((bl - tick - round(6 * u) - ticks_w - round(14 * u), (bt + bb) / 2), AXIS_TITLES[1], fill=INK,
                  font=self.font(AXIS_TITLES[1], axis), anchor="rm")

        # colour bar: the same bands, ticks and labels from colour_bar()
        cx0, _, cx1, _ = self.bar
        bar_h = bb - bt
        rows = np.floor((1 - (np.arange(bar_h) + 0.5) / bar_h) * LEVELS).clip(0, LEVELS - 1) / LEVELS
        img.paste(Image.fromarray(np.repeat(colormap(rows)[:, None, :], cx1 - cx0, axis=1), "RGB"), (cx0, bt))
        draw.rectangle((cx0 - line, bt - line, cx1 + line - 1, bb + line - 1), outline=GREY, width=line)
        label_right = cx1
        self.bar_labels = []  # (x, y, label) in canvas pixels, each drawn with anchor "lm" at tick_size
        for fraction, label in colour_bar(field):
            x, y = cx1 + tick + round(6 * u), bb - fraction * bar_h
            draw.line((cx1, y, cx1 + tick, y), fill=GREY, width=line)
            font = self.font("", small)
            draw.text((x, y), label, fill=INK, font=font, anchor="lm")
            self.bar_labels.append((x, y, label))
            label_right = max(label_right, x + font.getlength(label))
        name = t("plot.loss", self.lang)
        font = self.font(name, axis)
        name = self._fit(name, axis, bar_h)
        box = font.getbbox(name, anchor="lt")
        mask = Image.new("L", (int(box[2]) + 2, int(round(axis * 1.3))), 0)
        ImageDraw.Draw(mask).text((0, 0), name, fill=255, font=font, anchor="lt")
        mask = mask.rotate(90, expand=True)  # reads bottom to top, as a y-axis title does
        img.paste(_rgb(INK), (int(label_right + round(14 * u)), int((bt + bb - mask.size[1]) / 2)), mask)

        # the start ring, under the paths
        layer = img.crop(self.box)
        x, y = self._local(self.traj.positions[0, 0])
        self._start(ImageDraw.Draw(layer), x, y, _rgb)
        img.paste(layer, self.box[:2])

        # title and legend
        counter = self._text_width([self.step_text(self.traj.steps)], self.counter_size)
        title = self._fit(self.title, self.title_size, self.W - 2 * self.pad - counter - 40 * u)
        draw.text((self.pad, self.title_y), title, fill=INK, font=self.font(title, self.title_size))
        row_h = round(self.legend_size * 1.7)
        room = self.legend_w - 60 * u + 1
        for i, (kind, color, text) in enumerate(self._legend):
            x, cy = self.legend_x, bt + (i + 0.5) * row_h
            sx = x + 20 * u
            if kind == "line":
                self._cased_line(draw, (x, cy, x + 44 * u, cy), color)
            elif kind in POINT_SHAPES:  # under its run's line sample, the name in the names' column
                self._marker(draw, x + 32 * u, cy, kind, color, _rgb, SIZE["legend_point"] * u)
            elif kind == "star":
                self._minimum(draw, sx, cy, _rgb, 14 * u)
            elif kind == "cross":
                self._saddle(draw, sx, cy, _rgb, 9 * u)
            else:
                self._start(draw, sx, cy, _rgb, 11 * u)
            size = self._legend_size(kind)
            text = self._fit(text, size, room)
            if kind in POINT_SHAPES:  # a point's name may carry a mark the CJK font lacks (θ̂)
                self._text_with_fallback(draw, (x + 56 * u, cy), text, size, INK)
            else:
                draw.text((x + 56 * u, cy), text, fill=INK, font=self.font(text, size), anchor="lm")
        return img

    # ----------------------------------------------------------------------------- foreground

    def step_text(self, step: int) -> str:
        return f"{t('plot.step', self.lang)} {step} / {self.traj.steps}"

    def draw_step(self, draw: ImageDraw.ImageDraw, step: int, ink) -> None:
        text = self.step_text(step)
        draw.text((self.W - self.pad, self.title_y + (self.title_size - self.counter_size)), text, fill=ink(INK),
                  font=self.font(text, self.counter_size), anchor="ra")

    def end_of(self, run: int, step: int) -> int:
        """The last step of ``run`` drawn at ``step``: a stopped run stays at its last valid point."""
        return min(step, int(self.traj.last_step[run]))

    def new_paths(self, mode: str = "RGB", palette: list[int] | None = None) -> Paths:
        """Empty path layers over the plot area; ``mode="P"`` with the GIF's ``palette``."""
        size = (self.box[2] - self.box[0], self.box[3] - self.box[1])
        core = Image.new(mode, size, 0)
        if palette is not None:
            core.putpalette(palette)
        return Paths(Image.new("L", size, 0), Image.new("L", size, 0), core, Image.new("L", size, 0))

    def draw_paths(self, paths: Paths, ink, step: int, since: int = 0) -> None:
        """Add each run's path from step ``since`` to ``step`` to the layers (local pixels).

        Every vertex gets a disc in each layer: round joints between stretches drawn in different
        frames, and, for runs of at most 400 steps, a bead that shows each iterate."""
        u = self.u
        widths = [max(1, round(SIZE[k] * u)) for k in ("dark", "light", "core")]
        draws = [ImageDraw.Draw(paths.dark), ImageDraw.Draw(paths.light), ImageDraw.Draw(paths.core),
                 ImageDraw.Draw(paths.core_mask)]
        pw, ph = self.box[2] - self.box[0], self.box[3] - self.box[1]
        for run in range(self.traj.runs):
            end = self.end_of(run, step)
            first = min(since, end)
            if end <= first:
                continue
            pts = self._local(self.traj.positions[first: end + 1, run])  # (k, 2)
            fill = ink(path_color(run))
            bead = SIZE["bead"] * u if self.traj.last_step[run] <= 400 else 0.0
            lines = polylines(pts, self._clip_lo, self._clip_hi)
            near = pts[np.all((pts >= -30 * u) & (pts <= np.array([pw, ph]) + 30 * u), axis=1)]
            for layer, (width, targets) in enumerate(((widths[0], [(draws[0], 255)]),
                                                       (widths[1], [(draws[1], 255)]),
                                                       (widths[2], [(draws[2], fill), (draws[3], 255)]))):
                r = width / 2 + bead
                for d, color in targets:
                    for line in lines:
                        d.line(line, fill=color, width=width, joint="curve")
                    for x, y in near.tolist():
                        d.ellipse((x - r, y - r, x + r, y + r), fill=color)

    def draw_heads(self, draw: ImageDraw.ImageDraw, ink, step: int) -> None:
        """The current point of every run, cased like the paths; a red ✕ and its status once a run
        has diverged."""
        u = self.u
        pw, ph = self.box[2] - self.box[0], self.box[3] - self.box[1]
        for run in range(self.traj.runs):
            end = self.end_of(run, step)
            died = self.traj.status[run] == DIVERGED and step >= self.traj.stop_step[run]
            if died:  # a run that left the map gets its ✕ where its path last crossed the map's edge
                x, y = self._exit_point(self._local(self.traj.positions[: end + 1, run]))
            else:
                x, y = self._local(self.traj.positions[end, run])
            r = 11 * u if died else SIZE["head"] * u
            keep = r if died else -50 * u
            x, y = float(np.clip(x, keep, pw - keep)), float(np.clip(y, keep, ph - keep))
            if died:
                for width, color in ((9, CASING_DARK), (7, WHITE), (4, RED)):
                    for dy in (-1, 1):
                        draw.line((x - r, y - dy * r, x + r, y + dy * r), fill=ink(color),
                                  width=max(1, round(width * u)))
                text = status_text(self.traj, run, self.lang)
                font = self.font(text, self.tick_size)
                half = font.getlength(text) / 2
                tx = float(np.clip(x, half + 4 * u, pw - half - 4 * u)) if pw > 2 * half + 8 * u else pw / 2
                ty = float(np.clip(y - r - 6 * u, self.tick_size + 4 * u, ph))
                draw.text((tx, ty), text, fill=ink(RED), font=font, anchor="mb", stroke_width=max(1, round(3 * u)),
                          stroke_fill=ink(WHITE))
            else:
                for grow, color in (((SIZE["dark"] - SIZE["core"]) / 2, CASING_DARK),
                                    ((SIZE["light"] - SIZE["core"]) / 2, CASING_LIGHT), (0, path_color(run))):
                    rr = r + grow * u
                    draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=ink(color))

    def draw_points(self, draw: ImageDraw.ImageDraw, ink, step: int) -> None:
        """Each run's own points at ``step`` (a stopped run: at its last step): the marker, and dashed, the
        point's track from step 0 and a tie from the run's current point. A point not recorded yet (NaN)
        or off the map at ``step`` is left out, track and all; its track skips the steps it had no value."""
        u = self.u
        size = np.array([self.box[2] - self.box[0], self.box[3] - self.box[1]], dtype=float)
        for run in range(self.traj.runs):
            if not self.points[run]:
                continue
            end = self.end_of(run, step)
            with np.errstate(over="ignore", invalid="ignore"):  # far out (diverged) becomes ±inf: left out below
                head = self._local(self.traj.positions[end, run])
                tracks = [self._local(point.track[: end + 1]) for point in self.points[run]]  # (end+1, 2) each
            color = path_color(run)
            for point, track in zip(self.points[run], tracks):
                at = track[-1]
                if not (np.all(np.isfinite(at)) and np.all((at >= 0) & (at <= size))):
                    continue
                pieces = self._finite_pieces(track)
                if np.all(np.isfinite(head)):
                    tie = _clip_segment(head, at, np.zeros(2), size)
                    pieces += [] if tie is None else [list(tie)]
                lines = [dash for piece in pieces for dash in dashes(piece, SIZE["dash"] * u, SIZE["gap"] * u)]
                for key, stroke in (("track_light", CASING_LIGHT), ("track_core", color)):
                    for line in lines:
                        draw.line(line, fill=ink(stroke), width=max(1, round(SIZE[key] * u)), joint="curve")
                self._marker(draw, float(at[0]), float(at[1]), point.shape, color, ink)

    def _finite_pieces(self, track: np.ndarray) -> list[np.ndarray]:
        """A track ``(k, 2)`` in local pixels as polylines safe to draw: cut where it has no value, clipped
        well outside the map (as the paths are)."""
        finite = np.all(np.isfinite(track), axis=1)
        cuts = np.flatnonzero(np.diff(finite.astype(int)) != 0) + 1
        out = []
        for piece in np.split(track, cuts):
            if len(piece) > 1 and np.all(np.isfinite(piece)):
                out += [np.asarray(line) for line in polylines(piece, self._clip_lo, self._clip_hi)]
        return out

    def draw_landmarks(self, draw: ImageDraw.ImageDraw, ink) -> None:
        """Minima ★ and saddles ✕, drawn last: above the paths and the current points."""
        for x, y in self._local(np.asarray(self.traj.surface.saddles, dtype=float).reshape(-1, 2)).tolist():
            self._saddle(draw, x, y, ink)
        for x, y in self._local(np.asarray(self.traj.surface.minima, dtype=float).reshape(-1, 2)).tolist():
            self._minimum(draw, x, y, ink)

    def _exit_point(self, pts: np.ndarray) -> np.ndarray:
        """The last point of a path ``(k, 2)`` (local pixels) if it is on the map, else where the path
        last crossed the map's edge."""
        lo, hi = np.zeros(2), np.array([self.box[2] - self.box[0], self.box[3] - self.box[1]], dtype=float)
        last = pts[-1]
        if np.all((last >= lo) & (last <= hi)):
            return last
        a, b = pts[:-1], pts[1:]
        near = np.all((np.minimum(a, b) <= hi) & (np.maximum(a, b) >= lo), axis=1)  # bounding boxes meet
        for i in np.flatnonzero(near)[::-1]:
            clipped = _clip_segment(a[i], b[i], lo, hi)
            if clipped is not None:
                return clipped[1]
        return np.clip(last, lo, hi)

    def compose(self, base: Image.Image, paths: Paths, step: int, ink) -> Image.Image:
        """``base`` (the background, RGB or the GIF's P) with the paths so far, the current points,
        the optimizers' own points, the landmarks and the step counter."""
        img = base.copy()
        area = img.crop(self.box)
        area.paste(ink(CASING_DARK), (0, 0, *area.size), paths.dark)
        area.paste(ink(CASING_LIGHT), (0, 0, *area.size), paths.light)
        area.paste(paths.core, (0, 0), paths.core_mask)
        draw = ImageDraw.Draw(area)
        self.draw_heads(draw, ink, step)
        self.draw_points(draw, ink, step)
        self.draw_landmarks(draw, ink)
        img.paste(area, self.box[:2])
        self.draw_step(ImageDraw.Draw(img), step, ink)
        return img

    def frame(self, step: int) -> Image.Image:
        """The whole map at ``step`` as an RGB image of the supersampled size."""
        paths = self.new_paths()
        self.draw_paths(paths, _rgb, step)
        return self.compose(self.background, paths, step, _rgb)


def _check_step(traj: Trajectory, step: int | None) -> int:
    if step is None:
        return traj.steps
    if isinstance(step, bool) or int(step) != step or not 0 <= step <= traj.steps:
        raise ValueError(f"step must be a whole number in [0, {traj.steps}] (got {step!r})")
    return int(step)


def frame_png(traj: Trajectory, step: int | None = None, lang: str = "en", width: int = SLIDE[0],
              height: int = SLIDE[1], *, scale: int = 1, lesson_title: str | None = None) -> bytes:
    """The race map at ``step`` (default: the last) as PNG bytes of ``scale · width`` × ``scale · height``
    pixels: a 1920 × 1080 slide, or 3840 × 2160 with ``scale=2``."""
    step = _check_step(traj, step)
    if scale not in (1, 2) or isinstance(scale, bool):
        raise ValueError(f"scale must be 1 or 2 (got {scale!r})")
    # at 1× draw twice as large and shrink (smooth lines); at 2× the pixels are small enough already
    canvas = RaceCanvas(traj, lang=lang, width=width * scale, height=height * scale, supersample=3 - scale,
                        lesson_title=lesson_title)
    image = canvas.frame(step)
    if canvas.ss > 1:
        image = image.resize((canvas.width, canvas.height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _check_animation(frames, fps, hold_ms, max_fps: int = 50) -> None:
    if isinstance(frames, bool) or int(frames) != frames or not 2 <= frames <= 1000:
        raise ValueError(f"frames must be a whole number in [2, 1000] (got {frames!r})")
    if not 1 <= fps <= max_fps:
        raise ValueError(f"fps must be in [1, {max_fps}] (got {fps!r})")
    if not 0 <= hold_ms <= 60_000:
        raise ValueError(f"hold_ms must be in [0, 60000] (got {hold_ms!r})")


def race_gif(traj: Trajectory, lang: str = "en", frames: int = 60, fps: int = 20, width: int = VIDEO[0],
             height: int = VIDEO[1], hold_ms: int = 1500, *, lesson_title: str | None = None) -> bytes:
    """The race as an animated GIF that loops forever: every step if there are at most ``frames``,
    else ``frames`` steps evenly spread from 0 to the last; ``fps`` per second, the last frame held
    ``hold_ms`` longer. Each frame shows its step number."""
    _check_animation(frames, fps, hold_ms)
    canvas = RaceCanvas(traj, lang=lang, width=width, height=height, supersample=1, lesson_title=lesson_title)
    reserved = list(dict.fromkeys(c.lower() for c in (*PATH_COLORS, CASING_DARK, CASING_LIGHT, RED, WHITE, INK,
                                                      GOLD, MINIMUM_EDGE, SADDLE_CORE, SADDLE_CASING, GREY)))
    free = 256 - len(reserved)
    base = canvas.background.quantize(colors=free, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette = (base.getpalette() or [])[: 3 * free]
    palette += [0] * (3 * free - len(palette))
    index = {}
    for i, color in enumerate(reserved):
        index[color] = free + i
        palette += list(_rgb(color))
    base.putpalette(palette)

    def ink(color: str) -> int:
        return index[color.lower()]

    paths = canvas.new_paths("P", palette)
    images, drawn = [], 0
    for step in animation_steps(traj.steps, frames).tolist():
        canvas.draw_paths(paths, ink, step, since=drawn)
        drawn = step
        images.append(canvas.compose(base, paths, step, ink))
    ms = int(round(1000 / fps))
    durations = [ms] * (len(images) - 1) + [ms + int(hold_ms)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=False)
    return out.getvalue()


def _imageio():
    """``imageio.v2``, once its FFMPEG plugin's binary is known to be there; else MissingPackageError."""
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg
        imageio_ffmpeg.get_ffmpeg_exe()  # the bundled (or system) ffmpeg binary: RuntimeError if none
    except (ImportError, RuntimeError) as problem:
        raise MissingPackageError(f"writing .mp4 needs the Python packages {MP4_PACKAGES} "
                                  f"(pip install imageio imageio-ffmpeg); {problem}") from None
    return imageio


def race_mp4(traj: Trajectory, lang: str = "en", frames: int = 300, fps: int = 30, width: int = VIDEO[0],
             height: int = VIDEO[1], hold_ms: int = 1500, *, lesson_title: str | None = None) -> bytes:
    """The race as an H.264 MP4 (yuv420p, plays in browsers and slide software): every step if
    there are at most ``frames``, else ``frames`` steps evenly spread; the last frame repeated for
    ``hold_ms``. Each frame shows its step number. Needs imageio and imageio-ffmpeg."""
    _check_animation(frames, fps, hold_ms, max_fps=60)
    if width % 2 or height % 2:
        raise ValueError(f"an MP4's width and height must be even (got {width!r} × {height!r})")
    imageio = _imageio()
    canvas = RaceCanvas(traj, lang=lang, width=width, height=height, supersample=1, lesson_title=lesson_title)
    paths = canvas.new_paths()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "race.mp4")
        writer = imageio.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", pixelformat="yuv420p",
                                    quality=8, macro_block_size=2, ffmpeg_log_level="error")
        try:
            drawn, image = 0, None
            for step in animation_steps(traj.steps, frames).tolist():
                canvas.draw_paths(paths, _rgb, step, since=drawn)
                drawn = step
                image = np.asarray(canvas.compose(canvas.background, paths, step, _rgb))
                writer.append_data(image)
            for _ in range(int(round(hold_ms * fps / 1000))):
                writer.append_data(image)
        finally:
            writer.close()
        return Path(path).read_bytes()


# ------------------------------------------------------------------------------------------------ render


def render(config: RaceConfig, path: str | os.PathLike, lang: str = "en", step: int | None = None, *,
           lesson_title: str | None = None, scale: int = 1) -> Path:
    """Run ``config`` and write ``path``; its suffix picks the file: ``.png`` (a 1920 × 1080 slide of
    the map at ``step``, default the last; ``scale=2`` for 3840 × 2160), ``.gif`` or ``.mp4``
    (animation, 1280 × 720), ``.html`` (interactive race map, offline) or ``.csv``.
    ``lesson_title`` goes before the surface's name in the title of pictures and HTML.

    Raises ValueError for a bad config, suffix, language or step (the message names it), and
    MissingPackageError (also a ValueError) for .mp4 without imageio and imageio-ffmpeg.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"the output file must end in {', '.join(SUFFIXES)} (got {path.name!r})")
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)} (got {lang!r})")
    if step is not None and suffix != ".png":
        raise ValueError(f"step applies to .png only (got {suffix})")
    if scale != 1 and suffix != ".png":
        raise ValueError(f"scale applies to .png only (got {suffix})")
    if suffix == ".mp4":
        _imageio()  # before the race runs: say what is missing at once
    traj = run_race(config)
    if suffix == ".csv":
        data = trajectories_csv(traj)
    elif suffix == ".html":
        name = surface_title(traj.surface, lang)
        data = standalone_html(race_figure(traj, lang=lang),
                               title=f"OptViz · {lesson_title + ' — ' if lesson_title else ''}{name}")
    elif suffix == ".png":
        data = frame_png(traj, step, lang=lang, scale=scale, lesson_title=lesson_title)
    elif suffix == ".gif":
        data = race_gif(traj, lang=lang, lesson_title=lesson_title)
    else:
        data = race_mp4(traj, lang=lang, lesson_title=lesson_title)
    path.write_bytes(data)
    return path


__all__ = ["AXIS_TITLES", "FontWarning", "MapPoint", "MissingPackageError", "POINT_SHAPES", "RaceCanvas", "SLIDE",
           "SUFFIXES", "VIDEO", "animation_steps", "colormap", "dashes", "font_file", "frame_png", "polylines",
           "race_gif", "race_mp4", "render", "standalone_html", "surface_title", "trajectories_csv"]
