r"""Prodigy: Adam that learns its own learning rate, d, from how far the run has come.

Prodigy starts from a tiny step size d₀ and keeps an estimate d of the distance to the solution:
the ratio of "progress made", the sum of ⟨g, θ₀ − θ⟩ weighted by the steps taken, to the size of a
weighted sum of gradients. d only ever grows. The step is Adam's with learning rate η·d (η = 1 is
the intended setting), so the first steps are imperceptible, then d climbs by orders of magnitude
within a few dozen steps and the run takes off. All of it is one number per run: x and y share d.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, check_convention,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class ProdigyState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    gradient_sum: Array  # s, (runs, 2): the weighted sum of gradients whose size is d's denominator
    numerator: Array  # r, (runs, 2) (both columns equal): the weighted sum of ⟨g, θ₀ − θ⟩, d's numerator
    d: Array  # d_t, (runs, 2) (both columns equal): the step-size estimate after step t
    start: Array  # θ₀, (runs, 2)


class ProdigyStep(NamedTuple):
    beta3: float | Array  # √β2
    scaled_lr: Array  # η_t d_{t−1}, (..., 1)
    progress: Array  # (d_{t−1}/d₀)·η_t d_{t−1}·⟨g_t, θ₀ − θ_{t−1}⟩, (..., 1)
    numerator: Array  # r_t, (..., 1)
    gradient_sum: Array  # s_t
    size: Array  # |s_t|₁ = |s_x| + |s_y|, (..., 1)
    estimate: Array  # d̂_t = d_coef·r_t/|s_t|₁, (..., 1) (NaN where |s_t|₁ = 0)
    d: Array  # d_t = max(d_{t−1}, d̂_t), (..., 1)
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    denominator: Array  # √v_t + d_t ε
    moved: Array  # (..., 1) bool: False where |s_t|₁ = 0 (prodigyopt returns before stepping)
    step: Array  # θ_t − θ_{t−1}


def prodigy_step(grad: Array, params: Array, start: Array, first_moment: Array, second_moment: Array,
                 gradient_sum: Array, numerator: Array, d: Array, eta, beta1, beta2, eps, weight_decay, d0,
                 d_coef) -> ProdigyStep:
    """One Prodigy update over (..., 2) arrays, ``numerator`` and ``d`` as (..., 1) columns, in prodigyopt's order."""
    beta3 = np.sqrt(beta2)
    dlr = d * eta
    dot = np.sum(grad * (start - params), axis=-1, keepdims=True)
    progress = (d / d0) * dlr * dot
    m = beta1 * first_moment + (d * (1.0 - beta1)) * grad
    v = beta2 * second_moment + (d * d * (1.0 - beta2)) * (grad * grad)
    s = beta3 * gradient_sum + ((d / d0) * dlr) * grad
    size = np.sum(np.abs(s), axis=-1, keepdims=True)
    moved = size != 0
    r = np.where(moved, beta3 * numerator + progress, numerator)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(moved, d_coef * r / np.where(moved, size, 1.0), np.nan)
    d_new = np.where(moved, np.maximum(d, np.where(moved, estimate, 0.0)), d)
    denominator = np.sqrt(v) + d_new * eps
    direction = np.where(np.asarray(beta1) > 0, m, d_new * grad)  # β1 = 0 keeps no m: the step uses d_t·g_t
    step = -(weight_decay * dlr) * params - dlr * (direction / denominator)
    return ProdigyStep(beta3, dlr, progress, r, s, size, estimate, d_new, m, v, denominator, moved,
                       np.where(moved, step, 0.0))


