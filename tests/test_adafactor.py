"""Adafactor: steps worked out by hand from its docstring, each of its floors and its clip.

That it reproduces torch.optim.Adafactor (the vector path: a position is one parameter of shape (2,)) to 1e-9
is ``tests/test_optimizers.py::test_matches_torch`` on the ``adafactor-*`` trajectories of
``tests/reference/torch/adafactor.json``; that its spec is complete and its explanation redoes its steps is
``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, torch_reference
from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer
from optviz.optimizers.adafactor import adafactor
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = np.array([1.0, -2.0])  # g0 = (2, -4), RMS(θ0) = √2.5
RMS0 = math.sqrt(2.5)
UPHILL = replace(QUADRATIC, value=lambda p: -np.sum(np.square(p), axis=-1), grad=lambda p: -2.0 * np.asarray(p),
                 minima=())  # −(x² + y²): every step climbs away from the origin, so |g| grows


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_torch_data_covers_the_vector_path():
    cases = [c for c in torch_reference()["cases"] if c["optimizer"] == "adafactor"]
    assert cases and {c["torch_class"] for c in cases} == {"Adafactor"}
    assert {c["torch_kwargs"]["eps"][0] for c in cases} == {2.0**-52, 0.5}  # torch's None is 2⁻⁵² in float64
    assert any(c["torch_kwargs"]["d"] != 1.0 for c in cases) and any(c["torch_kwargs"]["weight_decay"] for c in cases)


def test_the_first_step_is_rms_theta_times_eta_times_sign_g():
    # t = 1: β̂1 = 1^c = 1, so v1 = g0² and U1 = g0/|g0| = (1, −1), RMS(U1) = 1 ≤ d: D1 = 1;
    # ρ1 = min(0.1, 1) = 0.1, α1 = RMS(θ0)·0.1: θ1 = θ0 − 0.1·√2.5·(1, −1)
    np.testing.assert_allclose(run(adafactor(lr=0.1)).positions[1, 0], THETA0 - 0.1 * RMS0 * np.array([1, -1]),
                               rtol=1e-14)


def test_the_second_mean_square_weighs_g_squared_by_2_to_the_c():
    # v2 = v1 + 2^c (g1² − v1), v1 = g0² = (4, 16), g1 = 2θ1 with θ1 from the test above
    traj = run(adafactor(lr=0.1, beta2_decay=-0.8), steps=2, internals=True)
    g1 = 2 * (THETA0 - 0.1 * RMS0 * np.array([1, -1]))
    v1 = np.array([4.0, 16.0])
    np.testing.assert_allclose(traj.internals["second_moment"][1, 0], v1, rtol=1e-15)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], v1 + 2**-0.8 * (g1**2 - v1), rtol=1e-14)


def test_rho_is_capped_by_one_over_root_t():
    # g = −2θ and c = 0: v_t = g_t², U_t = sign(g_t) = (−1, 1) from (1, −2), D = 1; with η = 0.6, ρ_t = min(0.6, 1/√t):
    # 0.6, 0.6, 1/√3 — each step moves θ by ρ_t·RMS(θ_{t−1}) away from the origin
    theta = THETA0.copy()
    expected = [theta.copy()]
    for t in (1, 2, 3):
        theta = theta + min(0.6, 1 / math.sqrt(t)) * math.sqrt(np.mean(theta**2)) * np.array([1.0, -1.0])
        expected.append(theta.copy())
    got = run(adafactor(lr=0.6, beta2_decay=0.0), steps=3, surface=UPHILL).positions[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_a_large_update_is_clipped_to_rms_d():
    # g = −2θ from (1, 2), η = 1, c = −1 (v is the plain mean of the g²): θ1 = θ0 + √2.5·(1, 1);
    # t = 2: v2 = (g0² + g1²)/2 with |g1| > |g0|, so |U2| = |g1|/√v2 > 1 in both coordinates and RMS(U2) ≈ 1.28 > d = 1:
    # θ2 = θ1 − RMS(θ1)·(1/√2)·U2/RMS(U2). With d = 2 the clip does not bind: θ2 = θ1 − RMS(θ1)·(1/√2)·U2.
    start = np.array([1.0, 2.0])
    g0 = -2 * start
    theta1 = start + math.sqrt(2.5) * np.array([1.0, 1.0])
    g1 = -2 * theta1
    u2 = g1 / np.sqrt((g0**2 + g1**2) / 2)
    rms_u2 = math.sqrt(np.mean(u2**2))
    assert rms_u2 > 1.2
    alpha2 = math.sqrt(np.mean(theta1**2)) / math.sqrt(2)
    clipped = run(adafactor(lr=1.0, beta2_decay=-1.0), start, steps=2, surface=UPHILL).positions[2, 0]
    np.testing.assert_allclose(clipped, theta1 - alpha2 * u2 / rms_u2, rtol=1e-14)
    free = run(adafactor(lr=1.0, beta2_decay=-1.0, clip_threshold=2.0), start, steps=2, surface=UPHILL).positions[2, 0]
    np.testing.assert_allclose(free, theta1 - alpha2 * u2, rtol=1e-14)


def test_eps2_floors_the_weight_scale_near_the_origin():
    # from (1e-4, −2e-4): RMS(θ0) ≈ 1.6e-4 < ε2 = 1e-3, so α1 = 1e-3·0.1 = 1e-4: θ1 = θ0 − 1e-4·(1, −1) = (0, −1e-4)
    got = run(adafactor(lr=0.1), [1e-4, -2e-4]).positions[1, 0]
    np.testing.assert_allclose(got, [0.0, -1e-4], rtol=1e-13, atol=1e-20)


def test_eps1_floors_the_root_of_the_mean_square():
    # from (0.1, −2), ε1 = 0.5: g0 = (0.2, −4), √v1 = (0.2, 4): U1 = (0.2/0.5, −4/4) = (0.4, −1), RMS(U1) < 1;
    # α1 = 0.1·RMS(θ0) = 0.1·√((0.01 + 4)/2)
    got = run(adafactor(lr=0.1, eps=0.5), [0.1, -2.0]).positions[1, 0]
    np.testing.assert_allclose(got, np.array([0.1, -2.0]) - 0.1 * math.sqrt(4.01 / 2) * np.array([0.4, -1.0]),
                               rtol=1e-14)


def test_decoupled_weight_decay_is_times_eta():
    # λ = 0.5, η = 0.1: the first step above minus ηλθ0 = 0.05 θ0 (RMS(θ0) taken before the decay)
    got = run(adafactor(lr=0.1, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, 0.95 * THETA0 - 0.1 * RMS0 * np.array([1, -1]), rtol=1e-14)


def test_recorded_effective_lr_is_the_factor_on_g():
    traj = run(adafactor(lr=0.1), steps=2, internals=True)
    step = np.diff(traj.positions[:, 0], axis=0)  # (2, 2)
    grads = 2 * traj.positions[:2, 0]
    np.testing.assert_allclose(traj.internals["effective_lr"][1:, 0], -step / grads, rtol=1e-13)
    np.testing.assert_allclose(traj.internals["effective_lr"][1, 0], 0.1 * RMS0 / np.array([2.0, 4.0]), rtol=1e-14)


def test_zero_eps1_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    # saddle from (1, 0): ∂f/∂y = 0, so v_y = 0 and with ε1 = 0 U_y = 0/0, taken as 0; its effective lr is NaN
    cfg = OptimizerConfig("adafactor").with_values(eps=0.0)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=3, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0) and np.all(np.isnan(traj.internals["effective_lr"][1:, 0, 1]))
    for step in (1, 3):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True
        limits = [line for line in e.substituted_latex if r"\lim" in line]
        assert len(limits) == 1 and limits[0].startswith(f"U_{{y,{step}}} = ") and limits[0].endswith(" = 0")


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.1], beta2_decay=[-0.8, -0.5, 0.0], eps=[2.0**-52, 0.5, 0.0],
                  eps2=[1e-3, 0.3, 0.0], clip_threshold=[1.0, 1.2, 5.0], weight_decay=[0.0, 0.3, 0.1])
    assert_batch_equals_runs(adafactor, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("adafactor", convention="keras")
    with pytest.raises(ValueError, match="beta2_decay"):
        make_optimizer("adafactor", beta2_decay=0.5)  # torch requires c ≤ 0: the weight t^c must not grow


def test_settings_travel_in_links():
    state, notices = from_link("o=adafactor&o1.b2d=-0.5&o1.eps2=0.01&o1.clip=2", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("beta2_decay"), opt.value("eps2"), opt.value("clip_threshold"), opt.value("lr")) == (
        -0.5, 0.01, 2.0, 0.01)
    assert encode(state)["o1.clip"] == "2"
