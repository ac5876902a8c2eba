r"""Schedule-Free AdamW: Schedule-Free's three points, stepping along Adam's normalized gradient.

As Schedule-Free SGD (``optviz.optimizers.schedulefree_sgd``, whose averaging core this module
uses): z is the base sequence, x the weighted average of the z's (the point to deploy), and the
gradient is taken at y = (1 − β1) z + β1 x, the run drawn on the map. What changes is the step
direction: the gradient divided by the root of its bias-corrected second moment, as in Adam. β1
keeps no first moment here; the averaging and the interpolation do momentum's work.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, check_convention, divide,
                                    has_zero, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.optimizers.schedulefree_sgd import (P_HELP, R_HELP, SCHEDULE_FREE_MAP_POINTS, SCHEDULE_FREE_MEMORY,
                                                SCHEDULE_FREE_PLOTTED, ScheduleFreeState, average_weight,
                                                explain_average, explain_schedule_free, schedule_free_init,
                                                schedule_free_internals, schedule_free_step, weight_lr_power,
                                                weight_step_power)
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class ScheduleFreeAdamState(NamedTuple):
    averaging: ScheduleFreeState  # z, x, W, η_max, c
    second_moment: Array  # v_t, (runs, 2)


class NormalizedGradient(NamedTuple):
    second_moment: Array  # v_t = β2 v_{t−1} + (1−β2) g_t²
    denominator: Array  # √(v_t / (1−β2^t)) + ε
    direction: Array  # d_t = g_t / denominator + λ y_{t−1}


def normalized_gradient(grad: Array, params: Array, second_moment: Array, count: int, beta2, eps, weight_decay,
                        zero_eps: bool) -> NormalizedGradient:
    """Adam's normalized gradient plus the decay at y, in the package's order (decay added after dividing)."""
    v = beta2 * second_moment + (1.0 - beta2) * (grad * grad)
    denominator = np.sqrt(v / (1.0 - beta2**count)) + eps
    return NormalizedGradient(v, denominator, divide(grad, denominator, zero_eps) + weight_decay * params)


def schedulefree_adamw(lr: float | Array = 0.0025, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
                       eps: float | Array = 1e-8, weight_decay: float | Array = 0.0,
                       weight_step_power: float | Array = 0.0, weight_lr_power: float | Array = 2.0, *,
                       convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Schedule-Free AdamW, as ``schedulefree.AdamWScheduleFree`` 1.4.1 with its defaults
    (lr=0.0025, warmup_steps=0, r=0, weight_lr_power=2).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), r (weight_step_power),
                    p (weight_lr_power), s (schedule), θ₀ (start), f (objective)
        initialize: z₀ ← θ₀, x₀ ← θ₀, v₀ ← 0, W₀ ← 0, η_max,0 ← 0;   the position θ is y, y₀ = θ₀
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})                           (the gradient is taken at y_{t−1} = θ_{t−1})
            v_t ← β2 v_{t−1} + (1−β2) g_t²
            d_t ← g_t / (√(v_t / (1−β2^t)) + ε) + λθ_{t−1}
            η_max,t ← max(η_max,t−1, η_t)
            w_t ← t^r · η_max,t^p
            W_t ← W_{t−1} + w_t
            c_t ← w_t / W_t
            z_t ← z_{t−1} − η_t d_t
            x_t ← (1 − c_t) x_{t−1} + c_t z_t
            θ_t ← y_t = (1 − β1) z_t + β1 x_t
        return θ_t

    All per coordinate but c_t, W_t and η_max,t (one number per run). There is no first moment:
    β1 only places y between z and the average x. The weight decay λθ_{t−1} is taken at y and
    added after the division, so it is not rescaled by the second moment (decoupled, as AdamW's),
    but, unlike torch's AdamW, it moves z and through it the average. With c_1 = 1 and ε small,
    the first step is η_1·sign(g_1) (plus the decay), like Adam's.

    The package updates y in place from y and z (see ``optviz.optimizers.schedulefree_sgd``: the
    same numbers to rounding) and offers ``warmup_steps=W``, which is OptViz's schedule
    ``constant+warmup:W``. Its bias correction of v is always on. With ε = 0, a coordinate whose
    gradient has been exactly 0 so far takes 0/0 as 0 (its limit as ε → 0⁺), where the package
    would produce NaN. β1 = 0 (y = z) is well defined here; switching the package to evaluation mode divides by β1.

    Records ``x_average`` x_t and ``z_sequence`` z_t (drawn on the map beside the run y),
    ``averaging_weight`` c_t, ``second_moment`` v_t, and the memory of the next weight,
    ``weight_sum`` W_t and ``lr_max`` η_max,t. torch.optim has no Schedule-Free optimizer (torch 2.13).

    Reference: Defazio et al., "The Road Less Scheduled", NeurIPS 2024;
    https://github.com/facebookresearch/schedule_free (package ``schedulefree``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, e, lam = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps"), per_run(weight_decay,
                                                                                                     "weight_decay")
    r, p = per_run(weight_step_power, "weight_step_power"), per_run(weight_lr_power, "weight_lr_power")
    zero_eps = has_zero(e)

    def init(params: Array) -> ScheduleFreeAdamState:
        return ScheduleFreeAdamState(schedule_free_init(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        avg_state = state.averaging
        count = avg_state.count + 1
        eta = rate.at(count)
        norm = normalized_gradient(grad, params, state.second_moment, count, b2, e, lam, zero_eps)
        avg = average_weight(count, eta, avg_state.lr_max[:, :1], avg_state.weight_sum[:, :1], r, p)
        out = schedule_free_step(norm.direction, params, avg_state.z, avg_state.x, eta, avg.c, b1)
        both = np.ones_like(params)
        return out.step, ScheduleFreeAdamState(
            ScheduleFreeState(count, out.z, out.x, avg.weight_sum * both, avg.lr_max * both, avg.c * both),
            norm.second_moment)

    def internals(s: ScheduleFreeAdamState) -> dict[str, Array]:
        return schedule_free_internals(s.averaging) | {"second_moment": s.second_moment}

    return Optimizer("schedulefree_adamw", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          weight_step_power=weight_step_power, weight_lr_power=weight_lr_power,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay, weight_step_power, weight_lr_power))


def explain(s: Replay) -> Array:
    b2, e, lam, w, t = s.hyper["beta2"], s.hyper["eps"], s.hyper["weight_decay"], s.w, s.t
    v_prev = s.memory["second_moment"]
    norm = normalized_gradient(s.g, s.theta, v_prev, t, b2, e, lam, s.zero_eps)
    s.rows += [r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2",
               r"d_t &= \frac{g_t}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon} + \lambda\,\theta_{t-1}"]
    for i in range(2):
        w.eq(s.sym("v", i), rf"{w.o(b2)} \cdot {w.o(v_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.sq(s.g[i])}",
             norm.second_moment[i])
    for i in range(2):
        lim, eps = s.limit(norm.second_moment, i)
        shrink = rf" + {w.o(lam)} \cdot {w.o(s.theta[i])}" if lam != 0 else ""
        w.eq(s.sym("d", i), rf"{lim}\frac{{{w.n(s.g[i])}}}{{\sqrt{{{w.n(norm.second_moment[i])} / "
                            rf"\left(1 - {w.o(b2)}^{{{t}}}\right)}} + {eps}}}{shrink}", norm.direction[i])
    s.values.update(second_moment_prev=v_prev, second_moment=norm.second_moment, denominator=norm.denominator,
                    direction=norm.direction)
    avg = explain_average(s)
    return explain_schedule_free(s, norm.direction, "d", float(avg.c[0]), s.hyper["beta1"], r"\beta_1")


SPEC = OptimizerSpec(
    name="schedulefree_adamw", order=31, display_name="Schedule-Free AdamW", group="schedule_free",
    description=Text("AdamW without a schedule: Adam-normalized steps for z, the gradient taken between z and "
                     "its running average x, the point to deploy.",
                     "无需学习率调度的 AdamW：z 按 Adam 归一化的步长更新，在 z 与其滑动平均 x（应部署的点）之间取梯度。"),
    hyperparameters=(
        hp.lr(0.0025),
        dataclasses.replace(hp.beta1(0.9), help=Text("β1: where between z (0) and the average x (1) the gradient "
                                                     "is taken; no first moment is kept",
                                                     "β1：在 z（0）与平均 x（1）之间的取梯度位置；不保留一阶矩")),
        hp.beta2(0.999), hp.eps(1e-8),
        hp.weight_decay(0.0, Text("weight decay λ at y, added after Adam's division",
                                  "在 y 处计算的权重衰减 λ，加在 Adam 的除法之后")),
        weight_step_power(0.0, R_HELP),
        weight_lr_power(2.0, P_HELP)),
    build=schedulefree_adamw, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate, like Adam's
    torch=None,
    no_torch="torch.optim has no Schedule-Free optimizer; the reference is Meta's schedulefree package "
             "(tests/reference/thirdparty/schedulefree_adamw.json).",
    conventions=CONVENTIONS,
    memory=SCHEDULE_FREE_MEMORY + ("second_moment",),
    internals=SCHEDULE_FREE_MEMORY + ("second_moment", "averaging_weight"),
    memory_symbols=lambda convention: "z, x̄, v, W, η_max",
    explain_note=Text("The path drawn is y, where the gradient is taken; x̄ (the average to deploy) and z are "
                      "drawn beside it. d_t is Adam's normalized gradient; c_t is the newest z's share of the average.",
                      "图中路径是取梯度的点 y；x̄（应部署的平均点）与 z 画在旁边。d_t 是 Adam 归一化后的梯度；"
                      "c_t 是最新 z 在平均中的份额。"),
    plotted=SCHEDULE_FREE_PLOTTED,
    map_points=SCHEDULE_FREE_MAP_POINTS,
)
