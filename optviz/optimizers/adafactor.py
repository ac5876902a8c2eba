r"""Adafactor: RMSprop whose step is a fraction of the weights' own size, with the update's size clipped.

Adafactor was made to save memory on weight matrices: it keeps only row and column averages of the
squared gradient and rebuilds the full table from them (a rank-1 "factorization"). A position in
the plane is a vector of two numbers, so there is nothing to factor: it keeps one mean square per
coordinate, as RMSprop does. What is left, and what shows in a picture, is the rest of the method:

- the mean's decay rate grows toward 1 on its own, β̂_t = 1 − t^c, so early steps forget fast;
- the step is *relative*: α_t = max(ε2, RMS(θ)) · min(η, 1/√t), a fraction of the weights' root
  mean square, so a run far from the origin takes larger steps than one near it;
- the update g/√v is clipped so that its root mean square is at most d.

RMS(·) is over the whole position (both coordinates together), so x and y share α_t and the clip.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TorchCounterpart,
                                    TuningHint, WeightDecay, check_convention, effective_rate, learning_rate,
                                    per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)
MACHINE_EPS = float(np.finfo(np.float64).eps)  # torch's ε1 = None: the dtype's machine epsilon, 2⁻⁵²


class AdafactorState(NamedTuple):
    count: int
    second_moment: Array  # v, (runs, 2)
    rate: Array  # (runs, 2): α_t / (D_t·max(√v_t, ε1)) of the last step, the factor on g (effective lr)


class AdafactorStep(NamedTuple):
    beta_hat: float  # the weight of g² in the mean: t^c (that is, 1 − β̂2_t)
    rho: float | Array  # ρ_t = min(η_t, 1/√t)
    rms_params: Array  # RMS(θ_{t−1}), (..., 1)
    alpha: Array  # α_t = max(ε2, RMS(θ_{t−1}))·ρ_t, (..., 1)
    second_moment: Array  # v_t
    root: Array  # max(√v_t, ε1)
    update: Array  # U_t = g_t / max(√v_t, ε1)
    rms_update: Array  # RMS(U_t), (..., 1)
    clip: Array  # D_t = max(1, RMS(U_t)/d), (..., 1)
    step: Array  # θ_t − θ_{t−1}


def lerp(start: Array, end: Array, weight) -> Array:
    """torch.lerp's arithmetic: start + w(end − start) for w < 0.5, else end − (end − start)(1 − w)."""
    return np.where(np.asarray(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1.0 - weight))


def rms(a: Array) -> Array:
    """The root mean square over the last axis (x and y), kept as a (..., 1) column."""
    return np.sqrt(np.sum(a * a, axis=-1, keepdims=True) / a.shape[-1])


def adafactor_step(grad: Array, params: Array, second_moment: Array, count: int, eta, beta2_decay, eps1, eps2,
                   clip_threshold, decay: WeightDecay) -> AdafactorStep:
    """The ``count``-th update of torch.optim.Adafactor's vector path, over (..., 2) arrays."""
    beta_hat = float(count) ** beta2_decay
    rho = np.minimum(eta, 1.0 / float(count) ** 0.5)
    rms_params = rms(params)
    alpha = np.maximum(eps2, rms_params) * rho
    v = lerp(second_moment, grad * grad, beta_hat)
    root = np.maximum(np.sqrt(v), eps1)  # torch: rsqrt(clamp(v, ε1²)), the same number
    with np.errstate(divide="ignore", invalid="ignore"):  # ε1 = 0 and a coordinate with no gradient yet: 0/0
        update = np.where(root == 0, 0.0, grad / np.where(root == 0, 1.0, root))  # taken as its limit, 0
    rms_update = rms(update)
    clip = np.maximum(1.0, rms_update / clip_threshold)
    step = decay.step(-(alpha / clip) * update, eta, params)
    return AdafactorStep(beta_hat, rho, rms_params, alpha, v, root, update, rms_update, clip, step)


