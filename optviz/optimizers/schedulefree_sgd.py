r"""Schedule-Free SGD: no learning-rate schedule, an average instead. The path drawn is y, where the gradient is taken.

Schedule-Free keeps three points. z is plain SGD's sequence; x is a weighted running average
of the z's (with the default weights, their plain mean): the point you would deploy, whose
loss is what a decaying schedule would have bought. The gradient is taken at y, an
interpolation between them: y = (1 − β) z + β x, so β plays the role of momentum. The run
drawn on the map is y; x and z are recorded (``x_average``, ``z_sequence``) and drawn beside it.

The averaging core here (:func:`average_weight`, :func:`schedule_free_step`) is shared with
Schedule-Free AdamW (``optviz.optimizers.schedulefree_adamw``), which only normalizes the
gradient as Adam does before the same three updates.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, WeightDecay,
                                    check_convention, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)

POWER_LADDER = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


def weight_step_power(default: float, help: Text) -> Hyper:
    """r: the averaging weight grows as t^r (the package's ``r``); 0 averages every z alike."""
    return Hyper("weight_step_power", default, 0.0, 8.0, POWER_LADDER, "wsp",
                 Text("r (average weight ∝ t^r)", "r（平均权重 ∝ t^r）"), help, Sweep(0.0, 4.0, False))


def weight_lr_power(default: float, help: Text) -> Hyper:
    """p: the averaging weight grows as the largest learning rate so far to the power p (the package's name)."""
    return Hyper("weight_lr_power", default, 0.0, 8.0, POWER_LADDER, "wlp",
                 Text("p (average weight ∝ max η^p)", "p（平均权重 ∝ max η^p）"), help, Sweep(0.0, 4.0, False))


R_HELP = Text("r: later points weigh t^r more in the average x (0: the plain mean)",
              "r：越晚的点在平均 x 中权重按 t^r 增大（0：简单平均）")
P_HELP = Text("p: each point's weight in x is the largest η so far to the power p (matters under warm-up)",
              "p：每个点在 x 中的权重为迄今最大 η 的 p 次方（预热时起作用）")


class ScheduleFreeState(NamedTuple):
    count: int
    z: Array  # z_t, (runs, 2): the base sequence
    x: Array  # x_t, (runs, 2): the weighted average of z_1 … z_t
    weight_sum: Array  # W_t = w_1 + … + w_t, (runs, 2) (both columns equal)
    lr_max: Array  # max(η_1 … η_t), (runs, 2) (both columns equal; 0 before any step)
    averaging_weight: Array  # c_t = w_t / W_t, (runs, 2) (both columns equal)


class AverageWeight(NamedTuple):
    lr_max: Array  # max(η_max,t−1, η_t)
    weight: Array  # w_t = t^r · η_max,t^p
    weight_sum: Array  # W_t = W_{t−1} + w_t
    c: Array  # c_t = w_t / W_t (0 where W_t = 0, as the package takes it)


def average_weight(count: int, eta, lr_max: Array, weight_sum: Array, r, p) -> AverageWeight:
    """The weight c_t that the ``count``-th z gets in the average x, over (..., 1) columns, in the package's order."""
    top = np.maximum(lr_max, eta)
    weight = (float(count) ** r) * (top**p)
    total = weight_sum + weight
    # the package catches the 0/0 of a first step at learning rate 0 and takes c = 0 (x keeps x₀)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(total != 0, weight / np.where(total != 0, total, 1.0), 0.0)
    return AverageWeight(top, weight, total, c)


class ScheduleFreeStep(NamedTuple):
    z: Array  # z_t = z_{t−1} − η_t d_t
    x: Array  # x_t = (1 − c_t) x_{t−1} + c_t z_t
    y: Array  # y_t = (1 − β) z_t + β x_t: the next point where the gradient is taken
    step: Array  # y_t − y_{t−1}


def schedule_free_step(direction: Array, params: Array, z: Array, x: Array, eta, c, beta) -> ScheduleFreeStep:
    """The three updates every Schedule-Free method shares, given its step direction d_t (SGD: the gradient)."""
    z_new = z - eta * direction
    x_new = (1.0 - c) * x + c * z_new
    y_new = (1.0 - beta) * z_new + beta * x_new
    return ScheduleFreeStep(z_new, x_new, y_new, y_new - params)


def schedule_free_init(params: Array) -> ScheduleFreeState:
    """z₀ = x₀ = y₀ (the start). c₀ is recorded as 1: the average is all z before any step."""
    both = np.ones_like(params, dtype=float)
    start = np.array(params, dtype=float)
    return ScheduleFreeState(0, start, start.copy(), zeros_like_runs(params), zeros_like_runs(params), both)


def schedule_free_internals(s: ScheduleFreeState) -> dict[str, Array]:
    return {"z_sequence": s.z, "x_average": s.x, "weight_sum": s.weight_sum, "lr_max": s.lr_max,
            "averaging_weight": s.averaging_weight}


SCHEDULE_FREE_MEMORY = ("z_sequence", "x_average", "weight_sum", "lr_max")
SCHEDULE_FREE_MAP_POINTS = {
    "x_average": Text("x: the average (the point to deploy)", "x：平均点（应部署的点）"),
    "z_sequence": Text("z: the base sequence", "z：基础序列"),
}
SCHEDULE_FREE_PLOTTED = {"averaging_weight": Text("c_t: the newest z's weight in x", "c_t：最新 z 在 x 中的权重")}


def schedulefree_sgd(lr: float | Array = 0.001, beta: float | Array = 0.9, weight_decay: float | Array = 0.0,
                     weight_step_power: float | Array = 0.0, weight_lr_power: float | Array = 2.0, *,
                     convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Schedule-Free SGD, as ``schedulefree.SGDScheduleFree`` 1.4.1 (warmup_steps=0, r=0, weight_lr_power=2).

    ::

        input:      η (lr), β (beta), λ (weight_decay), r (weight_step_power), p (weight_lr_power),
                    s (schedule), θ₀ (start), f (objective)
        initialize: z₀ ← θ₀, x₀ ← θ₀, W₀ ← 0, η_max,0 ← 0;   the position θ is y, y₀ = θ₀
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})                           (the gradient is taken at y_{t−1} = θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            η_max,t ← max(η_max,t−1, η_t)
            w_t ← t^r · η_max,t^p
            W_t ← W_{t−1} + w_t
            c_t ← w_t / W_t
            z_t ← z_{t−1} − η_t g̃_t
            x_t ← (1 − c_t) x_{t−1} + c_t z_t
            θ_t ← y_t = (1 − β) z_t + β x_t
        return θ_t

    x_t is the average of z_1 … z_t weighted by w_1 … w_t (c_1 = 1, so x_1 = z_1); with r = 0 and
    a constant rate every w is the same and x_t is their plain mean. There is no schedule to
    tune: the average does what a decaying rate would. The package's ``warmup_steps=W`` is
    OptViz's schedule ``constant+warmup:W`` (both scale update k+1 by (k+1)/W for k < W), and it
    is why p exists: during the warm-up the early, small-step z's weigh less. Any other schedule
    enters as the package sees a scheduler's lr: through η_t and η_max.

    The package stores y and z and updates y in place,
    y_t = (1 − c_t) y_{t−1} + c_t z_{t−1} + η_t(β(1 − c_t) − 1) g̃_t, which is the last line above
    rewritten (substitute x_{t−1} = (y_{t−1} − (1 − β) z_{t−1})/β); x is what its evaluation mode puts in
    the parameters. Here x and z are kept and y is formed from them, the same numbers to rounding.
    The weight decay is L2 at y (added to the gradient), as the package does. β = 0, which the
    package refuses (its evaluation mode divides by β), is well defined here: y = z, plain SGD, with its
    running average x recorded. The package starts η_max at −1, a mark that the first max replaces,
    as 0 does here for any rate above 0. Its default lr = 1 is not OptViz's (see the spec: it suits
    networks, not these surfaces); its r and weight_lr_power are ``weight_step_power`` and
    ``weight_lr_power`` here.

    The position drawn and stepped is y (where ``simulate`` evaluates the gradient). Records
    ``x_average`` x_t (the average you would deploy) and ``z_sequence`` z_t, both points drawn on
    the map beside the run, ``averaging_weight`` c_t, and ``weight_sum`` W_t and ``lr_max``
    η_max,t, the memory of the next weight (these three on both columns). torch.optim has no
    Schedule-Free optimizer (torch 2.13).

    Reference: Defazio et al., "The Road Less Scheduled", NeurIPS 2024;
    https://github.com/facebookresearch/schedule_free (package ``schedulefree``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b = per_run(beta, "beta")
    r, p = per_run(weight_step_power, "weight_step_power"), per_run(weight_lr_power, "weight_lr_power")
    decay = WeightDecay.of(weight_decay, convention)  # L2: the gradient at y plus λy

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        avg = average_weight(count, eta, state.lr_max[:, :1], state.weight_sum[:, :1], r, p)
        out = schedule_free_step(decay.gradient(grad, params), params, state.z, state.x, eta, avg.c, b)
        both = np.ones_like(params)
        return out.step, ScheduleFreeState(count, out.z, out.x, avg.weight_sum * both, avg.lr_max * both,
                                           avg.c * both)

    return Optimizer("schedulefree_sgd", schedule_free_init, update, schedule_free_internals,
                     dict(lr=lr, beta=beta, weight_decay=weight_decay, weight_step_power=weight_step_power,
                          weight_lr_power=weight_lr_power, convention=convention, schedule=schedule),
                     runs_of(lr, beta, weight_decay, weight_step_power, weight_lr_power))


