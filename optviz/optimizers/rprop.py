r"""Rprop: resilient backpropagation, a step size per coordinate driven by the gradient's sign alone.

Each coordinate keeps its own step size Δ. While the gradient keeps its sign, Δ grows by η+;
when the sign flips (the last step jumped over a minimum), Δ shrinks by η− and that coordinate
stands still for one step. The step is −sign(g)·Δ: the gradient's size never enters, so a steep
wall and a flat plateau are walked at the same pace. η (lr) only sets the first step size.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TorchCounterpart,
                                    TuningHint, check_convention, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class RpropState(NamedTuple):
    count: int
    previous_gradient: Array  # ĝ_{t−1}, (runs, 2): the last gradient, 0 where its sign flipped
    step_size: Array  # Δ_t, (runs, 2)


class RpropStep(NamedTuple):
    product: Array  # g_t·ĝ_{t−1}: its sign says whether the gradient kept its sign
    factor: Array  # η+, η− or 1
    step_size: Array  # Δ_t
    gradient: Array  # ĝ_t: g_t, or 0 where the sign flipped
    step: Array  # θ_t − θ_{t−1}


def rprop_step(grad: Array, previous_gradient: Array, step_size: Array, eta_minus, eta_plus, step_size_min,
               step_size_max) -> RpropStep:
    """One Rprop update, in torch's order of operations: Δ ← clamp(Δ·factor), θ ← θ − sign(ĝ)·Δ."""
    product = grad * previous_gradient
    factor = np.where(product > 0, eta_plus, np.where(product < 0, eta_minus, 1.0))
    size = np.minimum(np.maximum(step_size * factor, step_size_min), step_size_max)  # torch.clamp: max wins
    kept = np.where(product < 0, 0.0, grad)
    return RpropStep(product, factor, size, kept, -np.sign(kept) * size)