def adafactor(lr: float | Array = 0.01, beta2_decay: float | Array = -0.8, eps: float | Array = MACHINE_EPS,
              eps2: float | Array = 1e-3, clip_threshold: float | Array = 1.0, weight_decay: float | Array = 0.0, *,
              convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Adafactor; torch.optim.Adafactor (its path for a vector parameter: no factorization).

    ::

        input:      η (lr), c (beta2_decay), ε1 (eps), ε2 (eps2), d (clip_threshold),
                    λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: v₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            β̂_t ← t^c                                       (the weight of g_t²; torch's 1 − β̂2_t)
            ρ_t ← min(η_t, 1/√t)
            α_t ← max(ε2, RMS(θ_{t−1}))·ρ_t
            v_t ← v_{t−1} + β̂_t (g_t² − v_{t−1})
            U_t ← g_t / max(√v_t, ε1)
            D_t ← max(1, RMS(U_t)/d)
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − (α_t / D_t) U_t
        return θ_t

    RMS(a) = √((a_x² + a_y²)/2) is over the whole position, so α_t and D_t are shared by x and y;
    everything else is per coordinate. β̂_1 = 1: the first mean square is g₁² itself, and the
    first step is α_1·sign(g₁) in each coordinate.

    The position is one parameter of shape (2,): a vector, for which torch keeps the full mean
    square (``state["variance"]``) and factors nothing; the row/column factorization that gives
    Adafactor its name applies only to parameters of two or more dimensions, which a 2-D
    visualizer never has. As torch does and the paper does not: η caps the relative step ρ_t
    (the paper fixes the cap at 0.01, torch's default η), ε1 floors √v_t rather than being added
    to g², and the decay is decoupled, −η_t λ θ_{t−1} (torch multiplies θ by 1 − η_t λ before the
    step; RMS(θ_{t−1}) is taken before that). torch's ε1 = None means the dtype's machine epsilon,
    2.22e-16 in float64: the default here. The paper's optional first moment (β1) is not in torch.
    Keras's Adafactor (``keras.optimizers.Adafactor``) adds ε1 to g² and caps ρ_t at the learning rate
    as well; it is not offered.

    Records ``second_moment`` v_t and ``effective_lr`` α_t/(D_t·max(√v_t, ε1)), the factor on g_t.
    With ε1 = 0, a coordinate whose gradient has been exactly 0 so far has v = 0: its U is 0/0,
    taken as 0 (its limit as ε1 → 0⁺), and its effective lr is undefined, recorded as NaN.

    Reference: Shazeer & Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
    ICML 2018; torch.optim.Adafactor.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    c, e1, e2 = per_run(beta2_decay, "beta2_decay"), per_run(eps, "eps"), per_run(eps2, "eps2")
    d = per_run(clip_threshold, "clip_threshold")
    decay = WeightDecay.of(weight_decay, convention, decoupled=True)
    zero_eps = bool(np.any(np.asarray(e1) == 0))

    def init(params: Array) -> AdafactorState:
        return AdafactorState(0, zeros_like_runs(params), np.full_like(params, np.nan, dtype=float))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = adafactor_step(grad, params, state.second_moment, count, rate.at(count), c, e1, e2, d, decay)
        factor = effective_rate(out.alpha / out.clip, out.root, zero_eps)
        return out.step, AdafactorState(count, out.second_moment, np.broadcast_to(factor, params.shape).copy())

    def internals(s: AdafactorState) -> dict[str, Array]:
        return {"second_moment": s.second_moment, "effective_lr": s.rate}

    return Optimizer("adafactor", init, update, internals,
                     dict(lr=lr, beta2_decay=beta2_decay, eps=eps, eps2=eps2, clip_threshold=clip_threshold,
                          weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta2_decay, eps, eps2, clip_threshold, weight_decay))


def explain(s: Replay) -> Array:
    c, e1, e2, dd, w, t = (s.hyper["beta2_decay"], s.hyper["eps"], s.hyper["eps2"], s.hyper["clip_threshold"], s.w,
                           s.t)
    decay = s.weight_decay(decoupled=True)
    v_prev = s.memory["second_moment"]
    out = adafactor_step(s.g, s.theta, v_prev, t, s.eta, c, e1, e2, dd, decay)
    v, u, alpha, clip = out.second_moment, out.update, float(out.alpha[0]), float(out.clip[0])
    s.rows += [r"\hat\beta_t &= t^{c}",
               r"\rho_t &= \min\left(\eta_t,\ 1/\sqrt{t}\right)",
               r"\alpha_t &= \max\left(\epsilon_2,\ \mathrm{RMS}(\theta_{t-1})\right)\,\rho_t",
               r"v_t &= v_{t-1} + \hat\beta_t\,(g_t^2 - v_{t-1})",
               r"U_t &= g_t / \max\left(\sqrt{v_t},\ \epsilon_1\right)",
               r"D_t &= \max\left(1,\ \mathrm{RMS}(U_t)/d\right)",
               r"\theta_t &= \theta_{t-1} - \frac{\alpha_t}{D_t}\,U_t" + s.decay_row(decay)]
    w.eq(rf"\hat\beta_{{{t}}}", rf"{t}^{{{w.o(c)}}}", out.beta_hat)
    w.eq(rf"\rho_{{{t}}}", None, float(np.asarray(out.rho)))  # the smaller of η_t and 1/√t
    w.eq(rf"\mathrm{{RMS}}(\theta_{{{t - 1}}})",
         rf"\sqrt{{\frac{{{w.sq(s.theta[0])} + {w.sq(s.theta[1])}}}{{2}}}}", float(out.rms_params[0]))
    w.eq(rf"\alpha_{{{t}}}", rf"{w.o(max(e2, float(out.rms_params[0])))} \cdot {w.o(float(np.asarray(out.rho)))}",
         alpha)
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(v_prev[i])} + {w.o(out.beta_hat)} \cdot \left({w.sq(s.g[i])} - {w.o(v_prev[i])}"
                            r"\right)", v[i])
    for i in range(2):  # divided by √v_t, or by ε1 where that is larger
        if out.root[i] == 0:  # ε1 = 0 and no gradient yet: the limit 0
            w.eq(s.sym("U", i), rf"\lim_{{\epsilon \to 0^{{+}}}} \frac{{{w.n(s.g[i])}}}{{\sqrt{{{w.n(v[i])}}} + "
                                r"\epsilon}", u[i])
        elif np.sqrt(v[i]) >= e1:
            w.eq(s.sym("U", i), rf"\frac{{{w.n(s.g[i])}}}{{\sqrt{{{w.n(v[i])}}}}}", u[i])
        else:
            w.eq(s.sym("U", i), rf"\frac{{{w.n(s.g[i])}}}{{{w.n(e1)}}}", u[i])
    w.eq(rf"\mathrm{{RMS}}(U_{{{t}}})", rf"\sqrt{{\frac{{{w.sq(u[0])} + {w.sq(u[1])}}}{{2}}}}",
         float(out.rms_update[0]))
    w.eq(rf"D_{{{t}}}", None, clip)  # the larger of 1 and RMS(U_t)/d
    s.values.update(second_moment_prev=v_prev, second_moment=v, beta_hat=out.beta_hat, rho=float(np.asarray(out.rho)),
                    rms_params=float(out.rms_params[0]), alpha=alpha, update=u, rms_update=float(out.rms_update[0]),
                    clip=clip)
    terms = [rf" - \frac{{{w.n(alpha)}}}{{{w.n(clip)}}} \cdot {w.o(u[i])}" for i in range(2)]
    return s.finish(out.step, terms, decay)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "beta2_decay": h["beta2_decay"], "eps": [h["eps"], h["eps2"]], "d": h["clip_threshold"],
            "weight_decay": h["weight_decay"], "foreach": False}


def _hyper(lr: float, beta2_decay: float = -0.8, eps: float = MACHINE_EPS, eps2: float = 1e-3,
           clip_threshold: float = 1.0, weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "eps2": eps2, "clip_threshold": clip_threshold,
            "weight_decay": weight_decay}


# Each branch is taken in the recorded runs: the clip D_t > 1 on the saddle (49 of the default run's 50 steps, and
# with large_lr and weight_decay) and on Rosenbrock with d = 1.2, c = −0.5 ("clip_decay"); ε1 = 0.5 floors √v on
# the saddle and twice on the quadratic, and ε2 = 0.3 floors RMS(θ) on the quadratic's last 8 steps ("eps").
_REFERENCE_SETS = {"default": _hyper(0.01), "large_lr": _hyper(0.1),
                   "clip_decay": _hyper(0.05, beta2_decay=-0.5, clip_threshold=1.2),
                   "eps": _hyper(0.05, eps=0.5, eps2=0.3), "weight_decay": _hyper(0.05, weight_decay=0.3)}
_ROSEN = {"default": _hyper(0.01), "clip_decay": _REFERENCE_SETS["clip_decay"]}

SPEC = OptimizerSpec(
    name="adafactor", order=18, display_name="Adafactor", group="adaptive",
    description=Text("RMSprop with a relative step: a fraction of the weights' size, the update's size clipped.",
                     "相对步长的 RMSprop：步长是权重大小的一个比例，更新量的大小被截断。"),
    hyperparameters=(
        dataclasses.replace(hp.lr(0.01), help=Text("η: the largest relative step ρ_t (and the decay's rate)",
                                                   "η：相对步长 ρ_t 的上限（也是权重衰减的系数）")),
        Hyper("beta2_decay", -0.8, -1.0, 0.0, (-1.0, -0.9, -0.8, -0.7, -0.6, -0.5, -0.3, 0.0), "b2d",
              Text("β2 decay exponent c", "β2 衰减指数 c"),
              Text("c: g² enters the mean with weight t^c, so the memory grows with t",
                   "c：g² 以权重 t^c 进入均值，记忆随 t 变长"), Sweep(-1.0, 0.0, False)),
        dataclasses.replace(hp.eps(MACHINE_EPS), help=Text("ε1: the smallest √v divided by", "ε1：作除数的 √v 的下限")),
        Hyper("eps2", 1e-3, 0.0, 1.0, (0.0, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.3, 1.0), "eps2",
              Text("ε2 (smallest weight scale)", "ε2（权重尺度下限）"),
              Text("ε2: the step is at least ε2·ρ_t, even at the origin", "ε2：即使在原点，步长也至少是 ε2·ρ_t"),
              Sweep(1e-5, 1.0, True), log=True),
        Hyper("clip_threshold", 1.0, 1.0, 100.0, (1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0), "clip",
              Text("clipping threshold d", "截断阈值 d"),
              Text("d: the update g/√v is scaled down until its RMS is at most d",
                   "d：更新量 g/√v 被缩小，直到其均方根不超过 d"), Sweep(1.0, 10.0, True), log=True),
        hp.weight_decay(0.0, Text("decoupled weight decay λ (times η)", "解耦权重衰减 λ（乘以 η）"))),
    build=adafactor, explain=explain,
    # the first step is α₁·sign(g) = η·RMS(θ₀) per coordinate: lr capped like Adam's keeps it readable
    tuning=TuningHint(step_cap=0.01),
    torch=TorchCounterpart("Adafactor", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("second_moment",), internals=("second_moment", "effective_lr"),
    plotted={"second_moment": Text("v: the average squared gradient, its memory growing with t",
                                   "v：梯度平方的平均，记忆随 t 增长")},
    memory_symbols=lambda convention: "v",
    explain_note=Text("RMS(·) is over the whole position, √((x² + y²)/2): α_t and the clip D_t are shared by x and y. "
                      "A 2-D position is a vector, so nothing is factorized: v is the full mean square, as in RMSprop.",
                      "RMS(·) 针对整个位置，即 √((x² + y²)/2)：x 与 y 共用 α_t 和截断 D_t。"
                      "二维位置是向量，不做分解：v 就是完整的均方，与 RMSprop 相同。"),
)