def explain_average(s: Replay) -> AverageWeight:
    """Write η_max,t, w_t, W_t and c_t from the recorded memory; shared with Schedule-Free AdamW."""
    r, p, w, t = s.hyper["weight_step_power"], s.hyper["weight_lr_power"], s.w, s.t
    top_prev, total_prev = s.memory["lr_max"][:1], s.memory["weight_sum"][:1]
    avg = average_weight(t, s.eta, top_prev, total_prev, r, p)
    top, weight, total, c = (float(v[0]) for v in avg)
    s.rows += [r"\eta_{\max,t} &= \max(\eta_{\max,t-1},\ \eta_t)",
               r"w_t &= t^{r}\,\eta_{\max,t}^{\,p}, \quad W_t = W_{t-1} + w_t, \quad c_t = \frac{w_t}{W_t}"]
    w.eq(rf"\eta_{{\max,{t}}}", None, top)  # the larger of the two
    w.eq(rf"w_{{{t}}}", rf"{t}^{{{w.n(r)}}} \cdot {w.o(top)}^{{{w.n(p)}}}", weight)
    w.eq(rf"W_{{{t}}}", rf"{w.n(total_prev[0])} + {w.o(weight)}", total)
    w.eq(rf"c_{{{t}}}", rf"\frac{{{w.n(weight)}}}{{{w.n(total)}}}", c)
    s.values.update(lr_max=top, weight=weight, weight_sum=total, averaging_weight=c)
    return avg


