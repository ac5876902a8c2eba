r"""Heavy-ball momentum: a velocity that accumulates past gradients, and the step follows the velocity.

The heavy-ball core (:func:`heavy_ball_step`, :func:`heavy_ball`, :func:`explain_velocity`) is
shared with Nesterov momentum (``optviz.optimizers.nesterov``), which differs only in the step
it takes from the velocity.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TorchCounterpart, TuningHint, WeightDecay,
                                    check_convention, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule


class MomentumState(NamedTuple):
    count: int
    velocity: Array  # (runs, 2): v_t, or Keras's m_t (in parameter units, pointing downhill)


class HeavyBallStep(NamedTuple):
    gradient: Array  # what the velocity took in: g̃_t (pytorch, textbook) or g_t (keras)
    velocity: Array  # v_t, or Keras's m_t
    step: Array  # θ_t − θ_{t−1}


def heavy_ball_step(grad: Array, params: Array, velocity: Array, eta, beta, decay: WeightDecay, convention: str,
                    lookahead: bool) -> HeavyBallStep:
    """One update of momentum (``lookahead=False``) or Nesterov, for arrays of any matching shape."""
    g = decay.gradient(grad, params)
    if convention == "keras":
        m = beta * velocity - eta * g
        step = beta * m - eta * g if lookahead else m
        return HeavyBallStep(g, m, decay.step(step, eta, params))
    dampening = 1.0 - beta if convention == "textbook" else 1.0  # the textbook velocity is an EMA of gradients
    v = beta * velocity + dampening * g
    direction = dampening * g + beta * v if lookahead else v
    return HeavyBallStep(g, v, decay.step(-eta * direction, eta, params))


def recorded_velocity(velocity: Array, convention: str) -> Array:
    """The velocity as recorded, pointing uphill like the gradient: Keras's buffer m is recorded as −m.

    Its own inverse: it also turns a recorded velocity back into the state's.
    """
    return -velocity if convention == "keras" else velocity


def heavy_ball(name: str, lookahead: bool, lr, beta, weight_decay, convention: str,
               schedule: Schedule | None) -> Optimizer:
    convention = check_convention(convention)
    rate, b = learning_rate(lr, schedule), per_run(beta, "beta")
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> MomentumState:
        return MomentumState(0, zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = heavy_ball_step(grad, params, state.velocity, rate.at(count), b, decay, convention, lookahead)
        return out.step, MomentumState(count, out.velocity)

    def internals(state: MomentumState) -> dict:
        return {"velocity": recorded_velocity(state.velocity, convention)}

    return Optimizer(name, init, update, internals,
                     dict(lr=lr, beta=beta, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta, weight_decay))


def momentum(lr: float | Array = 0.01, beta: float | Array = 0.9, weight_decay: float | Array = 0.0, *,
             convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Heavy-ball momentum; torch.optim.SGD(momentum=β, dampening=0, nesterov=False).

    ::

        input:      η (lr), β (beta), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: v₀ ← 0  (keras: m₀ ← 0)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            pytorch, textbook:
                g̃_t ← g_t + λθ_{t−1}
                v_t ← β v_{t−1} + g̃_t                 textbook: v_t ← β v_{t−1} + (1−β) g̃_t
                θ_t ← θ_{t−1} − η_t v_t
            keras:
                m_t ← β m_{t−1} − η_t g_t
                θ_t ← θ_{t−1} − η_t λ θ_{t−1} + m_t
        return θ_t

    How frameworks differ: PyTorch's first step sets ``buf = g``, the same as β·0 + g. The
    textbook (course-notes) velocity is an EMA of gradients, so for the same β its steps are
    about 1−β times PyTorch's. Keras keeps the velocity in parameter units (the lr is inside
    it), which equals PyTorch's form when the lr is constant, and decays weights decoupled.
    The recorded ``velocity`` always points uphill like the gradient: Keras's m is recorded as −m.

    Reference: Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    """
    return heavy_ball("momentum", False, lr, beta, weight_decay, convention, schedule)


def damped_symbol(s: Replay) -> str:
    return r"(1-\beta)\," if s.convention == "textbook" else ""


