"""RAdam: steps worked out by hand from its docstring, on both sides of the rectification threshold.

That it reproduces torch.optim.RAdam to 1e-9 is ``tests/test_optimizers.py::test_matches_torch`` on the
``radam-*`` trajectories of ``tests/reference/torch/radam.json``; that its spec is complete and its
explanation redoes its steps (momentum steps and rectified ones) is ``tests/test_registry.py`` and
``tests/test_explain.py``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import assert_batch_equals_runs
from optviz.classroom.explain import explain_step
from optviz.optimizer_spec import SpecError, parse
from optviz.optimizers import make_optimizer
from optviz.optimizers.radam import radam, sma_length
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)
C = np.array([2.0, -4.0])
CONSTANT = replace(QUADRATIC, grad=lambda p: np.broadcast_to(C, np.shape(p)).astype(float), minima=())


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_threshold_is_crossed_at_step_six_with_the_default_beta2():
    # ρ_∞ = 2/0.001 − 1 = 1999; ρ_t = ρ_∞ − 2t·0.999^t/(1 − 0.999^t) is just under t: ρ_5 ≈ 4.996, ρ_6 ≈ 5.994
    for t in range(1, 9):
        rho_inf = 2 / (1 - 0.999) - 1  # 1999, but for the rounding of 1 − 0.999, which matters at t = 1
        expected = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
        assert sma_length(0.999, t)[1] == pytest.approx(expected, rel=1e-12)
        assert (expected > 5) == (t >= 6)


def test_first_two_steps_are_momentum_steps():
    # η = 0.1, β1 = 0.9. t = 1: m1 = 0.1 g0, m̂1 = m1/0.1 = g0 = (2, −4); θ1 = θ0 − 0.1 g0 = (0.8, −1.6)
    # t = 2: g1 = (1.6, −3.2); m2 = 0.9·(0.2, −0.4) + 0.1·(1.6, −3.2) = (0.34, −0.68); m̂2 = m2/0.19;
    #        θ2 = θ1 − 0.1 m̂2  (ρ_2 ≈ 2 ≤ 5: no division by √v)
    positions = run(radam(lr=0.1), steps=2).positions[:, 0]
    np.testing.assert_allclose(positions[1], [0.8, -1.6], rtol=1e-14)
    np.testing.assert_allclose(positions[2], [0.8 - 0.1 * 0.34 / 0.19, -1.6 + 0.1 * 0.68 / 0.19], rtol=1e-14)


def test_a_constant_gradient_steps_eta_g_then_eta_r_sign_g():
    # g_t = c: m_t = (1 − β1^t) c, so m̂_t = c; v_t = (1 − β2^t) c², so with ε = 0 l_t = 1/|c|.
    # Steps 1..5: −η c; from step 6 on: −η r_t sign(c), r_t = √((ρ_t−4)(ρ_t−2)ρ_∞/((ρ_∞−4)(ρ_∞−2)ρ_t)).
    eta, steps = 0.01, 8
    positions = run(radam(lr=eta, eps=0.0), steps=steps, surface=CONSTANT).positions[:, 0]
    deltas = np.diff(positions, axis=0)
    np.testing.assert_allclose(deltas[:5], np.tile(-eta * C, (5, 1)), rtol=1e-12)
    rho_inf = 2 / (1 - 0.999) - 1  # 1999, up to rounding in 1 − 0.999
    for t in (6, 7, 8):
        rho = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        np.testing.assert_allclose(deltas[t - 1], -eta * r * np.sign(C), rtol=1e-12)
    assert 0 < deltas[5, 0] / -eta < 0.1  # r_6 ≈ 0.06: the rectified step starts small and grows toward η


def test_recorded_effective_lr_is_the_factor_on_m_hat():
    traj = run(radam(lr=0.01, eps=0.0), steps=6, surface=CONSTANT, internals=True)
    rates = traj.internals["effective_lr"][1:, 0]
    np.testing.assert_allclose(rates[:5], 0.01, rtol=1e-15)  # η, before rectification
    deltas = np.diff(traj.positions[:, 0], axis=0)
    np.testing.assert_allclose(rates[5], -deltas[5] / C, rtol=1e-12)  # step 6 = −rate·m̂ with m̂ = c


def test_l2_weight_decay_enters_the_gradient():
    # λ = 0.5: g̃0 = (2, −4) + 0.5 (1, −2) = (2.5, −5); the first step is −η g̃0
    got = run(radam(lr=0.1, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [1 - 0.25, -2 + 0.5], rtol=1e-14)


def test_explanation_names_the_branch_and_shows_rho():
    cfg = OptimizerConfig("radam").with_values(lr=1e-3)
    traj = run_race(RaceConfig("rosenbrock", start=(-1.2, 1.0), steps=7, optimizers=(cfg,)))
    early, late = explain_step(cfg, traj, 0, 2), explain_step(cfg, traj, 0, 7)
    assert early.values["rectified"] is False and late.values["rectified"] is True
    assert not any(line.startswith("r_{") for line in early.substituted_latex)
    assert any(line.startswith("r_{7} = ") for line in late.substituted_latex)
    assert any(line.startswith(r"\rho_{2} = ") for line in early.substituted_latex)
    assert any("ρ_t" in note for note in late.notes)


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.001, 0.0005, 0.002], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.5], eps=[1e-8, 0.1, 0.0],
                  weight_decay=[0.0, 0.3, 0.1])  # β2 = 0.5: ρ_∞ = 3, never rectified
    assert_batch_equals_runs(radam, arrays, surface)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("radam", convention="textbook")
    with pytest.raises(SpecError, match=r"c must be one of pytorch \(got keras\)"):  # the command line's spelling
        parse("radam:c=keras")


def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit():
    # saddle from (1, 0): ∂f/∂y = 0 throughout, so m̂ = v = 0 in y. Steps 1..5 are −η m̂ = 0; from step 6 on,
    # with ε = 0, m̂·√(1−β2^t)/(√v + ε) is 0/0: the step is its limit 0 and the rate η l_t r_t is undefined (NaN)
    cfg = OptimizerConfig("radam").with_values(eps=0.0, lr=0.01)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=8, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0)
    rates = traj.internals["effective_lr"][1:, 0, 1]
    assert np.all(rates[:5] == 0.01) and np.all(np.isnan(rates[5:]))
    for step in (3, 8):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True
        limits = [line for line in e.substituted_latex if r"\lim" in line]
        assert len(limits) == (step >= 6) and all(line.endswith(" = 0") for line in limits)
