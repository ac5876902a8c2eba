r"""Curvature along a race: the Hessian's eigen-pairs, κ, and the sharpness against each run's stability limit.

- ``curvature(surface, points)`` -> :class:`Curvature`: eigenvalues (ascending) and eigenvectors of the
  surface's exact Hessian at points ``(..., 2)``, with ``condition`` κ = |λ|max/|λ|min and ``sharpness`` λ_max
- ``eigen_glyph(surface, point, fraction)`` -> :class:`Glyph`: two segments through a run's head along the
  eigen-directions, half-lengths ∝ 1/√|λ| (the longest is ``fraction`` of the view), dashed where λ < 0
- ``head_glyphs(traj, step, fraction)``: one glyph per run at its position after ``step``
- ``stability_limit(name, lr, ...)``: the largest sharpness at which a quadratic stays stable for that update
- ``sharpness_series(traj, configs)`` -> :class:`SharpnessSeries`: λ_max(∇²f(θ_t)) per step and run (the
  preconditioned one for adaptive methods) next to each run's limit at its current learning rate

The limits, per eigen-direction of curvature λ with a = ηλ (error x, velocity v):

- GD: x ← (1 − a) x, stable iff |1 − a| < 1, i.e. **λ < 2/η**.
- Heavy ball, PyTorch (v ← βv + g, θ ← θ − ηv): the state (x, v) is multiplied by
  ``[[1 − a, −ηβ], [λ, β]]``, characteristic polynomial z² − (1 + β − a) z + β. Jury's conditions
  (|β| < 1, 1 − T + D = a > 0, 1 + T + D = 2(1 + β) − a > 0) give **λ < 2(1 + β)/η**. Keras
  (m ← βm − ηg, θ ← θ + m) is the same iteration with m = −ηv, so the same limit.
- Heavy ball, course notes (v ← βv + (1 − β)g, θ ← θ − ηv): PyTorch's form with η' = η(1 − β), so
  **λ < 2(1 + β)/(η(1 − β))** (38/η at β = 0.9).
- Nesterov, PyTorch (θ ← θ − η(g + βv)): matrix ``[[1 − a(1 + β), −ηβ²], [λ, β]]``, T = 1 + β − a(1 + β),
  D = β(1 − a); 1 + T + D > 0 gives **λ < 2(1 + β)/((1 + 2β)η)**.
- Adaptive methods take θ ← θ − η P⁻¹ m with P = diag(√v̂ + ε), recorded as ``effective_lr`` e = η/P. With P
  frozen (it moves slowly when β2 is near 1) the update is the method above in the coordinates P^{1/2}θ, where
  the Hessian is P^{-1/2} H P^{-1/2}; so the preconditioned sharpness λ_max(P^{-1/2} H P^{-1/2}) =
  λ_max(E^{1/2} H E^{1/2})/η (E = diag(e)) is compared with 2/η for RMSprop and AdaGrad (no momentum) and,
  Adam's m being an EMA (the course-notes form with β = β1), with **2(1 + β1)/((1 − β1)η)** for Adam, AdamW
  and both AMSGrads (38/η at β1 = 0.9: Cohen et al., "Adaptive gradient methods at the edge of stability", 2022).
  The preconditioner used is the one recorded at step t (the last update's); at step 0 none exists (NaN).

Other optimizers have no limit here (NaN, nothing drawn). No plotting here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

from optviz.schedules import parse as parse_schedule
from optviz.trajectory import Trajectory
from surfaces.base import Surface

Array = np.ndarray

NO_MOMENTUM_ADAPTIVE = ("rmsprop", "adagrad")
EMA_MOMENTUM_ADAPTIVE = {"adam": "beta1", "adamw": "beta1", "amsgrad": "beta1", "amsgradw": "beta1"}  # name -> its momentum β
MIN_ASPECT = 0.05  # a glyph's short axis is at least this fraction of its long one (λ = 0 would be infinite)


class Curvature(NamedTuple):
    eigenvalues: Array  # (..., 2) ascending
    eigenvectors: Array  # (..., 2, 2): column i is the unit eigenvector of eigenvalues[..., i]
    condition: Array  # (...,) κ = max|λ| / min|λ| (inf where a λ is 0)
    sharpness: Array  # (...,) λ_max, the largest (algebraic) eigenvalue


def curvature(surface: Surface, points) -> Curvature:
    """Eigen-decomposition of the exact Hessian at ``points`` (``(2,)``, ``(runs, 2)`` or any ``(..., 2)``)."""
    p = np.asarray(points, dtype=float)
    with np.errstate(all="ignore"):
        h = surface.hessian(p)  # (..., 2, 2)
    lam, vec = np.linalg.eigh(np.nan_to_num(h))
    absolute = np.abs(lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(absolute.min(axis=-1) > 0, absolute.max(axis=-1) / absolute.min(axis=-1), np.inf)
    return Curvature(lam, vec, kappa, lam[..., -1])


class Glyph(NamedTuple):
    """Two segments through ``center`` along the eigen-directions, ready to draw."""

    center: Array  # (2,)
    ends: Array  # (2, 2, 2): [axis i][end 0/1] = center ∓ half_length[i]·q_i
    half_lengths: Array  # (2,)
    eigenvalues: Array  # (2,) ascending, as in ``curvature``
    dashed: Array  # (2,) bool: λ < 0, the surface curves down along that axis


def eigen_glyph(surface: Surface, point, fraction: float = 0.12) -> Glyph:
    """The eigen-directions at ``point`` as a cross whose half-lengths go as 1/√|λ|.

    The flatter axis (smaller |λ|) gets the longer arm, ``fraction`` of the view's smaller extent; the
    other is √(|λ|small/|λ|large) times as long but never below MIN_ASPECT of it (a zero curvature
    would be an infinitely long arm). Like a contour ellipse of the local quadratic model, a level
    set ½λx² = c meets axis i at x = √(2c/|λ_i|).
    """
    center = np.asarray(point, dtype=float).reshape(2)
    cur = curvature(surface, center)
    lam, vec = cur.eigenvalues, cur.eigenvectors  # (2,), (2, 2)
    (x0, x1), (y0, y1) = surface.bounds
    longest = fraction * min(x1 - x0, y1 - y0)
    absolute = np.abs(lam)
    small = absolute.min()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(absolute > 0, np.sqrt(small / absolute), 1.0)
    ratio = np.clip(np.nan_to_num(ratio, nan=1.0), MIN_ASPECT, 1.0)
    half = longest * ratio
    ends = np.stack([np.stack([center - half[i] * vec[:, i], center + half[i] * vec[:, i]]) for i in range(2)])
    return Glyph(center, ends, half, lam, lam < 0)


def head_glyphs(traj: Trajectory, step: int | None = None, fraction: float = 0.12) -> list[Glyph]:
    """One :func:`eigen_glyph` per run at its position after ``step`` (default: the last step)."""
    t = traj.steps if step is None else int(step)
    return [eigen_glyph(traj.surface, traj.positions[t, r], fraction) for r in range(traj.runs)]


# ----------------------------------------------------------------------------------- stability limits

def stability_limit(name: str, lr, beta=None, convention: str = "pytorch") -> Array:
    """The sharpness above which ``name`` at learning rate ``lr`` is unstable on a quadratic (see the module).

    ``beta`` is the momentum coefficient (``beta`` of momentum/nesterov, ``beta1`` of Adam); NaN for an
    optimizer with no limit here. Broadcasts over ``lr`` and ``beta``.
    """
    eta = np.asarray(lr, dtype=float)
    b = np.asarray(0.0 if beta is None else beta, dtype=float)
    if name in ("sgd", *NO_MOMENTUM_ADAPTIVE):
        return 2.0 / eta
    if name == "momentum":
        return 2.0 * (1 + b) / (eta * (1 - b)) if convention == "textbook" else 2.0 * (1 + b) / eta
    if name == "nesterov" and convention == "pytorch":
        return 2.0 * (1 + b) / ((1 + 2 * b) * eta)
    if name in EMA_MOMENTUM_ADAPTIVE:
        return 2.0 * (1 + b) / ((1 - b) * eta)
    return np.full(np.broadcast_shapes(eta.shape, b.shape), np.nan)


def _momentum_of(config) -> float | None:
    key = "beta" if config.name in ("momentum", "nesterov") else EMA_MOMENTUM_ADAPTIVE.get(config.name)
    return None if key is None else float(config.value(key))


@dataclass(frozen=True, eq=False)
class SharpnessSeries:
    sharpness: Array  # (steps+1, runs) λ_max of ∇²f(θ_t); preconditioned for adaptive methods (NaN at step 0)
    limit: Array  # (steps+1, runs) the limit for the update leaving θ_t, at its learning rate; NaN if none
    preconditioned: Array  # (runs,) bool
    crossing: Array  # (runs,) first step with sharpness > limit, −1 if never (or no limit)
    labels: tuple[str, ...]


def sharpness_series(traj: Trajectory, configs: Sequence) -> SharpnessSeries:
    """Sharpness and stability limit along every run of ``traj``.

    ``configs`` are the runs' ``optviz.race.OptimizerConfig`` s in run order (a race has one run per
    contestant): their name, lr, momentum, convention and schedule. The update leaving θ_t is the
    (t+1)-th and uses η·s(t), so ``limit[t]`` is taken at that rate. A run that stopped keeps its
    last point, so its sharpness is flat from there on.
    """
    if len(configs) != traj.runs:
        raise ValueError(f"{len(configs)} optimizer configs for {traj.runs} runs")
    steps1, runs = traj.loss.shape
    lam = curvature(traj.surface, traj.positions).eigenvalues  # (steps+1, runs, 2)
    h = traj.surface.hessian(traj.positions)  # (steps+1, runs, 2, 2)
    sharp = lam[..., -1].copy()
    limit = np.full((steps1, runs), np.nan)
    pre = np.zeros(runs, dtype=bool)
    for r, config in enumerate(configs):
        schedule = parse_schedule(config.schedule)
        eta = float(config.value("lr")) * np.array([schedule(k) for k in range(steps1)])  # (steps+1,)
        limit[:, r] = stability_limit(config.name, eta, _momentum_of(config), config.convention)
        if config.name in NO_MOMENTUM_ADAPTIVE or config.name in EMA_MOMENTUM_ADAPTIVE:
            pre[r] = True
            e = traj.internals.get("effective_lr")
            if e is None:
                sharp[:, r] = np.nan
                continue
            root = np.sqrt(e[:, r])  # (steps+1, 2)
            scaled = root[:, :, None] * h[:, r] * root[:, None, :]  # E^{1/2} H E^{1/2}
            recorded = float(config.value("lr")) * np.array([schedule(max(k - 1, 0)) for k in range(steps1)])
            with np.errstate(invalid="ignore"):
                sharp[:, r] = np.linalg.eigvalsh(np.nan_to_num(scaled, nan=0.0))[:, -1] / recorded
            sharp[~np.isfinite(e[:, r]).all(axis=1) | (np.arange(steps1) == 0), r] = np.nan
    above = sharp > limit
    crossing = np.where(above.any(axis=0), above.argmax(axis=0), -1)
    return SharpnessSeries(sharp, limit, pre, crossing, tuple(traj.labels))
