"""Prodigy: trajectories and step-size estimates of the authors' prodigyopt reproduced, steps worked out by hand.

The reference trajectories are ``tests/reference/thirdparty/prodigy.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with prodigyopt 1.1.2, its defaults, in float64), each with the
estimate d after every step; that its spec is complete and its explanation redoes its steps is
``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.prodigy import prodigy
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("prodigy")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = np.array([1.0, -2.0])  # g0 = (2, -4)
SIGN0 = np.array([1.0, -1.0])  # sign(g0)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "prodigyopt", "1.1.2")
    variants = {(c["kwargs"]["beta3"], c["kwargs"]["decouple"], c["kwargs"]["use_bias_correction"],
                 c["kwargs"]["safeguard_warmup"], c["kwargs"]["growth_rate"], c["kwargs"]["slice_p"])
                for c in REFERENCE["cases"]}
    assert variants == {(None, True, False, False, math.inf, 1)}  # the package's defaults
    assert any(c["optviz_kwargs"] == {"lr": 1.0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
                                      "d0": 1e-6, "d_coef": 1.0} for c in REFERENCE["cases"])
    for c in REFERENCE["cases"]:
        d = c["internals"]["d"]
        assert len(d) == c["steps"] and d[-1] > 10 * c["optviz_kwargs"]["d0"]  # every run's d took off


# As for torch's cases (tests/test_optimizers.py): the same float64 operations up to their grouping (prodigyopt
# shrinks θ by the decay and then adds the step; sums ⟨g, θ₀ − θ⟩ as torch.dot), a few ulps per step; the generator
# refused any run that turns a 1e-15 nudge of its start into more than 1e-11. d is a ratio of such sums: the same
# bound holds for it.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_prodigyopt(case):
    traj = replay_thirdparty_case(case, internals=True)
    np.testing.assert_allclose(traj.positions[:, 0], np.array(case["positions"]), rtol=1e-9, atol=1e-12)
    recorded = traj.internals["d"][1:, 0]  # (steps, 2): d_t after each step, on both columns
    np.testing.assert_array_equal(recorded[:, 0], recorded[:, 1])
    np.testing.assert_allclose(recorded[:, 0], case["internals"]["d"], rtol=1e-9)


def test_the_first_step_is_adam_at_learning_rate_eta_d0():
    # ε = 0, d0 = 0.01, η = 1: m1 = d0(1−β1) g0, √v1 = d0 √(1−β2) |g0|, r1 = 0 (θ = θ0), so d1 = d0:
    # θ1 = θ0 − η d0 (1−β1)/√(1−β2) sign(g0)
    traj = run(prodigy(eps=0.0, d0=0.01), internals=True)
    a = 0.01 * 0.1 / math.sqrt(1 - 0.999)
    np.testing.assert_allclose(traj.positions[1, 0], THETA0 - a * SIGN0, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["d"][:2, 0, 0], [0.01, 0.01], rtol=0)
    np.testing.assert_allclose(traj.internals["numerator"][1, 0], [0.0, 0.0], atol=0)


def test_the_second_estimate_by_hand():
    # t = 2, d1 = d0, γ = η d0, β3 = √β2: θ0 − θ1 = a sign(g0), so r2 = γ a (g1x − g1y) and s2 = γ (β3 g0 + g1):
    # d̂2 = a (g1x − g1y) / (|β3 g0x + g1x| + |β3 g0y + g1y|), d2 = max(d0, d̂2)
    traj = run(prodigy(eps=0.0, d0=0.01), steps=2, internals=True)
    a = 0.01 * 0.1 / math.sqrt(1 - 0.999)
    g0, g1 = 2 * THETA0, 2 * (THETA0 - a * SIGN0)
    b3 = math.sqrt(0.999)
    estimate = a * (g1[0] - g1[1]) / np.sum(np.abs(b3 * g0 + g1))
    assert estimate > 0.01  # the estimate grows d already
    np.testing.assert_allclose(traj.internals["d"][2, 0], [estimate, estimate], rtol=1e-13)
    np.testing.assert_allclose(traj.internals["numerator"][2, 0, 0], 0.01 * a * (g1[0] - g1[1]), rtol=1e-13)


def test_decoupled_weight_decay_is_times_eta_d():
    # λ = 0.5: the first step above plus −η d0 λ θ0
    got = run(prodigy(eps=0.0, d0=0.01, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, THETA0 * (1 - 0.01 * 0.5) - 0.01 * 0.1 / math.sqrt(0.001) * SIGN0, rtol=1e-14)


def test_beta1_zero_steps_along_d_times_g():
    # β1 = 0: no m; θ1 = θ0 − η d0 · d1 g0/(d0 √(1−β2)|g0|) = θ0 − η d0 sign(g0)/√(1−β2), d1 = d0
    got = run(prodigy(eps=0.0, d0=0.01, beta1=0.0)).positions[1, 0]
    np.testing.assert_allclose(got, THETA0 - 0.01 / math.sqrt(0.001) * SIGN0, rtol=1e-14)


def test_no_gradient_no_step_and_d_stays():
    # at the minimum g = 0, so s = 0: prodigyopt returns before d or θ change
    traj = run(prodigy(), [0.0, 0.0], steps=3, internals=True)
    assert np.all(traj.positions == 0.0) and np.all(traj.internals["d"][:, 0] == 1e-6)


def test_d_never_shrinks():
    traj = run(prodigy(), [-1.2, 1.0], steps=60, surface=get_surface("rosenbrock"), internals=True)
    d = traj.internals["d"][:, 0, 0]
    assert np.all(np.diff(d) >= 0) and d[-1] > 1e3 * d[0]


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[1.0, 0.5, 1.0], beta1=[0.9, 0.0, 0.8], beta2=[0.999, 0.99, 0.99], eps=[1e-8, 1e-4, 0.0],
                  weight_decay=[0.0, 0.1, 0.3], d0=[1e-6, 1e-3, 1e-4], d_coef=[1.0, 0.5, 2.0])
    batch = run(prodigy(**{k: np.array(v) for k, v in arrays.items()}), [-1.2, 1.0], 50, surface, internals=True)
    for i in range(3):
        alone = run(prodigy(**{k: v[i] for k, v in arrays.items()}), [-1.2, 1.0], 50, surface, internals=True)
        np.testing.assert_allclose(batch.positions[:, i], alone.positions[:, 0], rtol=1e-12)
        np.testing.assert_allclose(batch.internals["d"][:, i], alone.internals["d"][:, 0], rtol=1e-12)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("prodigy", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=prodigy&o1.d0=0.0001&o1.dcoef=0.5", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("d0"), opt.value("d_coef"), opt.value("lr")) == (1e-4, 0.5, 1.0)
    assert encode(state)["o1.dcoef"] == "0.5"
