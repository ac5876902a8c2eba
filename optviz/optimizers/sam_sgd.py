r"""SAM with SGD: the gradient is taken uphill, at the worst point of a small ball around θ.

Sharpness-aware minimization asks for weights whose whole neighbourhood has a low loss, not
just the point itself. It first climbs a distance ρ along the normalized gradient to the ascent
point θ̂ = θ + ρ g/‖g‖, the highest point of the ball to first order, and then steps from θ with
the gradient taken at θ̂. In a sharp valley θ̂ lands high on a wall and that gradient pushes
hard; in a flat one it barely differs from g. Each step costs two gradients.

:func:`ascent_point` is shared with SAM-Adam (``optviz.optimizers.sam_adam``), which gives the
same gradient to Adam instead of SGD.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, WeightDecay,
                                    check_convention, learning_rate, per_run, runs_of)
from optviz.optimizers.explaining import Replay
from optviz.optimizers.sgd import sgd_step
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)
NORM_FLOOR = 1e-12  # the reference's perturb_eps: ‖g‖ + 1e-12, so a zero gradient gives θ̂ = θ, no division by 0
REFERENCE = "pytorch_optimizer.SAM (kozistr's pytorch-optimizer 3.1.2, davda54/sam's code; adaptive=False)"


class AscentPoint(NamedTuple):
    norm: Array  # ‖g‖ over the run's 2-vector, (runs, 1) (or (1,) for one (2,) gradient)
    point: Array  # θ̂ = θ + g·ρ/(‖g‖ + 10⁻¹²)


def ascent_point(grad: Array, params: Array, rho) -> AscentPoint:
    """Where SAM takes its gradient, for (runs, 2) arrays (or (2,)), in the reference's order of operations."""
    norm = np.sqrt(grad[..., 0:1] * grad[..., 0:1] + grad[..., 1:2] * grad[..., 1:2])
    return AscentPoint(norm, params + grad * (rho / (norm + NORM_FLOOR)))


def gradient_at_ascent(surface, grad: Array, params: Array, rho) -> tuple[AscentPoint, Array]:
    """The ascent point and ∇f there, (runs, 2) each."""
    ascent = ascent_point(grad, params, rho)
    return ascent, surface.grad(ascent.point)


class SAMState(NamedTuple):
    count: int
    ascent_point: Array  # θ̂ of the last step, (runs, 2); the start before any step


def sam_sgd(lr: float | Array = 0.001, rho: float | Array = 0.05, weight_decay: float | Array = 0.0, *,
            convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""SAM around torch.optim.SGD, as ``pytorch_optimizer.SAM(base_optimizer=SGD)``; needs the surface.

    ::

        input:      η (lr), ρ (rho), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            θ̂_t ← θ_{t−1} + ρ g_t / (‖g_t‖ + 10⁻¹²)                 (the ascent point)
            ĝ_t ← ∇f(θ̂_t)
            θ_t ← θ_{t−1} − η_t (ĝ_t + λθ_{t−1})
        return θ_t

    ‖·‖ is the Euclidean norm of the run's 2-vector: both coordinates are one model's weights.
    At g_t = 0 the 10⁻¹² (the reference's ``perturb_eps``) makes θ̂_t = θ_{t−1}, so SAM takes the
    plain SGD step there (0 at a stationary point); in exact arithmetic ρ g/‖g‖ has no limit at
    g = 0. The weight decay is torch.optim.SGD's L2 decay at θ_{t−1} (the weights are restored before
    the base step).

    Records ``ascent_point`` θ̂_t, where the gradient of the step was taken (the map draws it).

    Reference: Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization",
    ICLR 2021. The reference trajectories come from kozistr's ``pytorch_optimizer.SAM`` 3.1.2, whose
    ``first_step``/``second_step`` are davda54/sam's, the implementation most code uses (4.x takes ‖g‖
    through float32):
    scale = ρ/(‖g‖ + 10⁻¹²), θ̂ = θ + g·scale, then the base torch optimizer steps from θ with ĝ.
    Their ``adaptive=True`` (ASAM, scaling by θ²) is not offered.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate, radius = learning_rate(lr, schedule), per_run(rho, "rho")
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> SAMState:
        return SAMState(0, params.astype(float))

    def update(grad, state, params, hessian=None, *, surface):
        count = state.count + 1
        ascent, sharp_grad = gradient_at_ascent(surface, grad, params, radius)
        return sgd_step(sharp_grad, params, rate.at(count), decay), SAMState(count, ascent.point)

    def internals(s: SAMState) -> dict[str, Array]:
        return {"ascent_point": s.ascent_point}

    return Optimizer("sam_sgd", init, update, internals,
                     dict(lr=lr, rho=rho, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, rho, weight_decay), needs_surface=True)


