"""SAM (with SGD and with Adam): the reference package's trajectories and ascent points reproduced, steps by hand.

The reference trajectories are ``tests/reference/thirdparty/sam_sgd.json`` and ``sam_adam.json`` (made by
``tests/reference/make_sam_reference.py`` with kozistr's pytorch-optimizer 3.1.2, whose ``SAM`` is davda54/sam's
code, in float64); that the specs are complete and the explanations redo their steps is
``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import SPECS, make_optimizer
from optviz.optimizers.adam import adam
from optviz.optimizers.sam_adam import sam_adam
from optviz.optimizers.sam_sgd import ascent_point, sam_sgd
from optviz.optimizers.sgd import sgd
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCES = {name: thirdparty_reference(name) for name in ("sam_sgd", "sam_adam")}
CASES = [c for ref in REFERENCES.values() for c in ref["cases"]]
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [3.0, 4.0]  # g0 = (6, 8), ‖g0‖ = 10


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC):
    return simulate(surface, optimizer, start, steps, tol=0)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_the_reference_is_what_it_claims(name):
    check_thirdparty_meta(REFERENCES[name], "pytorch-optimizer", "3.1.2")
    cases = REFERENCES[name]["cases"]
    assert {(c["kwargs"]["adaptive"], c["kwargs"]["perturb_eps"]) for c in cases} == {(False, 1e-12)}
    assert len({c["optviz_kwargs"]["rho"] for c in cases}) >= 3  # the radius matters, and is checked at several


# The same bound as torch's cases (tests/test_optimizers.py): both sides do the same float64 operations up to the
# order of a few (the norm's square root of a sum of squares; Adam's division order is torch's), a few ulps per
# step; the generator refused any run that turns a 1e-15 nudge of its start into more than 1e-11.
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_the_reference(case):
    traj = replay_thirdparty_case(case, internals=True)
    np.testing.assert_allclose(traj.positions[:, 0], np.array(case["positions"]), rtol=1e-9, atol=1e-12)
    # the ascent point of step k+1 is where its gradient was taken: the same bound
    np.testing.assert_allclose(traj.internals["ascent_point"][1:, 0], np.array(case["internals"]["ascent_point"]),
                               rtol=1e-9, atol=1e-12)


# The reference's 1e-12 added to ‖g‖ = 10 moves θ̂ by ρ·g·1e-13/10 relative: 1e-12 covers it and the roundings.
def test_sam_sgd_first_step_by_hand():
    # ρ = 0.5: θ̂ = (3, 4) + 0.5·(6, 8)/10 = (3.3, 4.4), ĝ = 2θ̂ = (6.6, 8.8); η = 0.1: θ1 = (3 − 0.66, 4 − 0.88)
    traj = simulate(QUADRATIC, sam_sgd(lr=0.1, rho=0.5), THETA0, 1, tol=0)
    np.testing.assert_allclose(traj.internals["ascent_point"][1, 0], [3.3, 4.4], rtol=1e-12)
    np.testing.assert_allclose(traj.positions[1, 0], [2.34, 3.12], rtol=1e-12)


def test_sam_sgd_with_weight_decay_decays_at_the_restored_weights():
    # λ = 0.5 is L2 decay at θ0, not at θ̂: θ1 = θ0 − η(ĝ + λθ0)
    #   = (3 − 0.1·(6.6 + 1.5), 4 − 0.1·(8.8 + 2)) = (2.19, 2.92)
    np.testing.assert_allclose(run(sam_sgd(lr=0.1, rho=0.5, weight_decay=0.5)).positions[1, 0], [2.19, 2.92],
                               rtol=1e-12)  # as above: the 1e-12 in the norm and a few roundings


def test_sam_adam_first_step_by_hand():
    # ĝ = (6.6, 8.8) as above; Adam's first step: m̂ = ĝ, v̂ = ĝ², θ1 = θ0 − η ĝ/(|ĝ| + ε)
    eta, eps = 0.1, 1e-8
    expected = [3.0 - eta * 6.6 / (6.6 + eps), 4.0 - eta * 8.8 / (8.8 + eps)]
    # as above (the 1e-12 in the norm moves ĝ by ~1e-13 relative; Adam's quotient is ~1, so the step too)
    np.testing.assert_allclose(run(sam_adam(lr=eta, rho=0.5, eps=eps)).positions[1, 0], expected, rtol=1e-12)


def test_a_zero_gradient_takes_the_gradient_where_it_is():
    # At the minimum g = 0: the reference's ρ·g/(‖g‖ + 1e-12) is 0, so θ̂ = θ and the step is 0 (no 0/0)
    for builder in (sam_sgd, sam_adam):
        traj = simulate(QUADRATIC, builder(lr=0.1, rho=0.5), [0.0, 0.0], 3, tol=0)
        assert np.all(traj.positions[:, 0] == 0.0) and np.all(traj.internals["ascent_point"][1:, 0] == 0.0)
    np.testing.assert_array_equal(ascent_point(np.zeros(2), np.array([1.0, 2.0]), 0.5).point, [1.0, 2.0])


def test_the_ascent_point_is_rho_away_along_the_gradient():
    # an invariant on Rosenbrock: ‖θ̂ − θ‖ = ρ·‖g‖/(‖g‖ + 1e-12), parallel to g
    surface = get_surface("rosenbrock")
    traj = simulate(surface, sam_sgd(lr=1e-3, rho=0.2), [-1.2, 1.0], 5, tol=0)
    offset = traj.internals["ascent_point"][1:, 0] - traj.positions[:-1, 0]
    np.testing.assert_allclose(np.linalg.norm(offset, axis=1), 0.2, rtol=1e-12)  # a few roundings of numbers ~1
    g = traj.grad[:-1, 0]
    np.testing.assert_allclose(offset[:, 0] * g[:, 1] - offset[:, 1] * g[:, 0], 0.0, atol=1e-12 * 250)  # |g| < 250


@pytest.mark.parametrize("sam,base,kwargs", [(sam_sgd, sgd, dict(lr=1e-3, weight_decay=0.1)),
                                             (sam_adam, adam, dict(lr=0.01, weight_decay=0.1))])
def test_rho_zero_is_the_base_optimizer(sam, base, kwargs):
    # ρ = 0 puts θ̂ on θ: the same gradient, the same arithmetic, the same path, exactly
    surface = get_surface("rosenbrock")
    np.testing.assert_array_equal(simulate(surface, sam(rho=0.0, **kwargs), [-1.2, 1.0], 40, tol=0).positions,
                                  simulate(surface, base(**kwargs), [-1.2, 1.0], 40, tol=0).positions)


def test_batches_equal_their_runs_alone():
    surface = get_surface("rosenbrock")
    assert_batch_equals_runs(sam_sgd, dict(lr=[1e-3, 5e-4, 1e-4], rho=[0.05, 0.0, 0.3], weight_decay=[0.0, 0.1, 0.5]),
                             surface)
    assert_batch_equals_runs(sam_adam, dict(lr=[0.01, 0.05, 0.001], rho=[0.05, 0.3, 0.0], beta1=[0.9, 0.5, 0.0],
                                            beta2=[0.999, 0.9, 0.5], eps=[1e-8, 1e-4, 0.0],
                                            weight_decay=[0.0, 0.1, 0.3]), surface)


@pytest.mark.parametrize("name", ["sam_sgd", "sam_adam"])
def test_the_map_draws_the_ascent_point(name):
    spec = SPECS[name]
    assert set(spec.map_points) == {"ascent_point"} and spec.map_points["ascent_point"].zh.strip()
    assert spec.group == "sharpness"


@pytest.mark.parametrize("name", ["sam_sgd", "sam_adam"])
@pytest.mark.parametrize("bad,match", [(dict(rho=-0.1), "rho"), (dict(rho=np.inf), "rho"), (dict(rho="wide"), "rho"),
                                       (dict(convention="keras"), "convention")])
def test_bad_input_is_refused_with_a_message(name, bad, match):
    with pytest.raises(ValueError, match=match):
        make_optimizer(name, **bad)
