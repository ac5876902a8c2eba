"""Surfaces: exact derivatives against finite differences, broadcasting, stationary points,
hand-derived values, and the registry.

Every expected number below comes from a derivation in the comment next to it or from an
invariant (symmetry, rotation, separability), never from running the code.
"""
import inspect

import numpy as np
import pytest

from helpers import RTOL, central_difference, random_points
from surfaces import PARAMETERS, SURFACES, Parameter, Surface, get_surface

CASES = [(name, {}) for name in SURFACES] + [
    ("ravine", {"condition": 100, "angle": 30}),
    ("ravine", {"condition": 1000, "angle": 135}),
    ("plateau", {"width": 0.5}),
]
IDS = [name + "".join(f"-{key}={value}" for key, value in params.items()) for name, params in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def surface(request) -> Surface:
    name, params = request.param
    return get_surface(name, **params)


def biggest(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.max(np.abs(a), axis=axes)


# --- exact derivatives: central differences, within RTOL of the local scale (see helpers) ----------


def test_gradient_matches_central_differences(surface):
    p = random_points(surface.bounds)
    f, g = surface.value(p), surface.grad(p)  # (n,), (n, 2)
    numeric = central_difference(surface.value, p)  # (n, 2)
    allowed = RTOL * (1 + np.abs(f) + biggest(g, (-1,)))[:, None]
    assert np.all(np.abs(numeric - g) <= allowed), np.max(np.abs(numeric - g) / allowed)


def test_hessian_matches_central_differences_of_gradient(surface):
    p = random_points(surface.bounds, seed=1)
    g, hess = surface.grad(p), surface.hessian(p)  # (n, 2), (n, 2, 2)
    numeric = central_difference(surface.grad, p)  # (n, 2, 2): [i, k] = d g_i / d x_k
    allowed = RTOL * (1 + biggest(g, (-1,)) + biggest(hess, (-2, -1)))[:, None, None]
    assert np.all(np.abs(numeric - hess) <= allowed), np.max(np.abs(numeric - hess) / allowed)


def test_hessian_is_symmetric(surface):
    hess = surface.hessian(random_points(surface.bounds, seed=2))
    np.testing.assert_array_equal(hess, np.swapaxes(hess, -1, -2))


# --- broadcasting ------------------------------------------------------------------------
# Vectorized and one-at-a-time evaluation may differ in the last bit (libm vs SIMD
# transcendental functions), so "the same" means equal to 1e-12 of the largest entry.
def assert_same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * (1 + np.max(np.abs(b))))


def test_meshgrid_equals_point_by_point(surface):
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 5), np.linspace(y0, y1, 7))
    grid = np.stack([X, Y], axis=-1)  # (7, 5, 2)
    f, g, hess = surface.value(grid), surface.grad(grid), surface.hessian(grid)
    assert (f.shape, g.shape, hess.shape) == ((7, 5), (7, 5, 2), (7, 5, 2, 2))
    for i, j in np.ndindex(7, 5):
        point = grid[i, j]  # (2,)
        assert_same(f[i, j], surface.value(point))
        assert_same(g[i, j], surface.grad(point))
        assert_same(hess[i, j], surface.hessian(point))


def test_batch_equals_single_points(surface):
    batch = random_points(surface.bounds, n=6, seed=3)  # (runs, 2)
    f, g, hess = surface.value(batch), surface.grad(batch), surface.hessian(batch)
    assert (f.shape, g.shape, hess.shape) == ((6,), (6, 2), (6, 2, 2))
    for run, point in enumerate(batch):
        assert np.shape(surface.value(point)) == ()
        assert_same(f[run], surface.value(point))
        assert_same(g[run], surface.grad(point))
        assert_same(hess[run], surface.hessian(point))


def test_plain_lists_and_integers_are_accepted(surface):
    assert_same(surface.value([1, 0]), surface.value(np.array([1.0, 0.0])))
    assert_same(surface.grad([[1, 0], [0, 1]]), surface.grad(np.eye(2)))


