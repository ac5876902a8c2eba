r"""Per-coordinate learning rates: ``adagrad``, ``rmsprop``, ``adadelta``.

Each divides the gradient by a root of accumulated squared gradients, so every coordinate
gets its own effective learning rate, recorded as ``effective_lr`` (the factor that
multiplies $\tilde g_t$ in the step). Where ε sits differs between frameworks:

- pytorch / textbook: ε is added *outside* the root, $\sqrt{s_t} + \epsilon$;
  weight decay is L2, $\tilde g_t = g_t + \lambda\theta_{t-1}$.
- keras: ε is added *inside* the root, $\sqrt{s_t + \epsilon}$; Adagrad's accumulator starts
  at 0.1 instead of 0; weight decay is decoupled, $\theta \leftarrow \theta - \eta_t\lambda\theta$.

With ε = 0 a coordinate whose gradient has been exactly 0 so far has a zero denominator. Its
step is 0/0, taken as 0 (the limit as ε → 0⁺); its effective learning rate (η/0, or AdaDelta's
0/0) is undefined and recorded as NaN: a gap in the plots, null in the command line's JSON.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers.base import (Array, Optimizer, check_convention, divide, effective_rate, has_zero,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.schedules import Schedule

KERAS_ADAGRAD_INITIAL_ACCUMULATOR = 0.1


class AccumulatorState(NamedTuple):
    count: int
    second_moment: Array  # (runs, 2): Adagrad's running sum, RMSprop's EMA of g²
    effective_lr: Array  # (runs, 2): what multiplied the gradient in the last step (NaN where ε = 0 met g = 0)


class AdadeltaState(NamedTuple):
    count: int
    second_moment: Array  # EMA of g²
    delta_accumulator: Array  # EMA of squared steps
    effective_lr: Array


def _scaled_step(name, lr, eps, weight_decay, convention, schedule, accumulate, keras_initial, **extra):
    """The shared frame of Adagrad and RMSprop: accumulate g², divide by its root, step."""
    convention = check_convention(convention)
    rate, e, wd = learning_rate(lr, schedule), per_run(eps, "eps"), per_run(weight_decay, "weight_decay")
    zero_eps = has_zero(e)

    def init(params: Array) -> AccumulatorState:
        start = keras_initial if convention == "keras" else 0.0
        return AccumulatorState(0, np.full_like(params, start, dtype=float), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        if convention == "keras":
            s = accumulate(state.second_moment, grad)
            root = np.sqrt(s + e)
            step = -divide(eta * grad, root, zero_eps) - eta * wd * params
            return step, AccumulatorState(count, s, effective_rate(eta, root, zero_eps))
        g = grad + wd * params
        s = accumulate(state.second_moment, g)
        std = np.sqrt(s) + e
        step = -eta * divide(g, std, zero_eps)  # torch's order
        return step, AccumulatorState(count, s, effective_rate(eta, std, zero_eps))

    hyper = dict(lr=lr, **extra, eps=eps, weight_decay=weight_decay, convention=convention, schedule=schedule)
    return Optimizer(name, init, update,
                     lambda state: {"second_moment": state.second_moment, "effective_lr": state.effective_lr},
                     hyper, runs_of(lr, eps, weight_decay, *extra.values()))


def adagrad(lr: float | Array = 0.01, eps: float | Array = 1e-10, weight_decay: float | Array = 0.0, *,
            convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""AdaGrad: the running *sum* of squared gradients, so the step only ever shrinks.

    pytorch / textbook ($s_0 = 0$; torch.optim.Adagrad with lr_decay=0):
        $s_t = s_{t-1} + \tilde g_t^2$;  $\theta_t = \theta_{t-1} - \frac{\eta_t}{\sqrt{s_t} + \epsilon}\tilde g_t$

    keras ($s_0 = 0.1$; keras.optimizers.Adagrad):
        $s_t = s_{t-1} + g_t^2$;  $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} - \frac{\eta_t}{\sqrt{s_t + \epsilon}} g_t$
    """
    return _scaled_step("adagrad", lr, eps, weight_decay, convention, schedule,
                        lambda s, g: s + g * g, KERAS_ADAGRAD_INITIAL_ACCUMULATOR)


