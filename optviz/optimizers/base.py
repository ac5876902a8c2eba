"""What every optimizer is: a pure ``init``/``update`` pair over positions of shape (runs, 2).

``init(params) -> state`` and ``update(grad, state, params, hessian) -> (step, state)``; the
caller adds ``step`` to ``params``. Nothing is mutated, so a run can be replayed from any
state. Hyperparameters are scalars or arrays of shape (runs,): one call runs a whole sweep.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from optviz.schedules import Schedule, constant

Array = np.ndarray

CONVENTIONS = ("pytorch", "keras", "textbook")


class Optimizer(NamedTuple):
    name: str
    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, Array | None], tuple[Array, Any]]
    internals: Callable[[Any], dict[str, Array]]  # state -> named (runs, 2) arrays worth plotting
    hyperparams: dict[str, Any]
    runs: int = 1  # runs implied by array hyperparameters; 1 when all are scalars
    needs_hessian: bool = False


def per_run(value: float | Array, name: str) -> float | Array:
    """A hyperparameter as a float, or as a (runs, 1) column that broadcasts over (runs, 2)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or an array of shape (runs,), got shape {arr.shape}")
    return arr[:, None]


def runs_of(*values: Any) -> int:
    """The number of runs the array-valued hyperparameters agree on (1 if all scalars)."""
    sizes = {np.shape(v)[0] for v in values if np.ndim(v) >= 1}
    if len(sizes) > 1:
        raise ValueError(f"hyperparameter arrays disagree on the number of runs: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)} (got {convention!r})")
    return convention


class LearningRate(NamedTuple):
    """``lr_t = lr * schedule(t - 1)`` for the t-th update (t = 1, 2, ...), as torch's schedulers do."""

    lr: float | Array
    schedule: Schedule

    def at(self, count: int) -> float | Array:
        return self.lr * self.schedule(count - 1)


def learning_rate(lr: float | Array, schedule: Schedule | None) -> LearningRate:
    return LearningRate(per_run(lr, "lr"), schedule or constant())


def zeros_like_runs(params: Array) -> Array:
    return np.zeros_like(params, dtype=float)


def divide(numerator, denominator, zero_eps: bool):
    """``numerator / denominator``; with ε = 0 a 0/0 is taken as 0, its limit as ε → 0⁺.

    Only a zero ε can make an adaptive denominator vanish (no gradient seen yet in that
    coordinate), so the plain division, exactly torch's arithmetic, serves every other case.
    """
    if not zero_eps:
        return numerator / denominator
    out = np.zeros(np.broadcast_shapes(np.shape(numerator), np.shape(denominator)))
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) != 0)


def effective_rate(numerator, denominator, zero_eps: bool):
    """``numerator / denominator`` as a recorded effective learning rate: NaN where it is undefined.

    With ε = 0, a coordinate that has seen no gradient yet has a zero denominator: η/0 for
    AdaGrad, RMSprop and Adam (it grows without bound as ε → 0⁺), 0/0 for AdaDelta. No number
    is honest there, so the rate is NaN ("undefined"); the step itself is 0, as the gradient
    there is 0 and ``divide`` takes 0/0 as 0.
    """
    if not zero_eps:
        return numerator / denominator
    out = np.full(np.broadcast_shapes(np.shape(numerator), np.shape(denominator)), np.nan)
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) != 0)


def has_zero(value) -> bool:
    return bool(np.any(np.asarray(value) == 0))