def test_huge_and_non_finite_inputs_do_not_raise(surface):
    wild = np.array([[np.inf, 0.0], [np.nan, 1.0], [1e300, -1e300], [-np.inf, np.inf], [1e154, 3.0]])
    with np.errstate(all="ignore"):
        f, g, hess = surface.value(wild), surface.grad(wild), surface.hessian(wild)
    assert (f.shape, g.shape, hess.shape) == ((5,), (5, 2), (5, 2, 2))


# --- stationary points -------------------------------------------------------------------
def ring(point, radius: float = 1e-3, n: int = 24) -> np.ndarray:
    angles = 2 * np.pi * np.arange(n) / n
    return np.asarray(point) + radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # (n, 2)


def test_listed_points_are_stationary_inside_the_box_and_distinct(surface):
    points = np.array(surface.minima + surface.saddles).reshape(-1, 2)  # (k, 2)
    if len(points):
        assert np.all(np.abs(surface.grad(points)) <= 1e-10)
        (x0, x1), (y0, y1) = surface.bounds
        assert np.all((x0 <= points[:, 0]) & (points[:, 0] <= x1) & (y0 <= points[:, 1]) & (points[:, 1] <= y1))
        gaps = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points))
        assert np.all(gaps > 1e-3)


def test_minima_have_positive_definite_hessians_and_higher_surroundings(surface):
    for point in surface.minima:
        assert np.all(np.linalg.eigvalsh(surface.hessian(np.array(point))) > 0)
        assert np.all(surface.value(ring(point)) > surface.value(np.array(point)))


def test_saddles_are_indefinite_or_degenerate_and_go_both_ways(surface):
    for point in surface.saddles:
        p = np.array(point)
        eigenvalues, eigenvectors = np.linalg.eigh(surface.hessian(p))
        if np.all(np.abs(eigenvalues) < 1e-12):  # degenerate (monkey saddle): look all around
            around = surface.value(ring(p)) - surface.value(p)
            assert np.any(around < 0) and np.any(around > 0)
            continue
        assert eigenvalues[0] < 0 < eigenvalues[1]
        # Independently of the Hessian's numbers, f curves down along one eigenvector and up
        # along the other (a symmetric second difference, so odd-order terms cancel).
        for curvature, v in zip(eigenvalues, eigenvectors.T):
            bend = surface.value(p + 1e-3 * v) + surface.value(p - 1e-3 * v) - 2 * surface.value(p)
            assert np.sign(bend) == np.sign(curvature)


BOUNDED = [(name, params) for name, params in CASES if get_surface(name, **params).min_value is not None]


@pytest.mark.parametrize("name, params", BOUNDED, ids=[f"{n}-{p}" if p else n for n, p in BOUNDED])
def test_no_grid_point_beats_the_lowest_listed_minimum(name, params):
    surface = get_surface(name, **params)
    _, _, Z = surface.grid(201)
    assert np.min(Z) >= surface.min_value - 1e-12


@pytest.mark.parametrize(
    "name, minimum_value",
    [("rosenbrock", 0.0), ("quadratic", 0.0), ("ravine", 0.0), ("plateau", 0.0), ("beale", 0.0),
     ("himmelblau", 0.0), ("rastrigin", 0.0), ("saddle", -0.25), ("sharp_flat", 0.0)],  # saddle: 1/4 - 1/2 at y = ±1
)
def test_every_listed_minimum_of_known_depth(name, minimum_value):
    surface = get_surface(name)
    values = surface.value(np.array(surface.minima))
    np.testing.assert_allclose(values, minimum_value, rtol=0, atol=1e-20)


