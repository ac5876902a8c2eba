r"""Gradient descent and its momentum forms: ``sgd``, ``momentum``, ``nesterov``.

Three conventions for the velocity (t = 1, 2, ...; η_t the scheduled learning rate;
$\tilde g_t = g_t + \lambda\theta_{t-1}$ is the gradient with L2 weight decay λ):

=========  =====================================================  ==============================================
convention momentum                                               nesterov
=========  =====================================================  ==============================================
pytorch    $v_t = \beta v_{t-1} + \tilde g_t$,                    $v_t$ as left,
           $\theta_t = \theta_{t-1} - \eta_t v_t$                 $\theta_t = \theta_{t-1} - \eta_t(\tilde g_t + \beta v_t)$
textbook   $v_t = \beta v_{t-1} + (1-\beta)\tilde g_t$,            $v_t$ as left,
           $\theta_t = \theta_{t-1} - \eta_t v_t$                 $\theta_t = \theta_{t-1} - \eta_t((1-\beta)\tilde g_t + \beta v_t)$
keras      $\theta' = (1-\eta_t\lambda)\theta_{t-1}$,             $m_t$ as left,
           $m_t = \beta m_{t-1} - \eta_t g_t$, $\theta_t = \theta' + m_t$   $\theta_t = \theta' + \beta m_t - \eta_t g_t$
=========  =====================================================  ==============================================

All start from $v_0 = 0$ ($m_0 = 0$). PyTorch's first step sets ``buf = g``, which is the same
as $\beta\cdot 0 + g$. The textbook (course-notes) velocity is an EMA of gradients, so for the
same β its steps are about $1-\beta$ times PyTorch's. Keras keeps the velocity in parameter
units (the lr is inside it), which equals PyTorch's form when the lr is constant. The recorded
``velocity`` always points uphill like the gradient, so Keras's buffer is recorded as $-m_t$.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers.base import (Array, Optimizer, check_convention, learning_rate, per_run, runs_of,
                                    zeros_like_runs)
from optviz.schedules import Schedule


class SGDState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    velocity: Array  # (runs, 2)


def sgd(lr: float | Array = 0.01, weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
        schedule: Schedule | None = None) -> Optimizer:
    r"""Plain gradient descent.

    pytorch / textbook: $\theta_t = \theta_{t-1} - \eta_t(g_t + \lambda\theta_{t-1})$

    keras: $\theta_t = (1 - \eta_t\lambda)\theta_{t-1} - \eta_t g_t$ (decoupled weight decay)

    Example: ``simulate(get_surface("quadratic"), sgd(lr=0.1), starts=[1, 1], steps=50)``.
    """
    convention = check_convention(convention)
    rate, wd = learning_rate(lr, schedule), per_run(weight_decay, "weight_decay")

    def init(params: Array) -> SGDState:
        return SGDState(0)

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        if convention == "keras":
            return -eta * (wd * params + grad), SGDState(count)
        return -eta * (grad + wd * params), SGDState(count)

    return Optimizer("sgd", init, update, lambda state: {},
                     dict(lr=lr, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, weight_decay))


def _heavy_ball(name: str, lookahead: bool, lr, beta, weight_decay, convention, schedule) -> Optimizer:
    convention = check_convention(convention)
    rate, b, wd = learning_rate(lr, schedule), per_run(beta, "beta"), per_run(weight_decay, "weight_decay")
    dampening = 1.0 - b if convention == "textbook" else 1.0

    def init(params: Array) -> MomentumState:
        return MomentumState(0, zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        if convention == "keras":
            velocity = b * state.velocity - eta * grad
            step = b * velocity - eta * grad if lookahead else velocity
            return step - eta * wd * params, MomentumState(count, velocity)
        g = grad + wd * params
        velocity = b * state.velocity + dampening * g
        direction = dampening * g + b * velocity if lookahead else velocity
        return -eta * direction, MomentumState(count, velocity)

    def internals(state: MomentumState) -> dict:
        return {"velocity": -state.velocity if convention == "keras" else state.velocity}

    return Optimizer(name, init, update, internals,
                     dict(lr=lr, beta=beta, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta, weight_decay))


def momentum(lr: float | Array = 0.01, beta: float | Array = 0.9, weight_decay: float | Array = 0.0, *,
             convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Heavy-ball momentum; torch.optim.SGD(momentum=β, dampening=0, nesterov=False).

    pytorch:  $v_t = \beta v_{t-1} + \tilde g_t$;  $\theta_t = \theta_{t-1} - \eta_t v_t$

    textbook: $v_t = \beta v_{t-1} + (1-\beta)\tilde g_t$;  $\theta_t = \theta_{t-1} - \eta_t v_t$

    keras:    $m_t = \beta m_{t-1} - \eta_t g_t$;  $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} + m_t$

    with $\tilde g_t = g_t + \lambda\theta_{t-1}$ and $v_0 = m_0 = 0$. Records ``velocity``.
    """
    return _heavy_ball("momentum", False, lr, beta, weight_decay, convention, schedule)


def nesterov(lr: float | Array = 0.01, beta: float | Array = 0.9, weight_decay: float | Array = 0.0, *,
             convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Nesterov momentum in the "look-ahead folded into the step" form torch and Keras use.

    pytorch:  $v_t = \beta v_{t-1} + \tilde g_t$;  $\theta_t = \theta_{t-1} - \eta_t(\tilde g_t + \beta v_t)$

    textbook: $v_t = \beta v_{t-1} + (1-\beta)\tilde g_t$;
              $\theta_t = \theta_{t-1} - \eta_t((1-\beta)\tilde g_t + \beta v_t)$

    keras:    $m_t = \beta m_{t-1} - \eta_t g_t$;
              $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} + \beta m_t - \eta_t g_t$

    The step uses the velocity one update ahead ($\beta v_t$ rather than $v_{t-1}$), which is
    the gradient-at-the-look-ahead-point method rewritten in the shifted variable.
    """
    return _heavy_ball("nesterov", True, lr, beta, weight_decay, convention, schedule)
