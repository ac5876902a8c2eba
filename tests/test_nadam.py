"""NAdam: steps worked out by hand from its docstring, identities with Adam, and its place in links.

That it reproduces torch.optim.NAdam to 1e-9 is ``tests/test_optimizers.py::test_matches_torch`` on
the ``nadam-*`` trajectories of ``tests/reference/torch/nadam.json``; that its spec is
complete and its explanation redoes its steps in every convention is ``tests/test_registry.py``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer
from optviz.optimizers.nadam import momentum_coefficient, momentum_product, nadam
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = [1.0, -2.0]  # g0 = (2, -4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_momentum_schedule_warms_up_toward_beta1():
    # μ_t = β1 (1 − ½·0.96^{tψ}): β1/2 with ψ = 0; rising toward β1 with ψ > 0
    assert momentum_coefficient(0.9, 0.0, 7) == 0.45
    assert momentum_coefficient(0.9, 4e-3, 1) == pytest.approx(0.9 * (1 - 0.5 * 0.96 ** 0.004), rel=1e-15)
    schedule = [momentum_coefficient(0.9, 1.0, t) for t in range(1, 200)]
    assert all(a < b < 0.9 for a, b in zip(schedule, schedule[1:]))
    assert momentum_product(0.9, 1.0, 0) == 1.0
    assert momentum_product(0.9, 1.0, 3) == pytest.approx(math.prod(schedule[:3]), rel=1e-15)


def test_first_step_by_hand():
    # ε = 0, from θ0 = (1, −2) with g0 = (2, −4): m1 = 0.1 g0, v̂1 = g0², so √v̂1 = |g0| and
    # θ1 = θ0 − η (1−μ1)/(1−Π1)·sign(g0) − η μ2/(1−Π2)·0.1·sign(g0), with Π1 = μ1, Π2 = μ1 μ2
    mu1, mu2 = (0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (1, 2))
    size = 0.1 * (1 + mu2 / (1 - mu1 * mu2) * 0.1)
    got = run(nadam(lr=0.1, eps=0.0)).positions[1, 0]
    np.testing.assert_allclose(got, [1 - size, -2 + size], rtol=1e-14)


def test_recorded_internals_after_step_one():
    internals = {k: v[1, 0] for k, v in run(nadam(lr=0.1, eps=0.5), internals=True).internals.items()}
    np.testing.assert_allclose(internals["first_moment"], [0.2, -0.4], rtol=1e-14)
    np.testing.assert_allclose(internals["second_moment"], [0.004, 0.016], rtol=1e-14)
    np.testing.assert_allclose(internals["effective_lr"], [0.1 / 2.5, 0.1 / 4.5], rtol=1e-14)  # η/(√v̂ + ε)


@pytest.mark.parametrize("weight_decay", [0.0, 0.2])
def test_with_beta1_zero_it_is_adam_with_beta1_zero(weight_decay):
    # every μ is 0, so the step is η g̃/(√v̂ + ε); Adam divides √v by √(1−β2^t), NAdam takes √(v/(1−β2^t))
    surface = get_surface("rosenbrock")
    a = run(nadam(lr=0.01, beta1=0.0, weight_decay=weight_decay), [-1.2, 1.0], 60, surface).positions
    b = run(make_optimizer("adam", lr=0.01, beta1=0.0, weight_decay=weight_decay), [-1.2, 1.0], 60, surface).positions
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_textbook_is_pytorch():
    surface = get_surface("rosenbrock")
    a = run(nadam(lr=0.01, weight_decay=0.1), [-1.2, 1.0], 40, surface).positions
    b = run(nadam(lr=0.01, weight_decay=0.1, convention="textbook"), [-1.2, 1.0], 40, surface).positions
    np.testing.assert_array_equal(a, b)


def test_keras_decays_weights_decoupled_and_is_pytorch_without_decay():
    surface = get_surface("rosenbrock")
    plain = [run(nadam(lr=0.01, convention=c), [-1.2, 1.0], 40, surface).positions for c in ("pytorch", "keras")]
    np.testing.assert_array_equal(*plain)
    # no gradient anywhere: torch's L2 decay feeds λθ through the moments, Keras's shrinks θ by 1 − ηλ a step
    flat = replace(QUADRATIC, grad=lambda p: np.zeros_like(np.asarray(p, dtype=float)), minima=())
    keras = run(nadam(lr=0.1, weight_decay=0.5, convention="keras"), THETA0, 5, flat).positions[:, 0]
    np.testing.assert_allclose(keras, np.array(THETA0) * (1 - 0.05) ** np.arange(6)[:, None], rtol=1e-14)
    torch_like = run(nadam(lr=0.1, weight_decay=0.5), THETA0, 5, flat).positions[:, 0]
    assert not np.allclose(torch_like, keras)


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    arrays = dict(lr=[0.01, 0.05, 0.002], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.99],
                  weight_decay=[0.0, 0.3, 0.1], momentum_decay=[4e-3, 1.0, 0.0])
    batch = run(nadam(**{k: np.array(v) for k, v in arrays.items()}), [-1.2, 1.0], 50, surface).positions
    for i in range(3):
        alone = run(nadam(**{k: v[i] for k, v in arrays.items()}), [-1.2, 1.0], 50, surface).positions[:, 0]
        # NumPy's array power and Python's pow may differ in the last bit of 0.96^{tψ} and β2^t
        np.testing.assert_allclose(batch[:, i], alone, rtol=1e-12)


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_zero_eps_on_a_zero_gradient_steps_0_and_is_explained_as_the_limit(convention):
    # saddle x²/2 + y⁴/4 − y²/2 from (1, 0): ∂f/∂y = 0 at every step, so both y quotients are 0/0
    cfg = OptimizerConfig("nadam", convention=convention).with_values(eps=0.0, lr=0.01)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=3, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0)
    assert np.all(np.isnan(traj.internals["effective_lr"][1:, 0, 1]))
    for step in (1, 2, 3):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True
        (limit,) = [line for line in e.substituted_latex if r"\lim" in line]
        assert limit.startswith(f"y_{{{step}}} = ") and limit.endswith(" = 0")


def test_explanation_shows_the_schedule_and_its_product():
    cfg = OptimizerConfig("nadam").with_values(lr=0.01)
    traj = run_race(RaceConfig("rosenbrock", start=(-1.2, 1.0), steps=3, optimizers=(cfg,)))
    e = explain_step(cfg, traj, 0, 3)
    assert r"\Pi_{2} = " + f"{momentum_product(0.9, 4e-3, 2):.6g}" in e.substituted_latex
    assert any(line.startswith(r"\mu_{4} = 0.9 \cdot \left(1 - 0.5 \cdot 0.96^{4 \cdot 0.004}\right)")
               for line in e.substituted_latex)
    assert e.values["momentum_product"] == momentum_product(0.9, 4e-3, 3)  # the product the optimizer kept
    assert any("Π" in note for note in e.notes)


def test_momentum_decay_travels_in_links_as_md():
    defaults = AppState()
    state, notices = from_link("o=nadam&o1.md=0.1&o1.b1=0.8", defaults)
    assert not notices
    (opt,) = state.config.optimizers
    assert opt.value("momentum_decay") == 0.1 and opt.value("beta1") == 0.8 and opt.value("lr") == 2e-3
    assert encode(state)["o1.md"] == "0.1"
    _, notices = from_link("o=nadam&o1.md=2", defaults)
    assert [n.key for n in notices] == ["o1.md"]  # ψ beyond [0, 1] falls back to the default
