r"""Plain gradient descent: step against the gradient, scaled by the learning rate."""
from __future__ import annotations

from typing import Mapping, NamedTuple

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, learning_rate, runs_of)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


class SGDState(NamedTuple):
    count: int


def sgd_step(grad: Array, params: Array, eta, decay: WeightDecay) -> Array:
    """θ_t − θ_{t−1} for gradients and positions of any matching shape ((runs, 2) or (2,))."""
    return decay.step(-eta * decay.gradient(grad, params), eta, params)


def sgd(lr: float | Array = 0.01, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
        schedule: Schedule | None = None) -> Optimizer:
    r"""Gradient descent; torch.optim.SGD(momentum=0), keras.optimizers.SGD(momentum=0).

    ::

        input:      η (lr), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            θ_t ← θ_{t−1} − η_t (g_t + λθ_{t−1})          pytorch, textbook (L2 decay)
            θ_t ← θ_{t−1} − η_t g_t − η_t λ θ_{t−1}       keras (decoupled decay)
        return θ_t

    The two forms are the same number; they differ in how weight decay is named (L2 in the
    gradient vs. decoupled), which matters only once momentum or adaptive scaling acts on it.

    Reference: Robbins & Monro, "A Stochastic Approximation Method", 1951.

    Example: ``simulate(get_surface("quadratic"), sgd(lr=0.1), starts=[1, 1], steps=50)``.
    """
    convention = check_convention(convention)
    rate, decay = learning_rate(lr, schedule), WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> SGDState:
        return SGDState(0)

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        return sgd_step(grad, params, rate.at(count), decay), SGDState(count)

    return Optimizer("sgd", init, update, lambda state: {},
                     dict(lr=lr, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, weight_decay))


def explain(s: Replay) -> Array:
    decay = s.weight_decay()
    gradient = decay.gradient(s.g, s.theta)
    G = s.show_gradient(decay, gradient)
    s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \eta_t\,{G}_t" + s.decay_row(decay))
    return s.finish(sgd_step(s.g, s.theta, s.eta, decay),
                    [f" - {s.w.o(s.eta)} \\cdot {s.w.o(gradient[i])}" for i in range(2)], decay)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "weight_decay": h["weight_decay"], "foreach": False}


SPEC = OptimizerSpec(
    name="sgd", order=1, display_name="SGD", group="classic",
    description=Text("Plain gradient descent: a step against the gradient.", "普通梯度下降：沿负梯度方向迈一步。"),
    hyperparameters=(hp.lr(0.01), hp.weight_decay()),
    build=sgd, explain=explain,
    tuning=TuningHint(),
    torch=TorchCounterpart("SGD", _torch_kwargs, {
        # Rosenbrock's curvature (~1000) needs far smaller rates than the smooth surfaces
        "smooth": {"default": {"lr": 0.05, "weight_decay": 0.0}, "large_lr": {"lr": 0.3, "weight_decay": 0.0},
                   "weight_decay": {"lr": 0.05, "weight_decay": 0.2}},
        "rosenbrock": {"default": {"lr": 1e-3, "weight_decay": 0.0}, "large_lr": {"lr": 1.4e-3, "weight_decay": 0.0},
                       "weight_decay": {"lr": 1e-3, "weight_decay": 0.5}},
    }),
)
