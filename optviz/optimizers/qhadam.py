r"""QHAdam: Adam whose numerator and denominator each mix the moving average with the current value.

QHAdam applies QHM's idea to both of Adam's averages: the step is
(ν1·m̂ + (1−ν1)·g) / (√(ν2·v̂ + (1−ν2)·g²) + ε). With ν1 = ν2 = 1 it is Adam; lowering ν1 gives the
fresh gradient a fixed share of the direction, so a long memory β1 (0.995) can be used without
the overshoot of a heavy momentum.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    divide, effective_rate, has_zero, learning_rate, per_run, runs_of,
                                    zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class QHAdamState(NamedTuple):
    count: int
    weight1: float | Array  # w1_t = 1 + β1 w1_{t−1} = (1 − β1^t)/(1 − β1), as qhoptim sums it
    weight2: float | Array  # w2_t, the same for β2
    first_moment: Array  # m̂, (runs, 2): already bias-corrected
    second_moment: Array  # v̂, (runs, 2)
    denominator: Array  # √(ν2 v̂_t + (1−ν2) g̃_t²) + ε of the last step, (runs, 2)


class QHAdamStep(NamedTuple):
    gradient: Array  # g̃_t
    weight1: float | Array
    weight2: float | Array
    first_moment: Array  # m̂_t
    second_moment: Array  # v̂_t
    numerator: Array  # ν1 m̂_t + (1−ν1) g̃_t
    denominator: Array  # √(ν2 v̂_t + (1−ν2) g̃_t²) + ε
    step: Array  # θ_t − θ_{t−1}


def qhadam_step(grad: Array, params: Array, weight1, weight2, first_moment: Array, second_moment: Array, eta, beta1,
                beta2, nu1, nu2, eps, decay: WeightDecay, zero_eps: bool) -> QHAdamStep:
    """One QHAdam update, in qhoptim's order of operations."""
    g = decay.gradient(grad, params)
    g2 = g * g
    w1, w2 = 1.0 + beta1 * weight1, 1.0 + beta2 * weight2
    a1, a2 = 1.0 - 1.0 / w1, 1.0 - 1.0 / w2  # the step's decay rates: 0 at t = 1, → β as t grows
    m = a1 * first_moment + (1.0 - a1) * g
    v = a2 * second_moment + (1.0 - a2) * g2
    numerator = nu1 * m + (1.0 - nu1) * g
    denominator = np.sqrt(nu2 * v + (1.0 - nu2) * g2) + eps
    return QHAdamStep(g, w1, w2, m, v, numerator, denominator, -eta * divide(numerator, denominator, zero_eps))


