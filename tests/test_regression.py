"""Fitting y = w x + b: the MSE surface, its least-squares minimum, and mini-batch gradients.

References are independent of the module: residual sums written out here, central
differences, and ``numpy.linalg.lstsq`` for the minimum.
"""
from __future__ import annotations

import numpy as np
import pytest

from optviz.classroom.explain import explain_step
from optviz.optimizers import make_optimizer
from optviz.figures.classroom import regression_figure
from optviz.race import OptimizerConfig
from optviz.classroom.regression import (BOUNDS, START, batch_gradient, batch_indices, least_squares, make_data,
                                        mse_surface, run_regression, tuned_for_regression, with_minibatches)
from optviz.simulate import simulate

DATA = make_data(100, seed=0)
SURFACE = mse_surface(DATA)
POINTS = np.array([[-0.5, 3.5], [2.0, 1.0], [4.2, -1.3], [0.0, 0.0]])  # (4, 2) (w, b)


def residuals(p, x=DATA.x, y=DATA.y):
    """(..., n) w x_i + b − y_i."""
    p = np.asarray(p, dtype=float)
    return p[..., 0, None] * x + p[..., 1, None] - y


def test_data_is_seeded_around_the_true_line():
    again = make_data(100, seed=0)
    np.testing.assert_array_equal(DATA.x, again.x)
    np.testing.assert_array_equal(DATA.y, again.y)
    assert not np.array_equal(DATA.x, make_data(100, seed=1).x)
    assert DATA.x.shape == DATA.y.shape == (100,)
    assert np.all(np.abs(DATA.x) <= 0.5)
    noise = DATA.y - (2 * DATA.x + 1)
    assert 0.35 < noise.std() < 0.65 and abs(noise.mean()) < 0.15  # σ = 0.5


def test_value_and_gradient_match_the_residual_sums():
    # L = (1/n) Σ r_i²,  ∇L = (2/n) [Σ r_i x_i, Σ r_i]
    r = residuals(POINTS)  # (4, n)
    n = DATA.x.size
    np.testing.assert_allclose(SURFACE.value(POINTS), (r**2).mean(axis=-1), rtol=1e-12)
    grad = np.stack([2 / n * (r * DATA.x).sum(-1), 2 / n * r.sum(-1)], axis=-1)
    np.testing.assert_allclose(SURFACE.grad(POINTS), grad, rtol=1e-12, atol=1e-13)


def test_hessian_is_the_hand_formula_everywhere():
    # H = (2/n) [[Σx², Σx], [Σx, n]]
    x, n = DATA.x, DATA.x.size
    H = 2 / n * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])
    got = SURFACE.hessian(POINTS)
    assert got.shape == (4, 2, 2)
    for h in got:
        np.testing.assert_allclose(h, H, rtol=1e-12, atol=1e-15)


def test_derivatives_match_finite_differences():
    h = 1e-5
    for i, e in enumerate(np.eye(2) * h):
        numeric = (SURFACE.value(POINTS + e) - SURFACE.value(POINTS - e)) / (2 * h)
        np.testing.assert_allclose(SURFACE.grad(POINTS)[:, i], numeric, rtol=1e-7, atol=1e-8)
        numeric_h = (SURFACE.grad(POINTS + e) - SURFACE.grad(POINTS - e)) / (2 * h)
        np.testing.assert_allclose(SURFACE.hessian(POINTS)[:, :, i], numeric_h, rtol=1e-7, atol=1e-8)


def test_surface_evaluates_a_meshgrid():
    X, Y, Z = SURFACE.grid(30)
    assert Z.shape == (30, 30)
    np.testing.assert_allclose(Z[7, 11], (residuals([X[7, 11], Y[7, 11]]) ** 2).mean(), rtol=1e-12)
    assert SURFACE.bounds == BOUNDS and SURFACE.start == START


def test_minimum_is_the_least_squares_solution():
    A = np.stack([DATA.x, np.ones_like(DATA.x)], axis=1)  # (n, 2)
    reference, *_ = np.linalg.lstsq(A, DATA.y, rcond=None)
    (minimum,) = SURFACE.minima
    np.testing.assert_allclose(minimum, reference, rtol=1e-12)
    np.testing.assert_allclose(SURFACE.grad(np.asarray(minimum)), [0.0, 0.0], atol=1e-13)
    assert abs(minimum[0] - 2) < 0.5 and abs(minimum[1] - 1) < 0.2  # near the true line
    (w0, w1), (b0, b1) = BOUNDS
    assert w0 < minimum[0] < w1 and b0 < minimum[1] < b1


def test_the_bowl_is_steeper_along_b():
    H = SURFACE.hessian(np.zeros(2))
    assert H[1, 1] / H[0, 0] > 8  # x spread over [−½, ½]: mean x² ≈ 1/12, so about 12