def test_known_minima_locations():
    assert get_surface("rosenbrock").minima == ((1.0, 1.0),)
    assert get_surface("beale").minima == ((3.0, 0.5),)
    assert set(get_surface("saddle").minima) == {(0.0, 1.0), (0.0, -1.0)}
    assert get_surface("saddle").saddles == ((0.0, 0.0),)
    assert get_surface("monkey_saddle").minima == ()
    assert get_surface("monkey_saddle").saddles == ((0.0, 0.0),)
    himmelblau = get_surface("himmelblau")
    assert (3.0, 2.0) in himmelblau.minima
    assert (len(himmelblau.minima), len(himmelblau.saddles)) == (4, 4)
    # One minimum per quadrant; the other three are known to six digits in the literature.
    np.testing.assert_allclose(
        sorted(himmelblau.minima),
        [(-3.779310, -3.283186), (-2.805118, 3.131312), (3.0, 2.0), (3.584428, -1.848127)],
        atol=1e-6,
    )


def test_local_minima_has_three_basins_of_different_depth_and_two_saddles():
    surface = get_surface("local_minima")
    depths = surface.value(np.array(surface.minima))
    assert len(depths) == 3 and len(set(np.round(depths, 3))) == 3
    assert len(surface.saddles) == 2
    # Every saddle lies above the deepest basin it separates.
    assert np.all(surface.value(np.array(surface.saddles)) > np.min(depths))