def rmsprop(lr: float | Array = 0.01, beta: float | Array = 0.99, eps: float | Array = 1e-8,
            weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
            schedule: Schedule | None = None) -> Optimizer:
    r"""RMSprop: AdaGrad with the sum replaced by an exponential moving average (decay β).

    β is torch's ``alpha`` and Keras's ``rho``; the course notes use β ≈ 0.9.

    pytorch / textbook ($s_0 = 0$; torch.optim.RMSprop, centered=False, momentum=0):
        $s_t = \beta s_{t-1} + (1-\beta)\tilde g_t^2$;  $\theta_t = \theta_{t-1} - \frac{\eta_t}{\sqrt{s_t} + \epsilon}\tilde g_t$

    keras ($s_0 = 0$; keras.optimizers.RMSprop):
        $s_t = \beta s_{t-1} + (1-\beta) g_t^2$;  $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} - \frac{\eta_t}{\sqrt{s_t + \epsilon}} g_t$
    """
    b = per_run(beta, "beta")
    return _scaled_step("rmsprop", lr, eps, weight_decay, convention, schedule,
                        lambda s, g: b * s + (1.0 - b) * (g * g), 0.0, beta=beta)


def adadelta(lr: float | Array = 1.0, beta: float | Array = 0.9, eps: float | Array = 1e-6,
             weight_decay: float | Array = 0.0, *, convention: str = "pytorch",
             schedule: Schedule | None = None) -> Optimizer:
    r"""AdaDelta: the ratio of two RMS values sets the step, so lr = 1 needs no tuning.

    β is torch's and Keras's ``rho``. With $\mathrm{RMS}(a) = \sqrt{a + \epsilon}$, $s_0 = u_0 = 0$:

        $s_t = \beta s_{t-1} + (1-\beta)\tilde g_t^2$
        $\Delta_t = \frac{\mathrm{RMS}(u_{t-1})}{\mathrm{RMS}(s_t)}\tilde g_t$
        $u_t = \beta u_{t-1} + (1-\beta)\Delta_t^2$
        $\theta_t = \theta_{t-1} - \eta_t \Delta_t$

    pytorch / textbook use $\tilde g_t = g_t + \lambda\theta_{t-1}$ (torch.optim.Adadelta);
    keras uses $g_t$ and decoupled decay $\theta \leftarrow \theta - \eta_t\lambda\theta$
    (keras.optimizers.Adadelta, whose default lr is 0.001 rather than 1).
    """
    convention = check_convention(convention)
    rate, b, e, wd = (learning_rate(lr, schedule), per_run(beta, "beta"), per_run(eps, "eps"),
                      per_run(weight_decay, "weight_decay"))

    zero_eps = has_zero(e)

    def init(params: Array) -> AdadeltaState:
        return AdadeltaState(0, zeros_like_runs(params), zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        g = grad if convention == "keras" else grad + wd * params
        s = b * state.second_moment + (1.0 - b) * (g * g)
        rms_u, rms_s = np.sqrt(state.delta_accumulator + e), np.sqrt(s + e)
        ratio = divide(rms_u, rms_s, zero_eps)
        delta = ratio * g
        u = b * state.delta_accumulator + (1.0 - b) * (delta * delta)
        step = -eta * delta
        if convention == "keras":
            step = step - eta * wd * params
        return step, AdadeltaState(count, s, u, eta * effective_rate(rms_u, rms_s, zero_eps))

    return Optimizer("adadelta", init, update,
                     lambda state: {"second_moment": state.second_moment,
                                    "delta_accumulator": state.delta_accumulator,
                                    "effective_lr": state.effective_lr},
                     dict(lr=lr, beta=beta, eps=eps, weight_decay=weight_decay, convention=convention,
                          schedule=schedule),
                     runs_of(lr, beta, eps, weight_decay))
