"""Heavy ball's phase diagram: hand values, the critical-damping curve, and the divergence region against a
real vectorized sweep on the same grid."""
import numpy as np
import pytest

from optviz.classroom import rates
from optviz.classroom.phase_diagram import critical_damping, phase_diagram
from optviz.simulate import default_divergence_radius
from optviz.sweep import Axis, sweep
from surfaces import get_surface


def test_cells_hold_the_spectral_radius_of_the_iteration_matrices():
    quad = rates.quadratic_of(get_surface("ravine", condition=100.0, angle=0.0))
    lrs, betas = np.array([0.016, 0.032, 0.05]), np.array([0.0, 0.7, 0.9])
    diagram = phase_diagram(quad, lrs, betas)
    for j, b in enumerate(betas):
        for i, lr in enumerate(lrs):
            matrices = [rates.heavy_ball_matrices(lam, lr, b) for lam in (1.0, 100.0)]
            expected = max(np.max(np.abs(np.linalg.eigvals(m))) for m in matrices)
            assert diagram.rate[j, i] == pytest.approx(expected, rel=1e-12)
    # by hand: β = 0 is GD, max(|1 − 0.016|, |1 − 1.6|) = 0.984; (0.032, 0.7) has complex roots at both ends
    # (discriminants (1.7 − 0.032)² − 2.8 < 0 and (1.7 − 3.2)² − 2.8 < 0), so |z| = √0.7
    assert diagram.rate[0, 0] == pytest.approx(0.984, rel=1e-14)
    assert diagram.rate[1, 1] == pytest.approx(np.sqrt(0.7), rel=1e-12)
    # lr 0.05: ηλ_max = 5 exceeds both 2(1 + 0) = 2 and 2(1 + 0.9) = 3.8, so β = 0 and β = 0.9 diverge
    assert diagram.diverges[0, 2] and diagram.diverges[2, 2]


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
def test_critical_damping_curve_is_where_the_roots_meet(convention):
    lam = np.array([1.0, 10.0])
    lrs = np.geomspace(1e-3, 0.35, 25)
    beta = critical_damping(lam, lrs, convention)  # (2, 25)
    a = lam[:, None] * lrs[None, :]
    trace = 1 + beta - (a if convention == "pytorch" else a * (1 - beta))
    ok = np.isfinite(beta)
    assert ok.sum() > 30
    # the discriminant trace² − 4β vanishes on the curve: a sum of O(1) terms, so 1e-12 absolute
    np.testing.assert_allclose((trace**2 - 4 * beta)[ok], 0.0, atol=1e-12)
    if convention == "pytorch":  # and only defined while ηλ < 4
        assert np.isnan(beta[1, lrs * 10 >= 4]).all()


def test_optimum_is_marked_at_polyaks_pair():
    quad = rates.quadratic_of(get_surface("ravine", condition=100.0, angle=0.0))
    diagram = phase_diagram(quad, np.geomspace(1e-3, 0.1, 5), np.linspace(0, 0.99, 5))
    assert diagram.optimum == pytest.approx((4 / 121, (9 / 11) ** 2, 9 / 11), rel=1e-14)


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (100.0, 30.0)])
def test_divergence_region_equals_the_diverged_cells_of_a_sweep(kappa, angle):
    """Every cell away from rate 1 is predicted right; cells within MARGIN of 1 are not judged.

    simulate calls a run diverged when a coordinate passes R = 100 × 3 = 300. An error growing by ρ ≥ 1
    a step from |e₀| reaches R within N steps only if ρ^N ≳ R/|e₀|, so a cell with 1 ≤ ρ <
    (R/|e₀|)^{1/N} may still be "running" at the end; a factor 10 more covers the start's share along
    the growing eigenvector. Symmetrically, a cell just below 1 could pass R only through the transient
    growth of the non-normal heavy-ball matrix, so the same margin is left below 1.
    """
    s = get_surface("ravine", condition=kappa, angle=angle)
    quad = rates.quadratic_of(s)
    steps = 2000
    x = Axis("lr", 1e-4 * 100 / kappa, 4.0 / kappa * 10, 40, log=True)
    y = Axis("beta", 0.0, 0.99, 34)
    result = sweep(s, "momentum", x, y, steps=steps, tol=0)
    diagram = phase_diagram(quad, x.values, y.values)
    e0 = float(np.linalg.norm(np.asarray(s.start) - quad.center))
    margin = (10 * default_divergence_radius(s) / e0) ** (1 / steps) - 1  # ≈ 0.004 here
    judged = np.abs(diagram.rate - 1) >= margin
    assert judged.sum() > 0.6 * judged.size  # measured 1260 and 928 of 1360: the slow small-lr cells sit within it
    assert 0.1 * judged.size < diagram.diverges.sum() < 0.9 * judged.size  # both regions are on the grid
    np.testing.assert_array_equal(result.diverged[judged], diagram.diverges[judged])
    # measured: no mismatch inside the margin either, on these grids
    assert int((result.diverged != diagram.diverges).sum()) == 0
