r"""Predicted loss curves on quadratics f(θ) = ½(θ − θ*)ᵀA(θ − θ*) + c, after Goh, "Why Momentum Really Works".

Write A = Q diag(λ) Qᵀ (λ ascending) and z = Qᵀ(θ₀ − θ*), the start's components along the eigenvectors.
Every method below is linear in the error, so each eigen-direction evolves on its own and
``f(θ_t) − c = ½ Σ_i λ_i x_i(t)²``.

- GD at η: x_i(t) = (1 − ηλ_i)^t z_i, so ``f_t − c = ½ Σ λ_i z_i² (1 − ηλ_i)^{2t}`` exactly
  (:func:`gd_loss`); the bound ``(f₀ − c)·ρ^{2t}`` with ρ = max_i |1 − ηλ_i| (:func:`gd_bound`); the best
  fixed η* = 2/(λ₁ + λ_n) gives ρ* = (κ − 1)/(κ + 1) (:func:`optimal_gd`).
- Heavy ball at (η, β): the pair (x_i, v_i) is multiplied each step by the 2 × 2 matrix M_i of
  :func:`heavy_ball_matrices` (v₀ = 0), so x_i(t) = [M_i^t (z_i, 0)]₀ exactly (:func:`heavy_ball_loss`);
  the rate is the spectral radius max_i ρ(M_i) (:func:`heavy_ball_radius`). The best pair (PyTorch form,
  Polyak 1964): β* = ((√κ − 1)/(√κ + 1))², η* = (2/(√λ₁ + √λ_n))², rate √β* = (√κ − 1)/(√κ + 1)
  (:func:`optimal_heavy_ball`); in the course-notes form the same steps need η = η*/(1 − β*).
- By eigen-direction (Goh's "milestones"): :func:`eigen_components` and :func:`eigen_losses` of a
  Trajectory, which sum to its loss − c.

Rates are per step of the error; loss curves fall as their square. No plotting here.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from optviz.trajectory import Trajectory
from surfaces.base import Surface

Array = np.ndarray

CONSTANT_HESSIAN_RTOL = 1e-12  # a surface is taken as quadratic when its Hessian agrees this well across the plot


class Quadratic(NamedTuple):
    A: Array  # (2, 2) symmetric positive definite
    center: Array  # (2,) θ*
    c: float  # f(θ*)

    @property
    def eigenvalues(self) -> Array:
        """(2,) ascending."""
        return np.linalg.eigh(self.A)[0]

    @property
    def eigenvectors(self) -> Array:
        """(2, 2): column i goes with eigenvalues[i]."""
        return np.linalg.eigh(self.A)[1]

    @property
    def condition(self) -> float:
        lam = self.eigenvalues
        return float(lam[-1] / lam[0])

    def components(self, points) -> Array:
        """(..., 2) the error θ − θ* along each eigenvector."""
        return (np.asarray(points, dtype=float) - self.center) @ self.eigenvectors

    def value(self, points) -> Array:
        z = self.components(points)
        return self.c + 0.5 * (z * z * self.eigenvalues).sum(axis=-1)


def quadratic_of(surface: Surface) -> Quadratic:
    """The quadratic a surface is (the bowl, the ravine): A its Hessian, θ* its first minimum.

    Raises ValueError if the Hessian is not the same at the minimum and the plot's corners, or not
    positive definite, or the surface has no minimum.
    """
    if not surface.minima:
        raise ValueError(f"{surface.name} has no known minimum")
    center = np.asarray(surface.minima[0], dtype=float)
    (x0, x1), (y0, y1) = surface.bounds
    probes = np.array([center, [x0, y0], [x1, y1], [x0, y1], [x1, y0]])
    h = surface.hessian(probes)  # (5, 2, 2)
    if not np.allclose(h, h[0], rtol=CONSTANT_HESSIAN_RTOL, atol=CONSTANT_HESSIAN_RTOL * np.abs(h[0]).max()):
        raise ValueError(f"{surface.name} is not a quadratic: its Hessian changes across the plot")
    A = 0.5 * (h[0] + h[0].T)
    if np.linalg.eigvalsh(A)[0] <= 0:
        raise ValueError(f"{surface.name}'s Hessian is not positive definite")
    return Quadratic(A, center, float(surface.value(center)))


def _steps(steps: int) -> Array:
    return np.arange(int(steps) + 1)


# ------------------------------------------------------------------------------------------------ GD

def gd_loss(quad: Quadratic, start, lr: float, steps: int) -> Array:
    """(steps+1,) exact loss of GD at ``lr``: c + ½ Σ λ_i z_i² (1 − ηλ_i)^{2t}."""
    lam, z = quad.eigenvalues, quad.components(start)
    t = _steps(steps)[:, None]
    return quad.c + 0.5 * (lam * z * z * (1.0 - lr * lam) ** (2 * t)).sum(axis=1)


def gd_rate(quad: Quadratic, lr) -> Array:
    """ρ = max_i |1 − ηλ_i|, broadcasting over ``lr``."""
    lam = quad.eigenvalues
    return np.abs(1.0 - np.asarray(lr, dtype=float)[..., None] * lam).max(axis=-1)


def gd_bound(quad: Quadratic, start, lr: float, steps: int) -> Array:
    """(steps+1,) (f₀ − c)·ρ^{2t}: no eigen-direction shrinks slower than ρ, so the loss gap never exceeds it."""
    return quad.c + (quad.value(start) - quad.c) * gd_rate(quad, lr) ** (2 * _steps(steps))


def optimal_gd(quad: Quadratic) -> tuple[float, float]:
    """(η*, ρ*) = (2/(λ₁ + λ_n), (κ − 1)/(κ + 1)): the fixed lr where both ends shrink equally fast."""
    lam = quad.eigenvalues
    kappa = lam[-1] / lam[0]
    return float(2.0 / (lam[0] + lam[-1])), float((kappa - 1) / (kappa + 1))


def rate_curve(quad: Quadratic, start, rate: float, steps: int) -> Array:
    """(steps+1,) c + (f₀ − c)·rate^{2t}."""
    return quad.c + (quad.value(start) - quad.c) * float(rate) ** (2 * _steps(steps))


# --------------------------------------------------------------------------------------- heavy ball

def heavy_ball_matrices(lam, lr, beta, convention: str = "pytorch") -> Array:
    """(..., 2, 2) the per-direction iteration matrix acting on (x, v), broadcasting λ, η and β.

    pytorch:  v ← βv + λx,          x ← x − ηv      → [[1 − ηλ, −ηβ], [λ, β]]
    textbook: v ← βv + (1 − β)λx,   x ← x − ηv      → [[1 − η(1 − β)λ, −ηβ], [(1 − β)λ, β]]
    keras:    m ← βm − ηλx,         x ← x + m       → [[1 − ηλ, β], [−ηλ, β]]
    """
    lam, eta, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lam, lr, beta)))
    if convention == "pytorch":
        rows = [[1 - eta * lam, -eta * b], [lam, b]]
    elif convention == "textbook":
        rows = [[1 - eta * (1 - b) * lam, -eta * b], [(1 - b) * lam, b]]
    elif convention == "keras":
        rows = [[1 - eta * lam, b], [-eta * lam, b]]
    else:
        raise ValueError(f"convention must be pytorch, textbook or keras (got {convention!r})")
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def heavy_ball_loss(quad: Quadratic, start, lr: float, beta: float, steps: int, convention: str = "pytorch") -> Array:
    """(steps+1,) exact loss of heavy ball from rest: x_i(t) = [M_i^t (z_i, 0)]₀, f_t = c + ½ Σ λ_i x_i(t)²."""
    lam, z = quad.eigenvalues, quad.components(start)
    M = heavy_ball_matrices(lam, lr, beta, convention)  # (2, 2, 2): one per direction
    state = np.stack([z, np.zeros_like(z)], axis=-1)  # (2 directions, 2): (x, v)
    x = np.empty((int(steps) + 1, 2))
    x[0] = z
    for t in range(1, int(steps) + 1):
        state = np.einsum("dij,dj->di", M, state)
        x[t] = state[:, 0]
    return quad.c + 0.5 * (lam * x * x).sum(axis=1)


def heavy_ball_radius(lam, lr, beta, convention: str = "pytorch") -> Array:
    """Spectral radius of M for each λ (broadcast): the larger |root| of z² − trace·z + det."""
    M = heavy_ball_matrices(lam, lr, beta, convention)
    trace, det = M[..., 0, 0] + M[..., 1, 1], M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
    root = np.sqrt((trace * trace - 4 * det).astype(complex))
    return np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))


def heavy_ball_rate(quad: Quadratic, lr, beta, convention: str = "pytorch") -> Array:
    """max_i ρ(M_i), broadcasting over ``lr`` and ``beta``."""
    lr, beta = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(beta, dtype=float))
    return heavy_ball_radius(quad.eigenvalues, lr[..., None], beta[..., None], convention).max(axis=-1)


def optimal_heavy_ball(quad: Quadratic, convention: str = "pytorch") -> tuple[float, float, float]:
    """(η*, β*, rate): β* = ((√κ − 1)/(√κ + 1))², η* = 4/(√λ₁ + √λ_n)² (÷ (1 − β*) in the course-notes form).

    At this pair both ends of the spectrum are critically damped, every M_i has |roots| = √β*.
    """
    lam = quad.eigenvalues
    root_kappa = np.sqrt(lam[-1] / lam[0])
    beta = float(((root_kappa - 1) / (root_kappa + 1)) ** 2)
    eta = float(4.0 / (np.sqrt(lam[0]) + np.sqrt(lam[-1])) ** 2)
    if convention == "textbook":
        eta /= 1 - beta
    return eta, beta, float(np.sqrt(beta))


def steps_to_reach(curve: Array, threshold: float) -> int:
    """First index with curve ≤ threshold, −1 if never."""
    hit = np.asarray(curve) <= threshold
    return int(hit.argmax()) if hit.any() else -1


# ---------------------------------------------------------------------------------- by eigen-direction

def eigen_components(traj: Trajectory, quad: Quadratic | None = None) -> Array:
    """(steps+1, runs, 2) the error θ_t − θ* along each eigenvector (ascending λ)."""
    quad = quad or quadratic_of(traj.surface)
    return quad.components(traj.positions)


def eigen_losses(traj: Trajectory, quad: Quadratic | None = None) -> Array:
    """(steps+1, runs, 2) ½ λ_i x_i(t)²: the loss gap carried by each eigen-direction; sums to loss − c."""
    quad = quad or quadratic_of(traj.surface)
    x = quad.components(traj.positions)
    return 0.5 * quad.eigenvalues * x * x
