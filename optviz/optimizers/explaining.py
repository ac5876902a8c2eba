r"""The toolkit an optimizer's "explain this step" is written with: numbers as LaTeX, one replayed step.

An optimizer module's ``explain(replay)`` computes its step with the very function its
``update`` uses, on the (2,) arrays of one run, and only writes it down:

- ``replay.rows``: the rule in symbols, one aligned row each (``v_t &= \beta\,v_{t-1} + g_t``);
- ``replay.w.eq(...)``: the substituted lines, ``symbol = expression with numbers = result``,
  where the expression uses only numbers shown and ``+ - \cdot``, ``\frac``, ``\sqrt``, powers;
- ``replay.values``: the full-precision intermediates, floats or (2,) arrays over (x, y).

It returns θ_t through :meth:`Replay.finish`. ``optviz.classroom.explain`` builds the Replay from a
trajectory, writes the learning-rate and gradient lines, and checks θ_t against the record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from optviz.optimizers.base import Array, WeightDecay

COORDS = ("x", "y")


def number(v: float, digits: int | None = 6) -> str:
    """``v`` as LaTeX: ``digits`` significant digits, or exactly (shortest round trip) for None."""
    v = float(v)
    if math.isnan(v):
        return r"\mathrm{NaN}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    s = repr(v) if digits is None else f"{v:.{digits}g}"
    mantissa, _, exponent = s.partition("e")
    if mantissa.endswith(".0"):
        mantissa = mantissa[:-2]
    return mantissa if not exponent else rf"{mantissa}\times 10^{{{int(exponent)}}}"


class Writer:
    """Collects the substituted lines, formatting numbers one way."""

    def __init__(self, digits: int | None):
        self.digits = digits
        self.lines: list[str] = []

    def n(self, v) -> str:
        return number(v, self.digits)

    def o(self, v) -> str:
        """An operand: parenthesized when negative or in scientific form."""
        s = self.n(v)
        return rf"\left({s}\right)" if s.startswith("-") or r"\times" in s else s

    def sq(self, v) -> str:
        return rf"{self.o(v)}^{{2}}"

    def eq(self, lhs: str, expr: str | None, result) -> None:
        r = self.n(result)
        self.lines.append(f"{lhs} = {r}" if expr is None or expr == r else f"{lhs} = {expr} = {r}")


@dataclass
class Replay:
    """One update of one run, to be written out; arrays are (2,) over (x, y)."""

    convention: str
    t: int
    eta: float  # η_t, the scheduled rate of this update
    hyper: dict[str, float]
    theta: Array  # θ_{t−1}
    g: Array  # the gradient the optimizer saw (noise included)
    memory: dict[str, Array]  # the recorded internals left by step t−1 (the spec's ``memory``)
    hessian: Array | None  # (2, 2) at θ_{t−1}, for optimizers that need it
    bias_correction: bool
    w: Writer
    values: dict[str, Any]
    rows: list[str]  # the symbolic formula, one aligned row each
    # For the methods that evaluate the objective themselves (``needs_surface``): the surface, and the
    # optimizer's own state before this step, rebuilt by replaying the run (L-BFGS's remembered pairs
    # are no recorded internal). None where there is no step to replay (the rule in symbols only).
    surface: Any = None
    state_before: Callable[[], Any] | None = None

    def sym(self, base: str, i: int, t: int | None = None) -> str:
        """``v_{x,12}``: a per-coordinate symbol at step t (default this step)."""
        return f"{base}_{{{COORDS[i]},{self.t if t is None else t}}}"

    def pos(self, i: int, t: int | None = None) -> str:
        return f"{COORDS[i]}_{{{self.t if t is None else t}}}"

    @property
    def zero_eps(self) -> bool:
        return self.hyper.get("eps") == 0.0

    def limit(self, denominator: Array, i: int) -> tuple[str, str]:
        r"""``(prefix, ε)`` for writing coordinate i's quotient: ``("", ε)`` normally, but where ε = 0
        left its denominator 0, ``(\lim_{\epsilon \to 0^{+}} , \epsilon)``: the 0/0 is not shown as a
        division by zero but as the limit the optimizers take (see ``optimizers.base.divide``)."""
        if self.zero_eps and denominator[i] == 0:
            return r"\lim_{\epsilon \to 0^{+}} ", r"\epsilon"
        return "", self.w.o(self.hyper["eps"])

    def weight_decay(self, decoupled: bool = False) -> WeightDecay:
        """The run's weight decay, as the optimizer built it (see ``WeightDecay.of``)."""
        return WeightDecay.of(self.hyper.get("weight_decay", 0.0), self.convention, decoupled)

    def show_gradient(self, decay: WeightDecay, gradient: Array) -> str:
        r"""Write $\tilde g = g + \lambda\theta$ (when L2 decay is on) with the optimizer's ``gradient``; its symbol."""
        if decay.decoupled or decay.rate == 0.0:
            return "g"
        self.rows.append(r"\tilde g_t &= g_t + \lambda\,\theta_{t-1}")
        for i in range(2):
            self.w.eq(self.sym(r"\tilde g", i),
                      f"{self.w.n(self.g[i])} + {self.w.o(decay.rate)} \\cdot {self.w.o(self.theta[i])}", gradient[i])
        self.values["decayed_gradient"] = gradient
        return r"\tilde g"

    @staticmethod
    def decay_row(decay: WeightDecay) -> str:
        """The decoupled shrink in the symbolic step row (empty when there is none)."""
        return r" - \eta_t\lambda\,\theta_{t-1}" if decay.decoupled and decay.rate != 0.0 else ""

    def finish(self, step: Array, terms: list[str], decay: WeightDecay | None = None) -> Array:
        """The last line per coordinate, ``x_t = x_{t-1} <terms> <decoupled shrink> = x_t``; returns θ_t."""
        new = self.theta + step
        shrink = decay is not None and decay.decoupled and decay.rate != 0.0
        for i in range(2):
            tail = f" - {self.w.o(self.eta)} \\cdot {self.w.o(decay.rate)} \\cdot {self.w.o(self.theta[i])}" if shrink else ""
            self.w.eq(self.pos(i), f"{self.w.n(self.theta[i])}{terms[i]}{tail}", new[i])
        self.values["step"] = step
        self.values["new_position"] = new
        return new
