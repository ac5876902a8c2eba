"""Muon: torch.optim.Muon's trajectories reproduced (float64, and as torch runs it in bfloat16), steps by hand.

The reference trajectories are ``tests/reference/thirdparty/muon.json`` (made by
``tests/reference/make_muon_reference.py`` with torch 2.13.0): torch.optim.Muon on the 1×2 matrix
[[x, y]], once with its Newton–Schulz iteration re-implemented in float64 and once exactly as shipped
(bfloat16). That the spec is complete and its explanation redoes its steps is ``tests/test_registry.py``
and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.muon import muon
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("muon")
FLOAT64 = [c for c in REFERENCE["cases"] if c["newton_schulz"] == "float64"]
BFLOAT16 = [c for c in REFERENCE["cases"] if c["newton_schulz"] == "bfloat16"]
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = np.array([1.0, -2.0])  # g0 = (2, −4), along θ0


def unit_row_length() -> float:
    """ν: the length five Newton–Schulz iterations make of a unit 1×2 row.

    For a row X the Gram matrix X Xᵀ is |X|², so X ← a X + b (X Xᵀ) X + c (X Xᵀ)² X multiplies X by
    a + b|X|² + c|X|⁴: the length follows n ← n (a + b n² + c n⁴) from n = 1, with torch's coefficients.
    """
    a, b, c = 3.4445, -4.7750, 2.0315
    n = 1.0
    for _ in range(5):
        n = n * (a + b * n**2 + c * n**4)
    return n


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "torch", "2.13.0+cpu")
    assert len(FLOAT64) == len(BFLOAT16) == len(REFERENCE["cases"]) // 2
    for c in REFERENCE["cases"]:
        assert c["class"] == "torch.optim.Muon"
        kw = c["kwargs"]
        assert (kw["nesterov"], kw["ns_coefficients"], kw["ns_steps"], kw["eps"], kw["adjust_lr_fn"]) == (
            True, [3.4445, -4.775, 2.0315], 5, 1e-7, None)  # torch's defaults, the variant OptViz implements
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in FLOAT64)


# The float64 cases: torch's own momentum, blend and decay code, and its Newton–Schulz iteration redone in float64.
# The same operations up to their grouping (torch shrinks θ by 1 − ηλ and then adds −η O; lerp for the averages),
# a few ulps per step; the generator refused any run that turns a 1e-15 nudge of its start into more than 1e-11.
# (Measured worst when written: 2.0e-15 relative.)
@pytest.mark.parametrize("case", FLOAT64, ids=[c["id"] for c in FLOAT64])
def test_matches_torch_muon_in_float64(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


# torch.optim.Muon as shipped runs the iteration in bfloat16 (8 significant bits, relative spacing 2⁻⁷). Its
# update's length is then not ν = 0.6964 but anywhere within a few per cent of it (5 iterations of a polynomial
# of slope up to ~3 amplify the 2⁻⁹ rounding), and its direction is off by ~2⁻⁸. So each step can differ from the
# float64 one by up to ~3% of η, and without contraction such errors add up: |θ_t − θ_t^torch| ≤ 0.03·η·t.
# (Measured worst when written: 0.0159·η·t; update lengths 0.680 … 0.714, at most 2.5% from ν.)
@pytest.mark.parametrize("case", BFLOAT16, ids=[c["id"] for c in BFLOAT16])
def test_matches_torch_muon_in_bfloat16_within_its_precision(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    want = np.array(case["positions"])
    eta, t = case["optviz_kwargs"]["lr"], np.arange(len(want))
    assert np.all(np.max(np.abs(got - want), axis=1) <= 0.03 * eta * t)
    lengths = np.linalg.norm(np.array(case["internals"]["orthogonalized"]), axis=1)
    assert np.all(np.abs(lengths / unit_row_length() - 1) <= 0.03)


def test_the_first_steps_by_hand():
    # On x² + y² from θ0 every gradient is along θ0 and so is the momentum: each update is ν·θ0/|θ0|
    # (a unit row made length ν), so θ_k = θ0 − k η ν θ0/|θ0| while the run has not passed the minimum.
    eta, nu = 0.1, unit_row_length()
    assert abs(nu - 0.6964) < 1e-4  # the swing 1 → 0.701 → 1.114 → 0.721 → 1.090 → 0.696
    traj = run(muon(lr=eta), steps=3, internals=True)
    direction = THETA0 / np.linalg.norm(THETA0)
    expected = [THETA0 - k * eta * nu * direction for k in range(4)]
    # a handful of float64 operations per step: 1e-14 relative
    np.testing.assert_allclose(traj.positions[:, 0], expected, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["orthogonalized"][1:, 0], [nu * direction] * 3, rtol=1e-14)
    # B1 = (1 − μ) g0 with μ = 0.95: the moving average, not torch's docstring's μB + g
    np.testing.assert_allclose(traj.internals["momentum_buffer"][1, 0], 0.05 * 2 * THETA0, rtol=1e-14)


def test_the_second_step_by_hand():
    # On the saddle x²/2 + y⁴/4 − y²/2, g = (x, y³ − y): the gradients turn, so the momentum matters.
    # μ = 0.8, η = 0.1. t = 1: B1 = (1−μ) g0, U1 = (1−μ) g0 + μ B1, θ1 = θ0 − η ν U1/|U1|.
    # t = 2: B2 = μ B1 + (1−μ) g1, U2 = (1−μ) g1 + μ B2, θ2 = θ1 − η ν U2/|U2|.
    def grad(p):
        return np.array([p[0], p[1] ** 3 - p[1]])

    mu, eta, nu = 0.8, 0.1, unit_row_length()
    traj = run(muon(lr=eta, beta=mu), steps=2, surface=get_surface("saddle"), internals=True)
    b1 = (1 - mu) * grad(THETA0)
    u1 = (1 - mu) * grad(THETA0) + mu * b1
    theta1 = THETA0 - eta * nu * u1 / np.linalg.norm(u1)
    b2 = mu * b1 + (1 - mu) * grad(theta1)
    u2 = (1 - mu) * grad(theta1) + mu * b2
    theta2 = theta1 - eta * nu * u2 / np.linalg.norm(u2)
    assert abs(np.dot(u2, u1) / np.linalg.norm(u1) / np.linalg.norm(u2)) < 0.9999  # the direction did turn
    # a few dozen float64 operations: 1e-14 relative
    np.testing.assert_allclose(traj.internals["momentum_buffer"][2, 0], b2, rtol=1e-14)
    np.testing.assert_allclose(traj.positions[2, 0], theta2, rtol=1e-14)


def test_decoupled_weight_decay():
    # λ = 0.5, η = 0.1: θ1 = θ0 − ηλθ0 − η ν θ0/|θ0|
    got = run(muon(lr=0.1, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, THETA0 * (1 - 0.05) - 0.1 * unit_row_length() * THETA0 / np.sqrt(5), rtol=1e-14)


def test_the_gradients_scale_does_not_matter():
    # Normalized momentum: the update depends only on the direction of U_t, and U_t is linear in the gradients,
    # so gradients 1000 times larger give the same steps. Up to the rounding of the normalization: 1e-13.
    small, large = muon(lr=0.05, beta=0.9), muon(lr=0.05, beta=0.9)
    rosen = get_surface("rosenbrock")
    p_small = p_large = np.array([[-1.2, 1.0]])
    s_small, s_large = small.init(p_small), large.init(p_large)
    for _ in range(20):
        step_small, s_small = small.update(rosen.grad(p_small), s_small, p_small, None)
        step_large, s_large = large.update(1000.0 * rosen.grad(p_large), s_large, p_large, None)
        p_small, p_large = p_small + step_small, p_large + step_large
        np.testing.assert_allclose(p_large, p_small, rtol=1e-13)


def test_no_gradient_no_step():
    # at the minimum g = 0: B and U stay 0, X0 = 0/ε = 0 and every iterate is 0
    traj = run(muon(), [0.0, 0.0], steps=3, internals=True)
    assert np.all(traj.positions == 0.0) and np.all(traj.internals["orthogonalized"] == 0.0)


def test_a_batch_equals_its_runs_alone():
    arrays = dict(lr=[0.02, 0.0047, 0.01], beta=[0.95, 0.5, 0.0], weight_decay=[0.0, 0.2, 0.1])
    assert_batch_equals_runs(muon, arrays, get_surface("rosenbrock"))


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("muon", convention="keras")


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="beta"):
        make_optimizer("muon", beta=1.5)


def test_settings_travel_in_links():
    state, notices = from_link("o=muon&o1.b=0.9&o1.wd=0.1", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("beta"), opt.value("weight_decay"), opt.value("lr")) == (0.9, 0.1, 0.02)
    assert encode(state)["o1.b"] == "0.9"
