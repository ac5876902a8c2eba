"""Adamax: steps worked out by hand from its docstring, the infinity norm's memory, and its place in links.

That it reproduces torch.optim.Adamax to 1e-9 is ``tests/test_optimizers.py::test_matches_torch`` on the
``adamax-*`` trajectories of ``tests/reference/torch/adamax.json``; that its spec is complete and its
explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs
from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer
from optviz.optimizers.adamax import adamax
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_first_two_steps_by_hand():
    # ε = 0, η = 0.1, β1 = 0.9, β2 = 0.999.
    # t = 1: m1 = 0.1 g0 = (0.2, −0.4); u1 = max(0, |g0|) = (2, 4); η/(1 − 0.9) = 1,
    #        θ1 = θ0 − 1·(0.2/2, −0.4/4) = (0.9, −1.9)
    # t = 2: g1 = 2θ1 = (1.8, −3.8); m2 = 0.9 m1 + 0.1 g1 = (0.36, −0.74);
    #        u2 = max(0.999·(2, 4), (1.8, 3.8)) = (1.998, 3.996): the old maximum, decayed, still wins;
    #        θ2 = θ1 − 0.1/(1 − 0.81) · m2/u2
    positions = run(adamax(lr=0.1, eps=0.0), steps=2).positions[:, 0]
    np.testing.assert_allclose(positions[1], [0.9, -1.9], rtol=1e-14)
    np.testing.assert_allclose(positions[2], [0.9 - 0.1 / 0.19 * 0.36 / 1.998, -1.9 + 0.1 / 0.19 * 0.74 / 3.996],
                               rtol=1e-14)


def test_recorded_internals_after_step_one():
    # ε = 0.5 enters the maximum: u1 = |g0| + ε = (2.5, 4.5); effective lr η/((1−β1) u1) = (0.4, 0.2/0.9)
    internals = {k: v[1, 0] for k, v in run(adamax(lr=0.1, eps=0.5), internals=True).internals.items()}
    np.testing.assert_allclose(internals["first_moment"], [0.2, -0.4], rtol=1e-14)
    np.testing.assert_allclose(internals["infinity_norm"], [2.5, 4.5], rtol=1e-14)
    np.testing.assert_allclose(internals["effective_lr"], [0.4, 0.2 / 0.9], rtol=1e-14)


def test_l2_weight_decay_enters_the_gradient():
    # λ = 0.5: g̃0 = g0 + 0.5 θ0 = (2.5, −5); with ε = 0 the first step is still η·sign(g̃0)
    got = run(adamax(lr=0.1, eps=0.0, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [0.9, -1.9], rtol=1e-14)
    internals = run(adamax(lr=0.1, eps=0.0, weight_decay=0.5), internals=True).internals
    np.testing.assert_allclose(internals["infinity_norm"][1, 0], [2.5, 5.0], rtol=1e-14)


def test_no_step_is_longer_than_lr():
    # Kingma & Ba, section 7.1: Adamax's step obeys the simple bound |θ_t − θ_{t−1}| ≤ η per coordinate
    steps = np.diff(run(adamax(lr=0.01), [-1.2, 1.0], 200, get_surface("rosenbrock")).positions[:, 0], axis=0)
    assert np.abs(steps).max() <= 0.01 * (1 + 1e-12)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("adamax", convention="keras")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.99], eps=[1e-8, 0.1, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(adamax, arrays, surface)


def test_settings_travel_in_links():
    state, notices = from_link("o=adamax&o1.b2=0.9&o1.lr=0.01", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert opt.value("beta2") == 0.9 and opt.value("lr") == 0.01 and opt.value("beta1") == 0.9
    assert encode(state)["o1.b2"] == "0.9"
    # a convention Adamax does not declare falls back to pytorch with a notice naming the key
    state, notices = from_link("o=adamax&o1.c=keras", AppState())
    assert [n.key for n in notices] == ["o1.c"] and state.config.optimizers[0].convention == "pytorch"


@pytest.mark.parametrize("steps", [3, 8])
def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit(steps):
    # saddle x²/2 + y⁴/4 − y²/2 from (1, 0): ∂f/∂y = 0 at every step, so m = v = 0 in y and, with ε = 0,
    # every quotient there is 0/0: the step is its limit 0 and the rate (defined only through it) is NaN
    cfg = OptimizerConfig("adamax").with_values(eps=0.0, lr=0.01)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=steps, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0)
    e = explain_step(cfg, traj, 0, steps, digits=None)
    assert e.reproduces is True
    (limit,) = [line for line in e.substituted_latex if r"\lim" in line]
    assert limit.startswith(f"y_{{{steps}}} = ") and limit.endswith(" = 0")