def prodigy(lr: float | Array = 1.0, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
            eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, d0: float | Array = 1e-6,
            d_coef: float | Array = 1.0, *, convention: str = "pytorch", schedule: Schedule | None = None
            ) -> Optimizer:
    r"""Prodigy, as ``prodigyopt.Prodigy`` 1.1.2 with its defaults.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), d₀ (d0), c (d_coef),
                    s (schedule), θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, s₀ ← 0, r₀ ← 0, d₀ given;  β3 ← √β2
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            γ_t ← η_t d_{t−1}                                   (the step's learning rate)
            r_t ← β3 r_{t−1} + (d_{t−1}/d₀) γ_t ⟨g_t, θ₀ − θ_{t−1}⟩
            s_t ← β3 s_{t−1} + (d_{t−1}/d₀) γ_t g_t
            m_t ← β1 m_{t−1} + d_{t−1}(1−β1) g_t
            v_t ← β2 v_{t−1} + d_{t−1}²(1−β2) g_t²
            d̂_t ← c r_t / (|s_{t,x}| + |s_{t,y}|)
            d_t ← max(d_{t−1}, d̂_t)
            θ_t ← θ_{t−1} − γ_t λ θ_{t−1} − γ_t m_t / (√v_t + d_t ε)
        return θ_t

    ⟨·,·⟩ and the sum of |s| run over both coordinates: r, d̂ and d are one number per run. m and
    v carry the factor d, so m/√v is Adam's direction and the step is Adam's (without bias
    correction) at learning rate η_t d_{t−1}; ε is scaled by d_t to match.

    prodigyopt's defaults, which are the variant here: β3 = None (so √β2), ``decouple=True``
    (the decay −η_t d_{t−1} λ θ_{t−1} is applied to θ directly, not added to g),
    ``use_bias_correction=False``, ``safeguard_warmup=False``, ``growth_rate=inf`` (so d_t is
    max(d_{t−1}, d̂_t): prodigyopt keeps d_max and sets d ← min(d_max, d·growth), which is d_max),
    ``slice_p=1``. Those options are not offered. With β1 = 0 no m is kept and the step is
    −γ_t d_t g_t/(√v_t + d_t ε), as prodigyopt does. Where |s_t|₁ = 0 (every gradient so far
    exactly 0) prodigyopt returns before stepping: m, v and s are updated, r and d are not, and θ
    stays; the same holds here. torch.optim has no Prodigy (torch 2.13).

    Records ``d`` (d_t, the estimate after step t, on both columns), and the memory the next
    step starts from: ``first_moment`` m, ``second_moment`` v, ``gradient_sum`` s, ``numerator`` r
    and ``start`` θ₀.

    Reference: Mishchenko & Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
    ICML 2024; https://github.com/konstmish/prodigy (package ``prodigyopt``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    wd, start_d, c = per_run(weight_decay, "weight_decay"), per_run(d0, "d0"), per_run(d_coef, "d_coef")

    def init(params: Array) -> ProdigyState:
        zeros = zeros_like_runs(params)
        return ProdigyState(0, zeros, zeros, zeros, zeros, zeros + start_d, np.array(params, dtype=float))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = prodigy_step(grad, params, state.start, state.first_moment, state.second_moment, state.gradient_sum,
                           state.numerator[:, :1], state.d[:, :1], rate.at(count), b1, b2, e, wd, start_d, c)
        both = np.ones_like(params)
        return out.step, ProdigyState(count, out.first_moment, out.second_moment, out.gradient_sum,
                                      out.numerator * both, out.d * both, state.start)

    def internals(s: ProdigyState) -> dict[str, Array]:
        return {"d": s.d, "first_moment": s.first_moment, "second_moment": s.second_moment,
                "gradient_sum": s.gradient_sum, "numerator": s.numerator, "start": s.start}

    return Optimizer("prodigy", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, d0=d0, d_coef=d_coef,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay, d0, d_coef))


def explain(s: Replay) -> Array:
    b1, b2, e, lam, d0, c, w, t = (s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.hyper["weight_decay"],
                                   s.hyper["d0"], s.hyper["d_coef"], s.w, s.t)
    mem = s.memory
    d_prev, r_prev, start = mem["d"][:1], mem["numerator"][:1], mem["start"]
    out = prodigy_step(s.g, s.theta, start, mem["first_moment"], mem["second_moment"], mem["gradient_sum"], r_prev,
                       d_prev, s.eta, b1, b2, e, lam, d0, c)
    dp, dlr, d_new = float(d_prev[0]), float(out.scaled_lr[0]), float(out.d[0])
    m, v, sums = out.first_moment, out.second_moment, out.gradient_sum
    s.rows += [r"\beta_3 &= \sqrt{\beta_2}, \quad \gamma_t = \eta_t\,d_{t-1}",
               r"r_t &= \beta_3 r_{t-1} + \frac{d_{t-1}}{d_0}\,\gamma_t\,\langle g_t,\ \theta_0 - \theta_{t-1}\rangle",
               r"s_t &= \beta_3 s_{t-1} + \frac{d_{t-1}}{d_0}\,\gamma_t\,g_t",
               r"m_t &= \beta_1 m_{t-1} + d_{t-1}(1-\beta_1)\,g_t",
               r"v_t &= \beta_2 v_{t-1} + d_{t-1}^2(1-\beta_2)\,g_t^2",
               r"\hat d_t &= \frac{c\,r_t}{|s_{t,x}| + |s_{t,y}|}, \quad d_t = \max(d_{t-1}, \hat d_t)",
               r"\theta_t &= \theta_{t-1} - \gamma_t\lambda\,\theta_{t-1}"
               r" - \gamma_t\,\frac{m_t}{\sqrt{v_t} + d_t\,\epsilon}"]
    b3 = float(np.asarray(out.beta3))
    w.eq(r"\beta_3", rf"\sqrt{{{w.n(b2)}}}", b3)
    w.eq(rf"\gamma_{{{t}}}", rf"{w.o(s.eta)} \cdot {w.o(dp)}", dlr)
    ratio = rf"\frac{{{w.n(dp)}}}{{{w.n(d0)}}} \cdot {w.o(dlr)}"
    dot = " + ".join(rf"{w.o(s.g[i])} \cdot \left({w.n(start[i])} - {w.o(s.theta[i])}\right)" for i in range(2))
    moved = bool(out.moved[0])
    if moved:
        w.eq(rf"r_{{{t}}}", rf"{w.o(b3)} \cdot {w.o(r_prev[0])} + {ratio} \cdot \left({dot}\right)", out.numerator[0])
    for i in range(2):
        w.eq(s.sym("s", i), rf"{w.o(b3)} \cdot {w.o(mem['gradient_sum'][i])} + {ratio} \cdot {w.o(s.g[i])}", sums[i])
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(mem['first_moment'][i])} + {w.o(dp)} \cdot "
                            rf"\left(1 - {w.n(b1)}\right) \cdot {w.o(s.g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(mem['second_moment'][i])} + {w.sq(dp)} \cdot "
                            rf"\left(1 - {w.n(b2)}\right) \cdot {w.sq(s.g[i])}", v[i])
    s.values.update(d_prev=dp, d=d_new, scaled_lr=dlr, numerator=float(out.numerator[0]), gradient_sum=sums,
                    first_moment=m, second_moment=v, moved=moved)
    if not moved:  # |s_t|₁ = 0: prodigyopt returns before d and θ change
        return s.finish(out.step, [" - 0", " - 0"])
    w.eq(rf"\hat d_{{{t}}}", rf"\frac{{{w.o(c)} \cdot {w.o(out.numerator[0])}}}{{{w.n(abs(sums[0]))} + "
                             rf"{w.n(abs(sums[1]))}}}", float(out.estimate[0]))
    w.eq(rf"d_{{{t}}}", None, d_new)  # the larger of d_{t−1} and d̂_t
    s.values["estimate"] = float(out.estimate[0])
    direction = m if b1 > 0 else d_new * s.g
    terms = []
    for i in range(2):
        shrink = rf" - {w.o(dlr)} \cdot {w.o(lam)} \cdot {w.o(s.theta[i])}" if lam != 0 else ""
        num = w.n(direction[i]) if b1 > 0 else rf"{w.o(d_new)} \cdot {w.o(s.g[i])}"
        terms.append(rf"{shrink} - {w.o(dlr)} \cdot \frac{{{num}}}{{\sqrt{{{w.n(v[i])}}} + {w.o(d_new)} \cdot "
                     rf"{w.o(e)}}}")
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="prodigy", order=22, display_name="Prodigy", group="adaptive",
    description=Text("Adam that learns its own step size d, from how far the run has come; d only grows.",
                     "自己学习步长 d 的 Adam：由已走过的进展估计 d，d 只增不减。"),
    hyperparameters=(
        hp.lr(1.0), hp.beta1(), hp.beta2(),
        hp.eps(1e-8),
        hp.weight_decay(0.0, Text("decoupled weight decay λ (times η·d)", "解耦权重衰减 λ（乘以 η·d）")),
        Hyper("d0", 1e-6, 0.0, 1.0, (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1), "d0",
              Text("initial step size d₀", "初始步长 d₀"),
              Text("d₀: the step-size estimate before any step; d grows from it", "d₀：第一步之前的步长估计，d 从它开始增长"),
              Sweep(1e-8, 0.1, True), log=True, low_open=True),
        Hyper("d_coef", 1.0, 0.0, 100.0, (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0), "dcoef",
              Text("estimate factor c", "估计系数 c"),
              Text("c: multiplies every estimate d̂ (below 1: more cautious)", "c：乘在每个估计 d̂ 上（小于 1 更保守）"),
              Sweep(0.1, 10.0, True), log=True, low_open=True)),
    build=prodigy, explain=explain,
    tuning=TuningHint(tune_lr=False),  # η = 1: the method sets its own step size d
    torch=None,
    no_torch="torch.optim has no Prodigy; the reference is the authors' prodigyopt package "
             "(tests/reference/thirdparty/prodigy.json).",
    conventions=CONVENTIONS,
    memory=("d", "first_moment", "second_moment", "gradient_sum", "numerator", "start"),
    internals=("d", "first_moment", "second_moment", "gradient_sum", "numerator", "start"),
    plotted={"d": Text("d: the learned step-size estimate (it only grows)", "d：学到的步长估计（只增不减）")},
    memory_symbols=lambda convention: "d, m, v, s, r, θ₀",
    explain_note=Text("d, r and d̂ are one number per run: ⟨g, θ₀ − θ⟩ and |s_x| + |s_y| take both coordinates. "
                      "γ_t = η_t·d, with d as the previous step left it, is the learning rate this step actually uses.",
                      "d、r 和 d̂ 每次运行只有一个数：⟨g, θ₀ − θ⟩ 与 |s_x| + |s_y| 同时用到两个坐标。"
                      "γ_t = η_t·d（d 取上一步留下的值）是这一步实际使用的学习率。"),
)
