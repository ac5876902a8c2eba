r"""AdaDelta: the ratio of two RMS values sets the step, so the learning rate needs no tuning."""
from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, divide, effective_rate, has_zero, learning_rate, per_run,
                                    runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


class AdadeltaState(NamedTuple):
    count: int
    second_moment: Array  # (runs, 2): s_t, the EMA of g²
    delta_accumulator: Array  # (runs, 2): u_t, the EMA of squared updates
    effective_lr: Array  # (runs, 2): η_t·RMS(u_{t−1})/RMS(s_t) (NaN where ε = 0 made it 0/0)


class AdadeltaStep(NamedTuple):
    gradient: Array  # g̃_t (pytorch, textbook) or g_t (keras)
    second_moment: Array  # s_t
    rms_update: Array  # RMS(u_{t−1}) = √(u_{t−1} + ε)
    rms_gradient: Array  # RMS(s_t) = √(s_t + ε)
    delta: Array  # Δ_t
    delta_accumulator: Array  # u_t
    step: Array  # θ_t − θ_{t−1}


def adadelta_step(grad: Array, params: Array, second_moment: Array, delta_accumulator: Array, eta, beta, eps,
                  decay: WeightDecay, zero_eps: bool) -> AdadeltaStep:
    """One AdaDelta update, for arrays of any matching shape, in torch's order of operations."""
    g = decay.gradient(grad, params)
    s = beta * second_moment + (1.0 - beta) * (g * g)
    rms_u, rms_s = np.sqrt(delta_accumulator + eps), np.sqrt(s + eps)
    delta = divide(rms_u, rms_s, zero_eps) * g  # 0/0 (ε = 0, no gradient yet) taken as 0
    u = beta * delta_accumulator + (1.0 - beta) * (delta * delta)
    return AdadeltaStep(g, s, rms_u, rms_s, delta, u, decay.step(-eta * delta, eta, params))


