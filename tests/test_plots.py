"""The figures: what each trace shows and what the animation frames touch."""
import base64
import json

import numpy as np
import plotly.io as pio
import pytest

from optviz import make_optimizer, simulate
from optviz.figures.contour_image import LEVELS, contour_field
from optviz.figures.race import (FRAME_POINT_BUDGET, effective_lr_figure, frame_steps, height_transform,
                          race_figure, surface_3d_figure, typed)
from surfaces import get_surface

QUAD = get_surface("quadratic")


def decode(values):
    """Plotly typed arrays ({dtype, bdata}) or plain lists to float64 arrays."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)


@pytest.fixture(scope="module")
def race():
    # SGD lr 0.1 on x² + y²: θ_t = 0.8^t θ_0; SGD lr 1.5 diverges at step 8 (|(-2)^8| > 200).
    opts = [make_optimizer("sgd", lr=0.1), make_optimizer("sgd", lr=1.5), make_optimizer("adam", lr=0.1)]
    return simulate(QUAD, opts, [1.0, 0.5], 40, labels=["slow", "wild", "adam"])


def test_frame_steps_cover_start_and_end():
    assert list(frame_steps(10, 100)) == list(range(11))
    shown = frame_steps(2000, 80)
    assert shown[0] == 0 and shown[-1] == 2000 and len(shown) == 81
    assert np.all(np.diff(shown) == 25)


def test_typed_array_round_trip():
    values = np.array([0.5, -1.25, 3.0])
    np.testing.assert_array_equal(decode(typed(values)), values)  # all exactly representable in float32


def test_race_traces_and_frames(race):
    spec = race_figure(race, max_frames=10).to_dict()
    data = spec["data"]
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")  # the contour map
    assert data[0]["marker"]["showscale"] is True  # the colour bar's holder
    paths = [i for i, trace in enumerate(data) if str(trace.get("name", "")).startswith(("slow", "wild", "adam"))]
    assert len(paths) == 3
    slow = data[paths[0]]
    np.testing.assert_allclose(decode(slow["x"]), 0.8 ** np.arange(41), rtol=1e-6)  # float32 on the wire
    assert data[paths[1]]["name"] == "wild · diverged at step 8"
    frames = spec["frames"]
    assert [f["name"] for f in frames] == [str(s) for s in frame_steps(40, 10)]
    touched = set(frames[0]["traces"])
    assert 0 not in touched  # the colour bar's holder is not resent
    menus = spec["layout"]["updatemenus"][0]["buttons"] + spec["layout"]["sliders"][0]["steps"]
    assert all(b["args"][1]["frame"]["redraw"] is False for b in menus)  # frames only restyle the paths
    assert touched == set(range(paths[0], paths[0] + 6))
    # frame for step 12: the slow path has its 13 points, the head sits at 0.8^12
    f12 = frames[[f["name"] for f in frames].index("12")]
    k = frames[0]["traces"].index(paths[0])
    np.testing.assert_allclose(decode(f12["data"][k]["x"]), 0.8 ** np.arange(13), rtol=1e-6)
    np.testing.assert_allclose(f12["data"][k + 1]["x"], [0.8**12], rtol=1e-12)
    # the wild run is drawn to its last valid point (step 7: (-2)^7) and marked once it died
    wild_head = frames[-1]["data"][k + 3]
    assert wild_head["x"] == [-128.0] and wild_head["marker"]["symbol"] == "x"
    assert wild_head["text"] == ["diverged at step 8"]
    assert frames[1]["data"][k + 3]["marker"]["symbol"] == "circle"  # step 4: still alive
    assert all(np.isfinite(decode(f["data"][k + 2]["x"])).all() for f in frames)


def test_race_payload_stays_within_budget():
    rosen = get_surface("rosenbrock")
    opts = [make_optimizer(n, lr=lr) for n, lr in (("sgd", 0.002), ("momentum", 0.002), ("rmsprop", 0.01),
                                                   ("adam", 0.04))]
    traj = simulate(rosen, opts, rosen.start, 2000, tol=0)
    spec = race_figure(traj).to_dict()
    coordinates = sum(decode(tr["x"]).size * 2 for f in spec["frames"] for tr in f["data"][::2])
    assert coordinates <= FRAME_POINT_BUDGET + 2 * 4 * 2001  # the last frame is drawn in full
    assert len(pio.to_json(spec, validate=False)) < 2_000_000


def test_3d_paths_lie_on_the_surface(race):
    fig = surface_3d_figure(race, height="value")
    spec = fig.to_dict()
    path = next(tr for tr in spec["data"] if tr.get("name") == "slow")
    x, y, z = decode(path["x"]), decode(path["y"]), decode(path["z"])
    lift = z - (x**2 + y**2)
    assert np.ptp(lift) < 1e-9 and lift[0] > 0  # a constant small lift above f(x, y)


def test_effective_lr_figure_draws_undefined_rates_as_gaps():
    # Saddle from (1, 0) with ε = 0: ∂f/∂y = 0, so y's rate η/0 is undefined (NaN) at every step while
    # x's is a number. Both adaptive runs are still drawn, x in full and y as a gap; SGD has no rate.
    saddle = get_surface("saddle")
    opts = [make_optimizer("adagrad", eps=0.0), make_optimizer("adam", eps=0.0), make_optimizer("sgd")]
    traj = simulate(saddle, opts, [1.0, 0.0], 5, labels=["ada", "adam", "sgd"])
    fig = effective_lr_figure(traj)
    assert fig is not None
    spec = fig.to_dict()
    assert sorted({tr["legendgroup"] for tr in spec["data"]}) == ["0", "1"]
    for trace in spec["data"]:
        y = decode(trace["y"])
        assert len(y) == 5 and (np.all(y > 0) if trace["xaxis"] == "x" else np.isnan(y).all())
    assert "NaN" not in pio.to_json(fig) and "Infinity" not in pio.to_json(fig)


def test_every_figure_copes_with_runs_that_diverged_at_step_0():
    # (201, 0) is past the radius 200 (its true loss 40401 kept); (NaN, 1) has no loss (the largest double
    # stands in). Neither made a step: every figure draws them without an exception or a RuntimeWarning
    # (an error under pytest).
    opts = [make_optimizer("adam"), make_optimizer("adagrad", eps=0.0), make_optimizer("sgd", lr=0.1)]
    starts = [np.array([201.0, 0.0]), np.array([np.nan, 1.0]), np.array([1.0, 0.5])]
    traj = simulate(QUAD, opts, starts, 6)
    assert [traj.status_text(i) for i in range(3)] == ["diverged at step 0"] * 2 + ["not converged in 6 steps"]
    for figure in (race_figure(traj, arrows=True), surface_3d_figure(traj), surface_3d_figure(traj, height="value"), effective_lr_figure(traj)):
        spec = figure.to_dict()
        spec.get("layout", {}).pop("images", None)  # the map picture's base64 may spell "NaN" by chance
        assert "NaN" not in pio.to_json(spec, validate=False)


def test_height_transform_is_monotone_and_log_spaced():
    values = np.array([0.0, 1e-3, 1e-1, 10.0, 1e3])
    h, floor, delta = height_transform(QUAD, values)
    assert floor == 0.0 and np.all(np.diff(h) > 0)
    np.testing.assert_allclose(10**h - delta, values, rtol=1e-12, atol=1e-12)


def test_chinese_labels(race):
    spec = race_figure(race, lang="zh", max_frames=5).to_dict()
    text = json.dumps(spec["layout"], ensure_ascii=False)
    assert "播放" in text and "暂停" in text
    assert any("第 8 步发散" in str(tr.get("name", "")) for tr in spec["data"])


def test_contour_image_bands_darken_away_from_the_minimum():
    # On x² + y² the height log10(r² + δ) grows with the radius, so along a ray from the centre
    # the band colours (band edges excluded) can only get darker, and many bands are crossed.
    from optviz.figures.contour_image import colormap

    field = contour_field(QUAD, 101, 101)
    palette = {tuple(c) for c in colormap(np.arange(LEVELS + 1) / LEVELS)}
    ray = [tuple(int(v) for v in c) for c in field.rgb[50, 50:]]  # centre row, centre to the right edge
    bands = [c for c in ray if c in palette]
    brightness = [sum(c) for c in bands]
    assert all(b2 <= b1 for b1, b2 in zip(brightness, brightness[1:]))
    assert len(set(bands)) >= LEVELS // 3  # near the minimum bands are thinner than a pixel: only edges show
    assert field.rgb.shape == (101, 101, 3)
