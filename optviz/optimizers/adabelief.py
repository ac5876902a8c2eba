r"""AdaBelief: Adam whose step is divided by how far the gradient strays from its own average.

Adam divides the momentum by the root of the mean *squared gradient*. AdaBelief divides it by the
root of the mean squared *surprise* (g_t − m_t)²: how much the new gradient disagrees with the
momentum, the "belief". Where the gradient is large but steady (a straight steep slope), the
surprise is small and the step is large; where it jumps about, the step is small.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adafactor import lerp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    divide, effective_rate, has_zero, learning_rate, per_run, runs_of,
                                    zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class AdaBeliefState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    belief: Array  # s, (runs, 2): the moving mean of (g − m)², ε included as the reference stores it
    denominator: Array  # (runs, 2): √s_t/√(1−β2^t) + ε of the last step, so η_t/(1−β1^t)/it is the effective lr


class AdaBeliefStep(NamedTuple):
    first_moment: Array  # m_t
    surprise: Array  # g_t − m_t
    belief: Array  # s_t
    scale: float | Array  # η_t / (1−β1^t)
    denominator: Array  # √s_t / √(1−β2^t) + ε
    step: Array  # θ_t − θ_{t−1}


def adabelief_step(grad: Array, params: Array, first_moment: Array, belief: Array, count: int, eta, beta1, beta2,
                   eps, decay: WeightDecay, zero_eps: bool) -> AdaBeliefStep:
    """The ``count``-th AdaBelief update, in pytorch-optimizer's order of operations."""
    m = lerp(first_moment, grad, 1.0 - beta1)  # torch.lerp's arithmetic, as the reference writes it
    r = grad - m
    s = beta2 * belief + (1.0 - beta2) * (r * r) + eps  # the reference adds ε to s itself, every step
    scale = eta / (1.0 - beta1**count)
    denominator = np.sqrt(s) / np.sqrt(1.0 - beta2**count) + eps
    step = decay.step(-scale * divide(m, denominator, zero_eps), eta, params)
    return AdaBeliefStep(m, r, s, scale, denominator, step)


def adabelief(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
              eps: float | Array = 1e-16, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
              schedule: Schedule | None = None) -> Optimizer:
    r"""AdaBelief, as kozistr's ``pytorch_optimizer.AdaBelief`` with its defaults (rectify=False, weight_decouple=True).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, s₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            m_t ← β1 m_{t−1} + (1−β1) g_t
            s_t ← β2 s_{t−1} + (1−β2) (g_t − m_t)² + ε
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − (η_t / (1−β1^t)) · m_t / (√s_t / √(1−β2^t) + ε)
        return θ_t

    All per coordinate. This is the paper's Algorithm 2 as both reference implementations write
    it: ε is added to s_t itself (and so carried into every later s), and once more after the
    root; the weight decay is decoupled (the weights shrink by 1 − η_t λ before the step, as in
    AdamW). m_t is computed as torch.lerp(m_{t−1}, g_t, 1−β1), the same number up to rounding.

    Variants not offered: the authors' ``adabelief-pytorch`` (0.2.1) defaults to ``rectify=True``
    (a RAdam-style warm-up of the step, and plain momentum steps for the first ~5 steps) and
    shares this rule otherwise; ``amsgrad``/``ams_bound``; L2 (coupled) decay; ``fixed_decay``.
    The default ε = 1e-16 is the reference's (the authors recommend 1e-8 where SGD beats Adam);
    it lies below the ε slider's first notch. torch.optim has no AdaBelief (torch 2.13).

    Records ``first_moment`` m_t, ``belief`` s_t and ``effective_lr`` η_t/((1−β1^t)(√s_t/√(1−β2^t) + ε)).
    With ε = 0, where a coordinate's gradient has been exactly 0 so far (m_t = s_t = 0), the step
    takes 0/0 as 0 and the effective lr is undefined (NaN), as for Adam.

    Reference: Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed
    Gradients", NeurIPS 2020; https://github.com/kozistr/pytorch_optimizer (``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention, decoupled=True)
    zero_eps = has_zero(e)

    def init(params: Array) -> AdaBeliefState:
        return AdaBeliefState(0, zeros_like_runs(params), zeros_like_runs(params), np.full_like(params, np.inf))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = adabelief_step(grad, params, state.first_moment, state.belief, count, rate.at(count), b1, b2, e, decay,
                             zero_eps)
        return out.step, AdaBeliefState(count, out.first_moment, out.belief, out.denominator)

    def internals(s: AdaBeliefState) -> dict[str, Array]:
        count = max(s.count, 1)
        return {"first_moment": s.first_moment, "belief": s.belief,
                "effective_lr": effective_rate(rate.at(count) / (1.0 - b1**count), s.denominator, zero_eps)}

    return Optimizer("adabelief", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def explain(s: Replay) -> Array:
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    decay = s.weight_decay(decoupled=True)
    m_prev, s_prev = s.memory["first_moment"], s.memory["belief"]
    out = adabelief_step(s.g, s.theta, m_prev, s_prev, t, s.eta, b1, b2, e, decay, s.zero_eps)
    m, r, v = out.first_moment, out.surprise, out.belief
    s.rows += [r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t",
               r"s_t &= \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \epsilon",
               r"\theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,"
               r"\frac{m_t}{\sqrt{s_t}/\sqrt{1-\beta_2^t} + \epsilon}" + s.decay_row(decay)]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(s.g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("s", i), rf"{w.o(b2)} \cdot {w.o(s_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot "
                            rf"\left({w.n(s.g[i])} - {w.o(m[i])}\right)^{{2}} + {w.o(e)}", v[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, belief_prev=s_prev, belief=v, surprise=r,
                    scale=out.scale)
    terms = []
    for i in range(2):
        lim, eps = s.limit(np.sqrt(v), i)
        terms.append(rf" - \frac{{{w.n(s.eta)}}}{{1 - {w.o(b1)}^{{{t}}}}} \cdot {lim}\frac{{{w.n(m[i])}}}"
                     rf"{{\frac{{\sqrt{{{w.n(v[i])}}}}}{{\sqrt{{1 - {w.o(b2)}^{{{t}}}}}}} + {eps}}}")
    return s.finish(out.step, terms, decay)


SPEC = OptimizerSpec(
    name="adabelief", order=17, display_name="AdaBelief", group="adaptive",
    description=Text("Adam that divides by the spread of the gradient around its average (the belief), not by "
                     "its size.",
                     "用梯度偏离其均值的程度（“信念”）而不是梯度大小来缩放步长的 Adam。"),
    hyperparameters=(
        hp.lr(0.001),
        hp.beta1(),
        dataclasses.replace(hp.beta2(), help=Text("β2: decay of the mean squared surprise (g − m)²",
                                                  "β2：意外量 (g − m)² 的均值的衰减率")),
        dataclasses.replace(hp.eps(1e-16), help=Text("ε, added to s every step and after the root",
                                                     "ε，每步加到 s 上，开方后再加一次")),
        hp.weight_decay(0.0, Text("decoupled weight decay λ", "解耦权重衰减 λ"))),
    build=adabelief, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g)/β1: g − m₁ = β1 g, so √ŝ₁ = β1|g|
    torch=None,
    no_torch="torch.optim has no AdaBelief; the reference is kozistr's pytorch-optimizer package "
             "(tests/reference/thirdparty/adabelief.json).",
    conventions=CONVENTIONS,
    memory=("first_moment", "belief"), internals=("first_moment", "belief", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "belief": Text("s: the average squared surprise (g − m)²", "s：意外量 (g − m)² 的滑动平均")},
    memory_symbols=lambda convention: "m, s",
)
