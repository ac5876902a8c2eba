"""Lookahead over Adam: kozistr's pytorch_optimizer.Lookahead (wrapping torch.optim.Adam) reproduced, fast and slow
weights; steps by hand; the identities with Adam at the ends of the range.

The reference is ``tests/reference/thirdparty/lookahead_adam.json``, made by
``tests/reference/make_lookahead_reference.py`` with pytorch-optimizer 4.1.0 in float64. That the spec is
complete and its explanation redoes its steps is ``tests/test_registry.py``; the wrapper itself, over other
optimizers, is ``tests/test_lookahead.py``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import SPECS, make_optimizer
from optviz.optimizers.lookahead_adam import lookahead_adam
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("lookahead_adam")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
ROSENBROCK = get_surface("rosenbrock")
THETA0 = [1.0, -2.0]
ROSEN0 = [-1.2, 1.0]


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=True)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    cases = REFERENCE["cases"]
    assert {c["kwargs"]["pullback_momentum"] for c in cases} == {"none"}  # the package's default
    assert {c["inner_class"] for c in cases} == {"torch.optim.Adam"}
    assert {c["kwargs"]["inner"]["amsgrad"] for c in cases} == {False}
    assert any(c["kwargs"]["k"] == 5 and c["kwargs"]["alpha"] == 0.5 for c in cases)  # the package's defaults
    assert {c["kwargs"]["k"] for c in cases} >= {1, 3, 5, 10} and any(c["kwargs"]["alpha"] == 0.0 for c in cases)
    assert any(c["kwargs"]["inner"]["weight_decay"] > 0 for c in cases)
    for c in cases:
        inner, mine = c["kwargs"]["inner"], c["optviz_kwargs"]
        assert c["kwargs"]["k"] == mine["sync_period"] and c["kwargs"]["alpha"] == mine["slow_step"]
        assert (inner["lr"], inner["betas"], inner["eps"], inner["weight_decay"]) == (
            mine["lr"], [mine["beta1"], mine["beta2"]], mine["eps"], mine["weight_decay"])
        assert len(c["internals"]["slow_weights"]) == c["steps"]


# As for Lookahead over momentum (tests/test_lookahead.py): the same float64 operations up to their grouping (the
# sync is torch's lerp θ̃ + (1 − α)(φ − θ̃), here φ + α(θ̃ − φ); Adam divides in torch's order), a few ulps a step;
# measured: 3e-14 relative, 5e-16 absolute at worst; the generator refused any run that turns a 1e-15 nudge of its
# start into more than 1e-11. atol 1e-12 for coordinates that pass near 0, where those ulps are relative to the O(1)
# terms.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer(case):
    traj = replay_thirdparty_case(case, internals=True)
    np.testing.assert_allclose(traj.positions[:, 0], case["positions"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.internals["slow_weights"][1:, 0], case["internals"]["slow_weights"], rtol=1e-9,
                               atol=1e-12)


def test_two_syncs_by_hand():
    # β1 = β2 = 0, ε = 0: m̂_t = g_t, v̂_t = g_t², so Adam's step is −η·sign(g_t); η = 0.1, k = 2, α = 0.5 on x² + y²
    # from θ0 = φ0 = (1, −2), where sign(g) = (1, −1) throughout:
    # t = 1: θ̃1 = (0.9, −1.9), no sync: θ1 = θ̃1, φ1 = φ0
    # t = 2: θ̃2 = (0.8, −1.8), sync: φ2 = φ0 + ½(θ̃2 − φ0) = (0.9, −1.9) = θ2
    # t = 3: θ̃3 = (0.8, −1.8) = θ3, φ3 = φ2;  t = 4: θ̃4 = (0.7, −1.7), sync: φ4 = (0.8, −1.8) = θ4
    traj = run(lookahead_adam(lr=0.1, beta1=0.0, beta2=0.0, eps=0.0, sync_period=2, slow_step=0.5), steps=4)
    # the decimals above are a few binary roundings away from the computed values: 1e-14
    np.testing.assert_allclose(traj.positions[1:, 0], [[0.9, -1.9], [0.9, -1.9], [0.8, -1.8], [0.8, -1.8]],
                               rtol=1e-14)
    np.testing.assert_allclose(traj.internals["slow_weights"][1:, 0],
                               [[1.0, -2.0], [0.9, -1.9], [0.9, -1.9], [0.8, -1.8]], rtol=1e-14)


def test_adams_moments_go_on_across_a_sync():
    # the inner state is never reset: the moments after 12 steps are Adam's over the 12 gradients the run saw
    traj = run(lookahead_adam(lr=0.01, beta1=0.8, beta2=0.99, sync_period=3, slow_step=0.5), ROSEN0, 12, ROSENBROCK)
    grads = ROSENBROCK.grad(traj.positions[:-1, 0])  # g_t at θ_{t−1}, (12, 2)
    m, v = np.zeros(2), np.zeros(2)
    for g in grads:
        m, v = 0.8 * m + 0.2 * g, 0.99 * v + 0.01 * g * g
    # the same sums in the same order as Adam's, the gradients recomputed at the same points: 1e-13
    np.testing.assert_allclose(traj.internals["first_moment"][-1, 0], m, rtol=1e-13)
    np.testing.assert_allclose(traj.internals["second_moment"][-1, 0], v, rtol=1e-13)


def test_slow_step_one_is_adam():
    # α = 1: φ_t = θ̃_t at a sync, so θ follows Adam's path; φ + (θ̃ − φ) rounds differently from θ̃ by an ulp,
    # which 60 steps on Rosenbrock may grow by a few orders: 1e-12
    got = run(lookahead_adam(lr=0.01, slow_step=1.0, sync_period=3, weight_decay=0.1), ROSEN0, 60, ROSENBROCK)
    want = run(make_optimizer("adam", lr=0.01, weight_decay=0.1), ROSEN0, 60, ROSENBROCK)
    np.testing.assert_allclose(got.positions, want.positions, rtol=1e-12)
    np.testing.assert_allclose(got.internals["second_moment"], want.internals["second_moment"], rtol=1e-12)


@pytest.mark.parametrize("slow_step", [0.5, 0.3])
def test_sync_period_one_is_adam_at_alpha_times_the_rate(slow_step):
    # k = 1: θ_t = θ_{t−1} + α(θ̃_t − θ_{t−1}) = θ_{t−1} − αη m̂_t/(√v̂_t + ε), and m, v depend on the gradients only
    # (with L2 decay too: g̃ depends on θ only), so this is Adam at lr αη. Different roundings of the same sums
    # (α·η/α need not be η to the bit for α = 0.3): 1e-12 over 60 steps
    eta = 0.01
    got = run(lookahead_adam(lr=eta / slow_step, slow_step=slow_step, sync_period=1, weight_decay=0.1), ROSEN0, 60,
              ROSENBROCK).positions
    want = run(make_optimizer("adam", lr=eta, weight_decay=0.1), ROSEN0, 60, ROSENBROCK).positions
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_slow_step_zero_returns_to_the_start_at_every_sync():
    traj = run(lookahead_adam(lr=0.01, slow_step=0.0, sync_period=4), ROSEN0, 20, ROSENBROCK)
    np.testing.assert_array_equal(traj.internals["slow_weights"][:, 0], np.tile(ROSEN0, (21, 1)))  # φ + 0·(…) is φ
    for t in range(4, 21, 4):
        # θ_{t−1} + (φ0 − θ_{t−1}) is φ0 to an ulp
        np.testing.assert_allclose(traj.positions[t, 0], ROSEN0, rtol=1e-15)
        assert np.all(traj.positions[t - 1, 0] != ROSEN0)  # and the run had moved away


def test_explain_writes_adams_step_then_the_sync():
    from optviz.classroom.explain import explain_step
    from optviz.optimizers.explaining import number
    from optviz.race import OptimizerConfig, RaceConfig, run_race

    cfg = OptimizerConfig("lookahead_adam").with_values(lr=0.05, sync_period=2.0, slow_step=0.4, weight_decay=0.1)
    traj = run_race(RaceConfig("himmelblau", start=(-0.5, 0.5), steps=4, optimizers=(cfg,)))
    for step in range(1, 5):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True and e.values["synced"] == (step % 2 == 0), step
        assert any(line.startswith(r"\hat m_{x,") for line in e.substituted_latex)  # Adam's lines are there
        sync_lines = [line for line in e.substituted_latex if line.startswith(r"\tilde\theta")]
        assert len(sync_lines) == (2 if step % 2 == 0 else 0)  # the inner step is written apart only at a sync
        np.testing.assert_array_equal(e.values["slow"], traj.internals["slow_weights"][step, 0])
        if step % 2 == 0:  # the new point is φ_t, written from φ_{t−1}: the slow weights recorded by step t − 1
            slow_prev = number(traj.internals["slow_weights"][step - 1, 0, 0], None)
            assert e.substituted_latex[-2].startswith(f"x_{{{step}}} = {slow_prev} + ")


def test_a_batch_equals_its_runs_alone():
    arrays = dict(lr=[0.01, 0.02, 0.005], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.99, 0.9], eps=[1e-8, 1e-3, 0.0],
                  weight_decay=[0.0, 0.1, 0.3], sync_period=[5.0, 3.0, 1.0], slow_step=[0.5, 0.8, 0.0])
    assert_batch_equals_runs(lookahead_adam, arrays, ROSENBROCK)


@pytest.mark.parametrize("settings,word", [
    (dict(slow_step=1.5), "slow_step"), (dict(slow_step=math.nan), "slow_step"), (dict(sync_period=0.5), "sync_period"),
    (dict(sync_period=101.0), "sync_period"), (dict(beta1=1.0), "beta1"), (dict(beta2=-0.1), "beta2"),
    (dict(eps=-1e-8), "eps"), (dict(k=5), "k"), (dict(betas=(0.9, 0.99)), "betas"),  # torch's names are not OptViz's
])
def test_bad_values_are_refused_by_name(settings, word):
    with pytest.raises(ValueError, match=word):
        make_optimizer("lookahead_adam", **settings)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("lookahead_adam", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=lookahead_adam&o1.lak=3&o1.laa=0.8&o1.b1=0.8", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("sync_period"), opt.value("slow_step"), opt.value("beta1"), opt.value("lr")) == (3.0, 0.8, 0.8,
                                                                                                      0.001)
    assert encode(state)["o1.laa"] == "0.8"


def test_the_map_shows_the_slow_weights_and_the_inside_view_adams_moments():
    spec = SPECS["lookahead_adam"]
    assert set(spec.map_points) == {"slow_weights"} and set(spec.plotted) == {"first_moment", "second_moment"}
    for label in [*spec.map_points.values(), *spec.plotted.values()]:
        assert label.en.strip() and label.zh.strip() and label.en != label.zh
    optimizer = make_optimizer("lookahead_adam")
    assert set(optimizer.internals(optimizer.init(np.zeros((3, 2))))) == {"first_moment", "second_moment",
                                                                          "effective_lr", "slow_weights"}
