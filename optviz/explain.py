r"""Explain this step: the update rule of one run at one step, with its actual numbers put in.

Step t moves $\theta_{t-1}$ (``positions[t-1]``) to $\theta_t$ (``positions[t]``) using the
gradient at $\theta_{t-1}$ (``grad[t-1]``), the optimizer's state left by step t−1
(``internals[name][t-1]``) and the scheduled rate $\eta_t = \eta\cdot s(t-1)$. This module
replays that one update by hand, coordinate by coordinate, and writes every line as
``symbol = expression with numbers = result``.

Every line is arithmetic a reader can redo: the expression uses only the numbers shown
(``+ - \cdot``, ``\frac``, ``\sqrt``, powers), and its result is the next lines' input. Where
ε = 0 meets a coordinate with no gradient yet, the quotient would be 0/0: it is written as
``\lim_{\epsilon \to 0^{+}}`` of the quotient with ε kept, whose value 0 the optimizers take. With
``digits=None`` the numbers are printed exactly (shortest round-trip form), and redoing the
last line gives ``positions[t]`` to about 1e-15; with ``digits=6`` it gives it to about the
sixth digit. The new position itself is always computed at full precision, mirroring the
optimizer's own order of operations, and checked against the trajectory (``reproduces``).

Noise runs are explained exactly: the noise of step t is regenerated from the run's seed,
so the gradient shown is the noisy one the optimizer saw, $\nabla f(\theta_{t-1}) + \sigma\xi_t$.
A gradient from elsewhere (a mini-batch's) can be passed as ``gradient=``; the run's noise,
if any, is still added to it, as the wrappers do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.optimizers import HAS_BIAS_CORRECTION, standard_normal
from optviz.optimizers.base import divide, effective_rate
from optviz.race import OptimizerConfig
from optviz.schedules import Constant, parse as parse_schedule
from optviz.i18n import t
from optviz.trajectory import CONVERGED, DIVERGED, Trajectory

Array = np.ndarray

COORDS = ("x", "y")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
REPRODUCE_RTOL = 1e-9  # the replayed step must land on the recorded point to this (relative) precision




@dataclass(frozen=True, eq=False)
class Explanation:
    optimizer: str
    convention: str
    step: int
    status: str  # "moved" | "converged" | "diverged" (this step) | "stopped" (before this step)
    formula_latex: str  # the rule, symbols only, as one aligned block
    substituted_latex: list[str]  # one equation per line: "symbol = expression = result"
    values: dict[str, Any]  # full-precision inputs and intermediates: floats or (2,) arrays over (x, y)
    new_position: Array  # (2,) θ_t as replayed at full precision
    recorded_position: Array  # (2,) positions[step] of the trajectory
    reproduces: bool | None  # new_position == recorded_position (None where the step was not recorded)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ numbers as text

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


class _Writer:
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


# ------------------------------------------------------------------------------------ the replay

@dataclass
class _Step:
    """Everything one update needs, for one run; arrays are (2,) over (x, y)."""

    name: str
    convention: str
    t: int
    eta: float
    hyper: dict[str, float]
    theta: Array
    g: Array
    state: dict[str, Array]
    hessian: Array | None
    bias_correction: bool
    w: _Writer
    values: dict[str, Any]
    rows: list[str]  # the symbolic formula, one aligned row each

    @property
    def wd(self) -> float:
        return float(self.hyper.get("weight_decay", 0.0))

    @property
    def decoupled(self) -> bool:
        return self.convention == "keras" or self.name == "adamw"

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

    def decayed_gradient(self) -> tuple[Array, str]:
        r"""$\tilde g = g + \lambda\theta$ for L2 decay (written out only when λ ≠ 0); returns it and its symbol."""
        if self.decoupled:
            return self.g, "g"
        gt = self.g + self.wd * self.theta
        if self.wd != 0.0:
            self.rows.append(r"\tilde g_t &= g_t + \lambda\,\theta_{t-1}")
            for i in range(2):
                self.w.eq(self.sym(r"\tilde g", i),
                          f"{self.w.n(self.g[i])} + {self.w.o(self.wd)} \\cdot {self.w.o(self.theta[i])}", gt[i])
            self.values["decayed_gradient"] = gt
            return gt, r"\tilde g"
        return gt, "g"

    def decay_term(self, i: int) -> str:
        """`` - η·λ·θ`` of decoupled decay (empty when λ = 0)."""
        if not (self.decoupled and self.wd != 0.0):
            return ""
        return f" - {self.w.o(self.eta)} \\cdot {self.w.o(self.wd)} \\cdot {self.w.o(self.theta[i])}"

    def decay_row(self) -> str:
        return r" - \eta_t\lambda\,\theta_{t-1}" if self.decoupled and self.wd != 0.0 else ""

    def finish(self, step: Array, terms: list[str]) -> Array:
        """The last line per coordinate, ``x_t = x_{t-1} <terms> = x_t``; returns θ_t = θ_{t-1} + step."""
        new = self.theta + step
        for i in range(2):
            self.w.eq(self.pos(i), f"{self.w.n(self.theta[i])}{terms[i]}{self.decay_term(i)}", new[i])
        self.values["step"] = step
        self.values["new_position"] = new
        return new


def _sgd(s: _Step) -> Array:
    g, G = s.decayed_gradient()
    if s.convention == "keras":
        step = -s.eta * (s.wd * s.theta + g)
    else:
        step = -s.eta * g
    s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \eta_t\,{G}_t" + s.decay_row())
    return s.finish(step, [f" - {s.w.o(s.eta)} \\cdot {s.w.o(g[i])}" for i in range(2)])


def _heavy_ball(s: _Step) -> Array:
    b, w = s.hyper["beta"], s.w
    lookahead = s.name == "nesterov"
    prev = s.state["velocity"]
    if s.convention == "keras":
        prev = -prev  # the recorded velocity points uphill: Keras's buffer m is recorded as -m
        m = b * prev - s.eta * s.g
        s.rows.append(r"m_t &= \beta\,m_{t-1} - \eta_t\,g_t")
        for i in range(2):
            w.eq(s.sym("m", i), f"{w.o(b)} \\cdot {w.o(prev[i])} - {w.o(s.eta)} \\cdot {w.o(s.g[i])}", m[i])
        s.values.update(velocity_prev=prev, velocity=m)
        if lookahead:
            step = b * m - s.eta * s.g
            s.rows.append(r"\theta_t &= \theta_{t-1} + \beta\,m_t - \eta_t\,g_t" + s.decay_row())
            terms = [f" + {w.o(b)} \\cdot {w.o(m[i])} - {w.o(s.eta)} \\cdot {w.o(s.g[i])}" for i in range(2)]
        else:
            step = m
            s.rows.append(r"\theta_t &= \theta_{t-1} + m_t" + s.decay_row())
            terms = [f" + {w.o(m[i])}" for i in range(2)]
        if s.wd != 0.0:
            step = step - s.eta * s.wd * s.theta
        return s.finish(step, terms)
    g, G = s.decayed_gradient()
    textbook = s.convention == "textbook"
    damp = 1.0 - b if textbook else 1.0
    v = b * prev + damp * g
    damp_sym = r"(1-\beta)\," if textbook else ""
    s.rows.append(rf"v_t &= \beta\,v_{{t-1}} + {damp_sym}{G}_t")
    for i in range(2):
        scaled = rf"\left(1 - {w.n(b)}\right) \cdot {w.o(g[i])}" if textbook else w.o(g[i])
        w.eq(s.sym("v", i), f"{w.o(b)} \\cdot {w.o(prev[i])} + {scaled}", v[i])
    s.values.update(velocity_prev=prev, velocity=v)
    if lookahead:
        step = -s.eta * (damp * g + b * v)
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \eta_t\left({damp_sym}{G}_t"
                      r" + \beta\,v_t\right)")
        terms = []
        for i in range(2):
            scaled = rf"\left(1 - {w.n(b)}\right) \cdot {w.o(g[i])}" if textbook else w.o(g[i])
            terms.append(rf" - {w.o(s.eta)} \cdot \left({scaled} + {w.o(b)} \cdot {w.o(v[i])}\right)")
    else:
        step = -s.eta * v
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,v_t")
        terms = [f" - {w.o(s.eta)} \\cdot {w.o(v[i])}" for i in range(2)]
    return s.finish(step, terms)


def _scaled(s: _Step) -> Array:
    """AdaGrad and RMSprop."""
    e, w = s.hyper["eps"], s.w
    prev = s.state["second_moment"]
    keras = s.convention == "keras"
    g, G = (s.g, "g") if keras else s.decayed_gradient()
    if s.name == "adagrad":
        acc = prev + g * g
        s.rows.append(rf"s_t &= s_{{t-1}} + {G}_t^2")
        exprs = [f"{w.o(prev[i])} + {w.sq(g[i])}" for i in range(2)]
    else:
        b = s.hyper["beta"]
        acc = b * prev + (1.0 - b) * (g * g)
        s.rows.append(rf"s_t &= \beta\,s_{{t-1}} + (1-\beta)\,{G}_t^2")
        exprs = [rf"{w.o(b)} \cdot {w.o(prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(g[i])}" for i in range(2)]
    for i in range(2):
        w.eq(s.sym("s", i), exprs[i], acc[i])
    s.values.update(second_moment_prev=prev, second_moment=acc)
    # the optimizers' order of operations; where ε = 0 left a denominator 0, the quotient is its limit, 0
    if keras:
        den = np.sqrt(acc + e)
        step = -divide(s.eta * g, den, s.zero_eps) - s.eta * s.wd * s.theta
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \frac{{\eta_t}}{{\sqrt{{s_t + \epsilon}}}}\,{G}_t" + s.decay_row())
        terms = []
        for i in range(2):
            lim, eps = s.limit(den, i)
            terms.append(rf" - {lim}\frac{{{w.n(s.eta)} \cdot {w.o(g[i])}}}{{\sqrt{{{w.n(acc[i])} + {eps}}}}}" if lim else
                         rf" - \frac{{{w.n(s.eta)}}}{{\sqrt{{{w.n(acc[i])} + {eps}}}}} \cdot {w.o(g[i])}")
    else:
        den = np.sqrt(acc) + e
        step = -s.eta * divide(g, den, s.zero_eps)
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \frac{{\eta_t}}{{\sqrt{{s_t}} + \epsilon}}\,{G}_t")
        terms = []
        for i in range(2):
            lim, eps = s.limit(den, i)
            terms.append(rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(g[i])}}}{{\sqrt{{{w.n(acc[i])}}} + {eps}}}" if lim else
                         rf" - \frac{{{w.n(s.eta)}}}{{\sqrt{{{w.n(acc[i])}}} + {eps}}} \cdot {w.o(g[i])}")
    s.values["effective_lr"] = effective_rate(s.eta, den, s.zero_eps)  # NaN where undefined, as recorded
    return s.finish(step, terms)


def _adadelta(s: _Step) -> Array:
    b, e, w = s.hyper["beta"], s.hyper["eps"], s.w
    keras = s.convention == "keras"
    g, G = (s.g, "g") if keras else s.decayed_gradient()
    s_prev, u_prev = s.state["second_moment"], s.state["delta_accumulator"]
    acc = b * s_prev + (1.0 - b) * (g * g)
    rms_u, rms_s = np.sqrt(u_prev + e), np.sqrt(acc + e)
    ratio = divide(rms_u, rms_s, s.zero_eps)  # 0/0 (ε = 0, no gradient yet) taken as 0, as the optimizer does
    delta = ratio * g
    u = b * u_prev + (1.0 - b) * (delta * delta)
    s.rows += [rf"s_t &= \beta\,s_{{t-1}} + (1-\beta)\,{G}_t^2",
               rf"\Delta_t &= \frac{{\sqrt{{u_{{t-1}} + \epsilon}}}}{{\sqrt{{s_t + \epsilon}}}}\,{G}_t",
               r"u_t &= \beta\,u_{t-1} + (1-\beta)\,\Delta_t^2",
               r"\theta_t &= \theta_{t-1} - \eta_t\,\Delta_t" + s.decay_row()]
    for i in range(2):
        w.eq(s.sym("s", i), rf"{w.o(b)} \cdot {w.o(s_prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(g[i])}", acc[i])
    for i in range(2):
        lim, eps = s.limit(rms_s, i)
        w.eq(s.sym(r"\Delta", i), rf"{lim}\frac{{\sqrt{{{w.n(u_prev[i])} + {eps}}}}}{{\sqrt{{{w.n(acc[i])} + {eps}}}}}"
                                  rf" \cdot {w.o(g[i])}", delta[i])
    for i in range(2):
        w.eq(s.sym("u", i), rf"{w.o(b)} \cdot {w.o(u_prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(delta[i])}",
             u[i])
    s.values.update(second_moment_prev=s_prev, second_moment=acc, delta_accumulator_prev=u_prev,
                    delta_accumulator=u, delta=delta, effective_lr=s.eta * effective_rate(rms_u, rms_s, s.zero_eps))
    step = -s.eta * delta
    if keras:
        step = step - s.eta * s.wd * s.theta
    return s.finish(step, [f" - {w.o(s.eta)} \\cdot {w.o(delta[i])}" for i in range(2)])


def _adam(s: _Step) -> Array:
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    g, G = s.decayed_gradient()
    m_prev, v_prev = s.state["first_moment"], s.state["second_moment"]
    m = b1 * m_prev + (1.0 - b1) * g
    v = b2 * v_prev + (1.0 - b2) * (g * g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t", rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2"]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(g[i])}", v[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v)
    bc1, bc2 = 1.0 - b1**t, 1.0 - b2**t
    # where ε = 0 left a denominator 0 (m = v = 0: no gradient yet), the quotient is its limit, 0
    limits = [s.limit(np.sqrt(v), i) for i in range(2)]  # every form's denominator is 0 exactly where v is
    if not s.bias_correction:
        step = -s.eta * divide(m, np.sqrt(v) + e, s.zero_eps)
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{m_t}{\sqrt{v_t} + \epsilon}" + s.decay_row())
        terms = [rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(m[i])}}}{{\sqrt{{{w.n(v[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    elif s.convention == "keras":
        alpha = s.eta * np.sqrt(bc2) / bc1
        step = -(s.eta * np.sqrt(bc2) / bc1) * divide(m, np.sqrt(v) + e, s.zero_eps)
        s.rows += [r"\alpha_t &= \eta_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}",
                   r"\theta_t &= \theta_{t-1} - \alpha_t\,\frac{m_t}{\sqrt{v_t} + \hat\epsilon}" + s.decay_row()]
        w.eq(rf"\alpha_{{{t}}}", rf"{w.o(s.eta)} \cdot \frac{{\sqrt{{1 - {w.o(b2)}^{{{t}}}}}}}{{1 - {w.o(b1)}^{{{t}}}}}",
             alpha)
        s.values["alpha"] = alpha
        terms = [rf" - {w.o(alpha)} \cdot {lim}\frac{{{w.n(m[i])}}}{{\sqrt{{{w.n(v[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    else:
        m_hat, v_hat = m / bc1, v / bc2
        step = -(s.eta / bc1) * divide(m, np.sqrt(v) / np.sqrt(bc2) + e, s.zero_eps)  # torch's order of operations
        s.rows += [r"\hat m_t &= \frac{m_t}{1-\beta_1^t}", r"\hat v_t &= \frac{v_t}{1-\beta_2^t}",
                   r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}" + s.decay_row()]
        for i in range(2):
            w.eq(s.sym(r"\hat m", i), rf"\frac{{{w.n(m[i])}}}{{1 - {w.o(b1)}^{{{t}}}}}", m_hat[i])
        for i in range(2):
            w.eq(s.sym(r"\hat v", i), rf"\frac{{{w.n(v[i])}}}{{1 - {w.o(b2)}^{{{t}}}}}", v_hat[i])
        s.values.update(first_moment_corrected=m_hat, second_moment_corrected=v_hat)
        terms = [rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(m_hat[i])}}}{{\sqrt{{{w.n(v_hat[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    if s.decoupled and s.wd != 0.0:
        step = step - s.eta * s.wd * s.theta
    return s.finish(step, terms)


def _newton(s: _Step) -> Array:
    mu, w, H, g = s.hyper["damping"], s.w, s.hessian, s.g
    a, b, c = H[0, 0] + mu, H[0, 1], H[1, 1] + mu
    det = a * c - b * b
    direction = np.array([c * g[0] - b * g[1], a * g[1] - b * g[0]])
    step = -(s.eta / det) * direction
    s.rows += [r"H &= \nabla^2 f(\theta_{t-1})", r"D &= (H_{xx} + \mu)(H_{yy} + \mu) - H_{xy}^2",
               r"x_t &= x_{t-1} - \frac{\eta_t}{D}\left((H_{yy} + \mu)\,g_x - H_{xy}\,g_y\right)",
               r"y_t &= y_{t-1} - \frac{\eta_t}{D}\left((H_{xx} + \mu)\,g_y - H_{xy}\,g_x\right)"]
    for lhs, value in ((r"H_{xx}", H[0, 0]), (r"H_{xy}", H[0, 1]), (r"H_{yy}", H[1, 1])):
        w.eq(lhs, None, value)
    w.eq("D", rf"\left({w.n(H[0, 0])} + {w.o(mu)}\right) \cdot \left({w.n(H[1, 1])} + {w.o(mu)}\right) - {w.sq(b)}", det)
    s.values.update(hessian=H, determinant=det)
    diag = (rf"\left({w.n(H[1, 1])} + {w.o(mu)}\right)", rf"\left({w.n(H[0, 0])} + {w.o(mu)}\right)")
    terms = [rf" - \frac{{{w.n(s.eta)}}}{{{w.n(det)}}} \cdot \left({diag[i]} \cdot {w.o(g[i])} - {w.o(b)} \cdot "
             rf"{w.o(g[1 - i])}\right)" for i in range(2)]
    return s.finish(step, terms)


_REPLAY = {"sgd": _sgd, "momentum": _heavy_ball, "nesterov": _heavy_ball, "adagrad": _scaled,
           "rmsprop": _scaled, "adadelta": _adadelta, "adam": _adam, "adamw": _adam, "newton": _newton}
_STATE = {"momentum": ("velocity",), "nesterov": ("velocity",), "adagrad": ("second_moment",),
          "rmsprop": ("second_moment",), "adadelta": ("second_moment", "delta_accumulator"),
          "adam": ("first_moment", "second_moment"), "adamw": ("first_moment", "second_moment")}
_HYPER = {"sgd": ("lr", "weight_decay"), "momentum": ("lr", "beta", "weight_decay"),
          "nesterov": ("lr", "beta", "weight_decay"), "adagrad": ("lr", "eps", "weight_decay"),
          "rmsprop": ("lr", "beta", "eps", "weight_decay"), "adadelta": ("lr", "beta", "eps", "weight_decay"),
          "adam": ("lr", "beta1", "beta2", "eps", "weight_decay"),
          "adamw": ("lr", "beta1", "beta2", "eps", "weight_decay"), "newton": ("lr", "damping")}


# ------------------------------------------------------------------------------------ the entry point

def explain_step(config: OptimizerConfig, traj: Trajectory, run: int, step: int, lang: str = "en", *,
                 digits: int | None = 6, gradient: Array | None = None) -> Explanation:
    r"""Replay update ``step`` (1..steps) of run ``run``, which ``config`` describes, with its numbers.

    ``digits`` significant digits in the text (None: exact). ``gradient`` (2,) replaces the
    surface's gradient at step−1 when the optimizer was given another one (a mini-batch's, see
    :func:`optviz.regression.batch_gradient`); a noise run's noise σξ is regenerated from its
    seed and added on top either way. Raises ValueError for step 0,
    a step or run out of range, a config naming another optimizer, or a trajectory without the
    internals this optimizer's state needs. Steps after the run stopped return an explanation
    with no lines and a note saying so.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh' (got {lang!r})")
    if not 0 <= run < traj.runs:
        raise ValueError(f"run must be in [0, {traj.runs - 1}] (got {run!r})")
    if isinstance(step, bool) or int(step) != step:
        raise ValueError(f"step must be a whole number (got {step!r})")
    step = int(step)
    if step == 0:
        raise ValueError("step 0 is the start point: no update has happened yet; explain a step from 1 on")
    if not 1 <= step <= traj.steps:
        raise ValueError(f"step must be in [1, {traj.steps}] (got {step})")
    if traj.optimizers[run] != config.name:
        raise ValueError(f"run {run} was simulated with {traj.optimizers[run]!r}, not {config.name!r}")
    name, convention = config.name, config.convention
    if convention not in ("pytorch", "keras", "textbook"):
        raise ValueError(f"unknown convention {convention!r}")
    missing = [k for k in _STATE.get(name, ()) if k not in traj.internals]
    if missing:
        raise ValueError(f"explaining {name} needs the recorded internals {missing}; simulate with record_internals=True")

    schedule = parse_schedule(config.schedule)
    hyper = {key: float(config.value(key)) for key in _HYPER[name]}
    eta = hyper["lr"] * schedule(step - 1)
    theta = traj.positions[step - 1, run].astype(float)  # (2,)
    recorded = traj.positions[step, run].astype(float)
    true_grad = traj.grad[step - 1, run].astype(float)
    bias_correction = bool(config.bias_correction) if name in HAS_BIAS_CORRECTION else True
    w = _Writer(digits)
    values: dict[str, Any] = {"step": step, "theta_prev": theta, "surface_gradient": true_grad,
                              "lr_scheduled": eta, **hyper}
    rows: list[str] = []
    formula_head = _gradient_rows(config, gradient is not None, not isinstance(schedule, Constant))
    notes: list[str] = []
    stop = int(traj.stop_step[run])
    status_run = str(traj.status[run])
    if stop >= 0 and step > stop:
        notes.append(t("explain.stopped", lang, step=step, stop=stop, status=t(f"explain.status.{status_run}", lang)))
        return Explanation(name, convention, step, "stopped", _aligned(formula_head + _rule_rows(config)), [], values,
                           recorded, recorded, None, notes)

    prev_i = step - 1
    sub = str(prev_i).translate(_SUBSCRIPT)  # θ₁₂ in plain text
    notes.append(t("explain.inputs", lang, prev=sub, x=number(theta[0], digits), y=number(theta[1], digits)))
    if name in _STATE:
        notes.append(t("explain.memory", lang, names=_memory_symbols(name, convention), step_prev=prev_i))
    # the learning rate
    if isinstance(schedule, Constant):
        w.eq(r"\eta", None, eta)
    else:
        factor = schedule(step - 1)
        w.eq(rf"\eta_{{{step}}}", f"{w.o(hyper['lr'])} \\cdot {w.o(factor)}", eta)
        values["schedule_factor"] = factor
        notes.append(t("explain.schedule", lang, k=step - 1, schedule=config.schedule))
    # the gradient the optimizer saw: the surface's (or the one given), plus the run's noise if any
    base = true_grad if gradient is None else np.asarray(gradient, dtype=float).reshape(2)
    if gradient is not None:
        values["given_gradient"] = base
        notes.append(t("explain.given_gradient", lang))
    if config.noise > 0:
        xi = standard_normal(np.array([int(config.seed)]), step)[0]  # (2,): the wrapper's draw for update `step`
        g = base + config.noise * xi
        for i in range(2):
            w.eq(f"g_{{{COORDS[i]},{step}}}", f"{w.n(base[i])} + {w.o(config.noise)} \\cdot {w.o(xi[i])}", g[i])
        values.update(noise=config.noise, xi=xi)
        notes.append(t("explain.noisy", lang, seed=int(config.seed), step=step))
    else:
        g = base
        for i in range(2):
            w.eq(f"g_{{{COORDS[i]},{step}}}", None, g[i])
    values["gradient"] = g
    hessian = None
    if name == "newton":
        hessian = np.asarray(traj.surface.hessian(theta), dtype=float)  # (2, 2)
        notes.append(t("explain.newton", lang, prev=sub))
    state = {k: traj.internals[k][step - 1, run].astype(float) for k in _STATE.get(name, ())}
    replay = _Step(name, convention, step, eta, hyper, theta, g, state, hessian, bias_correction, w, values, rows)
    with np.errstate(all="ignore"):
        new = _REPLAY[name](replay)

    if digits is not None:
        notes.append(t("explain.rounded", lang, digits=digits))
    if status_run == DIVERGED and step == stop:
        status, reproduces = "diverged", None
        notes.append(t("explain.diverged", lang, prev=sub, x=number(theta[0], digits),
                          y=number(theta[1], digits)))
    else:
        status = "converged" if status_run == CONVERGED and step == stop else "moved"
        scale = np.maximum(np.abs(recorded), np.abs(new - theta))
        reproduces = bool(np.all(np.abs(new - recorded) <= REPRODUCE_RTOL * np.maximum(scale, 1e-300)))
        if status == "converged":
            notes.append(t("explain.converged", lang))
        if not reproduces:
            notes.append(t("explain.mismatch", lang, x=number(recorded[0], digits),
                              y=number(recorded[1], digits)))
    return Explanation(name, convention, step, status, _aligned(formula_head + rows), w.lines, values, new, recorded,
                       reproduces, notes)