def damped(s: Replay, gradient: float) -> str:
    """The gradient as the velocity takes it in: times (1 − β) in the textbook form."""
    if s.convention == "textbook":
        return rf"\left(1 - {s.w.n(s.hyper['beta'])}\right) \cdot {s.w.o(gradient)}"
    return s.w.o(gradient)


def explain_velocity(s: Replay, lookahead: bool) -> tuple[HeavyBallStep, WeightDecay, str]:
    """Replay a heavy-ball update and write its velocity line; returns it, its decay and the gradient's symbol."""
    b, w, keras = s.hyper["beta"], s.w, s.convention == "keras"
    decay = s.weight_decay()
    prev = recorded_velocity(s.memory["velocity"], s.convention)
    out = heavy_ball_step(s.g, s.theta, prev, s.eta, b, decay, s.convention, lookahead)
    G = s.show_gradient(decay, out.gradient)
    if keras:
        s.rows.append(r"m_t &= \beta\,m_{t-1} - \eta_t\,g_t")
        for i in range(2):
            w.eq(s.sym("m", i), f"{w.o(b)} \\cdot {w.o(prev[i])} - {w.o(s.eta)} \\cdot {w.o(s.g[i])}", out.velocity[i])
    else:
        s.rows.append(rf"v_t &= \beta\,v_{{t-1}} + {damped_symbol(s)}{G}_t")
        for i in range(2):
            w.eq(s.sym("v", i), f"{w.o(b)} \\cdot {w.o(prev[i])} + {damped(s, out.gradient[i])}", out.velocity[i])
    s.values.update(velocity_prev=prev, velocity=out.velocity)
    return out, decay, G


def explain(s: Replay) -> Array:
    out, decay, _ = explain_velocity(s, lookahead=False)
    w = s.w
    if s.convention == "keras":
        s.rows.append(r"\theta_t &= \theta_{t-1} + m_t" + s.decay_row(decay))
        terms = [f" + {w.o(out.velocity[i])}" for i in range(2)]
    else:
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,v_t")
        terms = [f" - {w.o(s.eta)} \\cdot {w.o(out.velocity[i])}" for i in range(2)]
    return s.finish(out.step, terms, decay)


def heavy_ball_torch_kwargs(nesterov: bool) -> Callable[[Mapping[str, float]], dict]:
    def kwargs(h: Mapping[str, float]) -> dict:
        return {"lr": h["lr"], "weight_decay": h["weight_decay"], "foreach": False, "momentum": h["beta"],
                "dampening": 0.0, "nesterov": nesterov}
    return kwargs


def _hyper(lr: float, weight_decay: float = 0.0, beta: float = 0.9) -> dict[str, float]:
    return {"lr": lr, "weight_decay": weight_decay, "beta": beta}


# Rosenbrock's curvature (~1000) needs far smaller rates than the smooth surfaces.
HEAVY_BALL_REFERENCE_SETS = {
    "smooth": {"default": _hyper(0.05), "large_lr": _hyper(0.15), "weight_decay": _hyper(0.05, 0.2),
               "beta_0.5": _hyper(0.1, beta=0.5)},
    "rosenbrock": {"default": _hyper(1e-3), "large_lr": _hyper(1.4e-3), "weight_decay": _hyper(1e-3, 0.5),
                   "beta_0.5": _hyper(1e-3, beta=0.5)},
}

SPEC = OptimizerSpec(
    name="momentum", order=2, display_name="Momentum", group="classic",
    description=Text("Heavy-ball momentum: a velocity that accumulates past gradients.",
                     "重球动量：用速度累积过去的梯度。"),
    hyperparameters=(hp.lr(0.01), hp.beta(0.9, Text("momentum coefficient β", "动量系数 β")), hp.weight_decay()),
    build=momentum, explain=explain,
    tuning=TuningHint(),
    torch=TorchCounterpart("SGD", heavy_ball_torch_kwargs(nesterov=False), HEAVY_BALL_REFERENCE_SETS),
    memory=("velocity",), internals=("velocity",),
    plotted={"velocity": Text("velocity: the momentum carried to the next step", "速度：带到下一步的动量")},
    memory_symbols=lambda convention: "m" if convention == "keras" else "v",
)
