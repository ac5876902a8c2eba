r"""AdEMAMix: Adam plus a second, much slower momentum, added on top with weight α.

One moving average cannot both follow the latest gradients and remember old ones. AdEMAMix keeps
two: Adam's fast momentum m1 (β1 = 0.9, the last ~10 gradients) and a slow one m2 (β3 = 0.9999,
the last ~10 000), and steps along (m̂1 + α·m2)/(√v̂ + ε). The slow average is not bias-corrected,
so it starts at almost nothing and builds up over thousands of steps: on a 50-step picture it only
shows with a smaller β3.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adafactor import lerp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, WeightDecay,
                                    check_convention, divide, effective_rate, has_zero, learning_rate, per_run,
                                    runs_of, zeros_like_runs)
from optviz.optimizers.explaining import COORDS, Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class AdEMAMixState(NamedTuple):
    count: int
    first_moment: Array  # m1, the fast momentum, (runs, 2)
    slow_moment: Array  # m2, the slow momentum, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    denominator: Array  # √v_t/√(1−β2^t) + ε of the last step, (runs, 2)


class AdEMAMixStep(NamedTuple):
    gradient: Array  # g̃_t
    first_moment: Array  # m1_t
    slow_moment: Array  # m2_t
    second_moment: Array  # v_t
    mixture: Array  # m1_t/(1−β1^t) + α m2_t
    denominator: Array  # √v_t/√(1−β2^t) + ε
    step: Array  # θ_t − θ_{t−1}


def ademamix_step(grad: Array, params: Array, first_moment: Array, slow_moment: Array, second_moment: Array,
                  count: int, eta, beta1, beta2, beta3, alpha, eps, decay: WeightDecay, zero_eps: bool) -> AdEMAMixStep:
    """The ``count``-th AdEMAMix update, in pytorch-optimizer's order of operations."""
    g = decay.gradient(grad, params)
    m1 = lerp(first_moment, g, 1.0 - beta1)
    v = beta2 * second_moment + (1.0 - beta2) * (g * g)
    m2 = lerp(slow_moment, g, 1.0 - beta3)
    denominator = np.sqrt(v) / np.sqrt(1.0 - beta2**count) + eps
    mixture = m1 / (1.0 - beta1**count) + alpha * m2
    return AdEMAMixStep(g, m1, m2, v, mixture, denominator, -eta * divide(mixture, denominator, zero_eps))


