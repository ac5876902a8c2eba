r"""AdaGrad: per-coordinate learning rates from the running sum of squared gradients.

Every coordinate divides its gradient by a root of its accumulated squared gradients, so it
gets its own effective learning rate, recorded as ``effective_lr`` (the factor that multiplies
the gradient in the step). The scaled-gradient core here (:func:`scaled_step`,
:func:`scaled_gradient`, :func:`explain_scaled_step`) is shared with RMSprop
(``optviz.optimizers.rmsprop``), which replaces the sum by a moving average.

With ε = 0 a coordinate whose gradient has been exactly 0 so far has a zero denominator. Its
step is 0/0, taken as 0 (the limit as ε → 0⁺); its effective learning rate η/0 is undefined
and recorded as NaN: a gap in the plots, null in the command line's JSON.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, divide, effective_rate, has_zero, learning_rate, per_run,
                                    runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

KERAS_INITIAL_ACCUMULATOR = 0.1

Accumulate = Callable[[Array, Array], Array]  # (s_{t−1}, g̃_t) -> s_t


class AccumulatorState(NamedTuple):
    count: int
    second_moment: Array  # (runs, 2): AdaGrad's running sum, RMSprop's EMA of g²
    effective_lr: Array  # (runs, 2): what multiplied the gradient in the last step (NaN where ε = 0 met g = 0)


class ScaledStep(NamedTuple):
    gradient: Array  # g̃_t (pytorch, textbook) or g_t (keras)
    second_moment: Array  # s_t
    denominator: Array  # √s_t + ε (pytorch, textbook) or √(s_t + ε) (keras)
    step: Array  # θ_t − θ_{t−1}


def scaled_step(grad: Array, params: Array, second_moment: Array, eta, eps, decay: WeightDecay, convention: str,
                accumulate: Accumulate, zero_eps: bool) -> ScaledStep:
    """One update of AdaGrad or RMSprop, for arrays of any matching shape, in torch's (Keras's) order of operations."""
    g = decay.gradient(grad, params)
    s = accumulate(second_moment, g)
    if convention == "keras":
        denominator = np.sqrt(s + eps)  # ε inside the root
        step = -divide(eta * g, denominator, zero_eps)
    else:
        denominator = np.sqrt(s) + eps
        step = -eta * divide(g, denominator, zero_eps)
    return ScaledStep(g, s, denominator, decay.step(step, eta, params))


def add_square(s: Array, g: Array) -> Array:
    return s + g * g


def scaled_gradient(name: str, lr, eps, weight_decay, convention: str, schedule: Schedule | None,
                    accumulate: Accumulate, keras_initial: float, **extra) -> Optimizer:
    """An AdaGrad-like optimizer: accumulate g² with ``accumulate``, divide by its root, step."""
    convention = check_convention(convention)
    rate, e = learning_rate(lr, schedule), per_run(eps, "eps")
    decay = WeightDecay.of(weight_decay, convention)
    zero_eps = has_zero(e)

    def init(params: Array) -> AccumulatorState:
        start = keras_initial if convention == "keras" else 0.0
        return AccumulatorState(0, np.full_like(params, start, dtype=float), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        eta = rate.at(count)
        out = scaled_step(grad, params, state.second_moment, eta, e, decay, convention, accumulate, zero_eps)
        return out.step, AccumulatorState(count, out.second_moment, effective_rate(eta, out.denominator, zero_eps))

    hyper = dict(lr=lr, **extra, eps=eps, weight_decay=weight_decay, convention=convention, schedule=schedule)
    return Optimizer(name, init, update,
                     lambda state: {"second_moment": state.second_moment, "effective_lr": state.effective_lr},
                     hyper, runs_of(lr, eps, weight_decay, *extra.values()))


def adagrad(lr: float | Array = 0.01, eps: float | Array = 1e-10, weight_decay: float | Array = 0.0, *,
            convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""AdaGrad: the running *sum* of squared gradients, so the step only ever shrinks.

    torch.optim.Adagrad(lr_decay=0, initial_accumulator_value=0); keras.optimizers.Adagrad.

    ::

        input:      η (lr), ε (eps), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: s₀ ← 0  (keras: s₀ ← 0.1)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            pytorch, textbook:
                g̃_t ← g_t + λθ_{t−1}
                s_t ← s_{t−1} + g̃_t²
                θ_t ← θ_{t−1} − η_t g̃_t / (√s_t + ε)
            keras:
                s_t ← s_{t−1} + g_t²
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t g_t / √(s_t + ε)
        return θ_t

    How frameworks differ: torch adds ε outside the root and its weight decay is L2; Keras adds ε
    inside the root, starts its accumulator at 0.1, and decays weights decoupled.

    Records ``second_moment`` s_t and ``effective_lr`` η_t/(√s_t + ε) (keras: η_t/√(s_t + ε)).

    Reference: Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 2011.
    """
    return scaled_gradient("adagrad", lr, eps, weight_decay, convention, schedule, add_square,
                           KERAS_INITIAL_ACCUMULATOR)


