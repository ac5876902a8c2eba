"""Predicted loss curves on quadratics against real ``simulate`` runs, and the optimal rates by hand.

GD and heavy ball are linear recurrences on a quadratic, so the per-eigen-direction predictions are the
runs themselves up to rounding: both sides are float64 evaluations of the same recurrence (one in the
eigenbasis, one in x, y), each step adding a few ulps relative to the current error, so after 200
steps the relative gap is ~1e-13 (measured worst: 1e-11 at the optimal momentum pair, whose double
root amplifies rounding); 1e-9 (the brief's bound) leaves two orders of margin. ``tol=0`` keeps every
run moving, so nothing is frozen by the convergence test.
"""
import numpy as np
import pytest

from optviz.classroom import rates
from optviz.optimizers import make_optimizer
from optviz.simulate import simulate
from surfaces import get_surface

PREDICTION_RTOL = 1e-9
STEPS = 200

SURFACES = [("quadratic", {}), ("ravine", {"condition": 10.0, "angle": 0.0}),
            ("ravine", {"condition": 100.0, "angle": 30.0}), ("ravine", {"condition": 1000.0, "angle": 135.0})]


def _surface(name, params):
    return get_surface(name, **params)


NORMAL = 1e-280  # below this a loss is near float64's subnormal range (2.2e-308): no relative precision left


def _rel(measured, predicted):
    """Worst relative gap where the predicted loss is a normal float; where it is not, the run must be too."""
    normal = predicted > NORMAL
    assert normal[0] and np.all(measured[~normal] < 1e-250)
    return float(np.max(np.abs(measured[normal] - predicted[normal]) / predicted[normal]))


@pytest.mark.parametrize("name, params", SURFACES)
@pytest.mark.parametrize("fraction", [0.3, 0.95, 1.9])  # η = fraction / λ_max: slow, near 1/λ_max, near the edge
def test_gd_prediction_equals_the_run(name, params, fraction):
    s = _surface(name, params)
    quad = rates.quadratic_of(s)
    lr = fraction / quad.eigenvalues[-1]
    traj = simulate(s, make_optimizer("sgd", lr=lr), s.start, STEPS, tol=0)
    predicted = rates.gd_loss(quad, s.start, lr, STEPS)
    assert _rel(traj.loss[:, 0], predicted) <= PREDICTION_RTOL
    # the bound (f0 − c) ρ^{2t} is never below the exact curve (each term shrinks by at most ρ²)
    assert np.all(rates.gd_bound(quad, s.start, lr, STEPS) >= predicted * (1 - 1e-12))


@pytest.mark.parametrize("name, params", SURFACES)
@pytest.mark.parametrize("convention", ["pytorch", "textbook", "keras"])
def test_heavy_ball_prediction_equals_the_run(name, params, convention):
    s = _surface(name, params)
    quad = rates.quadratic_of(s)
    lam_max = quad.eigenvalues[-1]
    eta_opt, beta_opt, _ = rates.optimal_heavy_ball(quad, "textbook" if convention == "textbook" else "pytorch")
    pairs = [(1.0 / lam_max, 0.9), (0.5 / lam_max, 0.5), (eta_opt, beta_opt)]
    if name == "quadratic":
        # On the bowl both directions share λ = 2, so the loss itself touches 0 wherever an oscillating error
        # crosses 0, and a relative error means nothing there: only pairs with real positive roots, whose
        # error never swings (ηλ = 0.1, β = 0.4: roots 0.8, 0.5; ηλ = 0.2, β = 0.2: roots 0.72, 0.28).
        pairs = [(0.05, 0.4), (0.1, 0.2)] if convention != "textbook" else [(0.05 / 0.6, 0.4), (0.1 / 0.8, 0.2)]
    for lr, beta in pairs:
        traj = simulate(s, make_optimizer("momentum", lr=lr, beta=beta, convention=convention), s.start, STEPS, tol=0)
        predicted = rates.heavy_ball_loss(quad, s.start, lr, beta, STEPS, convention)
        assert _rel(traj.loss[:, 0], predicted) <= PREDICTION_RTOL, (lr, beta)


