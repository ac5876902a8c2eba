"""ASGD: steps worked out by hand from its docstring, its running average, and its place in links.

That it reproduces torch.optim.ASGD to 1e-9 is ``tests/test_optimizers.py::test_matches_torch`` on the
``asgd-*`` trajectories of ``tests/reference/torch/asgd.json``; that its spec is complete and its
explanation redoes its steps is ``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from optviz.optimizers import make_optimizer
from optviz.optimizers.asgd import asgd
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = np.array([1.0, -2.0])  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_first_two_steps_by_hand():
    # η = 0.1, ν = 1e-4, α = 0.75, t0 = 10⁶ (no averaging), ζ1 = η.
    # t = 1: θ1 = θ0·(1 − 1e-4·0.1) − 0.1·(2, −4) = (0.99999 − 0.2, −1.99998 + 0.4) = (0.79999, −1.59998)
    #        ζ2 = 0.1/(1 + 1e-4·0.1·1)^0.75
    # t = 2: θ2 = θ1·(1 − 1e-4 ζ2) − ζ2·2θ1 = θ1·(1 − ζ2·(2 + 1e-4))
    traj = run(asgd(lr=0.1), steps=2, internals=True)
    positions = traj.positions[:, 0]
    np.testing.assert_allclose(positions[1], [0.79999, -1.59998], rtol=1e-14)
    zeta2 = 0.1 / 1.00001**0.75
    np.testing.assert_allclose(traj.internals["eta"][1, 0], [zeta2, zeta2], rtol=1e-14)
    np.testing.assert_allclose(positions[2], np.array([0.79999, -1.59998]) * (1 - zeta2 * 2.0001), rtol=1e-14)
    np.testing.assert_array_equal(traj.internals["average"][1:, 0], positions[1:])  # t0 = 10⁶: θ̄ = θ


def test_the_average_after_t0_by_hand():
    # ν = 0: ζ = η = 0.1 throughout, so θ_t = (1 − 0.2)^t θ0 = 0.8^t θ0 (plain SGD).
    # t0 = 0: μ1 = 1, μ2 = 1/max(1, 1) = 1, μ3 = 1/2, μ4 = 1/3:
    # θ̄1 = θ1, θ̄2 = θ2, θ̄3 = (θ2 + θ3)/2, θ̄4 = (θ2 + θ3 + θ4)/3 = (0.64 + 0.512 + 0.4096)/3 · θ0
    traj = run(asgd(lr=0.1, lambd=0.0, t0=0.0), steps=4, internals=True)
    np.testing.assert_allclose(traj.positions[4, 0], 0.8**4 * THETA0, rtol=1e-14)
    avg = traj.internals["average"][:, 0]
    np.testing.assert_allclose(avg[3], (0.64 + 0.512) / 2 * THETA0, rtol=1e-14)
    np.testing.assert_allclose(avg[4], (0.64 + 0.512 + 0.4096) / 3 * THETA0, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["mu"][1:, 0, 0], [1.0, 0.5, 1 / 3, 0.25], rtol=1e-15)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("asgd", convention="keras")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[1e-3, 5e-4, 2e-4], lambd=[1e-4, 0.3, 0.0], alpha=[0.75, 0.5, 1.0], t0=[1e6, 10.0, 0.0],
                  weight_decay=[0.0, 0.1, 0.3])
    batch = run(asgd(**{k: np.array(v) for k, v in arrays.items()}), [-1.2, 1.0], 50, surface, internals=True)
    for i in range(3):
        alone = run(asgd(**{k: v[i] for k, v in arrays.items()}), [-1.2, 1.0], 50, surface, internals=True)
        np.testing.assert_allclose(batch.positions[:, i], alone.positions[:, 0], rtol=1e-12)
        np.testing.assert_allclose(batch.internals["average"][:, i], alone.internals["average"][:, 0], rtol=1e-12)


def test_settings_travel_in_links():
    state, notices = from_link("o=asgd&o1.nu=0.3&o1.pow=0.5&o1.t0=10&o1.wd=0.1", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("lambd"), opt.value("alpha"), opt.value("t0"), opt.value("weight_decay"), opt.value("lr")) == (
        0.3, 0.5, 10.0, 0.1, 0.01)
    assert encode(state)["o1.t0"] == "10"
    state, notices = from_link("o=asgd&o1.c=keras", AppState())
    assert [n.key for n in notices] == ["o1.c"] and state.config.optimizers[0].convention == "pytorch"
