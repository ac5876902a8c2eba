"""simulate(): stopping rules, batching, and the long-form table.

The quadratic x² + y² has gradient 2θ, so gradient descent gives θ_t = (1 − 2η)^t θ_0 exactly:
every step and stop below is derived from that closed form.
"""
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from optviz import make_optimizer, simulate
from optviz.simulate import default_divergence_radius
from optviz.i18n import status_text
from optviz.trajectory import SADDLE_CODE, STATUS_COLORS, STATUSES, indefinite, status_codes, status_words
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")


def test_gradient_descent_on_quadratic_follows_closed_form():
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=0.1), [1.0, -2.0], 20, tol=0)
    expected = 0.8 ** np.arange(21)[:, None] * np.array([1.0, -2.0])
    np.testing.assert_allclose(traj.positions[:, 0], expected, rtol=1e-13)
    np.testing.assert_allclose(traj.loss[:, 0], 5.0 * 0.64 ** np.arange(21), rtol=1e-12)
    np.testing.assert_allclose(traj.grad[:, 0], 2 * expected, rtol=1e-13)
    assert traj.status_text(0) == "not converged in 20 steps"


def test_divergence_flagged_at_the_step_that_leaves_the_radius():
    # lr = 1.5: θ_t = (−2)^t θ_0. Radius = 100 · 2 = 200, first |x_t| > 200 at t = 8 (256).
    assert default_divergence_radius(QUADRATIC) == 200.0
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=1.5), [1.0, 0.0], 30)
    assert traj.status_text(0) == "diverged at step 8"
    assert traj.stop_step[0] == 8
    np.testing.assert_array_equal(traj.positions[7:, 0, 0], -128.0)  # frozen at the last valid point
    assert np.all(np.isfinite(traj.positions)) and np.all(np.isfinite(traj.loss))
    assert traj.last_step[0] == 8


def test_overflow_is_divergence_not_a_warning():
    # No radius, lr = 100: x_t = (−199)^t x_0. From x_0 = 1e150 the loss x² is 1e300, then
    # (1.99e152)² ≈ 3.96e304 (finite), then (3.9601e154)² ≈ 1.57e309 > float max: step 2.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = simulate(QUADRATIC, make_optimizer("sgd", lr=100.0), [1e150, 0.0], 5, divergence_radius=np.inf)
        born_bad = simulate(QUADRATIC, make_optimizer("sgd"), [1e200, 0.0], 5)  # loss 1e400 = inf
    assert huge.status_text(0) == "diverged at step 2"
    np.testing.assert_allclose(huge.positions[1:, 0, 0], -199e150, rtol=1e-15)
    assert np.isfinite(huge.loss).all()
    assert born_bad.status_text(0) == "diverged at step 0"


def test_convergence_needs_small_gradient_and_small_step():
    # lr = 0.5 reaches 0 in one step, but that step is large; step 2 has zero gradient and zero step.
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=0.5), [1.0, 1.0], 10)
    assert traj.status_text(0) == "converged to a minimum at step 2"
    np.testing.assert_array_equal(traj.positions[1:, 0], 0.0)


def test_one_run_diverging_leaves_the_others_untouched():
    lrs = np.array([0.1, 1.5, 0.3])
    batch = simulate(QUADRATIC, make_optimizer("sgd", lr=lrs), [1.0, 1.0], 40, tol=0)
    for i, lr in enumerate(lrs):
        alone = simulate(QUADRATIC, make_optimizer("sgd", lr=lr), [1.0, 1.0], 40, tol=0)
        np.testing.assert_array_equal(batch.positions[:, i], alone.positions[:, 0])
        assert batch.status_text(i) == alone.status_text(0)
    assert list(batch.status) == ["running", "diverged", "running"]


