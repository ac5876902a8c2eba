r"""QHM: quasi-hyperbolic momentum, a weighted average of a plain gradient step and a momentum step.

QHM keeps a *dampened* momentum m (an exponential moving average of the gradients, weights summing
to 1) and steps along ν·m + (1−ν)·g: ν = 0 is plain gradient descent, ν = 1 is momentum with an
averaged (not summed) velocity. In between, the fresh gradient keeps a fixed share of every step
however long the memory β is, which is what lets QHM use a very long memory (β = 0.999).
"""
from __future__ import annotations

from typing import NamedTuple

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class QHMState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2): the dampened momentum buffer


class QHMStep(NamedTuple):
    gradient: Array  # g̃_t = g_t + λθ_{t−1}
    first_moment: Array  # m_t
    step: Array  # θ_t − θ_{t−1}


def qhm_step(grad: Array, params: Array, first_moment: Array, eta, beta, nu, decay: WeightDecay) -> QHMStep:
    """One QHM update, in qhoptim's order: the buffer, then θ −= ην·m_t, then θ −= η(1−ν)·g̃_t."""
    g = decay.gradient(grad, params)
    m = beta * first_moment + (1.0 - beta) * g
    return QHMStep(g, m, -(eta * nu) * m - (eta * (1.0 - nu)) * g)


def qhm(lr: float | Array = 0.001, beta: float | Array = 0.999, discount: float | Array = 0.7,
        weight_decay: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
        ) -> Optimizer:
    r"""QHM, as facebookresearch's ``qhoptim.pyt.QHM`` (``weight_decay_type="grad"``, its default).

    ::

        input:      η (lr), β (beta), ν (discount), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: m₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m_t ← β m_{t−1} + (1−β) g̃_t
            θ_t ← θ_{t−1} − η_t ν m_t − η_t (1−ν) g̃_t
        return θ_t

    All per coordinate; ν (``discount``) is the paper's and qhoptim's ``nu``. The momentum is
    dampened, (1−β) g̃_t, and not bias-corrected: with β = 0.999 the early steps are almost all
    (1−ν)·η·g̃. Special cases: ν = 0 is SGD; ν = 1 is momentum with a
    dampened buffer (torch.optim.SGD with dampening β, but for torch's first buffer, g̃₁ undampened);
    ν = β is Nesterov's momentum in the same dampened form.
    The defaults ν = 0.7, β = 0.999 are the paper's recommendation; qhoptim's constructor has none
    (η, β and ν are required). qhoptim's ``weight_decay_type="direct"`` (decoupled decay) is not offered.
    torch.optim has no QHM (torch 2.13).

    Records ``first_moment`` m_t, the buffer the next step starts from.

    Reference: Ma & Yarats, "Quasi-hyperbolic momentum and Adam for deep learning", ICLR 2019;
    https://github.com/facebookresearch/qhoptim (package ``qhoptim``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b, n = per_run(beta, "beta"), per_run(discount, "discount")
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> QHMState:
        return QHMState(0, zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = qhm_step(grad, params, state.first_moment, rate.at(count), b, n, decay)
        return out.step, QHMState(count, out.first_moment)

    def internals(s: QHMState) -> dict[str, Array]:
        return {"first_moment": s.first_moment}

    return Optimizer("qhm", init, update, internals,
                     dict(lr=lr, beta=beta, discount=discount, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, beta, discount, weight_decay))


def explain(s: Replay) -> Array:
    b, n, w = s.hyper["beta"], s.hyper["discount"], s.w
    decay = s.weight_decay()
    m_prev = s.memory["first_moment"]
    out = qhm_step(s.g, s.theta, m_prev, s.eta, b, n, decay)
    G = s.show_gradient(decay, out.gradient)
    s.rows += [rf"m_t &= \beta\,m_{{t-1}} + (1-\beta)\,{G}_t",
               rf"\theta_t &= \theta_{{t-1}} - \eta_t\,\nu\,m_t - \eta_t\,(1-\nu)\,{G}_t"]
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b)}\right) \cdot "
                            rf"{w.o(out.gradient[i])}", out.first_moment[i])
    s.values.update(first_moment_prev=m_prev, first_moment=out.first_moment)
    terms = [rf" - {w.o(s.eta)} \cdot {w.o(n)} \cdot {w.o(out.first_moment[i])} - {w.o(s.eta)} \cdot "
             rf"\left(1 - {w.n(n)}\right) \cdot {w.o(out.gradient[i])}" for i in range(2)]
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="qhm", order=19, display_name="QHM", group="classic",
    description=Text("Quasi-hyperbolic momentum: a weighted average of a gradient step and an averaged-momentum step.",
                     "拟双曲动量：梯度步与平均动量步的加权平均。"),
    hyperparameters=(
        hp.lr(0.001),  # qhoptim has no default; this one keeps Rosenbrock's first steps (|g| ≈ 230) short
        hp.beta(0.999, Text("β: the memory of the dampened momentum m", "β：阻尼动量 m 的记忆")),
        hp.nu("discount", 0.7, Text("ν: the share of the step taken along m (1−ν along g)",
                              "ν：沿 m 方向的步长占比（1−ν 沿 g）")),
        hp.weight_decay()),
    build=qhm, explain=explain,
    tuning=TuningHint(),  # the step scales with the gradient, as SGD's
    torch=None,
    no_torch="torch.optim has no QHM; the reference is facebookresearch's qhoptim package "
             "(tests/reference/thirdparty/qhm.json).",
    conventions=CONVENTIONS,
    memory=("first_moment",), internals=("first_moment",),
    plotted={"first_moment": Text("m: the dampened momentum", "m：阻尼动量")},
    memory_symbols=lambda convention: "m",
)
