"""Lion: trajectories of lucidrains' lion-pytorch reproduced, steps worked out by hand from its docstring.

The reference trajectories are ``tests/reference/thirdparty/lion.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with lion-pytorch 0.2.5 in float64); that its spec is
complete and its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.lion import lion
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("lion")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "lion-pytorch", "0.2.5")
    assert {c["kwargs"]["decoupled_weight_decay"] for c in REFERENCE["cases"]} == {False}  # the default update
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])


# The same bound as torch's cases (tests/test_optimizers.py): both sides do the same float64 operations up to
# the order of a few (the decay is applied as θ(1 − ηλ) − ηu there, θ − ηλθ − ηu here), so the paths agree to
# a few ulps per step; the generator refused any run that turns a 1e-15 nudge into more than 1e-11.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_lion_pytorch(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_first_two_steps_by_hand():
    # η = 0.1, β1 = 0.9, β2 = 0.99, m0 = 0.
    # t = 1: c1 = 0.1 g0 = (0.2, −0.4), u1 = (1, −1): θ1 = (0.9, −1.9); m1 = 0.01 g0 = (0.02, −0.04)
    # t = 2: g1 = (1.8, −3.8), c2 = 0.9 m1 + 0.1 g1 = (0.198, −0.416), u2 = (1, −1): θ2 = (0.8, −1.8);
    #        m2 = 0.99 m1 + 0.01 g1 = (0.0378, −0.0776)
    traj = run(lion(lr=0.1), steps=2, internals=True)
    np.testing.assert_allclose(traj.positions[1:, 0], [[0.9, -1.9], [0.8, -1.8]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["first_moment"][1:, 0], [[0.02, -0.04], [0.0378, -0.0776]], rtol=1e-13)
    np.testing.assert_array_equal(traj.internals["update"][:, 0], [[0, 0], [1, -1], [1, -1]])


def test_the_momentum_can_overrule_the_gradient():
    # From (0.05, −2), η = 0.1, β2 = 0.5: θ1 = (−0.05, −1.9) and m1 = 0.5 g0 = (0.05, −2).
    # t = 2: g1 = (−0.1, −3.8). β1 = 0.95: c2x = 0.95·0.05 + 0.05·(−0.1) = 0.0425 > 0, so x goes on to −0.15
    # against the new gradient; β1 = 0: c2 = g1, x turns back to 0.05.
    late = run(lion(lr=0.1, beta1=0.95, beta2=0.5), [0.05, -2.0], steps=2).positions[2, 0]
    np.testing.assert_allclose(late, [-0.15, -1.8], rtol=1e-14)
    eager = run(lion(lr=0.1, beta1=0.0, beta2=0.5), [0.05, -2.0], steps=2).positions[2, 0]
    np.testing.assert_allclose(eager, [0.05, -1.8], rtol=1e-14)


def test_decoupled_weight_decay():
    # λ = 0.5, η = 0.1: θ1 = θ0 − ηλθ0 − η sign(g0) = (1 − 0.05 − 0.1, −2 + 0.1 + 0.1) = (0.85, −1.8)
    np.testing.assert_allclose(run(lion(lr=0.1, weight_decay=0.5)).positions[1, 0], [0.85, -1.8], rtol=1e-14)


def test_a_zero_gradient_takes_no_step():
    # saddle x²/2 + y⁴/4 − y²/2 from (1, 0): ∂f/∂y = 0 always, c_y = 0 and sign(0) = 0, so y stays at 0
    traj = run(lion(lr=0.1), [1.0, 0.0], steps=5, surface=get_surface("saddle"), internals=True)
    assert np.all(traj.positions[:, 0, 1] == 0.0) and np.all(traj.internals["update"][:, 0, 1] == 0.0)
    np.testing.assert_allclose(traj.positions[1, 0], [0.9, 0.0], rtol=1e-14)


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.002, 0.0047, 0.001], beta1=[0.9, 0.95, 0.0], beta2=[0.99, 0.98, 0.5],
                  weight_decay=[0.0, 0.2, 0.1])
    assert_batch_equals_runs(lion, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("lion", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=lion&o1.b1=0.95&o1.b2=0.98&o1.wd=0.1", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("beta1"), opt.value("beta2"), opt.value("weight_decay"), opt.value("lr")) == (0.95, 0.98, 0.1,
                                                                                                   1e-4)
    assert encode(state)["o1.b2"] == "0.98"
