r"""Muon: momentum, orthogonalized. On a 2-D position it is normalized momentum.

Muon (MomentUm Orthogonalized by Newton–Schulz) is built for the weight *matrices* of a network:
it keeps a momentum B of the gradients and steps along B's orthogonalization, the matrix U Vᵀ of
B's singular value decomposition B = U S Vᵀ, approximated by five iterations of a quintic
Newton–Schulz polynomial. Every singular value of the step is then about 1, whatever the
gradient's scale.

A position on the plane is not a matrix. Here it is taken as a 1×2 matrix (one row), the shape
torch.optim.Muon requires, and a 1×2 matrix has a single singular value, its length: its
orthogonalization is the unit vector B/|B|. The Newton–Schulz iteration keeps that direction
exactly and only moves the length, to a fixed number ν ≈ 0.70 rather than to 1 (the coefficients
are tuned for speed, not for convergence to 1: the length swings 1, 0.70, 1.11, 0.72, 1.09, 0.70).
So on this plot Muon is normalized momentum: every step has the same length η·ν, along the
momentum. What Muon does to a matrix (equalizing all its singular values) cannot be seen in two
dimensions.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)

# torch.optim.Muon's constants (torch 2.13, ``torch/optim/_muon.py``), taken from Keller Jordan's implementation.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # (a, b, c) of the quintic a X + b (X Xᵀ) X + c (X Xᵀ)² X
NS_STEPS = 5
NS_EPS = 1e-7  # the norm is clamped to at least this before dividing
ROWS, COLUMNS = 1, 2  # the position as a 1×2 matrix: torch scales the lr by √max(1, rows/columns) = 1
LR_ADJUSTMENT = float(np.sqrt(max(1.0, ROWS / COLUMNS)))  # torch's default ("original", Keller's) adjustment


class MuonState(NamedTuple):
    count: int
    momentum_buffer: Array  # B, (runs, 2): the memory of the next step
    orthogonalized: Array  # O_t, (runs, 2): the orthogonalized update of the last step (0 before any)


class MuonStep(NamedTuple):
    momentum_buffer: Array  # B_t = μ B_{t−1} + (1−μ) g_t
    nesterov: Array  # U_t = (1−μ) g_t + μ B_t, the matrix that is orthogonalized
    iterates: tuple[Array, ...]  # X_0 = U_t / max(|U_t|, ε), X_1, …, X_5 = O_t
    orthogonalized: Array  # O_t
    step: Array  # θ_t − θ_{t−1}


def newton_schulz(update: Array) -> tuple[Array, ...]:
    """torch's ``_zeropower_via_newtonschulz`` in float64, for (..., 2) rows: the iterates X_0 … X_5.

    torch, for a matrix X: divide by max(‖X‖_F, ε), then five times G ← X Xᵀ, X ← a X + (b G + c G²) X.
    For a 1×2 row the Gram matrix G = X Xᵀ is the 1×1 number s = x² + y², so each iteration multiplies
    the row by a + b s + c s².
    """
    a, b, c = NS_COEFFICIENTS
    norm = np.sqrt(np.sum(update * update, axis=-1, keepdims=True))
    x = update / np.maximum(norm, NS_EPS)
    iterates = [x]
    for _ in range(NS_STEPS):
        gram = np.sum(x * x, axis=-1, keepdims=True)  # X Xᵀ, (..., 1)
        x = a * x + (b * gram + c * gram * gram) * x
        iterates.append(x)
    return tuple(iterates)


def muon_step(grad: Array, params: Array, momentum_buffer: Array, eta, momentum, decay: WeightDecay) -> MuonStep:
    """One Muon update over (..., 2) rows, in torch's order: momentum, Nesterov blend, orthogonalize, decay, step."""
    buffer = momentum * momentum_buffer + (1.0 - momentum) * grad  # torch: buf.lerp_(g, 1 − μ)
    blended = (1.0 - momentum) * grad + momentum * buffer  # torch: g.lerp(buf, μ), nesterov=True
    iterates = newton_schulz(blended)
    ortho = iterates[-1]
    return MuonStep(buffer, blended, iterates, ortho, decay.step(-(eta * LR_ADJUSTMENT) * ortho, eta, params))