# --- hand-computed values ----------------------------------------------------------------
def test_rosenbrock_by_hand():
    s = get_surface("rosenbrock")
    # f = (1-x)^2 + 100(y-x^2)^2,  grad = [-2(1-x) - 400x(y-x^2), 200(y-x^2)],
    # H = [[2 - 400y + 1200x^2, -400x], [-400x, 200]]
    p = np.array([[0.0, 0.0], [-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(s.value(p), [1.0, 4.0, 101.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(s.grad(p), [[-2.0, 0.0], [-4.0, 0.0], [-2.0, 200.0], [0.0, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(
        s.hessian(p),
        [[[2, 0], [0, 200]], [[802, 400], [400, 200]], [[-398, 0], [0, 200]], [[802, -400], [-400, 200]]],
        rtol=1e-15,
    )
    # det H(1, 1) = 802 * 200 - 400^2 = 400 > 0: a strict minimum, but with condition ~2500.
    np.testing.assert_allclose(np.linalg.det(s.hessian(np.array([1.0, 1.0]))), 400.0, rtol=1e-9)


def test_quadratic_by_hand():
    s = get_surface("quadratic")
    p = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]])
    np.testing.assert_allclose(s.value(p), [5.0, 9.25, 0.0], rtol=1e-15)
    np.testing.assert_allclose(s.grad(p), [[2.0, 4.0], [-6.0, 1.0], [0.0, 0.0]], rtol=1e-15)
    np.testing.assert_array_equal(s.hessian(p), np.broadcast_to(2 * np.eye(2), (3, 2, 2)))


def test_saddle_by_hand():
    s = get_surface("saddle")
    # H = [[1, 0], [0, 3y^2 - 1]]: diag(1, -1) at the saddle, diag(1, 2) at the minima.
    np.testing.assert_array_equal(s.hessian(np.array([0.0, 0.0])), [[1, 0], [0, -1]])
    np.testing.assert_array_equal(s.hessian(np.array([[0.0, 1.0], [0.0, -1.0]])), [np.diag([1, 2])] * 2)
    start = np.array(s.start)
    assert 0 < abs(start[1]) <= 1e-2  # just off the unstable axis, so the escape takes time


@pytest.mark.parametrize("condition, angle", [(20, 0), (100, 30), (7.5, 90), (1000, 135), (3, 180)])
def test_ravine_curvatures_are_one_and_kappa_along_and_across_the_angle(condition, angle):
    s = get_surface("ravine", condition=condition, angle=angle)
    p = random_points(s.bounds, n=5, seed=4)
    eigenvalues, eigenvectors = np.linalg.eigh(s.hessian(p))  # ascending: 1 then κ
    np.testing.assert_allclose(eigenvalues, np.broadcast_to([1.0, condition], (5, 2)), rtol=1e-12)
    floor = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    wall = np.array([-floor[1], floor[0]])
    np.testing.assert_allclose(np.abs(eigenvectors[:, :, 0] @ floor), 1.0, rtol=1e-12)
    # f = t^2/2 along the floor and κ t^2/2 across it.
    t = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(s.value(t * floor), t[:, 0] ** 2 / 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.value(t * wall), condition * t[:, 0] ** 2 / 2, rtol=1e-12, atol=1e-12)


def test_plateau_by_hand():
    s = get_surface("plateau")
    np.testing.assert_allclose(s.value(np.array([0.0, 0.0])), 0.0, atol=1e-300)
    np.testing.assert_allclose(s.hessian(np.array([0.0, 0.0])), np.eye(2), rtol=1e-15)  # I / w^2
    # |grad| = r e^{-r^2/2} at r^2 = 3^2 + 2.5^2 = 15.25: about 2e-3, so plain GD stalls.
    speed = np.linalg.norm(s.grad(np.array(s.start)))
    np.testing.assert_allclose(speed, np.sqrt(15.25) * np.exp(-15.25 / 2), rtol=1e-12)
    assert 1e-3 < speed < 3e-3
    narrow = get_surface("plateau", width=0.5)
    np.testing.assert_allclose(narrow.hessian(np.array([0.0, 0.0])), 4 * np.eye(2), rtol=1e-15)


def test_beale_by_hand():
    s = get_surface("beale")
    # On y = 1 every residual x(y^i - 1) vanishes: f = 1.5^2 + 2.25^2 + 2.625^2 = 14.203125.
    line = np.stack([np.linspace(-4, 4, 9), np.ones(9)], axis=-1)
    np.testing.assert_allclose(s.value(line), 14.203125, rtol=1e-15)
    # At (0, 1) all grad r_i vanish and H = sum 2 r_i hess r_i = [[0, 2 sum i c_i], ...],
    # 2 (1.5 + 2 * 2.25 + 3 * 2.625) = 27.75: a saddle with eigenvalues ±27.75.
    assert (0.0, 1.0) in s.saddles
    np.testing.assert_allclose(s.hessian(np.array([0.0, 1.0])), [[0, 27.75], [27.75, 0]], rtol=1e-15)


def test_himmelblau_by_hand():
    s = get_surface("himmelblau")
    # f_xx = 12x^2 + 4y - 42 = 74, f_xy = 4(x + y) = 20, f_yy = 4x + 12y^2 - 26 = 34 at (3, 2).
    np.testing.assert_allclose(s.hessian(np.array([3.0, 2.0])), [[74, 20], [20, 34]], rtol=1e-15)
    # f(0, 0) = 11^2 + 7^2 = 170; grad = [4x a + 2b, 2a + 4y b] = [-14, -22].
    np.testing.assert_allclose(s.value(np.array([0.0, 0.0])), 170.0, rtol=1e-15)
    np.testing.assert_allclose(s.grad(np.array([0.0, 0.0])), [-14.0, -22.0], rtol=1e-15)


def test_rastrigin_by_hand():
    s = get_surface("rastrigin")
    # cos 2πk = 1 at integers, so f(k, m) = 20 + k^2 - 10 + m^2 - 10 = k^2 + m^2.
    integers = np.array([[1.0, 2.0], [-3.0, 0.0], [5.0, -4.0]])
    np.testing.assert_allclose(s.value(integers), [5.0, 9.0, 41.0], rtol=1e-12)
    # Separable: the Hessian is diag(2 + 40π^2 cos 2πx, ...) with no cross term.
    np.testing.assert_allclose(s.hessian(np.array([0.0, 0.0])), (2 + 40 * np.pi**2) * np.eye(2), rtol=1e-15)
    np.testing.assert_array_equal(s.hessian(random_points(s.bounds, n=10))[:, 0, 1], 0.0)


def test_monkey_saddle_by_hand():
    s = get_surface("monkey_saddle")
    np.testing.assert_allclose(s.value(np.array([1.0, 1.0])), -2.0, rtol=1e-15)  # 1 - 3
    np.testing.assert_array_equal(s.hessian(np.array([0.0, 0.0])), np.zeros((2, 2)))
    # In polar coordinates f = r^3 cos 3φ.
    r, phi = np.linspace(0.1, 1.5, 7), np.linspace(0, 2 * np.pi, 7)
    points = np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)
    np.testing.assert_allclose(s.value(points), r**3 * np.cos(3 * phi), rtol=1e-12, atol=1e-14)


# --- metadata and registry ---------------------------------------------------------------
def inside(bounds, point) -> bool:
    (x0, x1), (y0, y1) = bounds
    return x0 <= point[0] <= x1 and y0 <= point[1] <= y1


def test_metadata(surface):
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    assert inside(surface.bounds, surface.start)
    assert isinstance(surface.formula, str) and surface.formula
    assert surface.description["en"].strip() and surface.description["zh"].strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in surface.description["zh"])  # really Chinese


@pytest.mark.parametrize("angle", [0, 30, 45, 60, 90, 120, 150, 180])
def test_ravine_start_stays_inside_the_box_at_every_angle(angle):
    s = get_surface("ravine", angle=angle)
    assert inside(s.bounds, s.start)
    assert np.linalg.norm(s.start) > 1.5  # still far from the minimum


def test_registry_names():
    assert set(SURFACES) == {"saddle", "ravine", "rosenbrock", "plateau", "quadratic", "local_minima",
                             "beale", "himmelblau", "rastrigin", "monkey_saddle", "sharp_flat"}
    assert set(PARAMETERS) == set(SURFACES)
    for name in SURFACES:
        assert get_surface(name).name == name


@pytest.mark.parametrize("name", list(SURFACES))
def test_parameters_match_the_factory_signature(name):
    signature = inspect.signature(SURFACES[name]).parameters
    declared = PARAMETERS[name]
    assert all(isinstance(p, Parameter) for p in declared)
    assert list(signature) == [p.name for p in declared]
    for p in declared:
        assert signature[p.name].default == p.default
        assert p.low <= p.default <= p.high
    assert get_surface(name).params == {p.name: p.default for p in declared}


def test_params_hold_the_values_used():
    s = get_surface("ravine", condition=100, angle=30)
    assert s.params == {"condition": 100.0, "angle": 30.0}
    assert get_surface("plateau", width=0.5).params == {"width": 0.5}
    assert get_surface("quadratic").params == {}


def test_unknown_surface_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="unknown surface 'foo'") as error:
        get_surface("foo")
    assert "rosenbrock" in str(error.value) and "monkey_saddle" in str(error.value)


@pytest.mark.parametrize(
    "name, params, culprit",
    [("ravine", {"condition": 0.5}, "condition"), ("ravine", {"condition": 1e4}, "condition"),
     ("ravine", {"angle": -1}, "angle"), ("ravine", {"angle": 181}, "angle"),
     ("ravine", {"condition": float("nan")}, "condition"), ("ravine", {"condition": "steep"}, "condition"),
     ("plateau", {"width": 10}, "width"), ("plateau", {"width": 0}, "width")],
)
def test_out_of_range_parameters_are_rejected_by_name(name, params, culprit):
    with pytest.raises(ValueError, match=culprit):
        get_surface(name, **params)


@pytest.mark.parametrize("name, params, culprit",
                         [("ravine", {"kappa": 3}, "kappa"), ("quadratic", {"condition": 3}, "condition")])
def test_unknown_parameters_are_rejected_by_name(name, params, culprit):
    with pytest.raises(ValueError, match=f"unknown parameter '{culprit}'"):
        get_surface(name, **params)