def _memory_symbols(name: str, convention: str) -> str:
    """The state's symbols as the formula writes them: ``v``; ``m`` for Keras's momentum; ``m, v`` for Adam."""
    if name in ("momentum", "nesterov"):
        return "m" if convention == "keras" else "v"
    return {"adagrad": "s", "rmsprop": "s", "adadelta": "s, u", "adam": "m, v", "adamw": "m, v"}[name]


def _gradient_rows(config: OptimizerConfig, given: bool, scheduled: bool) -> list[str]:
    rows = []
    if scheduled:
        rows.append(r"\eta_t &= \eta\cdot s(t-1)")
    gradient = r"\nabla f_{B_t}(\theta_{t-1})" if given else r"\nabla f(\theta_{t-1})"  # B_t: the given batch
    rows.append(rf"g_t &= {gradient}" + (r" + \sigma\,\xi_t" if config.noise > 0 else ""))
    return rows


def _rule_rows(config: OptimizerConfig) -> list[str]:
    """The symbolic rule without numbers (for steps with nothing to substitute)."""
    dummy = _Step(config.name, config.convention, 1, 1.0,
                  {k: float(config.value(k)) for k in _HYPER[config.name]}, np.ones(2), np.ones(2),
                  {k: np.zeros(2) for k in _STATE.get(config.name, ())},
                  np.eye(2) if config.name == "newton" else None,
                  bool(config.bias_correction) if config.name in HAS_BIAS_CORRECTION else True, _Writer(6), {}, [])
    with np.errstate(all="ignore"):
        _REPLAY[config.name](dummy)
    return dummy.rows


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
