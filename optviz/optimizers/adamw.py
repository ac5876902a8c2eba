r"""AdamW: Adam with the weight decay decoupled from the gradient."""
from __future__ import annotations

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.adam import adam_family, adam_hyper, adam_torch_kwargs, explain_adam
from optviz.optimizers.base import Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


def adamw(lr: float | Array = 0.001, beta1: float | Array = 0.9, beta2: float | Array = 0.999,
          eps: float | Array = 1e-8, weight_decay: float | Array = 0.01, *, bias_correction: bool = True,
          convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""AdamW; torch.optim.AdamW(amsgrad=False), keras.optimizers.AdamW.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ε (eps), λ (weight_decay), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, v₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            m_t ← β1 m_{t−1} + (1−β1) g_t
            v_t ← β2 v_{t−1} + (1−β2) g_t²
            pytorch, textbook:
                m̂_t ← m_t / (1−β1^t),   v̂_t ← v_t / (1−β2^t)
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t m̂_t / (√v̂_t + ε)
            keras:
                α_t ← η_t √(1−β2^t) / (1−β1^t)
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − α_t m_t / (√v_t + ε)
            bias_correction=False:
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t m_t / (√v_t + ε)
        return θ_t

    The moments are built from the plain gradient g_t, so unlike L2 decay in Adam the decay is
    not divided by √v̂_t: every weight shrinks by the same factor 1 − η_t λ per step. torch
    multiplies the weights by 1 − η_t λ before the Adam step; the sum here is the same number.
    How the frameworks' Adam steps differ (ε placement) is in ``optviz.optimizers.adam``.
    Note the default λ = 0.01, as in torch; Keras's default is 0.004.

    Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """
    return adam_family("adamw", lr, beta1, beta2, eps, weight_decay, True, bias_correction, convention, schedule)


def explain(s: Replay) -> Array:
    return explain_adam(s, decoupled=True)


_REFERENCE_SETS = {"default": adam_hyper(0.01, weight_decay=0.01), "large_lr": adam_hyper(0.1, weight_decay=0.01),
                   "weight_decay": adam_hyper(0.01, weight_decay=0.5),
                   "betas_eps": adam_hyper(0.05, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1)}

SPEC = OptimizerSpec(
    name="adamw", order=8, display_name="AdamW", group="adaptive",
    description=Text("Adam with the weight decay decoupled from the gradient.", "权重衰减与梯度解耦的 Adam。"),
    hyperparameters=(hp.lr(0.001), hp.beta1(), hp.beta2(), hp.eps(1e-8),
                     hp.weight_decay(0.01, Text("decoupled weight decay λ", "解耦权重衰减 λ"))),
    build=adamw, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # steps like Adam's
    torch=TorchCounterpart("AdamW", adam_torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    bias_correction=True,
    memory=("first_moment", "second_moment"), internals=("first_moment", "second_moment", "effective_lr"),
    plotted={"first_moment": Text("m: first moment, the average gradient", "m：一阶矩，梯度的滑动平均"),
             "second_moment": Text("v: second moment, the average squared gradient", "v：二阶矩，梯度平方的滑动平均")},
    memory_symbols=lambda convention: "m, v",
)
