r"""Heavy ball's phase diagram on a quadratic: the convergence rate over an (η, β) grid.

- ``phase_diagram(quad, lrs, betas)`` -> :class:`PhaseDiagram`: the rate max_i ρ(M_i) of every cell (one
  vectorized call, ``(ny, nx)`` indexed ``[β index, η index]`` as sweeps and Plotly heatmaps are), the
  divergence region (rate ≥ 1), the critical-damping curves and the optimal pair.
- ``critical_damping(lam, lrs)``: β = (1 − √(ηλ))² for each λ.

Per eigen-direction the heavy-ball matrix (PyTorch form) has characteristic polynomial
z² − (1 + β − ηλ) z + β, discriminant (1 + β − ηλ)² − 4β. It vanishes at 1 + β − ηλ = ±2√β, i.e.
√β = 1 ∓ √(ηλ): on β = (1 − √(ηλ))² (ηλ < 4) the two roots meet (critical damping). Below that curve the
roots are real (the error creeps in without oscillating when ηλ < 1); above it they are complex with
|z| = √β (the error spirals, ringing slower as β grows). The direction converges iff ηλ < 2(1 + β)
(``curvature.stability_limit``). In the course-notes form (v ← βv + (1 − β)g) η means η(1 − β) of
PyTorch's; ``convention="textbook"`` makes that substitution. No plotting here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz.classroom.rates import Quadratic, heavy_ball_rate, optimal_heavy_ball

Array = np.ndarray


def critical_damping(lam, lrs, convention: str = "pytorch") -> Array:
    """(k, n) β on the critical-damping curve of each eigenvalue λ_k at each lr; NaN where none in [0, 1).

    With a = ηλ the roots meet where trace² = 4 det = 4β, trace = ±2√β:
    pytorch (trace 1 + β − a):        (1 ∓ √β)² = a, so β = (1 − √a)² for 0 < a < 4;
    textbook (trace 1 + β − a(1 − β)): 1 ∓ √β = a(1 ± √β), so β = ((1 − a)/(1 + a))² for every a > 0.
    """
    lam = np.atleast_1d(np.asarray(lam, dtype=float))[:, None]
    a = np.asarray(lrs, dtype=float)[None, :] * lam
    if convention == "pytorch":
        beta = np.where(a < 4, (1 - np.sqrt(np.clip(a, 0, 4))) ** 2, np.nan)
    elif convention == "textbook":
        beta = ((1 - a) / (1 + a)) ** 2
    else:
        raise ValueError(f"the phase diagram is drawn for pytorch or textbook momentum (got {convention!r})")
    return np.where((beta >= 0) & (beta < 1), beta, np.nan)


@dataclass(frozen=True, eq=False)
class PhaseDiagram:
    lrs: Array  # (nx,)
    betas: Array  # (ny,)
    rate: Array  # (ny, nx) spectral radius max_i ρ(M_i): the error shrinks by this per step
    eigenvalues: Array  # (k,) the quadratic's, ascending
    critical: Array  # (k, nx) critical-damping β of each eigenvalue at each lr (NaN where none)
    optimum: tuple[float, float, float]  # (η*, β*, rate*)
    convention: str

    @property
    def diverges(self) -> Array:
        """(ny, nx) bool: rate ≥ 1, the error does not shrink."""
        return self.rate >= 1.0

    def steps_for(self, factor: float = 1e-3) -> Array:
        """(ny, nx) steps for the error to shrink by ``factor`` at the asymptotic rate, log(factor)/log(rate);
        inf where it diverges."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.diverges, np.inf, np.log(factor) / np.log(self.rate))


def phase_diagram(quad: Quadratic, lrs, betas, convention: str = "pytorch") -> PhaseDiagram:
    """The heavy-ball rate on the (η, β) grid ``lrs × betas``; every cell in one broadcast."""
    lrs, betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
    L, B = np.meshgrid(lrs, betas)  # (ny, nx)
    rate = heavy_ball_rate(quad, L, B, convention)
    lam = quad.eigenvalues
    return PhaseDiagram(lrs, betas, rate, lam, critical_damping(lam, lrs, convention),
                        optimal_heavy_ball(quad, convention), convention)
