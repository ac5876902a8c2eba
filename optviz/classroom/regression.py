r"""Fitting a line by gradient descent: the course notes' RMSprop example, made live.

The data are $y_i = 2x_i + 1 + \text{noise}$, and the loss over the two parameters $(w, b)$
of the line $\hat y = wx + b$ is the mean squared error

    $L(w, b) = \frac1n\sum_i (wx_i + b - y_i)^2$,
    $\nabla L = \frac2n\sum_i r_i\,[x_i, 1]$ with $r_i = wx_i + b - y_i$,
    $H = \frac2n\begin{bmatrix}\sum x_i^2 & \sum x_i\\ \sum x_i & n\end{bmatrix}$ (constant).

L is a quadratic bowl, so it is written through five averages of the data
($\overline{x}, \overline{x^2}, \overline{y}, \overline{xy}, \overline{y^2}$) and evaluates a
whole meshgrid of (w, b) at once. Its minimum, the least-squares line, solves the normal
equations $H\,[w, b]^\top = \frac2n[\sum x_iy_i, \sum y_i]^\top$ in closed form.

With x spread over [−½, ½] the bowl is 12 times steeper along b than along w, which is the
picture in the notes: plain gradient descent zig-zags in b while it crawls in w, and RMSprop
evens the two out.

Mini-batches: :func:`with_minibatches` wraps any optimizer so that update t sees the gradient
of the MSE on a batch of the data drawn from ``(seed, t)`` alone: reproducible, and the
same batch for every run of a step (runs differ by their optimizer, not by their batches).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optimizers import SPECS
from optviz.optimizers.base import Optimizer
from optviz.race import unique_labels
from optviz.simulate import simulate
from optviz.tuning import classroom_learning_rate
from surfaces._calculus import pack_grad, pack_hessian, split
from surfaces.base import Surface

Array = np.ndarray

TRUE_W, TRUE_B = 2.0, 1.0
BOUNDS = ((-1.0, 5.0), (-2.0, 4.0))  # (w, b) around the true line (2, 1)
START = (-0.5, 3.5)
MAX_POINTS = 10_000


class RegressionData(NamedTuple):
    x: Array  # (n,)
    y: Array  # (n,)


class _Moments(NamedTuple):
    """The five averages that determine the MSE of every line."""

    x: float
    xx: float
    y: float
    xy: float
    yy: float


def make_data(n: int = 100, seed: int = 0, noise: float = 0.5, spread: float = 0.5) -> RegressionData:
    """``n`` points with ``x ~ U(−spread, spread)`` and ``y = 2x + 1 + noise·ξ``, ξ standard normal; seeded."""
    if isinstance(n, bool) or int(n) != n or not 2 <= n <= MAX_POINTS:
        raise ValueError(f"n must be a whole number in [2, {MAX_POINTS}] (got {n!r})")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number (got {seed!r})")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a number ≥ 0 (got {noise!r})")
    if not (np.isfinite(spread) and spread > 0):
        raise ValueError(f"spread must be a number > 0 (got {spread!r})")
    rng = np.random.default_rng(int(seed))
    x = rng.uniform(-1.0, 1.0, int(n)) * spread  # (n,)
    y = TRUE_W * x + TRUE_B + noise * rng.standard_normal(int(n))  # (n,)
    return RegressionData(x, y)


def _moments(x: Array, y: Array) -> _Moments:
    return _Moments(float(np.mean(x)), float(np.mean(x * x)), float(np.mean(y)), float(np.mean(x * y)),
                    float(np.mean(y * y)))


def _value(m: _Moments, p) -> Array:
    """``(...)`` mean of (w x + b − y)² expanded in the averages."""
    w, b = split(p)
    return (w * w * m.xx + 2 * w * b * m.x + b * b - 2 * w * m.xy - 2 * b * m.y + m.yy)


def _grad(m: _Moments, p) -> Array:
    """``(..., 2)`` [2(w·mean x² + b·mean x − mean xy), 2(w·mean x + b − mean y)]."""
    w, b = split(p)
    return pack_grad(2 * (w * m.xx + b * m.x - m.xy), 2 * (w * m.x + b - m.y))


def _hessian(m: _Moments, p) -> Array:
    """``(..., 2, 2)`` 2[[mean x², mean x], [mean x, 1]] everywhere."""
    w, _ = split(p)
    return pack_hessian(np.full_like(w, 2 * m.xx), 2 * m.x, 2.0)


def least_squares(data: RegressionData) -> tuple[float, float]:
    """``(w*, b*)`` from the normal equations, by Cramer's rule on the 2×2 system."""
    m = _moments(data.x, data.y)
    det = m.xx - m.x * m.x  # the variance of x
    if not det > 0:
        raise ValueError("the x values must not all be equal: the line is not determined")
    return (m.xy - m.x * m.y) / det, (m.xx * m.y - m.x * m.xy) / det


