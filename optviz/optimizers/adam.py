r"""Adam: momentum (first moment) plus RMSprop (second moment), both bias-corrected.

Both moments start at zero, so early on they are biased toward zero by the factors
1 − β1^t and 1 − β2^t; dividing by them is the bias correction. Turn it off
(``bias_correction=False``) to see the first steps crawl (β1 = 0.9) or leap (β2 = 0.999).

The Adam core here (:func:`adam_step`, :func:`adam_family`, :func:`explain_adam`) is shared with
AdamW (``optviz.optimizers.adamw``), which only decouples the weight decay.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, divide, effective_rate, has_zero, learning_rate, per_run,
                                    runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


class AdamState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    denominator: Array  # (runs, 2): √v̂ + ε of the last step (equivalently for Keras), so η_t / it is the effective lr


class AdamStep(NamedTuple):
    gradient: Array  # g̃_t (L2 decay) or g_t (decoupled)
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    scale: float | Array  # what multiplies m_t / (√v_t … + ε): η_t/(1−β1^t); Keras's α_t; η_t uncorrected
    denominator: Array  # as in AdamState
    step: Array  # θ_t − θ_{t−1}


def adam_step(grad: Array, params: Array, first_moment: Array, second_moment: Array, count: int, eta, beta1, beta2,
              eps, decay: WeightDecay, bias_correction: bool, convention: str, zero_eps: bool) -> AdamStep:
    """The ``count``-th update of Adam or AdamW, for arrays of any matching shape, in torch's (Keras's) order."""
    g = decay.gradient(grad, params)
    m = beta1 * first_moment + (1.0 - beta1) * g
    v = beta2 * second_moment + (1.0 - beta2) * (g * g)
    if not bias_correction:
        scale, denominator = eta, np.sqrt(v) + eps
        step = -scale * divide(m, denominator, zero_eps)
    elif convention == "keras":
        # ε-hat form: the correction scales the rate, so ε is not rescaled by √(1 − β2^t)
        scale, denominator = eta * np.sqrt(1.0 - beta2**count) / (1.0 - beta1**count), np.sqrt(v) + eps
        step = -scale * divide(m, denominator, zero_eps)
        denominator = denominator / np.sqrt(1.0 - beta2**count)  # so that η/denominator is η/(√v̂ + ε̂')
    else:
        # torch's order of operations: p − (η / bc1)·(m / (√v / √bc2 + ε))
        scale, denominator = eta / (1.0 - beta1**count), np.sqrt(v) / np.sqrt(1.0 - beta2**count) + eps
        step = -scale * divide(m, denominator, zero_eps)
    return AdamStep(g, m, v, scale, denominator, decay.step(step, eta, params))


def adam_family(name: str, lr, beta1, beta2, eps, weight_decay, decoupled: bool, bias_correction: bool,
                convention: str, schedule: Schedule | None) -> Optimizer:
    convention = check_convention(convention)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention, decoupled)
    zero_eps = has_zero(e)

    def init(params: Array) -> AdamState:
        return AdamState(0, zeros_like_runs(params), zeros_like_runs(params), np.full_like(params, np.inf))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = adam_step(grad, params, state.first_moment, state.second_moment, count, rate.at(count), b1, b2, e,
                        decay, bias_correction, convention, zero_eps)
        return out.step, AdamState(count, out.first_moment, out.second_moment, out.denominator)

    def internals(s: AdamState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment,
                "effective_lr": effective_rate(rate.at(max(s.count, 1)), s.denominator, zero_eps)}

    return Optimizer(name, init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          bias_correction=bias_correction, convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def adam(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
         eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *, bias_correction: bool = True,
         convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Adam; torch.optim.Adam(amsgrad=False), keras.optimizers.Adam.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}                     keras: g̃_t ← g_t
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            pytorch, textbook:
                m̂_t ← m_t / (1−β1^t),   v̂_t ← v_t / (1−β2^t)
                θ_t ← θ_{t−1} − η_t m̂_t / (√v̂_t + ε)
            keras:
                α_t ← η_t √(1−β2^t) / (1−β1^t)
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − α_t m_t / (√v_t + ε)
            bias_correction=False:
                θ_t ← θ_{t−1} − η_t m_t / (√v_t + ε)   (keras: − η_t λ θ_{t−1} as well)
        return θ_t

    How frameworks differ: torch adds ε after the corrected root; Keras folds the correction
    into the rate (the "ε-hat" form of the paper's section 2, so its ε is effectively
    ε√(1−β2^t)) and decays weights decoupled, as every Keras 3 optimizer does. Unlike L2 in
    Adam, AdamW's decoupled decay is not divided by √v̂_t (``optviz.optimizers.adamw``).

    Records ``first_moment`` m, ``second_moment`` v and ``effective_lr`` η_t/(√v̂_t + ε).
    With ε = 0, where a coordinate's gradient has been exactly 0 so far (m_t = v_t = 0), the step
    takes 0/0 as 0 (its limit as ε → 0⁺) and the effective lr η/0 is undefined: recorded as NaN.

    Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    """
    return adam_family("adam", lr, beta1, beta2, eps, weight_decay, False, bias_correction, convention, schedule)


