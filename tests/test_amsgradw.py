"""AMSGrad (AdamW): steps worked out by hand from its docstring, and how its decoupled decay parts from AMSGrad's L2.

That it reproduces torch.optim.AdamW(amsgrad=True) to 1e-9 is ``tests/test_optimizers.py::test_matches_torch``
on the ``amsgradw-*`` trajectories of ``tests/reference/torch/amsgradw.json``; that its spec is complete and
its explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, assert_zero_eps_steps_0_as_a_limit, torch_reference
from optviz.optimizers import SPECS, make_optimizer
from optviz.optimizers.amsgrad import amsgrad
from optviz.optimizers.amsgradw import amsgradw
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)
# β1 = 0 makes m_t = g_t and m̂_t = g_t; ε = 0 keeps the square roots exact
BY_HAND = dict(lr=0.5, beta1=0.0, beta2=0.5, eps=0.0, weight_decay=0.2)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_two_steps_by_hand_with_decoupled_decay():
    # t = 1: m1 = g0 = (2, −4); v1 = 0.5 g0² = (2, 8) = v̄1; v̂1 = v̄1/(1 − 0.5) = (4, 16);
    #        θ1 = θ0 − ηλθ0 − η m̂1/√v̂1 = (1, −2) − (0.1, −0.2) − 0.5·(1, −1) = (0.4, −1.3)
    # t = 2: g1 = (0.8, −2.6); v2 = 0.5 (2, 8) + 0.5 (0.64, 6.76) = (1.32, 7.38); v̄2 = max(v̄1, v2) = (2, 8);
    #        v̂2 = v̄2/(1 − 0.25) = (8/3, 32/3); θ2 = θ1 − 0.5·0.2·θ1 − 0.5·(0.8/√(8/3), −2.6/√(32/3))
    traj = run(amsgradw(**BY_HAND), steps=2, internals=True)
    positions = traj.positions[:, 0]
    # rtol 1e-14: a handful of roundings of numbers of order 1, each within 1.1e-16 relative
    np.testing.assert_allclose(positions[1], [0.4, -1.3], rtol=1e-14)
    np.testing.assert_allclose(positions[2], [0.4 - 0.04 - 0.4 / math.sqrt(8 / 3), -1.3 + 0.13 + 1.3 / math.sqrt(32 / 3)],
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], [1.32, 7.38], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["max_second_moment"][2, 0], [2.0, 8.0], rtol=1e-14)
    # the recorded rate is the adaptive part's alone, η/√v̂2: the decay's η·λ is the same in every coordinate
    np.testing.assert_allclose(traj.internals["effective_lr"][2, 0], [0.5 / math.sqrt(8 / 3), 0.5 / math.sqrt(32 / 3)],
                               rtol=1e-14)


def test_the_same_two_steps_with_l2_decay_are_amsgrads_and_differ():
    # AMSGrad's L2: the decay enters the gradient, g̃ = g + λθ, and is divided by √v̂ along with it.
    # t = 1: g̃0 = (2.2, −4.4); m̂1/√v̂1 = sign(g̃0), so θ1 = θ0 − 0.5·(1, −1) = (0.5, −1.5): no trace of the decay
    # t = 2: g̃1 = (1, −3) + 0.2 (0.5, −1.5) = (1.1, −3.3); v1 = 0.5 g̃0² = (2.42, 9.68);
    #        v2 = 0.5 (2.42, 9.68) + 0.5 (1.21, 10.89) = (1.815, 10.285); v̄2 = (2.42, 10.285) (x keeps its maximum);
    #        θ2 = θ1 − 0.5·(1.1/√(2.42/0.75), −3.3/√(10.285/0.75))
    l2 = run(amsgrad(**BY_HAND), steps=2).positions[:, 0]
    np.testing.assert_allclose(l2[1], [0.5, -1.5], rtol=1e-14)  # as above: a few roundings of order-1 numbers
    np.testing.assert_allclose(l2[2], [0.5 - 0.55 / math.sqrt(2.42 / 0.75), -1.5 + 1.65 / math.sqrt(10.285 / 0.75)],
                               rtol=1e-14)
    decoupled = run(amsgradw(**BY_HAND), steps=2).positions[:, 0]
    # (0.4, −1.3) against (0.5, −1.5) by hand: the two decays part by ηλθ0 = (0.1, −0.2) at the first step
    np.testing.assert_allclose(l2[1] - decoupled[1], [0.1, -0.2], rtol=1e-13)  # a difference of the above


def test_without_decay_it_is_amsgrad_bit_for_bit():
    # λ = 0: both see g_t and the decoupled shrink −η·0·θ adds an exact zero, so every operation is the same
    rosenbrock = get_surface("rosenbrock")
    kw = dict(lr=0.01, beta2=0.9, weight_decay=0.0)
    a = run(amsgradw(**kw), [-1.2, 1.0], 200, rosenbrock, internals=True)
    b = run(amsgrad(**kw), [-1.2, 1.0], 200, rosenbrock, internals=True)
    np.testing.assert_array_equal(a.positions, b.positions)
    for name in SPECS["amsgradw"].internals:
        np.testing.assert_array_equal(a.internals[name], b.internals[name])


def test_on_a_zero_gradient_the_decay_alone_shrinks_the_weights_geometrically():
    # g = 0 everywhere: m = v = v̄ = 0 and the adaptive part is 0/(0 + ε) = 0, so θ_t = (1 − ηλ)^t θ0
    flat = replace(QUADRATIC, grad=lambda p: np.zeros(np.shape(p)), minima=())
    positions = run(amsgradw(lr=0.1, weight_decay=0.5), steps=20, surface=flat).positions[:, 0]
    expected = np.outer(0.95 ** np.arange(21), THETA0)
    # rtol 1e-13: one rounding per step in θ − ηλθ against the power, compounded over 20 steps (~5e-15)
    np.testing.assert_allclose(positions, expected, rtol=1e-13)


def test_the_torch_reference_tells_the_decays_and_the_maximum_apart():
    """The recorded AdamW(amsgrad=True) runs are not AMSGrad with L2 decay, nor AdamW without the maximum.

    Each alternative misses a recorded trajectory by far more than 1e-6, a thousand times the 1e-9 at which
    ``test_matches_torch`` compares: if amsgradw were either of them, that test would fail.
    """
    cases = [c for c in torch_reference()["cases"] if c["optimizer"] == "amsgradw"]
    assert {c["torch_class"] for c in cases} == {"AdamW"} and all(c["torch_kwargs"]["amsgrad"] for c in cases)
    strong = [c for c in cases if c["optviz_kwargs"]["weight_decay"] >= 0.3]
    assert strong
    for case in strong:
        recorded = np.array(case["positions"])
        surface = get_surface(case["surface"])
        for other in ("amsgrad", "adamw"):
            got = run(make_optimizer(other, **case["optviz_kwargs"]), case["start"], case["steps"], surface).positions
            assert np.abs(got[:, 0] - recorded).max() > 1e-6, (case["id"], other)


def test_its_registry_entry_is_adamws_variant():
    kwargs = SPECS["amsgradw"].torch.kwargs({"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                             "weight_decay": 0.01})
    assert SPECS["amsgradw"].torch.cls == "AdamW" and kwargs["amsgrad"] is True and kwargs["weight_decay"] == 0.01
    assert SPECS["amsgradw"].hyper("weight_decay").default == 0.01  # torch.optim.AdamW's default
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("amsgradw", convention="keras")
    with pytest.raises(ValueError, match="weight_decay"):
        make_optimizer("amsgradw", weight_decay=-1.0)


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.99], eps=[1e-8, 0.1, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(amsgradw, arrays, surface)


def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    assert_zero_eps_steps_0_as_a_limit("amsgradw")
