"""A surface from a formula the user types: ``custom_surface("x**2 + 3*sin(y) - 0.5*x*y")``.

The text is parsed by our own tokenizer and parser (:mod:`surfaces.typed.parser`);
it never reaches a Python evaluator. The gradient and Hessian are exact: symbolic
derivatives of the parsed tree (:mod:`surfaces.typed.calculus`), turned once into
straight-line NumPy programs with shared subexpressions (:mod:`surfaces.typed.program`),
so a step costs about what the built-in surfaces' hand-written NumPy costs. Overflow and
invalid operations give inf/nan without warnings, which the simulation treats as divergence.

Example::

    s = custom_surface("(1 - x)^2 + 100*(y - x^2)^2", bounds=((-2, 2), (-1, 3)))
    s.grad(np.array([[0.0, 0.0], [1.0, 1.0]]))  # [[-2, 0], [0, 0]]
    source_of(s)                                 # "(1 - x)^2 + 100*(y - x^2)^2"

The stationary points are found numerically (Newton from a grid, on the exact
derivatives): best effort, possibly empty. ``abs`` has derivative ``sign`` and a zero
Hessian away from its kink.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MethodType

import numpy as np

from .._calculus import pack_grad, pack_hessian, split
from ..base import Array, Point, Surface
from .expression import Expr, ExpressionError, evaluate, postorder
from .calculus import gradient_and_hessian, simplify
from .latex import to_latex
from .parser import parse
from .program import Program, build_programs

DEFAULT_BOUNDS: tuple[Point, Point] = ((-3.0, 3.0), (-3.0, 3.0))
MAX_SPAN, MAX_COORDINATE = 1e3, 1e6
MAX_NODES = 3_000  # distinct operations in f and its five derivative trees
MIN_FINITE = 0.02  # share of a 40 x 40 grid of the bounds where f must be finite
MAX_POINTS = 8  # listed minima, and saddles, at most


@dataclass(frozen=True, eq=False)
class CustomFunction:
    """``f(x, y)`` from text: the parsed tree, its exact derivative trees, compiled NumPy programs.

    ``value``/``grad``/``hessian`` take points ``(..., 2)`` and return ``(...)``,
    ``(..., 2)``, ``(..., 2, 2)``, like every surface; ``value_grad_hessian`` returns all three
    from one program run. They run straight-line programs built once from the trees
    (:mod:`surfaces.typed.program`); ``tree_value_grad_hessian`` walks the trees instead, the
    way every call did before, kept as the reference the programs are tested and timed against.
    """

    source: str  # the text as typed, whitespace collapsed
    tree: Expr  # as parsed, for the LaTeX formula
    f: Expr  # simplified
    gradient: tuple[Expr, Expr]  # f_x, f_y
    hessian_entries: tuple[Expr, Expr, Expr]  # f_xx, f_xy, f_yy
    programs: tuple[Program, Program, Program, Program] = field(init=False, repr=False)  # f; f_x, f_y; H; all

    def __post_init__(self):
        object.__setattr__(self, "programs", tuple(build_programs(
            [self.f], list(self.gradient), list(self.hessian_entries),
            [self.f, *self.gradient, *self.hessian_entries])))

    def value(self, p) -> Array:
        x, y = split(p)
        return _full(self.programs[0].run(x, y)[0], np.shape(x))

    def grad(self, p) -> Array:
        x, y = split(p)
        return _pack_grad(*self.programs[1].run(x, y), np.shape(x))

    def hessian(self, p) -> Array:
        x, y = split(p)
        return _pack_hessian(*self.programs[2].run(x, y), np.shape(x))

    def value_grad_hessian(self, p) -> tuple[Array, Array, Array]:
        x, y = split(p)
        f, fx, fy, fxx, fxy, fyy = self.programs[3].run(x, y)
        shape = np.shape(x)
        return _full(f, shape), _pack_grad(fx, fy, shape), _pack_hessian(fxx, fxy, fyy, shape)

    def tree_value_grad_hessian(self, p) -> tuple[Array, Array, Array]:
        """The same three by walking the trees (``expression.evaluate``): the reference, slower."""
        f, fx, fy, fxx, fxy, fyy = _at([self.f, *self.gradient, *self.hessian_entries], p)
        return f, pack_grad(fx, fy), pack_hessian(fxx, fxy, fyy)


def _full(v, shape) -> Array:
    """``v`` (an array of ``shape``, a view of the input, or a float) as a new float array of ``shape``."""
    out = np.empty(shape)
    out[...] = v
    return out


def _pack_grad(fx, fy, shape) -> Array:
    out = np.empty(shape + (2,))
    out[..., 0], out[..., 1] = fx, fy
    return out


def _pack_hessian(fxx, fxy, fyy, shape) -> Array:
    out = np.empty(shape + (2, 2))
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = fxx, fxy, fxy, fyy
    return out


def _at(trees: list[Expr], p) -> list[Array]:
    x, y = split(p)
    return [np.array(np.broadcast_to(v, np.shape(x)), dtype=float) for v in evaluate(trees, x, y)]


def custom_function(text: str) -> CustomFunction:
    """Parse ``text`` and differentiate it twice; ExpressionError if it is not allowed."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}", None)
    tree = parse(text)
    f = simplify(tree)
    gradient, hessian = gradient_and_hessian(f)
    size = len(postorder([f, *gradient, *hessian]))
    if size > MAX_NODES:
        raise ExpressionError(f"expression is too complex: its derivatives need {size} operations "
                              f"(at most {MAX_NODES})", None)
    return CustomFunction(" ".join(text.split()), tree, f, gradient, hessian)


