r"""Lookahead, a wrapper over any optimizer: fast weights explore k steps, slow weights move part of the way.

Lookahead keeps two copies of the weights. The fast ones are stepped by an inner optimizer, any
``Optimizer``; every k steps the slow weights move a fraction α of the way to where the fast ones
got, and the fast ones restart from there. :func:`with_lookahead` is that wrapper (written as
``optviz.optimizers.noise.with_gradient_noise`` is); :func:`explain_lookahead` writes a wrapped
step from the inner optimizer's own explanation.

The run drawn is the fast weights, where every gradient is taken, so it jumps back at each sync;
the slow weights (``slow_weights``) are drawn beside it and move only at syncs, along the chords of
the fast path. An OptViz spec has one set of hyperparameters, so the app offers Lookahead over a few
inner optimizers, one spec each: over SGD with momentum here, over Adam in
``optviz.optimizers.lookahead_adam``; from Python, ``with_lookahead`` wraps any of them.
"""
from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers import momentum as momentum_module
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, check_convention,
                                    per_run, runs_of)
from optviz.optimizers.explaining import Replay
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
SLOW_WEIGHTS = Text("φ: the slow weights", "φ：慢权重")
REFERENCE = "kozistr's pytorch-optimizer package (pytorch_optimizer.Lookahead 4.1.0)"


class LookaheadState(NamedTuple):
    count: int
    inner: Any  # the inner optimizer's state: it runs on, unchanged by a sync
    slow: Array  # φ_t, (runs, 2): the slow weights


class LookaheadSync(NamedTuple):
    fast: Array  # θ̃_t = θ_{t−1} + the inner step: where the inner optimizer would go
    synced: Array  # (..., 1) bool: whether step t ends a period
    slow: Array  # φ_t
    step: Array  # θ_t − θ_{t−1}


def syncs_at(count: int, period) -> Array:
    """Whether update ``count`` ends a period: ⌊t/k⌋ grows at t. For whole k that is every k-th update (the
    reference's counter); a fractional k, which a sweep's grid may hold, syncs every k updates on average."""
    return np.floor(count / np.asarray(period, dtype=float)) > np.floor((count - 1) / np.asarray(period, dtype=float))


def lookahead_sync(params: Array, inner_step: Array, slow: Array, count: int, period, alpha) -> LookaheadSync:
    """The Lookahead part of update ``count``, after the inner step: (..., 2) arrays, (..., 1) or scalar k and α."""
    fast = params + inner_step
    synced = syncs_at(count, period)
    slow_new = np.where(synced, slow + alpha * (fast - slow), slow)
    # off a sync the step is the inner one itself, so the run is the inner optimizer's path to the bit
    step = np.where(synced, slow_new - params, inner_step)
    return LookaheadSync(fast, np.broadcast_to(synced, np.shape(slow_new)[:-1] + (1,)), slow_new, step)


def _checked(hyper: Hyper, value) -> float | Array:
    """``value`` as ``per_run`` gives it, every element inside the hyperparameter's range (ValueError naming it)."""
    if np.ndim(value) == 0:
        return hyper.parameter.check(value)  # a float, or a ValueError naming the value that is none
    try:
        column = per_run(value, hyper.name)
    except (TypeError, ValueError):
        raise ValueError(f"{hyper.name} must be a number or an array of numbers, one per run (got {value!r})") from None
    for v in np.ravel(column):
        hyper.parameter.check(v)
    return column


def with_lookahead(inner: Optimizer, sync_period: float | Array = 5.0, slow_step: float | Array = 0.5, *,
                   name: str | None = None) -> Optimizer:
    r"""Wrap ``inner``, any optimizer, in Lookahead: k of its steps, then the slow weights move α of the way.

    ::

        input:      k (sync_period), α (slow_step), an inner optimizer O (init, update),
                    θ₀ (start), f (objective)
        initialize: S₀ ← O.init(θ₀),   φ₀ ← θ₀          (φ: the slow weights; θ: the fast ones, the run)
        for t = 1, 2, … do
            g_t ← ∇f(θ_{t−1})
            Δ_t, S_t ← O.update(g_t, S_{t−1}, θ_{t−1})   (the inner step; its state is never reset)
            θ̃_t ← θ_{t−1} + Δ_t
            if ⌊t/k⌋ > ⌊(t−1)/k⌋ (for a whole k: t is a multiple of k):
                φ_t ← φ_{t−1} + α(θ̃_t − φ_{t−1}),   θ_t ← φ_t
            else:
                φ_t ← φ_{t−1},   θ_t ← θ̃_t
        return θ_t

    k is in [1, 100] and α in [0, 1], scalars or (runs,) arrays (ValueError otherwise); their runs
    must agree with the inner optimizer's. The inner's state goes on across a sync untouched:
    pytorch_optimizer's default ``pullback_momentum="none"``. α = 1 never pulls back (the inner
    optimizer alone); α = 0 sends the fast weights back to φ₀ at every sync. The inner's schedule, its
    noise (wrap a noisy optimizer) and its needs (Hessian, surface) pass through.

    The state is ``LookaheadState(count, inner state, φ)``; the internals are the inner's plus
    ``slow_weights`` φ_t. The name is ``lookahead(<inner name>)`` unless given.
    """
    k, a = _checked(SYNC_PERIOD, sync_period), _checked(SLOW_STEP, slow_step)
    runs = runs_of(sync_period, slow_step)
    if inner.runs > 1 and runs > 1 and runs != inner.runs:
        raise ValueError(f"sync_period and slow_step have {runs} runs but the inner optimizer has {inner.runs}")

    def init(params: Array) -> LookaheadState:
        return LookaheadState(0, inner.init(params), np.array(params, dtype=float))

    def update(grad, state, params, hessian=None, **oracle):
        count = state.count + 1
        inner_step, inner_state = inner.update(grad, state.inner, params, hessian, **oracle)
        out = lookahead_sync(params, inner_step, state.slow, count, k, a)
        return out.step, LookaheadState(count, inner_state, out.slow)

    def internals(s: LookaheadState) -> dict[str, Array]:
        return {**inner.internals(s.inner), "slow_weights": s.slow}

    return inner._replace(name=name or f"lookahead({inner.name})", init=init, update=update, internals=internals,
                          hyperparams={**inner.hyperparams, "sync_period": sync_period, "slow_step": slow_step},
                          runs=max(runs, inner.runs))


