"""Exports: CSV reads back, HTML plays offline, the slide (PNG), GIF and MP4 show the paths where they are,
readably: colour-bar labels from ``colour_bar``, contrast measured on the pixels, landmarks on top."""
from __future__ import annotations

import io
import re
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from optviz.figures import export
from optviz.figures.contour_image import band_colors, colour_bar
from optviz.figures.contrast import contrast_ratio, luminance
from optviz.figures.export import (FontWarning, MissingPackageError, RaceCanvas, animation_steps, font_file,
                                   frame_png, polylines, race_gif, race_mp4, render, standalone_html,
                                   trajectories_csv)
from optviz.figures.palette import CASING_DARK, CASING_LIGHT, MINIMUM_FILL, path_color
from optviz.figures.race import race_figure
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.trajectory import DIVERGED, RUNNING, Trajectory
from surfaces import get_surface

RACE = RaceConfig(surface="rosenbrock", steps=500, optimizers=(
    OptimizerConfig("sgd").with_values(lr=0.001), OptimizerConfig("momentum").with_values(lr=0.001),
    OptimizerConfig("adam").with_values(lr=0.05), OptimizerConfig("sgd", label="SGD lr 0.05").with_values(lr=0.05)))
BLUE = tuple(int(path_color(0)[i: i + 2], 16) for i in (1, 3, 5))
RED = (0xD6, 0x27, 0x28)
GOLD = tuple(int(MINIMUM_FILL[i: i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def race() -> Trajectory:
    traj = run_race(RACE)
    assert traj.status[3] == DIVERGED  # the big-lr SGD blows up: the exports must cope
    return traj


def walk(points) -> Trajectory:
    """One run through the given points on the quadratic bowl (minimum at the origin): we know where it is."""
    surface = get_surface("quadratic")
    positions = np.asarray(points, dtype=float)[:, None, :]  # (steps+1, 1, 2)
    return Trajectory(surface=surface, labels=("line",), optimizers=("sgd",), positions=positions,
                      loss=surface.value(positions), grad=surface.grad(positions),
                      status=np.array([RUNNING], dtype=object), stop_step=np.array([-1]))


def straight_line(steps: int = 10, y: float = 0.5) -> Trajectory:
    """Along the height y from x = -1.5 to x = 1.5."""
    x = np.linspace(-1.5, 1.5, steps + 1)
    return walk(np.stack([x, np.full_like(x, y)], axis=-1))


def close(pixel, color, tolerance: int = 40) -> bool:
    return all(abs(int(p) - c) <= tolerance for p, c in zip(pixel[:3], color))


def png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)


# ------------------------------------------------------------------------------------------ CSV, HTML


def test_csv_reads_back_the_same_numbers(race):
    frame = pd.read_csv(io.BytesIO(trajectories_csv(race)))
    expected = race.to_frame()
    assert list(frame.columns) == list(expected.columns) and len(frame) == (race.steps + 1) * race.runs
    for column in expected.columns:
        if expected[column].dtype.kind in "fi":
            assert np.array_equal(frame[column].to_numpy(), expected[column].to_numpy(), equal_nan=True), column
        else:
            assert frame[column].tolist() == expected[column].tolist(), column


def test_html_is_standalone_and_carries_the_frames(race):
    fig = race_figure(race)
    html = standalone_html(fig, title="OptViz <race>").decode("utf-8")
    assert "Plotly.newPlot" in html and "plotly.js v" in html  # the library itself is inside
    assert not re.search(r"<script[^>]*\bsrc\s*=", html)  # nothing to fetch
    assert '<script src="http' not in html
    names = [frame["name"] for frame in fig.to_dict()["frames"]]
    assert len(names) > 10
    for name in names:
        assert re.search(rf'"name":\s*"{name}"', html), name
    assert "Plotly.animate(" not in html  # does not start playing by itself
    assert "<title>OptViz &lt;race&gt;</title>" in html
    assert "click to start here" not in html  # a saved file cannot start a race


# ------------------------------------------------------------------------------------------------ PNG


def test_png_is_a_1080p_slide_or_4k_and_draws_the_path_where_it_is():
    traj = straight_line()
    canvas = RaceCanvas(traj, supersample=2)  # the same layout frame_png uses
    on_path = canvas.to_pixel([0.15, 0.5]).round().astype(int)  # between two iterates, on the segment
    start = canvas.to_pixel([-1.5, 0.5]).round().astype(int)
    drawn = Image.open(io.BytesIO(frame_png(traj, 10)))
    bare = Image.open(io.BytesIO(frame_png(traj, 0)))
    assert drawn.format == "PNG" and drawn.size == (1920, 1080)
    assert close(drawn.getpixel(tuple(on_path)), BLUE)
    assert not close(bare.getpixel(tuple(on_path)), BLUE, 80)  # at step 0 the segment is not drawn yet
    assert close(bare.getpixel(tuple(start)), BLUE)  # ...but the current point sits on the start
    away = canvas.to_pixel([0.15, -1.0]).round().astype(int)
    assert drawn.getpixel(tuple(away)) == bare.getpixel(tuple(away))  # elsewhere nothing changed
    big = Image.open(io.BytesIO(frame_png(traj, 10, scale=2)))
    assert big.size == (3840, 2160)
    assert close(big.getpixel(tuple(2 * on_path)), BLUE)  # the same layout, twice as large
    with pytest.raises(ValueError, match="scale"):
        frame_png(traj, scale=3)


def test_slide_text_is_projector_sized_and_the_legend_names_each_contestant_in_its_colour(race):
    # ≥ 16 px tick labels on a 1080p slide and on a 720p video (26 and 17); the title larger still.
    slide, video = RaceCanvas(race, supersample=2), RaceCanvas(race, width=1280, height=720)
    assert slide.tick_size / 2 >= 16 and video.tick_size >= 16 and slide.title_size > slide.tick_size
    image = png(frame_png(race, 100))
    row_h = round(slide.legend_size * 1.7)
    for run, label in enumerate(race.labels):
        assert slide._legend[run][1:] == (path_color(run), label)
        x, y = (slide.legend_x + 22 * slide.u) / 2, (slide.box[1] + (run + 0.5) * row_h) / 2  # the sample's core
        colour = tuple(int(path_color(run)[i: i + 2], 16) for i in (1, 3, 5))
        assert close(image[int(round(y)), int(round(x))], colour), label


def test_colour_bar_labels_in_the_png_are_colour_bars(monkeypatch):
    # The slide's labels are the texts colour_bar() returns for the slide's field, drawn where the canvas
    # says: a rendering of each expected text alone matches the PNG there to within 2 levels of 255
    # (LANCZOS of the same pixels: equal up to rounding), and a wrong text (the next label) does not.
    traj = straight_line()
    calls = []
    monkeypatch.setattr(export, "colour_bar", lambda field, count=6: calls.append(field) or colour_bar(field, count))
    image = png(frame_png(traj, 10))
    canvas = RaceCanvas(traj, supersample=2)
    assert len(calls) == 2  # the PNG's canvas, then this one: each asked colour_bar for its own field
    assert np.array_equal(calls[0].rgb, canvas.field.rgb) and calls[0][1:] == canvas.field[1:]
    labels = [label for _, label in colour_bar(canvas.field)]
    assert [label for _, _, label in canvas.bar_labels] == labels and len(set(labels)) == 6
    font = canvas.font("", canvas.tick_size)
    longest = int(max(font.getlength(label) for label in labels)) // 2  # beyond it: the bar's turned title
    for i, (x, y, label) in enumerate(canvas.bar_labels):

        def alone(text: str) -> np.ndarray:
            ref = Image.new("RGB", (canvas.W, canvas.H), "white")
            ImageDraw.Draw(ref).text((x, y), text, fill=export.INK, font=font, anchor="lm")
            return np.asarray(ref.resize((canvas.width, canvas.height), Image.Resampling.LANCZOS), dtype=int)

        left, top = int(x // 2) + 1, int(y // 2) - canvas.tick_size // 4
        box = (slice(top, top + canvas.tick_size // 2), slice(left, left + longest))
        assert np.abs(image[box] - alone(label)[box]).max() <= 2, label
        wrong = labels[(i + 1) % len(labels)]
        assert np.abs(image[box] - alone(wrong)[box]).max() > 60, (label, wrong)


def test_map_bands_in_the_png_differ_at_least_7_to_1():
    # Pixels of the map that are exactly a band's colour (band interiors; edges, marks and smoothed
    # pixels are not) and that cover at least 20 pixels: the darkest and the lightest of those bands,
    # measured on the PNG, differ ≥ 7:1. On Rosenbrock every band shows (its floor is the valley), so
    # this measures the scale's full 12.6:1; on bowls the palest bands round the minimum are thinner
    # than a pixel and the bands in view span 6–8:1 (quadratic 7.7, Himmelblau 6.3).
    traj = run_race(RaceConfig(surface="rosenbrock", steps=5, optimizers=(OptimizerConfig("adam"),)))
    canvas = RaceCanvas(traj, supersample=2)
    left, top, right, bottom = canvas.map_box
    area = png(frame_png(traj, 0))[top + 3: bottom - 3, left + 3: right - 3].reshape(-1, 3)
    counts = np.array([np.sum(np.all(area == colour, axis=1)) for colour in band_colors()])
    shown = band_colors()[counts >= 20]
    lum = luminance(shown)
    ratio = contrast_ratio(shown[np.argmin(lum)], shown[np.argmax(lum)])
    print(f"\nband contrast measured on the slide: {ratio:.2f}:1 over {len(shown)} bands")
    assert len(shown) >= 10 and ratio >= 7.0
    # most of the map is band interiors (71 % here: each 1-px edge, smoothed, touches about 3 px)
    assert counts.sum() >= 0.6 * len(area)


def test_path_casing_stands_out_3_to_1_on_the_map_under_it():
    # A path at y = 0.05 on the bowl crosses the light bands round the minimum and the dark ones far
    # out. In every pixel column along it, the slide shows both casing colours (within 12 levels: the
    # smoothing leaves pure pixels in strokes 4–5 px wide), and against each map pixel under the path
    # (the same pixels at step 0, when no path is drawn there) one of them has ≥ 3:1.
    traj = straight_line(y=0.05)
    canvas = RaceCanvas(traj, supersample=2)
    drawn, bare = png(frame_png(traj, 10)), png(frame_png(traj, 0))
    row = int(round(canvas.to_pixel([0.0, 0.05])[1]))
    star = canvas.to_pixel([0.0, 0.0])
    columns = [int(round(canvas.to_pixel([x, 0.05])[0])) for x in np.linspace(-1.2, 1.4, 120)]
    columns = [c for c in columns if abs(c - star[0]) > 40]  # the ★ sits on top of the path there
    dark, light = np.array(export._rgb(CASING_DARK)), np.array(export._rgb(CASING_LIGHT))
    worst, one, spread = [], [], []
    for c in columns:
        profile = drawn[row - 14: row + 15, c]  # (29, 3) across the path
        under = bare[row - 14: row + 15, c]
        has_dark = np.any(np.abs(profile - dark).max(axis=1) <= 12)
        has_light = np.any(np.abs(profile - light).max(axis=1) <= 12)
        assert has_dark and has_light, c
        worst.append(np.maximum(contrast_ratio(CASING_DARK, under), contrast_ratio(CASING_LIGHT, under)).min())
        one.append(max(contrast_ratio(CASING_DARK, under).min(), contrast_ratio(CASING_LIGHT, under).min()))
        spread.extend(luminance(under).tolist())
    print(f"\ncasing vs map under the path: worst pixel {min(worst):.2f}:1 over {len(columns)} columns; "
          f"one casing colour against a whole column: worst {min(one):.2f}:1")
    assert min(worst) >= 3.0  # per map pixel: black or white, the better one (≥ 4.58 in theory)
    assert min(one) >= 3.0  # even one colour for the whole 29-px column, band edges included
    assert (max(spread) + 0.05) / (min(spread) + 0.05) >= 4.0  # the path did cross light and dark bands


def test_the_minimum_star_shows_when_a_run_ends_on_it():
    # The run ends exactly on the minimum: its current point (a blue disc of radius 9 px, cased to 13.5)
    # lies under the ★, whose centre pixel stays gold (within 40 levels for the smoothing).
    traj = walk([[-1.5, 0.5], [-1.0, 0.3], [-0.5, 0.1], [0.0, 0.0]])
    canvas = RaceCanvas(traj, supersample=2)
    x, y = canvas.to_pixel([0.0, 0.0]).round().astype(int)
    image = png(frame_png(traj))
    assert close(image[y, x], GOLD) and close(image[y - 4, x], GOLD)
    assert np.sum(np.all(np.abs(image[y - 30: y + 30, x - 30: x + 30] - BLUE) <= 40, axis=-1)) > 20  # the run's there
    gif = Image.open(io.BytesIO(race_gif(traj)))
    gif.seek(gif.n_frames - 1)
    small = RaceCanvas(traj, width=1280, height=720)
    gx, gy = small.to_pixel([0.0, 0.0]).round().astype(int)
    assert tuple(np.asarray(gif.convert("RGB"))[gy, gx]) == GOLD


def test_png_of_a_diverged_run_ends_in_a_red_cross(race):
    stop = int(race.stop_step[3])
    for step in (0, 1, stop, race.steps):
        image = Image.open(io.BytesIO(frame_png(race, step))).convert("RGB")
        reds = np.sum(np.all(np.abs(np.asarray(image, dtype=int) - RED) <= 20, axis=-1))
        assert (reds > 30) == (step >= stop), step


def test_png_in_chinese_uses_a_cjk_font(race):
    export._font.cache_clear()  # fonts are loaded once: make this test load them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = frame_png(race, 100, lang="zh", width=500, height=400)
    assert Image.open(io.BytesIO(data)).size == (500, 400)
    fell_back = any(issubclass(w.category, FontWarning) for w in caught)
    assert fell_back == (font_file(True) is None)  # a warning exactly when no CJK font exists


def test_a_chinese_lesson_title_is_drawn_in_glyphs(race):
    # The title row's dark pixels match, column for column (±1 px at either end: shrinking the 2×
    # drawing rounds), the title drawn alone in the CJK font; and that font really has the glyphs
    # (Pillow's fallback draws every Chinese character as the same box).
    assert font_file(True) is not None, ("no CJK font: install fonts-noto-cjk (.ci/install-test-deps does), "
                                         "or Chinese titles are drawn as boxes")
    lesson = "第一课：动量为何冲过谷底"
    image = png(frame_png(race, 100, lang="zh", lesson_title=lesson))
    canvas = RaceCanvas(race, lang="zh", supersample=2, lesson_title=lesson)
    assert canvas.title.startswith(lesson + " — Rosenbrock 函数")
    font = canvas.font(canvas.title, canvas.title_size)
    alone = Image.new("RGB", (canvas.W, canvas.H), "white")
    ImageDraw.Draw(alone).text((canvas.pad, canvas.title_y), canvas.title, fill=export.INK, font=font)
    alone = np.asarray(alone.resize((canvas.width, canvas.height), Image.Resampling.LANCZOS), dtype=int)
    rows, cols = slice(0, (canvas.pad + int(canvas.title_size * 1.35)) // 2), slice(0, canvas.width // 2)
    ink = np.flatnonzero((image[rows, cols].max(axis=2) < 128).any(axis=0))  # columns with dark pixels
    expected = np.flatnonzero((alone[rows, cols].max(axis=2) < 128).any(axis=0))
    assert ink.size > 300 and abs(ink[0] - expected[0]) <= 1 and abs(ink[-1] - expected[-1]) <= 1
    masks = {ch: np.asarray(font.getmask(ch)).tobytes() for ch in "课动量"}
    assert len(set(masks.values())) == 3 and all(any(m) for m in masks.values())


@pytest.mark.parametrize("step", [-1, 501, 2.5, True])
def test_png_refuses_steps_outside_the_race(race, step):
    with pytest.raises(ValueError, match="step"):
        frame_png(race, step)


def test_polylines_are_clipped_at_the_box():
    lo, hi = np.array([0.0, 0.0]), np.array([100.0, 100.0])
    pts = np.array([[10, 10], [20, 20], [30, 10], [1e12, 10], [2e12, 5e11]], dtype=float)
    lines = polylines(pts, lo, hi)
    assert lines[0] == [(10, 10), (20, 20), (30, 10)]
    assert lines[1] == [(30, 10), (100, 10)]  # cut where it leaves the box; the far segment is dropped
    assert len(lines) == 2
    assert polylines(pts[:1], lo, hi) == []


# ------------------------------------------------------------------------------------------------ GIF


def test_gif_has_the_frames_loops_and_the_path_grows():
    traj = straight_line(steps=60)
    data = race_gif(traj, frames=24, fps=10, width=400, height=320)
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF" and gif.size == (400, 320)
    assert gif.n_frames == 24 and gif.info["loop"] == 0 and gif.info["duration"] == 100
    blue = []
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        rgb = np.asarray(gif.convert("RGB"), dtype=int)
        frames.append(rgb)
        blue.append(int(np.sum(np.all(rgb == BLUE, axis=-1))))
    assert all(b >= a for a, b in zip(blue, blue[1:])) and blue[-1] > 3 * blue[0]  # the path grows
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_gif_of_a_race_with_a_diverged_run(race):
    start = time.perf_counter()
    data = race_gif(race)  # 60 frames, 1280 × 720
    elapsed = time.perf_counter() - start
    print(f"\n60-frame GIF of a 500-step, 4-optimizer race: {elapsed:.2f} s, {len(data) / 1e6:.2f} MB")
    gif = Image.open(io.BytesIO(data))
    assert gif.n_frames == 60 and gif.info["loop"] == 0 and gif.size == (1280, 720)
    gif.seek(59)
    last = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.sum(np.all(last == RED, axis=-1)) > 20  # the red cross and its words


def test_animations_show_every_step_of_a_short_race_else_n_spread_evenly():
    assert animation_steps(12, 60).tolist() == list(range(13))
    assert animation_steps(59, 60).tolist() == list(range(60))
    steps = animation_steps(500, 60)
    gaps = np.diff(steps)
    assert len(steps) == 60 and steps[0] == 0 and steps[-1] == 500
    assert gaps.min() >= 8 and gaps.max() <= 9  # 500 / 59 = 8.47, rounded either way


def test_every_gif_frame_shows_its_exact_step_number():
    # The counter drawn on frame i is the text "step k / 20" for k = animation_steps(20, 8)[i]: the GIF's
    # ink pixels in the counter's corner equal those of that text drawn alone, with the same font, in
    # palette mode (no smoothing), so equality is exact.
    traj = straight_line(steps=20)
    gif = Image.open(io.BytesIO(race_gif(traj, frames=8)))
    canvas = RaceCanvas(traj, width=1280, height=720)
    steps = animation_steps(20, 8).tolist()
    assert gif.n_frames == len(steps) == 8 and len(set(steps)) == 8
    rows, cols = slice(0, canvas.pad + round(canvas.title_size * 1.35)), slice(canvas.W // 2, canvas.W)  # title row
    ink = np.array(export._rgb(export.INK))
    for i, step in enumerate(steps):
        gif.seek(i)
        shown = np.all(np.asarray(gif.convert("RGB"), dtype=int)[rows, cols] == ink, axis=-1)
        alone = Image.new("P", (canvas.W, canvas.H), 0)
        canvas.draw_step(ImageDraw.Draw(alone), step, lambda colour: 1)
        expected = np.asarray(alone)[rows, cols] == 1
        assert expected.sum() > 50 and np.array_equal(shown, expected), step


def test_mp4_has_the_frames_and_size(tmp_path):
    import imageio.v2 as imageio  # in requirements.txt (the MP4 export's): a missing one fails here, never skips
    traj = straight_line(steps=30)
    for frames, shown in ((20, 20), (300, 31)):  # 31 steps > 20 frames: 20 spread; ≤ 300: every step
        data = race_mp4(traj, frames=frames, fps=10, hold_ms=500)  # + 5 frames holding the end
        assert data[4:8] == b"ftyp"
        (tmp_path / "race.mp4").write_bytes(data)
        reader = imageio.get_reader(tmp_path / "race.mp4", format="FFMPEG")  # decoded by the ffmpeg binary
        try:
            images = [np.asarray(image) for image in reader]
        finally:
            reader.close()
        assert len(images) == shown + 5 and images[0].shape == (720, 1280, 3)
    with pytest.raises(ValueError, match="even"):
        race_mp4(traj, width=1281)


def test_mp4_without_imageio_says_what_to_install(tmp_path, monkeypatch):
    for name in ("imageio", "imageio.v2", "imageio_ffmpeg"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    monkeypatch.setattr(export, "run_race", lambda config: pytest.fail("the race ran before the check"))
    with pytest.raises(MissingPackageError, match="imageio and imageio-ffmpeg") as caught:
        render(RaceConfig(), tmp_path / "race.mp4")
    assert isinstance(caught.value, ValueError) and "pip install imageio imageio-ffmpeg" in str(caught.value)
    assert not (tmp_path / "race.mp4").exists()


@pytest.mark.parametrize("kwargs", [dict(frames=1), dict(fps=0), dict(width=10), dict(lang="fr")])
def test_gif_refuses_bad_settings(race, kwargs):
    with pytest.raises(ValueError):
        race_gif(race, **kwargs)


# --------------------------------------------------------------------------------------------- render


def test_render_writes_what_the_suffix_asks_for(tmp_path):
    config = RaceConfig(surface="ravine", steps=80, optimizers=(OptimizerConfig("momentum").with_values(lr=0.02),
                                                                OptimizerConfig("adam").with_values(lr=0.05)))
    render(config, tmp_path / "race.csv")
    assert len(pd.read_csv(tmp_path / "race.csv")) == 2 * 81
    render(config, tmp_path / "race.png", lang="zh", step=40, lesson_title="第一课")
    assert Image.open(tmp_path / "race.png").size == (1920, 1080)
    render(config, tmp_path / "race.GIF")
    assert Image.open(tmp_path / "race.GIF").n_frames == 60 and Image.open(tmp_path / "race.GIF").size == (1280, 720)
    render(config, tmp_path / "race.html")
    assert b"Plotly.newPlot" in (tmp_path / "race.html").read_bytes()
    with pytest.raises(ValueError, match=r"\.csv, \.html, \.png, \.gif, \.mp4"):
        render(config, tmp_path / "race.webm")
    with pytest.raises(ValueError, match="scale applies to .png only"):
        render(config, tmp_path / "race.gif", scale=2)
    with pytest.raises(ValueError, match="png only"):
        render(config, tmp_path / "race.gif", step=3)
    with pytest.raises(ValueError, match="step"):
        render(config, tmp_path / "race.png", step=81)
    with pytest.raises(ValueError, match="optimizer"):
        render(RaceConfig(), tmp_path / "race.png")


# ------------------------------------------------------------------------- an optimizer's own points

DARK, LIGHT = export._rgb(CASING_DARK), export._rgb(CASING_LIGHT)


def with_slow_weights(points, slow, optimizer: str = "lookahead") -> Trajectory:
    """``walk(points)`` as a Lookahead run whose slow weights are ``slow`` (steps+1, 2), NaN where absent.
    The label is longer than the point's name, so the legend (and the map beside it) keeps its width
    whether or not the point is listed."""
    traj = walk(points)
    return Trajectory(surface=traj.surface, labels=("Lookahead with a long label",), optimizers=(optimizer,),
                      positions=traj.positions, loss=traj.loss, grad=traj.grad, status=traj.status,
                      stop_step=traj.stop_step,
                      internals={"slow_weights": np.asarray(slow, dtype=float)[:, None, :]})


def map_pixel(canvas: RaceCanvas, x: float, y: float) -> tuple[float, float]:
    """(column, row) of surface point (x, y) from the map box and the bounds alone (not ``to_pixel``)."""
    left, top, right, bottom = canvas.map_box
    (x0, x1), (y0, y1) = canvas.traj.surface.bounds
    return left + (x - x0) / (x1 - x0) * (right - left), top + (y1 - y) / (y1 - y0) * (bottom - top)


def classes(pixels) -> list[str]:
    """Each pixel as "dark", "light", "core" (the first run's colour) or "other", equal runs merged."""
    names = []
    for pixel in pixels:
        name = {DARK: "dark", LIGHT: "light", BLUE: "core"}.get(tuple(int(v) for v in pixel[:3]), "other")
        if not names or names[-1] != name:
            names.append(name)
    return names


# The run walks along y = -1 from x = -1.5 to x = -0.5; its slow weights sit at (1, 1), far from the path
# and the minimum, so the tie from the run's current point comes in from the lower left and the
# marker's right and top edges are clear of everything else.
PATH = [[-1.5, -1.0], [-1.25, -1.0], [-1.0, -1.0], [-0.75, -1.0], [-0.5, -1.0]]
SLOW = [[1.0, 1.0]] * 5


def test_a_runs_own_point_is_drawn_where_it_is_in_its_colour_cased_and_named():
    # The live race marks the slow weights with a hollow square of half-size 12 px beside a head of
    # radius 9 px; the slide's head is 13.5 px (cased), so the square's half-size is 1.5 × 12 = 18 px on a
    # 1080p slide, 36 px at scale 2 (drawn without smoothing: exact colours). Its outline is cased like a
    # path: going outwards across an edge, dark, light, the run's colour, light, dark.
    traj = with_slow_weights(PATH, SLOW)
    canvas = RaceCanvas(traj, width=3840, height=2160)  # the layout frame_png(scale=2) draws
    left, top, right, bottom = canvas.map_box
    # to_pixel by hand: the bounds' corners are the map box's corners (exact: no supersampling here)
    assert np.allclose(canvas.to_pixel([[-2.0, 2.0], [2.0, -2.0]]), [[left, top], [right, bottom]], atol=1e-9)
    cx, cy = (int(round(v)) for v in map_pixel(canvas, 1.0, 1.0))  # within 0.5 px of the true centre
    image = png(frame_png(traj, 4, scale=2))
    half = 36
    right_ray = image[cy, cx + half - 12: cx + half + 13]  # across the right edge, outwards
    top_ray = image[cy - half + 12: cy - half - 13: -1, cx]  # across the top edge, outwards
    for ray in (right_ray, top_ray):
        assert classes(ray) == ["other", "dark", "light", "core", "light", "dark", "other"]
    assert not np.any(np.all(image[cy - 20: cy + 21, cx + 6: cx + 21] == BLUE, axis=-1))  # hollow: the map shows

    # the same frame of a run without map points (SGD, same path): nothing there
    plain = Trajectory(**{**traj.__dict__, "optimizers": ("sgd",)})
    bare = RaceCanvas(plain, width=3840, height=2160)
    bx, by = (int(round(v)) for v in map_pixel(bare, 1.0, 1.0))
    bare_image = png(frame_png(plain, 4, scale=2))
    for ray in (bare_image[by, bx + half - 12: bx + half + 13], bare_image[by - half + 12: by - half - 13: -1, bx]):
        assert classes(ray) == ["other"]

    # the legend names the point under its run, in both languages, with the same square in the run's colour
    assert canvas._legend[:2] == [("line", path_color(0), "Lookahead with a long label"),
                                  ("square", path_color(0), "φ: the slow weights")]
    assert RaceCanvas(traj, lang="zh")._legend[1] == ("square", path_color(0), "φ：慢权重")
    row = int(round(canvas.box[1] + 1.5 * round(canvas.legend_size * 1.7)))  # the second legend row's middle
    sample = image[row - 20: row + 21, int(canvas.legend_x): int(canvas.legend_x + 56 * canvas.u)]
    assert np.sum(np.all(sample == BLUE, axis=-1)) >= 20  # the small square's core (about 1.5 px × 4 × 18 px)

    # a GIF frame (1280 × 720, palette colours: exact) has the run's colour on the square's right edge,
    # 12 px out (2/3 of 18), within a pixel either way for the rounding of the centre and the 2-px stroke
    small = RaceCanvas(traj, width=1280, height=720)
    gx, gy = (int(round(v)) for v in map_pixel(small, 1.0, 1.0))
    gif = Image.open(io.BytesIO(race_gif(traj, frames=5)))
    gif.seek(4)
    frame = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.any(np.all(frame[gy - 1: gy + 2, gx + 11: gx + 14] == BLUE, axis=-1))
    assert np.any(np.all(frame[gy - 14: gy - 10, gx - 1: gx + 2] == BLUE, axis=-1))


def test_the_minimum_star_stays_above_a_point_on_it():
    # Slow weights 36 px (the square's half-size at scale 2) right of the minimum: the square's left edge
    # runs through the ★'s centre, its strokes covering 7.5 px either side. Drawn after the points, the
    # star keeps its gold fill there; the edge itself shows beyond the star.
    probe = with_slow_weights(PATH, SLOW)
    left, _, right, _ = RaceCanvas(probe, width=3840, height=2160).map_box
    offset = 36 / ((right - left) / 4.0)  # 36 px in surface units: the map is 4 units wide
    traj = with_slow_weights(PATH, [[offset, 0.0]] * 5)
    cx, cy = (int(round(v)) for v in map_pixel(RaceCanvas(traj, width=3840, height=2160), 0.0, 0.0))
    image = png(frame_png(traj, 4, scale=2))
    assert tuple(image[cy, cx]) == GOLD and tuple(image[cy - 5, cx]) == GOLD
    # 30 px down the same edge: between the ★'s two lower arms (its inner radius there is 0.45 × 34 = 15 px)
    assert tuple(image[cy + 30, cx]) == BLUE


def test_a_run_without_map_points_renders_exactly_as_before(race, monkeypatch):
    # The old exports drew no points and listed none: a race without them (SGD, momentum, Adam) must
    # come out byte-identical to the same exports drawn with the map points switched off, and its
    # legend must be the old one: the runs, the minimum, the start.
    assert RaceCanvas(race)._legend == [("line", path_color(run), label) for run, label in enumerate(race.labels)] \
        + [("star", MINIMUM_FILL, "minimum"), ("ring", export.INK, "start")]
    png_now, gif_now = frame_png(race, 137), race_gif(race, frames=12)
    canvas = RaceCanvas(race)
    for step in (0, 137, race.steps):
        frame = np.asarray(canvas.frame(step))
        assert np.array_equal(frame, np.asarray(RaceCanvas(race, map_points=False).frame(step))), step
        # and by construction: the frame is what the old exports composed from the same parts, in their
        # order (background, path casings and cores, current points, landmarks, step counter), nothing more
        paths = canvas.new_paths()
        canvas.draw_paths(paths, export._rgb, step)
        old = canvas.background.copy()
        area = old.crop(canvas.box)
        area.paste(DARK, (0, 0, *area.size), paths.dark)
        area.paste(LIGHT, (0, 0, *area.size), paths.light)
        area.paste(paths.core, (0, 0), paths.core_mask)
        canvas.draw_heads(ImageDraw.Draw(area), export._rgb, step)
        canvas.draw_landmarks(ImageDraw.Draw(area), export._rgb)
        old.paste(area, canvas.box[:2])
        canvas.draw_step(ImageDraw.Draw(old), step, export._rgb)
        assert np.array_equal(frame, np.asarray(old)), step

    class WithoutPoints(RaceCanvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, map_points=False, **kwargs)

    monkeypatch.setattr(export, "RaceCanvas", WithoutPoints)
    assert frame_png(race, 137) == png_now
    assert race_gif(race, frames=12) == gif_now


def test_a_point_not_recorded_yet_or_off_the_map_is_not_drawn():
    # Before a point exists its internal is NaN; a point can also sit just outside the map (x = 2.05 > 2:
    # 7 px beyond the right edge at 720p, less than the square's half-size of 12 px, so a marker drawn
    # there would show), far out (a diverged run's 1e300, which overflows to inf in pixels) or be half
    # NaN. In those steps the map is pixel-identical to the map drawn with the points off; once the
    # point is on the map it shows.
    nan = float("nan")
    path = [[-1.5, -1.0 + 0.1 * k] for k in range(7)]
    slow = [[nan, nan], [nan, nan], [2.05, 0.0], [0.0, -1e300], [1.0, nan], [1.0, 1.0], [1.0, 1.0]]
    traj = with_slow_weights(path, slow)
    on, off = RaceCanvas(traj, width=1280, height=720), RaceCanvas(traj, width=1280, height=720, map_points=False)
    assert on.box == off.box  # same layout: the long label sets the legend's width
    left, top, right, bottom = on.box
    for step in range(7):
        drawn, bare = (np.asarray(c.frame(step))[top:bottom, left:right] for c in (on, off))
        assert np.array_equal(drawn, bare) == (step < 5), step
    gif = Image.open(io.BytesIO(race_gif(traj, frames=7, width=1280, height=720)))
    assert gif.n_frames == 7
    assert race_mp4(traj, frames=7, hold_ms=0)[4:8] == b"ftyp"  # an MP4 file box: it was written


def test_a_points_track_so_far_is_dashed_in_its_colour():
    # The slow weights stay at (0.5, 0.5) for steps 0–2 and sit at (1, 0.5) from step 3. The live race
    # dashes a point's track 5 px on, 4 px off, stroked 3.5 px light and 1.5 px in the run's colour; the
    # slide draws 1.5 times as large (as its heads), so at scale 2 the dashes are 15 px, the gaps 12 px,
    # the coloured core round(2.25 × 2) = 4 px wide inside a 10-px light casing. Along the row y = 0.5
    # between the two places, the colours alternate core / other with those lengths (± 1 px: the
    # dashes' ends fall between pixels); before step 3 the track has no length and nothing is there.
    slow = [[0.5, 0.5]] * 3 + [[1.0, 0.5]] * 3
    traj = with_slow_weights([[-1.5, -1.0 + 0.1 * k] for k in range(6)], slow)
    canvas = RaceCanvas(traj, width=3840, height=2160)
    (ax, row), (bx, _) = (np.round(map_pixel(canvas, x, 0.5)).astype(int) for x in (0.5, 1.0))
    inner = slice(ax + 40, bx - 50)  # clear of the square at (1, 0.5) and of the track's first dash end
    drawn = png(frame_png(traj, 5, scale=2))[row, inner]
    before = png(frame_png(traj, 2, scale=2))[row, inner]
    assert not np.any(np.all(before == BLUE, axis=-1))
    core = np.all(drawn == BLUE, axis=-1).astype(int)
    edges = np.flatnonzero(np.diff(core)) + 1
    lengths = np.diff(edges)  # whole dashes and whole gaps, alternating
    assert len(lengths) >= 6
    dash_lengths, gap_lengths = (lengths[0::2], lengths[1::2]) if core[edges[0]] else (lengths[1::2], lengths[0::2])
    assert np.all(np.abs(dash_lengths - 15) <= 1) and np.all(np.abs(gap_lengths - 12) <= 1), lengths
    light = np.all(png(frame_png(traj, 5, scale=2))[row - 4, inner] == LIGHT, axis=-1)  # 4 px off the centre line
    assert np.array_equal(light[edges[0]: edges[-1]], core[edges[0]: edges[-1]].astype(bool))  # casing under dashes


def test_dashes_follow_a_polyline_round_its_corners():
    # An L of two 10-long legs, dashes 4 on and 2 off, from the start: [0, 4], [6, 10] end at the corner,
    # [12, 16] (the second leg, 2–6 along it), [18, 20] cut short at the end.
    got = export.dashes(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]), 4.0, 2.0)
    assert got == [[(0.0, 0.0), (4.0, 0.0)], [(6.0, 0.0), (10.0, 0.0)], [(10.0, 2.0), (10.0, 6.0)],
                   [(10.0, 8.0), (10.0, 10.0)]]
    # a dash across the corner keeps the corner: [8, 12] runs from (8, 0) through (10, 0) to (10, 2)
    assert export.dashes(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]), 4.0, 4.0)[1] == \
        [(8.0, 0.0), (10.0, 0.0), (10.0, 2.0)]
    assert export.dashes(np.array([[1.0, 1.0], [1.0, 1.0]]), 4.0, 2.0) == []  # no length, no dash


def test_a_mark_the_cjk_font_lacks_is_drawn_in_the_latin_font():
    # SAM's ascent point is "上升点 θ̂（…）" in Chinese. Noto Sans CJK has 上 and θ but no combining
    # circumflex (U+0302): drawn in it, θ̂ shows θ and a box (seen on the slide). DejaVu Sans has the mark
    # but no 上. The legend draws the letter with its mark in the Latin font, the rest in the CJK font.
    if font_file(True) is None or font_file(False) is None:
        pytest.fail("needs a CJK font and a Latin one: bash .ci/install-test-deps installs fonts-noto-cjk and "
                    "fonts-dejavu-core")  # a failure, not a skip: the Chinese slide is tested wherever the suite runs
    canvas = RaceCanvas(straight_line(), lang="zh", width=1280, height=720)
    size = canvas.tick_size
    cjk, latin = export._font(True, size), export._font(False, size)
    assert export._has_glyphs(cjk, "上") and export._has_glyphs(cjk, "θ") and not export._has_glyphs(cjk, "θ̂")
    assert export._has_glyphs(latin, "θ̂") and not export._has_glyphs(latin, "上")
    shown = Image.new("L", (300, 60), 0)
    canvas._text_with_fallback(ImageDraw.Draw(shown), (10, 30), "上升点 θ̂", size, "#ffffff")
    expected = Image.new("L", (300, 60), 0)
    draw = ImageDraw.Draw(expected)
    draw.text((10, 30), "上升点 ", fill=255, font=cjk, anchor="lm")
    draw.text((10 + cjk.getlength("上升点 "), 30), "θ̂", fill=255, font=latin, anchor="lm")
    assert np.array_equal(np.asarray(shown), np.asarray(expected))