def custom_surface(text: str, bounds=None, start=None) -> Surface:
    """The surface ``f(x, y) = text`` over ``bounds`` (default ``((-3, 3), (-3, 3))``).

    ``start`` defaults to a point 70% of the way from the centre to the upper-left corner
    (or the nearest point where f and its gradient are finite). Raises ExpressionError for
    a rejected expression or one that is non-finite almost everywhere in the bounds, and
    ValueError for bad bounds or a start outside them.
    """
    fn = custom_function(text)
    box = check_bounds(bounds)
    _check_mostly_finite(fn, box)
    start = check_start(start, box) if start is not None else default_start(fn, box)
    minima, saddles = stationary_points(fn, box)
    return Surface(
        name="custom", value=fn.value, grad=fn.grad, hessian=fn.hessian, bounds=box, start=start,
        formula=to_latex(fn.tree),
        description={"en": f"Your function f(x, y) = `{fn.source}`",  # backticks: ** is not bold markdown
                     "zh": f"自定义函数 f(x, y) = `{fn.source}`"},
        minima=minima, saddles=saddles, params={},
    )


def source_of(surface: Surface) -> str | None:
    """The text a custom surface was built from, or None for a built-in surface."""
    value = surface.value
    is_custom = isinstance(value, MethodType) and isinstance(value.__self__, CustomFunction)
    return value.__self__.source if is_custom else None


def working_arrays(surface: Surface) -> int:
    """Arrays of the batch's shape a typed surface's value, gradient or Hessian holds at once (at most
    its largest program's registers), 0 for a built-in surface: what a caller sizing batches adds."""
    value = surface.value
    if not (isinstance(value, MethodType) and isinstance(value.__self__, CustomFunction)):
        return 0
    return max(len(program.registers) for program in value.__self__.programs[:3])


def check_bounds(bounds) -> tuple[Point, Point]:
    """``((xmin, xmax), (ymin, ymax))`` as floats: finite, min < max, span at most 1e3."""
    if bounds is None:
        return DEFAULT_BOUNDS
    try:
        (x0, x1), (y0, y1) = bounds
        x0, x1, y0, y1 = float(x0), float(x1), float(y0), float(y1)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must look like ((xmin, xmax), (ymin, ymax)), got {bounds!r}") from None
    for axis, low, high in (("x", x0, x1), ("y", y0, y1)):
        if not (abs(low) <= MAX_COORDINATE and abs(high) <= MAX_COORDINATE):
            raise ValueError(f"{axis} bounds must be finite numbers within ±1e6 (got {low:g}, {high:g})")
        if not low < high:
            raise ValueError(f"{axis} bounds need min < max (got {low:g}, {high:g})")
        if high - low > MAX_SPAN:
            raise ValueError(f"{axis} bounds span {high - low:g}; at most {MAX_SPAN:g}")
    return (x0, x1), (y0, y1)


