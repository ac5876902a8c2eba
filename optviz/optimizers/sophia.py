r"""Sophia: momentum divided by a running estimate of the Hessian's diagonal, then clipped.

Sophia (Second-order Clipped Stochastic Optimization) divides the momentum m by h, a slowly
refreshed moving average of the Hessian's diagonal, which is a diagonal Newton step, and clips
every coordinate of the result to ±ρ. Where the curvature is large and positive the step is
Newton-like and small; where it is tiny, negative or unknown, the quotient is huge and the clip
turns the step into a sign step of size ηρ. The clip is what makes a Newton-like step safe on a
surface that is not convex: at a saddle the negative curvature would send Newton uphill, here it
only saturates the clip.

The curvature estimate is refreshed only every k steps (k = ``update_period``), as in the paper, so
between refreshes Sophia steers by curvature measured a while ago. OptViz uses the surface's exact
Hessian diagonal by default; ``hutchinson_samples`` = n ≥ 1 replaces it by Hutchinson's random
estimate, the mean of z ⊙ (H z) over n Gaussian probes z, seeded per run by ``probe_seed``.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, WeightDecay,
                                    check_convention, learning_rate, per_run, runs_of, zeros_like_runs)
from optviz.optimizers.explaining import Replay
from optviz.optimizers.noise import standard_normal
from optviz.schedules import Schedule

CONVENTIONS = ("pytorch",)
# Probe j of step t is standard_normal(seed, t·PROBE_STRIDE + j): counters no two (t, j) share, and none below
# PROBE_STRIDE, so a run's gradient noise (counters 1, 2, …, from the same generator) never reuses a probe's draw.
PROBE_STRIDE = 1 << 20

CLIP_BOUND = Hyper("clip_bound", 0.05, 0.0, 10.0, (0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 10.0),
                   "clipb", Text("clip bound ρ", "裁剪界 ρ"),
                   Text("ρ: no coordinate of m/h may exceed it, so no step exceeds η·ρ",
                        "ρ：m/h 的每个坐标不得超过它，因此每步不超过 η·ρ"),
                   Sweep(0.001, 1.0, True), log=True, low_open=True)
UPDATE_PERIOD = Hyper("update_period", 10.0, 1.0, 1000.0, (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0), "hper",
                      Text("curvature refresh period k", "曲率刷新周期 k"),
                      Text("k: the Hessian estimate enters h at steps 1, k+1, 2k+1, …",
                           "k：Hessian 估计只在第 1、k+1、2k+1 … 步进入 h"),
                      Sweep(1.0, 100.0, True), log=True)
HUTCHINSON_SAMPLES = Hyper("hutchinson_samples", 0.0, 0.0, 100.0, (0.0, 1.0, 2.0, 5.0, 10.0, 100.0), "hsamp",
                           Text("Hutchinson probes n (0: exact)", "Hutchinson 探针数 n（0：精确）"),
                           Text("n: 0 takes the exact Hessian diagonal; n ≥ 1 the mean of z ⊙ Hz over n Gaussian "
                                "probes z", "n：0 取精确的 Hessian 对角线；n ≥ 1 取 n 个高斯探针 z 上 z ⊙ Hz 的平均"),
                           Sweep(0.0, 10.0, False))
PROBE_SEED = Hyper("probe_seed", 0.0, 0.0, 1e9, (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), "pseed",
                   Text("probe seed", "探针种子"),
                   Text("the seed of this run's Hutchinson probes (same seed, same probes)",
                        "本次运行 Hutchinson 探针的种子（种子相同，探针相同）"),
                   Sweep(0.0, 9.0, False))


class SophiaState(NamedTuple):
    count: int
    first_moment: Array  # m, (runs, 2)
    hessian_moment: Array  # h, (runs, 2): the moving average of the Hessian-diagonal estimates
    update_fraction: Array  # u_t/ρ, (runs, 2): ±1 where the last step was clipped (0 before any)


class SophiaStep(NamedTuple):
    refreshed: Array  # (..., 1) bool: this step's estimate entered h ((t − 1) mod k = 0)
    estimate: Array  # ĥ_t: the Hessian-diagonal estimate at θ_{t−1} (used only where refreshed)
    hessian_moment: Array  # h_t
    first_moment: Array  # m_t
    ratio: Array  # m_t / max(h_t, ε), before the clip
    update: Array  # u_t = clip(ratio, −ρ, ρ)
    step: Array  # θ_t − θ_{t−1}


def integers(value, name: str, low: int) -> Array:
    """A count or a seed, as a scalar or one per run: a fraction (a sweep's axis passes them) is rounded down.

    Anything that is not a finite number at least ``low`` once rounded down is a ValueError naming it.
    """
    arr = np.floor(np.asarray(value, dtype=float))
    if arr.ndim > 1 or not np.all(np.isfinite(arr)) or np.any(arr < low):
        raise ValueError(f"{name} must be a number ≥ {low} or an array of them (got {value!r})")
    return arr.astype(np.int64)


def hutchinson(hessian: Array, seeds: Array, count: int, samples: Array) -> Array:
    """Mean of z ⊙ (H z) over ``samples`` Gaussian probes per run (``samples``, ``seeds``: (runs,)); 0 where none."""
    total = np.zeros(hessian.shape[:-1])
    for j in range(int(samples.max(initial=0))):
        z = standard_normal(seeds, count * PROBE_STRIDE + j)  # (runs, 2)
        total += np.where((j < samples)[:, None], z * np.einsum("...ij,...j->...i", hessian, z), 0.0)
    return total / np.maximum(samples, 1)[:, None]


def hessian_estimate(hessian: Array, seeds: Array, count: int, samples: Array) -> Array:
    """ĥ_t, (runs, 2): the exact diagonal where ``samples`` is 0, Hutchinson's estimate where it is n ≥ 1."""
    exact = np.diagonal(hessian, axis1=-2, axis2=-1)
    if not np.any(samples > 0):
        return exact
    return np.where((samples > 0)[:, None], hutchinson(hessian, seeds, count, samples), exact)


def sophia_step(grad: Array, params: Array, first_moment: Array, hessian_moment: Array, estimate: Array,
                refreshed: Array, eta, beta1, beta2, clip_bound, eps, decay: WeightDecay) -> SophiaStep:
    """One Sophia update over (..., 2) arrays, in pytorch_optimizer's SophiaH order."""
    m = beta1 * first_moment + (1.0 - beta1) * grad
    h = np.where(refreshed, beta2 * hessian_moment + (1.0 - beta2) * estimate, hessian_moment)
    denominator = np.maximum(h, eps)
    with np.errstate(divide="ignore", invalid="ignore"):  # only ε = 0 with h ≤ 0 leaves a zero denominator
        # there m/ε → ±∞ as ε → 0⁺ (0 where m = 0), so the clip takes the step to ±ρ: the limit, not torch's NaN
        ratio = np.where(denominator > 0, m / np.where(denominator > 0, denominator, 1.0), np.where(m == 0, 0.0, np.sign(m) * np.inf))
    u = np.clip(ratio, -clip_bound, clip_bound)
    return SophiaStep(refreshed, estimate, h, m, ratio, u, decay.step(-eta * u, eta, params))


def sophia(lr: float | Array = 1.0, beta1: float | Array = 0.95, beta2: float | Array = 0.99,
           clip_bound: float | Array = 0.05, eps: float | Array = 1e-12, weight_decay: float | Array = 0.0,
           update_period: float | Array = 10.0, hutchinson_samples: float | Array = 0.0,
           probe_seed: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
           ) -> Optimizer:
    r"""Sophia, as kozistr's ``pytorch_optimizer.SophiaH`` 4.1.0 given the Hessian diagonal; needs the Hessian.

    ::

        input:      η (lr), β1, β2 (beta1, beta2), ρ (clip_bound), ε (eps), λ (weight_decay),
                    k (update_period), n (hutchinson_samples), seed (probe_seed), s (schedule),
                    θ₀ (start), f (objective)
        initialize: m₀ ← 0, h₀ ← 0
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            m_t ← β1 m_{t−1} + (1−β1) g_t
            if (t − 1) mod k = 0:
                H_t ← ∇²f(θ_{t−1})
                ĥ_t ← diag(H_t)                                  (n = 0)
                ĥ_t ← (1/n) Σ_j z_j ⊙ (H_t z_j),  z_j ~ N(0, I)   (n ≥ 1, drawn from (seed, t, j))
                h_t ← β2 h_{t−1} + (1−β2) ĥ_t
            else:
                h_t ← h_{t−1}
            u_t ← clip(m_t / max(h_t, ε), −ρ, ρ)
            θ_t ← θ_{t−1} − η_t λ θ_{t−1} − η_t u_t
        return θ_t

    All per coordinate. Where h_t ≤ ε (negative or no curvature) the quotient is m_t/ε and the clip
    makes the step ±η_t ρ: a sign step. With ε = 0 and h_t ≤ 0 the quotient is taken as its limit ±∞
    (0 where m_t = 0), so the step is still ±η_t ρ (pytorch_optimizer would divide by 0). k, n and the seed are whole numbers: a fraction, which a sweep's
    axis may pass, is rounded down.

    The reference is ``pytorch_optimizer.SophiaH`` (kozistr), the paper's Hutchinson variant, because its
    ``step(hessian=...)`` takes an external Hessian-diagonal estimate: ``make_sophia_reference.py`` hands it
    the exact diagonal (by autograd) at the steps t with (t − 1) mod k = 0 and nothing at the others, which
    is this rule with n = 0 (its own estimate is only computed when it is given none). Its defaults are the
    variant: ``weight_decouple=True``, ``fixed_decay=False`` (the decay −η_t λ θ_{t−1}), clipping bound
    ``p`` = ρ as in the paper's first version, clip(m/max(h, ε), ρ); the paper's later form
    clip(m/max(γh, ε), 1) is the same rule with η' = ηρ and γ = ρ. Its default lr 0.06 and ρ = 0.01 move a
    coordinate at most 6e-4 per step, too little for this plot: here η = 1, ρ = 0.05; β1 = 0.95 is its 0.96
    at the slider's notch. The authors' SophiaG (github.com/Liuhong99/Sophia) cannot be handed an exact
    diagonal: it fills h from squared gradients of sampled labels.

    How the estimator differs from the paper's: the Gauss–Newton–Bartlett (GNB) estimator of SophiaG is
    B·ĝ ⊙ ĝ, where ĝ is a mini-batch gradient of the loss at labels *sampled from the model's own
    predictions*; it needs a model with a likelihood, which an analytic surface does not have, and it
    estimates the Gauss–Newton diagonal, which is never negative. The exact diagonal (n = 0) and Hutchinson's
    estimate (n ≥ 1, unbiased for the diagonal, each draw possibly of either sign) see the true curvature,
    negative at a saddle, which the clip then turns into sign steps. kozistr's SophiaH would draw its own
    probes with torch's generator; here they come from ``optviz.optimizers.noise.standard_normal``, so a run's
    probes depend only on its seed and the step, alone or in a batch.

    Records ``first_moment`` m and ``hessian_moment`` h (the memory of the next step) and
    ``update_fraction`` u_t/ρ: ±1 in a coordinate whose step was clipped, inside (−1, 1) where it was the
    Newton-like m/h.

    Reference: Liu, Li, Hall, Liang & Ma, "Sophia: A Scalable Stochastic Second-order Optimizer for Language
    Model Pre-training", ICLR 2024; https://github.com/kozistr/pytorch_optimizer (package
    ``pytorch-optimizer``). torch.optim has no Sophia (torch 2.13).
    """
    convention = check_convention(convention, CONVENTIONS)
    rate = learning_rate(lr, schedule)
    b1, b2, rho, e = per_run(beta1, "beta1"), per_run(beta2, "beta2"), per_run(clip_bound, "clip_bound"), per_run(
        eps, "eps")
    decay = WeightDecay.of(weight_decay, convention, decoupled=True)
    period = integers(update_period, "update_period", 1)
    samples = integers(hutchinson_samples, "hutchinson_samples", 0)
    seeds = integers(probe_seed, "probe_seed", 0)

    def init(params: Array) -> SophiaState:
        return SophiaState(0, zeros_like_runs(params), zeros_like_runs(params), zeros_like_runs(params))

    def update(grad, state, params, hessian):
        count = state.count + 1
        runs = len(params)
        refreshed = (np.broadcast_to((count - 1) % period == 0, (runs,)))[:, None]
        n, seed = np.broadcast_to(samples, (runs,)), np.broadcast_to(seeds, (runs,))
        estimate = hessian_estimate(hessian, seed, count, n)
        out = sophia_step(grad, params, state.first_moment, state.hessian_moment, estimate, refreshed,
                          rate.at(count), b1, b2, rho, e, decay)
        return out.step, SophiaState(count, out.first_moment, out.hessian_moment, out.update / rho)

    def internals(s: SophiaState) -> dict[str, Array]:
        return {"first_moment": s.first_moment, "hessian_moment": s.hessian_moment,
                "update_fraction": s.update_fraction}

    return Optimizer("sophia", init, update, internals,
                     dict(lr=lr, beta1=beta1, beta2=beta2, clip_bound=clip_bound, eps=eps, weight_decay=weight_decay,
                          update_period=update_period, hutchinson_samples=hutchinson_samples, probe_seed=probe_seed,
                          convention=convention, schedule=schedule),
                     runs_of(lr, beta1, beta2, clip_bound, eps, weight_decay, update_period, hutchinson_samples,
                             probe_seed),
                     needs_hessian=True)


def explain(s: Replay) -> Array:
    b1, b2, rho, e, w, t = (s.hyper["beta1"], s.hyper["beta2"], s.hyper["clip_bound"], s.hyper["eps"], s.w, s.t)
    period, n = int(s.hyper["update_period"]), int(s.hyper["hutchinson_samples"])
    seed = np.array([int(s.hyper["probe_seed"])])
    decay = s.weight_decay(decoupled=True)
    m_prev, h_prev = s.memory["first_moment"], s.memory["hessian_moment"]
    refreshed = (t - 1) % period == 0
    estimate = hessian_estimate(s.hessian[None], seed, t, np.array([n]))[0]
    out = sophia_step(s.g, s.theta, m_prev, h_prev, estimate, np.array([refreshed]), s.eta, b1, b2, rho, e, decay)
    s.rows.append(r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t")
    for i in range(2):
        w.eq(s.sym("m", i), rf"{w.o(b1)} \cdot {w.o(m_prev[i])} + \left(1 - {w.n(b1)}\right) \cdot {w.o(s.g[i])}",
             out.first_moment[i])
    if refreshed:
        s.rows += [r"\hat h_t &= \operatorname{diag}\nabla^2 f(\theta_{t-1})" if n == 0 else
                   r"\hat h_t &= \tfrac{1}{n}\textstyle\sum_j z_j \odot (H_t z_j), \quad z_j \sim \mathcal N(0, I)",
                   r"h_t &= \beta_2 h_{t-1} + (1-\beta_2)\,\hat h_t"]
        for i in range(2):
            w.eq(s.sym(r"\hat h", i), None, estimate[i])
        for i in range(2):
            w.eq(s.sym("h", i), rf"{w.o(b2)} \cdot {w.o(h_prev[i])} + \left(1 - {w.n(b2)}\right) \cdot "
                                rf"{w.o(estimate[i])}", out.hessian_moment[i])
    else:
        s.rows.append(rf"h_t &= h_{{t-1}} \quad (t - 1 \not\equiv 0 \bmod {period})")
        for i in range(2):
            w.eq(s.sym("h", i), None, out.hessian_moment[i])
    s.rows += [r"r_t &= \frac{m_t}{\max(h_t, \epsilon)}, \quad u_t = \operatorname{clip}(r_t, -\rho, \rho)",
               r"\theta_t &= \theta_{t-1} - \eta_t\,u_t" + s.decay_row(decay)]
    for i in range(2):
        denominator = max(out.hessian_moment[i], e)
        if denominator > 0:  # else (ε = 0, h ≤ 0) the quotient is the limit ±∞, and u below is ±ρ
            w.eq(s.sym("r", i), rf"\frac{{{w.n(out.first_moment[i])}}}{{{w.n(denominator)}}}", out.ratio[i])
    for i in range(2):
        w.eq(s.sym("u", i), None, out.update[i])  # the line above, clipped to ±ρ
    s.values.update(first_moment_prev=m_prev, first_moment=out.first_moment, hessian_moment_prev=h_prev,
                    hessian_moment=out.hessian_moment, estimate=estimate, refreshed=refreshed, ratio=out.ratio,
                    update=out.update)
    terms = [f" - {w.o(s.eta)} \\cdot {w.o(out.update[i])}" for i in range(2)]
    return s.finish(out.step, terms, decay)


SPEC = OptimizerSpec(
    name="sophia", order=25, display_name="Sophia", group="second_order",
    description=Text("Momentum over a running estimate of the Hessian's diagonal, clipped to ±ρ: Newton-like where "
                     "the curvature is positive, a sign step where it is not.",
                     "动量除以 Hessian 对角线的滑动估计，再裁剪到 ±ρ：曲率为正处近似牛顿步，否则为符号步。"),
    hyperparameters=(
        hp.lr(1.0),
        dataclasses.replace(hp.beta1(0.95), help=Text("β1: the momentum's memory", "β1：动量的记忆")),
        dataclasses.replace(hp.beta2(0.99), help=Text("β2: the memory of the curvature average h, refreshed every "
                                                      "k steps", "β2：曲率平均 h 的记忆，每 k 步刷新一次")),
        CLIP_BOUND,
        dataclasses.replace(hp.eps(1e-12), help=Text("ε: h is taken as at least ε, so negative curvature clips",
                                                     "ε：h 至少取 ε，因此负曲率会被裁剪")),
        hp.weight_decay(0.0, Text("decoupled weight decay λ", "解耦权重衰减 λ")),
        UPDATE_PERIOD, HUTCHINSON_SAMPLES, PROBE_SEED),
    build=sophia, explain=explain,
    tuning=TuningHint(tune_lr=False),  # η = 1 with the clip bound ρ: no step exceeds ρ per coordinate
    torch=None,
    no_torch="torch.optim has no Sophia; the reference is kozistr's pytorch-optimizer SophiaH given the exact "
             "Hessian diagonal (tests/reference/thirdparty/sophia.json).",
    conventions=CONVENTIONS, needs_hessian=True,
    memory=("first_moment", "hessian_moment"), internals=("first_moment", "hessian_moment", "update_fraction"),
    memory_symbols=lambda convention: "m, h",
    explain_note=Text("h is refreshed only every k steps, from the Hessian H at θ{prev} on a refresh step. Where "
                      "h ≤ ε the quotient is huge and the clip makes the step ±η·ρ.",
                      "h 只每 k 步刷新一次，刷新步使用 θ{prev} 处的 Hessian 矩阵 H。当 h ≤ ε 时商极大，"
                      "裁剪使步长为 ±η·ρ。"),
    plotted={"update_fraction": Text("u/ρ: ±1 where the step was clipped (a sign step), inside where it was "
                                     "Newton-like", "u/ρ：被裁剪处为 ±1（符号步），其余处为近似牛顿步"),
             "hessian_moment": Text("h: the curvature estimate the step divides by", "h：步长所除的曲率估计")},
)
