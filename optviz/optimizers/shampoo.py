r"""Shampoo on a 2-vector: full-matrix AdaGrad, the preconditioner (εI + Σ g gᵀ)^{−1/2}.

Shampoo keeps, for every dimension of a weight tensor, a matrix of summed gradient outer products,
and preconditions the gradient with their inverse roots. A position on the plane is a vector, a
tensor of one dimension, so it has one such matrix: the 2×2 sum P = εI + Σ g gᵀ of every gradient's
outer product, and the step is −η P^{−1/2} g. That is AdaGrad with the full matrix instead of its
diagonal. The diagonal AdaGrad rescales x and y separately; the full matrix also learns the
*directions* along which the gradients have been large, so it turns a valley that runs diagonally
into a round one as well as one that runs along an axis: its path rotates with the surface.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Optimizer, OptimizerSpec, Text, TuningHint, WeightDecay, check_convention,
                                    learning_rate, per_run, runs_of)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)


class ShampooState(NamedTuple):
    count: int
    statistics: Array  # P, (runs, 2, 2): εI plus the sum of every gradient's outer product
    preconditioner_eigenvalues: Array  # (runs, 2): P^{−1/2}'s eigenvalues, largest first (1/√λ_min, 1/√λ_max)


class InverseRoot(NamedTuple):
    matrix: Array  # P^{−1/2}, (..., 2, 2); on a singular P, the limit ε → 0⁺ (see inverse_root)
    determinant: Array  # D = P_xx P_yy − P_xy², (...,)
    singular: Array  # (...,) bool: D ≤ 0, P has rank 1 (or 0) to working precision
    statistics_eigenvalues: Array  # (..., 2): P's, λ1 = (P_xx + P_yy)/2 + √(((P_xx − P_yy)/2)² + P_xy²), λ2 = D/λ1
    eigenvalues: Array  # (..., 2): P^{−1/2}'s, 1/√λ2 and 1/√λ1, largest first; NaN where λ2 = 0


class ShampooStep(NamedTuple):
    gradient: Array  # g̃_t = g_t + λθ_{t−1}
    statistics: Array  # P_t, (..., 2, 2)
    root: InverseRoot
    step: Array  # θ_t − θ_{t−1}


def inverse_root(p: Array) -> InverseRoot:
    """P^{−1/2} of symmetric positive semidefinite (..., 2, 2) matrices, written out.

    For 2×2 P, √P = (P + sI)/τ with s = √det P and τ = √(tr P + 2s), so
    P^{−1/2} = (adj P + sI)/(s τ), adj P = [[P_yy, −P_xy], [−P_xy, P_xx]]. Where D ≤ 0 (ε = 0 and every
    gradient so far along one line) P = λ v vᵀ has rank one, λ = tr P, and P^{−1/2} g has the finite
    limit P g/λ^{3/2} as ε → 0⁺ (every gradient lies along v); where P = 0 (no gradient yet) it is 0.
    """
    a, b, c = p[..., 0, 0], p[..., 0, 1], p[..., 1, 1]
    det = a * c - b * b
    singular = det <= 0
    s = np.sqrt(np.where(singular, 1.0, det))
    tau = np.sqrt(a + c + 2 * s)
    regular = np.stack([np.stack([c + s, -b], axis=-1), np.stack([-b, a + s], axis=-1)], axis=-2) / (s * tau)[
        ..., None, None]
    trace = a + c
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = np.where((trace > 0)[..., None, None], p / np.where(trace > 0, trace, 1.0)[..., None, None] ** 1.5, 0.0)
    matrix = np.where(singular[..., None, None], limit, regular)
    mean, radius = (a + c) / 2, np.hypot((a - c) / 2, b)
    largest = mean + radius
    with np.errstate(divide="ignore", invalid="ignore"):
        # λ2 = D/λ1, not mean − radius, which would cancel to nothing when λ2 ≪ λ1
        smallest = np.where(singular, 0.0, det / np.where(largest > 0, largest, 1.0))
        eigenvalues = np.stack([np.where(singular, np.nan, 1 / np.sqrt(smallest)),
                                np.where(largest > 0, 1 / np.sqrt(np.where(largest > 0, largest, 1.0)), np.nan)],
                               axis=-1)
    return InverseRoot(matrix, det, singular, np.stack([largest, smallest], axis=-1), eigenvalues)


def outer(g: Array) -> Array:
    return g[..., :, None] * g[..., None, :]  # g gᵀ, (..., 2, 2)


def shampoo_step(grad: Array, params: Array, statistics: Array, eta, decay: WeightDecay) -> ShampooStep:
    """One Shampoo update of (..., 2) vectors with (..., 2, 2) statistics, in pytorch_optimizer's order."""
    g = decay.gradient(grad, params)
    p = statistics + outer(g)
    root = inverse_root(p)
    direction = np.einsum("...ij,...j->...i", root.matrix, g)
    return ShampooStep(g, p, root, -eta * direction)