def qhadam(lr: float | Array = 0.001, beta1: float | Array = 0.995, beta2: float | Array = 0.999,
           nu1: float | Array = 0.7, nu2: float | Array = 1.0, eps: float | Array = 1e-8,
           weight_decay: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
           ) -> Optimizer:
    r"""QHAdam, as facebookresearch's ``qhoptim.pyt.QHAdam`` (``decouple_weight_decay=False``, its default).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ν1, ν2 (nu1, nu2), ε (eps), λ (weight_decay),
                    s (schedule), θ₀ (start), f (objective)
        initialize: m̂₀ ← 0, v̂₀ ← 0, w1₀ ← 0, w2₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            w1_t ← 1 + β1 w1_{t−1},   a1_t ← 1 − 1/w1_t        (w1_t = (1−β1^t)/(1−β1))
            w2_t ← 1 + β2 w2_{t−1},   a2_t ← 1 − 1/w2_t
            m̂_t ← a1_t m̂_{t−1} + (1−a1_t) g̃_t
            v̂_t ← a2_t v̂_{t−1} + (1−a2_t) g̃_t²
            θ_t ← θ_{t−1} − η_t (ν1 m̂_t + (1−ν1) g̃_t) / (√(ν2 v̂_t + (1−ν2) g̃_t²) + ε)
        return θ_t

    All per coordinate. qhoptim keeps the averages bias-corrected as it goes: with the rates a_t,
    m̂_t equals Adam's m_t/(1−β1^t) (and v̂_t Adam's v_t/(1−β2^t)) up to rounding. So ν1 = ν2 = 1 is
    torch.optim.Adam (ε after the root, as torch), and ν2 = 1, ν1 = β1 is close to NAdam (without its
    momentum schedule; qhoptim's ``from_nadam`` says the same). The defaults β1 = 0.995, ν1 = 0.7
    (β2 = 0.999, ν2 = 1) are the paper's recommendation; qhoptim's constructor defaults, ν1 = ν2 = 1 and β1 = 0.9, make it Adam.
    ``decouple_weight_decay=True`` (QHAdamW) is not offered. torch.optim has no QHAdam (torch 2.13).

    Records ``first_moment`` m̂_t, ``second_moment`` v̂_t and ``effective_lr`` η_t / (√(ν2 v̂_t + (1−ν2) g̃_t²) + ε).
    With ε = 0, where a coordinate's gradient has been exactly 0 so far, the step takes 0/0 as 0 and
    the effective lr is undefined (NaN), as for Adam.

    Reference: Ma & Yarats, "Quasi-hyperbolic momentum and Adam for deep learning", ICLR 2019;
    https://github.com/facebookresearch/qhoptim (package ``qhoptim``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    n1, n2 = per_run(nu1, "nu1"), per_run(nu2, "nu2")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> QHAdamState:
        return QHAdamState(0, 0.0, 0.0, zeros_like_runs(params), zeros_like_runs(params), np.full_like(params, np.inf))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = qhadam_step(grad, params, state.weight1, state.weight2, state.first_moment, state.second_moment,
                          rate.at(count), b1, b2, n1, n2, e, decay, zero_eps)
        return out.step, QHAdamState(count, out.weight1, out.weight2, out.first_moment, out.second_moment,
                                     out.denominator)

    def internals(s: QHAdamState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment,
                "effective_lr": effective_rate(rate.at(max(s.count, 1)), s.denominator, zero_eps)}

    return Optimizer("qhadam", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, nu1=nu1, nu2=nu2, eps=eps, weight_decay=weight_decay,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, nu1, nu2, eps, weight_decay))


def beta_weight(beta: float, t: int) -> float:
    """w_t = 1 + β w_{t−1}, w₀ = 0, summed as qhoptim sums it (the weights of the t-th update)."""
    w = 0.0
    for _ in range(t):
        w = 1.0 + beta * w
    return w


def explain(s: Replay) -> Array:
    b1, b2, n1, n2, e, w, t = (s.hyper["beta1"], s.hyper["beta2"], s.hyper["nu1"], s.hyper["nu2"], s.hyper["eps"],
                               s.w, s.t)
    decay = s.weight_decay()
    m_prev, v_prev = s.memory["first_moment"], s.memory["second_moment"]
    w1_prev, w2_prev = beta_weight(b1, t - 1), beta_weight(b2, t - 1)
    out = qhadam_step(s.g, s.theta, w1_prev, w2_prev, m_prev, v_prev, s.eta, b1, b2, n1, n2, e, decay, s.zero_eps)
    g, m, v = out.gradient, out.first_moment, out.second_moment
    a1, a2 = 1.0 - 1.0 / out.weight1, 1.0 - 1.0 / out.weight2
    G = s.show_gradient(decay, g)
    s.rows += [r"w_{1,t} &= 1 + \beta_1 w_{1,t-1}, \quad a_{1,t} = 1 - 1/w_{1,t}",
               r"w_{2,t} &= 1 + \beta_2 w_{2,t-1}, \quad a_{2,t} = 1 - 1/w_{2,t}",
               rf"\hat m_t &= a_{{1,t}} \hat m_{{t-1}} + (1-a_{{1,t}})\,{G}_t",
               rf"\hat v_t &= a_{{2,t}} \hat v_{{t-1}} + (1-a_{{2,t}})\,{G}_t^2",
               rf"\theta_t &= \theta_{{t-1}} - \eta_t\,\frac{{\nu_1 \hat m_t + (1-\nu_1)\,{G}_t}}"
               rf"{{\sqrt{{\nu_2 \hat v_t + (1-\nu_2)\,{G}_t^2}} + \epsilon}}"]
    for k, (beta, prev, cur, a) in enumerate(((b1, w1_prev, out.weight1, a1), (b2, w2_prev, out.weight2, a2)), 1):
        w.eq(rf"w_{{{k},{t}}}", rf"1 + {w.o(beta)} \cdot {w.o(prev)}", cur)
        w.eq(rf"a_{{{k},{t}}}", rf"1 - \frac{{1}}{{{w.n(cur)}}}", a)
    for i in range(2):
        w.eq(s.sym(r"\hat m", i), rf"{w.o(a1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(a1)}\right) \cdot {w.o(g[i])}",
             m[i])
    for i in range(2):
        w.eq(s.sym(r"\hat v", i), rf"{w.o(a2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(a2)}\right) \cdot {w.sq(g[i])}",
             v[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v,
                    weight1=out.weight1, weight2=out.weight2, numerator=out.numerator, denominator=out.denominator)
    terms = []
    for i in range(2):
        lim, eps = s.limit(np.sqrt(n2 * v + (1.0 - n2) * (g * g)), i)
        terms.append(rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.o(n1)} \cdot {w.o(m[i])} + \left(1 - {w.n(n1)}\right) "
                     rf"\cdot {w.o(g[i])}}}{{\sqrt{{{w.o(n2)} \cdot {w.o(v[i])} + \left(1 - {w.n(n2)}\right) \cdot "
                     rf"{w.sq(g[i])}}} + {eps}}}")
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="qhadam", order=20, display_name="QHAdam", group="adaptive",
    description=Text("Adam whose two averages each keep a share ν of the current gradient (QHM for Adam).",
                     "两个均值各保留当前梯度一定份额 ν 的 Adam（Adam 版的 QHM）。"),
    hyperparameters=(
        hp.lr(0.001), hp.beta1(0.995), hp.beta2(0.999),
        hp.nu("nu1", 0.7, Text("ν1: the share of m̂ in the numerator (1−ν1 of g)", "ν1：分子中 m̂ 的份额（g 占 1−ν1）")),
        hp.nu("nu2", 1.0, Text("ν2: the share of v̂ under the root (1−ν2 of g²)", "ν2：根号下 v̂ 的份额（g² 占 1−ν2）")),
        hp.eps(1e-8), hp.weight_decay()),
    build=qhadam, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate, as Adam's
    torch=None,
    no_torch="torch.optim has no QHAdam; the reference is facebookresearch's qhoptim package "
             "(tests/reference/thirdparty/qhadam.json).",
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment"), internals=("first_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m̂: first moment, the average gradient (bias-corrected)", "m̂：一阶矩，梯度的滑动平均（已修正偏差）"),
             "second_moment": Text("v̂: second moment, the average squared gradient (bias-corrected)",
                                   "v̂：二阶矩，梯度平方的滑动平均（已修正偏差）")},
    memory_symbols=lambda convention: "m̂, v̂",
)