def test_optimal_gd_by_hand_for_kappa_100():
    quad = rates.quadratic_of(get_surface("ravine", condition=100.0, angle=0.0))
    eta, rho = rates.optimal_gd(quad)
    assert eta == pytest.approx(2 / 101, rel=1e-14) and rho == pytest.approx(99 / 101, rel=1e-14)
    # at η* both ends shrink equally: |1 − η*| = |1 − 100η*| = 99/101
    assert float(rates.gd_rate(quad, eta)) == pytest.approx(99 / 101, rel=1e-14)


def test_optimal_heavy_ball_by_hand_for_kappa_100():
    quad = rates.quadratic_of(get_surface("ravine", condition=100.0, angle=0.0))
    eta, beta, rate = rates.optimal_heavy_ball(quad)
    assert eta == pytest.approx(4 / 121, rel=1e-14)  # 4/(√1 + √100)²
    assert beta == pytest.approx((9 / 11) ** 2, rel=1e-14) and rate == pytest.approx(9 / 11, rel=1e-14)
    # both ends are double roots there: the radius is 9/11. A double root's computed |z| is off by about
    # √(rounding of the discriminant) ≈ √1e-16 = 1e-8, hence 1e-7.
    assert float(rates.heavy_ball_rate(quad, eta, beta)) == pytest.approx(9 / 11, abs=1e-7)
    # the course-notes form with η*/(1 − β*) takes the very same steps
    eta_t, beta_t, _ = rates.optimal_heavy_ball(quad, "textbook")
    assert eta_t == pytest.approx(eta / (1 - beta), rel=1e-14) and beta_t == beta


@pytest.mark.parametrize("lam, lr, beta", [(2.0, 0.05, 0.4), (2.0, 0.05, 0.9), (100.0, 0.032, 0.7), (1.0, 0.5, 0.3)])
def test_heavy_ball_radius_matches_the_matrix_eigenvalues(lam, lr, beta):
    for convention in ("pytorch", "textbook", "keras"):
        matrix = rates.heavy_ball_matrices(lam, lr, beta, convention)
        expected = np.max(np.abs(np.linalg.eigvals(matrix)))
        assert float(rates.heavy_ball_radius(lam, lr, beta, convention)) == pytest.approx(expected, rel=1e-12)
    # by hand on the bowl (λ = 2, ηλ = 0.1): β = 0.4 has roots of z² − 1.3z + 0.4, i.e. 0.8 and 0.5
    assert float(rates.heavy_ball_radius(2.0, 0.05, 0.4)) == pytest.approx(0.8, rel=1e-14)


def test_eigen_losses_split_the_loss_and_decay_by_one_minus_eta_lambda():
    s = get_surface("ravine", condition=20.0, angle=60.0)
    quad = rates.quadratic_of(s)
    lr = 0.08
    traj = simulate(s, make_optimizer("sgd", lr=lr), s.start, 60, tol=0)
    parts = rates.eigen_losses(traj, quad)  # (61, 1, 2)
    np.testing.assert_allclose(parts.sum(axis=-1), traj.loss - quad.c, rtol=1e-12)
    x = rates.eigen_components(traj, quad)[:, 0]  # (61, 2)
    # x_i(t + 1) = (1 − ηλ_i) x_i(t): 0.92 along the floor, 1 − 1.6 = −0.6 across
    np.testing.assert_allclose(x[1:], x[:-1] * np.array([0.92, -0.6]), rtol=1e-9, atol=1e-14)


def test_quadratic_of_refuses_a_surface_whose_hessian_changes():
    with pytest.raises(ValueError, match="not a quadratic"):
        rates.quadratic_of(get_surface("rosenbrock"))
