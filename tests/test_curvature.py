"""Curvature along a race: eigen-pairs of the exact Hessian, glyphs, stability limits and the sharpness series.

Expected numbers come from the surfaces' closed forms (the ravine's Hessian is R^T diag(1, κ) R, the
saddle's at the origin diag(1, −1)) and from the iteration matrices' eigenvalues computed here with
``np.linalg.eigvals``, independently of the closed-form limits in ``curvature.stability_limit``.
"""
import numpy as np
import pytest

from optviz.classroom.curvature import curvature, eigen_glyph, sharpness_series, stability_limit
from optviz.race import OptimizerConfig, RaceConfig, run_race
from surfaces import get_surface

# eigh on a 2 × 2 matrix with entries up to κ is exact to a few ulps of κ
EIG_RTOL = 1e-12


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (100.0, 30.0), (1000.0, 135.0)])
def test_ravine_eigenpairs_are_one_and_kappa_along_and_across_the_floor(kappa, angle):
    s = get_surface("ravine", condition=kappa, angle=angle)
    points = np.array([[0.3, -1.2], [2.0, 1.5], [-2.9, 0.1]])
    cur = curvature(s, points)
    np.testing.assert_allclose(cur.eigenvalues, np.tile([1.0, kappa], (3, 1)), rtol=EIG_RTOL, atol=EIG_RTOL * kappa)
    np.testing.assert_allclose(cur.condition, kappa, rtol=1e-10)
    np.testing.assert_allclose(cur.sharpness, kappa, rtol=EIG_RTOL)
    theta = np.radians(angle)
    along, across = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    # eigenvectors are defined up to sign: |q · expected| = 1
    np.testing.assert_allclose(np.abs(cur.eigenvectors[:, :, 0] @ along), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(cur.eigenvectors[:, :, 1] @ across), 1.0, atol=1e-12)


