"""L-BFGS: torch.optim.LBFGS trajectories and evaluation counts reproduced, steps worked out by hand.

The reference is ``tests/reference/thirdparty/lbfgs.json`` (``tests/reference/make_lbfgs_reference.py``:
torch 2.13 in float64, ``max_iter=1, max_eval=25``, ``line_search_fn`` None for the convention "pytorch"
and "strong_wolfe" for "textbook"); that its spec is complete and its explanation redoes its steps is
``tests/test_registry.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, replay_thirdparty_case, thirdparty_reference
from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer
from optviz.optimizers.lbfgs import cubic_minimizer, lbfgs
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.simulate import simulate
from surfaces import get_surface

REFERENCE = thirdparty_reference("lbfgs")
CASES = REFERENCE["cases"]
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ


def run(optimizer, start=(1.0, -2.0), steps=1, surface=QUADRATIC):
    return simulate(surface, optimizer, list(start), steps, tol=0)


def test_the_reference_is_what_it_claims():
    meta = REFERENCE["meta"]
    assert meta["torch_version"].startswith("2.13.0") and meta["dtype"] == "float64"
    assert {c["class"] for c in CASES} == {"torch.optim.LBFGS"}
    assert {c["kwargs"]["line_search_fn"] for c in CASES} == {None, "strong_wolfe"}
    assert {(c["kwargs"]["max_iter"], c["kwargs"]["max_eval"]) for c in CASES} == {(1, 25)}
    assert {c["surface"] for c in CASES} == {"quadratic", "rosenbrock", "saddle"}
    assert any(c["kwargs"]["history_size"] < 5 for c in CASES)  # pairs are forgotten within the run
    # the line search really searches: some steps take more than one trial, and every step evaluates at least once
    searched = [n for c in CASES if c["kwargs"]["line_search_fn"] for n in c["internals"]["evaluations"]]
    assert max(searched) >= 3 and min(searched) >= 1


def _bound(case) -> float:
    """The comparison's relative bound for a case.

    Where torch's run amplifies a 1e-15 nudge of its start by at most 1e-11 (recorded by the generator as
    ``amplification``), 1e-9, as for torch.optim: both sides do the same float64 operations up to their order
    (2-element dot products, FMA), a few ulps a step. L-BFGS without a line search on Rosenbrock takes huge
    quasi-Newton steps that amplify such a nudge to ~4e-9 (measured: 4.0e-9 from (−1.2, 1), 3.9e-9 from (0.5,
    −0.5)); the ulps OptViz and torch differ by at every step are amplified alike, so there the bound is 100×
    the measured amplification (50 steps, each contributing up to a few ulps). The largest gap measured with
    it is 2.8e-8 against a bound of 4.4e-7.
    """
    return max(1e-9, 100 * case["amplification"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_torch_lbfgs(case):
    traj = replay_thirdparty_case(case, internals=True)
    bound = _bound(case)
    np.testing.assert_allclose(traj.positions[:, 0], np.array(case["positions"]), rtol=bound, atol=bound * 1e-3)
    # the evaluation counts are whole numbers: they must be equal, step for step
    np.testing.assert_array_equal(traj.internals["evaluations"][1:, 0, 0], case["internals"]["evaluations"])
    np.testing.assert_array_equal(traj.internals["evaluations"][1:, 0, 1], case["internals"]["evaluations"])


def test_most_cases_are_held_to_the_torch_bound():
    assert sum(c["amplification"] <= 1e-11 for c in CASES) >= len(CASES) - 5


def test_first_step_by_hand():
    # From (1, −2) on x² + y²: g0 = (2, −4), ‖g0‖₁ = 6, so α = min(1, 1/6)·η = η/6 and θ1 = θ0 − (η/6)·g0.
    # η = 1: θ1 = (1 − 1/3, −2 + 2/3) = (2/3, −4/3).
    traj = run(lbfgs(lr=1.0))
    np.testing.assert_allclose(traj.positions[1, 0], [2 / 3, -4 / 3], rtol=1e-15)  # a few roundings of exact thirds


def test_second_step_is_newtons_on_a_round_bowl():
    # The pair from step 1: s = θ1 − θ0 = −g0/6, y = g1 − g0 = 2s (H = 2I), so γ = sᵀy/yᵀy = 1/2, ρ = 1/yᵀs.
    # Two-loop: q = −g1, a = ρ sᵀq, q − a y = −g1 − (sᵀ(−g1)/(2sᵀs))·2s; g1 = 2θ1 is parallel to s, so q − a y = 0
    # and r = 0 + a s: d = −g1/2 = −θ1, the Newton step. With η = 1: θ2 = θ1 + d = (0, 0).
    traj = run(lbfgs(lr=1.0), steps=2)
    np.testing.assert_allclose(traj.positions[2, 0], [0.0, 0.0], atol=1e-15)  # rounding of terms of size ~1


def test_the_line_search_takes_the_newton_step_at_once_and_counts_one_trial():
    # textbook, η = 1 on x² + y² from (3, 0): α0 = 1/‖g0‖₁ = 1/6, θ = (2, 0): f falls from 9 to 4 (Armijo holds),
    # but the slope along d = −g0 = (−6, 0) is g·d = 4·(−6) = −24 against −c2·g0·d = 0.9·36 = 32.4: |−24| ≤ 32.4,
    # so the strong Wolfe conditions hold at once: one trial, 1 + 1 evaluations.
    traj = simulate(QUADRATIC, lbfgs(convention="textbook"), [3.0, 0.0], 1, tol=0)
    np.testing.assert_allclose(traj.positions[1, 0], [2.0, 0.0], rtol=1e-15)  # 3 − (1/6)·6: one rounding or two
    assert traj.internals["evaluations"][1, 0, 0] == 2


def test_a_pair_of_negative_curvature_is_skipped():
    # The saddle x²/2 + y⁴/4 − y²/2 from (0, 0.1): ∂f/∂y = y³ − y, whose slope 3y² − 1 < 0 near 0. Step 1 (η = 0.1,
    # ‖g0‖₁ = 0.099 < 1 so α = η): y1 = y0 − η(y0³ − y0). Its pair has yᵀs = (g1 − g0)(y1 − y0) < 0 ≤ 1e-10: torch
    # skips it, keeps no pair and γ = 1, so step 2 is the gradient step again: y2 = y1 − η(y1³ − y1).
    eta, y0 = 0.1, 0.1
    y1 = y0 - eta * (y0**3 - y0)
    y2 = y1 - eta * (y1**3 - y1)
    traj = simulate(get_surface("saddle"), lbfgs(lr=eta), [0.0, y0], 2, tol=0)
    np.testing.assert_allclose(traj.positions[1:, 0, 1], [y1, y2], rtol=1e-15)  # the same few roundings
    assert np.all(traj.positions[:, 0, 0] == 0.0)


def test_a_small_gradient_returns_at_once():
    # τ_g = 1e-3 and |g| ≤ 1e-3 in every coordinate at (4e-4, −4e-4): torch returns before anything, so no step,
    # one evaluation, and the next frame is still the first direction.
    traj = run(lbfgs(tolerance_grad=1e-3), start=(4e-4, -4e-4), steps=3)
    assert np.all(traj.positions[:, 0] == [4e-4, -4e-4])
    assert np.all(traj.internals["evaluations"][1:, 0] == 1)


def test_no_step_unless_the_slope_is_below_minus_tolerance_change():
    # g = (2e-3, 0) at (1e-3, 0): the first slope is gᵀd = −|g|² = −4e-6 > −τ_f = −1e-5, so no step is taken.
    traj = run(lbfgs(tolerance_change=1e-5), start=(1e-3, 0.0), steps=2)
    assert np.all(traj.positions[:, 0] == [1e-3, 0.0])


def test_cubic_minimizer_of_a_cubic_is_exact():
    # f(x) = x³/3 − x (minimum at x = 1): f(0) = 0, f'(0) = −1; f(2) = 2/3, f'(2) = 3; the cubic through them is f
    got = cubic_minimizer(np.array([0.0]), np.array([0.0]), np.array([-1.0]), np.array([2.0]), np.array([2 / 3]),
                          np.array([3.0]))
    np.testing.assert_allclose(got, [1.0], rtol=1e-15)  # a square root and a few roundings of numbers ~1


def test_a_batch_equals_its_runs_alone():
    surface = get_surface("rosenbrock")
    for convention in ("pytorch", "textbook"):
        arrays = dict(lr=[1.0, 0.3, 0.5], history_size=[100.0, 2.0, 5.0], tolerance_grad=[1e-7, 1e-3, 0.0],
                      tolerance_change=[1e-9, 1e-4, 0.0])
        assert_batch_equals_runs(lambda **kw: lbfgs(**kw, convention=convention), arrays, surface, steps=30)


def test_explain_writes_the_line_search():
    cfg = OptimizerConfig("lbfgs", convention="textbook")
    traj = run_race(RaceConfig("rosenbrock", start=(-1.2, 1.0), steps=6, optimizers=(cfg,)))
    e = explain_step(cfg, traj, 0, 5, digits=None)
    assert e.reproduces is True
    assert e.values["evaluations"] == traj.internals["evaluations"][5, 0, 0]
    assert any(line.startswith(r"\text{evaluations} = ") for line in e.substituted_latex)


@pytest.mark.parametrize("bad,match", [
    (dict(history_size=0.5), "history_size"), (dict(history_size=np.nan), "history_size"),
    (dict(tolerance_grad=-1.0), "tolerance_grad"), (dict(lr=0.0), "lr"), (dict(convention="keras"), "convention"),
])
def test_bad_input_is_refused_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        make_optimizer("lbfgs", **bad)


def test_the_builder_refuses_a_bad_history_size_itself():
    with pytest.raises(ValueError, match="history_size"):
        lbfgs(history_size=np.array([[3.0]]))


def test_each_run_of_a_batch_searches_as_long_as_it_needs():
    # the line search loops while any run searches: every run's count is its own, as when it runs alone
    surface, starts = get_surface("rosenbrock"), [[-1.2, 1.0], [0.5, -0.5], [2.0, 2.0]]
    batch = simulate(surface, lbfgs(convention="textbook"), starts, 30, tol=0).internals["evaluations"][..., 0]
    for run, start in enumerate(starts):
        alone = simulate(surface, lbfgs(convention="textbook"), start, 30, tol=0).internals["evaluations"][..., 0]
        np.testing.assert_array_equal(batch[:, run], alone[:, 0])
    assert np.any(batch[1:].min(axis=1) != batch[1:].max(axis=1))  # some step took different counts in one round
