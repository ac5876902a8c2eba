"""Files to take away from a race: trajectories as CSV, the figure as offline HTML, the map as PNG or GIF.

- ``trajectories_csv(traj)``: the long-form table (``Trajectory.to_frame``), UTF-8 CSV bytes.
- ``standalone_html(fig)``: a Plotly figure as one HTML file with plotly.js inside; plays offline.
- ``frame_png(traj, step)``: the race map at one step, drawn with Pillow.
- ``race_gif(traj)``: the race as a looping animated GIF, for slides.
- ``render(config, path)``: run a race and write whichever of those the file name asks for.

The PNG and GIF are drawn with Pillow, not through a browser (kaleido needs Chromium and about
4 s per image; Pillow draws a frame in milliseconds). They follow ``optviz.figures.race``: the same
log-height transform and colours for the filled contours, the same path colours, gold stars on
the minima, ✕ on the saddles, and a red ✕ with its status where a run diverged. The background
(contours, axes, colour bar, legend) is drawn once; each GIF frame adds only the new stretch of
every path to a persistent trail and draws the current points on a copy.

Text in Chinese needs a CJK font: the first of ``CJK_FONTS`` found under ``FONT_DIRS``
(Debian's ``fonts-noto-cjk``). Without one, Pillow's built-in font is used, which has no CJK
glyphs, and a :class:`FontWarning` says so.
"""
from __future__ import annotations

import functools
import io
import math
import os
import warnings
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image, ImageDraw, ImageFont

from optviz.figures.contour_image import LEVELS, colormap, contour_field
from optviz.i18n import LANGUAGES, status_text, t
from optviz.figures.race import COLORS, PICK_TRACE, frame_steps, race_figure
from optviz.race import RaceConfig, run_race
from optviz.trajectory import DIVERGED, Trajectory
from surfaces import source_of

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"))
LATIN_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "Arial.ttf")
CJK_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
             "wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.otf")
RED, GOLD, INK, GREY, WHITE = "#d62728", "#ffd700", "#222222", "#555555", "#ffffff"
SUFFIXES = (".csv", ".html", ".png", ".gif")


class FontWarning(UserWarning):
    """No CJK font was found: Chinese text falls back to Pillow's font and shows as boxes."""


# --------------------------------------------------------------------------------------------- CSV, HTML


def trajectories_csv(traj: Trajectory) -> bytes:
    """One row per (run, step): ``run, label, optimizer, step, x, y, loss, grad_x, grad_y, <internals>``.

    Floats are written with full precision, so reading the file back gives the same numbers.
    """
    return traj.to_frame().to_csv(index=False).encode("utf-8")


def standalone_html(fig: go.Figure, title: str = "OptViz") -> bytes:
    """The figure as one HTML file with plotly.js embedded (about 5 MB): opens and plays offline.

    The animation does not start by itself. The race map's invisible grid of start points loses
    its "click to start here" hover, since a saved file cannot start a new race.
    """
    spec = fig.to_dict()
    data = spec.get("data") or []
    if len(data) > PICK_TRACE and data[PICK_TRACE].get("name") == "pick":
        data = list(data)
        data[PICK_TRACE] = {**data[PICK_TRACE], "hoverinfo": "skip", "hovertemplate": None}
        spec = {**spec, "data": data}
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


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
    return list(zip((cx + radii * np.cos(angles)).tolist(), (cy + radii * np.sin(angles)).tolist()))