def muon(lr: float | Array = 0.02, beta: float | Array = 0.95, weight_decay: float | Array = 0.0, *,
         convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Muon, as torch.optim.Muon (torch 2.13) with nesterov=True, the position a 1×2 matrix; float64 throughout.

    ::

        input:      η (lr), μ (beta), λ (weight_decay), s (schedule), θ₀ (start), f (objective);
                    (a, b, c) = (3.4445, −4.7750, 2.0315), k = 5 steps, ε = 1e-7 (torch's constants)
        initialize: B₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})                                (a 1×2 row)
            B_t ← μ B_{t−1} + (1−μ) g_t
            U_t ← (1−μ) g_t + μ B_t                          (Nesterov)
            X₀ ← U_t / max(|U_t|, ε)
            for k = 1 … 5:   s_k ← X_{k−1} X_{k−1}ᵀ = |X_{k−1}|²,   X_k ← (a + b s_k + c s_k²) X_{k−1}
            O_t ← X₅
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t √max(1, 1/2) O_t       (√max(1, rows/columns) = 1)
        return θ_t

    The iteration never changes O_t's direction: O_t = ν(|U_t|) U_t/|U_t|, with ν = 0.6964… the length
    five iterations make of a unit row (for |U_t| < ε the start is shorter and ν smaller). So the step is
    η_t·ν along the Nesterov momentum: normalized momentum.

    How this differs from torch.optim.Muon: torch runs the iteration in bfloat16 (8 significant bits),
    which makes its O_t deviate from this float64 one by a few per cent of its length (2.5% measured);
    the float64 port is what is compared at 1e-9 (``tests/reference/make_muon_reference.py`` re-implements torch's
    algorithm with torch ops in float64), and torch.optim.Muon itself is compared at the bfloat16
    tolerance. torch's docstring writes B_t ← μ B_{t−1} + g_t; its code, followed here, takes the
    moving average ``buf.lerp_(g, 1 − μ)``, and the Nesterov blend ``g.lerp(buf, μ)``. The weight decay
    is decoupled (θ shrinks by η_t λ θ_{t−1}) as in torch; torch's default λ = 0.1 is 0 here, as a decay
    on a plane pulls towards the origin rather than towards the surface's minimum; η = 0.02 is Keller
    Jordan's default (torch's 1e-3 would barely move on this plot). nesterov=False, other
    coefficients, step counts and torch's ``adjust_lr_fn="match_rms_adamw"`` are not offered.

    Records ``momentum_buffer`` B_t (the memory of the next step) and ``orthogonalized`` O_t, the step's
    direction at its length ν.

    Reference: K. Jordan et al., "Muon: An optimizer for hidden layers in neural networks", 2024,
    https://kellerjordan.github.io/posts/muon/; torch.optim.Muon (torch 2.13).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    mu = per_run(beta, "beta")
    decay = WeightDecay.of(weight_decay, convention, decoupled=True)

    def init(params: Array) -> MuonState:
        return MuonState(0, zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = muon_step(grad, params, state.momentum_buffer, rate.at(count), mu, decay)
        return out.step, MuonState(count, out.momentum_buffer, out.orthogonalized)

    def internals(s: MuonState) -> dict[str, Array]:
        return {"momentum_buffer": s.momentum_buffer, "orthogonalized": s.orthogonalized}

    return Optimizer("muon", init, update, internals,
                     dict(lr=lr, beta=beta, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, beta, weight_decay))


def explain(s: Replay) -> Array:
    mu, w = s.hyper["beta"], s.w
    a, b, c = NS_COEFFICIENTS
    decay = s.weight_decay(decoupled=True)
    b_prev = s.memory["momentum_buffer"]
    out = muon_step(s.g, s.theta, b_prev, s.eta, mu, decay)
    u = out.nesterov
    lengths = [float(np.sqrt(np.sum(x * x))) for x in out.iterates]  # |X_k|: the only thing the iteration changes
    s.rows += [r"B_t &= \mu B_{t-1} + (1-\mu)\,g_t",
               r"U_t &= (1-\mu)\,g_t + \mu B_t",
               r"n_0 &= \frac{|U_t|}{\max(|U_t|, \epsilon)} = 1 \ (|U_t| \ge \epsilon), \quad "
               r"n_k = n_{k-1}\left(a + b\,n_{k-1}^2 + c\,n_{k-1}^4\right), \ k = 1, \dots, 5",
               r"O_t &= n_5\,\frac{U_t}{|U_t|}",
               r"\theta_t &= \theta_{t-1} - \eta_t\,O_t" + s.decay_row(decay)]
    for i in range(2):
        w.eq(s.sym("B", i), rf"{w.o(mu)} \cdot {w.o(b_prev[i])} + \left(1 - {w.n(mu)}\right) \cdot {w.o(s.g[i])}",
             out.momentum_buffer[i])
    for i in range(2):
        w.eq(s.sym("U", i), rf"\left(1 - {w.n(mu)}\right) \cdot {w.o(s.g[i])} + {w.o(mu)} \cdot "
                            rf"{w.o(out.momentum_buffer[i])}", u[i])
    size = float(np.sqrt(np.sum(u * u)))
    w.eq(r"|U_t|", rf"\sqrt{{{w.sq(u[0])} + {w.sq(u[1])}}}", size)
    for k in range(1, len(lengths)):
        n = w.o(lengths[k - 1])
        w.eq(f"n_{k}", rf"{n} \cdot \left({w.n(a)} + {w.o(b)} \cdot {n}^{{2}} + {w.o(c)} \cdot {n}^{{4}}\right)",
             lengths[k])
    for i in range(2):  # U_t = 0 (no gradient, no memory) leaves O_t = 0: there is no direction to write
        w.eq(s.sym("O", i), rf"{w.o(lengths[-1])} \cdot \frac{{{w.n(u[i])}}}{{{w.n(size)}}}" if size > 0 else None,
             out.orthogonalized[i])
    s.values.update(momentum_buffer_prev=b_prev, momentum_buffer=out.momentum_buffer, nesterov=u,
                    orthogonalized=out.orthogonalized, lengths=lengths)
    terms = [f" - {w.o(s.eta)} \\cdot {w.o(out.orthogonalized[i])}" for i in range(2)]
    return s.finish(out.step, terms, decay)


SPEC = OptimizerSpec(
    name="muon", order=23, display_name="Muon", group="sign",
    description=Text("Orthogonalized momentum (torch.optim.Muon). The position is a 1×2 matrix, whose "
                     "orthogonalization is its direction: here Muon is normalized momentum, every step of "
                     "length ≈ 0.70 η.",
                     "正交化动量（torch.optim.Muon）。位置被当作 1×2 矩阵，其正交化就是它的方向："
                     "因此在这里 Muon 就是归一化动量，每步长度约为 0.70 η。"),
    hyperparameters=(
        hp.lr(0.02),
        hp.beta(0.95, Text("μ: the momentum's memory; the step follows (1−μ)g + μB (Nesterov)",
                           "μ：动量的记忆；步长方向取 (1−μ)g + μB（Nesterov）")),
        hp.weight_decay(0.0, Text("decoupled weight decay λ", "解耦权重衰减 λ"))),
    build=muon, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # every step has the same length, about 0.70 η
    torch=None,
    no_torch="torch.optim.Muon exists but orthogonalizes in bfloat16 and takes only 2-D matrices, so it is not a "
             "float64 counterpart; tests/reference/thirdparty/muon.json holds a float64 re-implementation of its "
             "algorithm (compared at 1e-9) and torch.optim.Muon's own runs (compared at the bfloat16 tolerance).",
    conventions=CONVENTIONS,
    memory=("momentum_buffer",), internals=("momentum_buffer", "orthogonalized"),
    memory_symbols=lambda convention: "B",
    explain_note=Text("The position is treated as a 1×2 matrix. Orthogonalizing a single row only rescales it, so "
                      "O_t points along U_t and the Newton–Schulz iteration sets its length n_5 ≈ 0.70: Muon is "
                      "normalized momentum here.",
                      "位置被当作 1×2 矩阵。对单行矩阵做正交化只会改变它的长度，所以 O_t 与 U_t 同向，"
                      "Newton–Schulz 迭代把长度变为 n_5 ≈ 0.70：在这里 Muon 就是归一化动量。"),
    plotted={"orthogonalized": Text("O: the orthogonalized update, the momentum's direction at length ≈ 0.70",
                                    "O：正交化更新，即动量的方向，长度约 0.70"),
             "momentum_buffer": Text("B: the momentum carried to the next step", "B：带到下一步的动量")},
)
