r"""NAdam: Adam with Nesterov momentum, and a momentum coefficient that warms up toward β1.

Like Nesterov momentum, the step looks one update ahead: it takes the next momentum
coefficient μ_{t+1} times the new first moment, plus the fresh gradient weighted by 1 − μ_t,
each bias-corrected by the product of the coefficients so far (Π_t) instead of 1 − β1^t.
The coefficients follow Dozat's schedule μ_t = β1(1 − ½·0.96^{tψ}): about β1/2 at first, so
early steps lean on the gradient, rising toward β1 at a pace set by the momentum decay ψ.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TorchCounterpart, TuningHint,
                                    WeightDecay, check_convention, divide, effective_rate, has_zero, learning_rate,
                                    per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

SCHEDULE_BASE = 0.96  # Dozat's: μ_t = β1 (1 − ½·0.96^{tψ})


class NAdamState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    momentum_product: float | Array  # Π_t = μ_1⋯μ_t: a float, or a (runs, 1) column when β1 or ψ is per run
    effective_lr: Array  # (runs, 2): η_t / (√v̂_t + ε) (NaN where ε = 0 met a zero gradient)


class NAdamStep(NamedTuple):
    gradient: Array  # g̃_t (L2 decay) or g_t (keras: decoupled)
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    momentum: float | Array  # μ_t
    momentum_next: float | Array  # μ_{t+1}
    momentum_product: float | Array  # Π_t = Π_{t−1} μ_t
    momentum_product_next: float | Array  # Π_{t+1} = Π_t μ_{t+1}
    second_moment_corrected: Array  # v̂_t = v_t / (1 − β2^t)
    denominator: Array  # √v̂_t + ε
    step: Array  # θ_t − θ_{t−1}


def momentum_coefficient(beta1, momentum_decay, t: int):
    """μ_t = β1 (1 − ½·0.96^{tψ}), in torch's order of operations."""
    return beta1 * (1.0 - 0.5 * SCHEDULE_BASE ** (t * momentum_decay))


def momentum_product(beta1, momentum_decay, t: int):
    """Π_t = μ_1 μ_2 ⋯ μ_t (Π_0 = 1), multiplied in the order the optimizer accumulates it."""
    product = 1.0
    for k in range(1, t + 1):
        product = product * momentum_coefficient(beta1, momentum_decay, k)
    return product


def nadam_step(grad: Array, params: Array, first_moment: Array, second_moment: Array, momentum_product_prev,
               count: int, eta, beta1, beta2, eps, momentum_decay, decay: WeightDecay, zero_eps: bool) -> NAdamStep:
    """The ``count``-th NAdam update, for arrays of any matching shape, in torch's order of operations."""
    g = decay.gradient(grad, params)
    mu = momentum_coefficient(beta1, momentum_decay, count)
    mu_next = momentum_coefficient(beta1, momentum_decay, count + 1)
    product = momentum_product_prev * mu
    product_next = product * mu_next
    m = beta1 * first_moment + (1.0 - beta1) * g
    v = beta2 * second_moment + (1.0 - beta2) * (g * g)
    v_hat = v / (1.0 - beta2**count)
    denominator = np.sqrt(v_hat) + eps
    step = ((-eta * (1.0 - mu) / (1.0 - product)) * divide(g, denominator, zero_eps)
            + (-eta * mu_next / (1.0 - product_next)) * divide(m, denominator, zero_eps))
    return NAdamStep(g, m, v, mu, mu_next, product, product_next, v_hat, denominator, decay.step(step, eta, params))