class RaceCanvas:
    """The race map of a Trajectory drawn with Pillow: the static background once, paths per step.

    ``supersample`` draws everything that many times larger (``frame_png`` uses 2, then shrinks
    the image, which smooths the lines). ``to_pixel`` maps surface coordinates to pixels of the
    final ``width`` × ``height`` image.
    """

    def __init__(self, traj: Trajectory, *, lang: str = "en", width: int = 900, height: int = 700,
                 supersample: int = 1):
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(LANGUAGES)} (got {lang!r})")
        if not (isinstance(width, int) and isinstance(height, int) and 200 <= width <= 4000
                and 150 <= height <= 4000):
            raise ValueError(f"width and height must be whole numbers in [200, 4000] and [150, 4000] "
                             f"(got {width!r} × {height!r})")
        self.traj, self.lang, self.ss = traj, lang, int(supersample)
        self.width, self.height = width, height
        s = self.ss
        u = s * min(width, height) / 700  # one "point" in pixels
        self.u = u
        self.W, self.H = width * s, height * s
        self.font_size = max(int(round(14 * u)), 8 * s)
        self.small_size = max(int(round(12 * u)), 7 * s)
        surface = traj.surface
        (self.x0, self.x1), (self.y0, self.y1) = surface.bounds

        # top: title row, then legend rows; left: y ticks; bottom: x ticks; right: colour bar
        pad = round(10 * u)
        self.pad = pad
        title_h = round(self.font_size * 1.6)
        legend = self._legend_items()
        self._legend_rows = self._wrap_legend(legend, self.W - 2 * pad)
        legend_h = len(self._legend_rows) * round(self.small_size * 1.6)
        top = pad + title_h + legend_h + round(6 * u)
        left = pad + self._text_width(self._tick_texts(self.y0, self.y1), self.small_size) + round(8 * u)
        bottom = pad + round(self.small_size * 1.5) + round(4 * u)
        right = pad + round(16 * u) + round(6 * u) + self._text_width(["0.000e+00"], self.small_size)
        avail_w, avail_h = self.W - left - right, self.H - top - bottom
        if avail_w < 20 or avail_h < 20:
            raise ValueError(f"{width} × {height} leaves no room for the map")
        per_unit = min(avail_w / (self.x1 - self.x0), avail_h / (self.y1 - self.y0))
        pw, ph = int(round(per_unit * (self.x1 - self.x0))), int(round(per_unit * (self.y1 - self.y0)))
        bl, bt = left + (avail_w - pw) // 2, top + (avail_h - ph) // 2
        self.box = (bl, bt, bl + pw, bt + ph)  # plot area in supersampled pixels, right/bottom exclusive
        self.title_y = pad
        self.legend_y = pad + title_h
        self._sx, self._sy = pw / (self.x1 - self.x0), ph / (self.y1 - self.y0)
        margin = 2.0 * max(pw, ph)
        self._clip_lo, self._clip_hi = np.array([-margin, -margin]), np.array([pw + margin, ph + margin])
        self.background = self._draw_background(legend)

    # ------------------------------------------------------------------ geometry and text

    def _local(self, points) -> np.ndarray:
        """Surface coordinates ``(..., 2)`` -> pixels of the plot area (supersampled)."""
        p = np.asarray(points, dtype=float)
        return np.stack([(p[..., 0] - self.x0) * self._sx, (self.y1 - p[..., 1]) * self._sy], axis=-1)

    def to_pixel(self, points) -> np.ndarray:
        """Surface coordinates ``(..., 2)`` -> ``(column, row)`` pixels of the final image."""
        local = self._local(points)
        return (local + np.array(self.box[:2], dtype=float)) / self.ss

    def font(self, text: str, size: int):
        return _font(self.lang == "zh" or _is_cjk(text), size)

    def _text_width(self, texts, size: int) -> int:
        return int(max((self.font(x, size).getlength(x) for x in texts), default=0))

    def _tick_texts(self, lo: float, hi: float) -> list[str]:
        return [f"{v:g}" for v in _nice_ticks(lo, hi)]

    def _legend_items(self) -> list[tuple[str, str, str]]:
        """(kind, colour, text) per legend entry."""
        traj, lang = self.traj, self.lang
        items = [("line", COLORS[run % len(COLORS)], traj.labels[run]) for run in range(traj.runs)]
        if traj.surface.minima:
            items.append(("star", GOLD, t("plot.minimum", lang)))
        if traj.surface.saddles:
            items.append(("cross", GREY, t("plot.saddle", lang)))
        items.append(("ring", INK, t("plot.start", lang)))
        return items

    def _legend_width(self, item) -> float:
        return 28 * self.u + self.font(item[2], self.small_size).getlength(item[2]) + 18 * self.u

    def _wrap_legend(self, items, room: float) -> list[list]:
        rows, row, used = [], [], 0.0
        for item in items:
            w = self._legend_width(item)
            if row and used + w > room:
                rows.append(row)
                row, used = [], 0.0
            row.append(item)
            used += w
        return rows + ([row] if row else [])

    # ---------------------------------------------------------------------------- background

    def _field(self) -> tuple[np.ndarray, float, float, float, float]:
        """Contour bands as an RGB array over the plot area, with the colour bar's lo, hi, floor, δ."""
        bl, bt, br, bb = self.box
        pw, ph = br - bl, bb - bt
        s = self.ss
        field = contour_field(self.traj.surface, max(pw // s, 2), max(ph // s, 2),
                              ((self.x0, self.x1), (self.y0, self.y1)))
        image = Image.fromarray(field.rgb, "RGB")  # evaluated at the final resolution, then enlarged
        if image.size != (pw, ph):
            image = image.resize((pw, ph), Image.Resampling.NEAREST if s > 1 else Image.Resampling.BILINEAR)
        return np.asarray(image), field.lo, field.hi, field.floor, field.delta

    def _draw_background(self, legend) -> Image.Image:
        u, s = self.u, self.ss
        img = Image.new("RGB", (self.W, self.H), WHITE)
        draw = ImageDraw.Draw(img)
        field, lo, hi, floor, delta = self._field()
        bl, bt, br, bb = self.box
        img.paste(Image.fromarray(field, "RGB"), (bl, bt))
        small, normal = self.small_size, self.font_size
        tick = round(5 * u)

        # axes: frame, ticks, labels
        draw.rectangle((bl - 1, bt - 1, br, bb), outline=GREY, width=max(1, s))
        for v in _nice_ticks(self.x0, self.x1):
            x = bl + (v - self.x0) * self._sx
            draw.line((x, bb, x, bb + tick), fill=GREY, width=max(1, s))
            draw.text((x, bb + tick + round(2 * u)), f"{v:g}", fill=INK, font=self.font("", small), anchor="mt")
        for v in _nice_ticks(self.y0, self.y1):
            y = bt + (self.y1 - v) * self._sy
            draw.line((bl - tick, y, bl, y), fill=GREY, width=max(1, s))
            draw.text((bl - tick - round(3 * u), y), f"{v:g}", fill=INK, font=self.font("", small), anchor="rm")

        # colour bar: the same bands, labelled in loss units as plots._contour does
        cx0 = br + round(12 * u)
        cx1 = cx0 + round(12 * u)
        bar_h = bb - bt
        rows = np.floor((1 - (np.arange(bar_h) + 0.5) / bar_h) * LEVELS).clip(0, LEVELS - 1) / LEVELS
        bar = np.repeat(colormap(rows)[:, None, :], cx1 - cx0, axis=1)
        img.paste(Image.fromarray(bar, "RGB"), (cx0, bt))
        draw.rectangle((cx0 - 1, bt - 1, cx1, bb), outline=GREY, width=max(1, s))
        top = abs(10**hi - delta + floor)
        for v in np.linspace(lo, hi, 6):
            y = bb - (v - lo) / (hi - lo) * bar_h
            loss = 10**v - delta + floor
            loss = 0.0 if abs(loss) < 1e-9 * top else loss  # -8.7e-19 is rounding; say 0
            draw.line((cx1, y, cx1 + tick, y), fill=GREY, width=max(1, s))
            draw.text((cx1 + tick + round(2 * u), y), f"{loss:.3g}", fill=INK, font=self.font("", small),
                      anchor="lm")

        # landmarks, under the paths as in the interactive map
        layer = img.crop(self.box)
        ld = ImageDraw.Draw(layer)
        for x, y in self._local(np.asarray(self.traj.surface.minima, dtype=float).reshape(-1, 2)):
            ld.polygon(_star(x, y, 8 * u), fill=GOLD, outline="#000000", width=max(1, s))
        for x, y in self._local(np.asarray(self.traj.surface.saddles, dtype=float).reshape(-1, 2)):
            r = 6 * u
            ld.line((x - r, y - r, x + r, y + r), fill=GREY, width=max(1, round(2.5 * u)))
            ld.line((x - r, y + r, x + r, y - r), fill=GREY, width=max(1, round(2.5 * u)))
        x, y = self._local(self.traj.positions[0, 0])
        r = 7 * u
        ld.ellipse((x - r, y - r, x + r, y + r), outline=INK, width=max(1, round(2 * u)))
        img.paste(layer, self.box[:2])

        # title and legend
        surface = self.traj.surface
        params = ", ".join(f"{k} {v:g}" for k, v in surface.params.items())
        typed = source_of(surface)
        title = f"f(x, y) = {typed}" if typed else surface.name + (f" ({params})" if params else "")
        font = self.font(title, normal)
        if font.getlength(title) > 0.6 * self.W:  # leave room for the step counter
            while len(title) > 1 and font.getlength(title + "…") > 0.6 * self.W:
                title = title[:-1]
            title += "…"
        draw.text((self.pad, self.title_y), title, fill=INK, font=font)
        y = self.legend_y
        row_h = round(self.small_size * 1.6)
        for row in self._legend_rows:
            x = self.pad
            cy = y + row_h / 2
            for kind, color, text in row:
                sx = x + 12 * u
                if kind == "line":
                    draw.line((x, cy, x + 24 * u, cy), fill=color, width=max(1, round(3 * u)))
                    draw.ellipse((sx - 4 * u, cy - 4 * u, sx + 4 * u, cy + 4 * u), fill=color)
                elif kind == "star":
                    draw.polygon(_star(sx, cy, 7 * u), fill=color, outline="#000000", width=max(1, s))
                elif kind == "cross":
                    r = 5 * u
                    draw.line((sx - r, cy - r, sx + r, cy + r), fill=color, width=max(1, round(2.5 * u)))
                    draw.line((sx - r, cy + r, sx + r, cy - r), fill=color, width=max(1, round(2.5 * u)))
                else:
                    draw.ellipse((sx - 6 * u, cy - 6 * u, sx + 6 * u, cy + 6 * u), outline=color,
                                 width=max(1, round(2 * u)))
                draw.text((x + 28 * u, cy), text, fill=INK, font=self.font(text, small), anchor="lm")
                x += self._legend_width((kind, color, text))
            y += row_h
        return img

    # ----------------------------------------------------------------------------- foreground

    def step_text(self, step: int) -> str:
        return f"{t('plot.step', self.lang)} {step} / {self.traj.steps}"

    def draw_step(self, draw: ImageDraw.ImageDraw, step: int, ink) -> None:
        text = self.step_text(step)
        draw.text((self.W - self.pad, self.title_y), text, fill=ink(INK), font=self.font(text, self.font_size),
                  anchor="ra")

    def end_of(self, run: int, step: int) -> int:
        """The last step of ``run`` drawn at ``step``: a stopped run stays at its last valid point."""
        return min(step, int(self.traj.last_step[run]))

    def draw_paths(self, draw: ImageDraw.ImageDraw, ink, step: int, since: int = 0) -> None:
        """Draw each run's path from step ``since`` to ``step`` onto the plot area (local pixels)."""
        u = self.u
        width = max(1, round(3.2 * u))
        dot = 1.8 * u
        for run in range(self.traj.runs):
            end = self.end_of(run, step)
            first = min(since, end)
            if end <= first:
                continue
            pts = self._local(self.traj.positions[first: end + 1, run])  # (k, 2)
            fill = ink(COLORS[run % len(COLORS)])
            for line in polylines(pts, self._clip_lo, self._clip_hi):
                draw.line(line, fill=fill, width=width, joint="curve")
            if self.traj.last_step[run] <= 400:  # few enough points to show every iterate
                for x, y in pts[1:]:
                    if -dot <= x <= self.box[2] - self.box[0] + dot and -dot <= y <= self.box[3] - self.box[1] + dot:
                        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=fill)

    def draw_heads(self, draw: ImageDraw.ImageDraw, ink, step: int) -> None:
        """The current point of every run; a red ✕ and its status once a run has diverged."""
        u = self.u
        pw, ph = self.box[2] - self.box[0], self.box[3] - self.box[1]
        for run in range(self.traj.runs):
            end = self.end_of(run, step)
            died = self.traj.status[run] == DIVERGED and step >= self.traj.stop_step[run]
            if died:  # a run that left the map gets its ✕ where its path last crossed the map's edge
                x, y = self._exit_point(self._local(self.traj.positions[: end + 1, run]))
            else:
                x, y = self._local(self.traj.positions[end, run])
            r = 7 * u if died else 5.5 * u
            keep = r if died else -50 * u
            x, y = float(np.clip(x, keep, pw - keep)), float(np.clip(y, keep, ph - keep))
            if died:
                for dx in (-1, 1):
                    draw.line((x - r, y - dx * r, x + r, y + dx * r), fill=ink(WHITE), width=max(1, round(5 * u)))
                    draw.line((x - r, y - dx * r, x + r, y + dx * r), fill=ink(RED), width=max(1, round(3 * u)))
                text = status_text(self.traj, run, self.lang)
                font = self.font(text, self.small_size)
                half = font.getlength(text) / 2
                tx = float(np.clip(x, half + 2 * u, pw - half - 2 * u)) if pw > 2 * half + 4 * u else pw / 2
                ty = float(np.clip(y - r - 3 * u, self.small_size + 2 * u, ph))
                draw.text((tx, ty), text, fill=ink(RED), font=font, anchor="mb")
            else:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=ink(COLORS[run % len(COLORS)]), outline=ink(WHITE),
                             width=max(1, round(1.5 * u)))

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

    def frame(self, step: int) -> Image.Image:
        """The whole map at ``step`` as an RGB image of the supersampled size."""
        img = self.background.copy()
        layer = img.crop(self.box)
        draw = ImageDraw.Draw(layer)
        self.draw_paths(draw, _rgb, step)
        self.draw_heads(draw, _rgb, step)
        img.paste(layer, self.box[:2])
        self.draw_step(ImageDraw.Draw(img), step, _rgb)
        return img


