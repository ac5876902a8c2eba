r"""Lion: evolved sign momentum. Every coordinate moves by exactly η per step, in the direction of a momentum's sign.

Lion (EvoLved Sign Momentum) was found by a program search. It keeps one moving average m of the
gradients, like momentum, but steps by the *sign* of an interpolation between m and the fresh
gradient: the step's size is η in every coordinate, whatever the gradient's size. Two decay rates
play two roles: β1 mixes the current gradient into the step's direction, β2 (larger) is the memory
carried to the next step. The sign makes the steps as large as Adam's largest ones, so Lion wants
a learning rate 3-10× smaller than Adam's.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class LionState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2): the memory of the next step
    update: Array  # u_t = sign(c_t), (runs, 2): the direction of the last step (0 before any)


class LionStep(NamedTuple):
    interpolation: Array  # c_t = β1 m_{t−1} + (1−β1) g_t
    update: Array  # u_t = sign(c_t): −1, 0 or 1 per coordinate
    first_moment: Array  # m_t = β2 m_{t−1} + (1−β2) g_t
    step: Array  # θ_t − θ_{t−1}


def lion_step(grad: Array, params: Array, first_moment: Array, eta, beta1, beta2, decay: WeightDecay) -> LionStep:
    """One Lion update, for arrays of any matching shape, in lion-pytorch's order: direction, then memory."""
    c = beta1 * first_moment + (1.0 - beta1) * grad
    u = np.sign(c)  # torch's sgn: sign(0) = 0
    m = beta2 * first_moment + (1.0 - beta2) * grad
    return LionStep(c, u, m, decay.step(-eta * u, eta, params))


def lion(lr: float | Array = 1e-4, beta1: float | Array = 0.9, beta2: float | Array = 0.99,
         weight_decay: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
         ) -> Optimizer:
    r"""Lion, as lucidrains' ``lion_pytorch.Lion`` (default: ``decoupled_weight_decay=False``).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: m₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            c_t ← β1 m_{t−1} + (1−β1) g_t
            u_t ← sign(c_t)                                  (sign(0) = 0)
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t u_t
            m_t ← β2 m_{t−1} + (1−β2) g_t
        return θ_t

    All per coordinate. The weight decay is decoupled, as in AdamW: lion-pytorch multiplies the
    weights by 1 − η_t λ before the signed step; the sum here is the same number. Its option
    ``decoupled_weight_decay=True`` (λ divided by the initial η) is not offered.

    Only the ``pytorch`` convention is offered. torch.optim has no Lion (torch 2.13); the
    reference is ``lion-pytorch`` (lucidrains), which is the paper's Program 1; optax's
    ``optax.lion`` and Keras 3's ``keras.optimizers.Lion`` write the same rule (Keras shrinks
    the weights by η_t λ in a separate pass, which is the same decoupled decay).

    Records ``first_moment`` m_t (the memory of the next step) and ``update`` u_t = sign(c_t),
    the direction of the step just taken.

    Reference: Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023;
    https://github.com/lucidrains/lion-pytorch (package ``lion-pytorch``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2 = per_run(beta1, "beta1"), per_run(beta2, "beta2")
    decay = WeightDecay.of(weight_decay, convention, decoupled=True)

    def init(params: Array) -> LionState:
        return LionState(0, zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = lion_step(grad, params, state.first_moment, rate.at(count), b1, b2, decay)
        return out.step, LionState(count, out.first_moment, out.update)

    def internals(s: LionState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "update": s.update}

    return Optimizer("lion", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, beta1, beta2, weight_decay))


def explain(s: Replay) -> Array:
    b1, b2, w = s.hyper["beta1"], s.hyper["beta2"], s.w
    decay = s.weight_decay(decoupled=True)
    m_prev = s.memory["first_moment"]
    out = lion_step(s.g, s.theta, m_prev, s.eta, b1, b2, decay)
    s.rows += [r"c_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t",
               r"u_t &= \operatorname{sign}(c_t)",
               r"\theta_t &= \theta_{t-1} - \eta_t\,u_t" + s.decay_row(decay),
               r"m_t &= \beta_2 m_{t-1} + (1-\beta_2)\,g_t"]
    for i in range(2):
        w.eq(s.sym("c", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(s.g[i])}",
             out.interpolation[i])
    for i in range(2):
        w.eq(s.sym("u", i), None, out.update[i])  # the sign of the line above
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b2)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot {w.o(s.g[i])}",
             out.first_moment[i])
    s.values.update(first_moment_prev=m_prev, first_moment=out.first_moment, interpolation=out.interpolation,
                    update=out.update)
    terms = [f" - {w.o(s.eta)} \\cdot {w.o(out.update[i])}" for i in range(2)]
    return s.finish(out.step, terms, decay)


SPEC = OptimizerSpec(
    name="lion", order=16, display_name="Lion", group="sign",
    description=Text("Sign momentum: every coordinate steps by exactly η, along the sign of a blend of momentum "
                     "and gradient.",
                     "符号动量：每个坐标每步恰好移动 η，方向取动量与梯度混合后的符号。"),
    hyperparameters=(
        hp.lr(1e-4),
        dataclasses.replace(hp.beta1(0.9), help=Text("β1: how much momentum (vs the new gradient) sets the "
                                                     "step's sign", "β1：决定步长符号时动量（相对新梯度）的权重")),
        dataclasses.replace(hp.beta2(0.99), help=Text("β2: the momentum's memory, carried to the next step",
                                                      "β2：动量的记忆，带到下一步")),
        hp.weight_decay(0.0, Text("decoupled weight decay λ", "解耦权重衰减 λ"))),
    build=lion, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # every step is η·sign(·) per coordinate
    torch=None,
    no_torch="torch.optim has no Lion; the reference is lucidrains' lion-pytorch package "
             "(tests/reference/thirdparty/lion.json).",
    conventions=CONVENTIONS,
    memory=("first_moment",), internals=("first_moment", "update"),
    plotted={"update": Text("u = sign(c): the step's direction, −1, 0 or 1 in every coordinate",
                            "u = sign(c)：步长方向，每个坐标为 −1、0 或 1"),
             "first_moment": Text("m: the momentum carried to the next step", "m：带到下一步的动量")},
    memory_symbols=lambda convention: "m",
    explain_note=Text("The step's size is η in every coordinate that moves: only the sign of c_t enters. "
                      "β1 shapes this step's direction; β2 is what m carries to the next step.",
                      "每个移动的坐标步长都是 η：只有 c_t 的符号起作用。β1 决定本步方向；β2 决定 m 带到下一步的记忆。"),
)
