r"""AMSGrad (AdamW): AMSGrad with the weight decay decoupled from the gradient.

AMSGrad (``optviz.optimizers.amsgrad``) is torch.optim.Adam(amsgrad=True), whose weight decay is L2:
the decay enters the gradient and is divided by √v̂_t with it. This is torch.optim.AdamW(amsgrad=True):
the same kept maximum v̄_t, with AdamW's shrink −η_t λ θ_{t−1} added outside the adaptive step.
"""
from __future__ import annotations

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adam import adam_hyper
from optviz.optimizers.amsgrad import CONVENTIONS, amsgrad_family, amsgrad_torch_kwargs, explain_amsgrad
from optviz.optimizers.base import Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


def amsgradw(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
             eps: float | Array = 1e-8, weight_decay: float | Array = 0.01, *, convention: str = "pytorch",
             schedule: Schedule | None = None) -> Optimizer:
    r"""AMSGrad with decoupled weight decay; torch.optim.AdamW(amsgrad=True).

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0, v̄₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            m_t ← β1 m_{t−1} + (1−β1) g_t
            v_t ← β2 v_{t−1} + (1−β2) g_t²
            v̄_t ← max(v̄_{t−1}, v_t)
            m̂_t ← m_t / (1−β1^t),   v̂_t ← v̄_t / (1−β2^t)
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t m̂_t / (√v̂_t + ε)
        return θ_t

    The moments, and so the kept maximum v̄_t, are built from the plain gradient g_t: unlike the L2
    decay of AMSGrad (torch.optim.Adam(amsgrad=True)) the decay is not divided by √v̂_t, and every
    weight shrinks by the same factor 1 − η_t λ per step. With λ = 0 the rule is AMSGrad's. torch
    multiplies the weights by 1 − η_t λ before the AMSGrad step; the sum here is the same number.
    Note the default λ = 0.01, as in torch.optim.AdamW.

    Only the ``pytorch`` convention is offered: keras.optimizers.AdamW(amsgrad=True) keeps the same
    maximum but uses Adam's ε-hat form, and no Keras trajectory is recorded to check it against.
    How the paper's AMSGrad differs from torch's (no bias correction) is in ``optviz.optimizers.amsgrad``.

    Records ``first_moment`` m, ``second_moment`` v, ``max_second_moment`` v̄ and ``effective_lr``
    η_t/(√v̂_t + ε), the rate of the adaptive part alone (the decay's rate is η_t λ in every coordinate).

    References: Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018; Loshchilov &
    Hutter, "Decoupled Weight Decay Regularization", ICLR 2019; torch.optim.AdamW(amsgrad=True).
    """
    return amsgrad_family("amsgradw", lr, beta1, beta2, eps, weight_decay, True, convention, schedule)


def explain(s: Replay) -> Array:
    return explain_amsgrad(s, decoupled=True)


# As AMSGrad's sets, with decay on: λ = 0.01 (torch's default) and a strong λ = 0.3 at η = 0.05, whose shrink
# of 1.5% a step keeps the decoupled decay far from what L2 decay would do. β2 = 0.9 forgets fast, so v_t
# falls below the kept maximum within 50 steps and the rule parts from AdamW's.
_REFERENCE_SETS = {"default": adam_hyper(0.01, weight_decay=0.01),
                   "betas_eps_decay": adam_hyper(0.05, betas=(0.8, 0.9), eps=1e-4, weight_decay=0.3)}

# Rosenbrock records the default set only: tests/test_optimizers.py keeps each reference file small
_ROSEN = {"default": _REFERENCE_SETS["default"]}

SPEC = OptimizerSpec(
    name="amsgradw", order=34, display_name="AMSGrad (AdamW)", group="adaptive",
    description=Text("AMSGrad with the weight decay decoupled from the gradient: an AdamW whose rates never grow.",
                     "权重衰减与梯度解耦的 AMSGrad：有效学习率只降不升的 AdamW。"),
    hyperparameters=(hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8),
                     hp.weight_decay(0.01, Text("decoupled weight decay λ", "解耦权重衰减 λ"))),
    build=amsgradw, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·sign(g) per coordinate (plus a small shrink), like Adam's
    torch=TorchCounterpart("AdamW", amsgrad_torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _ROSEN}),
    conventions=CONVENTIONS,
    memory=("first_moment", "second_moment", "max_second_moment"),
    internals=("first_moment", "second_moment", "max_second_moment", "effective_lr"),
    plotted={"second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均"),
             "max_second_moment": Text("v̄: the largest v so far, which divides the step", "v̄：迄今最大的 v，步长除以它")},
    memory_symbols=lambda convention: "m, v, v̄",
)