def mse_surface(data: RegressionData) -> Surface:
    """The MSE over (w, b) as a :class:`Surface` (exact value, gradient, Hessian over ``(..., 2)``)."""
    x, y = np.asarray(data.x, dtype=float), np.asarray(data.y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be 1-D arrays of one length (got {x.shape} and {y.shape})")
    m = _moments(x, y)
    w_star, b_star = least_squares(RegressionData(x, y))
    return Surface(
        name="regression",
        value=lambda p: _value(m, p),
        grad=lambda p: _grad(m, p),
        hessian=lambda p: _hessian(m, p),
        bounds=BOUNDS,
        start=START,
        formula=r"\frac{1}{n}\sum_{i=1}^{n} (w x_i + b - y_i)^2",
        description={
            "en": f"Mean squared error of the line y = w x + b on {x.size} noisy points from y = 2x + 1; "
                  "the bowl is much steeper along b than along w.",
            "zh": f"直线 y = w x + b 在 {x.size} 个来自 y = 2x + 1 的带噪声数据点上的均方误差；"
                  "曲面沿 b 方向比沿 w 方向陡得多。",
        },
        minima=((w_star, b_star),),
        params={"n": float(x.size)},
    )


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> Array:
    """``(batch_size,)`` sorted indices drawn without replacement for update ``step``, from ``(seed, step)`` only.

    Sorted, so a full batch is ``arange(n)`` and its gradient is bit-for-bit the full one.
    """
    if batch_size == n:
        return np.arange(n)
    return np.sort(np.random.default_rng([int(seed), int(step)]).choice(n, size=batch_size, replace=False))


def batch_gradient(data: RegressionData, params, batch_size: int, seed: int, step: int) -> Array:
    """``(..., 2)`` gradient of the MSE on the batch of update ``step`` at ``params`` ``(..., 2)``."""
    idx = batch_indices(len(data.x), batch_size, seed, step)
    x, y = np.asarray(data.x, dtype=float)[idx], np.asarray(data.y, dtype=float)[idx]
    return _grad(_moments(x, y), params)


class BatchState(NamedTuple):
    count: int
    inner: Any


def with_minibatches(optimizer: Optimizer, data: RegressionData, batch_size: int, seed: int = 0) -> Optimizer:
    r"""Wrap ``optimizer`` so update t sees $\nabla L_{B_t}$, the MSE gradient on batch $B_t$, not $\nabla L$.

    $B_t$ holds ``batch_size`` distinct points drawn from ``(seed, t)``; every run of update t
    uses the same $B_t$. ``batch_size = n`` gives exactly the full gradient, so exactly the
    full-batch trajectory. Like :func:`optviz.optimizers.with_gradient_noise`, only the
    gradient changes; the surface (and so the recorded loss and gradient) is still the full MSE.
    """
    n = len(data.x)
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be a whole number in [1, {n}] (got {batch_size!r})")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number (got {seed!r})")
    batch_size, seed = int(batch_size), int(seed)

    def init(params: Array) -> BatchState:
        return BatchState(0, optimizer.init(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        g = batch_gradient(data, params, batch_size, seed, count)  # (runs, 2)
        step, inner = optimizer.update(g, state.inner, params, hessian)
        return step, BatchState(count, inner)

    return optimizer._replace(init=init, update=update, internals=lambda st: optimizer.internals(st.inner),
                              hyperparams={**optimizer.hyperparams, "batch_size": batch_size, "batch_seed": seed})


def tuned_for_regression(optimizers: tuple, steps: int, n: int = 100, seed: int = 0) -> tuple:
    """The contestants (OptimizerConfigs) with learning rates tuned on this data's MSE, every other setting kept.

    A learning rate tuned for the race's surface means nothing on this bowl (its curvatures are
    2·mean x² ≈ 1/6 along w and 2 along b), so each is re-chosen the way the race's defaults are:
    ``tuning.classroom_learning_rate`` on the MSE from ``START`` over ``steps`` (full-batch). An
    optimizer whose spec says not to tune its rate (Newton) is left as it is.
    """
    surface = mse_surface(make_data(int(n), int(seed)))
    return tuple(config.with_values(lr=classroom_learning_rate(surface, config.name, START, int(steps)))
                 if SPECS[config.name].tuning.tune_lr else config
                 for config in optimizers)


def run_regression(optimizers: tuple, steps: int, n: int = 100, seed: int = 0, batch_size: int | None = None,
                   batch_seed: int = 0):
    """Race ``optimizers`` (OptimizerConfigs) on the MSE of a fresh data set; returns (trajectory, data).

    ``batch_size`` None or ≥ n means full-batch gradients; smaller draws mini-batches.
    """
    if not 2 <= int(n) <= 10_000:
        raise ValueError(f"number of points must be in [2, 10000] (got {n!r})")
    data = make_data(int(n), int(seed))
    built = [config.build() for config in optimizers]
    if batch_size is not None and int(batch_size) < data.x.size:
        if int(batch_size) < 1:
            raise ValueError(f"batch size must be in [1, {data.x.size}] (got {batch_size!r})")
        built = [with_minibatches(opt, data, int(batch_size), int(batch_seed)) for opt in built]
    traj = simulate(mse_surface(data), built, np.asarray(START, dtype=float), int(steps),
                    labels=unique_labels(tuple(optimizers)))
    return traj, data
