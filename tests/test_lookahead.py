"""Lookahead over SGD with momentum: kozistr's pytorch_optimizer.Lookahead (wrapping torch.optim.SGD) reproduced, fast
and slow weights; steps by hand; the identities with momentum at the ends of its range. Then ``with_lookahead`` over
other optimizers: the Lookahead rule written out by hand around their own steps.

The reference is ``tests/reference/thirdparty/lookahead.json``, made by ``tests/reference/make_lookahead_reference.py``
with pytorch-optimizer 4.1.0 in float64. That the spec is complete and its explanation redoes its steps is
``tests/test_registry.py``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.optimizers import make_optimizer
from optviz.optimizers.lookahead import lookahead, syncs_at, with_lookahead
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("lookahead")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
ROSENBROCK = get_surface("rosenbrock")
THETA0 = [1.0, -2.0]  # g0 = (2, −4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=True)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    cases = REFERENCE["cases"]
    assert {c["kwargs"]["pullback_momentum"] for c in cases} == {"none"}  # the package's default
    assert {c["inner_class"] for c in cases} == {"torch.optim.SGD"}
    assert {(c["kwargs"]["inner"]["dampening"], c["kwargs"]["inner"]["nesterov"]) for c in cases} == {(0.0, False)}
    assert any(c["kwargs"]["k"] == 5 and c["kwargs"]["alpha"] == 0.5 for c in cases)  # the package's defaults
    assert {c["kwargs"]["k"] for c in cases} >= {1, 3, 5, 10} and any(c["kwargs"]["alpha"] == 0.0 for c in cases)
    for c in cases:
        assert c["kwargs"]["k"] == c["optviz_kwargs"]["sync_period"]
        assert len(c["internals"]["slow_weights"]) == c["steps"]


# As for the other third-party references (tests/test_lion.py): the same float64 operations up to their grouping
# (the sync is torch's lerp θ̃ + (1 − α)(φ − θ̃), or φ − α(φ − θ̃) for α > 1/2, here φ + α(θ̃ − φ)), a few ulps a
# step (measured: 6e-14 at worst); the generator refused any run that turns a 1e-15 nudge of its start into more
# than 1e-11. atol 1e-12 for coordinates that pass near 0, where those ulps are relative to the O(1) terms.
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer(case):
    traj = replay_thirdparty_case(case, internals=True)
    np.testing.assert_allclose(traj.positions[:, 0], case["positions"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.internals["slow_weights"][1:, 0], case["internals"]["slow_weights"], rtol=1e-9,
                               atol=1e-12)


def test_first_sync_by_hand():
    # η = 0.1, β = 0.9, k = 2, α = 0.5, θ0 = φ0 = (1, −2).
    # t = 1: v1 = g0 = (2, −4), θ1 = θ0 − η v1 = (0.8, −1.6); no sync, φ1 = φ0
    # t = 2: g1 = (1.6, −3.2), v2 = 0.9 v1 + g1 = (3.4, −6.8), θ̃2 = θ1 − η v2 = (0.46, −0.92);
    #        sync: φ2 = φ0 + α(θ̃2 − φ0) = (0.73, −1.46) = θ2; v2 is kept
    traj = run(lookahead(lr=0.1, sync_period=2, slow_step=0.5), steps=2)
    # the decimals above are a few binary roundings away from the computed values: 1e-14
    np.testing.assert_allclose(traj.positions[1:, 0], [[0.8, -1.6], [0.73, -1.46]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["slow_weights"][1:, 0], [[1.0, -2.0], [0.73, -1.46]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["velocity"][2, 0], [3.4, -6.8], rtol=1e-14)


def test_the_slow_weights_move_only_at_syncs_and_the_run_restarts_there():
    traj = run(lookahead(lr=0.001, sync_period=4, slow_step=0.3), [-1.2, 1.0], 40, ROSENBROCK)
    slow, fast = traj.internals["slow_weights"][:, 0], traj.positions[:, 0]
    for t in range(1, 41):
        if t % 4:
            np.testing.assert_array_equal(slow[t], slow[t - 1])
        else:
            assert np.all(slow[t] != slow[t - 1])
            # the run restarts from φ_t: simulate records θ_{t−1} + (φ_t − θ_{t−1}), which is φ_t to an ulp
            np.testing.assert_allclose(fast[t], slow[t], rtol=1e-15)
    np.testing.assert_array_equal(slow[0], [-1.2, 1.0])


def test_slow_step_one_is_momentum():
    # α = 1: φ_t = θ̃_t at a sync, so θ follows momentum's path; φ + (θ̃ − φ) rounds differently from θ̃ by an ulp,
    # which 60 steps on Rosenbrock grow by a few orders: 1e-12
    got = run(lookahead(lr=0.001, slow_step=1.0, sync_period=3), [-1.2, 1.0], 60, ROSENBROCK).positions
    want = run(make_optimizer("momentum", lr=0.001), [-1.2, 1.0], 60, ROSENBROCK).positions
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_sync_period_one_is_momentum_at_alpha_times_the_rate():
    # k = 1: φ = θ after every step, θ_t = θ_{t−1} + α(θ̃_t − θ_{t−1}) = θ_{t−1} − αη v_t: momentum at lr αη
    # (v itself does not depend on the rate). Different roundings of the same sums: 1e-12 over 60 steps
    got = run(lookahead(lr=0.002, slow_step=0.5, sync_period=1), [-1.2, 1.0], 60, ROSENBROCK).positions
    want = run(make_optimizer("momentum", lr=0.001), [-1.2, 1.0], 60, ROSENBROCK).positions
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_explain_writes_the_sync_and_lands_on_the_recorded_point():
    from optviz.classroom.explain import explain_step
    from optviz.optimizers.explaining import number
    from optviz.race import OptimizerConfig, RaceConfig, run_race

    cfg = OptimizerConfig("lookahead").with_values(sync_period=3.0, slow_step=0.4, weight_decay=0.1)
    traj = run_race(RaceConfig("himmelblau", start=(-0.5, 0.5), steps=6, optimizers=(cfg,)))
    for step in range(1, 7):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True and e.values["synced"] == (step % 3 == 0), step
        sync_lines = [line for line in e.substituted_latex if line.startswith(r"\tilde\theta")]
        assert len(sync_lines) == (2 if step % 3 == 0 else 0)  # the inner step is written apart only at a sync
        # at a sync the new point is φ_t, written from φ_{t−1}: the slow weights recorded by step t − 1
        if step % 3 == 0:
            slow_prev = number(traj.internals["slow_weights"][step - 1, 0, 0], None)
            assert e.substituted_latex[-2].startswith(f"x_{{{step}}} = {slow_prev} + ")
            np.testing.assert_array_equal(e.values["slow"], traj.internals["slow_weights"][step, 0])


def test_a_fractional_period_syncs_every_k_steps_on_average():
    steps = np.arange(1, 101)
    assert [int(t) for t in steps if syncs_at(int(t), 5.0)] == list(range(5, 101, 5))  # whole k: every k-th step
    assert sum(bool(syncs_at(int(t), 2.5)) for t in steps) == 40  # ⌊t/2.5⌋ grows at t = 3, 5, 8, 10, …
    assert [int(t) for t in steps[:10] if syncs_at(int(t), 2.5)] == [3, 5, 8, 10]


def test_a_batch_equals_its_runs_alone():
    arrays = dict(lr=[0.001, 0.0014, 0.0005], beta=[0.9, 0.5, 0.0], weight_decay=[0.0, 0.1, 0.3],
                  sync_period=[5.0, 3.0, 1.0], slow_step=[0.5, 0.8, 0.0])
    assert_batch_equals_runs(lookahead, arrays, ROSENBROCK)


@pytest.mark.parametrize("settings,word", [
    (dict(slow_step=1.5), "slow_step"), (dict(slow_step=-0.1), "slow_step"), (dict(sync_period=0.0), "sync_period"),
    (dict(sync_period=0.5), "sync_period"), (dict(sync_period=101.0), "sync_period"),
    (dict(sync_period=math.nan), "sync_period"), (dict(beta=1.0), "beta"), (dict(k=5), "k"),
    (dict(alpha=0.5), "alpha"),  # the package's names are not OptViz's
])
def test_bad_values_are_refused_by_name(settings, word):
    with pytest.raises(ValueError, match=word):
        make_optimizer("lookahead", **settings)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("lookahead", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=lookahead&o1.lak=3&o1.laa=0.8&o1.b=0.5", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("sync_period"), opt.value("slow_step"), opt.value("beta"), opt.value("lr")) == (3.0, 0.8, 0.5,
                                                                                                     0.001)
    assert encode(state)["o1.lak"] == "3"


def test_the_map_shows_the_slow_weights_beside_the_run():
    from optviz.optimizers import SPECS

    spec = SPECS["lookahead"]
    assert set(spec.map_points) == {"slow_weights"}
    label = spec.map_points["slow_weights"]
    assert label.en.strip() and label.zh.strip() and label.en != label.zh
    optimizer = make_optimizer("lookahead")
    assert optimizer.internals(optimizer.init(np.zeros((3, 2))))["slow_weights"].shape == (3, 2)


# ------------------------------------------------------------------------------------ with_lookahead over any optimizer

# inner optimizers with rates that keep Rosenbrock's runs on the map for 40 steps from (−1.2, 1), where |∇f| ≈ 230
INNER = {"rmsprop": dict(lr=0.003), "lion": dict(lr=0.003, beta1=0.8), "nesterov": dict(lr=2e-4, beta=0.8)}


def lookahead_by_hand(inner, surface, start, steps, period, alpha, oracle=None):
    """The Lookahead rule written out around ``inner``'s own init and update (handed ``oracle``, e.g. the surface for
    SAM): fast positions and slow weights."""
    theta = np.array([start], dtype=float)  # (1, 2)
    slow, state = theta.copy(), inner.init(theta)
    positions, slows = [theta[0].copy()], [slow[0].copy()]
    for t in range(1, steps + 1):
        inner_step, state = inner.update(surface.grad(theta), state, theta, None, **(oracle or {}))
        fast = theta + inner_step
        if t % period == 0:
            slow = slow + alpha * (fast - slow)
            theta = slow
        else:
            theta = fast
        positions.append(theta[0].copy())
        slows.append(slow[0].copy())
    return np.array(positions), np.array(slows)  # (steps+1, 2) each


@pytest.mark.parametrize("name", sorted(INNER))
def test_with_lookahead_over_any_optimizer_is_the_rule_around_its_own_steps(name):
    inner = make_optimizer(name, **INNER[name])
    traj = run(with_lookahead(inner, sync_period=3, slow_step=0.6), [-1.2, 1.0], 40, ROSENBROCK)
    assert list(traj.status) == ["running"]
    positions, slows = lookahead_by_hand(inner, ROSENBROCK, [-1.2, 1.0], 40, 3, 0.6)
    # simulate lands on a sync's φ_t as θ_{t−1} + (φ_t − θ_{t−1}), the loop on φ_t itself: an ulp apart at each
    # sync, which 40 steps of Rosenbrock (sign steps for Lion) may grow by a few orders: 1e-12
    np.testing.assert_allclose(traj.positions[:, 0], positions, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(traj.internals["slow_weights"][:, 0], slows, rtol=1e-12, atol=1e-14)
    # until the first sync the run is the inner optimizer's own simulate, to the bit: the same steps, added alike
    alone = run(inner, [-1.2, 1.0], 2, ROSENBROCK).positions[:, 0]
    np.testing.assert_array_equal(traj.positions[:3, 0], alone)
    # the syncs did pull back: the run is not the inner optimizer's (a wrapper that did nothing would pass above)
    assert not np.allclose(traj.positions[-1, 0], run(inner, [-1.2, 1.0], 40, ROSENBROCK).positions[-1, 0])


def test_with_lookahead_keeps_the_inners_internals_and_adds_the_slow_weights():
    inner = make_optimizer("rmsprop")
    wrapped = with_lookahead(inner)
    state = wrapped.init(np.zeros((3, 2)))
    assert set(wrapped.internals(state)) == set(inner.internals(inner.init(np.zeros((3, 2))))) | {"slow_weights"}
    assert wrapped.name == "lookahead(rmsprop)" and wrapped.hyperparams["sync_period"] == 5.0
    assert wrapped.hyperparams["lr"] == inner.hyperparams["lr"]


def test_with_lookahead_passes_the_inners_needs_through():
    # SAM evaluates the surface at its ascent point: the wrapper must hand the surface on
    inner = make_optimizer("sam_sgd", lr=0.001)
    wrapped = with_lookahead(inner, sync_period=2)
    assert wrapped.needs_surface and not wrapped.needs_hessian
    traj = run(wrapped, [-1.2, 1.0], 6, ROSENBROCK)
    positions, _ = lookahead_by_hand(inner, ROSENBROCK, [-1.2, 1.0], 6, 2, 0.5, {"surface": ROSENBROCK})
    np.testing.assert_allclose(traj.positions[:, 0], positions, rtol=1e-12)  # as above: ulps at the syncs
    assert with_lookahead(make_optimizer("newton")).needs_hessian


def test_with_lookahead_runs_a_batch_as_its_runs_alone():
    inner = make_optimizer("rmsprop", lr=np.array([0.003, 0.001, 0.01]))
    batch = run(with_lookahead(inner, np.array([3.0, 1.0, 7.0]), np.array([0.6, 0.0, 1.0])), [-1.2, 1.0], 30,
                ROSENBROCK).positions
    for i, (lr, k, a) in enumerate([(0.003, 3.0, 0.6), (0.001, 1.0, 0.0), (0.01, 7.0, 1.0)]):
        alone = run(with_lookahead(make_optimizer("rmsprop", lr=lr), k, a), [-1.2, 1.0], 30, ROSENBROCK).positions
        # the same operations per element; vectorized and scalar square roots may differ in the last bit: 1e-12
        np.testing.assert_allclose(batch[:, i], alone[:, 0], rtol=1e-12)


@pytest.mark.parametrize("settings,word", [
    (dict(sync_period=0.5), "sync_period"), (dict(sync_period=math.inf), "sync_period"),
    (dict(sync_period="five"), "sync_period"), (dict(sync_period=[3.0, "x"]), "sync_period"),
    (dict(slow_step=-0.1), "slow_step"),
    (dict(slow_step=np.array([0.5, math.nan])), "slow_step"), (dict(slow_step=np.ones((2, 2))), "slow_step"),
])
def test_with_lookahead_refuses_bad_values_by_name(settings, word):
    with pytest.raises(ValueError, match=word):
        with_lookahead(make_optimizer("rmsprop"), **settings)


def test_with_lookahead_refuses_runs_that_disagree_with_the_inner():
    inner = make_optimizer("rmsprop", lr=np.array([0.001, 0.002, 0.003]))
    with pytest.raises(ValueError, match="runs"):
        with_lookahead(inner, sync_period=np.array([3.0, 5.0]))
