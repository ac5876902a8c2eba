r"""Adam and AdamW: momentum (first moment) plus RMSprop (second moment), bias-corrected.

Both moments start at zero, so early on they are biased toward zero by the factors
$1-\beta_1^t$ and $1-\beta_2^t$; dividing by them is the bias correction. Turn it off
(``bias_correction=False``) to see the first steps crawl (β1 = 0.9) or leap (β2 = 0.999).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers.base import (Array, Optimizer, check_convention, divide, effective_rate, has_zero,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.schedules import Schedule


class AdamState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    second_moment: Array  # v, (runs, 2)
    denominator: Array  # sqrt(v̂) + ε of the last step (equivalently for Keras), so η_t / it is the effective lr


def _adam(name, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction, convention, schedule):
    convention = check_convention(convention)
    decoupled = decoupled or convention == "keras"  # Keras 3 decays weights decoupled in every optimizer
    rate = learning_rate(lr, schedule)
    b1, b2, e, wd = (per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(eps, "eps"),
                     per_run(weight_decay, "weight_decay"))
    zero_eps = has_zero(e)

    def init(params: Array) -> AdamState:
        return AdamState(0, zeros_like_runs(params), zeros_like_runs(params), np.full_like(params, np.inf))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        g = grad if decoupled else grad + wd * params
        m = b1 * state.first_moment + (1.0 - b1) * g
        v = b2 * state.second_moment + (1.0 - b2) * (g * g)
        if not bias_correction:
            denominator = np.sqrt(v) + e
            step = -eta * divide(m, denominator, zero_eps)
        elif convention == "keras":
            # ε-hat form: the correction scales the rate, so ε is not rescaled by sqrt(1-β2^t)
            denominator = np.sqrt(v) + e
            step = -(eta * np.sqrt(1.0 - b2**count) / (1.0 - b1**count)) * divide(m, denominator, zero_eps)
            denominator = denominator / np.sqrt(1.0 - b2**count)  # so that η/denominator is η/(sqrt(v̂)+ε̂')
        else:
            # torch's order of operations: p - (η / bc1) * (m / (sqrt(v) / sqrt(bc2) + ε))
            denominator = np.sqrt(v) / np.sqrt(1.0 - b2**count) + e
            step = -(eta / (1.0 - b1**count)) * divide(m, denominator, zero_eps)
        if decoupled:
            step = step - eta * wd * params
        return step, AdamState(count, m, v, denominator)

    def internals(s: AdamState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "second_moment": s.second_moment,
                "effective_lr": effective_rate(rate.at(max(s.count, 1)), s.denominator, zero_eps)}

    return Optimizer(name, init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                          bias_correction=bias_correction, convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, eps, weight_decay))


def adam(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
         eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, *, bias_correction: bool = True,
         convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Adam (Kingma & Ba, 2015). With $m_0 = v_0 = 0$ and $\tilde g_t = g_t + \lambda\theta_{t-1}$:

        $m_t = \beta_1 m_{t-1} + (1-\beta_1)\tilde g_t$
        $v_t = \beta_2 v_{t-1} + (1-\beta_2)\tilde g_t^2$

    pytorch / textbook (torch.optim.Adam, amsgrad=False; ε after the corrected root):
        $\hat m_t = m_t / (1-\beta_1^t)$,  $\hat v_t = v_t / (1-\beta_2^t)$
        $\theta_t = \theta_{t-1} - \frac{\eta_t}{\sqrt{\hat v_t} + \epsilon}\hat m_t$

    keras (keras.optimizers.Adam, ε-hat form; weight decay decoupled, $g_t$ unmodified):
        $\alpha_t = \eta_t\sqrt{1-\beta_2^t}/(1-\beta_1^t)$
        $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} - \alpha_t\frac{m_t}{\sqrt{v_t} + \hat\epsilon}$

    bias_correction=False drops both corrections: $\theta_t = \theta_{t-1} - \eta_t m_t/(\sqrt{v_t} + \epsilon)$.

    Records ``first_moment`` m, ``second_moment`` v and ``effective_lr`` $\eta_t/(\sqrt{\hat v_t}+\epsilon)$.
    With ε = 0, where a coordinate's gradient has been exactly 0 so far ($m_t = v_t = 0$), the step
    takes 0/0 as 0 (its limit as ε → 0⁺) and the effective lr η/0 is undefined: recorded as NaN.
    """
    return _adam("adam", lr, beta1, beta2, eps, weight_decay, False, bias_correction, convention, schedule)


def adamw(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
          eps: float | Array = 1e-8, weight_decay: float | Array = 0.01, *, bias_correction: bool = True,
          convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

        $\theta_t = \theta_{t-1} - \eta_t\lambda\theta_{t-1} - \frac{\eta_t}{\sqrt{\hat v_t} + \epsilon}\hat m_t$

    with $m_t, v_t$ built from the plain gradient $g_t$ (torch.optim.AdamW; Keras's ε-hat form
    under ``convention="keras"``). Unlike L2 in Adam, the decay is not divided by $\sqrt{\hat v_t}$.
    """
    return _adam("adamw", lr, beta1, beta2, eps, weight_decay, True, bias_correction, convention, schedule)
