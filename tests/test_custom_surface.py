"""Custom surfaces typed as text: exact derivatives, broadcasting, stationary points, and a
parser that rejects everything but arithmetic on x and y before anything can run.

Expected numbers come from the hand derivation next to them or from an independent check
(central finite differences, the built-in surfaces), never from running this code.
"""
import builtins
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import RTOL, central_difference, random_points
from optviz.optimizers.sgd import sgd
from optviz.simulate import simulate
from surfaces import get_surface
from surfaces.typed.custom import MAX_NODES, custom_function, custom_surface, source_of
from surfaces.typed.expression import Binary, ExpressionError, Num, Var, evaluate, postorder
from surfaces.typed.calculus import derivative, simplify
from surfaces.typed.latex import to_latex
from surfaces.typed.parser import USER_FUNCTIONS, parse

ROOT = Path(__file__).resolve().parent.parent


def value_at(text: str, x: float, y: float) -> float:
    return float(custom_function(text).value(np.array([x, y])))


# --- hand-derived values and derivatives -------------------------------------------------
def test_the_issue_example_by_hand():
    s = custom_surface("x**2 + 3*sin(y) - 0.5*x*y")
    p = np.array([[0.0, 0.0], [1.0, 2.0], [-2.0, 0.5], [0.3, -1.2]])
    x, y = p[:, 0], p[:, 1]
    np.testing.assert_allclose(s.value(p), x**2 + 3 * np.sin(y) - 0.5 * x * y, rtol=1e-14, atol=1e-15)
    # grad = (2x - 0.5y, 3 cos y - 0.5x), H = [[2, -0.5], [-0.5, -3 sin y]]
    np.testing.assert_allclose(s.grad(p), np.stack([2 * x - 0.5 * y, 3 * np.cos(y) - 0.5 * x], -1), rtol=1e-14,
                               atol=1e-15)
    expected = np.array([[[2.0, -0.5], [-0.5, -3 * np.sin(b)]] for b in y])
    np.testing.assert_allclose(s.hessian(p), expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(s.value(np.array([0.0, 0.0])), 0.0)


HAND = {  # text: (f, grad, Hessian [[f_xx, f_xy], [f_xy, f_yy]]) written out by hand
    "exp(x*y)": (
        lambda x, y: np.exp(x * y),
        lambda x, y: np.exp(x * y) * np.array([y, x]),
        lambda x, y: np.exp(x * y) * np.array([[y * y, 1 + x * y], [1 + x * y, x * x]])),
    "x^3 - 3*x*y^2": (
        lambda x, y: x**3 - 3 * x * y**2,
        lambda x, y: np.array([3 * x**2 - 3 * y**2, -6 * x * y]),
        lambda x, y: np.array([[6 * x, -6 * y], [-6 * y, -6 * x]])),
    "log(1 + x^2 + y^2)": (  # r = 1 + x^2 + y^2: f_x = 2x/r, f_xx = 2/r - 4x^2/r^2, f_xy = -4xy/r^2
        lambda x, y: np.log(1 + x * x + y * y),
        lambda x, y: np.array([2 * x, 2 * y]) / (1 + x * x + y * y),
        lambda x, y: np.array([[2 * (1 + y * y - x * x), -4 * x * y],
                               [-4 * x * y, 2 * (1 + x * x - y * y)]]) / (1 + x * x + y * y) ** 2),
    "x^y": (  # f_x = y x^(y-1), f_y = x^y ln x, f_xy = x^(y-1) (1 + y ln x), f_yy = x^y ln^2 x
        lambda x, y: x**y,
        lambda x, y: np.array([y * x ** (y - 1), x**y * np.log(x)]),
        lambda x, y: np.array([[y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * np.log(x))],
                               [x ** (y - 1) * (1 + y * np.log(x)), x**y * np.log(x) ** 2]])),
    "sigmoid(x) + 2^y": (  # σ' = σ(1 - σ), σ'' = σ(1 - σ)(1 - 2σ); (2^y)' = 2^y ln 2
        lambda x, y: 1 / (1 + np.exp(-x)) + 2**y,
        lambda x, y: np.array([np.exp(-x) / (1 + np.exp(-x)) ** 2, 2**y * np.log(2)]),
        lambda x, y: np.array([[np.exp(-x) * (np.exp(-x) - 1) / (1 + np.exp(-x)) ** 3, 0],
                               [0, 2**y * np.log(2) ** 2]])),
    "sqrt(x^2 + y^2)": (  # r: grad = (x, y)/r, H = [[y^2, -xy], [-xy, x^2]] / r^3
        lambda x, y: np.hypot(x, y),
        lambda x, y: np.array([x, y]) / np.hypot(x, y),
        lambda x, y: np.array([[y * y, -x * y], [-x * y, x * x]]) / np.hypot(x, y) ** 3),
    "abs(x - y) + atan(y)": (  # |u|' = sign u, |u|'' = 0 off the kink; atan'' = -2y/(1+y^2)^2
        lambda x, y: abs(x - y) + np.arctan(y),
        lambda x, y: np.array([np.sign(x - y), -np.sign(x - y) + 1 / (1 + y * y)]),
        lambda x, y: np.array([[0, 0], [0, -2 * y / (1 + y * y) ** 2]])),
    "x / (1 + y^2)": (  # f_y = -2xy/(1+y^2)^2, f_yy = -2x(1 - 3y^2)/(1+y^2)^3
        lambda x, y: x / (1 + y * y),
        lambda x, y: np.array([1 / (1 + y * y), -2 * x * y / (1 + y * y) ** 2]),
        lambda x, y: np.array([[0, -2 * y / (1 + y * y) ** 2],
                               [-2 * y / (1 + y * y) ** 2, -2 * x * (1 - 3 * y * y) / (1 + y * y) ** 3]])),
}