def nadam(lr: float | Array = 2e-3, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
          eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, momentum_decay: float | Array = 4e-3, *,
          convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""NAdam; torch.optim.NAdam(decoupled_weight_decay=False), keras.optimizers.Nadam at ψ = 1.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay),
                    ψ (momentum_decay), s (schedule), θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, Π₀ ← 1
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}                     keras: g̃_t ← g_t
            μ_t ← β1 (1 − ½·0.96^{tψ}),   μ_{t+1} ← β1 (1 − ½·0.96^{(t+1)ψ})
            Π_t ← Π_{t−1} μ_t,             Π_{t+1} ← Π_t μ_{t+1}
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            v̂_t ← v_t / (1−β2^t)
            θ_t ← θ_{t−1} − η_t (1−μ_t)/(1−Π_t) · g̃_t/(√v̂_t + ε)
                          − η_t μ_{t+1}/(1−Π_{t+1}) · m_t/(√v̂_t + ε)
                          (keras: − η_t λ θ_{t−1} as well)
        return θ_t

    pytorch and textbook (the paper's Algorithm 2) are the same rule. How frameworks differ:
    torch's default lr is 0.002, and its ``decoupled_weight_decay=True`` variant (not offered
    here) decays like Keras. Keras's Nadam has no ψ: its schedule is 0.96^t, which is ψ = 1
    here, and like every Keras 3 optimizer it decays weights decoupled; its ε sits where torch's
    does. So the ``keras`` convention is this rule with decoupled decay, and equals
    keras.optimizers.Nadam when ψ = 1 (no Keras trajectory is recorded to check that).

    With β1 = 0 every μ is 0 and the step is Adam's with β1 = 0, η_t g̃_t/(√v̂_t + ε).
    Records ``first_moment`` m, ``second_moment`` v and ``effective_lr`` η_t/(√v̂_t + ε); Π_t
    needs no record, as it depends on β1, ψ and t alone (:func:`momentum_product`).

    References: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop;
    torch.optim.NAdam.
    """
    convention = check_convention(convention)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    psi = per_run(momentum_decay, "momentum_decay")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> NAdamState:
        return NAdamState(0, zeros_like_runs(params), zeros_like_runs(params), 1.0, zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        out = nadam_step(grad, params, state.first_moment, state.second_moment, state.momentum_product, count, eta,
                         b1, b2, e, psi, decay, zero_eps)
        return out.step, NAdamState(count, out.first_moment, out.second_moment, out.momentum_product,
                                    effective_rate(eta, out.denominator, zero_eps))

    def internals(s: NAdamState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment, "effective_lr": s.effective_lr}

    return Optimizer("nadam", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          momentum_decay=momentum_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay, momentum_decay))


def explain(s: Replay) -> Array:
    b1, b2, psi, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["momentum_decay"], s.w, s.t
    decay = s.weight_decay()
    m_prev, v_prev = s.memory["first_moment"], s.memory["second_moment"]
    product_prev = momentum_product(b1, psi, t - 1)
    out = nadam_step(s.g, s.theta, m_prev, v_prev, product_prev, t, s.eta, b1, b2, s.hyper["eps"], psi, decay,
                     s.zero_eps)
    g, m, v, v_hat = out.gradient, out.first_moment, out.second_moment, out.second_moment_corrected
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t", rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2",
               r"\mu_t &= \beta_1\left(1 - \frac{1}{2}\,0.96^{t\psi}\right)",
               r"\mu_{t+1} &= \beta_1\left(1 - \frac{1}{2}\,0.96^{(t+1)\psi}\right)",
               r"\Pi_t &= \Pi_{t-1}\,\mu_t", r"\Pi_{t+1} &= \Pi_t\,\mu_{t+1}", r"\hat v_t &= \frac{v_t}{1-\beta_2^t}",
               rf"\theta_t &= \theta_{{t-1}} - \eta_t\,\frac{{1-\mu_t}}{{1-\Pi_t}}\,\frac{{{G}_t}}{{\sqrt{{\hat v_t}} + \epsilon}}"
               r" - \eta_t\,\frac{\mu_{t+1}}{1-\Pi_{t+1}}\,\frac{m_t}{\sqrt{\hat v_t} + \epsilon}" + s.decay_row(decay)]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(g[i])}", v[i])
    for k, mu in ((t, out.momentum), (t + 1, out.momentum_next)):
        w.eq(rf"\mu_{{{k}}}", rf"{w.o(b1)} \cdot \left(1 - 0.5 \cdot 0.96^{{{k} \cdot {w.o(psi)}}}\right)", mu)
    w.eq(rf"\Pi_{{{t - 1}}}", None, product_prev)
    w.eq(rf"\Pi_{{{t}}}", rf"{w.o(product_prev)} \cdot {w.o(out.momentum)}", out.momentum_product)
    w.eq(rf"\Pi_{{{t + 1}}}", rf"{w.o(out.momentum_product)} \cdot {w.o(out.momentum_next)}", out.momentum_product_next)
    for i in range(2):
        w.eq(s.sym(r"\hat v", i), rf"\frac{{{w.n(v[i])}}}{{1 - {w.o(b2)}^{{{t}}}}}", v_hat[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v,
                    momentum=out.momentum, momentum_next=out.momentum_next, momentum_product_prev=product_prev,
                    momentum_product=out.momentum_product, momentum_product_next=out.momentum_product_next,
                    second_moment_corrected=v_hat, effective_lr=effective_rate(s.eta, out.denominator, s.zero_eps))
    gradient_weight = rf"\frac{{1 - {w.o(out.momentum)}}}{{1 - {w.o(out.momentum_product)}}}"
    moment_weight = rf"\frac{{{w.n(out.momentum_next)}}}{{1 - {w.o(out.momentum_product_next)}}}"
    terms = []
    for i in range(2):
        lim, eps = s.limit(out.denominator, i)  # ε = 0 and no gradient yet: both quotients are 0/0, taken as 0
        root = rf"\sqrt{{{w.n(v_hat[i])}}} + {eps}"
        terms.append(rf" - {w.o(s.eta)} \cdot {gradient_weight} \cdot {lim}\frac{{{w.n(g[i])}}}{{{root}}}"
                     rf" - {w.o(s.eta)} \cdot {moment_weight} \cdot {lim}\frac{{{w.n(m[i])}}}{{{root}}}")
    return s.finish(out.step, terms, decay)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"], "weight_decay": h["weight_decay"],
            "momentum_decay": h["momentum_decay"], "decoupled_weight_decay": False, "foreach": False}


def _hyper(lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
           momentum_decay: float = 4e-3) -> dict[str, float]:
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay}


_REFERENCE_SETS = {"default": _hyper(0.01), "torch_defaults": _hyper(2e-3), "large_lr": _hyper(0.1),
                   "weight_decay": _hyper(0.01, weight_decay=0.3),
                   "betas_eps": _hyper(0.05, betas=(0.8, 0.99), eps=1e-4),
                   "momentum_decay_1": _hyper(0.01, momentum_decay=1.0)}  # μ_t climbs from 0.47 to 0.84 in 50 steps

SPEC = OptimizerSpec(
    name="nadam", order=10, display_name="NAdam", group="adaptive",
    description=Text("Adam with Nesterov momentum, whose momentum coefficient warms up toward β1.",
                     "带 Nesterov 动量的 Adam，其动量系数逐渐升向 β1。"),
    hyperparameters=(hp.lr(2e-3), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay(),
                     Hyper("momentum_decay", 4e-3, 0.0, 1.0, (0.0, 1e-4, 3e-4, 1e-3, 2e-3, 4e-3, 0.01, 0.03, 0.1, 0.3, 1.0),
                           "md", Text("momentum decay ψ", "动量衰减 ψ"),
                           Text("ψ: how fast the momentum coefficient μ_t rises toward β1",
                                "ψ：动量系数 μ_t 升向 β1 的快慢"),
                           Sweep(1e-4, 1.0, True), log=True)),
    build=nadam, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # steps about lr per coordinate, like Adam
    torch=TorchCounterpart("NAdam", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    memory=("first_moment", "second_moment"), internals=("first_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均")},
    memory_symbols=lambda convention: "m, v",
    explain_note=Text("Π, the running product μ₁μ₂⋯ of the momentum coefficients, follows from β1, ψ and the step "
                      "count alone.", "Π 是动量系数的累积乘积 μ₁μ₂⋯，只由 β1、ψ 和步数决定。"),
)
