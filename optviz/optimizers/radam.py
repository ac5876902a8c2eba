r"""RAdam: Adam whose adaptive step is rectified while the second moment is still unreliable.

In the first steps v_t averages only a few squared gradients, so 1/√v̂_t has a large variance.
RAdam estimates the length ρ_t of the simple moving average that v_t resembles; while
ρ_t ≤ 5 it takes plain momentum steps η_t m̂_t, and after that Adam's step scaled by the
rectification r_t = √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t)), which rises toward 1: a
warm-up built into the rule.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adam import adam_hyper
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, effective_rate, has_zero, learning_rate, per_run, runs_of,
                                    zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)
RECTIFY_ABOVE = 5.0  # torch's threshold on ρ_t (the paper's is 4)


class RAdamState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    effective_lr: Array  # (runs, 2): what multiplies m̂_t: η_t r_t √(1−β2^t)/(√v_t + ε), or η_t


class RAdamStep(NamedTuple):
    gradient: Array  # g̃_t
    first_moment: Array  # m_t
    second_moment: Array  # v_t
    first_moment_corrected: Array  # m̂_t
    rho_inf: float | Array  # ρ_∞
    rho: float | Array  # ρ_t
    rectified: bool | Array  # ρ_t > 5 (a bool, or a (runs, 1) column of them)
    rectification: float | Array  # r_t (NaN where ρ_t ≤ 5)
    adaptive: Array  # √(1−β2^t)/(√v_t + ε)
    effective_lr: Array  # (runs, 2): the factor on m̂_t, η_t l_t r_t or η_t
    step: Array  # θ_t − θ_{t−1}


def sma_length(beta2, t: int):
    """(ρ_∞, ρ_t): ρ_∞ = 2/(1−β2) − 1, ρ_t = ρ_∞ − 2tβ2^t/(1−β2^t), in torch's order of operations."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf, rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)


def radam_step(grad: Array, params: Array, first_moment: Array, second_moment: Array, count: int, eta, beta1, beta2,
               eps, decay: WeightDecay, zero_eps: bool) -> RAdamStep:
    """The ``count``-th RAdam update, in torch's order of operations (per run, ρ_t decides the branch)."""
    g = decay.gradient(grad, params)
    m = beta1 * first_moment + (1.0 - beta1) * g
    v = beta2 * second_moment + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1**count)
    rho_inf, rho = sma_length(beta2, count)
    rectified = np.asarray(rho) > RECTIFY_ABOVE
    rho_a, rho_inf_a = np.asarray(rho, dtype=float), np.asarray(rho_inf, dtype=float)
    with np.errstate(all="ignore"):  # r_t is undefined (and unused) where ρ_t ≤ 5: ρ_∞ = 4 (β2 = 0.6) divides by 0
        ratio = (rho_a - 4) * (rho_a - 2) * rho_inf_a / ((rho_inf_a - 4) * (rho_inf_a - 2) * rho_a)
        r = np.sqrt(np.where(rectified, ratio, np.nan))
    # l_t; with ε = 0 and no gradient yet √v_t + ε = 0: l_t is undefined (NaN), m̂_t = 0 and the step's limit is 0
    adaptive = effective_rate((1.0 - beta2**count) ** 0.5, np.sqrt(v) + eps, zero_eps)
    defined = np.isfinite(adaptive)
    rectified_step = np.where(defined, m_hat * eta * np.where(defined, adaptive, 0.0) * r, 0.0)  # torch's order
    step = np.where(rectified, -rectified_step, -(m_hat * eta))
    effective = np.where(rectified, eta * adaptive * r, eta + np.zeros_like(v))
    return RAdamStep(g, m, v, m_hat, rho_inf, rho, rectified, r, adaptive, effective, step)