def explain_scaled_step(s: Replay, second_moment_prev: Array, out: ScaledStep, decay: WeightDecay, G: str) -> Array:
    """Write the division step of AdaGrad or RMSprop, after the module has written how s_t accumulates."""
    w = s.w
    s.values.update(second_moment_prev=second_moment_prev, second_moment=out.second_moment)
    acc, g, den = out.second_moment, out.gradient, out.denominator
    terms = []
    if s.convention == "keras":
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \frac{{\eta_t}}{{\sqrt{{s_t + \epsilon}}}}\,{G}_t" + s.decay_row(decay))
        for i in range(2):
            lim, eps = s.limit(den, i)
            terms.append(rf" - {lim}\frac{{{w.n(s.eta)} \cdot {w.o(g[i])}}}{{\sqrt{{{w.n(acc[i])} + {eps}}}}}" if lim else
                         rf" - \frac{{{w.n(s.eta)}}}{{\sqrt{{{w.n(acc[i])} + {eps}}}}} \cdot {w.o(g[i])}")
    else:
        s.rows.append(rf"\theta_t &= \theta_{{t-1}} - \frac{{\eta_t}}{{\sqrt{{s_t}} + \epsilon}}\,{G}_t")
        for i in range(2):
            lim, eps = s.limit(den, i)
            terms.append(rf" - {w.o(s.eta)} \cdot {lim}\frac{{{w.n(g[i])}}}{{\sqrt{{{w.n(acc[i])}}} + {eps}}}" if lim else
                         rf" - \frac{{{w.n(s.eta)}}}{{\sqrt{{{w.n(acc[i])}}} + {eps}}} \cdot {w.o(g[i])}")
    s.values["effective_lr"] = effective_rate(s.eta, den, s.zero_eps)  # NaN where undefined, as recorded
    return s.finish(out.step, terms, decay)


def explain(s: Replay) -> Array:
    decay, prev, w = s.weight_decay(), s.memory["second_moment"], s.w
    out = scaled_step(s.g, s.theta, prev, s.eta, s.hyper["eps"], decay, s.convention, add_square, s.zero_eps)
    G = s.show_gradient(decay, out.gradient)
    s.rows.append(rf"s_t &= s_{{t-1}} + {G}_t^2")
    for i in range(2):
        w.eq(s.sym("s", i), f"{w.o(prev[i])} + {w.sq(out.gradient[i])}", out.second_moment[i])
    return explain_scaled_step(s, prev, out, decay, G)


def _torch_kwargs(h: Mapping[str, float]) -> dict:
    return {"lr": h["lr"], "eps": h["eps"], "weight_decay": h["weight_decay"], "lr_decay": 0.0,
            "initial_accumulator_value": 0.0, "foreach": False}


def _hyper(lr: float, eps: float = 1e-10, weight_decay: float = 0.0) -> dict[str, float]:
    return {"lr": lr, "eps": eps, "weight_decay": weight_decay}


_REFERENCE_SETS = {"default": _hyper(0.1), "large_lr": _hyper(0.5), "weight_decay": _hyper(0.1, weight_decay=0.3),
                   "eps_1e-3": _hyper(0.1, eps=1e-3)}

SPEC = OptimizerSpec(
    name="adagrad", order=4, display_name="AdaGrad", group="adaptive",
    description=Text("Per-coordinate rates from the running sum of squared gradients; they only shrink.",
                     "按坐标的学习率，由梯度平方的累加和决定；只会越来越小。"),
    hyperparameters=(hp.lr(0.01), hp.eps(1e-10), hp.weight_decay()),
    build=adagrad, explain=explain,
    # the step is about lr per coordinate whatever the gradient: a hundredth of the plot keeps the path readable
    tuning=TuningHint(step_cap=0.01),
    torch=TorchCounterpart("Adagrad", _torch_kwargs, {"smooth": _REFERENCE_SETS, "rosenbrock": _REFERENCE_SETS}),
    memory=("second_moment",), internals=("second_moment", "effective_lr"),
    plotted={"second_moment": Text("s: the sum of every squared gradient so far (it only grows)",
                                   "s：迄今所有梯度平方之和（只增不减）")},
    memory_symbols=lambda convention: "s",
)
