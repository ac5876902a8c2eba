r"""Nesterov momentum: heavy-ball momentum whose step uses the velocity one update ahead."""
from __future__ import annotations

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint
from optviz.optimizers.explaining import Replay
from optviz.optimizers.momentum import (HEAVY_BALL_REFERENCE_SETS, damped, damped_symbol, explain_velocity,
                                        heavy_ball, heavy_ball_torch_kwargs)
from optviz.schedules import Schedule


def nesterov(lr: float | Array = 0.01, beta: float | Array = 0.9, weight_decay: float | Array = 0.0, *,
             convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Nesterov momentum in the "look-ahead folded into the step" form torch and Keras use.

    torch.optim.SGD(momentum=β, dampening=0, nesterov=True); keras.optimizers.SGD(nesterov=True).

    ::

        input:      η (lr), β (beta), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: v₀ ← 0  (keras: m₀ ← 0)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            pytorch:
                g̃_t ← g_t + λθ_{t−1}
                v_t ← β v_{t−1} + g̃_t
                θ_t ← θ_{t−1} − η_t (g̃_t + β v_t)
            textbook:
                g̃_t ← g_t + λθ_{t−1}
                v_t ← β v_{t−1} + (1−β) g̃_t
                θ_t ← θ_{t−1} − η_t ((1−β) g̃_t + β v_t)
            keras:
                m_t ← β m_{t−1} − η_t g_t
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} + β m_t − η_t g_t
        return θ_t

    The step uses the velocity one update ahead (β v_t rather than v_{t−1}): Nesterov's
    gradient-at-the-look-ahead-point method rewritten in the shifted variable, which needs no
    second gradient evaluation. The frameworks differ as for heavy-ball momentum
    (``optviz.optimizers.momentum``): dampening in the textbook form, and Keras's velocity in
    parameter units with decoupled weight decay.

    References: Nesterov, "A method for solving the convex programming problem with convergence
    rate O(1/k²)", 1983; Sutskever et al., "On the importance of initialization and momentum in
    deep learning", 2013 (the form above).
    """
    return heavy_ball("nesterov", True, lr, beta, weight_decay, convention, schedule)


def explain(s: Replay) -> Array:
    out, decay, G = explain_velocity(s, lookahead=True)
    b, w = s.hyper["beta"], s.w
    if s.convention == "keras":
        s.rows.append(r"\theta_t &= \theta_{t-1} + \beta\,m_t - \eta_t\,g_t" + s.decay_row(decay))
        terms = [f" + {w.o(b)} \\cdot {w.o(out.velocity[i])} - {w.o(s.eta)} \\cdot {w.o(s.g[i])}" for i in range(2)]
    else:
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \eta_t\left({damped_symbol(s)}{G}_t + \beta\,v_t\right)")
        terms = [rf" - {w.o(s.eta)} \cdot \left({damped(s, out.gradient[i])} + {w.o(b)} \cdot {w.o(out.velocity[i])}\right)"
                 for i in range(2)]
    return s.finish(out.step, terms, decay)


SPEC = OptimizerSpec(
    name="nesterov", order=3, display_name="Nesterov", group="classic",
    description=Text("Nesterov momentum: the step uses the velocity one update ahead.",
                     "Nesterov 动量：用前瞻一步的速度来迈步。"),
    hyperparameters=(hp.lr(0.01), hp.beta(0.9, Text("momentum coefficient β", "动量系数 β")), hp.weight_decay()),
    build=nesterov, explain=explain,
    tuning=TuningHint(),
    torch=TorchCounterpart("SGD", heavy_ball_torch_kwargs(nesterov=True), HEAVY_BALL_REFERENCE_SETS),
    memory=("velocity",), internals=("velocity",),
    plotted={"velocity": Text("velocity: the momentum carried to the next step", "速度：带到下一步的动量")},
    memory_symbols=lambda convention: "m" if convention == "keras" else "v",
)
