r"""ASGD: averaged stochastic gradient descent, SGD with a slowly decaying rate and a running average of its points.

The iterate θ_t moves like SGD (with a shrink toward 0 by ν·η_t), its rate η_t decays as
η/(1 + ν·η·t)^α, and after step t0 a running mean θ̄ of the iterates is kept: Polyak–Ruppert
averaging. The average, not the iterate, is the answer such a method returns; it is recorded
as ``average``. Before t0 (and with torch's default t0 = 10⁶, always here) θ̄ is θ_t itself.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TorchCounterpart,
                                    TuningHint, WeightDecay, check_convention, learning_rate, per_run, runs_of,
                                    zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class AsgdState(NamedTuple):
    count: int
    average: Array  # θ̄_t, (runs, 2)
    eta: Array  # η_{t+1}: the rate the next step uses, (runs, 2)
    mu: Array  # μ_{t+1}: the averaging weight of the next step, (runs, 2)


class AsgdStep(NamedTuple):
    gradient: Array  # g̃_t
    position: Array  # θ_t
    average: Array  # θ̄_t
    eta: Array  # η_{t+1}
    mu: Array  # μ_{t+1}


def asgd_step(grad: Array, params: Array, average: Array, eta, mu, count: int, lr_t, lambd, alpha, t0,
              decay: WeightDecay) -> AsgdStep:
    """The ``count``-th ASGD update, in torch's order of operations."""
    g = decay.gradient(grad, params)
    new = params * (1.0 - lambd * eta) + (-eta) * g  # torch: mul_(1 − νη), then add_(g, alpha=−η)
    avg = np.where(mu != 1.0, average + (new - average) * mu, new)
    next_eta = lr_t / (1.0 + lambd * lr_t * count) ** alpha
    next_mu = 1.0 / np.maximum(1.0, count - t0)
    return AsgdStep(g, new, avg, next_eta + np.zeros_like(new), next_mu + np.zeros_like(new))


