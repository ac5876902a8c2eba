"""Exports: CSV reads back, HTML plays offline, PNG and GIF show the paths where they are."""
from __future__ import annotations

import io
import re
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from optviz.figures import export
from optviz.figures.export import (FontWarning, RaceCanvas, font_file, frame_png, polylines, race_gif, render,
                           standalone_html, trajectories_csv)
from optviz.figures.race import COLORS, race_figure
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.trajectory import DIVERGED, RUNNING, Trajectory
from surfaces import get_surface

RACE = RaceConfig(surface="rosenbrock", steps=500, optimizers=(
    OptimizerConfig("sgd").with_values(lr=0.001), OptimizerConfig("momentum").with_values(lr=0.001),
    OptimizerConfig("adam").with_values(lr=0.05), OptimizerConfig("sgd", label="SGD lr 0.05").with_values(lr=0.05)))
BLUE = tuple(int(COLORS[0][i: i + 2], 16) for i in (1, 3, 5))
RED = (0xD6, 0x27, 0x28)


@pytest.fixture(scope="module")
def race() -> Trajectory:
    traj = run_race(RACE)
    assert traj.status[3] == DIVERGED  # the big-lr SGD blows up: the exports must cope
    return traj


def straight_line(steps: int = 10) -> Trajectory:
    """One run walking along y = 0.5 from x = -1.5 to x = 1.5 on the quadratic bowl: we know where it is."""
    surface = get_surface("quadratic")
    x = np.linspace(-1.5, 1.5, steps + 1)
    positions = np.stack([x, np.full_like(x, 0.5)], axis=-1)[:, None, :]  # (steps+1, 1, 2)
    loss = surface.value(positions)
    return Trajectory(surface=surface, labels=("line",), optimizers=("sgd",), positions=positions, loss=loss,
                      grad=surface.grad(positions), status=np.array([RUNNING], dtype=object),
                      stop_step=np.array([-1]))


def close(pixel, color, tolerance: int = 40) -> bool:
    return all(abs(int(p) - c) <= tolerance for p, c in zip(pixel[:3], color))


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
    assert "click to start here" in str(fig.to_dict()["data"][1])  # ...and the cached figure is untouched


# ------------------------------------------------------------------------------------------------ PNG


def test_png_has_the_asked_size_and_draws_the_path_where_it_is():
    traj = straight_line()
    canvas = RaceCanvas(traj, width=640, height=480, supersample=2)  # the same layout frame_png uses
    on_path = canvas.to_pixel([0.15, 0.5]).round().astype(int)  # between two iterates, on the segment
    start = canvas.to_pixel([-1.5, 0.5]).round().astype(int)
    drawn = Image.open(io.BytesIO(frame_png(traj, 10, width=640, height=480)))
    bare = Image.open(io.BytesIO(frame_png(traj, 0, width=640, height=480)))
    assert drawn.format == "PNG" and drawn.size == (640, 480)
    assert close(drawn.getpixel(tuple(on_path)), BLUE)
    assert not close(bare.getpixel(tuple(on_path)), BLUE, 80)  # at step 0 the segment is not drawn yet
    assert close(bare.getpixel(tuple(start)), BLUE)  # ...but the current point sits on the start
    away = canvas.to_pixel([0.15, -1.0]).round().astype(int)
    assert drawn.getpixel(tuple(away)) == bare.getpixel(tuple(away))  # elsewhere nothing changed


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
    data = race_gif(race)  # 60 frames, 720 × 560
    elapsed = time.perf_counter() - start
    print(f"\n60-frame GIF of a 500-step, 4-optimizer race: {elapsed:.2f} s, {len(data) / 1e6:.2f} MB")
    gif = Image.open(io.BytesIO(data))
    assert gif.n_frames == 60 and gif.info["loop"] == 0 and gif.size == (720, 560)
    gif.seek(59)
    last = np.asarray(gif.convert("RGB"), dtype=int)
    assert np.sum(np.all(last == RED, axis=-1)) > 20  # the red cross and its words


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
    render(config, tmp_path / "race.png", lang="zh", step=40)
    assert Image.open(tmp_path / "race.png").size == (900, 700)
    render(config, tmp_path / "race.GIF")
    assert Image.open(tmp_path / "race.GIF").n_frames == 60
    render(config, tmp_path / "race.html")
    assert b"Plotly.newPlot" in (tmp_path / "race.html").read_bytes()
    with pytest.raises(ValueError, match=r"\.csv, \.html, \.png, \.gif"):
        render(config, tmp_path / "race.mp4")
    with pytest.raises(ValueError, match="png only"):
        render(config, tmp_path / "race.gif", step=3)
    with pytest.raises(ValueError, match="step"):
        render(config, tmp_path / "race.png", step=81)
    with pytest.raises(ValueError, match="optimizer"):
        render(RaceConfig(), tmp_path / "race.png")
