"""AdaBelief: trajectories of kozistr's pytorch-optimizer reproduced, steps worked out by hand from its docstring.

The reference trajectories are ``tests/reference/thirdparty/adabelief.json`` (made by
``tests/reference/make_thirdparty_reference.py`` with pytorch-optimizer 4.1.0, its default AdaBelief, in
float64); that its spec is complete and its explanation redoes its steps is ``tests/test_registry.py`` and
``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, assert_zero_eps_steps_0_as_a_limit, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.adabelief import adabelief
from optviz.share import AppState, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("adabelief")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    variants = {(c["kwargs"]["rectify"], c["kwargs"]["weight_decouple"], c["kwargs"]["fixed_decay"],
                 c["kwargs"]["ams_bound"]) for c in REFERENCE["cases"]}
    assert variants == {(False, True, False, False)}  # the package's defaults
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])
    assert {c["optviz_kwargs"]["eps"] for c in REFERENCE["cases"]} == {1e-16, 1e-4}


# As for torch's cases (tests/test_optimizers.py): the same float64 operations up to the order of a few (the
# decay is θ(1 − ηλ) − step there, θ − ηλθ − step here), a few ulps per step; the generator refused any run
# that turns a 1e-15 nudge of its start into more than 1e-11.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer(case):
    got = replay_thirdparty_case(case).positions[:, 0]
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


def test_the_first_step_is_eta_over_beta1():
    # ε = 0, η = 0.1, β1 = 0.9: m1 = 0.1 g0 = (0.2, −0.4); g0 − m1 = 0.9 g0 = (1.8, −3.6);
    # s1 = 0.001·(1.8, −3.6)²; √s1/√(1 − 0.999) = (1.8, 3.6); η/(1 − 0.9) = 1:
    # θ1 = θ0 − (0.2/1.8, −0.4/3.6) = (1 − 1/9, −2 + 1/9)
    np.testing.assert_allclose(run(adabelief(lr=0.1, eps=0.0)).positions[1, 0], [1 - 1 / 9, -2 + 1 / 9], rtol=1e-14)


def test_decoupled_weight_decay():
    # λ = 0.5: the step above plus −ηλθ0 = −0.05 θ0
    got = run(adabelief(lr=0.1, eps=0.0, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [0.95 - 1 / 9, -1.9 + 1 / 9], rtol=1e-14)


def test_eps_is_added_to_the_belief_every_step():
    # saddle from (1, 0): ∂f/∂y = 0, so m_y = 0 and s_y,t = β2 s_y,t−1 + ε: ε, ε(1 + β2), ε(1 + β2 + β2²); y stays 0
    eps, b2 = 1e-4, 0.9
    traj = run(adabelief(lr=0.01, eps=eps, beta2=b2), [1.0, 0.0], steps=3, surface=get_surface("saddle"),
               internals=True)
    np.testing.assert_allclose(traj.internals["belief"][1:, 0, 1], [eps, eps * (1 + b2), eps * (1 + b2 + b2**2)],
                               rtol=1e-14)
    assert np.all(traj.positions[:, 0, 1] == 0.0)


def test_recorded_effective_lr_is_the_factor_on_m():
    traj = run(adabelief(lr=0.1, eps=0.0), steps=1, internals=True)
    rates = traj.internals["effective_lr"][1, 0]  # η/((1 − β1)·β1|g0|) = 1/(1.8, 3.6)
    np.testing.assert_allclose(rates, [1 / 1.8, 1 / 3.6], rtol=1e-14)
    step = np.diff(traj.positions[:, 0], axis=0)[0]
    np.testing.assert_allclose(-step / traj.internals["first_moment"][1, 0], rates, rtol=1e-14)


def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    assert_zero_eps_steps_0_as_a_limit("adabelief")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.9, 0.8, 0.0], beta2=[0.999, 0.99, 0.5], eps=[1e-16, 1e-4, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(adabelief, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("adabelief", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=adabelief&o1.eps=0.0001&o1.wd=0.1", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("eps"), opt.value("weight_decay"), opt.value("lr")) == (1e-4, 0.1, 0.001)
