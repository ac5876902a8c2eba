r"""SAM with Adam: Adam's update, fed the gradient taken at SAM's ascent point.

The ascent point θ̂ = θ + ρ g/‖g‖ is SAM-SGD's (``optviz.optimizers.sam_sgd``); only the base
step differs: Adam's moments accumulate the sharpness-aware gradients ĝ, and the step is Adam's
from θ. Adam's per-coordinate scaling makes the pull out of a sharp valley as large as Adam's
steps are, whatever the gradient's size.
"""
from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adam import AdamState, adam_step, explain_adam
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    effective_rate, has_zero, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.optimizers.sam_sgd import ASCENT_POINT, REFERENCE, RHO, explain_ascent, gradient_at_ascent
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class SAMAdamState(NamedTuple):
    adam: AdamState
    ascent_point: Array  # θ̂ of the last step, (runs, 2); the start before any step


def sam_adam(lr: float | Array = 0.001, rho: float | Array = 0.05, beta1: float | Array = 0.9,
             beta2: float | Array = 0.999, eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *,
             convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""SAM around torch.optim.Adam, as ``pytorch_optimizer.SAM(base_optimizer=Adam)``; needs the surface.

    ::

        input:      η (lr), ρ (rho), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            θ̂_t ← θ_{t−1} + ρ g_t / (‖g_t‖ + 10⁻¹²)                 (the ascent point)
            ĝ_t ← ∇f(θ̂_t) + λθ_{t−1}
            m_t ← β1 m_{t−1} + (1−β1) ĝ_t
            v_t ← β2 v_{t−1} + (1−β2) ĝ_t²
            m̂_t ← m_t / (1−β1^t),   v̂_t ← v_t / (1−β2^t)
            θ_t ← θ_{t−1} − η_t m̂_t / (√v̂_t + ε)
        return θ_t

    The ascent point, and what happens at g_t = 0 (θ̂_t = θ_{t−1}, Adam's plain step), are
    SAM-SGD's (``optviz.optimizers.sam_sgd``); the base step is torch.optim.Adam's
    (``optviz.optimizers.adam``), with its L2 weight decay at the restored θ_{t−1}.

    Records ``ascent_point`` θ̂_t, Adam's ``first_moment`` m_t, ``second_moment`` v_t and
    ``effective_lr`` η_t/(√v̂_t + ε).

    Reference: Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization",
    ICLR 2021; trajectories from kozistr's ``pytorch_optimizer.SAM`` 3.1.2 around torch.optim.Adam
    (davda54/sam's arithmetic). Keras and optax differ: optax's ``contrib.sam`` lets the ascent itself be
    any optimizer; here it is the normalized gradient step, as in the paper.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate, radius = learning_rate(lr, schedule), per_run(rho, "rho")
    b1, b2, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> SAMAdamState:
        return SAMAdamState(AdamState(0, zeros_like_runs(params), zeros_like_runs(params),
                                      np.full_like(params, np.inf)), params.astype(float))

    def update(grad, state, params, hessian=None, *, surface):
        count = state.adam.count + 1
        ascent, sharp_grad = gradient_at_ascent(surface, grad, params, radius)
        out = adam_step(sharp_grad, params, state.adam.first_moment, state.adam.second_moment, count,
                        rate.at(count), b1, b2, e, decay, True, convention, zero_eps)
        adam = AdamState(count, out.first_moment, out.second_moment, out.denominator)
        return out.step, SAMAdamState(adam, ascent.point)

    def internals(s: SAMAdamState) -> dict[str, Array]:
        return {"first_moment": s.adam.first_moment, "second_moment": s.adam.second_moment,
                "effective_lr": effective_rate(rate.at(max(s.adam.count, 1)), s.adam.denominator, zero_eps),
                "ascent_point": s.ascent_point}

    return Optimizer("sam_adam", init, update, internals,
                     dict(lr=lr, rho=rho, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          convention=convention, schedule=schedule),
                     runs_of(lr, rho, beta1, beta2, eps, weight_decay), needs_surface=True)


def explain(s: Replay) -> Array:
    sharp = explain_ascent(s)
    first_adam_row = len(s.rows)
    # Adam's explanation, with the sharpness-aware gradient ĝ where Adam's has g (the rule in symbols only: g)
    new = explain_adam(s if sharp is None else dataclasses.replace(s, g=sharp), decoupled=False)
    s.rows[first_adam_row:] = [_ADAM_GRADIENT.sub(r"\\hat g_t", row) for row in s.rows[first_adam_row:]]
    return s.theta if sharp is None else new


_ADAM_GRADIENT = re.compile(r"(?<!tilde )(?<![\\\w])g_t")  # Adam's g_t, not \tilde g_t: here it is ĝ_t


SPEC = OptimizerSpec(
    name="sam_adam", order=29, display_name="SAM (Adam)", group="sharpness",
    description=Text("Sharpness-aware Adam: Adam's step with the gradient taken at the ascent point θ + ρ g/‖g‖.",
                     "锐度感知 Adam：用上升点 θ + ρ g/‖g‖ 处的梯度做 Adam 的一步。"),
    hyperparameters=(hp.lr(0.001), RHO, hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay()),
    build=sam_adam, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # Adam's first step is lr·sign(ĝ) in every coordinate
    torch=None,
    no_torch="torch.optim has no SAM; the reference is " + REFERENCE + " around torch.optim.Adam "
             "(tests/reference/thirdparty/sam_adam.json)",
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment"),
    internals=("first_moment", "second_moment", "effective_lr", "ascent_point"),
    memory_symbols=lambda convention: "m, v",
    explain_note=Text("SAM takes the gradient not at θ{prev} but at the ascent point θ̂, ρ uphill from it; Adam's "
                      "moments and step use that gradient ĝ.",
                      "SAM 不在 θ{prev} 处取梯度，而在其上坡 ρ 处的上升点 θ̂ 取梯度；Adam 的矩和步长都用这个梯度 ĝ。"),
    map_points={"ascent_point": ASCENT_POINT},
)
