r"""Lookahead over Adam: Adam's fast weights explore for k steps, then the slow weights move part of the way.

The same wrapper as ``optviz.optimizers.lookahead`` (:func:`~optviz.optimizers.lookahead.with_lookahead`),
around torch.optim.Adam (``optviz.optimizers.adam``) instead of SGD with momentum: Adam's moments go
on across a sync, only the position is pulled back to the slow weights.
"""
from __future__ import annotations

import dataclasses

from optviz.optimizers import adam as adam_module
from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import Array, Optimizer, OptimizerSpec, Text, TuningHint, check_convention
from optviz.optimizers.explaining import Replay
from optviz.optimizers.lookahead import (REFERENCE, SLOW_STEP, SLOW_WEIGHTS, SYNC_PERIOD, explain_lookahead,
                                         with_lookahead)
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


def lookahead_adam(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
                   eps: float | Array = 1e-8, weight_decay: float | Array = 0.0, sync_period: float | Array = 5.0,
                   slow_step: float | Array = 0.5, *, convention: str = "pytorch",
                   schedule: Schedule | None = None) -> Optimizer:
    r"""Lookahead over Adam, as kozistr's ``pytorch_optimizer.Lookahead`` 4.1.0 (pullback_momentum="none")
    wrapping ``torch.optim.Adam(amsgrad=False)``.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), k (sync_period),
                    α (slow_step), s (schedule), θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, φ₀ ← θ₀            (φ: the slow weights; θ: the fast ones, the run)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λθ_{t−1}
            m_t ← β1 m_{t−1} + (1−β1) g̃_t
            v_t ← β2 v_{t−1} + (1−β2) g̃_t²
            m̂_t ← m_t / (1−β1^t),   v̂_t ← v_t / (1−β2^t)
            θ̃_t ← θ_{t−1} − η_t m̂_t / (√v̂_t + ε)          (the inner step: Adam's)
            if t is a multiple of k:
                φ_t ← φ_{t−1} + α(θ̃_t − φ_{t−1}),   θ_t ← φ_t
            else:
                φ_t ← φ_{t−1},   θ_t ← θ̃_t
        return θ_t

    It is :func:`optviz.optimizers.lookahead.with_lookahead` over torch.optim.Adam's form
    (``optviz.optimizers.adam``, pytorch convention, bias-corrected, L2 decay): m, v and Adam's step
    count go on across a sync untouched (the package's default ``pullback_momentum="none"``; its
    "reset" and "pullback" act on SGD's ``momentum_buffer`` only). The package lerps
    ``θ̃ + (1 − α)(φ − θ̃)``, the same point as the sync line to rounding, and refuses α = 1.

    Two identities hold exactly in exact arithmetic. α = 1: φ_t = θ̃_t at every sync, so the run is
    plain Adam's. k = 1: a sync after every step, θ_t = θ_{t−1} + α(θ̃_t − θ_{t−1}) = θ_{t−1} −
    αη_t m̂_t/(√v̂_t + ε), and m, v depend only on the gradients seen, not on the rate: Adam at lr αη.
    For k > 1 the fast weights take their steps from points Adam's own path never visits, so no such
    identity holds in general.

    Records Adam's ``first_moment`` m_t, ``second_moment`` v_t, ``effective_lr`` η_t/(√v̂_t + ε), and the
    ``slow_weights`` φ_t, drawn on the map beside the run. torch.optim has no Lookahead (torch 2.13).

    Reference: Zhang, Lucas, Hinton & Ba, "Lookahead Optimizer: k steps forward, 1 step back",
    NeurIPS 2019; https://github.com/kozistr/pytorch_optimizer (package ``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    inner = adam_module.adam(lr, beta1, beta2, eps, weight_decay, convention=convention, schedule=schedule)
    return with_lookahead(inner, sync_period, slow_step, name="lookahead_adam")


def explain(s: Replay) -> Array:
    return explain_lookahead(s, adam_module.explain)


SPEC = OptimizerSpec(
    name="lookahead_adam", order=33, display_name="Lookahead (Adam)", group="schedule_free",
    description=Text("Adam runs ahead for k steps, then the slow weights move a fraction α of the way and the run "
                     "restarts from them; Adam's moments are kept.",
                     "Adam 先向前走 k 步，然后慢权重向其移动 α 的比例，运行从慢权重处重新开始；Adam 的矩保留不变。"),
    hyperparameters=(
        hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8), hp.weight_decay(), SYNC_PERIOD,
        dataclasses.replace(SLOW_STEP, help=Text(
            "α: the fraction of the way to the fast weights the slow weights move at a sync (1: plain Adam)",
            "α：同步时慢权重向快权重移动的比例（1：即普通 Adam）"))),
    build=lookahead_adam, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # Adam's first step is lr·sign(g) in every coordinate
    torch=None,
    no_torch="torch.optim has no Lookahead; the reference is " + REFERENCE + " wrapping torch.optim.Adam "
             "(tests/reference/thirdparty/lookahead_adam.json).",
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment", "slow_weights"),
    internals=("first_moment", "second_moment", "effective_lr", "slow_weights"),
    memory_symbols=lambda convention: "m, v, φ",
    explain_note=Text("The path drawn is the fast weights θ, where the gradient is taken; Adam's step from θ{prev} "
                      "gives θ̃, and every k steps the slow weights φ move toward it and the run restarts from them.",
                      "图中路径是取梯度的快权重 θ；Adam 从 θ{prev} 走一步得到 θ̃，每 k 步慢权重 φ 向它移动，"
                      "运行随后从慢权重处重新开始。"),
    plotted={"first_moment": Text("m: Adam's first moment, kept across syncs", "m：Adam 的一阶矩，同步时保留"),
             "second_moment": Text("v: Adam's second moment, kept across syncs", "v：Adam 的二阶矩，同步时保留")},
    map_points={"slow_weights": SLOW_WEIGHTS},
)
