"""AdEMAMix: trajectories of kozistr's pytorch-optimizer reproduced, steps worked out by hand, its Adam limit.

The reference trajectories are ``tests/reference/thirdparty/ademamix.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with pytorch-optimizer 4.1.0, its default AdEMAMix: no α/β3
warm-up, L2 decay, in float64); that its spec is complete and its explanation redoes its steps is
``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, assert_zero_eps_steps_0_as_a_limit, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.adam import adam
from optviz.optimizers.ademamix import ademamix
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("ademamix")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)
G0 = np.array([2.0, -4.0])


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    variants = {(c["kwargs"]["t_alpha_beta3"], c["kwargs"]["weight_decouple"]) for c in REFERENCE["cases"]}
    assert variants == {(None, False)}  # the package's defaults: no warm-up, L2 decay
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])
    assert any(c["optviz_kwargs"]["beta1"] < 0.5 for c in REFERENCE["cases"])  # torch.lerp's second branch


# As for torch's cases (tests/test_optimizers.py): the same float64 operations in the same order (torch.lerp's
# two branches included), a few ulps per step at most; the generator refused any run that turns a 1e-15 nudge of
# its start into more than 1e-11.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_the_first_step_adds_alpha_times_the_slow_momentum():
    # ε = 0: m1_1/(1−β1) = g0, m2_1 = (1−β3) g0, √v_1/√(1−β2) = |g0|: θ1 = θ0 − η (1 + α(1−β3)) sign(g0)
    traj = run(ademamix(lr=0.1, eps=0.0), internals=True)
    np.testing.assert_allclose(traj.positions[1, 0], THETA0 - 0.1 * (1 + 5.0 * (1 - 0.9999)) * np.sign(G0),
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["slow_moment"][1, 0], (1 - 0.9999) * G0, rtol=1e-12)


def test_second_step_by_hand():
    # η = 0.1, β1 = β2 = β3 = 0.5, α = 2, ε = 0. t = 1: θ1 = θ0 − 0.1 (1 + 2·0.5) sign(g0) = (0.8, −1.8);
    # m1_1 = m2_1 = g0/2 = (1, −2), v1 = g0²/2 = (2, 8). t = 2: g1 = (1.6, −3.6);
    # m1_2 = m2_2 = (1 + 1.6, −2 − 3.6)/2 = (1.3, −2.8), v2 = (2 + 2.56, 8 + 12.96)/2 = (2.28, 10.48);
    # θ2 = θ1 − 0.1 (m1_2/0.75 + 2 m2_2) / (√v2/√0.75)
    traj = run(ademamix(lr=0.1, beta1=0.5, beta2=0.5, beta3=0.5, slow_weight=2.0, eps=0.0), steps=2, internals=True)
    m, v = np.array([1.3, -2.8]), np.array([2.28, 10.48])
    np.testing.assert_allclose(traj.positions[1, 0], [0.8, -1.8], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["first_moment"][2, 0], m, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["slow_moment"][2, 0], m, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], v, rtol=1e-14)
    expected = np.array([0.8, -1.8]) - 0.1 * (m / 0.75 + 2 * m) / (np.sqrt(v) / np.sqrt(0.75))
    np.testing.assert_allclose(traj.positions[2, 0], expected, rtol=1e-14)


def test_alpha_0_is_adam():
    # α = 0: (m1/(1−β1^t))/(√v/√(1−β2^t) + ε), torch's Adam with L2 decay; m1 is a lerp here, β1 m + (1−β1) g̃ in Adam,
    # so the two agree to rounding, compounded over 30 steps
    mine = run(ademamix(lr=0.05, slow_weight=0.0, weight_decay=0.1), steps=30).positions
    np.testing.assert_allclose(mine, run(adam(lr=0.05, weight_decay=0.1), steps=30).positions, rtol=1e-12)


def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    assert_zero_eps_steps_0_as_a_limit("ademamix")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.005, 0.002], beta1=[0.9, 0.3, 0.0], beta2=[0.999, 0.99, 0.5],
                  beta3=[0.9999, 0.95, 0.5], slow_weight=[5.0, 2.0, 0.0], eps=[1e-8, 1e-4, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(ademamix, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("ademamix", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=ademamix&o1.b3=0.999&o1.slow=8", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("beta3"), opt.value("slow_weight"), opt.value("lr")) == (0.999, 8.0, 0.001)
    assert encode(state)["o1.slow"] == "8"