def explain_schedule_free(s: Replay, direction: Array, symbol: str, c, beta, beta_symbol: str = r"\beta") -> Array:
    """Write z_t, x̄_t and the new position y_t for the step direction ``direction`` (written ``symbol``) and the
    interpolation β (written ``beta_symbol``)."""
    w, t = s.w, s.t
    z_prev, x_prev = s.memory["z_sequence"], s.memory["x_average"]
    out = schedule_free_step(direction, s.theta, z_prev, x_prev, s.eta, c, beta)
    s.rows += [rf"z_t &= z_{{t-1}} - \eta_t\,{symbol}_t",
               r"\bar x_t &= (1 - c_t)\,\bar x_{t-1} + c_t\,z_t",
               rf"\theta_t &= y_t = (1 - {beta_symbol})\,z_t + {beta_symbol}\,\bar x_t"]
    for i in range(2):
        w.eq(s.sym("z", i), rf"{w.n(z_prev[i])} - {w.o(s.eta)} \cdot {w.o(direction[i])}", out.z[i])
    for i in range(2):
        w.eq(s.sym(r"\bar x", i), rf"\left(1 - {w.n(c)}\right) \cdot {w.o(x_prev[i])} + {w.o(c)} \cdot {w.o(out.z[i])}",
             out.x[i])
    s.values.update(z_prev=z_prev, x_prev=x_prev, z=out.z, x=out.x)
    new = s.theta + out.step  # what simulate records: y_{t−1} plus the step
    for i in range(2):
        w.eq(s.pos(i), rf"\left(1 - {w.n(beta)}\right) \cdot {w.o(out.z[i])} + {w.o(beta)} \cdot {w.o(out.x[i])}",
             new[i])
    s.values["step"] = out.step
    s.values["new_position"] = new
    return new


