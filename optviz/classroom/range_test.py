r"""Smith's learning-rate range test: one run whose lr grows exponentially, loss read against lr.

- ``range_test(surface, "sgd", start, lr_min, lr_max, steps)`` -> :class:`RangeTest`
- ``ExponentialGrowth(factor)``: the schedule it runs with, m_k = factor^k

The t-th update (t = 1 … N) uses η_t = lr_min·g^{t−1} with g = (lr_max/lr_min)^{1/(N−1)}, so the first
uses lr_min and the last lr_max. ``optviz.schedules.Exponential`` only decays (γ ≤ 1, as torch's
ExponentialLR is used), so the growth is this module's own schedule, passed to the optimizer as any
schedule is (``lr·schedule(k)``, k = t − 1).

Reading it: ``loss[t]`` is the loss after update t, plotted against η_t. Only the part before the loss
first rises above ``stop_factor`` times its best so far (measured above the minimum) counts (a diverged
run stops there too). That part is smoothed by a centred moving average of ``window`` points (odd; no
lag, unlike the exponential average fastai uses, which shifts the curve towards larger rates by about
``1/(1 − β)`` updates) of log(loss − f_min) (``log_loss=True``; the raw loss with False), then
differentiated against log η by central differences (``np.gradient``): the steepest-descent point is
the most negative slope.

The suggestion is the lr of the lowest smoothed loss divided by 10 (fastai's "minimum/10"), not the
steepest point. On these deterministic surfaces the steepest point misleads both ways (measured in
``tests/test_range_test.py``): on the raw loss it sits where the accumulated Σ η_t first suffices to
crush the steep direction, so it shrinks as the ramp lengthens (to 1/100 of the best constant lr);
on the log loss it sits near the lowest loss, 4–6× past the stability limit 2/λ_max, because
a steep direction already crushed to 1e-20 takes many unstable steps to show again. The lowest loss
has the same lag, which the division by 10 absorbs. Smith, "Cyclical Learning Rates for Training
Neural Networks", 2017, section 3.3; Gugger, "How do you find a good learning rate", 2017.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.optimizers import make_optimizer
from optviz.simulate import simulate
from surfaces.base import Surface

Array = np.ndarray

STOP_FACTOR = 4.0  # stop reading once the loss exceeds this many times its best so far (fastai's choice)
WINDOW = 5
SUGGEST_DIVISOR = 10.0  # the suggestion: the lr of the lowest loss, divided by this (fastai's "minimum/10")


@dataclass(frozen=True)
class ExponentialGrowth:
    r"""$m_k = g^k$ with g ≥ 1: the multiplier of the range test."""

    factor: float

    def __call__(self, k: int) -> float:
        return self.factor**k


@dataclass(frozen=True, eq=False)
class RangeTest:
    lrs: Array  # (N,) η_t of update t = 1 … N
    loss: Array  # (N,) loss after update t
    smoothed: Array  # (N,) centred moving average (NaN past the stop)
    slope: Array  # (N,) d smoothed / d log η (NaN past the stop)
    stop: int  # updates read: loss[:stop] is the part before the blow-up
    steepest: int  # index of the most negative slope
    steepest_lr: float  # lrs[steepest]
    lowest_lr: float  # lr at the lowest smoothed loss before the stop
    suggested_lr: float  # lowest_lr / SUGGEST_DIVISOR
    diverged_at: int  # update at which the run diverged, −1 if it did not
    start_loss: float
    floor: float  # f_min (the surface's, else min(0, lowest loss)): gaps are loss − floor
    log_loss: bool  # smoothed and slope are of log(loss − floor) rather than of the loss


def moving_average(values: Array, window: int) -> Array:
    """Centred mean over ``window`` points (odd), the window shrunk symmetrically at the ends."""
    values = np.asarray(values, dtype=float)
    half = window // 2
    out = np.empty_like(values)
    n = len(values)
    for i in range(n):
        h = min(half, i, n - 1 - i)
        out[i] = values[i - h:i + h + 1].mean()
    return out


def range_test(surface: Surface, optimizer: str = "sgd", start=None, lr_min: float = 1e-4, lr_max: float = 10.0,
               steps: int = 200, *, window: int = WINDOW, stop_factor: float = STOP_FACTOR, log_loss: bool = True,
               **settings) -> RangeTest:
    """Run ``optimizer`` once with its lr growing from ``lr_min`` to ``lr_max`` over ``steps`` updates.

    ``settings`` go to ``make_optimizer`` (other hyperparameters, ``convention``, ``noise``…).
    Raises ValueError for an empty range, fewer than ``window + 2`` steps or an even window.
    """
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max (got {lr_min!r}, {lr_max!r})")
    if window < 1 or window % 2 == 0 or steps < window + 2:
        raise ValueError(f"window must be odd and steps ≥ window + 2 (got window {window}, steps {steps})")
    growth = (lr_max / lr_min) ** (1.0 / (steps - 1))
    opt = make_optimizer(optimizer, lr=lr_min, schedule=ExponentialGrowth(growth), **settings)
    point = np.asarray(surface.start if start is None else start, dtype=float)
    traj = simulate(surface, opt, point, steps, record_internals=False, tol=0.0)
    lrs = lr_min * growth ** np.arange(steps)  # (N,)
    loss = traj.loss[1:, 0]  # (N,) after update t
    diverged_at = int(traj.stop_step[0]) if traj.status[0] == "diverged" else -1
    best = np.minimum.accumulate(np.concatenate([[traj.loss[0, 0]], loss]))[:-1]  # best before update t
    floor = surface.min_value if surface.min_value is not None else min(0.0, float(loss.min()))
    blown = (loss - floor) > stop_factor * (best - floor)
    if diverged_at > 0:
        blown[diverged_at - 1:] = True
    stop = int(blown.argmax()) if blown.any() else steps
    stop = max(stop, window + 2)
    smoothed = np.full(steps, np.nan)
    slope = np.full(steps, np.nan)
    gap = np.maximum(loss[:stop] - floor, np.finfo(float).tiny)
    smoothed[:stop] = moving_average(np.log(gap) if log_loss else loss[:stop], window)
    slope[:stop] = np.gradient(smoothed[:stop], np.log(lrs[:stop]))
    steepest = int(np.nanargmin(slope))
    lowest = float(lrs[int(np.nanargmin(smoothed))])
    return RangeTest(lrs, loss, smoothed, slope, stop, steepest, float(lrs[steepest]), lowest,
                     lowest / SUGGEST_DIVISOR, diverged_at, float(traj.loss[0, 0]), float(floor), bool(log_loss))


def best_constant_lr(surface: Surface, optimizer: str = "sgd", start=None, lrs=None, steps: int = 200,
                     **settings) -> tuple[float, Array, Array]:
    """(best lr, lrs, final loss) of a vectorized sweep of constant rates (one run each, same start, steps).

    Diverged runs count as infinitely bad. ``lrs`` defaults to 61 log-spaced rates, 1e-4 … 10.
    """
    lrs = np.geomspace(1e-4, 10.0, 61) if lrs is None else np.asarray(lrs, dtype=float)
    point = np.asarray(surface.start if start is None else start, dtype=float)
    traj = simulate(surface, make_optimizer(optimizer, lr=lrs, **settings), point, steps, record_internals=False)
    final = np.where(traj.status == "diverged", np.inf, traj.loss[-1])
    return float(lrs[int(np.argmin(final))]), lrs, final
