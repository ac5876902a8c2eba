"""QHM: trajectories of facebookresearch's qhoptim reproduced, steps worked out by hand, its special cases.

The reference trajectories are ``tests/reference/thirdparty/qhm.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with qhoptim 1.1.0 in float64); that its spec is complete and
its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.momentum import momentum
from optviz.optimizers.qhm import qhm
from optviz.optimizers.sgd import sgd
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("qhm")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
ROSENBROCK = get_surface("rosenbrock")
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "qhoptim", "1.1.0")
    assert {c["kwargs"]["weight_decay_type"] for c in REFERENCE["cases"]} == {"grad"}
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])


# As for torch's cases (tests/test_optimizers.py): the same float64 operations up to their grouping (qhoptim adds
# −ηνm and −η(1−ν)g̃ to θ one after the other, here their sum), a few ulps per step; the generator refused any run
# that turns a 1e-15 nudge of its start into more than 1e-11.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_qhoptim(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_first_two_steps_by_hand():
    # η = 0.1, β = 0.9, ν = 0.5. t = 1: m1 = 0.1 g0 = (0.2, −0.4); θ1 = θ0 − 0.05 m1 − 0.05 g0 = (0.89, −1.78)
    # t = 2: g1 = (1.78, −3.56); m2 = 0.9 m1 + 0.1 g1 = (0.358, −0.716); θ2 = θ1 − 0.05 (m2 + g1) = (0.7831, −1.5662)
    traj = run(qhm(lr=0.1, beta=0.9, discount=0.5), steps=2, internals=True)
    np.testing.assert_allclose(traj.positions[1:, 0], [[0.89, -1.78], [0.7831, -1.5662]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["first_moment"][1:, 0], [[0.2, -0.4], [0.358, -0.716]], rtol=1e-14)


def test_l2_weight_decay_enters_buffer_and_step():
    # λ = 0.5: g̃0 = (2, −4) + 0.5 (1, −2) = (2.5, −5); m1 = 0.1 g̃0; θ1 = θ0 − 0.05 (0.1 + 1) g̃0 = (0.8625, −1.725)
    got = run(qhm(lr=0.1, beta=0.9, discount=0.5, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [0.8625, -1.725], rtol=1e-14)


def test_nu_0_is_sgd_and_nu_1_is_dampened_momentum():
    # ν = 0: θ − η·0·m − η·1·g̃ = SGD's step exactly; ν = 1: θ − η m with m = βm + (1−β)g̃, the textbook momentum
    plain = run(qhm(lr=1e-3, beta=0.9, discount=0.0, weight_decay=0.1), [-1.2, 1.0], 40, ROSENBROCK).positions
    np.testing.assert_array_equal(plain, run(sgd(lr=1e-3, weight_decay=0.1), [-1.2, 1.0], 40, ROSENBROCK).positions)
    heavy = run(qhm(lr=1e-3, beta=0.9, discount=1.0), [-1.2, 1.0], 40, ROSENBROCK).positions
    textbook = run(momentum(lr=1e-3, beta=0.9, convention="textbook"), [-1.2, 1.0], 40, ROSENBROCK).positions
    np.testing.assert_allclose(heavy, textbook, rtol=1e-13)  # the same arithmetic, grouped alike up to ulps


def test_a_batch_equals_its_runs_alone():
    arrays = dict(lr=[1e-3, 5e-4, 1.5e-3], beta=[0.999, 0.9, 0.0], discount=[0.7, 1.0, 0.3],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(qhm, arrays, ROSENBROCK)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("qhm", convention="textbook")


def test_settings_travel_in_links():
    state, notices = from_link("o=qhm&o1.qnu=0.5&o1.b=0.9", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("discount"), opt.value("beta"), opt.value("lr")) == (0.5, 0.9, 0.001)
    assert encode(state)["o1.qnu"] == "0.5"
