"""The Surface record: a 2-D loss with its exact derivatives side by side.

Every function takes points of shape ``(..., 2)`` (a batch of runs ``(runs, 2)`` or a
stacked meshgrid ``(ny, nx, 2)``) and broadcasts like NumPy does:

- ``value(p)``   -> ``(...)``
- ``grad(p)``    -> ``(..., 2)``    [df/dx, df/dy]
- ``hessian(p)`` -> ``(..., 2, 2)`` [[f_xx, f_xy], [f_xy, f_yy]]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

Array = np.ndarray
Point = tuple[float, float]


class Parameter(NamedTuple):
    """A tunable number of a surface or an optimizer, with its allowed range.

    ``low_open``/``high_open`` exclude that end, so ``lr`` is ``(0, 100]`` and β ``[0, 1)``.
    """

    name: str
    default: float
    low: float
    high: float
    log: bool = False
    help: str = ""
    low_open: bool = False
    high_open: bool = False

    @property
    def range_text(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"

    def check(self, value: float) -> float:
        """Return ``value`` as float, or raise ValueError naming the parameter and range."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number in {self.range_text} (got {value!r})") from None
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        if not (np.isfinite(v) and above and below):
            raise ValueError(f"{self.name} must be in {self.range_text} (got {value!r})")
        return v


@dataclass(frozen=True)
class Surface:
    name: str
    value: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    hessian: Callable[[Array], Array]
    bounds: tuple[Point, Point]  # ((xmin, xmax), (ymin, ymax)) of the plot
    start: Point
    formula: str  # LaTeX, without surrounding $
    description: dict[str, str]  # {"en": ..., "zh": ...}
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    params: dict[str, float] = field(default_factory=dict)  # the values it was built with

    @property
    def min_value(self) -> float | None:
        """Lowest known minimum value, or None for surfaces unbounded below."""
        if not self.minima:
            return None
        return float(np.min(self.value(np.asarray(self.minima, dtype=float))))

    @property
    def radius(self) -> float:
        """Half-diagonal of the plot box, measured from its centre."""
        (x0, x1), (y0, y1) = self.bounds
        return 0.5 * float(np.hypot(x1 - x0, y1 - y0))

    @property
    def center(self) -> Array:
        (x0, x1), (y0, y1) = self.bounds
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])

    def grid(self, n: int = 200) -> tuple[Array, Array, Array]:
        """``X, Y, Z`` of shape ``(n, n)`` over the plot bounds, for contours and 3-D views."""
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        with np.errstate(all="ignore"):
            Z = self.value(np.stack([X, Y], axis=-1))
        return X, Y, Z
