"""Sophia: kozistr's pytorch_optimizer.SophiaH, handed the exact Hessian diagonal, reproduced; steps by hand;
the Hutchinson option seeded per run and unbiased.

The reference trajectories are ``tests/reference/thirdparty/sophia.json`` (made by
``tests/reference/make_sophia_reference.py`` with pytorch-optimizer 4.1.0 in float64), each with the
curvature average h after every step; that the spec is complete and its explanation redoes its steps is
``tests/test_registry.py`` and ``tests/test_explain.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import check_thirdparty_meta, replay_thirdparty_case, thirdparty_reference
from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer, standard_normal
from optviz.optimizers.sophia import PROBE_STRIDE, hessian_estimate, sophia
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("sophia")
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ, H = 2I
SADDLE = get_surface("saddle")  # x²/2 + y⁴/4 − y²/2: g = (x, y³ − y), H = diag(1, 3y² − 1)
THETA0 = np.array([1.0, -2.0])  # g0 = (2, −4) on the quadratic


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC, internals=False):
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def test_the_reference_is_what_it_claims():
    check_thirdparty_meta(REFERENCE, "pytorch-optimizer", "4.1.0")
    variants = {(c["kwargs"]["weight_decouple"], c["kwargs"]["fixed_decay"], c["kwargs"]["foreach"])
                for c in REFERENCE["cases"]}
    assert variants == {(True, False, False)}  # the package's decay; the single-tensor path
    for c in REFERENCE["cases"]:
        h = c["optviz_kwargs"]
        assert h["hutchinson_samples"] == 0 and c["kwargs"]["p"] == h["clip_bound"]
        assert c["kwargs"]["update_period"] == h["update_period"]
    assert {c["optviz_kwargs"]["update_period"] for c in REFERENCE["cases"]} == {1.0, 3.0, 10.0}
    assert any(c["optviz_kwargs"]["weight_decay"] > 0 for c in REFERENCE["cases"])


# The same float64 operations (SophiaH's lerp for the averages, then the clip), a few ulps per step; the generator
# refused any run that turns a 1e-15 nudge of its start into more than 1e-11. h is such an average: the same bound,
# with 1e-12 absolute where it passes through 0. (Measured worst when written: 4.5e-14 relative.)
@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["id"] for c in REFERENCE["cases"]])
def test_matches_pytorch_optimizer_sophiah(case):
    traj = replay_thirdparty_case(case, internals=True)
    np.testing.assert_allclose(traj.positions[:, 0], np.array(case["positions"]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.internals["hessian_moment"][1:, 0], case["internals"]["hessian_moment"],
                               rtol=1e-9, atol=1e-12)


def test_the_reference_runs_see_both_regimes():
    """Clipped sign steps and Newton-like ones, and negative curvature: the data tests all of the rule."""
    fractions, moments = [], []
    for case in REFERENCE["cases"]:
        traj = replay_thirdparty_case(case, internals=True)
        fractions.append(np.abs(traj.internals["update_fraction"][1:, 0]).ravel())
        moments.append(np.array(case["internals"]["hessian_moment"]).ravel())
    fractions, moments = np.concatenate(fractions), np.concatenate(moments)
    assert np.mean(fractions == 1.0) > 0.1 and np.mean(fractions < 0.9) > 0.1
    assert np.any(moments < 0)


def test_the_first_step_by_hand_clipped_and_not():
    # β1 = 0.95, β2 = 0.99, H = 2I: m1 = 0.05 g0 = (0.1, −0.2), h1 = 0.01·2 = 0.02, m1/h1 = (5, −10).
    # ρ = 0.05 clips it to (0.05, −0.05): θ1 = θ0 − η (0.05, −0.05), η = 1: (0.95, −1.95).
    # ρ = 10 does not: η = 0.1: θ1 = θ0 − 0.1 (5, −10) = (0.5, −1).
    clipped = run(sophia(), internals=True)
    np.testing.assert_allclose(clipped.positions[1, 0], [0.95, -1.95], rtol=1e-15)  # one rounding at most
    np.testing.assert_allclose(clipped.internals["update_fraction"][1, 0], [1.0, -1.0], rtol=0)
    np.testing.assert_allclose(clipped.internals["hessian_moment"][1, 0], [0.02, 0.02], rtol=1e-15)
    newton_like = run(sophia(lr=0.1, clip_bound=10.0), internals=True)
    np.testing.assert_allclose(newton_like.positions[1, 0], [0.5, -1.0], rtol=1e-14)  # a few roundings
    np.testing.assert_allclose(newton_like.internals["update_fraction"][1, 0], [0.5, -1.0], rtol=1e-14)


def test_the_curvature_is_refreshed_every_k_steps():
    # k = 3 on the quadratic (H = 2I everywhere): h enters at t = 1, 4, 7: h = 0.02, 0.02, 0.02, then
    # 0.99·0.02 + 0.01·2 = 0.0398 for t = 4, 5, 6, then 0.99·0.0398 + 0.02 = 0.059402 at t = 7.
    traj = run(sophia(update_period=3), steps=7, internals=True)
    expected = [0.0, 0.02, 0.02, 0.02, 0.0398, 0.0398, 0.0398, 0.059402]
    np.testing.assert_allclose(traj.internals["hessian_moment"][:, 0, 0], expected, rtol=1e-14)  # a few roundings


def test_negative_curvature_saturates_the_clip_and_leaves_the_saddle():
    # From (1, 0.1) on the saddle: H_yy = 3·0.01 − 1 = −0.97, so h1_y = −0.0097 < ε and u_y = clip(m1_y/ε) = −ρ
    # (m1_y = 0.05·(0.001 − 0.1) < 0): y moves by +ηρ, away from the saddle point y = 0. Newton's step
    # y − g_y/H_yy = 0.1 − 0.099/0.97 < 0 would have crossed towards it.
    traj = run(sophia(lr=1.0, clip_bound=0.05), [1.0, 0.1], steps=1, surface=SADDLE, internals=True)
    np.testing.assert_allclose(traj.positions[1, 0, 1], 0.15, rtol=1e-15)
    assert traj.internals["hessian_moment"][1, 0, 1] < 0 and traj.internals["update_fraction"][1, 0, 1] == -1.0
    newton = run(make_optimizer("newton"), [1.0, 0.1], steps=1, surface=SADDLE).positions[1, 0, 1]
    assert abs(newton) < 0.1 < 0.15


def test_eps_zero_takes_the_limit_of_the_clip():
    # ε = 0 on the saddle from (1, 0.1): h1_y < 0, so max(h, ε) = 0 and m1_y/0 is taken as its limit −∞: u_y = −ρ,
    # the step ε = 1e-12 takes. From (1, 0): m_y = 0 as well, 0/0 is taken as 0 and y stays (no NaN).
    tiny, zero = (run(sophia(eps=e), [1.0, 0.1], 2, SADDLE).positions for e in (1e-12, 0.0))
    np.testing.assert_array_equal(zero, tiny)
    still = run(sophia(eps=0.0), [1.0, 0.0], 3, SADDLE, internals=True)
    np.testing.assert_allclose(still.positions[:, 0], [[1.0, 0.0], [0.95, 0.0], [0.9, 0.0], [0.85, 0.0]], rtol=1e-15)
    cfg = OptimizerConfig("sophia").with_values(eps=0.0)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.1), steps=3, optimizers=(cfg,)))
    assert all(explain_step(cfg, traj, 0, step, digits=None).reproduces is True for step in (1, 2, 3))


def test_decoupled_weight_decay():
    # λ = 0.5, η = 0.1, ρ = 10: θ1 = θ0 − ηλθ0 − η (5, −10) = (1 − 0.05 − 0.5, −2 + 0.1 + 1) = (0.45, −0.9)
    got = run(sophia(lr=0.1, clip_bound=10.0, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [0.45, -0.9], rtol=1e-14)


def test_hutchinsons_first_estimate_by_hand():
    # H = 2I: z ⊙ Hz = 2z², so with n probes ĥ1 = (2/n) Σ_j z_j², the probes being draw j of step 1 of the
    # run's seed: standard_normal(seed, 1·2²⁰ + j). h1 = 0.01 ĥ1.
    n, seed = 3, 7
    z = np.array([standard_normal(np.array([seed]), PROBE_STRIDE + j)[0] for j in range(n)])
    traj = run(sophia(hutchinson_samples=n, probe_seed=seed), internals=True)
    np.testing.assert_allclose(traj.internals["hessian_moment"][1, 0], 0.01 * 2 * np.mean(z**2, axis=0),
                               rtol=1e-14)  # a few roundings


def test_hutchinson_is_unbiased_for_the_diagonal():
    # On a Hessian with off-diagonal terms, E[z_i (Hz)_i] = H_ii and Var = 2H_ii² + H_ij² (Gaussian z). Over
    # 20000 seeds the mean is within 5 standard errors of the diagonal (a false alarm about once in 10⁶ seeds).
    runs = 20000
    hessian = np.broadcast_to(np.array([[3.0, -1.5], [-1.5, 0.5]]), (runs, 2, 2))
    estimates = hessian_estimate(hessian, np.arange(runs), 1, np.ones(runs, dtype=np.int64))
    standard_error = np.sqrt((2 * np.array([3.0, 0.5]) ** 2 + 1.5**2) / runs)
    assert np.all(np.abs(estimates.mean(axis=0) - [3.0, 0.5]) < 5 * standard_error)
    assert np.all(estimates.std(axis=0) > 0.5)  # and each one really is random


def test_probes_depend_only_on_the_seed():
    # A batch of seeds traces, run by run, exactly what each seed traces alone (the probes are counter-based, so
    # bit for bit: rtol 0); different seeds trace different paths.
    rosen, start = get_surface("rosenbrock"), [-1.2, 1.0]
    seeds = [0, 1, 2]
    batch = run(sophia(hutchinson_samples=2, update_period=1, probe_seed=np.array(seeds, dtype=float)), start, 30,
                rosen).positions
    for i, seed in enumerate(seeds):
        alone = run(sophia(hutchinson_samples=2, update_period=1, probe_seed=seed), start, 30, rosen).positions
        np.testing.assert_allclose(batch[:, i], alone[:, 0], rtol=0)
    assert np.max(np.abs(batch[:, 0] - batch[:, 1])) > 1e-3


def test_a_batch_equals_its_runs_alone():
    # Mixed refresh periods, exact and Hutchinson runs, and seeds in one batch. To 1e-12: the same operations per
    # element, vectorized and scalar paths may differ in the last bit.
    arrays = dict(lr=[1.0, 0.5, 0.3], beta1=[0.95, 0.9, 0.0], beta2=[0.99, 0.9, 0.5], clip_bound=[0.05, 0.1, 1.0],
                  weight_decay=[0.0, 0.1, 0.2], update_period=[10.0, 1.0, 3.0], hutchinson_samples=[0.0, 2.0, 1.0],
                  probe_seed=[0.0, 5.0, 9.0])
    rosen = get_surface("rosenbrock")
    batch = run(sophia(**{k: np.array(v) for k, v in arrays.items()}), [-1.2, 1.0], 50, rosen).positions
    for i in range(3):
        alone = run(sophia(**{k: v[i] for k, v in arrays.items()}), [-1.2, 1.0], 50, rosen).positions[:, 0]
        np.testing.assert_allclose(batch[:, i], alone, rtol=1e-12)


def test_counts_and_seeds_are_whole_numbers():
    # a sweep's axis passes fractions: they are rounded down, so 2.7 is k = 2, 1.5 probes are 1, seed 3.9 is 3
    rosen, start = get_surface("rosenbrock"), [-1.2, 1.0]
    fractional = run(sophia(update_period=2.7, hutchinson_samples=1.5, probe_seed=3.9), start, 20, rosen).positions
    whole = run(sophia(update_period=2, hutchinson_samples=1, probe_seed=3), start, 20, rosen).positions
    np.testing.assert_array_equal(fractional, whole)


@pytest.mark.parametrize("bad", [dict(update_period=0.0), dict(probe_seed=-1.0), dict(hutchinson_samples=np.nan),
                                 dict(update_period=np.inf)])
def test_bad_counts_and_seeds_are_refused(bad):
    (name,) = bad
    with pytest.raises(ValueError, match=name):
        make_optimizer("sophia", **bad)
    with pytest.raises(ValueError, match=name):  # the builder itself, which the registry's range check precedes
        sophia(**bad)


def test_the_only_convention_is_pytorch():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("sophia", convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=sophia&o1.clipb=0.1&o1.hper=1&o1.hsamp=2&o1.pseed=3", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("clip_bound"), opt.value("update_period"), opt.value("hutchinson_samples"),
            opt.value("probe_seed"), opt.value("lr")) == (0.1, 1.0, 2.0, 3.0, 1.0)
    assert encode(state)["o1.hsamp"] == "2"