def test_several_optimizers_equal_separate_simulations():
    rosen = get_surface("rosenbrock")
    opts = [make_optimizer("adam", lr=0.05), make_optimizer("momentum", lr=1e-3), make_optimizer("rmsprop")]
    race = simulate(rosen, opts, rosen.start, 200)
    assert race.labels == ("Adam", "Momentum", "RMSprop")
    for i, opt in enumerate(opts):
        alone = simulate(rosen, opt, rosen.start, 200)
        np.testing.assert_array_equal(race.positions[:, i], alone.positions[:, 0])
        for name, values in alone.internals.items():
            np.testing.assert_array_equal(race.internals[name][:, i], values[:, 0])
    # Adam has moments, Momentum has none: its first-moment column is NaN rather than invented
    assert np.isnan(race.internals["first_moment"][:, 1]).all()


def test_duplicate_optimizers_get_distinct_labels():
    traj = simulate(QUADRATIC, [make_optimizer("adam", lr=0.01), make_optimizer("adam", lr=0.1)], [1, 1], 3)
    assert len(set(traj.labels)) == 2


def test_per_optimizer_starts():
    opts = [make_optimizer("sgd", lr=0.1), make_optimizer("sgd", lr=0.1)]
    traj = simulate(QUADRATIC, opts, [np.array([1.0, 0.0]), np.array([0.0, 2.0])], 1, tol=0)
    np.testing.assert_allclose(traj.positions[1], [[0.8, 0.0], [0.0, 1.6]])


def test_newton_is_drawn_to_the_saddle():
    # f = x²/2 + y⁴/4 − y²/2: near (0, 0) the Newton step solves the local quadratic, whose
    # stationary point is the saddle, not the minima at (0, ±1) that gradient descent finds.
    saddle = get_surface("saddle")
    start = [0.3, 0.2]
    newton = simulate(saddle, make_optimizer("newton"), start, 50)
    gd = simulate(saddle, make_optimizer("sgd", lr=0.1), start, 2000)
    assert newton.status[0] == "saddle"  # stopped where the Hessian diag(1, −1) is indefinite
    np.testing.assert_allclose(newton.positions[-1, 0], [0.0, 0.0], atol=1e-8)
    np.testing.assert_allclose(np.abs(gd.positions[-1, 0]), [0.0, 1.0], atol=1e-6)


def test_newton_solves_a_quadratic_in_one_step():
    traj = simulate(QUADRATIC, make_optimizer("newton"), [1.7, -0.4], 3)
    np.testing.assert_allclose(traj.positions[1, 0], [0.0, 0.0], atol=1e-15)


def test_invalid_start_is_stopped_at_step_zero():
    traj = simulate(QUADRATIC, make_optimizer("sgd"), np.array([[np.nan, 0.0], [1.0, 1.0]]), 5)
    assert traj.status_text(0) == "diverged at step 0"
    assert traj.status[1] == "running"
    assert np.all(np.isfinite(traj.positions))


def test_start_beyond_the_radius_keeps_its_true_loss_and_reaches_nothing():
    # (201, 0) is past the radius 100 · 2 = 200: diverged at step 0, frozen there with its true loss
    # 201² = 40401 and gradient 2θ = (402, 0), not a made-up 0 that would pass for the minimum.
    traj = simulate(QUADRATIC, make_optimizer("adam"), [201.0, 0.0], 2)
    assert traj.status_text(0) == "diverged at step 0"
    np.testing.assert_array_equal(traj.loss[:, 0], 40401.0)
    np.testing.assert_array_equal(traj.grad[:, 0], [[402.0, 0.0]] * 3)
    # It made no valid step: no final or best loss, and it never reaches the tolerance.
    row = traj.summary(1e-6).iloc[0]
    assert np.isnan(row["final_loss"]) and np.isnan(row["best_loss"]) and pd.isna(row["steps_to_1e-06"])
    assert traj.steps_to_reach(1e6)[0] == -1  # not even a tolerance its start's loss is within


