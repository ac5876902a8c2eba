r"""AMSGrad: Adam's variant whose denominator never shrinks.

Adam divides by the root of an average of squared gradients, which can fall quickly after a
burst of large gradients and so let the steps grow again. AMSGrad divides by the largest
second moment seen so far, v̄_t = max(v̄_{t−1}, v_t): each coordinate's effective learning rate
can only fall. It is torch.optim.Adam with ``amsgrad=True``, kept as its own registry entry.

The AMSGrad core here (:func:`amsgrad_step`, :func:`amsgrad_family`, :func:`explain_amsgrad`) is
shared with AMSGrad (AdamW) (``optviz.optimizers.amsgradw``), which only decouples the weight decay.
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


class AMSGradState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    max_second_moment: Array  # v̄, (runs, 2)
    effective_lr: Array  # (runs, 2): η_t / (√(v̄_t/(1−β2^t)) + ε)


class AMSGradStep(NamedTuple):
    gradient: Array  # g̃_t (L2 decay) or g_t (decoupled)
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    max_second_moment: Array  # v̄_t
    denominator: Array  # √v̄_t / √(1−β2^t) + ε
    step: Array  # θ_t − θ_{t−1}


def amsgrad_step(grad: Array, params: Array, first_moment: Array, second_moment: Array, max_second_moment: Array,
                 count: int, eta, beta1, beta2, eps, decay: WeightDecay, zero_eps: bool) -> AMSGradStep:
    """The ``count``-th update, in torch's order: p − (η/(1−β1^t))·m / (√v̄/√(1−β2^t) + ε).

    A decoupled ``decay`` adds its shrink −η·λ·p to the step; an L2 one has already entered the gradient.
    """
    g = decay.gradient(grad, params)
    m = beta1 * first_moment + (1.0 - beta1) * g
    v = beta2 * second_moment + (1.0 - beta2) * (g * g)
    v_max = np.maximum(max_second_moment, v)
    denominator = np.sqrt(v_max) / np.sqrt(1.0 - beta2**count) + eps
    step = -(eta / (1.0 - beta1**count)) * divide(m, denominator, zero_eps)
    return AMSGradStep(g, m, v, v_max, denominator, decay.step(step, eta, params))


def amsgrad(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
            eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
            schedule: Schedule | None = None) -> Optimizer:
    r"""AMSGrad, Adam's variant; torch.optim.Adam(amsgrad=True).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, v̄₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            v̄_t ← max(v̄_{t−1}, v_t)
            m̂_t ← m_t / (1−β1^t),   v̂_t ← v̄_t / (1−β2^t)
            θ_t ← θ_{t−1} − η_t m̂_t / (√v̂_t + ε)
        return θ_t

    Only the ``pytorch`` convention is offered. How frameworks differ: the paper (Reddi et al.,
    Algorithm 2) takes the maximum of v_t and has no bias correction; torch takes the maximum of
    the uncorrected v_t and then divides by √(1−β2^t) as Adam does (so the paper's rule is not
    what torch runs); keras.optimizers.Adam(amsgrad=True) keeps the same maximum but uses
    Adam's ε-hat form and decoupled decay. No Keras trajectory is recorded to check a Keras
    convention against, so none is claimed here. With a gradient whose size never falls, v̄_t = v_t
    and the rule is Adam's.

    Records ``first_moment`` m, ``second_moment`` v, ``max_second_moment`` v̄ and ``effective_lr``
    η_t/(√v̂_t + ε) (with ε = 0 and no gradient yet: step 0, rate NaN, as for Adam).

    References: Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018;
    torch.optim.Adam(amsgrad=True).
    """
    return amsgrad_family("amsgrad", lr, beta1, beta2, eps, weight_decay, False, convention, schedule)


def amsgrad_family(name: str, lr, beta1, beta2, eps, weight_decay, decoupled: bool, convention: str,
                   schedule: Schedule | None) -> Optimizer:
    """AMSGrad with L2 decay (``decoupled=False``, torch.optim.Adam) or decoupled decay (torch.optim.AdamW)."""
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention, decoupled)
    zero_eps = has_zero(e)

    def init(params: Array) -> AMSGradState:
        return AMSGradState(0, *(zeros_like_runs(params) for _ in range(4)))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        out = amsgrad_step(grad, params, state.first_moment, state.second_moment, state.max_second_moment, count,
                           eta, b1, b2, e, decay, zero_eps)
        return out.step, AMSGradState(count, out.first_moment, out.second_moment, out.max_second_moment,
                                      effective_rate(eta, out.denominator, zero_eps))

    def internals(s: AMSGradState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment,
                "max_second_moment": s.max_second_moment, "effective_lr": s.effective_lr}

    return Optimizer(name, init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def explain_amsgrad(s: Replay, decoupled: bool) -> Array:
    """Write one AMSGrad update, with L2 (``decoupled=False``) or decoupled weight decay."""
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    decay = s.weight_decay(decoupled)
    m_prev, v_prev, vmax_prev = s.memory["first_moment"], s.memory["second_moment"], s.memory["max_second_moment"]
    out = amsgrad_step(s.g, s.theta, m_prev, v_prev, vmax_prev, t, s.eta, b1, b2, e, decay, s.zero_eps)
    g, m, v, v_max = out.gradient, out.first_moment, out.second_moment, out.max_second_moment
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t", rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2",
               r"\bar v_t &= \max\left(\bar v_{t-1},\ v_t\right)",
               r"\hat m_t &= \frac{m_t}{1-\beta_1^t}", r"\hat v_t &= \frac{\bar v_t}{1-\beta_2^t}",
               r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}" + s.decay_row(decay)]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(g[i])}", v[i])
    for i in range(2):  # the larger of the two is written: the kept maximum or the new v
        w.eq(s.sym(r"\bar v", i), None, v_max[i])
    m_hat, v_hat = m / (1.0 - b1**t), v_max / (1.0 - b2**t)  # shown; the step divides in torch's order
    for i in range(2):
        w.eq(s.sym(r"\hat m", i), rf"\frac{{{w.n(m[i])}}}{{1 - {w.o(b1)}^{{{t}}}}}", m_hat[i])
    for i in range(2):
        w.eq(s.sym(r"\hat v", i), rf"\frac{{{w.n(v_max[i])}}}{{1 - {w.o(b2)}^{{{t}}}}}", v_hat[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v,
                    max_second_moment_prev=vmax_prev, max_second_moment=v_max, first_moment_corrected=m_hat,
                    second_moment_corrected=v_hat, effective_lr=effective_rate(s.eta, out.denominator, s.zero_eps))
    limits = [s.limit(out.denominator, i) for i in range(2)]
    terms = [rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(m_hat[i])}}}{{\sqrt{{{w.n(v_hat[i])}}} + {eps}}}"
             for i, (lim, eps) in enumerate(limits)]
    return s.finish(out.step, terms, decay)


def explain(s: Replay) -> Array:
    return explain_amsgrad(s, decoupled=False)


def amsgrad_torch_kwargs(h: Mapping[str, float]) -> dict:
    """torch.optim.Adam's and AdamW's keyword arguments with ``amsgrad=True``: both take the same ones."""
    return {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"], "weight_decay": h["weight_decay"],
            "amsgrad": True, "foreach": False}


# β2 = 0.9 forgets fast, so v_t falls below the kept maximum within 50 steps and the two rules part
_REFERENCE_SETS = {"default": adam_hyper(0.01),
    "betas_eps_decay": adam_hyper(0.05, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.3)}

# Rosenbrock records the default set only: tests/test_optimizers.py keeps each reference file small
_ROSEN = {"default": _REFERENCE_SETS["default"]}

SPEC = OptimizerSpec(
    name="amsgrad", order=12, display_name="AMSGrad", group="adaptive",
    description=Text("Adam's variant dividing by the largest second moment so far: its rates never grow.",
                     "Adam 的变体：除以迄今最大的二阶矩，因此有效学习率只降不升。"),
    hyperparameters=(hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay()),
    build=amsgrad, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate, like Adam's
    torch=TorchCounterpart("Adam", amsgrad_torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment", "max_second_moment"),
    internals=("first_moment", "second_moment", "max_second_moment", "effective_lr"),
    plotted={"second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均"),
             "max_second_moment": Text("v̄: the largest v so far, which divides the step", "v̄：迄今最大的 v，步长除以它")},
    memory_symbols=lambda convention: "m, v, v̄",
)
