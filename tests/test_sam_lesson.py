"""SAM prefers the flat minimum: the lesson's numbers, the surface it runs on worked by hand, and its basins.

``surfaces/sharp_flat.py`` is also checked by every generic surface test (tests/test_surfaces.py:
finite differences, stationary points, metadata); here are its own numbers.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from optviz.classroom.sam_lesson import basin_of, sam_versus_sgd
from surfaces import get_surface

SURFACE = get_surface("sharp_flat")
L = math.log(40.0)


def test_the_surface_by_hand():
    # f = (x² − 1)²/4 + 40^{(1−x)/2} y²/2. At the barrier (0, 0): 1/4. At (−1, 1): 0 + 40/2 = 20; at (1, 1): 1/2.
    points = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(SURFACE.value(points), [0.25, 20.0, 0.5], rtol=1e-14)  # exp(ln 40) rounds once
    # ∇f at (0, 1): k = √40, (0·(−1) − (L/4)√40, √40)
    np.testing.assert_allclose(SURFACE.grad(np.array([0.0, 1.0])), [-L / 4 * math.sqrt(40), math.sqrt(40)],
                               rtol=1e-14)  # exp(L/2) against √40: a few roundings


def test_two_minima_of_equal_depth_and_different_sharpness():
    # both terms vanish at (±1, 0): f = 0 exactly; Hessians diag(3 − 1, k(∓1)) = diag(2, 40) and diag(2, 1)
    np.testing.assert_array_equal(SURFACE.value(np.array(SURFACE.minima)), [0.0, 0.0])
    np.testing.assert_allclose(SURFACE.hessian(np.array(SURFACE.minima)),
                               [np.diag([2.0, 40.0]), np.diag([2.0, 1.0])], rtol=1e-14, atol=0)
    np.testing.assert_allclose(SURFACE.hessian(np.array([0.0, 0.0])), np.diag([-1.0, math.sqrt(40)]), rtol=1e-14)


def test_basins_on_the_axis_are_split_by_the_barrier():
    # On y = 0 the y-gradient is 0, so descent stays on the axis, where ∂f/∂x = x(x² − 1) points away from x = 0
    assert basin_of(SURFACE, [[-0.05, 0.0], [0.05, 0.0], [-1.9, 0.0], [1.9, 0.0]]) == [0, 1, 0, 1]


def test_sgd_stays_sharp_and_sam_goes_flat():
    r = sam_versus_sgd()
    assert r["start"] == SURFACE.start and (r["lr"], r["rho"]) == (0.04, 0.5)
    assert r["sgd"]["basin"] == "sharp" and r["sam"]["basin"] == "flat"
    # the loss cannot tell the two apart, the curvature can (hand values above)
    assert r["sgd"]["minimum_loss"] == r["sam"]["minimum_loss"] == 0.0
    # the Hessians' diagonals, worked out above; exp(ln 40) rounds once
    np.testing.assert_allclose([r["sgd"]["sharpness"], r["sam"]["sharpness"]], [40.0, 2.0], rtol=1e-14)
    # the start lies in the sharp basin: it is SAM, not the start, that chose the flat minimum
    assert basin_of(SURFACE, [SURFACE.start]) == [0]
    # SGD lands on the minimum; SAM with a fixed ρ hovers near its own, on the flat side of the barrier
    # (SGD's error shrinks by |1 − 0.04·2| = 0.92 a step along x and |1 − 0.04·40| = 0.6 across: after 2000 steps it
    # is far below 1e-9, which only rounding near the minimum could reach)
    assert np.linalg.norm(np.subtract(r["sgd"]["end"], (-1.0, 0.0))) < 1e-9 and r["sam"]["end"][0] > 0.5


@pytest.mark.parametrize("lr,rho", [(0.035, 0.6), (0.045, 0.5), (0.03, 0.7)])
def test_the_claim_does_not_hang_on_one_setting(lr, rho):
    r = sam_versus_sgd(lr=lr, rho=rho)
    assert (r["sgd"]["basin"], r["sam"]["basin"]) == ("sharp", "flat")


def test_rho_zero_is_sgd_and_stays_sharp():
    r = sam_versus_sgd(rho=0.0)
    assert r["sam"] == r["sgd"]  # the same gradient, the same path


@pytest.mark.parametrize("bad,match", [(dict(rho=-0.5), "rho"), (dict(lr=0.0), "lr"), (dict(steps=0), "steps"),
                                       (dict(start=(np.nan, 0.0)), "start"), (dict(start=(1.0,)), "start")])
def test_bad_input_is_refused_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        sam_versus_sgd(**bad)