def test_non_finite_start_loss_is_the_worst_not_a_minimum_and_the_other_runs_are_untouched():
    # NaN start: the loss and ∂f/∂x are NaN, ∂f/∂y = 2·1 = 2. Start (1e200, 0): the loss 1e400 overflows,
    # the gradient (2e200, 0) is finite. A non-finite loss is stored as the largest double and a non-finite
    # gradient coordinate as 0, so the record stays finite. The third run, from (1, 1), is SGD's 0.8^t θ0.
    starts = np.array([[np.nan, 1.0], [1e200, 0.0], [1.0, 1.0]])
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=0.1), starts, 3, tol=0)
    assert [traj.status_text(i) for i in range(3)] == ["diverged at step 0"] * 2 + ["not converged in 3 steps"]
    np.testing.assert_array_equal(traj.loss[:, :2], np.finfo(float).max)
    np.testing.assert_array_equal(traj.grad[:, 0], [[0.0, 2.0]] * 4)
    np.testing.assert_array_equal(traj.grad[:, 1], [[2e200, 0.0]] * 4)
    np.testing.assert_allclose(traj.loss[:, 2], 2 * 0.64 ** np.arange(4), rtol=1e-12)
    summary = traj.summary(1e-6)
    assert summary[["final_loss", "best_loss", "steps_to_1e-06"]][:2].isna().all(axis=None)
    assert summary["best_loss"][2] == summary["final_loss"][2] == traj.loss[3, 2]


def test_long_form_frame():
    traj = simulate(QUADRATIC, [make_optimizer("sgd", lr=0.1), make_optimizer("adam", lr=0.1)], [1.0, 2.0], 4)
    frame = traj.to_frame()
    assert len(frame) == 2 * 5
    assert list(frame.columns[:9]) == ["run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y"]
    first = frame[frame.step == 0]
    np.testing.assert_array_equal(first[["x", "y"]].to_numpy(), [[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_allclose(first.loss, 5.0)
    sgd_rows = frame[frame.label == "SGD"]
    np.testing.assert_allclose(sgd_rows.x, 0.8 ** np.arange(5))
    assert {"first_moment_x", "effective_lr_y"} <= set(frame.columns)


def test_summary_and_steps_to_reach():
    # loss_t = 5 · 0.64^t ≤ 1e-3 first at t = ceil(log(2e-4) / log(0.64)) = 20
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=0.1), [1.0, 2.0], 30, tol=0)
    assert traj.steps_to_reach(1e-3)[0] == 20
    row = traj.summary(1e-3).iloc[0]
    assert row["status"] == "not converged in 30 steps" and row["steps_to_0.001"] == 20
    np.testing.assert_allclose(row["final_loss"], 5 * 0.64**30)
    np.testing.assert_allclose(traj.distance_to_nearest_minimum()[:, 0], np.sqrt(5) * 0.8 ** np.arange(31))


def test_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        simulate(QUADRATIC, make_optimizer("sgd"), [0, 0], 0)
    with pytest.raises(ValueError, match="shape"):
        simulate(QUADRATIC, make_optimizer("sgd"), [0, 0, 0], 3)
    with pytest.raises(ValueError, match="runs"):
        simulate(QUADRATIC, make_optimizer("sgd", lr=np.array([0.1, 0.2])), np.zeros((3, 2)), 3)


@pytest.mark.parametrize("name", ["adam", "adamw", "adagrad", "rmsprop", "adadelta"])
@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_zero_eps_takes_the_limit_where_no_gradient_was_seen(name, convention):
    # Start (1, 0) on x² + y²: the y gradient is 0 for ever, so with ε = 0 the y update is 0/0.
    # Its limit as ε → 0⁺ is 0: y stays exactly 0 and the run is not "diverged".
    traj = simulate(QUADRATIC, make_optimizer(name, lr=0.1, eps=0.0, convention=convention), [1.0, 0.0], 20)
    assert traj.status[0] != "diverged"
    np.testing.assert_array_equal(traj.positions[:, 0, 1], 0.0)
    assert np.all(np.isfinite(traj.positions))


@pytest.mark.parametrize("name", ["adam", "adamw", "adagrad", "rmsprop", "adadelta"])
@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_zero_eps_effective_lr_is_undefined_where_no_gradient_was_seen(name, convention):
    # The same runs: y's effective rate is η/0 (AdaDelta's √(0 + 0)/√(0 + 0) is 0/0), undefined, so NaN
    # rather than inf; x's, with a gradient 2x ≠ 0, is a finite number. Keras's AdaGrad starts its
    # accumulator at 0.1, so its y rate η/√0.1 is defined there.
    traj = simulate(QUADRATIC, make_optimizer(name, lr=0.1, eps=0.0, convention=convention), [1.0, 0.0], 20)
    rate = traj.internals["effective_lr"][1:, 0]  # (steps, 2), from the first update on
    assert np.isfinite(rate[:, 0]).all()
    if name == "adagrad" and convention == "keras":
        np.testing.assert_allclose(rate[:, 1], 0.1 / np.sqrt(0.1), rtol=1e-15)
    else:
        assert np.isnan(rate[:, 1]).all()


def test_without_internals_only_positions_and_loss_are_kept():
    opts = make_optimizer("adam", lr=0.1)
    full = simulate(QUADRATIC, opts, [1.0, 2.0], 30)
    lean = simulate(QUADRATIC, opts, [1.0, 2.0], 30, record_internals=False)
    assert lean.grad is None and lean.internals == {}
    np.testing.assert_array_equal(lean.positions, full.positions)
    np.testing.assert_array_equal(lean.loss, full.loss)
    assert "grad_x" not in lean.to_frame().columns and "grad_x" in full.to_frame().columns


def test_one_status_encoding_words_codes_and_colours():
    # lr 0.1 runs on, 0.5 converges at step 2 (see above), 1.5 diverges at step 8: one of each
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=np.array([0.1, 0.5, 1.5])), [1.0, 1.0], 10)
    assert traj.status.tolist() == ["running", "converged", "diverged"] == list(STATUSES[:3])
    codes = status_codes(traj.status)
    assert codes.dtype == np.int8 and codes.tolist() == [0, 1, 2]
    assert status_words(codes).tolist() == traj.status.tolist()
    assert status_words(codes.reshape(1, 3)).shape == (1, 3)
    assert set(STATUS_COLORS) == set(STATUSES)
    assert status_codes(np.array(["saddle"])).tolist() == [SADDLE_CODE] and STATUSES[SADDLE_CODE] == "saddle"