def explain(s: Replay) -> Array:
    decay = s.weight_decay()
    gradient = decay.gradient(s.g, s.theta)
    symbol = s.show_gradient(decay, gradient)
    avg = explain_average(s)
    return explain_schedule_free(s, gradient, symbol, float(avg.c[0]), s.hyper["beta"])


SPEC = OptimizerSpec(
    name="schedulefree_sgd", order=30, display_name="Schedule-Free SGD", group="schedule_free",
    description=Text("SGD without a schedule: the gradient is taken between the SGD sequence z and its running "
                     "average x, the point to deploy.",
                     "无需学习率调度的 SGD：在 SGD 序列 z 与其滑动平均 x（应部署的点）之间取梯度。"),
    hyperparameters=(
        # the package's default lr of 1.0 is meant for networks; on these surfaces (curvature up to ~1000) it
        # leaves the plot at once. This one keeps Rosenbrock's first steps (|g| ≈ 230) short, as QHM's does
        hp.lr(0.001),
        hp.beta(0.9, Text("β: where between z (0) and the average x (1) the gradient is taken; acts as momentum",
                          "β：在 z（0）与平均 x（1）之间的取梯度位置；起动量的作用")),
        hp.weight_decay(0.0, Text("L2 weight decay λ, at y", "L2 权重衰减 λ，在 y 处计算")),
        weight_step_power(0.0, R_HELP),
        weight_lr_power(2.0, P_HELP)),
    build=schedulefree_sgd, explain=explain,
    tuning=TuningHint(),  # the step scales with the gradient, as SGD's
    torch=None,
    no_torch="torch.optim has no Schedule-Free optimizer; the reference is Meta's schedulefree package "
             "(tests/reference/thirdparty/schedulefree_sgd.json).",
    conventions=CONVENTIONS,
    memory=SCHEDULE_FREE_MEMORY,
    internals=SCHEDULE_FREE_MEMORY + ("averaging_weight",),
    memory_symbols=lambda convention: "z, x̄, W, η_max",
    explain_note=Text("The path drawn is y, where the gradient is taken; x̄ (the average to deploy) and z are "
                      "drawn beside it. c_t is the newest z's share of the average.",
                      "图中路径是取梯度的点 y；x̄（应部署的平均点）与 z 画在旁边。c_t 是最新 z 在平均中的份额。"),
    plotted=SCHEDULE_FREE_PLOTTED,
    map_points=SCHEDULE_FREE_MAP_POINTS,
)