def explain_adam(s: Replay, decoupled: bool) -> Array:
    """Write one Adam (``decoupled=False``) or AdamW update."""
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    decay = s.weight_decay(decoupled)
    m_prev, v_prev = s.memory["first_moment"], s.memory["second_moment"]
    out = adam_step(s.g, s.theta, m_prev, v_prev, t, s.eta, b1, b2, e, decay, s.bias_correction, s.convention,
                    s.zero_eps)
    g, m, v = out.gradient, out.first_moment, out.second_moment
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t", rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2"]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(g[i])}", v[i])
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v)
    # where ε = 0 left a denominator 0 (m = v = 0: no gradient yet), the quotient is its limit, 0
    limits = [s.limit(np.sqrt(v), i) for i in range(2)]  # every form's denominator is 0 exactly where v is
    if not s.bias_correction:
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{m_t}{\sqrt{v_t} + \epsilon}" + s.decay_row(decay))
        terms = [rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(m[i])}}}{{\sqrt{{{w.n(v[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    elif s.convention == "keras":
        s.rows += [r"\alpha_t &= \eta_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}",
                   r"\theta_t &= \theta_{t-1} - \alpha_t\,\frac{m_t}{\sqrt{v_t} + \hat\epsilon}" + s.decay_row(decay)]
        w.eq(rf"\alpha_{{{t}}}", rf"{w.o(s.eta)} \cdot \frac{{\sqrt{{1 - {w.o(b2)}^{{{t}}}}}}}{{1 - {w.o(b1)}^{{{t}}}}}",
             out.scale)
        s.values["alpha"] = out.scale
        terms = [rf" - {w.o(out.scale)} \cdot {lim}\frac{{{w.n(m[i])}}}{{\sqrt{{{w.n(v[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    else:
        m_hat, v_hat = m / (1.0 - b1**t), v / (1.0 - b2**t)  # shown; the step divides in torch's order
        s.rows += [r"\hat m_t &= \frac{m_t}{1-\beta_1^t}", r"\hat v_t &= \frac{v_t}{1-\beta_2^t}",
                   r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}" + s.decay_row(decay)]
        for i in range(2):
            w.eq(s.sym(r"\hat m", i), rf"\frac{{{w.n(m[i])}}}{{1 - {w.o(b1)}^{{{t}}}}}", m_hat[i])
        for i in range(2):
            w.eq(s.sym(r"\hat v", i), rf"\frac{{{w.n(v[i])}}}{{1 - {w.o(b2)}^{{{t}}}}}", v_hat[i])
        s.values.update(first_moment_corrected=m_hat, second_moment_corrected=v_hat)
        terms = [rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(m_hat[i])}}}{{\sqrt{{{w.n(v_hat[i])}}} + {eps}}}"
                 for i, (lim, eps) in enumerate(limits)]
    return s.finish(out.step, terms, decay)


def explain(s: Replay) -> Array:
    return explain_adam(s, decoupled=False)


def adam_torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"], "weight_decay": h["weight_decay"],
            "amsgrad": False, "foreach": False}


def adam_hyper(lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay}


_REFERENCE_SETS = {"default": adam_hyper(0.01), "large_lr": adam_hyper(0.1),
                   "weight_decay": adam_hyper(0.01, weight_decay=0.3),
                   "betas_eps": adam_hyper(0.05, betas=(0.8, 0.99), eps=1e-4)}

SPEC = OptimizerSpec(
    name="adam", order=7, display_name="Adam", group="adaptive",
    description=Text("Momentum plus RMSprop, both moments bias-corrected.", "动量加 RMSprop，两个矩都做偏差修正。"),
    hyperparameters=(hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay()),
    build=adam, explain=explain,
    # the first step is lr·sign(g) in every coordinate: a hundredth of the plot keeps the path readable
    tuning=TuningHint(step_cap=0.01),
    torch=TorchCounterpart("Adam", adam_torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    bias_correction=True,
    memory=("first_moment", "second_moment"), internals=("first_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均")},
    memory_symbols=lambda convention: "m, v",
)