def test_status_texts_say_what_happened():
    # The words a student reads: no "running" (nothing is still computing), a minimum named as one.
    traj = simulate(QUADRATIC, make_optimizer("sgd", lr=np.array([0.1, 0.5, 1.5])), [1.0, 1.0], 10)
    assert [traj.status_text(i) for i in range(3)] == [
        "not converged in 10 steps", "converged to a minimum at step 2", "diverged at step 8"]
    assert [status_text(traj, i, "zh") for i in range(3)] == ["10 步内未收敛", "第 2 步收敛到极小值", "第 8 步发散"]


def test_a_stop_where_the_hessian_is_indefinite_is_a_saddle():
    # saddle f = x²/2 + y⁴/4 − y²/2: stationary at (0, 0) with H = diag(1, −1) (indefinite, det −1) and at
    # (0, ±1) with H = diag(1, 2) (minima). Newton from (0.5, 0) reaches (0, 0) in one step (x is quadratic,
    # y = 0 stays 0), so it stops there at step 2 (step 1 still moved 0.5); GD with lr 0.5 from (1, 1) halves
    # x every step onto the minimum (0, 1): |∇f| = |x| ≤ 1e-8 at 0.5^t ≤ 1e-8, step 0.5^t ≤ 1e-8 at t ≥ 26.6.
    saddle = get_surface("saddle")
    assert indefinite(saddle.hessian(np.zeros(2))) and not indefinite(saddle.hessian(np.array([0.0, 1.0])))
    traj = simulate(saddle, [make_optimizer("newton", lr=1.0, damping=0.0), make_optimizer("sgd", lr=0.5)],
                    [np.array([0.5, 0.0]), np.array([1.0, 1.0])], 50)
    assert traj.status.tolist() == ["saddle", "converged"]
    assert traj.stop_step.tolist() == [2, 27]
    assert traj.status_text(0) == "stopped at a saddle point at step 2"
    assert traj.status_text(1) == "converged to a minimum at step 27"
    assert status_text(traj, 0, "zh") == "第 2 步停在鞍点"
    assert STATUS_COLORS["saddle"] not in (STATUS_COLORS["converged"], "green")
    # A batch stops each run exactly as it would alone.
    alone = simulate(saddle, make_optimizer("newton", lr=1.0, damping=0.0), [0.5, 0.0], 50)
    assert alone.status.tolist() == ["saddle"] and alone.stop_step.tolist() == [2]