@pytest.mark.parametrize("text", list(HAND))
def test_hand_derived_derivatives(text):
    f, grad, hess = HAND[text]
    fn = custom_function(text)
    for x, y in [(0.3, -1.2), (1.5, 0.7), (2.2, 2.1), (0.9, -0.4)]:  # x > 0 for x^y
        p = np.array([x, y])
        np.testing.assert_allclose(fn.value(p), f(x, y), rtol=1e-13)
        np.testing.assert_allclose(fn.grad(p), grad(x, y), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(fn.hessian(p), hess(x, y), rtol=1e-12, atol=1e-14)


def test_precedence_associativity_and_numbers():
    assert value_at("-x**2", 3, 0) == -9  # unary minus binds looser than the power, as in Python
    assert value_at("2^3^2", 0, 0) == 512  # right-associative: 2^9
    assert value_at("2**-1", 0, 0) == 0.5
    assert value_at("x - y - 1", 5, 2) == 2 and value_at("8/2/2", 0, 0) == 2  # left-associative
    assert value_at("1 + 2*3", 0, 0) == 7 and value_at("(1 + 2)*3", 0, 0) == 9
    assert value_at("--x", 4, 0) == 4 and value_at("+-+x", 4, 0) == -4
    assert value_at("1e-3 + .5 + 2.5E+2 + 3.", 0, 0) == 0.001 + 0.5 + 250 + 3
    assert value_at("x ^ 2", 3, 0) == value_at("x ** 2", 3, 0) == 9
    assert value_at("pi", 0, 0) == math.pi and value_at("e", 0, 0) == math.e
    assert value_at("atan(x)", 2, 0) == value_at("arctan(x)", 2, 0) == math.atan(2)
    assert value_at("  x\n*\ty ", 2, 3) == 6


@pytest.mark.parametrize("text, expected", [  # at x = 2, y = 3, by hand
    ("-x*-y", 6), ("(-x)*(-y)", 6), ("(-x)/(-y)", 2 / 3), ("-x - -y", 1), ("-x + -y", -5), ("-(x*-y)", 6),
    ("-2*-x", 4), ("2*(3*-x)", -12), ("-x^2*-y^2", 36), ("(-x)^2", 4), ("0*x + 1*y - 0", 3), ("x^0 + y^1", 4),
    ("x/1 - 0/y", 2), ("--x*---y", -6), ("-(-(x - y))", -1), ("(x - y)*-1", 1),
])
def test_signs_and_identities_survive_simplification(text, expected):
    assert value_at(text, 2, 3) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("text", [
    "-x*-y + (-x)/(-y) - -x^2", "x*(2*(3*-y)) / -(1 + x^2)", "-(x - y)^3 * -(x + y)^-2 + 0*x - 1*y",
    "exp(-x)*-sin(-y) + (-2)^2*x", "sigmoid(-x*y) * -abs(-x) / (2 - -y^2)", "x^y - -y^-x",
])
def test_simplified_tree_evaluates_like_the_tree_as_parsed(text):
    p = random_points(((0.5, 2), (0.5, 2)), n=50, seed=3)
    raw = evaluate([parse(text)], p[:, 0], p[:, 1])[0]  # no folding, no identities, no sign moves
    np.testing.assert_allclose(custom_function(text).value(p), raw, rtol=1e-13)


def test_every_listed_function_and_constant_is_accepted():
    for name in USER_FUNCTIONS:
        assert np.isfinite(value_at(f"{name}(x + 2)", 0.5, 0))
    assert set(USER_FUNCTIONS) == {"sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "abs",
                                   "arctan", "atan", "sigmoid"}


def test_derivative_trees_are_simplified():
    # d/dx (x^2 + 3 sin y - 0.5 x y) = 2 x - 0.5 y, with no 0 * cos(y) or x^1 left over.
    tree = simplify(parse("x**2 + 3*sin(y) - 0.5*x*y"))
    two_x, half_y = Binary("*", Num(2.0), Var("x")), Binary("*", Num(0.5), Var("y"))
    assert derivative(tree, "x") == Binary("-", two_x, half_y)
    assert derivative(simplify(parse("3*x + y")), "x") == Num(3.0)
    assert derivative(derivative(simplify(parse("3*x + y*x")), "x"), "y") == Num(1.0)
    assert simplify(parse("2*3*x + 0*y + 1*x^1")) == Binary("+", Binary("*", Num(6.0), Var("x")), Var("x"))


# --- finite differences as the independent check, within RTOL of the local scale (see helpers) ---
FD_CASES = [
    ("x**2 + 3*sin(y) - 0.5*x*y", None),
    ("exp(-(x^2 + y^2)/2) * cos(x*y)", None),
    ("log(1 + x^2) + log(2 + sin(y))", None),
    ("sqrt(x^2 + y^2 + 1)", None),
    ("tanh(x*y) + sinh(x/3) - cosh(y/4)", None),
    ("abs(x - y) + abs(x + 2*y)", None),
    ("x/(1 + y^2) - y/(2 + x^2)", None),
    ("(1 - x)^2 + 100*(y - x^2)^2", ((-2, 2), (-1, 3))),
    ("x^3*y^2 - x^4 + y^5/7", None),
    ("(x^2 + 1)^(y/2)", None),
    ("2^x * 3^(-y)", None),
    ("sigmoid(2*x - y) * atan(x + y)", None),
    ("tan(x/4) * arctan(y)", None),
    ("x^y", ((0.5, 3), (-2, 2))),
    ("sin(x)^2 + cos(y)^2 / (1.5 + sin(x*y))", None),
    ("1e-3*x^4 + 2.5E+1*y^2*exp(-x)", None),
    ("-x^2 + +y^-2", ((-2, 2), (0.5, 2))),
    ("exp(sin(x)*cos(y)) - sqrt(abs(x*y) + 1)", None),
    ("log(x) * sqrt(y)", ((0.1, 3), (0.1, 3))),
]


@pytest.mark.parametrize("text, bounds", FD_CASES, ids=[text for text, _ in FD_CASES])
def test_derivatives_match_central_differences(text, bounds):
    s = custom_surface(text, bounds=bounds)
    p = random_points(s.bounds, seed=len(text))
    f, g, hess = s.value(p), s.grad(p), s.hessian(p)  # (n,), (n, 2), (n, 2, 2)
    numeric_g = central_difference(s.value, p)  # (n, 2)
    numeric_h = central_difference(s.grad, p)  # (n, 2, 2): [i, k] = d g_i / d x_k
    ok = (np.isfinite(f) & np.all(np.isfinite(numeric_g), axis=-1)
          & np.all(np.isfinite(numeric_h), axis=(-2, -1)))
    assert ok.sum() > 150  # the check really ran
    f, g, hess, numeric_g, numeric_h = f[ok], g[ok], hess[ok], numeric_g[ok], numeric_h[ok]
    allowed_g = RTOL * (1 + np.abs(f) + np.max(np.abs(g), axis=-1))[:, None]
    assert np.all(np.abs(numeric_g - g) <= allowed_g), np.max(np.abs(numeric_g - g) / allowed_g)
    allowed_h = RTOL * (1 + np.max(np.abs(g), axis=-1) + np.max(np.abs(hess), axis=(-2, -1)))[:, None, None]
    assert np.all(np.abs(numeric_h - hess) <= allowed_h), np.max(np.abs(numeric_h - hess) / allowed_h)
    np.testing.assert_array_equal(hess, np.swapaxes(hess, -1, -2))


def test_typed_rosenbrock_equals_the_built_in():
    built_in = get_surface("rosenbrock")
    typed = custom_surface("(1 - x)**2 + 100*(y - x**2)**2", bounds=built_in.bounds, start=built_in.start)
    p = random_points(built_in.bounds, seed=7)
    for a, b in [(typed.value(p), built_in.value(p)), (typed.grad(p), built_in.grad(p)),
                 (typed.hessian(p), built_in.hessian(p))]:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    assert typed.minima == built_in.minima == ((1.0, 1.0),) and typed.start == built_in.start


# --- compiled programs against the tree walk they replace ---------------------------------
# A 285-character expression near the size cap: 2,189 distinct derivative-tree operations.
_HALF = ("sigmoid(sigmoid(sigmoid(sigmoid(x*y)/(1+x^2))/(2+sigmoid(x-y)^2))/(1+sigmoid(sigmoid(x+y)/(1+y^2))^2))"
         "/(1+sigmoid(x/(1+sigmoid(y/(1+x^2))))^2)")
BIG = _HALF + "+" + _HALF.replace("x", "X").replace("y", "x").replace("X", "y")
ULPS = 4


def assert_within_ulps(new, old):
    """Same inf/nan pattern, finite entries within ULPS units in the last place of the tree walk's.

    The programs run the same IEEE operations on the same operands as the tree walk; they only
    reuse equal subresults, swap the operands of + and * (exact in IEEE arithmetic) and call
    np.square/np.sqrt/np.reciprocal for the exponents 2, 0.5, -1, which np.power does itself on
    arrays. So the results are expected bit for bit; 4 ulps leave room for a libm that rounds a
    vectorized and a scalar path differently, while any wrong or missing term is off by far more.
    """
    new, old = np.asarray(new), np.asarray(old)
    assert new.shape == old.shape
    np.testing.assert_array_equal(np.isnan(new), np.isnan(old))
    np.testing.assert_array_equal(np.isinf(new), np.isinf(old))
    finite = np.isfinite(old)
    np.testing.assert_array_equal(new[np.isinf(old)], old[np.isinf(old)])  # the same sign of infinity
    gap = np.abs(new[finite] - old[finite])
    assert np.all(gap <= ULPS * np.spacing(np.abs(old[finite]))), gap.max()


PROGRAM_CASES = [text for text, _ in FD_CASES] + list(HAND) + ["2.5", "y", "x", "-x", "x*y + y*x - 2*(y*x)", BIG]


@pytest.mark.parametrize("text", PROGRAM_CASES, ids=[t[:40] for t in PROGRAM_CASES])
def test_programs_equal_the_tree_walk(text):
    fn = custom_function(text)
    rng = np.random.default_rng(len(text))
    p = np.concatenate([rng.uniform(-3, 3, (300, 2)), rng.uniform(0.05, 3, (100, 2)),  # x > 0 for x^y, log
                        [[0, 0], [np.inf, 1], [1, -np.inf], [np.nan, 0], [1e300, -1e300], [-0.0, 2]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the programs, like the tree walk, never warn
        f, g, hess = fn.value_grad_hessian(p)
        parts = fn.value(p), fn.grad(p), fn.hessian(p)
    old_f, old_g, old_h = fn.tree_value_grad_hessian(p)
    for new, old in [(f, old_f), (g, old_g), (hess, old_h)] + list(zip(parts, (old_f, old_g, old_h))):
        assert_within_ulps(new, old)
    grid = p[:24].reshape(2, 3, 4, 2)  # any batch shape, and single points
    assert_within_ulps(fn.hessian(grid), old_h[:24].reshape(2, 3, 4, 2, 2))
    assert_within_ulps(fn.grad(p[7]), old_g[7])
    assert np.shape(fn.value(p[7])) == ()


def test_the_big_expression_is_near_the_cap_and_matches_finite_differences():
    fn = custom_function(BIG)
    assert len(BIG) == 285
    assert 2000 < len(postorder([fn.f, *fn.gradient, *fn.hessian_entries])) <= MAX_NODES
    p = random_points(((-3, 3), (-3, 3)), n=100, seed=11)
    f, g, hess = fn.value_grad_hessian(p)
    numeric_g, numeric_h = central_difference(fn.value, p), central_difference(fn.grad, p)  # see helpers
    scale_g = RTOL * (1 + np.abs(f) + np.max(np.abs(g), axis=-1))[:, None]
    scale_h = RTOL * (1 + np.max(np.abs(g), axis=-1) + np.max(np.abs(hess), axis=(-2, -1)))[:, None, None]
    assert np.all(np.abs(numeric_g - g) <= scale_g) and np.all(np.abs(numeric_h - hess) <= scale_h)


def test_equal_subexpressions_are_computed_once():
    # x*y and y*x are one value (IEEE multiplication commutes exactly): f = x*y + y*x - 2*(y*x) is
    # t = x*y, t + t, 2*t, then the difference: 4 NumPy calls, not 6.
    fn = custom_function("x*y + y*x - 2*(y*x)")
    assert fn.programs[0].size == 4
    # sin(x*y)^2 + cos(x*y)^2: x*y once, sin, cos, two squares, one sum = 6 calls.
    assert custom_function("sin(x*y)^2 + cos(x*y)^2").programs[0].size == 6
    # the value and gradient of exp(x*y) share exp(x*y): f, f_x = exp(x*y)*y, f_y = exp(x*y)*x
    # together are x*y, exp, two products: 4 calls.
    fn = custom_function("exp(x*y)")
    assert fn.programs[0].size == 2 and fn.programs[1].size == 4
    gradient = fn.value_grad_hessian(np.array([1.0, 2.0]))[1]
    np.testing.assert_array_equal(gradient, np.exp(2.0) * np.array([2.0, 1.0]))


def test_programs_reuse_registers():
    # x + x + ... + y (150 terms) is a chain of 149 additions, each reading the previous sum once:
    # one register for the running sum, besides x, y and the constants, whatever the length.
    program = custom_function("x+" * 149 + "y").programs[0]
    assert program.size == 149
    assert len(program.registers) == 3  # x, y, the running sum (no constants)


# --- broadcasting ------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["x**2 + 3*sin(y) - 0.5*x*y", "x^y + 1", "2.5", "y", "abs(x)"])
def test_meshgrid_batch_and_single_points_agree(text):
    s = custom_surface(text, bounds=((0.5, 2), (-1, 1)))
    X, Y = np.meshgrid(np.linspace(0.5, 2, 5), np.linspace(-1, 1, 7))
    grid = np.stack([X, Y], axis=-1)  # (7, 5, 2)
    f, g, hess = s.value(grid), s.grad(grid), s.hessian(grid)
    assert (f.shape, g.shape, hess.shape) == ((7, 5), (7, 5, 2), (7, 5, 2, 2))
    for i, j in np.ndindex(7, 5):
        assert np.shape(s.value(grid[i, j])) == ()
        np.testing.assert_allclose(f[i, j], s.value(grid[i, j]), rtol=1e-12)
        np.testing.assert_allclose(g[i, j], s.grad(grid[i, j]), rtol=1e-12)
        np.testing.assert_allclose(hess[i, j], s.hessian(grid[i, j]), rtol=1e-12)
    batch = grid.reshape(-1, 2)  # (35, 2)
    np.testing.assert_array_equal(s.value(batch), f.ravel())
    np.testing.assert_array_equal(s.grad([[1, 0], [2, 1]]), s.grad(np.array([[1.0, 0.0], [2.0, 1.0]])))


def test_constant_expression_broadcasts_to_full_arrays():
    s = custom_surface("2.5")
    grid = np.zeros((3, 4, 2))
    np.testing.assert_array_equal(s.value(grid), np.full((3, 4), 2.5))
    np.testing.assert_array_equal(s.grad(grid), np.zeros((3, 4, 2)))
    np.testing.assert_array_equal(s.hessian(grid), np.zeros((3, 4, 2, 2)))


# --- overflow and invalid values: inf/nan, never a warning or an exception -----------------
def test_overflow_gives_inf_without_warnings():
    s = custom_surface("exp(exp(x))")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = np.array([10.0, 0.0])  # exp(e^10) = exp(22026) overflows
        assert s.value(p) == np.inf
        assert not np.all(np.isfinite(s.grad(p))) and not np.all(np.isfinite(s.hessian(p)))
        np.testing.assert_allclose(s.value(np.array([0.0, 0.0])), math.e)  # exp(exp(0)) = e


@pytest.mark.parametrize("text, point", [("1/x", (0, 1)), ("log(x)", (-1, 0)), ("sqrt(x)", (-4, 0)),
                                         ("x^y", (-2, 0.5)), ("x/y + tan(x)", (0, 0)), ("exp(1000*x)", (5, 0))])
def test_invalid_points_give_inf_or_nan_without_warnings(text, point):
    s = custom_surface(text)
    wild = np.array([point, [np.inf, 0.0], [np.nan, 1.0], [1e300, -1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, g, hess = s.value(wild), s.grad(wild), s.hessian(wild)
    assert (f.shape, g.shape, hess.shape) == ((4,), (4, 2), (4, 2, 2))
    assert not np.isfinite(f[0]) or not np.all(np.isfinite(g[0]))


def test_a_run_that_overflows_is_flagged_as_diverged():
    s = custom_surface("exp(x^2)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = simulate(s, sgd(lr=1.0), np.array([2.0, 0.0]), 50)
    assert traj.status[0] == "diverged"


def test_a_run_on_a_typed_bowl_converges_to_its_minimum():
    s = custom_surface("(x - 1)^2 + (y + 2)^2")  # minimum at (1, -2)
    assert s.minima == ((1.0, -2.0),)
    traj = simulate(s, sgd(lr=0.1), np.array(s.start), 500)
    assert traj.status[0] == "converged"


# --- the Surface record ------------------------------------------------------------------
def test_surface_metadata_and_source():
    text = "x**2 + 3*sin(y)   - 0.5*x*y"
    s = custom_surface(text)
    assert s.name == "custom" and s.params == {} and s.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    assert s.start == (-2.1, 2.1)  # 70% of the way from the centre to the upper-left corner
    assert s.formula == r"x^{2} + 3 \cdot \sin\left(y\right) - 0.5 \cdot x \cdot y"
    assert set(s.description) == {"en", "zh"}
    assert s.description["en"] == "Your function f(x, y) = `x**2 + 3*sin(y) - 0.5*x*y`"
    assert s.description["zh"] == "自定义函数 f(x, y) = `x**2 + 3*sin(y) - 0.5*x*y`"
    assert source_of(s) == "x**2 + 3*sin(y) - 0.5*x*y"
    assert source_of(get_surface("rosenbrock")) is None


@pytest.mark.parametrize("text, latex", [
    ("(1 - x)^2 + 100*(y - x^2)^2", r"\left(1 - x\right)^{2} + 100 \cdot \left(y - x^{2}\right)^{2}"),
    ("x/(1 + y^2) - 2^-x", r"\frac{x}{1 + y^{2}} - 2^{-x}"),
    ("sqrt(abs(x)) + sigmoid(y)", r"\sqrt{\left|x\right|} + \operatorname{sigmoid}\left(y\right)"),
    ("-(x + y) * pi", r"-\left(x + y\right) \cdot \pi"),
    ("1e-5*exp(x)^2", r"1 \times 10^{-5} \cdot \left(\exp\left(x\right)\right)^{2}"),
    ("x - (y - 1)", r"x - \left(y - 1\right)"),
    ("atan(x)", r"\arctan\left(x\right)"),
])
def test_latex(text, latex):
    assert to_latex(parse(text)) == latex


def test_bounds_and_start_are_validated():
    s = custom_surface("x^2 + y^2", bounds=((0, 10), (-1, 1)), start=(5, 0.5))
    assert s.bounds == ((0.0, 10.0), (-1.0, 1.0)) and s.start == (5.0, 0.5)
    for bounds, culprit in [(((3, -3), (0, 1)), "min < max"), (((0, 1), (np.nan, 1)), "finite"),
                            (((0, np.inf), (0, 1)), "finite"), (((0, 2000), (0, 1)), "span"),
                            (((0, 1),), "bounds must look like"), ("abc", "bounds must look like")]:
        with pytest.raises(ValueError, match=culprit):
            custom_surface("x", bounds=bounds)
    with pytest.raises(ValueError, match="outside the bounds"):
        custom_surface("x", start=(5, 0))
    with pytest.raises(ValueError, match="start must be a point"):
        custom_surface("x", start=(1, 2, 3))


def test_default_start_is_where_f_and_its_gradient_are_finite():
    for text in ["log(x)", "sqrt(1 - x^2 - y^2)", "log(-x - y)"]:
        s = custom_surface(text)
        (x0, x1), (y0, y1) = s.bounds
        assert x0 <= s.start[0] <= x1 and y0 <= s.start[1] <= y1
        p = np.array(s.start)
        assert np.isfinite(s.value(p)) and np.all(np.isfinite(s.grad(p)))


def test_function_non_finite_almost_everywhere_is_rejected():
    for text in ["sqrt(-1 - x^2)", "log(-exp(x))", "exp(exp(exp(10 + x^2)))"]:
        with pytest.raises(ExpressionError, match="not finite"):
            custom_surface(text)


# --- stationary points -------------------------------------------------------------------
def test_typed_himmelblau_finds_the_built_in_stationary_points():
    built_in = get_surface("himmelblau")
    s = custom_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", bounds=built_in.bounds)
    np.testing.assert_allclose(sorted(s.minima), sorted(built_in.minima), atol=1e-9)
    np.testing.assert_allclose(sorted(s.saddles), sorted(built_in.saddles), atol=1e-9)
    assert s.value(np.array(s.minima[0])) <= s.value(np.array(s.minima[-1]))  # lowest first


def test_stationary_points_by_hand():
    assert custom_surface("x*y").saddles == ((0.0, 0.0),) and custom_surface("x*y").minima == ()
    assert custom_surface("x + y").minima == custom_surface("x + y").saddles == ()  # none anywhere
    assert custom_surface("abs(x) + abs(y)").minima == ()  # the kink is not found by Newton: best effort
    assert custom_surface("-(x^2) - y^2").minima == ()  # a maximum is neither
    # x^2/2 + y^4/4 - y^2/2 (the built-in saddle): minima (0, ±1), saddle (0, 0).
    s = custom_surface("x^2/2 + y^4/4 - y^2/2")
    np.testing.assert_allclose(sorted(s.minima), [(0, -1), (0, 1)], atol=1e-12)
    np.testing.assert_allclose(s.saddles, [(0, 0)], atol=1e-12)


def test_stationary_points_are_capped_and_really_stationary():
    s = custom_surface("sin(3*x) * sin(3*y)")  # dozens of stationary points in the box
    assert 0 < len(s.minima) <= 8 and 0 < len(s.saddles) <= 8
    points = np.array(s.minima + s.saddles)
    assert np.all(np.abs(s.grad(points)) < 1e-8)
    assert np.all(np.linalg.eigvalsh(s.hessian(np.array(s.minima))) > 0)
    gaps = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points))
    assert np.all(gaps > 1e-3)


# --- limits that are just allowed ----------------------------------------------------------
def test_limits_are_inclusive():
    custom_function("x+" * 149 + "y")  # 300 characters
    custom_function("(" * 30 + "x" + ")" * 30)  # 30 levels
    custom_function("sin(" * 15 + "(" * 15 + "x" + ")" * 30)  # calls count as levels too
    custom_function("x^16 + x^-16 + (x^4)^4 + 1e6*y + x^(2^4)")
    assert value_at("1e6", 0, 0) == 1e6


def test_too_complex_derivatives_are_rejected():
    with pytest.raises(ExpressionError, match=f"too complex.*at most {MAX_NODES}"):
        custom_function("^".join(["x", "y"] * 75)[:299])


# --- hostile input -------------------------------------------------------------------------
# (text, a fragment the message must contain, the position it must report)
HOSTILE = [
    ("__import__('os').system('ls')", "'__import__' is not allowed", 0),
    ("().__class__", "attribute access ('.')", 2),
    ("x.__class__", "attribute access ('.')", 1),
    ("(1).real", "attribute access ('.')", 3),
    ("1.real", "attribute access ('.')", 1),
    ("lambda: 0", "keyword 'lambda'", 0),
    ("[x for x in y]", "brackets '['", 0),
    ("open('f')", "unknown name 'open'", 0),
    ("eval('1')", "unknown name 'eval'", 0),
    ("exec", "unknown name 'exec'", 0),
    ("globals()", "unknown name 'globals'", 0),
    ("x; import os", "';'", 1),
    ("import os", "keyword 'import'", 0),
    ("x if y else 1", "keyword 'if'", 2),
    ("1e999", "number '1e999'", 0),
    ("-1e7 + x", "number '1e7'", 1),
    ("9**9**9", "exponent '9**9'", 1),
    ("x**1000", "exponent '1000'", 1),
    ("x ** -17", "exponent '-17'", 2),
    ("x^(1/0)", "exponent '(1/0)'", 1),
    ("(x^4)^8", "nested powers", 5),
    ("sin(x, y)", "function 'sin' takes one argument", 5),
    ("sin()", "function 'sin' takes one argument", 4),
    ("'abc'", "quotes", 0),
    ('"x"', "quotes", 0),
    ("x == y", "comparison '=='", 2),
    ("x < y", "comparison '<'", 2),
    ("x = 1", "assignment ('=')", 2),
    ("(" * 40 + "x" + ")" * 40, "nesting deeper than 30", 30),
    ("sin(" * 31 + "x" + ")" * 31, "nesting deeper than 30", 123),  # the 31st "(", after 30 "sin("
    ("x+" * 150 + "y", "too long: 301 characters", 300),
    ("x @ y", "operator '@'", 2),
    ("x // y", "operator '//'", 2),
    ("x % y", "operator '%'", 2),
    ("~x", "operator '~'", 0),
    ("x | y", "operator '|'", 2),
    ("x and y", "keyword 'and'", 2),
    ("not x", "keyword 'not'", 0),
    ("{}", "braces '{'", 0),
    ("[1]", "brackets '['", 0),
    ("\\u0078", "backslash", 0),
    ("é + 1", "'é' (U+00E9)", 0),
    ("ｘ*y", "'ｘ' (U+FF58)", 0),
    ("x\u200b", "U+200B", 1),
    ("x # note", "comments ('#')", 2),
    ("x:=1", "':'", 1),
    ("", "empty expression", 0),
    ("   \n\t ", "empty expression", 0),
    ("sin", "function 'sin' at position 0 needs parentheses", 0),
    ("sin x", "needs parentheses", 0),
    ("pi(x)", "'pi' at position 0 is not a function", 0),
    ("x(y)", "'x' at position 0 is not a function", 0),
    ("2x", "implicit multiplication is not supported, write 2*x", 1),
    ("x y", "write x*y", 2),
    ("(x)(y)", "implicit multiplication", 3),
    ("1.2.3", "malformed number '1.2.3'", 0),
    ("1_000", "'_000' is not allowed", 1),
    ("_", "'_' is not allowed", 0),
    ("None", "keyword 'None'", 0),
    ("max(x, y)", "unknown name 'max'", 0),
    ("Sin(x)", "unknown name 'Sin'", 0),
    ("1j", "unknown name 'j'", 1),
    ("x +", "ends too early after '+'", 3),
    ("(x", "expected ')' to close '(' at position 0", 2),
    ("x)", "unmatched ')'", 1),
    ("x * * y", "unexpected '*'", 4),
    ("x, y", "','", 1),
    ("()", "empty parentheses", 0),
]


WHOLE_INPUT = {"empty expression", "too long: 301 characters"}  # no token to point at: only .position


@pytest.mark.parametrize("text, fragment, position", HOSTILE, ids=[repr(t[:30]) for t, _, _ in HOSTILE])
def test_hostile_input_is_rejected_naming_the_culprit(text, fragment, position):
    with pytest.raises(ExpressionError) as error:
        custom_surface(text)
    assert isinstance(error.value, ValueError)
    assert fragment in str(error.value)
    assert error.value.position == position
    if fragment not in WHOLE_INPUT:
        assert f"position {position}" in str(error.value)


def test_non_text_is_rejected():
    with pytest.raises(ExpressionError, match="must be text"):
        custom_function(42)


def test_nothing_runs_while_parsing(monkeypatch, tmp_path):
    """No evaluator, compiler or import is reached, and a payload's side effect never happens."""
    sentinel = tmp_path / "pwned"
    payloads = [t for t, _, _ in HOSTILE] + [
        f"__import__('os').system('touch {sentinel}')", f"open('{sentinel}', 'w')",
        f"exec(\"open('{sentinel}', 'w')\")", "x + __builtins__.__import__('os')",
    ]
    calls = []

    def tripwire(name):
        def trip(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return trip

    with monkeypatch.context() as patch:
        for name in ["eval", "exec", "compile", "open", "__import__"]:  # __import__ last: setattr imports
            patch.setattr(builtins, name, tripwire(name))
        for text in payloads:
            with pytest.raises(ExpressionError):
                custom_function(text)
        custom_surface("x**2 + 3*sin(y) - 0.5*x*y")  # the happy path needs none of them either
    assert calls == [] and not sentinel.exists()


def test_implementation_uses_no_code_evaluating_parser():
    files = sorted((ROOT / "surfaces" / "typed").glob("*.py"))
    assert len(files) >= 5
    for path in files:
        source = path.read_text()
        for banned in ["eval(", "exec(", "compile(", "ast.parse", "sympify", "parse_expr", "__import__",
                       "import ast", "sympy", "numexpr", "importlib", "getattr("]:
            assert banned not in source, f"{path.name} contains {banned!r}"
