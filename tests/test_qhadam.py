"""QHAdam: trajectories of facebookresearch's qhoptim reproduced, steps worked out by hand, its Adam limit.

The reference trajectories are ``tests/reference/thirdparty/qhadam.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with qhoptim 1.1.0 in float64); that its spec is complete and
its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, assert_zero_eps_steps_0_as_a_limit, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.adam import adam
from optviz.optimizers.qhadam import qhadam
from optviz.share import AppState, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("qhadam")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "qhoptim", "1.1.0")
    assert {c["kwargs"]["decouple_weight_decay"] for c in REFERENCE["cases"]} == {False}
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])
    assert any(c["optviz_kwargs"]["nu2"] != 1.0 for c in REFERENCE["cases"])


# As for torch's cases (tests/test_optimizers.py): the same float64 operations in the same order, a few ulps per
# step at most; the generator refused any run that turns a 1e-15 nudge of its start into more than 1e-11.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_qhoptim(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_first_two_steps_by_hand():
    # ε = 0, η = 0.1, β1 = β2 = ν1 = ν2 = 0.5.
    # t = 1: w = 1, a = 0: m̂1 = g0, v̂1 = g0²; the step is −η g0/|g0|: θ1 = (0.9, −1.9), g1 = (1.8, −3.8)
    # t = 2: w = 1.5, a = 1/3: m̂2 = g0/3 + 2 g1/3, v̂2 = g0²/3 + 2 g1²/3;
    #        θ2 = θ1 − 0.1 (0.5 m̂2 + 0.5 g1)/√(0.5 v̂2 + 0.5 g1²)
    traj = run(qhadam(lr=0.1, beta1=0.5, beta2=0.5, nu1=0.5, nu2=0.5, eps=0.0), steps=2, internals=True)
    g0, g1 = np.array([2.0, -4.0]), np.array([1.8, -3.8])
    m2, v2 = g0 / 3 + 2 * g1 / 3, g0**2 / 3 + 2 * g1**2 / 3
    np.testing.assert_allclose(traj.positions[1, 0], [0.9, -1.9], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["first_moment"][2, 0], m2, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], v2, rtol=1e-14)
    np.testing.assert_allclose(traj.positions[2, 0], [0.9, -1.9] - 0.1 * (0.5 * m2 + 0.5 * g1) / np.sqrt(
        0.5 * v2 + 0.5 * g1**2), rtol=1e-14)


def test_l2_weight_decay_enters_the_gradient():
    # λ = 0.5: g̃0 = (2.5, −5); the first step is −η g̃0/|g̃0| whatever ν (ε = 0): θ1 = (0.9, −1.9) again
    got = run(qhadam(lr=0.1, eps=0.0, weight_decay=0.5, nu1=0.3)).positions[1, 0]
    np.testing.assert_allclose(got, [0.9, -1.9], rtol=1e-14)
    # (on x² + y², g̃ = 2.5θ is g scaled per coordinate, which a ε = 0 QHAdam cannot see; the reference's
    # weight-decay runs on the saddle, where g̃_y = y³ − y + λy is not, check the decay beyond the first step)
    saddle = [c for c in REFERENCE["cases"] if c["surface"] == "saddle" and c["optviz_kwargs"]["weight_decay"] > 0]
    assert saddle


def test_nus_of_one_are_adam():
    # ν1 = ν2 = 1: (m̂)/(√v̂ + ε) with m̂, v̂ the bias-corrected averages, i.e. torch's Adam; the bias correction is
    # summed (w_t = 1 + β w_{t−1}) rather than divided, so the two agree to rounding, compounded over 30 steps
    mine = run(qhadam(lr=0.05, beta1=0.9, nu1=1.0, nu2=1.0, weight_decay=0.1), steps=30).positions
    np.testing.assert_allclose(mine, run(adam(lr=0.05, weight_decay=0.1), steps=30).positions, rtol=1e-12)


def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    assert_zero_eps_steps_0_as_a_limit("qhadam")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.995, 0.9, 0.0], beta2=[0.999, 0.99, 0.5], nu1=[0.7, 0.5, 1.0],
                  nu2=[1.0, 0.8, 0.0], eps=[1e-8, 1e-4, 0.0], weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(qhadam, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("qhadam", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=qhadam&o1.nu1=0.5&o1.nu2=0.9&o1.b1=0.9", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("nu1"), opt.value("nu2"), opt.value("beta1"), opt.value("lr")) == (0.5, 0.9, 0.9, 0.001)