# --- simulate_finals: the same runs without the trajectory ------------------------------------------
@pytest.mark.parametrize("name, settings", [("sgd", {"lr": np.array([0.1, 0.5, 1.1, 1e-3])}),
                                            ("momentum", {"lr": np.array([0.05, 0.3, 0.9, 2.0]), "beta": 0.9}),
                                            ("adam", {"lr": np.array([1e-3, 0.05, 0.5, 5.0])})])
def test_simulate_finals_is_the_last_row_of_simulate(name, settings):
    """Every field against the recorded trajectory of the same runs: a converging, a stalling and a
    diverging run, plus one whose start is beyond the radius (diverged at step 0, never reaching)."""
    from optviz.simulate import simulate_finals
    starts = np.array([[1.0, -2.0], [0.5, 0.5], [1.5, 1.0], [300.0, 0.0]])
    for f_min, tolerance in [(0.0, 1e-6), (0.0, 0.5), (None, 0.0)]:
        traj = simulate(QUADRATIC, make_optimizer(name, **settings), starts, 200, record_internals=False)
        end = simulate_finals(QUADRATIC, make_optimizer(name, **settings), starts, 200, f_min=f_min,
                              tolerance=tolerance)
        np.testing.assert_array_equal(end["positions"], traj.positions[-1])
        np.testing.assert_array_equal(end["loss"], traj.loss[-1])
        np.testing.assert_array_equal(end["status"], status_codes(traj.status))
        np.testing.assert_array_equal(end["stop_step"], traj.stop_step)
        reach = traj.steps_to_reach(tolerance) if f_min is not None else np.full(4, -1)
        np.testing.assert_array_equal(end["first_within"], reach)
    assert end["status"][3] == STATUSES.index("diverged") and end["stop_step"][3] == 0


def test_simulate_finals_first_step_within_by_the_closed_form():
    # SGD lr = 0.1 on x² + y²: loss_t = 0.64^t · |θ_0|² = 5 · 0.64^t from (1, -2). loss ≤ 1e-3 first
    # at t = ceil(log(1e-3 / 5) / log(0.64)) = ceil(19.08) = 20; loss ≤ 5 at t = 0.
    from optviz.simulate import simulate_finals
    end = simulate_finals(QUADRATIC, make_optimizer("sgd", lr=0.1), [1.0, -2.0], 30, tol=0, f_min=0.0,
                          tolerance=1e-3)
    assert math.ceil(math.log(1e-3 / 5) / math.log(0.64)) == 20 and end["first_within"][0] == 20
    np.testing.assert_allclose(end["positions"][0], 0.8**30 * np.array([1.0, -2.0]), rtol=1e-13)
    assert simulate_finals(QUADRATIC, make_optimizer("sgd", lr=0.1), [1.0, -2.0], 5, f_min=0.0,
                           tolerance=5.0)["first_within"][0] == 0
    with pytest.raises(ValueError, match="steps must be a whole number"):
        simulate_finals(QUADRATIC, make_optimizer("sgd", lr=0.1), [1.0, -2.0], 0)