def shampoo(lr: float | Array = 0.1, eps: float | Array = 1e-6, weight_decay: float | Array = 0.0, *,
            convention: str = "pytorch", schedule: Schedule | None = None) -> Optimizer:
    r"""Shampoo of a vector, which is full-matrix AdaGrad; as kozistr's ``pytorch_optimizer.Shampoo`` 4.1.0.

    ::

        input:      η (lr), ε (eps), λ (weight_decay), s (schedule), θ₀ (start), f (objective)
        initialize: P₀ ← εI                                     (2×2)
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            g̃_t ← g_t + λ θ_{t−1}
            P_t ← P_{t−1} + g̃_t g̃_tᵀ
            θ_t ← θ_{t−1} − η_t P_t^{−1/2} g̃_t
        return θ_t

    with, for the 2×2 P_t, D = P_xx P_yy − P_xy², s = √D, τ = √(P_xx + P_yy + 2s) and
    P^{−1/2} = [[P_yy + s, −P_xy], [−P_xy, P_xx + s]] / (s τ).

    The reference treats a 1-D parameter faithfully: ``pytorch_optimizer.Shampoo`` keeps one statistic
    per tensor dimension, starting at ``matrix_eps``·I, so a 2-vector gets exactly P above, and takes its
    inverse root with the exponent −1/(2·order) = −1/2 (by SVD). The variant is its defaults:
    ``momentum=0`` (its momentum, which blends the new gradient with the last *preconditioned* step, is
    not offered), ``weight_decouple=False`` (L2: g̃ = g + λθ enters both P and the step),
    ``preconditioning_compute_steps=1`` (the root is recomputed every step; with more, its first steps
    would use a zero preconditioner). ``matrix_eps`` is ε. torch.optim has no Shampoo (torch 2.13);
    Google's distributed Shampoo (and pytorch_optimizer's ScalableShampoo) add grafting, blocking and
    exponent overrides, none of which act on this plain form.

    ε = 0 makes P₁ = g̃₁g̃₁ᵀ singular: the reference's root is then 1/0; here the step takes its limit
    as ε → 0⁺, finite because every gradient lies in P's range (P g/(tr P)^{3/2} while P has rank one).

    Records the statistics ``statistics`` (P_xx, P_yy) and ``statistics_xy`` (P_xy, on both columns),
    the memory of the next step, and P^{−1/2}'s two eigenvalues, one number per run each (on both
    columns): ``eigenvalue_across`` 1/√λ2, the learning-rate factor across the direction the gradients
    have taken most (NaN where P has a zero eigenvalue), and ``eigenvalue_along`` 1/√λ1, the factor
    along it.

    Reference: Gupta, Koren & Singer, "Shampoo: Preconditioned Stochastic Tensor Optimization",
    ICML 2018 (for order 1, Duchi, Hazan & Singer's full-matrix AdaGrad, JMLR 2011);
    https://github.com/kozistr/pytorch_optimizer (package ``pytorch-optimizer``).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    e = np.asarray(per_run(eps, "eps"))[..., None]  # (runs, 1, 1) or a scalar: ε I broadcasts over (runs, 2, 2)
    decay = WeightDecay.of(weight_decay, convention)

    def init(params: Array) -> ShampooState:
        statistics = np.broadcast_to(e * np.eye(2), (len(params), 2, 2)).copy()
        return ShampooState(0, statistics, inverse_root(statistics).eigenvalues)

    def update(grad, state, params, hessian=None):
        count = state.count + 1
        out = shampoo_step(grad, params, state.statistics, rate.at(count), decay)
        return out.step, ShampooState(count, out.statistics, out.root.eigenvalues)

    def internals(s: ShampooState) -> dict[str, Array]:
        return {"statistics": np.stack([s.statistics[:, 0, 0], s.statistics[:, 1, 1]], axis=-1),
                "statistics_xy": np.repeat(s.statistics[:, 0, 1:2], 2, axis=-1),
                "eigenvalue_across": np.repeat(s.preconditioner_eigenvalues[:, :1], 2, axis=-1),
                "eigenvalue_along": np.repeat(s.preconditioner_eigenvalues[:, 1:], 2, axis=-1)}

    return Optimizer("shampoo", init, update, internals,
                     dict(lr=lr, eps=eps, weight_decay=weight_decay, convention=convention, schedule=schedule),
                     runs_of(lr, eps, weight_decay))


def statistics_of(memory: Mapping[str, Array]) -> Array:
    """P as a (2, 2) matrix, from the recorded (P_xx, P_yy) and (P_xy, P_xy)."""
    (pxx, pyy), pxy = memory["statistics"], memory["statistics_xy"][0]
    return np.array([[pxx, pxy], [pxy, pyy]])


def explain(s: Replay) -> Array:
    w = s.w
    decay = s.weight_decay()
    p_prev = statistics_of(s.memory)
    out = shampoo_step(s.g, s.theta, p_prev, s.eta, decay)
    g, p, root = out.gradient, out.statistics, out.root
    G = s.show_gradient(decay, g)
    s.rows.append(rf"P_t &= P_{{t-1}} + {G}_t {G}_t^\top")
    t = s.t
    for lhs, (i, j) in ((f"P_{{xx,{t}}}", (0, 0)), (f"P_{{xy,{t}}}", (0, 1)), (f"P_{{yy,{t}}}", (1, 1))):
        w.eq(lhs, rf"{w.n(p_prev[i, j])} + {w.o(g[i])} \cdot {w.o(g[j])}", p[i, j])
    s.values.update(statistics_prev=p_prev, statistics=p, gradient=g,
                    preconditioner_eigenvalues=root.eigenvalues, singular=bool(root.singular))
    if root.singular:  # ε = 0, every gradient on one line: the limit ε → 0⁺
        trace = p[0, 0] + p[1, 1]
        s.rows.append(r"\theta_t &= \theta_{t-1} - \eta_t\,\frac{P_t\," + G + r"_t}{(P_{xx} + P_{yy})^{3/2}}"
                      r" \quad (D = 0:\ \lim_{\epsilon \to 0^{+}})")
        terms = [rf" - \frac{{{w.n(s.eta)}}}{{\left({w.n(p[0, 0])} + {w.n(p[1, 1])}\right)^{{3/2}}}} \cdot \left("
                 rf"{w.o(p[i, i])} \cdot {w.o(g[i])} + {w.o(p[0, 1])} \cdot {w.o(g[1 - i])}\right)" for i in range(2)]
        s.values["trace"] = trace
        return s.finish(out.step, terms)
    # Written through P's eigenvectors v1, v2 (eigenvalues λ1 ≥ λ2), P^{−1/2} g̃ = Σ (v_i·g̃/√λ_i) v_i: each number
    # shown then carries its own precision. P^{−1/2}'s own entries can be ~1/√λ2 while P^{−1/2} g̃ is ~1/√λ1,
    # and six digits of them would not recompute the step.
    a, b, c = p[0, 0], p[0, 1], p[1, 1]
    det = float(root.determinant)
    big, small = (float(v) for v in root.statistics_eigenvalues)
    leg = (big - c, b) if a >= c else (b, big - a)  # both entries of the larger form are sums of non-negatives
    length = float(np.hypot(*leg))
    v1 = np.array(leg) / length if length > 0 else np.array([1.0, 0.0])  # P = εI: every direction is one
    v2 = np.array([-v1[1], v1[0]])
    proj = np.array([v1 @ g, v2 @ g])
    s.rows += [r"D &= P_{xx} P_{yy} - P_{xy}^2, \quad \lambda_1 = \frac{P_{xx} + P_{yy}}{2} + "
               r"\sqrt{\left(\frac{P_{xx} - P_{yy}}{2}\right)^2 + P_{xy}^2}, \quad \lambda_2 = \frac{D}{\lambda_1}",
               (r"v_1 &= \frac{(\lambda_1 - P_{yy},\ P_{xy})}{|\cdot|}" if a >= c else
                r"v_1 &= \frac{(P_{xy},\ \lambda_1 - P_{xx})}{|\cdot|}") + r", \quad v_2 = (-v_{1,y},\ v_{1,x})",
               rf"c_i &= v_i \cdot {G}_t",
               r"\theta_t &= \theta_{t-1} - \eta_t\left(\frac{c_1}{\sqrt{\lambda_1}}\,v_1 + "
               r"\frac{c_2}{\sqrt{\lambda_2}}\,v_2\right)"]
    w.eq("D", rf"{w.o(a)} \cdot {w.o(c)} - {w.sq(b)}", det)
    half_gap = rf"\left(\frac{{{w.n(a)} - {w.n(c)}}}{{2}}\right)^{{2}}"
    w.eq(r"\lambda_1", rf"\frac{{{w.n(a)} + {w.n(c)}}}{{2}} + \sqrt{{{half_gap} + {w.sq(b)}}}", big)
    w.eq(r"\lambda_2", rf"\frac{{{w.n(det)}}}{{{w.n(big)}}}", small)
    if length > 0:
        top = [rf"{w.n(big)} - {w.o(c)}", w.n(b)] if a >= c else [w.n(b), rf"{w.n(big)} - {w.o(a)}"]
        norm = rf"\sqrt{{\left({top[0]}\right)^{{2}} + \left({top[1]}\right)^{{2}}}}"
        for i, axis in enumerate("xy"):
            w.eq(rf"v_{{1,{axis}}}", rf"\frac{{{top[i]}}}{{{norm}}}", v1[i])
    else:
        for i, axis in enumerate("xy"):
            w.eq(rf"v_{{1,{axis}}}", None, v1[i])
    w.eq("c_1", rf"{w.o(v1[0])} \cdot {w.o(g[0])} + {w.o(v1[1])} \cdot {w.o(g[1])}", proj[0])
    w.eq("c_2", rf"{w.o(v2[0])} \cdot {w.o(g[0])} + {w.o(v2[1])} \cdot {w.o(g[1])}", proj[1])
    s.values.update(determinant=det, eigenvalues=np.array([big, small]), eigenvector=v1, projections=proj)
    terms = [rf" - {w.o(s.eta)} \cdot \left(\frac{{{w.n(proj[0])}}}{{\sqrt{{{w.n(big)}}}}} \cdot {w.o(v1[i])} + "
             rf"\frac{{{w.n(proj[1])}}}{{\sqrt{{{w.n(small)}}}}} \cdot {w.o(v2[i])}\right)" for i in range(2)]
    return s.finish(out.step, terms)


SPEC = OptimizerSpec(
    name="shampoo", order=26, display_name="Shampoo", group="second_order",
    description=Text("Shampoo of a vector: full-matrix AdaGrad, the gradient times (εI + Σ g gᵀ)^(−1/2). "
                     "It learns directions, not just axes, so its path turns with the surface.",
                     "向量上的 Shampoo 即全矩阵 AdaGrad：梯度乘以 (εI + Σ g gᵀ)^(−1/2)。"
                     "它学习的是方向而不仅是坐标轴，所以曲面旋转时它的路径随之旋转。"),
    hyperparameters=(
        hp.lr(0.1),
        dataclasses.replace(hp.eps(1e-6), help=Text("ε: the statistics start as εI, so the inverse root is finite",
                                                     "ε：统计矩阵从 εI 开始，使逆平方根有限")),
        hp.weight_decay(0.0, Text("L2 weight decay λ: g + λθ enters the statistics and the step",
                                  "L2 权重衰减 λ：g + λθ 同时进入统计矩阵和步长"))),
    build=shampoo, explain=explain,
    tuning=TuningHint(step_cap=0.01),  # the first step is η·g/|g|: length η whatever the gradient
    torch=None,
    no_torch="torch.optim has no Shampoo; the reference is kozistr's pytorch-optimizer Shampoo "
             "(tests/reference/thirdparty/shampoo.json).",
    conventions=CONVENTIONS,
    memory=("statistics", "statistics_xy"), internals=("statistics", "statistics_xy", "eigenvalue_across",
                                                       "eigenvalue_along"),
    memory_symbols=lambda convention: "P",
    explain_note=Text("P is one 2×2 matrix: it sums g gᵀ, so it also remembers which directions the gradients "
                      "took, and P^(−1/2) shrinks the step most along them.",
                      "P 是一个 2×2 矩阵：它累加 g gᵀ，因此也记住了梯度走过的方向，P^(−1/2) 沿这些方向把步长缩得最多。"),
    plotted={"eigenvalue_across": Text("1/√λ2, P^(−1/2)'s larger eigenvalue: the step factor across the direction "
                                       "the gradients took most", "1/√λ2，P^(−1/2) 的较大特征值：垂直于梯度最常经过方向的步长因子"),
             "eigenvalue_along": Text("1/√λ1, P^(−1/2)'s smaller eigenvalue: the step factor along the direction the "
                                      "gradients took most", "1/√λ1，P^(−1/2) 的较小特征值：沿梯度最常经过方向的步长因子")},
)
