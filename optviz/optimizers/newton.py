r"""Damped Newton's method: the second-order step deep learning rarely takes.

    $\theta_t = \theta_{t-1} - \eta\,(H_{t-1} + \mu I)^{-1} g_t$

with $H$ the exact Hessian of the surface. With $\eta = 1, \mu = 0$ it solves a quadratic
bowl in one step, but it jumps to *any* stationary point of the local quadratic model,
saddles included: near a saddle the Hessian has a negative eigenvalue, and Newton walks
uphill along it. The inverse costs $O(d^3)$ per step for d parameters, which for a network
with millions of weights is out of reach; here d = 2, so the 2×2 inverse is written out.
A singular $H + \mu I$ gives a non-finite step, which the simulation reports as divergence.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers.base import Array, Optimizer, check_convention, learning_rate, per_run, runs_of
from optviz.schedules import Schedule


class NewtonState(NamedTuple):
    count: int


def newton(lr: float | Array = 1.0, damping: float | Array = 0.0, *, convention: str = "pytorch",
           schedule: Schedule | None = None) -> Optimizer:
    r"""$\theta_t = \theta_{t-1} - \eta_t (H + \mu I)^{-1} g_t$; ``damping`` is μ. Needs the Hessian.

    The convention is accepted for a uniform interface; all three give the same step.
    """
    check_convention(convention)
    rate, mu = learning_rate(lr, schedule), per_run(damping, "damping")

    def init(params: Array) -> NewtonState:
        return NewtonState(0)

    def update(grad, state, params, hessian):
        count = state.count + 1
        a = hessian[:, 0, 0:1] + mu  # (runs, 1) columns keep (runs, 2) broadcasting
        b = hessian[:, 0, 1:2]
        c = hessian[:, 1, 1:2] + mu
        det = a * c - b * b
        gx, gy = grad[:, 0:1], grad[:, 1:2]
        direction = (c * gx - b * gy, a * gy - b * gx)
        step = -(rate.at(count) / det) * np.concatenate(direction, axis=1)
        return step, NewtonState(count)

    return Optimizer("newton", init, update, lambda state: {},
                     dict(lr=lr, damping=damping, convention=convention, schedule=schedule),
                     runs_of(lr, damping), needs_hessian=True)