def test_batch_indices_are_reproducible_and_distinct():
    a = batch_indices(100, 10, seed=3, step=7)
    np.testing.assert_array_equal(a, batch_indices(100, 10, seed=3, step=7))
    assert len(set(a.tolist())) == 10 and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, batch_indices(100, 10, seed=3, step=8))
    assert not np.array_equal(a, batch_indices(100, 10, seed=4, step=7))
    np.testing.assert_array_equal(batch_indices(100, 100, seed=3, step=7), np.arange(100))


def test_batch_gradient_is_the_gradient_on_the_batch():
    idx = batch_indices(100, 16, seed=2, step=5)
    x, y = DATA.x[idx], DATA.y[idx]
    r = residuals(POINTS, x, y)
    expected = np.stack([2 / 16 * (r * x).sum(-1), 2 / 16 * r.sum(-1)], axis=-1)
    np.testing.assert_allclose(batch_gradient(DATA, POINTS, 16, seed=2, step=5), expected, rtol=1e-12, atol=1e-13)


def sgd_path(batch_size: int | None, seed: int = 0, steps: int = 400, lr: float = 0.2):
    opt = make_optimizer("sgd", lr=lr)
    if batch_size is not None:
        opt = with_minibatches(opt, DATA, batch_size, seed)
    return simulate(SURFACE, opt, START, steps, tol=0)


def test_full_batch_is_exactly_the_full_gradient_trajectory():
    full = sgd_path(None)
    batched = sgd_path(100)
    np.testing.assert_array_equal(batched.positions, full.positions)
    for name in ("adam", "rmsprop"):
        plain = simulate(SURFACE, make_optimizer(name, lr=0.05), START, 200, tol=0)
        wrapped = simulate(SURFACE, with_minibatches(make_optimizer(name, lr=0.05), DATA, 100, 9), START, 200, tol=0)
        np.testing.assert_array_equal(wrapped.positions, plain.positions)
        np.testing.assert_array_equal(wrapped.internals["second_moment"], plain.internals["second_moment"])


def test_minibatches_are_reproducible_by_seed():
    a, b, c = sgd_path(10, seed=1), sgd_path(10, seed=1), sgd_path(10, seed=2)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)


def test_runs_share_the_batch_of_a_step():
    # two runs from two starts, simulated together, equal the same runs simulated one at a time
    opt = with_minibatches(make_optimizer("momentum", lr=0.1), DATA, 8, seed=4)
    starts = np.array([[-0.5, 3.5], [4.0, -1.0]])
    together = simulate(SURFACE, opt, starts, 50, tol=0).positions
    for i in range(2):
        alone = simulate(SURFACE, opt, starts[i], 50, tol=0).positions[:, 0]
        np.testing.assert_allclose(together[:, i], alone, rtol=1e-15, atol=1e-15)


def test_small_batches_are_noisier_but_settle_near_the_minimum():
    full, small = sgd_path(None, steps=600), sgd_path(10, seed=3, steps=600)
    f_min = SURFACE.min_value
    # Full-batch GD on a quadratic with lr below 2/λ_max decreases the loss at every step;
    # mini-batch steps go uphill every so often.
    assert np.all(np.diff(full.loss[:, 0]) <= 1e-15)
    assert np.sum(np.diff(small.loss[:, 0]) > 0) > 20
    # Stationary excess loss of SGD with batch noise covariance C_B on the bowl H:
    # the Lyapunov equation HΣ + ΣH ≈ η C_B gives E[L − L*] = ½ tr(HΣ) ≈ η tr(C_B)/4, where
    # C_B = C₁ (n − B)/(B (n − 1)) for batches drawn without replacement and C₁ is the covariance
    # of the per-point gradients 2 r_i [x_i, 1] at the minimum.
    w, b = SURFACE.minima[0]
    r = residuals([w, b])
    per_point = 2 * np.stack([r * DATA.x, r], axis=1)  # (n, 2)
    n, B, lr = 100, 10, 0.2
    C1 = np.cov(per_point.T, bias=True)
    predicted = lr * np.trace(C1) * (n - B) / (B * (n - 1)) / 4
    excess = small.loss[300:, 0].mean() - f_min
    assert 0.3 * predicted < excess < 3 * predicted
    assert small.loss[-1, 0] < 1.2 * f_min  # the noise floor is small against L* = mean squared noise
    assert full.loss[-1, 0] - f_min < 1e-10


def test_bad_batch_sizes_are_rejected():
    for bad in (0, 101, 2.5):
        with pytest.raises(ValueError, match="batch_size"):
            with_minibatches(make_optimizer("sgd"), DATA, bad)


def test_explain_a_minibatch_step_with_the_batch_gradient():
    opt = with_minibatches(make_optimizer("rmsprop", lr=0.05, beta=0.9), DATA, 10, seed=6)
    traj = simulate(SURFACE, opt, START, 20)
    config = OptimizerConfig("rmsprop").with_values(lr=0.05, beta=0.9)
    step = 7
    g = batch_gradient(DATA, traj.positions[step - 1, 0], 10, seed=6, step=step)
    e = explain_step(config, traj, 0, step, gradient=g)
    assert e.reproduces and any("mini-batch" in note for note in e.notes)
    np.testing.assert_allclose(e.new_position, traj.positions[step, 0], rtol=1e-13)
    plain = explain_step(config, traj, 0, step)  # with the full gradient it cannot be this step
    assert plain.reproduces is False


