"""Rprop: steps worked out by hand from its docstring, its step sizes, and its place in links.

That it reproduces torch.optim.Rprop to 1e-9 is ``tests/test_optimizers.py::test_matches_torch`` on the
``rprop-*`` trajectories of ``tests/reference/torch/rprop.json``; that its spec is complete and its
explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs
from optviz import schedules
from optviz.optimizers import make_optimizer
from optviz.optimizers.rprop import rprop
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)
FLIP0 = [0.05, -2.0]  # the first step of 0.1 jumps over x = 0


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_first_two_steps_by_hand():
    # η = 0.1, η− = 0.5, η+ = 1.2, Δ0 = η, ĝ0 = 0.
    # t = 1: g0·ĝ0 = 0: Δ1 = Δ0 = (0.1, 0.1); θ1 = θ0 − sign(g0)·Δ1 = (1 − 0.1, −2 + 0.1) = (0.9, −1.9)
    # t = 2: g1 = (1.8, −3.8), g1·ĝ1 = (3.6, 15.2) > 0: Δ2 = 1.2·0.1 = 0.12; θ2 = (0.9 − 0.12, −1.9 + 0.12)
    positions = run(rprop(lr=0.1), steps=2).positions[:, 0]
    np.testing.assert_allclose(positions[1], [0.9, -1.9], rtol=1e-14)
    np.testing.assert_allclose(positions[2], [0.78, -1.78], rtol=1e-14)


def test_a_sign_flip_shrinks_the_step_and_waits_one_step():
    # From (0.05, −2), η = 0.1: θ1 = (−0.05, −1.9).
    # t = 2: g1 = (−0.1, −3.8), ĝ1 = (0.1, −4): x flipped, so Δx = 0.5·0.1 = 0.05, ĝx = 0 and x stays;
    #        y kept its sign: Δy = 0.12, y2 = −1.9 + 0.12 = −1.78
    # t = 3: ĝ2 = (0, −3.8): in x the product is 0, so Δx stays 0.05 and x moves again: −0.05 + 0.05 = 0;
    #        Δy = 1.2·0.12 = 0.144, y3 = −1.78 + 0.144 = −1.636
    traj = run(rprop(lr=0.1), FLIP0, steps=3, internals=True)
    positions = traj.positions[:, 0]
    np.testing.assert_allclose(positions[1:], [[-0.05, -1.9], [-0.05, -1.78], [0.0, -1.636]], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(traj.internals["step_size"][1:, 0], [[0.1, 0.1], [0.05, 0.12], [0.05, 0.144]],
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["previous_gradient"][2, 0], [0.0, -3.8], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["step_size"][0, 0], [0.1, 0.1], rtol=0)  # Δ0 = η before any step


def test_step_sizes_stay_between_their_bounds():
    # Δmax = 0.11: the growth 1.2·0.1 = 0.12 is cut to 0.11; Δmin = 0.08: the flip's 0.05 is raised to 0.08
    grown = run(rprop(lr=0.1, step_size_max=0.11), steps=2, internals=True).internals["step_size"]
    np.testing.assert_allclose(grown[2, 0], [0.11, 0.11], rtol=1e-14)
    shrunk = run(rprop(lr=0.1, step_size_min=0.08), FLIP0, steps=2, internals=True).internals["step_size"]
    np.testing.assert_allclose(shrunk[2, 0], [0.08, 0.12], rtol=1e-14)


def test_a_schedule_sets_only_the_first_step_size():
    # torch reads lr only when it creates the state: Δ0 = η·s(0), and the schedule has no effect after
    rosen = get_surface("rosenbrock")
    plain = run(rprop(lr=0.01), [-1.2, 1.0], 40, rosen).positions
    decayed = run(rprop(lr=0.01, schedule=schedules.exponential(0.5)), [-1.2, 1.0], 40, rosen).positions
    np.testing.assert_array_equal(decayed, plain)
    warm = run(rprop(lr=0.04, schedule=schedules.warmup(4, None)), [-1.2, 1.0], 40, rosen).positions
    np.testing.assert_array_equal(warm, plain)  # s(0) = 1/4: Δ0 = 0.01


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("rprop", convention="keras")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], eta_minus=[0.5, 0.3, 0.9], eta_plus=[1.2, 1.5, 1.0],
                  step_size_min=[1e-6, 1e-3, 0.0], step_size_max=[50.0, 0.2, 1.0])
    assert_batch_equals_runs(rprop, arrays, surface)


def test_settings_travel_in_links():
    state, notices = from_link("o=rprop&o1.etam=0.3&o1.etap=1.5&o1.dmin=0.001&o1.dmax=5", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("eta_minus"), opt.value("eta_plus"), opt.value("step_size_min"), opt.value("step_size_max"),
            opt.value("lr")) == (0.3, 1.5, 0.001, 5.0, 0.01)
    assert encode(state)["o1.etap"] == "1.5"
    state, notices = from_link("o=rprop&o1.c=keras", AppState())
    assert [n.key for n in notices] == ["o1.c"] and state.config.optimizers[0].convention == "pytorch"