def test_glyph_axes_go_as_one_over_root_curvature():
    s = get_surface("ravine", condition=100.0, angle=0.0)  # bounds 6 × 4: the view's smaller extent is 4
    glyph = eigen_glyph(s, (1.0, 0.5), fraction=0.1)
    # the floor (λ = 1) gets 0.1 · 4 = 0.4; across (λ = 100) √(1/100) = 1/10 of it
    np.testing.assert_allclose(glyph.half_lengths, [0.4, 0.04], rtol=1e-12)
    np.testing.assert_allclose(np.abs(glyph.ends[0, 1] - glyph.ends[0, 0]), [0.8, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.abs(glyph.ends[1, 1] - glyph.ends[1, 0]), [0.0, 0.08], atol=1e-12)
    assert not glyph.dashed.any()


def test_glyph_dashes_the_direction_curving_down():
    s = get_surface("saddle")  # Hessian at the origin: diag(1, 3y² − 1) = diag(1, −1)
    glyph = eigen_glyph(s, (0.0, 0.0), fraction=0.1)
    np.testing.assert_allclose(glyph.eigenvalues, [-1.0, 1.0], atol=1e-15)
    assert glyph.dashed.tolist() == [True, False]
    np.testing.assert_allclose(glyph.half_lengths[0], glyph.half_lengths[1], rtol=1e-15)  # |λ| equal


def _radius(matrix):
    return np.max(np.abs(np.linalg.eigvals(matrix)))


def _iteration(name, convention, lam, eta, b):
    """The per-direction iteration matrix written from each update rule (see curvature's docstring)."""
    if name == "sgd":
        return np.array([[1 - eta * lam]])
    if name == "momentum" and convention == "pytorch":
        return np.array([[1 - eta * lam, -eta * b], [lam, b]])
    if name == "momentum" and convention == "textbook":
        return np.array([[1 - eta * (1 - b) * lam, -eta * b], [(1 - b) * lam, b]])
    if name == "nesterov":
        return np.array([[1 - eta * lam * (1 + b), -eta * b * b], [lam, b]])
    raise AssertionError(name)


@pytest.mark.parametrize("name, convention, eta, b, hand", [
    ("sgd", "pytorch", 0.1, None, 20.0),  # 2/η
    ("momentum", "pytorch", 0.1, 0.9, 38.0),  # 2(1 + β)/η
    ("momentum", "textbook", 0.1, 0.9, 380.0),  # 2(1 + β)/(η(1 − β))
    ("nesterov", "pytorch", 0.1, 0.9, 3.8 / 0.28),  # 2(1 + β)/((1 + 2β)η)
])
def test_stability_limit_is_where_the_iteration_matrix_reaches_radius_one(name, convention, eta, b, hand):
    limit = float(stability_limit(name, eta, b, convention))
    assert limit == pytest.approx(hand, rel=1e-14)
    # just inside the limit the radius is below 1, just outside above: the edge is at the limit to 1e-6
    assert _radius(_iteration(name, convention, limit * (1 - 1e-6), eta, b or 0.0)) < 1
    assert _radius(_iteration(name, convention, limit * (1 + 1e-6), eta, b or 0.0)) > 1


def test_adam_limit_is_the_course_notes_momentum_limit_thirty_eight_over_eta():
    # Cohen et al. 2022: 2(1 + β1)/((1 − β1)η) = 38/η at β1 = 0.9
    assert float(stability_limit("adam", 0.01, 0.9)) == pytest.approx(3800.0, rel=1e-14)
    assert np.isnan(stability_limit("rprop", 0.01))


def _race(surface_params, *optimizers, steps=50, start=(-2.5, 0.5)):
    return RaceConfig("ravine", tuple(surface_params.items()), start, steps, optimizers)


def test_sharpness_series_of_gd_is_kappa_against_two_over_lr():
    config = _race({"condition": 32.0, "angle": 0.0}, OptimizerConfig("sgd", "a", (("lr", 0.05),)),
                   OptimizerConfig("sgd", "b", (("lr", 0.063),), schedule="step:10:0.5"))
    series = sharpness_series(run_race(config), config.optimizers)
    np.testing.assert_allclose(series.sharpness, 32.0, rtol=EIG_RTOL)
    np.testing.assert_allclose(series.limit[:, 0], 40.0, rtol=1e-14)
    # the update leaving θ_t uses 0.063 · 0.5^⌊t/10⌋: limit 2/that
    expected = 2 / (0.063 * 0.5 ** (np.arange(51) // 10))
    np.testing.assert_allclose(series.limit[:, 1], expected, rtol=1e-14)
    assert series.crossing.tolist() == [-1, 0]  # 32 < 40 always; 32 > 31.75 from the start


def test_preconditioned_sharpness_of_rmsprop_on_an_axis_aligned_ravine():
    kappa, lr = 20.0, 0.01
    config = _race({"condition": kappa, "angle": 0.0},
                   OptimizerConfig("rmsprop", "r", (("beta", 0.9), ("eps", 1e-8), ("lr", lr), ("weight_decay", 0.0))))
    traj = run_race(config)
    series = sharpness_series(traj, config.optimizers)
    e = traj.internals["effective_lr"][:, 0]  # (steps+1, 2)
    # H = diag(1, κ) is diagonal, so E^{1/2} H E^{1/2} = diag(e_x, κ e_y): its λ_max over η
    expected = np.maximum(e[1:, 0], kappa * e[1:, 1]) / lr
    np.testing.assert_allclose(series.sharpness[1:, 0], expected, rtol=1e-12)
    assert np.isnan(series.sharpness[0, 0]) and series.preconditioned.tolist() == [True]
    np.testing.assert_allclose(series.limit[:, 0], 2 / lr, rtol=1e-14)


def test_head_glyphs_sit_on_each_runs_position():
    from optviz.classroom.curvature import head_glyphs
    config = _race({"condition": 10.0, "angle": 0.0}, OptimizerConfig("sgd", "a", (("lr", 0.05),)),
                   OptimizerConfig("sgd", "b", (("lr", 0.1),)), steps=20)
    traj = run_race(config)
    glyphs = head_glyphs(traj, 7)
    assert len(glyphs) == 2
    for r, glyph in enumerate(glyphs):
        np.testing.assert_array_equal(glyph.center, traj.positions[7, r])
        np.testing.assert_allclose(glyph.ends.mean(axis=1), np.tile(traj.positions[7, r], (2, 1)), atol=1e-15)


# ----------------------------------------------------------------------------- the race map's payload

def _decoded(blobs, key, columns):
    """A blob as the page reads it: base64 float32, one row per step."""
    import base64
    return np.frombuffer(base64.b64decode(blobs.items[key]), dtype="<f4").reshape(-1, columns).astype(float)


# float32 keeps 24 bits: λ up to 10 to 2⁻²⁴·10 < 1e-6 absolute, a unit vector's components to 6e-8
F32_ATOL = 1e-6


def test_payload_sends_the_ravines_eigenpairs_along_the_path_only_when_asked():
    from optviz.figures.race_payload import Blobs, runs_data
    config = RaceConfig("ravine", (("condition", 10.0), ("angle", 30.0)), (-2.5, 0.5), 40,
                        (OptimizerConfig("sgd", "a", (("lr", 0.05),)), OptimizerConfig("sgd", "b", (("lr", 0.15),))))
    traj = run_race(config)
    blobs = Blobs()
    assert all(run["eigen"] is None for run in runs_data(traj, "en", blobs))
    runs = runs_data(traj, "en", blobs, eigen=True)
    theta = np.radians(30.0)  # the Hessian is Rᵀ diag(1, κ) R: λ = 1 along the floor, κ = 10 across it
    along, across = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    for run in runs:
        table = _decoded(blobs, run["eigen"], 6)  # (steps+1, 6): λ0, λ1, q0x, q0y, q1x, q1y
        assert table.shape == (41, 6)
        np.testing.assert_allclose(table[:, :2], np.tile([1.0, 10.0], (41, 1)), atol=F32_ATOL * 10)
        # eigenvectors are defined up to sign: |q · expected| = 1
        np.testing.assert_allclose(np.abs(table[:, 2:4] @ along), 1.0, atol=F32_ATOL)
        np.testing.assert_allclose(np.abs(table[:, 4:6] @ across), 1.0, atol=F32_ATOL)


def test_payload_eigenpairs_on_the_saddle_follow_three_y_squared_minus_one():
    """The saddle's Hessian is diag(1, 3y² − 1): the axes are the eigen-directions, and the y one has
    the smaller eigenvalue while y² < 2/3 (negative while y² < 1/3, near the saddle)."""
    from optviz.figures.race_payload import eigen_table
    s = get_surface("saddle")
    ys = np.array([0.0, 0.3, -0.5, 0.7, 0.9, -1.0, 1.2])
    path = np.stack([np.linspace(-1.5, 1.5, len(ys)), ys], axis=1)
    table = eigen_table(s, path)
    curve_y = 3 * ys**2 - 1
    y_smaller = curve_y < 1
    np.testing.assert_allclose(table[:, 0], np.minimum(curve_y, 1.0), atol=1e-12)
    np.testing.assert_allclose(table[:, 1], np.maximum(curve_y, 1.0), atol=1e-12)
    first_axis = np.where(y_smaller[:, None], [0.0, 1.0], [1.0, 0.0])  # the eigenvector of λ0
    np.testing.assert_allclose(np.abs(table[:, 2:4]), first_axis, atol=1e-12)
    np.testing.assert_allclose(np.abs(table[:, 4:6]), 1 - first_axis, atol=1e-12)
    assert (table[:, 0] < 0).tolist() == (ys**2 < 1 / 3).tolist()  # the page dashes exactly these


def test_payload_eigenpairs_are_nan_where_the_hessian_is_not_finite():
    from optviz.figures.race_payload import eigen_table
    table = eigen_table(get_surface("saddle"), [[0.0, np.inf], [0.0, 0.0]])  # 3y² − 1 = inf far out
    assert np.isnan(table[0]).all()
    np.testing.assert_allclose(table[1, :2], [-1.0, 1.0], atol=1e-15)