def asgd(lr: float | Array = 0.01, lambd: float | Array = 1e-4, alpha: float | Array = 0.75,
         t0: float | Array = 1e6, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
         schedule: Schedule | None = None) -> Optimizer:
    r"""ASGD; torch.optim.ASGD.

    ::

        input:      η (lr), ν (lambd), α (alpha), t0 (t0), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: θ̄₀ ← 0, ζ₁ ← η·s(0), μ₁ ← 1
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            θ_t ← θ_{t−1}·(1 − ν ζ_t) − ζ_t g̃_t
            θ̄_t ← θ̄_{t−1} + μ_t (θ_t − θ̄_{t−1})    (θ̄_t ← θ_t where μ_t = 1)
            ζ_{t+1} ← η_t / (1 + ν η_t t)^α
            μ_{t+1} ← 1 / max(1, t − t0)
        return θ_t

    Only the ``pytorch`` convention is offered. As in torch, the rate ζ_t of step t is computed at
    the end of step t − 1 from that step's scheduled lr, so a schedule acts one step late (and
    step 1 uses η·s(0)). The paper's method returns the average θ̄; torch, and this, move θ and
    keep θ̄ beside it (recorded as ``average``). Keras has no ASGD.

    Records ``average`` θ̄_t, ``eta`` ζ_{t+1} and ``mu`` μ_{t+1} (the memory of the next step).

    Reference: Polyak & Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J.
    Control Optim. 1992; Bottou, "Stochastic Gradient Descent Tricks", 2012; torch.optim.ASGD.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    nu, a, start = per_run(lambd, "lambd"), per_run(alpha, "alpha"), per_run(t0, "t0")
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> AsgdState:
        zeros = zeros_like_runs(params)
        return AsgdState(0, zeros, zeros + rate.at(1), zeros + 1.0)

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = asgd_step(grad, params, state.average, state.eta, state.mu, count, rate.at(count), nu, a, start, decay)
        return out.position - params, AsgdState(count, out.average, out.eta, out.mu)

    def internals(s: AsgdState) -> dict[str, Array]:
        return {"average": s.average, "eta": s.eta, "mu": s.mu}

    return Optimizer("asgd", init, update, internals,
                     dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, lambd, alpha, t0, weight_decay))


def explain(s: Replay) -> Array:
    nu, a, t0, w, t = s.hyper["lambd"], s.hyper["alpha"], s.hyper["t0"], s.w, s.t
    decay = s.weight_decay()
    avg_prev, eta, mu = s.memory["average"], s.memory["eta"], s.memory["mu"]
    out = asgd_step(s.g, s.theta, avg_prev, eta, mu, t, s.eta, nu, a, t0, decay)
    G = s.show_gradient(decay, out.gradient)
    s.rows += [rf"\theta_t &= \theta_{{t-1}} - \nu\,\zeta_t\,\theta_{{t-1}} - \zeta_t\,{G}_t",
               r"\bar\theta_t &= \bar\theta_{t-1} + \mu_t\,(\theta_t - \bar\theta_{t-1})",
               r"\zeta_{t+1} &= \eta_t / (1 + \nu\,\eta_t\,t)^{\alpha}",
               r"\mu_{t+1} &= 1 / \max(1,\ t - t_0)"]
    for i in range(2):
        if mu[i] != 1.0:
            w.eq(s.sym(r"\bar\theta", i), rf"{w.o(avg_prev[i])} + {w.o(mu[i])} \cdot \left({w.n(out.position[i])} - "
                                         rf"{w.o(avg_prev[i])}\right)", out.average[i])
        else:
            w.eq(s.sym(r"\bar\theta", i), None, out.average[i])
    w.eq(rf"\nu\,\eta_{{{t}}}\,{t}", rf"{w.o(nu)} \cdot {w.o(s.eta)} \cdot {t}", nu * s.eta * t)
    w.eq(rf"\zeta_{{{t + 1}}}", None, out.eta[0])  # η_t/(1 + ν η_t t)^α: the power is shown in the row above
    w.eq(rf"\mu_{{{t + 1}}}", rf"\frac{{1}}{{{t} - {w.o(t0)}}}" if t - t0 > 1 else None, out.mu[0])
    s.values.update(average_prev=avg_prev, average=out.average, eta_prev=eta, eta=out.eta, mu_prev=mu, mu=out.mu)
    terms = [rf" - {w.o(nu)} \cdot {w.o(eta[i])} \cdot {w.o(s.theta[i])} - {w.o(eta[i])} \cdot {w.o(out.gradient[i])}"
             for i in range(2)]
    return s.finish(out.position - s.theta, terms)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "lambd": h["lambd"], "alpha": h["alpha"], "t0": h["t0"],
            "weight_decay": h["weight_decay"], "foreach": False}


def _hyper(lr: float, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
           weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay}


# the second set starts averaging at t0 = 10 and decays the rate fast (ν = 0.3), with L2 decay on
_REFERENCE_SETS = {"default": _hyper(0.1), "averaging": _hyper(0.2, lambd=0.3, alpha=0.5, t0=10.0, weight_decay=0.1)}
_ROSEN = {"default": _hyper(1e-3)}  # one set: each optimizer adds one file of ~20-50 kB

SPEC = OptimizerSpec(
    name="asgd", order=15, display_name="ASGD", group="classic",
    description=Text("Averaged SGD: SGD with a decaying rate, plus a running average of its points after t0.",
                     "平均随机梯度下降：学习率逐渐衰减的 SGD，并在 t0 步之后对迭代点取滑动平均。"),
    hyperparameters=(
        hp.lr(0.01),
        Hyper("lambd", 1e-4, 0.0, 1.0, (0.0, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 0.3, 1.0), "nu",
              Text("rate decay ν", "学习率衰减 ν"),
              Text("ν: the rate decays as η/(1 + νηt)^α, and θ shrinks by νη each step",
                   "ν：学习率按 η/(1 + νηt)^α 衰减，θ 每步缩小 νη"), Sweep(1e-5, 1.0, True), log=True),
        Hyper("alpha", 0.75, 0.0, 1.0, (0.0, 0.25, 0.5, 0.75, 1.0), "pow",
              Text("decay power α", "衰减幂次 α"), Text("α: the power of the rate's decay", "α：学习率衰减的幂次"),
              Sweep(0.0, 1.0, False)),
        Hyper("t0", 1e6, 0.0, 1e6, (0.0, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0, 1e6), "t0",
              Text("averaging start t0", "开始平均的步数 t0"),
              Text("t0: the step after which the points are averaged", "t0：从这一步之后开始对迭代点取平均"),
              Sweep(1.0, 1e6, True), log=True),
        hp.weight_decay()),
    build=asgd, explain=explain,
    tuning=TuningHint(),
    torch=TorchCounterpart("ASGD", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("average", "eta", "mu"), internals=("average", "eta", "mu"),
    plotted={"eta": Text("ζ: the decaying step size of the next step", "ζ：下一步所用的递减步长"),
             "mu": Text("μ: the weight of the newest point in the average", "μ：最新位置在平均中的权重")},
    memory_symbols=lambda convention: "θ̄, ζ, μ",
    explain_note=Text("ζ_t, the rate of this step, was computed at the end of the previous step from its scheduled "
                      "lr, as torch does.",
                      "本步所用的步长 ζ_t 与 torch 一样，是在上一步结束时由上一步的调度学习率算出的。"),
)