def test_explain_a_noisy_minibatch_step():
    # the noise wrapper inside the mini-batch wrapper: update t sees ∇L_B + σξ_t
    opt = with_minibatches(make_optimizer("adam", lr=0.1, noise=0.2, seed=3), DATA, 10, seed=6)
    traj = simulate(SURFACE, opt, START, 12)
    config = OptimizerConfig("adam", noise=0.2, seed=3).with_values(lr=0.1)
    for step in (1, 5, 12):
        g = batch_gradient(DATA, traj.positions[step - 1, 0], 10, seed=6, step=step)
        e = explain_step(config, traj, 0, step, gradient=g, digits=None)
        assert e.reproduces, step
        np.testing.assert_allclose(e.new_position, traj.positions[step, 0], rtol=1e-13)
    assert r"g_t &= \nabla f_{B_t}(\theta_{t-1}) + \sigma\,\xi_t" in e.formula_latex


def test_regression_figure_panels():
    opts = [make_optimizer("sgd", lr=0.3), with_minibatches(make_optimizer("rmsprop", lr=0.05, beta=0.9), DATA, 10)]
    traj = simulate(SURFACE, opts, START, 60, labels=["GD", "RMSprop"])
    fig = regression_figure(traj, DATA, 30, lang="en")
    by_name = {tr.name: tr for tr in fig.data if tr.name}
    assert "true line y = 2x + 1" in by_name and by_name["true line y = 2x + 1"].line.dash == "dash"
    path = by_name["GD"]
    assert len(path.x) == 31 and path.xaxis == "x"
    np.testing.assert_allclose(np.c_[path.x, path.y], traj.positions[:31, 0])
    w, b = traj.positions[30, 1]
    (fit,) = [tr for tr in fig.data if tr.name and tr.name.startswith("RMSprop: y =")]
    assert fit.xaxis == "x2"
    np.testing.assert_allclose(fit.y, w * np.asarray(fit.x) + b)
    zh = regression_figure(traj, DATA, 0, lang="zh")
    assert any(tr.name == "真实直线 y = 2x + 1" for tr in zh.data)
    with pytest.raises(ValueError, match="step"):
        regression_figure(traj, DATA, 61)


def test_learning_rates_are_tuned_on_the_regression_loss():
    # Rates tuned for another surface (Rosenbrock's SGD 0.004) leave SGD far from the line after 500 steps:
    # w contracts by 1 − 0.004·0.183 a step, 0.48 of the way in 500. Tuned on the MSE, only lr changes, and SGD
    # reaches the least-squares line (1.935, 0.964), within 0.1 of y = 2x + 1 (see test_app for the bound).
    sgd = OptimizerConfig("sgd", "SGD", (("lr", 0.004), ("weight_decay", 0.0)))
    adam = OptimizerConfig("adam", "Adam", (("beta1", 0.8), ("lr", 0.04)))
    newton = OptimizerConfig("newton", "Newton")
    tuned = tuned_for_regression((sgd, adam, newton), 500)
    assert tuned[0] == sgd.with_values(lr=tuned[0].value("lr")) and tuned[0].value("lr") > 0.1
    assert tuned[1].value("beta1") == 0.8 and tuned[1].label == "Adam"
    assert tuned[2] == newton  # Newton's rate is not tuned (its step is the Newton step)
    before, data = run_regression((sgd,), 500)
    after, _ = run_regression(tuned[:1], 500)
    w_star, b_star = least_squares(data)
    assert abs(before.positions[-1, 0, 0] - 2.0) > 1.0
    np.testing.assert_allclose(after.positions[-1, 0], [w_star, b_star], atol=1e-6)
    assert abs(w_star - 2.0) <= 0.1 and abs(b_star - 1.0) <= 0.1


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_tuned_contestants_fit_the_least_squares_line(name):
    # With rates tuned on this MSE each contestant (its defaults otherwise) stops as converged within 500 steps.
    # A converged run has |∇L| ≤ tol = 1e-8, and on this quadratic ∇L = H(θ − θ*) exactly, so its distance to the
    # least-squares line (w*, b*) is at most tol / λ_min(H) = 1e-8 / 0.183 = 5.5e-8 (an invariant, not a fit).
    (tuned,) = tuned_for_regression((OptimizerConfig(name, name),), 500)
    traj, data = run_regression((tuned,), 500)
    assert traj.status[0] == "converged"
    lam_min = np.linalg.eigvalsh(mse_surface(data).hessian(np.zeros(2))).min()
    A = np.stack([data.x, np.ones_like(data.x)], axis=1)  # (n, 2): the reference minimum by lstsq
    reference, *_ = np.linalg.lstsq(A, data.y, rcond=None)
    # the reference agrees with Cramer's rule to ~1e-15, far inside the 5.5e-8 of the bound
    assert np.linalg.norm(traj.positions[traj.stop_step[0], 0] - reference) <= 1e-8 / lam_min * (1 + 1e-6)
