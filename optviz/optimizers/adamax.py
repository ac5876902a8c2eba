r"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.

Instead of an average of squared gradients, each coordinate keeps u_t = max(β2 u_{t−1}, |g_t| + ε):
the largest recent gradient magnitude, forgotten at the rate β2. The step divides the
bias-corrected first moment by it, so no step is longer than about η per coordinate, and
u needs no bias correction (a maximum is not pulled toward its zero start the way a mean is).
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adam import adam_hyper
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, divide, effective_rate, has_zero, learning_rate, per_run,
                                    runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class AdamaxState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    infinity_norm: Array  # u, (runs, 2)
    effective_lr: Array  # (runs, 2): η_t / ((1 − β1^t) u_t)


class AdamaxStep(NamedTuple):
    gradient: Array  # g̃_t
    first_moment: Array  # m_t
    infinity_norm: Array  # u_t
    scale: float | Array  # η_t / (1 − β1^t)
    step: Array  # θ_t − θ_{t−1}


def adamax_step(grad: Array, params: Array, first_moment: Array, infinity_norm: Array, count: int, eta, beta1, beta2,
                eps, decay: WeightDecay, zero_eps: bool) -> AdamaxStep:
    """The ``count``-th Adamax update, in torch's order of operations: p − (η/(1−β1^t))·m/u."""
    g = decay.gradient(grad, params)
    m = beta1 * first_moment + (1.0 - beta1) * g
    u = np.maximum(beta2 * infinity_norm, np.abs(g) + eps)
    scale = eta / (1.0 - beta1**count)
    return AdamaxStep(g, m, u, scale, -scale * divide(m, u, zero_eps))


def adamax(lr: float | Array = 2e-3, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
           eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
           schedule: Schedule | None = None) -> Optimizer:
    r"""Adamax; torch.optim.Adamax.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, u₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            u_t ← max(β2 u_{t−1}, |g̃_t| + ε)
            θ_t ← θ_{t−1} − η_t/(1−β1^t) · m_t/u_t
        return θ_t

    Only the ``pytorch`` convention is offered. How frameworks differ: the paper (Algorithm 2)
    has no ε, u_t = max(β2 u_{t−1}, |g_t|); torch adds ε to |g̃_t| inside the maximum;
    keras.optimizers.Adamax takes u_t = max(β2 u_{t−1}, |g_t|), adds ε to u_t in the division
    and decays weights decoupled. No Keras trajectory is recorded to check a Keras convention
    against, so none is claimed here.

    Records ``first_moment`` m, ``infinity_norm`` u and ``effective_lr`` η_t/((1−β1^t) u_t).
    With ε = 0, where a coordinate's gradient has been exactly 0 so far (m_t = u_t = 0), the step
    takes 0/0 as 0 and the effective lr is undefined: recorded as NaN.

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.1;
    torch.optim.Adamax.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> AdamaxState:
        return AdamaxState(0, zeros_like_runs(params), zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = adamax_step(grad, params, state.first_moment, state.infinity_norm, count, rate.at(count), b1, b2, e,
                          decay, zero_eps)
        return out.step, AdamaxState(count, out.first_moment, out.infinity_norm,
                                     effective_rate(out.scale, out.infinity_norm, zero_eps))

    def internals(s: AdamaxState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "infinity_norm": s.infinity_norm, "effective_lr": s.effective_lr}

    return Optimizer("adamax", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def explain(s: Replay) -> Array:
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    decay = s.weight_decay()
    m_prev, u_prev = s.memory["first_moment"], s.memory["infinity_norm"]
    out = adamax_step(s.g, s.theta, m_prev, u_prev, t, s.eta, b1, b2, e, decay, s.zero_eps)
    g, m, u = out.gradient, out.first_moment, out.infinity_norm
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t",
               rf"u_t &= \max\left(\beta_2 u_{{t-1}},\ |{G}_t| + \epsilon\right)",
               r"\theta_t &= \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\,\frac{m_t}{u_t}"]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):  # the larger of the two candidates is the one written
        if b2 * u_prev[i] >= abs(g[i]) + e:
            w.eq(s.sym("u", i), rf"{w.o(b2)} \cdot {w.o(u_prev[i])}", u[i])
        else:
            w.eq(s.sym("u", i), rf"{w.n(abs(g[i]))} + {w.o(e)}", u[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, infinity_norm_prev=u_prev, infinity_norm=u,
                    effective_lr=effective_rate(out.scale, u, s.zero_eps))
    terms = []
    for i in range(2):
        lim, _ = s.limit(u, i)  # ε = 0 and no gradient yet: m/u is 0/0, taken as 0
        shown_u = r"\epsilon" if lim else w.n(u[i])
        terms.append(rf" - \frac{{{w.n(s.eta)}}}{{1 - {w.o(b1)}^{{{t}}}}} \cdot {lim}\frac{{{w.n(m[i])}}}{{{shown_u}}}")
    return s.finish(out.step, terms)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"], "weight_decay": h["weight_decay"],
            "foreach": False}


# the second set lets u_t fall below |g̃_t| + ε within 50 steps (β2 = 0.9) and switches L2 decay on
_REFERENCE_SETS = {"default": adam_hyper(0.01),
    "betas_eps_decay": adam_hyper(0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.3)}

# Rosenbrock records the default set only: tests/test_optimizers.py keeps each reference file small
_ROSEN = {"default": _REFERENCE_SETS["default"]}

SPEC = OptimizerSpec(
    name="adamax", order=11, display_name="Adamax", group="adaptive",
    description=Text("Adam with an infinity norm: divides by the largest recent gradient size, not its RMS.",
                     "使用无穷范数的 Adam：除以近期最大的梯度幅度，而不是均方根。"),
    hyperparameters=(hp.lr(2e-3), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay()),
    build=adamax, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate, like Adam's
    torch=TorchCounterpart("Adamax", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("first_moment", "infinity_norm"), internals=("first_moment", "infinity_norm", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "infinity_norm": Text("u: the largest recent |gradient|, decaying", "u：近期最大的 |梯度|，逐步衰减")},
    memory_symbols=lambda convention: "m, u",
)