def _check_step(traj: Trajectory, step: int | None) -> int:
    if step is None:
        return traj.steps
    if isinstance(step, bool) or int(step) != step or not 0 <= step <= traj.steps:
        raise ValueError(f"step must be a whole number in [0, {traj.steps}] (got {step!r})")
    return int(step)


def frame_png(traj: Trajectory, step: int | None = None, lang: str = "en", width: int = 900,
              height: int = 700) -> bytes:
    """The race map at ``step`` (default: the last) as PNG bytes of ``width`` × ``height`` pixels."""
    step = _check_step(traj, step)
    canvas = RaceCanvas(traj, lang=lang, width=width, height=height, supersample=2)
    image = canvas.frame(step).resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def race_gif(traj: Trajectory, lang: str = "en", frames: int = 60, fps: int = 20, width: int = 720,
             height: int = 560, hold_ms: int = 1500) -> bytes:
    """The race as an animated GIF that loops forever: ``frames`` frames from step 0 to the last
    (fewer if the race has fewer steps), ``fps`` per second, the last one held ``hold_ms`` longer."""
    if isinstance(frames, bool) or int(frames) != frames or not 2 <= frames <= 1000:
        raise ValueError(f"frames must be a whole number in [2, 1000] (got {frames!r})")
    if not 1 <= fps <= 50:
        raise ValueError(f"fps must be in [1, 50] (got {fps!r})")
    if not 0 <= hold_ms <= 60_000:
        raise ValueError(f"hold_ms must be in [0, 60000] (got {hold_ms!r})")
    canvas = RaceCanvas(traj, lang=lang, width=width, height=height, supersample=1)
    reserved = list(dict.fromkeys([*COLORS, RED, WHITE, INK, GOLD, GREY]))
    base = canvas.background.quantize(colors=256 - len(reserved), method=Image.Quantize.MEDIANCUT,
                                      dither=Image.Dither.NONE)
    palette = (base.getpalette() or [])[: 3 * (256 - len(reserved))]
    palette += [0] * (3 * (256 - len(reserved)) - len(palette))
    index = {}
    for i, color in enumerate(reserved):
        index[color] = 256 - len(reserved) + i
        palette += list(_rgb(color))
    base.putpalette(palette)

    def ink(color: str) -> int:
        return index[color]

    trail = base.crop(canvas.box)  # the paths so far, drawn once each
    trail_draw = ImageDraw.Draw(trail)
    images, drawn = [], 0
    for step in frame_steps(traj.steps, frames - 1):
        step = int(step)
        canvas.draw_paths(trail_draw, ink, step, since=drawn)
        drawn = step
        layer = trail.copy()
        canvas.draw_heads(ImageDraw.Draw(layer), ink, step)
        image = base.copy()
        image.paste(layer, canvas.box[:2])
        canvas.draw_step(ImageDraw.Draw(image), step, ink)
        images.append(image)
    ms = int(round(1000 / fps))
    durations = [ms] * (len(images) - 1) + [ms + int(hold_ms)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=False)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ render


def render(config: RaceConfig, path: str | os.PathLike, lang: str = "en", step: int | None = None) -> Path:
    """Run ``config`` and write ``path``; its suffix picks the file: ``.gif`` (animation), ``.png``
    (the map at ``step``, default the last), ``.html`` (interactive race map, offline) or ``.csv``.

    Raises ValueError for a bad config, suffix, language or step (the message names it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"the output file must end in {', '.join(SUFFIXES)} (got {path.name!r})")
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)} (got {lang!r})")
    if step is not None and suffix != ".png":
        raise ValueError(f"step applies to .png only (got {suffix})")
    traj = run_race(config)
    if suffix == ".csv":
        data = trajectories_csv(traj)
    elif suffix == ".html":
        data = standalone_html(race_figure(traj, lang=lang), title=f"OptViz · {traj.surface.name}")
    elif suffix == ".png":
        data = frame_png(traj, step, lang=lang)
    else:
        data = race_gif(traj, lang=lang)
    path.write_bytes(data)
    return path


__all__ = ["FontWarning", "RaceCanvas", "colormap", "font_file", "frame_png", "polylines", "race_gif", "render",
           "standalone_html", "trajectories_csv"]