def check_start(start, box: tuple[Point, Point]) -> Point:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y), got {start!r}") from None
    (x0, x1), (y0, y1) = box
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        raise ValueError(f"start ({x:g}, {y:g}) is outside the bounds {box}")
    return x, y


def _grid(box: tuple[Point, Point], n: int) -> Array:
    (x0, x1), (y0, y1) = box
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([X.ravel(), Y.ravel()], axis=-1)  # (n * n, 2)


def _check_mostly_finite(fn: CustomFunction, box: tuple[Point, Point]) -> None:
    finite = int(np.sum(np.isfinite(fn.value(_grid(box, 40)))))
    if finite < MIN_FINITE * 40 * 40:
        raise ExpressionError(f"f(x, y) is not finite (inf or nan) at {1600 - finite} of 1600 grid "
                              f"points of the bounds {box}: e.g. log or sqrt of negative numbers. Change the "
                              "expression or the bounds.", None)


def default_start(fn: CustomFunction, box: tuple[Point, Point]) -> Point:
    """70% (then 40%) toward a corner, upper-left first; else the usable grid point nearest that."""
    (x0, x1), (y0, y1) = box
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    corners = np.array([[x0, y1], [x1, y0], [x0, y0], [x1, y1]])
    candidates = np.concatenate([center + 0.7 * (corners - center), center + 0.4 * (corners - center),
                                 _grid(box, 40)])  # (8 + 1600, 2)
    usable = np.isfinite(fn.value(candidates)) & np.all(np.isfinite(fn.grad(candidates)), axis=-1)
    preferred = np.nonzero(usable[:8])[0]
    if len(preferred):
        return tuple(round(float(v), 12) for v in candidates[preferred[0]])  # -2.1, not -2.0999999999999996
    grid = candidates[8:][usable[8:]]  # not empty: f is finite on enough of the grid, and so is f'
    if not len(grid):
        raise ExpressionError("f(x, y) has no point in the bounds where it and its gradient "
                              "are finite", None)
    nearest = grid[np.argmin(np.linalg.norm(grid - candidates[0], axis=-1))]
    return float(nearest[0]), float(nearest[1])


def stationary_points(fn: CustomFunction, box: tuple[Point, Point], n: int = 24,
                      steps: int = 30) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    """``(minima, saddles)`` inside ``box``: Newton's method from an n x n grid on the exact
    derivatives, keeping points with ``|grad| < 1e-8``, classified by the Hessian's eigenvalues
    (maxima and flat directions are left out), lowest value first, at most MAX_POINTS each."""
    p, moving = _grid(box, n), np.ones(n * n, dtype=bool)  # (n * n, 2), (n * n,)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            q = p[moving]
            g, h = fn.grad(q), fn.hessian(q)
            a, b, c = h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]
            step = np.stack([c * g[:, 0] - b * g[:, 1], a * g[:, 1] - b * g[:, 0]], axis=-1)  # adj(H) g
            step /= (a * c - b * b)[:, None]  # a singular H gives inf/nan: dropped below
            p[moving] = q - step
            moving[moving] = np.max(np.abs(step), axis=-1) > 1e-15 * (1 + np.max(np.abs(q), axis=-1))
            if not moving.any():  # every start converged or left for inf/nan
                break
        f, g, h = fn.value(p), fn.grad(p), fn.hessian(p)
    (x0, x1), (y0, y1) = box
    keep = (np.isfinite(f) & np.all(np.isfinite(h), axis=(-2, -1)) & (np.max(np.abs(g), axis=-1) < 1e-8)
            & (x0 <= p[:, 0]) & (p[:, 0] <= x1) & (y0 <= p[:, 1]) & (p[:, 1] <= y1))
    p, f, h = p[keep], f[keep], h[keep]
    eigenvalues = np.linalg.eigvalsh(h)  # (k, 2), ascending
    minima, saddles, tol = [], [], 1e-3 * np.hypot(x1 - x0, y1 - y0)
    for i in np.argsort(f, kind="stable"):
        if any(np.hypot(*(p[i] - q)) <= tol for q in minima + saddles):
            continue
        low, high = eigenvalues[i]
        kind = minima if low > 0 else saddles if low < 0 < high else None
        if kind is not None and len(kind) < MAX_POINTS:
            kind.append(p[i])
    return tuple((float(x), float(y)) for x, y in minima), tuple((float(x), float(y)) for x, y in saddles)
