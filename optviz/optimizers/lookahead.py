r"""Lookahead over SGD with momentum: fast weights explore for k steps, then the slow weights move part of the way.

Lookahead keeps two copies of the weights. The fast ones are stepped by an inner optimizer, here
heavy-ball momentum. Every k steps the slow weights move a fraction α of the way to where the fast
ones got, and the fast ones restart from there. The run drawn is the fast weights, where every
gradient is taken, so it jumps back at each sync; the slow weights (``slow_weights``) are drawn
beside it and move only at syncs, along the chords of the fast path.

Lookahead is a wrapper over any optimizer, but an OptViz optimizer is one spec with one set of
hyperparameters, so this module is Lookahead over one inner optimizer, SGD with momentum.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, WeightDecay,
                                    check_convention, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.optimizers.momentum import heavy_ball_step
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)

SYNC_PERIOD = Hyper("sync_period", 5.0, 1.0, 100.0, (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0,
                                                      100.0), "lak",
                    Text("k (sync period)", "k（同步周期）"),
                    Text("k: the fast weights take k steps between syncs with the slow weights",
                         "k：快权重在两次与慢权重同步之间走 k 步"), Sweep(1.0, 20.0, False))
SLOW_STEP = Hyper("slow_step", 0.5, 0.0, 1.0, (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), "laa",
                  Text("α (slow step)", "α（慢步长）"),
                  Text("α: the fraction of the way to the fast weights the slow weights move at a sync (1: plain "
                       "momentum)", "α：同步时慢权重向快权重移动的比例（1：即普通动量）"), Sweep(0.0, 1.0, False))


class LookaheadState(NamedTuple):
    count: int
    velocity: Array  # v_t, (runs, 2): the inner momentum, never reset at a sync
    slow: Array  # φ_t, (runs, 2): the slow weights


class LookaheadStep(NamedTuple):
    velocity: Array  # v_t
    fast: Array  # θ̃_t = θ_{t−1} − η_t v_t: the inner step's point
    synced: Array  # (..., 1) bool: whether step t ends a period
    slow: Array  # φ_t
    step: Array  # θ_t − θ_{t−1}


def syncs_at(count: int, period) -> Array:
    """Whether update ``count`` ends a period: ⌊t/k⌋ grows at t. For whole k that is every k-th update (the
    reference's counter); a fractional k, which a sweep's grid may hold, syncs every k updates on average."""
    return np.floor(count / np.asarray(period, dtype=float)) > np.floor((count - 1) / np.asarray(period, dtype=float))


def lookahead_step(grad: Array, params: Array, velocity: Array, slow: Array, count: int, eta, beta, period, alpha,
                   decay: WeightDecay) -> LookaheadStep:
    """One update of Lookahead(SGD momentum), for (..., 2) arrays and (..., 1) or scalar hyperparameters."""
    inner = heavy_ball_step(grad, params, velocity, eta, beta, decay, "pytorch", lookahead=False)
    fast = params + inner.step
    synced = syncs_at(count, period)
    slow_new = np.where(synced, slow + alpha * (fast - slow), slow)
    new = np.where(synced, slow_new, fast)
    return LookaheadStep(inner.velocity, fast, np.broadcast_to(synced, np.shape(slow_new)[:-1] + (1,)), slow_new,
                         new - params)


def lookahead(lr: float | Array = 0.001, beta: float | Array = 0.9, weight_decay: float | Array = 0.0,
              sync_period: float | Array = 5.0, slow_step: float | Array = 0.5, *, convention: str = "pytorch",
              schedule: Schedule | None = None) -> Optimizer:
    r"""Lookahead over SGD with momentum, as kozistr's ``pytorch_optimizer.Lookahead`` 4.1.0 (pullback_momentum=
    "none") wrapping ``torch.optim.SGD(momentum=β, dampening=0, nesterov=False)``.

    ::

        input:      η (lr), β (beta), λ (weight_decay), k (sync_period), α (slow_step), s (schedule),
                    θ₀ (start), f (objective)
        initialize: v₀ ← 0, φ₀ ← θ₀                     (φ: the slow weights; θ: the fast ones, the run)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            v_t ← β v_{t−1} + g̃_t
            θ̃_t ← θ_{t−1} − η_t v_t                     (the inner step)
            if t is a multiple of k:
                φ_t ← φ_{t−1} + α(θ̃_t − φ_{t−1}),   θ_t ← φ_t
            else:
                φ_t ← φ_{t−1},   θ_t ← θ̃_t
        return θ_t

    The inner optimizer is momentum's PyTorch form (``optviz.optimizers.momentum``), its L2 decay and
    its velocity unchanged by a sync: pytorch_optimizer's default ``pullback_momentum="none"`` (its
    "reset" and "pullback" are not offered). Its lerp ``θ̃ + (1 − α)(φ − θ̃)`` is the same point as the
    sync line, to rounding. α = 0 sends the fast weights back to φ₀ at every sync; α = 1, which the
    package refuses (its range is [0, 1)), never pulls back: plain momentum. A whole k syncs at every k-th step as the reference's counter does; a
    fractional one (a sweep's grid may hold it) syncs where ⌊t/k⌋ grows, every k steps on average.

    The run drawn is the fast weights θ, where the gradients are taken; ``slow_weights`` φ_t is
    recorded and drawn on the map beside it, and ``velocity`` v_t. Lookahead wraps any optimizer, but
    one OptViz spec has one set of hyperparameters, so this is Lookahead over SGD with momentum only.
    torch.optim has no Lookahead (torch 2.13).

    Reference: Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back",
    NeurIPS 2019; https://github.com/kozistr/pytorch_optimizer (package ``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b, k, a = per_run(beta, "beta"), per_run(sync_period, "sync_period"), per_run(slow_step, "slow_step")
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> LookaheadState:
        return LookaheadState(0, zeros_like_runs(params), np.array(params, dtype=float))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = lookahead_step(grad, params, state.velocity, state.slow, count, rate.at(count), b, k, a, decay)
        return out.step, LookaheadState(count, out.velocity, out.slow)

    def internals(s: LookaheadState) -> dict[str, Array]:
        return {"velocity": s.velocity, "slow_weights": s.slow}

    return Optimizer("lookahead", init, update, internals,
                     dict(lr=lr, beta=beta, weight_decay=weight_decay, sync_period=sync_period, slow_step=slow_step,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta, weight_decay, sync_period, slow_step))


def explain(s: Replay) -> Array:
    b, k, a, w, t = s.hyper["beta"], s.hyper["sync_period"], s.hyper["slow_step"], s.w, s.t
    decay = s.weight_decay()
    v_prev, slow_prev = s.memory["velocity"], s.memory["slow_weights"]
    out = lookahead_step(s.g, s.theta, v_prev, slow_prev, t, s.eta, b, k, a, decay)
    gradient = decay.gradient(s.g, s.theta)
    G = s.show_gradient(decay, gradient)
    s.rows += [rf"v_t &= \beta\,v_{{t-1}} + {G}_t", r"\tilde\theta_t &= \theta_{t-1} - \eta_t\,v_t"]
    for i in range(2):
        w.eq(s.sym("v", i), f"{w.o(b)} \\cdot {w.o(v_prev[i])} + {w.o(gradient[i])}", out.velocity[i])
    synced = bool(np.all(out.synced))
    s.values.update(velocity_prev=v_prev, velocity=out.velocity, slow_prev=slow_prev, slow=out.slow,
                    inner_position=out.fast, synced=synced)
    if not synced:  # the inner step is the step
        s.rows.append(r"\theta_t &= \tilde\theta_t \quad (t \bmod k \neq 0)")
        return s.finish(out.step, [f" - {w.o(s.eta)} \\cdot {w.o(out.velocity[i])}" for i in range(2)])
    s.rows += [r"\phi_t &= \phi_{t-1} + \alpha\,(\tilde\theta_t - \phi_{t-1}) \quad (t \bmod k = 0)",
               r"\theta_t &= \phi_t"]
    for i in range(2):
        w.eq(s.sym(r"\tilde\theta", i), f"{w.n(s.theta[i])} - {w.o(s.eta)} \\cdot {w.o(out.velocity[i])}", out.fast[i])
    new = s.theta + out.step  # what simulate records: θ_{t−1} plus the step
    for i in range(2):
        w.eq(s.pos(i), rf"{w.n(slow_prev[i])} + {w.o(a)} \cdot \left({w.n(out.fast[i])} - {w.o(slow_prev[i])}\right)",
             new[i])
    s.values["step"] = out.step
    s.values["new_position"] = new
    return new


SPEC = OptimizerSpec(
    name="lookahead", order=32, display_name="Lookahead (momentum)", group="schedule_free",
    description=Text("Momentum runs ahead for k steps, then the slow weights move a fraction α of the way and the "
                     "run restarts from them.",
                     "动量先向前走 k 步，然后慢权重向其移动 α 的比例，运行从慢权重处重新开始。"),
    hyperparameters=(
        # momentum's 0.01 leaves Rosenbrock's plot within a few steps (|g| ≈ 230); this one keeps the first steps short
        hp.lr(0.001), hp.beta(0.9, Text("momentum coefficient β of the inner optimizer", "内层优化器的动量系数 β")),
        hp.weight_decay(), SYNC_PERIOD, SLOW_STEP),
    build=lookahead, explain=explain,
    tuning=TuningHint(),  # the inner step scales with the gradient, as momentum's
    torch=None,
    no_torch="torch.optim has no Lookahead; the reference is kozistr's pytorch-optimizer package wrapping "
             "torch.optim.SGD (tests/reference/thirdparty/lookahead.json).",
    conventions=CONVENTIONS,
    memory=("velocity", "slow_weights"), internals=("velocity", "slow_weights"),
    memory_symbols=lambda convention: "v, φ",
    explain_note=Text("The path drawn is the fast weights θ, where the gradient is taken; the slow weights φ move "
                      "only at a sync (every k steps), and the run restarts from them.",
                      "图中路径是取梯度的快权重 θ；慢权重 φ 只在同步时（每 k 步）移动，运行随后从慢权重处重新开始。"),
    plotted={"velocity": Text("velocity: the inner momentum, kept across syncs", "速度：内层动量，同步时保留")},
    map_points={"slow_weights": Text("φ: the slow weights", "φ：慢权重")},
)
