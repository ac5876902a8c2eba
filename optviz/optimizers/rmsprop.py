r"""RMSprop: AdaGrad with the running sum of squared gradients replaced by a moving average."""
from __future__ import annotations

from typing import Mapping

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adagrad import Accumulate, explain_scaled_step, scaled_gradient, scaled_step
from optviz.optimizers.base import Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, per_run
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


def average_of_squares(beta) -> Accumulate:
    """s_t = β s_{t−1} + (1 − β) g̃_t², β a float or a (runs, 1) column."""
    return lambda s, g: beta * s + (1.0 - beta) * (g * g)


def rmsprop(lr: float | Array = 0.01, beta: float | Array = 0.99, eps: float | Array = 1e-8,
            weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
            schedule: Schedule | None = None) -> Optimizer:
    r"""RMSprop: AdaGrad with the sum replaced by an exponential moving average (decay β).

    torch.optim.RMSprop(alpha=β, centered=False, momentum=0); keras.optimizers.RMSprop(rho=β).

    ::

        input:      η (lr), β (beta), ε (eps), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: s₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            pytorch, textbook:
                g̃_t ← g_t + λθ_{t−1}
                s_t ← β s_{t−1} + (1−β) g̃_t²
                θ_t ← θ_{t−1} − η_t g̃_t / (√s_t + ε)
            keras:
                s_t ← β s_{t−1} + (1−β) g_t²
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t g_t / √(s_t + ε)
        return θ_t

    How frameworks differ: β is torch's ``alpha`` (default 0.99) and Keras's ``rho`` (default
    0.9, as in the course notes); torch adds ε outside the root with L2 weight decay, Keras
    inside the root with decoupled decay.

    Records ``second_moment`` s_t and ``effective_lr`` η_t/(√s_t + ε) (keras: η_t/√(s_t + ε)).

    Reference: Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e, 2012.
    """
    return scaled_gradient("rmsprop", lr, eps, weight_decay, convention, schedule,
                           average_of_squares(per_run(beta, "beta")), 0.0, beta=beta)


def explain(s: Replay) -> Array:
    decay, prev, b, w = s.weight_decay(), s.memory["second_moment"], s.hyper["beta"], s.w
    out = scaled_step(s.g, s.theta, prev, s.eta, s.hyper["eps"], decay, s.convention, average_of_squares(b),
                      s.zero_eps)
    G = s.show_gradient(decay, out.gradient)
    s.rows.append(rf"s_t &= \beta\,s_{{t-1}} + (1-\beta)\,{G}_t^2")
    for i in range(2):
        w.eq(s.sym("s", i), rf"{w.o(b)} \cdot {w.o(prev[i])} + \left(1 - {w.n(b)}\right) \cdot {w.sq(out.gradient[i])}",
             out.second_moment[i])
    return explain_scaled_step(s, prev, out, decay, G)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "alpha": h["beta"], "eps": h["eps"], "weight_decay": h["weight_decay"], "momentum": 0.0,
            "centered": False, "foreach": False}


def _hyper(lr: float, beta: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "beta": beta, "eps": eps, "weight_decay": weight_decay}


_REFERENCE_SETS = {"default": _hyper(0.01), "large_lr": _hyper(0.05), "weight_decay": _hyper(0.01, weight_decay=0.3),
                   "alpha_0.9": _hyper(0.01, beta=0.9), "eps_1e-3": _hyper(0.01, eps=1e-3)}

SPEC = OptimizerSpec(
    name="rmsprop", order=5, display_name="RMSprop", group="adaptive",
    description=Text("AdaGrad with a moving average of squared gradients instead of their sum.",
                     "把 AdaGrad 的累加和换成梯度平方的滑动平均。"),
    hyperparameters=(hp.lr(0.01),
                     hp.beta(0.99, Text("decay of the squared-gradient average β", "梯度平方平均的衰减率 β")),
                     hp.eps(1e-8), hp.weight_decay()),
    build=rmsprop, explain=explain,
    # steps about ten times lr at first, while the average of g² warms up from 0: a gentler cap than AdaGrad's
    tuning=TuningHint(step_cap=0.003),
    torch=TorchCounterpart("RMSprop", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    memory=("second_moment",), internals=("second_moment", "effective_lr"),
    plotted={"second_moment": Text("s: the average squared gradient (it forgets)", "s：梯度平方的滑动平均（会遗忘）")},
    memory_symbols=lambda convention: "s",
)