def rprop(lr: float | Array = 0.01, eta_minus: float | Array = 0.5, eta_plus: float | Array = 1.2,
          step_size_min: float | Array = 1e-6, step_size_max: float | Array = 50.0, *, convention: str = "pytorch",
          schedule: Schedule | None = None) -> Optimizer:
    r"""Rprop; torch.optim.Rprop.

    ::

        input:      η (lr), η−, η+ (eta_minus, eta_plus), Δmin, Δmax (step_size_min, step_size_max),
                    s (schedule), θ₀ (start), f (objective)
        initialize: ĝ₀ ← 0, Δ₀ ← η·s(0)
        for t = 1, 2, … do
            η_t ← η·s(t−1)                    (not used after Δ₀: the step sizes adapt on their own)
            g_t ← ∇f(θ_{t−1})
            if g_t·ĝ_{t−1} > 0:   Δ_t ← min(Δ_{t−1}·η+, Δmax),          ĝ_t ← g_t
            if g_t·ĝ_{t−1} < 0:   Δ_t ← max(Δ_{t−1}·η−, Δmin),          ĝ_t ← 0
            if g_t·ĝ_{t−1} = 0:   Δ_t ← clamp(Δ_{t−1}, Δmin, Δmax),     ĝ_t ← g_t
            θ_t ← θ_{t−1} − sign(ĝ_t)·Δ_t
        return θ_t

    All per coordinate. ``clamp`` is torch's: min(max(·, Δmin), Δmax), so Δmax wins if Δmin > Δmax.

    Only the ``pytorch`` convention is offered; this is torch's Rprop, the variant Igel & Hüsken
    call Rprop− (no weight backtracking: after a sign flip the coordinate waits a step rather
    than undoing the last one). Riedmiller & Braun's original Rprop+ reverts the previous step.
    torch reads lr only when it creates a parameter's state, so a learning-rate schedule sets
    only the first step size; the same holds here. Keras has no Rprop.

    Records ``step_size`` Δ_t and ``previous_gradient`` ĝ_t (the memory of the next step).

    Reference: Riedmiller & Braun, "A Direct Adaptive Method for Faster Backpropagation Learning:
    The RPROP Algorithm", ICNN 1993; Igel & Hüsken, "Improving the Rprop Learning Algorithm", 2000;
    torch.optim.Rprop.
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    em, ep = per_run(eta_minus, "eta_minus"), per_run(eta_plus, "eta_plus")
    lo, hi = per_run(step_size_min, "step_size_min"), per_run(step_size_max, "step_size_max")

    def init(params: Array) -> RpropState:
        return RpropState(0, zeros_like_runs(params), zeros_like_runs(params) + rate.at(1))  # Δ₀ = η·s(0)

    def update(grad, state, params, hessian=None):
        out = rprop_step(grad, state.previous_gradient, state.step_size, em, ep, lo, hi)
        return out.step, RpropState(state.count + 1, out.gradient, out.step_size)

    def internals(s: RpropState) -> dict[str, Array]:
        return {"step_size": s.step_size, "previous_gradient": s.previous_gradient}

    return Optimizer("rprop", init, update, internals,
                     dict(lr=lr, eta_minus=eta_minus, eta_plus=eta_plus, step_size_min=step_size_min,
                          step_size_max=step_size_max, convention=convention, schedule=schedule),
                     runs_of(lr, eta_minus, eta_plus, step_size_min, step_size_max))


def explain(s: Replay) -> Array:
    em, ep, lo, hi, w = s.hyper["eta_minus"], s.hyper["eta_plus"], s.hyper["step_size_min"], s.hyper["step_size_max"], s.w
    g_prev, size_prev = s.memory["previous_gradient"], s.memory["step_size"]
    out = rprop_step(s.g, g_prev, size_prev, em, ep, lo, hi)
    s.rows += [r"p_t &= g_t\,\hat g_{t-1}",
               r"\Delta_t &= \operatorname{clamp}\left(\Delta_{t-1}\cdot\{\eta_+ \text{ if } p_t>0;\ "
               r"\eta_- \text{ if } p_t<0;\ 1\},\ \Delta_{\min},\ \Delta_{\max}\right)",
               r"\hat g_t &= 0 \text{ if } p_t<0 \text{ else } g_t",
               r"\theta_t &= \theta_{t-1} - \operatorname{sign}(\hat g_t)\,\Delta_t"]
    for i in range(2):
        w.eq(s.sym("p", i), rf"{w.o(s.g[i])} \cdot {w.o(g_prev[i])}", out.product[i])
    for i in range(2):  # the branch taken is the one written
        grown = size_prev[i] * out.factor[i]
        if grown > hi or grown < lo:  # clamped to a bound (Δmax where both bounds apply)
            w.eq(s.sym(r"\Delta", i), None, out.step_size[i])
        elif out.factor[i] == 1.0:
            w.eq(s.sym(r"\Delta", i), None, out.step_size[i])
        else:
            w.eq(s.sym(r"\Delta", i), rf"{w.o(out.factor[i])} \cdot {w.o(size_prev[i])}", out.step_size[i])
    s.values.update(previous_gradient_prev=g_prev, previous_gradient=out.gradient, step_size_prev=size_prev,
                    step_size=out.step_size, product=out.product, factor=out.factor)
    terms = []
    for i in range(2):
        sign = np.sign(out.gradient[i])
        terms.append(f" - {w.n(out.step_size[i])}" if sign > 0 else f" + {w.n(out.step_size[i])}" if sign < 0
                     else " - 0")
    return s.finish(out.step, terms)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "etas": [h["eta_minus"], h["eta_plus"]],
            "step_sizes": [h["step_size_min"], h["step_size_max"]], "foreach": False}


def _hyper(lr: float, etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50.0)
           ) -> dict[str, float]:
    return {"lr": lr, "eta_minus": etas[0], "eta_plus": etas[1], "step_size_min": step_sizes[0],
            "step_size_max": step_sizes[1]}


# the second set reaches both bounds within 50 steps: Δ grows to Δmax = 0.2 and, at the minimum, shrinks to Δmin
_REFERENCE_SETS = {"default": _hyper(0.01), "etas_bounds": _hyper(0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))}
_ROSEN = {"default": _REFERENCE_SETS["default"]}  # one set: each optimizer adds one file of ~20-50 kB

SPEC = OptimizerSpec(
    name="rprop", order=14, display_name="Rprop", group="sign",
    description=Text("Resilient backprop: a step size per coordinate that grows while the gradient keeps its "
                     "sign and shrinks when it flips.",
                     "弹性反向传播：每个坐标有自己的步长，梯度符号不变时增大，符号翻转时减小。"),
    hyperparameters=(
        dataclasses.replace(hp.lr(0.01), help=Text("η: the first step size Δ₀ of every coordinate",
                                                   "η：每个坐标的初始步长 Δ₀")),
        Hyper("eta_minus", 0.5, 0.0, 1.0, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9), "etam",
              Text("shrink factor η−", "缩小因子 η−"),
              Text("η−: Δ is multiplied by it when the gradient's sign flips", "η−：梯度符号翻转时 Δ 乘以它"),
              Sweep(0.1, 0.9, False), low_open=True, high_open=True),
        Hyper("eta_plus", 1.2, 1.0, 10.0, (1.05, 1.1, 1.2, 1.3, 1.5, 2.0, 3.0), "etap",
              Text("growth factor η+", "增长因子 η+"),
              Text("η+: Δ is multiplied by it while the gradient keeps its sign", "η+：梯度符号不变时 Δ 乘以它"),
              Sweep(1.05, 3.0, False)),  # torch wants η+ > 1; η+ = 1 (Δ never grows) is the limit, allowed here
        Hyper("step_size_min", 1e-6, 0.0, 1.0, (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01), "dmin",
              Text("smallest step Δmin", "最小步长 Δmin"),
              Text("Δmin: no step size shrinks below it", "Δmin：步长不会小于它"), Sweep(1e-8, 0.01, True), log=True),
        Hyper("step_size_max", 50.0, 0.0, 1000.0, (0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0), "dmax",
              Text("largest step Δmax", "最大步长 Δmax"),
              Text("Δmax: no step size grows above it", "Δmax：步长不会大于它"), Sweep(0.01, 100.0, True), log=True,
              low_open=True)),
    build=rprop, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate
    torch=TorchCounterpart("Rprop", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("step_size", "previous_gradient"), internals=("step_size", "previous_gradient"),
    plotted={"step_size": Text("Δ: each coordinate's own step size (grows while the sign holds, shrinks when it flips)",
                               "Δ：每个坐标自己的步长（符号不变时增大，翻转时减小）")},
    memory_symbols=lambda convention: "Δ, ĝ",
    explain_note=Text("η only sets the first step size Δ₀; after that each coordinate's Δ follows the signs of "
                      "successive gradients, so a learning-rate schedule has no further effect.",
                      "η 只决定初始步长 Δ₀；此后每个坐标的 Δ 由相邻两次梯度的符号决定，学习率调度不再起作用。"),
)