_STEP_ROW = re.compile(r"^\\theta_t &=")


def explain_lookahead(s: Replay, explain_inner: Callable[[Replay], Array]) -> Array:
    r"""Write one Lookahead update: the inner optimizer's explanation, its result renamed θ̃_t, then the sync.

    ``explain_inner`` is the inner spec's ``explain``: it reads its memory from ``s.memory`` and ends with
    ``Replay.finish`` (its last row ``\theta_t &= …``, its last lines ``x_t = …``, ``y_t = …``).
    """
    w, t, k, a = s.w, s.t, s.hyper["sync_period"], s.hyper["slow_step"]
    slow_prev = s.memory["slow_weights"]
    explain_inner(s)
    inner_step = s.values["step"]
    s.rows[-1] = _STEP_ROW.sub(r"\\tilde\\theta_t &=", s.rows[-1])  # the inner step's point
    out = lookahead_sync(s.theta, inner_step, slow_prev, t, k, a)
    synced = bool(np.all(out.synced))
    new = s.theta + out.step  # what simulate records: θ_{t−1} plus the step
    s.values.update(slow_prev=slow_prev, slow=out.slow, inner_position=out.fast, synced=synced, step=out.step,
                    new_position=new)
    if not synced:  # the inner step is the step: its lines x_t, y_t stand
        s.rows.append(r"\theta_t &= \tilde\theta_t \quad (t \bmod k \neq 0)")
        return new
    s.rows += [r"\phi_t &= \phi_{t-1} + \alpha\,(\tilde\theta_t - \phi_{t-1}) \quad (t \bmod k = 0)",
               r"\theta_t &= \phi_t"]
    for i in (0, 1):  # the inner's last two lines, x_t and y_t, are θ̃_t here
        line, inner_lhs = len(w.lines) - 2 + i, s.pos(i) + " = "
        if not w.lines[line].startswith(inner_lhs):
            raise ValueError(f"the inner explanation must end with its {inner_lhs!r} line (got {w.lines[line]!r})")
        w.lines[line] = s.sym(r"\tilde\theta", i) + w.lines[line][len(s.pos(i)):]
    for i in range(2):
        w.eq(s.pos(i), rf"{w.n(slow_prev[i])} + {w.o(a)} \cdot \left({w.n(out.fast[i])} - {w.o(slow_prev[i])}\right)",
             new[i])
    return new


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

    It is :func:`with_lookahead` over momentum's PyTorch form (``optviz.optimizers.momentum``), its L2
    decay and its velocity unchanged by a sync: pytorch_optimizer's default ``pullback_momentum="none"``
    (its "reset" and "pullback" are not offered). Its lerp ``θ̃ + (1 − α)(φ − θ̃)`` is the same point as
    the sync line, to rounding. α = 0 sends the fast weights back to φ₀ at every sync; α = 1, which the
    package refuses (its range is [0, 1)), never pulls back: plain momentum. A whole k syncs at every
    k-th step as the reference's counter does; a fractional one (a sweep's grid may hold it) syncs where
    ⌊t/k⌋ grows, every k steps on average.

    The run drawn is the fast weights θ, where the gradients are taken; ``slow_weights`` φ_t is
    recorded and drawn on the map beside it, and ``velocity`` v_t. torch.optim has no Lookahead
    (torch 2.13).

    Reference: Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back",
    NeurIPS 2019; https://github.com/kozistr/pytorch_optimizer (package ``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    inner = momentum_module.momentum(lr, beta, weight_decay, convention=convention, schedule=schedule)
    return with_lookahead(inner, sync_period, slow_step, name="lookahead")


def explain(s: Replay) -> Array:
    return explain_lookahead(s, momentum_module.explain)


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
    no_torch="torch.optim has no Lookahead; the reference is " + REFERENCE + " wrapping torch.optim.SGD "
             "(tests/reference/thirdparty/lookahead.json).",
    conventions=CONVENTIONS,
    memory=("velocity", "slow_weights"), internals=("velocity", "slow_weights"),
    memory_symbols=lambda convention: "v, φ",
    explain_note=Text("The path drawn is the fast weights θ, where the gradient is taken; the slow weights φ move "
                      "only at a sync (every k steps), and the run restarts from them.",
                      "图中路径是取梯度的快权重 θ；慢权重 φ 只在同步时（每 k 步）移动，运行随后从慢权重处重新开始。"),
    plotted={"velocity": Text("velocity: the inner momentum, kept across syncs", "速度：内层动量，同步时保留")},
    map_points={"slow_weights": SLOW_WEIGHTS},
)
