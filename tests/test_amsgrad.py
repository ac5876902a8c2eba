"""AMSGrad: steps worked out by hand from its docstring, where it equals Adam and where it parts from it.

That it reproduces torch.optim.Adam(amsgrad=True) to 1e-9 is ``tests/test_optimizers.py::test_matches_torch``
on the ``amsgrad-*`` trajectories of ``tests/reference/torch/amsgrad.json``; that its spec is complete and
its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import assert_batch_equals_runs
from optviz.classroom.explain import explain_step
from optviz.optimizers import SPECS, make_optimizer
from optviz.optimizers.amsgrad import amsgrad
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_two_steps_by_hand_where_the_maximum_holds():
    # β1 = 0, β2 = 0.5, ε = 0, η = 0.5, so m_t = g_t and m̂_t = g_t.
    # t = 1: v1 = 0.5 g0² = (2, 8) = v̄1; v̂1 = v̄1/(1 − 0.5) = (4, 16); θ1 = θ0 − 0.5·(2/2, −4/4) = (0.5, −1.5)
    # t = 2: g1 = (1, −3); v2 = 0.5 (2, 8) + 0.5 (1, 9) = (1.5, 8.5); v̄2 = max(v̄1, v2) = (2, 8.5);
    #        v̂2 = v̄2/(1 − 0.25) = (8/3, 34/3); θ2 = θ1 − 0.5·(1/√(8/3), −3/√(34/3))
    # (Adam would divide x by √(1.5/0.75) = √2: the kept maximum makes AMSGrad's x-step smaller)
    opt = amsgrad(lr=0.5, beta1=0.0, beta2=0.5, eps=0.0)
    traj = run(opt, steps=2, internals=True)
    positions = traj.positions[:, 0]
    np.testing.assert_allclose(positions[1], [0.5, -1.5], rtol=1e-14)
    np.testing.assert_allclose(positions[2], [0.5 - 0.5 / math.sqrt(8 / 3), -1.5 + 0.5 * 3 / math.sqrt(34 / 3)],
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], [1.5, 8.5], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["max_second_moment"][2, 0], [2.0, 8.5], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["effective_lr"][2, 0], [0.5 / math.sqrt(8 / 3), 0.5 / math.sqrt(34 / 3)],
                               rtol=1e-14)
    adam = run(make_optimizer("adam", lr=0.5, beta1=0.0, beta2=0.5, eps=0.0), steps=2).positions[2, 0]
    assert adam[0] == pytest.approx(0.5 - 0.5 / math.sqrt(2), rel=1e-14)


def test_while_v_never_falls_it_is_adam():
    # a constant gradient c: v_t = (1 − β2^t) c² only grows, so v̄_t = v_t and the rule is Adam's, bit for bit
    constant = replace(QUADRATIC, grad=lambda p: np.broadcast_to([3.0, -0.5], np.shape(p)).astype(float), minima=())
    kw = dict(lr=0.05, beta2=0.99)
    a = run(amsgrad(**kw), steps=30, surface=constant).positions
    b = run(make_optimizer("adam", **kw), steps=30, surface=constant).positions
    np.testing.assert_array_equal(a, b)


def test_its_effective_rates_never_grow():
    traj = run(amsgrad(lr=0.01, beta2=0.9), [-1.2, 1.0], 200, get_surface("rosenbrock"), internals=True)
    # the rate η/(√v̄_t/√(1−β2^t) + ε), divided by √(1−β2^t), is η/(√v̄_t + ε√(1−β2^t)): v̄_t and 1 − β2^t only grow
    rates = traj.internals["effective_lr"][1:, 0]
    bias = np.sqrt(1 - 0.9 ** np.arange(1, 201))[:, None]
    assert np.all(np.diff(rates / bias, axis=0) <= 1e-15)


def test_its_registry_entry_is_adams_variant():
    assert SPECS["amsgrad"].torch.cls == "Adam" and SPECS["amsgrad"].torch.kwargs(
        {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0})["amsgrad"] is True
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("amsgrad", convention="keras")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.99], eps=[1e-8, 0.1, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(amsgrad, arrays, surface)


@pytest.mark.parametrize("steps", [3, 8])
def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit(steps):
    # saddle x²/2 + y⁴/4 − y²/2 from (1, 0): ∂f/∂y = 0 at every step, so m = v = 0 in y and, with ε = 0,
    # every quotient there is 0/0: the step is its limit 0 and the rate (defined only through it) is NaN
    cfg = OptimizerConfig("amsgrad").with_values(eps=0.0, lr=0.01)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=steps, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0)
    e = explain_step(cfg, traj, 0, steps, digits=None)
    assert e.reproduces is True
    (limit,) = [line for line in e.substituted_latex if r"\lim" in line]
    assert limit.startswith(f"y_{{{steps}}} = ") and limit.endswith(" = 0")
