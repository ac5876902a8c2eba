r"""Damped Newton's method: the second-order step deep learning rarely takes.

With η = 1, μ = 0 it solves a quadratic bowl in one step, but it jumps to *any* stationary
point of the local quadratic model, saddles included: near a saddle the Hessian has a negative
eigenvalue, and Newton walks uphill along it. The inverse costs O(d³) per step for d
parameters, which for a network with millions of weights is out of reach; here d = 2, so the
2×2 inverse is written out. A singular H + μI gives a non-finite step, which the simulation
reports as divergence.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, check_convention,
                                    learning_rate, per_run, runs_of)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


class NewtonState(NamedTuple):
    count: int


class NewtonStep(NamedTuple):
    determinant: Array  # D = (H_xx + μ)(H_yy + μ) − H_xy², (runs, 1) (or (1,) for one (2,) gradient)
    step: Array  # θ_t − θ_{t−1}


def newton_step(grad: Array, hessian: Array, eta, damping) -> NewtonStep:
    """(H + μI)⁻¹ applied to (runs, 2) gradients with (runs, 2, 2) Hessians (or (2,) with (2, 2)), written out."""
    a = hessian[..., 0, 0:1] + damping  # (runs, 1) columns keep (runs, 2) broadcasting
    b = hessian[..., 0, 1:2]
    c = hessian[..., 1, 1:2] + damping
    det = a * c - b * b
    gx, gy = grad[..., 0:1], grad[..., 1:2]
    direction = np.concatenate((c * gx - b * gy, a * gy - b * gx), axis=-1)  # adj(H + μI)·g
    return NewtonStep(det, -(eta / det) * direction)


def newton(lr: float | Array = 1.0, damping: float | Array = 0.0, *, convention: str = "pytorch",
           schedule: Schedule | None = None) -> Optimizer:
    r"""Damped Newton; ``damping`` is μ. Needs the Hessian.

    ::

        input:      η (lr), μ (damping), s (schedule), θ₀ (start), f (objective)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            H_t ← ∇²f(θ_{t−1})
            θ_t ← θ_{t−1} − η_t (H_t + μI)⁻¹ g_t
        return θ_t

    with, in two dimensions, D = (H_xx + μ)(H_yy + μ) − H_xy² and
    (H + μI)⁻¹ g = ((H_yy + μ) g_x − H_xy g_y,  (H_xx + μ) g_y − H_xy g_x) / D.

    The convention is accepted for a uniform interface; all three give the same step, as no
    framework ships this method (torch.optim.LBFGS approximates H from gradients instead).

    Reference: Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006, chapter 3.
    """
    check_convention(convention)
    rate, mu = learning_rate(lr, schedule), per_run(damping, "damping")

    def init(params: Array) -> NewtonState:
        return NewtonState(0)

    def update(grad, state, params, hessian):
        count = state.count + 1
        return newton_step(grad, hessian, rate.at(count), mu).step, NewtonState(count)

    return Optimizer("newton", init, update, lambda state: {},
                     dict(lr=lr, damping=damping, convention=convention, schedule=schedule),
                     runs_of(lr, damping), needs_hessian=True)


def explain(s: Replay) -> Array:
    mu, w, H, g = s.hyper["damping"], s.w, s.hessian, s.g
    out = newton_step(g, H, s.eta, mu)
    det, b = float(out.determinant[0]), H[0, 1]
    s.rows += [r"H &= \nabla^2 f(\theta_{t-1})", r"D &= (H_{xx} + \mu)(H_{yy} + \mu) - H_{xy}^2",
               r"x_t &= x_{t-1} - \frac{\eta_t}{D}\left((H_{yy} + \mu)\,g_x - H_{xy}\,g_y\right)",
               r"y_t &= y_{t-1} - \frac{\eta_t}{D}\left((H_{xx} + \mu)\,g_y - H_{xy}\,g_x\right)"]
    for lhs, value in ((r"H_{xx}", H[0, 0]), (r"H_{xy}", H[0, 1]), (r"H_{yy}", H[1, 1])):
        w.eq(lhs, None, value)
    w.eq("D", rf"\left({w.n(H[0, 0])} + {w.o(mu)}\right) \cdot \left({w.n(H[1, 1])} + {w.o(mu)}\right) - {w.sq(b)}", det)
    s.values.update(hessian=H, determinant=det)
    diag = (rf"\left({w.n(H[1, 1])} + {w.o(mu)}\right)", rf"\left({w.n(H[0, 0])} + {w.o(mu)}\right)")
    terms = [rf" - \frac{{{w.n(s.eta)}}}{{{w.n(det)}}} \cdot \left({diag[i]} \cdot {w.o(g[i])} - {w.o(b)} \cdot "
             rf"{w.o(g[1 - i])}\right)" for i in range(2)]
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="newton", order=9, display_name="Newton", group="second_order",
    description=Text("Damped Newton's method: the inverse of the exact Hessian times the gradient.",
                     "阻尼牛顿法：用精确 Hessian 矩阵的逆乘以梯度。"),
    hyperparameters=(hp.lr(1.0),
                     Hyper("damping", 0.0, 0.0, 100.0, (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0), "damp",
                           Text("damping μ", "阻尼 μ"),
                           Text("μ added to the Hessian's diagonal", "加到 Hessian 矩阵对角线上的 μ"),
                           Sweep(0.0, 10.0, False), log=True)),
    build=newton, explain=explain,
    tuning=TuningHint(tune_lr=False),  # lr = 1 is the Newton step itself
    torch=None, no_torch="torch.optim has no exact-Hessian Newton step (LBFGS approximates the Hessian from "
                         "gradients); tests/test_optimizers.py checks it against steps worked out by hand",
    needs_hessian=True,
    explain_note=Text("Newton uses the exact Hessian H of the surface at θ{prev}.",
                      "牛顿法使用曲面在 θ{prev} 处的精确 Hessian 矩阵 H。"),
)
