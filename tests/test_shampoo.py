"""Shampoo (full-matrix AdaGrad on a 2-vector): kozistr's pytorch_optimizer.Shampoo reproduced, steps by hand.

The reference trajectories are ``tests/reference/thirdparty/shampoo.json`` (made by
``tests/reference/make_shampoo_reference.py`` with pytorch-optimizer 4.1.0 in float64); that the spec is
complete and its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.shampoo import shampoo
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface
from surfaces.ravine import ravine

REFERENCE = thirdparty_reference("shampoo")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
SADDLE = get_surface("saddle")  # x²/2 + y⁴/4 − y²/2: g = (x, y³ − y)
THETA0 = np.array([1.0, -2.0])


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def inverse_root_by_eigh(p):
    """P^{−1/2} through numpy's symmetric eigensolver: independent of the module's closed form."""
    values, vectors = np.linalg.eigh(p)
    return vectors @ np.diag(values**-0.5) @ vectors.T


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    variants = {(c["kwargs"]["momentum"], c["kwargs"]["weight_decouple"], c["kwargs"]["fixed_decay"],
                 c["kwargs"]["preconditioning_compute_steps"]) for c in REFERENCE["cases"]}
    assert variants == {(0.0, False, False, 1)}  # the package's defaults: what OptViz implements
    assert all(c["kwargs"]["matrix_eps"] == c["optviz_kwargs"]["eps"] for c in REFERENCE["cases"])
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])
    assert any(c["optviz_kwargs"]["eps"] == 1e-6 for c in REFERENCE["cases"])  # the package's ε, on Rosenbrock


# The same float64 arithmetic up to how P^{−1/2} is taken (an SVD there, the 2×2 closed form here): both are
# accurate to a few ulps of P's largest eigenvalue, and the generator refused any run that turns a 1e-15 nudge
# of its start into more than 1e-11. (Measured worst when written: 1.2e-12, on Rosenbrock with ε = 1e-6.)
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer_shampoo(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_the_first_step_by_hand():
    # P1 = εI + g0 g0ᵀ has g0 as an eigenvector (eigenvalue ε + |g0|²) and g0⊥ (eigenvalue ε), so
    # θ1 = θ0 − η g0/√(|g0|² + ε); P^{−1/2}'s eigenvalues are 1/√ε and 1/√(ε + |g0|²).
    eta, eps = 0.1, 1e-2
    traj = run(shampoo(lr=eta, eps=eps), internals=True)
    g0 = 2 * THETA0
    # a dozen float64 operations: 1e-14 relative
    np.testing.assert_allclose(traj.positions[1, 0], THETA0 - eta * g0 / np.sqrt(20 + eps), rtol=1e-14)
    # 1/√λ_min comes from D = P_xx P_yy − P_xy², which cancels to ε(|g0|² + ε) ≈ 0.2 from terms near |g0|⁴ = 400:
    # a few ulps of 400 relative to 0.2 is ~1e-12
    np.testing.assert_allclose(traj.internals["eigenvalue_across"][:2, 0], [[eps**-0.5] * 2] * 2, rtol=1e-12)
    np.testing.assert_allclose(traj.internals["eigenvalue_along"][:2, 0], [[eps**-0.5] * 2, [(20 + eps) ** -0.5] * 2],
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["statistics"][1, 0], [eps + 4, eps + 16], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["statistics_xy"][1, 0], [-8, -8], rtol=1e-14)


def test_the_second_step_by_hand():
    # On the saddle the gradient turns: P2 = εI + g0 g0ᵀ + g1 g1ᵀ, θ2 = θ1 − η P2^{−1/2} g1, the root by eigh.
    eta, eps = 0.2, 1e-3
    def grad(p):
        return np.array([p[0], p[1] ** 3 - p[1]])

    g0 = grad(THETA0)
    theta1 = THETA0 - eta * inverse_root_by_eigh(eps * np.eye(2) + np.outer(g0, g0)) @ g0
    g1 = grad(theta1)
    p2 = eps * np.eye(2) + np.outer(g0, g0) + np.outer(g1, g1)
    theta2 = theta1 - eta * inverse_root_by_eigh(p2) @ g1
    traj = run(shampoo(lr=eta, eps=eps), steps=2, surface=SADDLE, internals=True)
    # eigh and the closed form agree to a few ulps of P's largest eigenvalue over its smallest one's root: 1e-12
    np.testing.assert_allclose(traj.positions[2, 0], theta2, rtol=1e-12)
    recorded = [traj.internals["eigenvalue_along"][2, 0, 0], traj.internals["eigenvalue_across"][2, 0, 0]]
    np.testing.assert_allclose(recorded, np.linalg.eigvalsh(p2)[::-1] ** -0.5, rtol=1e-12)


def test_l2_weight_decay_enters_the_statistics():
    # λ = 0.5: g̃0 = g0 + λθ0 = 2.5 θ0, θ1 = θ0 − η g̃0/√(|g̃0|² + ε), P1 = εI + g̃0 g̃0ᵀ
    eta, eps = 0.1, 1e-2
    traj = run(shampoo(lr=eta, eps=eps, weight_decay=0.5), internals=True)
    g = 2.5 * THETA0
    np.testing.assert_allclose(traj.positions[1, 0], THETA0 - eta * g / np.sqrt(g @ g + eps), rtol=1e-14)
    np.testing.assert_allclose(traj.internals["statistics_xy"][1, 0, 0], g[0] * g[1], rtol=1e-14)


def test_eps_zero_takes_the_limit():
    # ε = 0: P1 = g0 g0ᵀ is singular; as ε → 0⁺ the first step tends to η g0/|g0|, and P^{−1/2}'s eigenvalue
    # across g0 (1/√ε) has no limit: NaN.
    traj = run(shampoo(lr=0.1, eps=0.0), steps=2, surface=SADDLE, internals=True)
    g0 = np.array([1.0, -6.0])
    np.testing.assert_allclose(traj.positions[1, 0], THETA0 - 0.1 * g0 / np.linalg.norm(g0), rtol=1e-14)
    first, second = traj.internals["eigenvalue_across"][1, 0, 0], traj.internals["eigenvalue_along"][1, 0, 0]
    assert np.isnan(first) and second == pytest.approx(1 / np.linalg.norm(g0), rel=1e-14)
    assert np.all(np.isfinite(traj.positions))  # the second gradient turns: P2 is regular


def test_the_path_turns_with_the_ravine():
    # Full-matrix AdaGrad is rotation-equivariant: with gradients R g, P becomes R P Rᵀ and P^{−1/2} R P^{−1/2} Rᵀ
    # (εI is unchanged), so turning the valley by 30° turns the path by 30°. Rounding differs along the two
    # paths: measured 2e-13 after 100 steps; bound 1e-9 of the path's size (~2.5), far below any real difference
    # (diagonal AdaGrad's path moves by O(1)).
    angle = np.radians(30.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    level, turned = ravine(angle=0.0), ravine(angle=30.0)
    flat = run(shampoo(lr=0.3), level.start, 100, level).positions[:, 0]
    rotated = run(shampoo(lr=0.3), rotation @ np.array(level.start), 100, turned).positions[:, 0]
    np.testing.assert_allclose(rotated @ rotation, flat, rtol=0, atol=1e-9)  # rows @ R is Rᵀ applied to each point
    diagonal = run(make_optimizer("adagrad", lr=0.3), rotation @ np.array(level.start), 100, turned).positions[:, 0]
    flat_diagonal = run(make_optimizer("adagrad", lr=0.3), level.start, 100, level).positions[:, 0]
    assert np.max(np.abs(diagonal @ rotation - flat_diagonal)) > 0.1  # what the test would catch


def test_no_gradient_no_step():
    traj = run(shampoo(), [0.0, 0.0], steps=3, internals=True)
    assert np.all(traj.positions == 0.0)
    np.testing.assert_allclose(traj.internals["statistics"][-1, 0], [1e-6, 1e-6], rtol=0)


def test_a_batch_equals_its_runs_alone():
    arrays = dict(lr=[0.1, 0.031, 0.05], eps=[1e-6, 1e-3, 0.1], weight_decay=[0.0, 0.2, 0.1])
    assert_batch_equals_runs(shampoo, arrays, get_surface("rosenbrock"))


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("shampoo", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=shampoo&o1.eps=0.001&o1.wd=0.1", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("eps"), opt.value("weight_decay"), opt.value("lr")) == (0.001, 0.1, 0.1)
    assert encode(state)["o1.eps"] == "0.001"