def explain_ascent(s: Replay) -> Array | None:
    """Write the ascent point and the gradient there; returns ĝ_t (2,), or None for the rule without numbers."""
    w, g, rho = s.w, s.g, s.hyper["rho"]
    s.rows += [r"\hat\theta_t &= \theta_{t-1} + \rho\,\frac{g_t}{\lVert g_t\rVert + 10^{-12}}",
               r"\hat g_t &= \nabla f(\hat\theta_t)"]
    if s.surface is None:
        return None
    ascent = ascent_point(g, s.theta, rho)
    norm = float(ascent.norm[0])
    w.eq(r"\lVert g_t\rVert", rf"\sqrt{{{w.sq(g[0])} + {w.sq(g[1])}}}", norm)
    for i in range(2):
        w.eq(rf"\hat{{{s.pos(i)}}}",
             rf"{w.n(s.theta[i])} + {w.o(rho)} \cdot \frac{{{w.n(g[i])}}}{{{w.n(norm)} + {w.o(NORM_FLOOR)}}}",
             ascent.point[i])
    sharp = np.asarray(s.surface.grad(ascent.point[None]), dtype=float)[0]
    for i in range(2):
        w.eq(s.sym(r"\hat g", i), None, sharp[i])
    s.values.update(gradient_norm=norm, ascent_point=ascent.point, ascent_gradient=sharp)
    return sharp


def explain(s: Replay) -> Array:
    sharp = explain_ascent(s)
    decay = s.weight_decay()
    s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,(\hat g_t + \lambda\,\theta_{t-1})" if decay.rate != 0.0 else
                  r"\theta_t &= \theta_{t-1} - \eta_t\,\hat g_t")
    if sharp is None:
        return s.theta
    gradient = decay.gradient(sharp, s.theta)
    if decay.rate != 0.0:
        for i in range(2):
            s.w.eq(s.sym(r"\tilde g", i), f"{s.w.n(sharp[i])} + {s.w.o(decay.rate)} \\cdot {s.w.o(s.theta[i])}",
                   gradient[i])
    return s.finish(sgd_step(sharp, s.theta, s.eta, decay),
                    [f" - {s.w.o(s.eta)} \\cdot {s.w.o(gradient[i])}" for i in range(2)], decay)


RHO = Hyper("rho", 0.05, 0.0, 10.0, (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0), "rho",
            Text("neighbourhood radius ρ", "邻域半径 ρ"),
            Text("ρ: how far uphill the gradient is taken", "ρ：在多远的上坡处取梯度"), Sweep(0.001, 2.0, True), log=True)

ASCENT_POINT = Text("ascent point θ̂ (where the gradient is taken)", "上升点 θ̂（取梯度的位置）")

SPEC = OptimizerSpec(
    name="sam_sgd", order=28, display_name="SAM (SGD)", group="sharpness",
    description=Text("Sharpness-aware SGD: the gradient is taken at the ascent point θ + ρ g/‖g‖, which "
                     "favours flat minima.",
                     "锐度感知 SGD：在上升点 θ + ρ g/‖g‖ 处取梯度，偏好平坦的极小值。"),
    hyperparameters=(hp.lr(0.001), RHO, hp.weight_decay()),
    build=sam_sgd, explain=explain,
    tuning=TuningHint(),
    torch=None,
    no_torch="torch.optim has no SAM; the reference is " + REFERENCE + " around torch.optim.SGD "
             "(tests/reference/thirdparty/sam_sgd.json)",
    conventions=CONVENTIONS,
    internals=("ascent_point",),
    explain_note=Text("SAM takes the gradient not at θ{prev} but at the ascent point θ̂, ρ uphill from it; the "
                      "step still starts from θ{prev}.",
                      "SAM 不在 θ{prev} 处取梯度，而在其上坡 ρ 处的上升点 θ̂ 取梯度；步子仍从 θ{prev} 出发。"),
    map_points={"ascent_point": ASCENT_POINT},
)