def ademamix(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
             beta3: float | Array = 0.9999, slow_weight: float | Array = 5.0, eps: float | Array = 1e-8,
             weight_decay: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
             ) -> Optimizer:
    r"""AdEMAMix, as kozistr's ``pytorch_optimizer.AdEMAMix`` with its defaults (no α/β3 warm-up, L2 decay).

    ::

        input:      η (lr), β1, β2, β3 (beta1, beta2, beta3), α (slow_weight), ε (eps), λ (weight_decay),
                    s (schedule), θ₀ (start), f (objective)
        initialize: m1₀ ← 0, m2₀ ← 0, v₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m1_t ← β1 m1_{t−1} + (1−β1) g̃_t                  (fast momentum)
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            m2_t ← β3 m2_{t−1} + (1−β3) g̃_t                  (slow momentum, not bias-corrected)
            θ_t ← θ_{t−1} − η_t (m1_t/(1−β1^t) + α m2_t) / (√v_t/√(1−β2^t) + ε)
        return θ_t

    All per coordinate. ``slow_weight`` is the paper's and the reference's ``alpha`` (ASGD's α is
    another hyperparameter of that name here). The moving averages m1, m2 are computed as torch.lerp
    does (m + w(g̃ − m), or g̃ − (g̃ − m)(1 − w) for w ≥ 1/2), the same numbers up to rounding.

    The reference's defaults are used: ``t_alpha_beta3=None``, so α and β3 are constant. The paper
    (and the authors' code, with T_{α,β3} set) warms both up over the first T steps: α linearly
    from 0, β3 from β1 along a curve in log(β); that schedule is not offered. The reference's
    default decay is L2 (``weight_decouple=False``: λθ added to the gradient, so it enters every
    moving average); the paper decouples it, AdamW-style, which is not offered.
    torch.optim has no AdEMAMix (torch 2.13).

    Records ``first_moment`` m1_t, ``slow_moment`` m2_t, ``second_moment`` v_t and ``effective_lr``
    η_t/(√v_t/√(1−β2^t) + ε). With ε = 0, where a coordinate's gradient has been exactly 0 so far,
    the step takes 0/0 as 0 and the effective lr is undefined (NaN), as for Adam.

    Reference: Pagliardini, Ablin & Grangier, "The AdEMAMix Optimizer: Better, Faster, Older",
    ICLR 2025; https://github.com/kozistr/pytorch_optimizer (package ``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, b3 = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(beta3, "beta3")
    a, e = per_run(slow_weight, "slow_weight"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> AdEMAMixState:
        zeros = zeros_like_runs(params)
        return AdEMAMixState(0, zeros, zeros, zeros, np.full_like(params, np.inf))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = ademamix_step(grad, params, state.first_moment, state.slow_moment, state.second_moment, count,
                            rate.at(count), b1, b2, b3, a, e, decay, zero_eps)
        return out.step, AdEMAMixState(count, out.first_moment, out.slow_moment, out.second_moment, out.denominator)

    def internals(s: AdEMAMixState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "slow_moment": s.slow_moment, "second_moment": s.second_moment,
                "effective_lr": effective_rate(rate.at(max(s.count, 1)), s.denominator, zero_eps)}

    return Optimizer("ademamix", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, beta3=beta3, slow_weight=slow_weight, eps=eps,
                          weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, beta3, slow_weight, eps, weight_decay))


def explain(s: Replay) -> Array:
    b1, b2, b3, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["beta3"], s.hyper["eps"], s.w, s.t
    a = s.hyper["slow_weight"]
    decay = s.weight_decay()
    m1_prev, m2_prev, v_prev = s.memory["first_moment"], s.memory["slow_moment"], s.memory["second_moment"]
    out = ademamix_step(s.g, s.theta, m1_prev, m2_prev, v_prev, t, s.eta, b1, b2, b3, a, e, decay, s.zero_eps)
    g, m1, m2, v = out.gradient, out.first_moment, out.slow_moment, out.second_moment
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_{{1,t}} &= \beta_1 m_{{1,t-1}} + (1-\beta_1)\,{G}_t",
               rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2",
               rf"m_{{2,t}} &= \beta_3 m_{{2,t-1}} + (1-\beta_3)\,{G}_t",
               r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{m_{1,t}/(1-\beta_1^t) + \alpha\,m_{2,t}}"
               r"{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}"]
    for base, beta, prev, cur in (("m_{1", b1, m1_prev, m1), ("v", b2, v_prev, v), ("m_{2", b3, m2_prev, m2)):
        for i in range(2):  # m_{1,x,t}, v_{x,t}, m_{2,x,t}
            sym = s.sym("v", i) if base == "v" else f"{base},{COORDS[i]},{t}}}"
            term = w.sq(g[i]) if base == "v" else w.o(g[i])
            w.eq(sym, rf"{w.o(beta)} \cdot {w.o(prev[i])} + \left(1 - {w.n(beta)}\right) \cdot {term}", cur[i])
    s.values.update(first_moment_prev=m1_prev, first_moment=m1, slow_moment_prev=m2_prev, slow_moment=m2,
                    second_moment_prev=v_prev, second_moment=v, mixture=out.mixture, denominator=out.denominator)
    terms = []
    for i in range(2):
        lim, eps = s.limit(np.sqrt(v), i)
        terms.append(rf" - {w.o(s.eta)} \cdot {lim}\frac{{\frac{{{w.n(m1[i])}}}{{1 - {w.o(b1)}^{{{t}}}}} + "
                     rf"{w.o(a)} \cdot {w.o(m2[i])}}}{{\frac{{\sqrt{{{w.n(v[i])}}}}}{{\sqrt{{1 - {w.o(b2)}^{{{t}}}}}}}"
                     rf" + {eps}}}")
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="ademamix", order=21, display_name="AdEMAMix", group="adaptive",
    description=Text("Adam plus a much slower second momentum, added with weight α: it remembers old gradients.",
                     "Adam 加上一个慢得多的第二动量（权重 α）：记住很久以前的梯度。"),
    hyperparameters=(
        hp.lr(0.001), hp.beta1(), hp.beta2(),
        Hyper("beta3", 0.9999, 0.0, 1.0, (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99999),
              "b3", Text("β3 (slow momentum)", "β3（慢动量）"),
              Text("β3: decay of the slow momentum m2 (not bias-corrected)", "β3：慢动量 m2 的衰减率（不做偏差修正）"),
              Sweep(0.9, 0.9999, False), high_open=True),
        Hyper("slow_weight", 5.0, 0.0, 100.0, (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 20.0), "slow",
              Text("slow-momentum weight α", "慢动量权重 α"),
              Text("α: how much of the slow momentum m2 is added to the step", "α：步长中加入多少慢动量 m2"),
              Sweep(0.0, 20.0, False)),
        hp.eps(1e-8), hp.weight_decay()),
    build=ademamix, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η(1 + α(1−β3))·sign(g), about Adam's
    torch=None,
    no_torch="torch.optim has no AdEMAMix; the reference is kozistr's pytorch-optimizer package "
             "(tests/reference/thirdparty/ademamix.json).",
    conventions=CONVENTIONS,
    memory=("first_moment", "slow_moment", "second_moment"),
    internals=("first_moment", "slow_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m1: the fast momentum", "m1：快动量"),
             "slow_moment": Text("m2: the slow momentum, added α times", "m2：慢动量，以 α 倍加入步长")},
    memory_symbols=lambda convention: "m1, m2, v",
)