def adadelta(lr: float | Array = 1.0, beta: float | Array = 0.9, eps: float | Array = 1e-6,
             weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
             schedule: Schedule | None = None) -> Optimizer:
    r"""AdaDelta: the step is RMS(past updates) / RMS(gradients) times the gradient, in parameter units.

    torch.optim.Adadelta(rho=β); keras.optimizers.Adadelta(rho=β).

    ::

        input:      η (lr), β (beta), ε (eps), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: s₀ ← 0, u₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}                    keras: g̃_t ← g_t
            s_t ← β s_{t−1} + (1−β) g̃_t²
            Δ_t ← √(u_{t−1} + ε) / √(s_t + ε) · g̃_t
            u_t ← β u_{t−1} + (1−β) Δ_t²
            θ_t ← θ_{t−1} − η_t Δ_t                  keras: θ_t ← θ_{t−1} − η_t Δ_t − η_t λ θ_{t−1}
        return θ_t

    How frameworks differ: β is torch's and Keras's ``rho``; torch's weight decay is L2, Keras's
    decoupled; Keras's default lr is 0.001 rather than the paper's and torch's 1.

    Records ``second_moment`` s_t, ``delta_accumulator`` u_t and ``effective_lr``
    η_t·√(u_{t−1} + ε)/√(s_t + ε); with ε = 0 and no gradient yet that is 0/0: NaN.

    Reference: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """
    convention = check_convention(convention)
    rate, b, e = learning_rate(lr, schedule), per_run(beta, "beta"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> AdadeltaState:
        return AdadeltaState(0, zeros_like_runs(params), zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        out = adadelta_step(grad, params, state.second_moment, state.delta_accumulator, eta, b, e, decay, zero_eps)
        effective_lr = eta * effective_rate(out.rms_update, out.rms_gradient, zero_eps)
        return out.step, AdadeltaState(count, out.second_moment, out.delta_accumulator, effective_lr)

    return Optimizer("adadelta", init, update,
                     lambda state: {"second_moment": state.second_moment,
                                    "delta_accumulator": state.delta_accumulator,
                                    "effective_lr": state.effective_lr},
                     dict(lr=lr, beta=beta, eps=eps, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, beta, eps, weight_decay))


def explain(s: Replay) -> Array:
    b, w, decay = s.hyper["beta"], s.w, s.weight_decay()
    s_prev, u_prev = s.memory["second_moment"], s.memory["delta_accumulator"]
    out = adadelta_step(s.g, s.theta, s_prev, u_prev, s.eta, b, s.hyper["eps"], decay, s.zero_eps)
    G = s.show_gradient(decay, out.gradient)
    g = out.gradient
    s.rows += [rf"s_t &= \beta\,s_{{t-1}} + (1-\beta)\,{G}_t^2",
               rf"\Delta_t &= \frac{{\sqrt{{u_{{t-1}} + \epsilon}}}}{{\sqrt{{s_t + \epsilon}}}}\,{G}_t",
               r"u_t &= \beta\,u_{t-1} + (1-\beta)\,\Delta_t^2",
               r"\theta_t &= \theta_{t-1} - \eta_t\,\Delta_t" + s.decay_row(decay)]
    for i in range(2):
        w.eq(s.sym("s", i), rf"{w.o(b)} \cdot {w.o(s_prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(g[i])}",
             out.second_moment[i])
    for i in range(2):
        lim, eps = s.limit(out.rms_gradient, i)
        w.eq(s.sym(r"\Delta", i),
             rf"{lim}\frac{{\sqrt{{{w.n(u_prev[i])} + {eps}}}}}{{\sqrt{{{w.n(out.second_moment[i])} + {eps}}}}}"
             rf" \cdot {w.o(g[i])}", out.delta[i])
    for i in range(2):
        w.eq(s.sym("u", i),
             rf"{w.o(b)} \cdot {w.o(u_prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(out.delta[i])}",
             out.delta_accumulator[i])
    s.values.update(second_moment_prev=s_prev, second_moment=out.second_moment, delta_accumulator_prev=u_prev,
                    delta_accumulator=out.delta_accumulator, delta=out.delta,
                    effective_lr=s.eta * effective_rate(out.rms_update, out.rms_gradient, s.zero_eps))
    return s.finish(out.step, [f" - {w.o(s.eta)} \\cdot {w.o(out.delta[i])}" for i in range(2)], decay)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "rho": h["beta"], "eps": h["eps"], "weight_decay": h["weight_decay"], "foreach": False}


def _hyper(lr: float, beta: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "beta": beta, "eps": eps, "weight_decay": weight_decay}


_REFERENCE_SETS = {"default": _hyper(1.0), "large_lr": _hyper(5.0), "weight_decay": _hyper(1.0, weight_decay=0.3),
                   "rho_0.95_eps_1e-4": _hyper(1.0, beta=0.95, eps=1e-4)}

SPEC = OptimizerSpec(
    name="adadelta", order=6, display_name="AdaDelta", group="adaptive",
    description=Text("The step is the ratio of two RMS values times the gradient; lr = 1 needs no tuning.",
                     "步长为两个均方根之比乘以梯度；学习率取 1 即可，无需调节。"),
    hyperparameters=(hp.lr(1.0), hp.beta(0.9, Text("decay ρ of both averages", "两个平均量的衰减率 ρ")),
                     hp.eps(1e-6), hp.weight_decay()),
    build=adadelta, explain=explain,
    tuning=TuningHint(tune_lr=False),  # its step sets its own size: lr = 1 is the method
    torch=TorchCounterpart("Adadelta", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    memory=("second_moment", "delta_accumulator"), internals=("second_moment", "delta_accumulator", "effective_lr"),
    plotted={"second_moment": Text("s: the average squared gradient", "s：梯度平方的滑动平均"),
             "delta_accumulator": Text("u: the average squared step", "u：步长平方的滑动平均")},
    memory_symbols=lambda convention: "s, u",
)