def radam(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
          eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
          schedule: Schedule | None = None) -> Optimizer:
    r"""RAdam; torch.optim.RAdam(decoupled_weight_decay=False).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, ρ_∞ ← 2/(1−β2) − 1
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            m̂_t ← m_t / (1−β1^t)
            ρ_t ← ρ_∞ − 2tβ2^t / (1−β2^t)
            if ρ_t > 5:
                l_t ← √(1−β2^t) / (√v_t + ε)
                r_t ← √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t))
                θ_t ← θ_{t−1} − η_t m̂_t l_t r_t
            else:
                θ_t ← θ_{t−1} − η_t m̂_t
        return θ_t

    Only the ``pytorch`` convention is offered. How frameworks differ: the paper switches at
    ρ_t > 4, torch at ρ_t > 5; torch adds ε to the uncorrected √v_t (so its ε is effectively
    ε/√(1−β2^t) next to Adam's); torch's ``decoupled_weight_decay=True`` (not offered here)
    shrinks θ by 1 − η_tλ instead. Keras 3 has no RAdam (TensorFlow Addons' RectifiedAdam
    differs again: its threshold and its warm-up options), so no Keras convention is claimed.
    With β2 = 0.999, ρ_t first exceeds 5 at t = 6: the first five steps are momentum steps
    η_t m̂_t, as long as the gradient (at most η_t|g̃| per coordinate, no normalization).

    Records ``first_moment`` m, ``second_moment`` v and ``effective_lr``, the factor multiplying
    m̂_t: η_t l_t r_t once rectified, η_t before (ε = 0 with no gradient yet: step 0, rate NaN).

    References: Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020;
    torch.optim.RAdam.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> RAdamState:
        return RAdamState(0, zeros_like_runs(params), zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = radam_step(grad, params, state.first_moment, state.second_moment, count, rate.at(count), b1, b2, e,
                         decay, zero_eps)
        return out.step, RAdamState(count, out.first_moment, out.second_moment, out.effective_lr)

    def internals(s: RAdamState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment, "effective_lr": s.effective_lr}

    return Optimizer("radam", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def explain(s: Replay) -> Array:
    b1, b2, e, w, t = s.hyper["beta1"], s.hyper["beta2"], s.hyper["eps"], s.w, s.t
    decay = s.weight_decay()
    m_prev, v_prev = s.memory["first_moment"], s.memory["second_moment"]
    out = radam_step(s.g, s.theta, m_prev, v_prev, t, s.eta, b1, b2, e, decay, s.zero_eps)
    g, m, v, m_hat, rho_inf, rho = (out.gradient, out.first_moment, out.second_moment, out.first_moment_corrected,
                                    out.rho_inf, out.rho)
    G = s.show_gradient(decay, g)
    s.rows += [rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{G}_t", rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{G}_t^2",
               r"\hat m_t &= \frac{m_t}{1-\beta_1^t}", r"\rho_\infty &= \frac{2}{1-\beta_2} - 1",
               r"\rho_t &= \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t}"]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(g[i])}", m[i])
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(g[i])}", v[i])
    for i in range(2):
        w.eq(s.sym(r"\hat m", i), rf"\frac{{{w.n(m[i])}}}{{1 - {w.o(b1)}^{{{t}}}}}", m_hat[i])
    w.eq(r"\rho_\infty", rf"\frac{{2}}{{1 - {w.o(b2)}}} - 1", rho_inf)
    w.eq(rf"\rho_{{{t}}}", rf"{w.o(rho_inf)} - \frac{{2 \cdot {t} \cdot {w.o(b2)}^{{{t}}}}}{{1 - {w.o(b2)}^{{{t}}}}}",
         rho)
    s.values.update(first_moment_prev=m_prev, first_moment=m, second_moment_prev=v_prev, second_moment=v,
                    first_moment_corrected=m_hat, rho_inf=rho_inf, rho=rho, rectified=bool(out.rectified),
                    effective_lr=out.effective_lr)
    if not out.rectified:
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,\hat m_t \qquad (\rho_t \le 5)")
        return s.finish(out.step, [rf" - {w.o(s.eta)} \cdot {w.o(m_hat[i])}" for i in range(2)])
    r = float(out.rectification)
    s.rows += [r"l_t &= \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon} \qquad (\rho_t > 5)",
               r"r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
               r"\theta_t &= \theta_{t-1} - \eta_t\,\hat m_t\,l_t\,r_t"]
    terms = []
    for i in range(2):
        lim, eps = s.limit(np.sqrt(v) + e, i)  # ε = 0 and no gradient yet: m̂·√(1−β2^t)/(√v + ε) is 0/0, its limit 0
        if not lim:  # l_t itself is undefined there; only the limit of the whole term is written
            w.eq(s.sym("l", i), rf"\frac{{\sqrt{{1 - {w.o(b2)}^{{{t}}}}}}}{{\sqrt{{{w.n(v[i])}}} + {eps}}}",
                 out.adaptive[i])
        terms.append(rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.o(m_hat[i])} \cdot \sqrt{{1 - {w.o(b2)}^{{{t}}}}}}}"
                     rf"{{\sqrt{{{w.n(v[i])}}} + {eps}}} \cdot {w.o(r)}")
    rr, ri = w.o(rho), w.o(rho_inf)
    w.eq(rf"r_{{{t}}}", rf"\sqrt{{\frac{{\left({rr} - 4\right) \cdot \left({rr} - 2\right) \cdot {ri}}}"
                        rf"{{\left({ri} - 4\right) \cdot \left({ri} - 2\right) \cdot {rr}}}}}", r)
    s.values.update(adaptive=out.adaptive, rectification=r)
    return s.finish(out.step, terms)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"], "weight_decay": h["weight_decay"],
            "decoupled_weight_decay": False, "foreach": False}


# The first five steps are η_t m̂_t, as long as the gradient: Rosenbrock's (|g| ≈ 230 at the start)
# needs a rate of 1e-3 to stay on the map. β2 = 0.9 also rectifies from t = 6 (ρ_6 ≈ 5.39).
_SMOOTH = {"default": adam_hyper(0.01),
    "betas_eps_decay": adam_hyper(0.05, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.3)}
_ROSEN = {"default": adam_hyper(1e-3)}  # the default set only: its reference file stays small

SPEC = OptimizerSpec(
    name="radam", order=13, display_name="RAdam", group="adaptive",
    description=Text("Adam with a built-in warm-up: momentum steps first, then Adam's step scaled by a rectifier.",
                     "自带预热的 Adam：先走动量步，再走乘以整流因子的 Adam 步。"),
    hyperparameters=(hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay()),
    build=radam, explain=explain,
    # the first five steps are η·m̂, as long as the gradient, but once rectified the step is about η·r_t per
    # coordinate, like Adam's: the cap keeps the later path readable (the tuner may still pick far less)
    tuning=TuningHint(step_cap=0.01),
    torch=TorchCounterpart("RAdam", _torch_kwargs, {"smooth": _SMOOTH, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment"), internals=("first_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均")},
    memory_symbols=lambda convention: "m, v",
    explain_note=Text("ρ_t, the length of the moving average v_t resembles, follows from β2 and the step count "
                      "alone; while ρ_t ≤ 5 the step is plain momentum.",
                      "ρ_t 是 v_t 所近似的滑动平均的长度，只由 β2 和步数决定；ρ_t ≤ 5 时走普通动量步。"),
)
