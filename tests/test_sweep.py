"""Hyperparameter sweeps, basin maps and their figures.

Expected numbers come from closed forms written out next to each test. On the quadratic
x² + y² (Hessian 2I) with L2 weight decay λ (PyTorch convention, gradient (2 + λ)θ), gradient
descent is θ_t = (1 − η(2 + λ))^t θ_0: it stays within |θ_0| when |1 − η(2 + λ)| ≤ 1, i.e.
η ≤ 2 / (2 + λ), and grows geometrically above. The divergence test freezes a run once a
coordinate leaves ±100 × the plot's largest bound: ±200 for the quadratic's [−2, 2]² box, ±300
for the ravine's [−3, 3] × [−2, 2].
"""
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz import make_optimizer, simulate
from optviz.i18n import CATALOG, LANGUAGES
from optviz.i18n import CATALOG as STRINGS
from optviz.figures.sweep import basin_figure, brick_edges, edge_path, steps_heatmap, sweep_heatmap
from optviz.limits import GRID_RUN_STEPS
from optviz.sweep import DIVERGED_BASIN, NOT_SETTLED, Axis, basin_map, parse_axis, sweep, tuned_learning_rates
from optviz.trajectory import CONVERGED_CODE, DIVERGED_CODE, RUNNING_CODE, STATUSES
from optviz.tuning import LR_GRID
from surfaces import get_surface

QUADRATIC = get_surface("quadratic")


# -------------------------------------------------------------------------------------------- axes


def test_parse_log_axis():
    axis = parse_axis("lr:1e-4:1:100:log")
    assert axis == Axis("lr", 1e-4, 1.0, 100, log=True)
    values = axis.values
    assert values.shape == (100,) and values[0] == 1e-4 and values[-1] == 1.0
    # log-spaced: constant ratio 10^(4/99) between neighbours
    np.testing.assert_allclose(values[1:] / values[:-1], 10 ** (4 / 99), rtol=1e-12)


def test_parse_linear_axis_and_round_trip():
    axis = parse_axis("beta:0.5:0.999:100", "momentum")
    assert axis == Axis("beta", 0.5, 0.999, 100, log=False)
    np.testing.assert_allclose(np.diff(axis.values), 0.499 / 99, rtol=1e-9)
    assert parse_axis(axis.spec) == axis
    assert parse_axis(Axis("lr", 1e-4, 1.0, 7, log=True).spec) == Axis("lr", 1e-4, 1.0, 7, log=True)


BAD_AXES = [
    # (text, optimizer, a fragment the message must contain)
    ("lr:1e-4:1", None, "NAME:LOW:HIGH:N"),
    ("lr:1e-4:1:10:log:x", None, "NAME:LOW:HIGH:N"),
    ("lr:1e-4:1:10:lin", None, "fifth field"),
    ("lr:abc:1:10", None, "LOW must be a finite number (got 'abc')"),
    ("lr:0.1:inf:10", None, "HIGH must be a finite number"),
    ("lr:nan:1:10", None, "LOW must be a finite number"),
    ("lr:0.1:1:1", None, "N must be a whole number in [2, 500] (got '1')"),
    ("lr:0.1:1:501", None, "N must be a whole number in [2, 500]"),
    ("lr:0.1:1:2.5", None, "N must be a whole number"),
    ("lr:1:0.1:10", None, "LOW must be below HIGH"),
    ("lr:0.5:0.5:10", None, "LOW must be below HIGH"),
    ("lr:0:1:10:log", None, "a log axis needs LOW > 0"),
    ("beta:-0.5:0.5:10:log", None, "a log axis needs LOW > 0"),
    ("lr:1:1000:10", None, "HIGH must be in (0, 100] (got 1000)"),
    ("lr:0:1:10", None, "LOW must be in (0, 100] (got 0)"),
    ("beta:0.5:1:10", None, "HIGH must be in [0, 1) (got 1)"),
    ("speed:0:1:10", None, "no optimizer has a hyperparameter 'speed'"),
    ("beta:0.5:0.9:10", "adam", "adam has no hyperparameter 'beta'; it takes: lr, beta1"),
]


@pytest.mark.parametrize("text, optimizer, fragment", BAD_AXES, ids=[a for a, _, _ in BAD_AXES])
def test_bad_axis_names_the_bad_part(text, optimizer, fragment):
    with pytest.raises(ValueError) as problem:
        parse_axis(text, optimizer)
    assert fragment in str(problem.value)


def test_sweep_checks_axes_against_the_optimizer_and_fixed_settings():
    with pytest.raises(ValueError, match="sgd has no hyperparameter 'beta'"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:3", "beta:0:0.9:3", steps=5)
    with pytest.raises(ValueError, match="both axes sweep lr"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:3", "lr:0.2:1:3", steps=5)
    with pytest.raises(ValueError, match="lr is swept on an axis"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:3", "weight_decay:0:1:3", steps=5, lr=0.1)
    with pytest.raises(ValueError, match="sgd has no hyperparameter 'eps'"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:3", "weight_decay:0:1:3", steps=5, eps=0.1)
    with pytest.raises(ValueError, match="steps"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:3", "weight_decay:0:1:3", steps=0)


# ----------------------------------------------------------------------------------- stability bounds


def test_gradient_descent_on_the_quadratic_diverges_exactly_above_lr_1():
    # λ = 0 row: the factor is 1 − 2η. For η ≤ 0.98 it is in [−0.96, 1), so |θ_t| ≤ |θ_0| = |(1.5, 1)|
    # and no coordinate ever passes 200. For η ≥ 1.02 it is ≤ −1.04, so |x_t| = 1.5 · |1 − 2η|^t ≥
    # 1.5 · 1.04^t, which passes 200 once t > ln(200 / 1.5) / ln(1.04) = 124.7: by step 125 < 200.
    # The λ = 0.5 and λ = 1 rows move the edge to η = 2 / (2 + λ) = 0.8 and 2/3, with the same margins
    # on η(2 + λ) (≤ 1.96 stable, ≥ 2.04 growing at least 1.04 per step).
    result = sweep(QUADRATIC, "sgd", "lr:0.1:10:41:log", "weight_decay:0:1:3", start=(1.5, 1.0), steps=200)
    lr = result.x_values[None, :]  # (1, nx)
    lam = result.y_values[:, None]  # (ny, 1)
    np.testing.assert_array_equal(result.y_values, [0.0, 0.5, 1.0])
    diverged = result.diverged
    above, below = lr * (2 + lam) >= 2.04, lr * (2 + lam) <= 1.96
    assert above[0].sum() > 5 and below[0].sum() > 5  # the grid really crosses lr = 1 with cells on both sides
    assert (lr[0] >= 1.02).tolist() == above[0].tolist()
    assert diverged[above].all()
    assert not diverged[below].any()


@pytest.mark.parametrize("angle", [0.0, 30.0])
def test_gradient_descent_on_a_ravine_diverges_above_2_over_kappa(angle):
    # The ravine's Hessian is Rᵀ diag(1, κ) R; with weight decay λ it is Rᵀ diag(1 + λ, κ + λ) R, so
    # in the valley's coordinates u_t = (1 − η(1 + λ))^t u_0 and v_t = (1 − η(κ + λ))^t v_0. The edge
    # is η = 2 / (κ + λ): 2/50 = 0.04 at λ = 0 (the textbook 2/κ), 2/60 at λ = 10.
    # The default start has (u_0, v_0) = (−2.5, 0.5) at any angle (it lies inside the plot here).
    # Stable side, η(κ + λ) ≤ 1.96: both factors are in [−0.96, 1], so |(x, y)| ≤ |(u_0, v_0)| < 2.6.
    # Unstable side, η(κ + λ) ≥ 2.04: |v_t| ≥ 0.5 · 1.04^t, and max(|x|, |y|) ≥ |v_t| / √2 passes 300
    # once t > ln(300 √2 / 0.5) / ln(1.04) = 171.9, so 300 steps are enough.
    kappa = 50.0
    ravine = get_surface("ravine", condition=kappa, angle=angle)
    u0 = np.cos(np.radians(angle)) * ravine.start[0] + np.sin(np.radians(angle)) * ravine.start[1]
    v0 = -np.sin(np.radians(angle)) * ravine.start[0] + np.cos(np.radians(angle)) * ravine.start[1]
    assert (u0, v0) == pytest.approx((-2.5, 0.5))
    result = sweep(ravine, "sgd", "lr:0.004:0.4:60:log", "weight_decay:0:10:11", steps=300)
    lr, lam = result.x_values[None, :], result.y_values[:, None]
    above, below = lr * (kappa + lam) >= 2.04, lr * (kappa + lam) <= 1.96
    assert above.sum() > 100 and below.sum() > 100
    assert result.diverged[above].all()
    assert not result.diverged[below].any()
    # the λ = 0 row: the edge sits at 2/κ = 0.04 (halfway between two grid points, 10^(−2.398 + 29.5 · 2/59))
    first = result.x_values[result.diverged[0]].min()
    last_stable = result.x_values[~result.diverged[0]].max()
    assert last_stable < 2 / kappa < first


def heavy_ball_peak_x(lr, beta, x0, steps, radius):
    """Independent reference: the scalar two-term recurrence x_t = (1 + β − 2η) x_{t−1} − β x_{t−2}
    with x_{−1} = x_0 (rest), vectorized over cells. Returns whether |x_t| passed ``radius`` by ``steps``."""
    a = 1 + beta - 2 * lr
    prev, cur = np.full_like(a, x0), np.full_like(a, x0)
    passed = np.zeros(a.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            prev, cur = cur, a * cur - beta * prev
            passed |= ~(np.abs(cur) <= radius)
    return passed


def test_heavy_ball_stability_region_on_the_quadratic():
    # PyTorch's heavy ball on f = x² + y² (g = 2θ), per coordinate: v_t = β v_{t−1} + 2θ_{t−1},
    # θ_t = θ_{t−1} − η v_t. With η v_{t−1} = θ_{t−2} − θ_{t−1} this is the recurrence
    #     θ_t = (1 + β − 2η) θ_{t−1} − β θ_{t−2},   characteristic polynomial  z² − (1 + β − 2η) z + β.
    # Both roots lie inside the unit circle (Jury/Schur–Cohn for a monic quadratic z² + a₁z + a₀:
    # |a₀| < 1 and |a₁| < 1 + a₀) iff |β| < 1 and |1 + β − 2η| < 1 + β, i.e. for β ∈ [0, 1):
    #     0 < 2η < 2(1 + β)   ⇔   η < 1 + β   (the h η < 2(1 + β) rule with curvature h = 2).
    # Unstable margin η = (1 + β)(1 + δ), δ ≥ 0.02: the roots are real and negative, −ρ and −β/ρ, with
    # ρ + β/ρ = 2η − 1 − β, and ρ grows with β (1.04 at β = 0); from rest the ρ-mode's coefficient is
    # (ρ + β)/(ρ − β/ρ) > 1 times θ_0, so |x_t| ≥ 1.5 (1.04^t − K) for a constant K and passes 200
    # within ~130 steps; 300 are given.
    steps = 300
    result = sweep(QUADRATIC, "momentum", "lr:0.05:5:61:log", "beta:0:0.95:20", start=(1.5, 1.0), steps=steps)
    lr, beta = np.meshgrid(result.x_values, result.y_values)
    # the polynomial's roots, computed directly, agree with the derived edge η < 1 + β
    rho = np.array([[max(abs(np.roots([1.0, -(1 + b - 2 * e), b]))) for e, b in zip(er, br)]
                    for er, br in zip(lr, beta)])
    away = np.abs(lr / (1 + beta) - 1) > 1e-9
    assert ((rho < 1) == (lr < 1 + beta))[away].all()
    above, below = lr >= 1.02 * (1 + beta), lr <= 0.98 * (1 + beta)
    assert rho[above].min() >= 1.04 - 1e-9
    assert above.sum() > 100 and below.sum() > 100
    assert result.diverged[above].all()
    assert not result.diverged[below].any()
    # and, cell by cell, the same verdict as the scalar recurrence (x is the larger coordinate)
    np.testing.assert_array_equal(result.diverged, heavy_ball_peak_x(lr, beta, 1.5, steps, 200.0))


# ---------------------------------------------------------------------------------- batch = one by one


def cell_alone(surface, name, result, j, i, **fixed):
    optimizer = make_optimizer(name, **{result.x.name: float(result.x_values[i]),
                                        result.y.name: float(result.y_values[j])}, **fixed)
    return simulate(surface, optimizer, np.array(result.start), result.steps, record_internals=False)


@pytest.mark.parametrize("surface, name, x, y, fixed", [
    (QUADRATIC, "momentum", "lr:0.05:3:9:log", "beta:0:0.9:4", {}),
    (get_surface("rosenbrock"), "adam", "lr:1e-3:0.5:6:log", "beta1:0.5:0.95:4", {"beta2": 0.99}),
    (get_surface("ravine", condition=30), "rmsprop", "lr:1e-3:0.3:5:log", "eps:1e-8:1e-2:3:log", {"convention": "keras"}),
])
def test_every_cell_equals_the_same_run_alone(surface, name, x, y, fixed):
    result = sweep(surface, name, x, y, steps=150, **fixed)
    ny, nx = result.shape
    for j, i in [(0, 0), (ny - 1, nx - 1), (ny // 2, nx // 2), (0, nx - 1), (ny - 1, 0)]:
        alone = cell_alone(surface, name, result, j, i, **fixed)
        assert result.final_loss[j, i] == alone.loss[-1, 0]
        assert result.steps_to_tol[j, i] == alone.steps_to_reach(result.tolerance)[0]
        assert STATUSES[result.status[j, i]] == alone.status[0]
        assert result.stop_step[j, i] == alone.stop_step[0]
        np.testing.assert_array_equal(result.final_position[j, i], alone.positions[-1, 0])


def test_the_momentum_spot_checks_cover_every_status():
    result = sweep(QUADRATIC, "momentum", "lr:0.05:3:9:log", "beta:0:0.9:4", steps=150)
    assert set(result.status.ravel().tolist()) == {RUNNING_CODE, CONVERGED_CODE, DIVERGED_CODE}


def test_chunked_runs_equal_one_call(monkeypatch):
    import optviz.sweep as module
    whole = sweep(QUADRATIC, "momentum", "lr:0.05:3:7:log", "beta:0:0.9:5", steps=60)
    # a budget of 3 runs' working set per call splits the 35 cells into 12 calls
    monkeypatch.setattr(module, "WORK_BUDGET", 3 * module.WORK_BYTES)
    calls = []
    real = module.simulate_finals
    monkeypatch.setattr(module, "simulate_finals", lambda *a, **k: calls.append(1) or real(*a, **k))
    chunked = sweep(QUADRATIC, "momentum", "lr:0.05:3:7:log", "beta:0:0.9:5", steps=60)
    assert len(calls) == 12
    for name in ("final_loss", "steps_to_tol", "status", "stop_step", "final_position"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))


def test_one_simulate_call_with_array_hyperparameters(monkeypatch):
    import optviz.sweep as module
    seen = []
    real = module.simulate_finals

    def spy(surface, optimizer, starts, steps, **kwargs):
        seen.append((optimizer.runs, np.shape(starts)))
        return real(surface, optimizer, starts, steps, **kwargs)

    monkeypatch.setattr(module, "simulate_finals", spy)
    sweep(QUADRATIC, "momentum", "lr:0.05:3:20:log", "beta:0:0.9:30", steps=20)
    assert seen == [(600, (2,))]


def test_sweep_memory_is_one_chunk_of_working_set_not_the_trajectory(monkeypatch):
    """Peak traced memory (NumPy reports its buffers to tracemalloc) of a 40 x 40 x 1000 Adam sweep in
    four chunks of 400 runs, against a bound derived from the chunk budget:

    - one chunk's working set: at most WORK_BYTES per run by the measurement written next to
      WORK_BYTES (Adam holds 288 B per run), so at most WORK_BUDGET = 400 · WORK_BYTES;
    - kept for every run across chunks: FINAL_BYTES (final loss, position, status, stop step,
      steps to tol) and the two meshgrid arrays of the swept values, 2 · 8 B.

    A recorded trajectory would need (steps + 1) · 24 B per run (position and loss each step):
    9.6 MB for one chunk, 38 MB for the four that the sweep used to keep alive, against this bound
    of 0.5 MB. The bound does not grow with the steps.
    """
    import tracemalloc

    import optviz.sweep as module
    surface = get_surface("rosenbrock")
    monkeypatch.setattr(module, "WORK_BUDGET", 400 * module.WORK_BYTES)
    sweep(surface, "adam", "lr:1e-4:1e-2:4:log", "beta1:0:0.99:4", steps=5)  # imports and caches outside the trace
    runs, steps = 40 * 40, 1000
    tracemalloc.start()
    try:
        result = sweep(surface, "adam", "lr:1e-4:1e-2:40:log", "beta1:0:0.99:40", steps=steps)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    bound = module.WORK_BUDGET + runs * (module.FINAL_BYTES + 2 * 8)
    one_chunk_record = 400 * (steps + 1) * 3 * 8
    assert peak < bound < one_chunk_record / 10, (peak, bound)
    assert result.shape == (40, 40) and np.all(np.isfinite(result.final_loss))


def test_a_typed_surface_gets_chunks_sized_for_its_programs(monkeypatch):
    import optviz.sweep as module
    from surfaces import custom_surface
    from surfaces.typed.custom import working_arrays
    typed = custom_surface("sigmoid(x*y/(1 + x^2)) + (y - 1)^2")
    arrays = working_arrays(typed)
    programs = typed.value.__self__.programs[:3]  # value, gradient, Hessian
    assert working_arrays(QUADRATIC) == 0 and arrays == max(len(p.registers) for p in programs)
    # a budget of 4 runs at WORK_BYTES plus 8 B per program array: 12 cells in 3 calls
    monkeypatch.setattr(module, "WORK_BUDGET", 4 * (module.WORK_BYTES + 8 * arrays))
    calls = []
    real = module.simulate_finals
    monkeypatch.setattr(module, "simulate_finals", lambda *a, **k: calls.append(1) or real(*a, **k))
    sweep(typed, "momentum", "lr:0.01:0.1:4", "beta:0:0.9:3", steps=10)
    assert len(calls) == 3


# ------------------------------------------------------------------------------------- table and best


def test_to_frame_is_one_row_per_cell_x_fastest():
    # η = 0.25, 0.75 and λ = 0, 1: factors 1 − η(2 + λ) = 0.5, −0.5 (λ = 0) and 0.25, −1.25 (λ = 1).
    # loss_t = 3.25 f^(2t) ≤ 1e-6 first at t = ⌈ln(3.25e6) / ln(1/f²)⌉: 11 for |f| = 0.5, 6 for 0.25.
    result = sweep(QUADRATIC, "sgd", "lr:0.25:0.75:2", "weight_decay:0:1:2", start=(1.5, 1.0), steps=200)
    frame = result.to_frame()
    assert list(frame.columns) == ["lr", "weight_decay", "final_loss", "steps_to_tol", "status"]
    assert frame["lr"].tolist() == [0.25, 0.75, 0.25, 0.75]
    assert frame["weight_decay"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert frame["steps_to_tol"].tolist() == [11, 11, 6, -1]
    assert frame["status"].tolist() == ["converged", "converged", "converged", "diverged"]
    np.testing.assert_array_equal(frame["final_loss"], result.final_loss.ravel())


def test_best_skips_diverged_cells_even_when_their_loss_is_lowest():
    # x³ − 3xy² is unbounded below: a run that escapes is frozen at a very negative loss.
    result = sweep(get_surface("monkey_saddle"), "sgd", "lr:0.01:1:5:log", "weight_decay:0:1:2", steps=100)
    lowest = np.unravel_index(np.argmin(result.final_loss), result.shape)
    assert result.diverged[lowest]
    best = result.best()
    j, i = best["index"]
    assert not result.diverged[j, i]
    assert best["final_loss"] == result.final_loss[~result.diverged].min()
    assert (best["lr"], best["weight_decay"]) == (result.x_values[i], result.y_values[j])


def test_best_is_none_when_everything_diverges():
    # η ≥ 2: |1 − 2η| ≥ 3, so every run leaves ±200 within 5 steps (1.5 · 3^5 = 364).
    result = sweep(QUADRATIC, "sgd", "lr:2:4:3", "weight_decay:0:1:2", steps=10)
    assert result.diverged.all() and result.best() is None


# ------------------------------------------------------------------------------------------ basin map


def test_basin_map_on_himmelblau():
    # Grid n = 21 over [−5, 5]² has spacing 0.5, so (3, 2), minimum 0, is itself a start.
    # Gradient descent with η = 0.002 decreases f whenever η L / 2 < 1 on the sublevel set; near the
    # minima the Hessian's entries are below 150 (e.g. [[74, 20], [20, 34]] at (3, 2)), so ηL ≪ 2. A
    # start with f below the lowest saddle value (13.31, between minima 0 and 3) can therefore never
    # climb into another basin: it ends at the minimum of its own component of {f < 13.31}.
    himmelblau = get_surface("himmelblau")
    saddle_level = min(float(himmelblau.value(np.array(s))) for s in himmelblau.saddles)
    assert saddle_level == pytest.approx(13.3119, abs=1e-3)
    result = basin_map(himmelblau, "sgd", n=21, steps=1000, lr=0.002)
    assert result.basin.shape == (21, 21)
    X, Y = np.meshgrid(result.xs, result.ys)
    (j,), (i,) = np.nonzero((X == 3.0) & (Y == 2.0))
    assert result.basin[j, i] == 0
    minima = np.asarray(himmelblau.minima)
    for m, point in enumerate(minima):
        near = (np.hypot(X - point[0], Y - point[1]) < 0.75)
        low = himmelblau.value(np.stack([X, Y], axis=-1)) < saddle_level
        assert (near & low).sum() >= 3  # each minimum has several such starts
        assert (result.basin[near & low] == m).all()
    counts = result.counts()
    assert list(counts) == [0, 1, 2, 3, DIVERGED_BASIN, NOT_SETTLED]
    assert sum(counts.values()) == 21 * 21
    # the rule, recomputed from the final points
    distance = np.linalg.norm(result.final_position[..., None, :] - minima, axis=-1)
    settled = distance.min(axis=-1) <= result.settle_radius
    assert result.settle_radius == pytest.approx(0.05 * 0.5 * math.hypot(10, 10))
    expected = np.where(settled, distance.argmin(axis=-1), NOT_SETTLED)
    expected = np.where(result.status == DIVERGED_CODE, DIVERGED_BASIN, expected)
    np.testing.assert_array_equal(result.basin, expected)


def test_basin_codes_for_not_settled_and_diverged():
    # Settle radius on the quadratic: 5 % of the half-diagonal 2√2, i.e. 0.1414. On the 21-point grid
    # (spacing 0.2) only the origin itself is that close to the minimum.
    # One step of η = 1e-5 moves a start by 2e-5 |θ|: every other run is still far away, "not settled".
    crawl = basin_map(QUADRATIC, "sgd", n=21, steps=1, lr=1e-5)
    assert crawl.counts() == {0: 1, DIVERGED_BASIN: 0, NOT_SETTLED: 21 * 21 - 1}
    assert crawl.basin[10, 10] == 0
    # η = 2: θ_t = (−3)^t θ_0 leaves ±200 for every start but the origin (gradient 0: converged at step 1).
    blow_up = basin_map(QUADRATIC, make_optimizer("sgd", lr=2.0), n=21, steps=20)
    assert blow_up.counts() == {0: 1, DIVERGED_BASIN: 21 * 21 - 1, NOT_SETTLED: 0}
    frame = blow_up.to_frame()
    assert list(frame.columns) == ["x", "y", "basin", "status", "final_x", "final_y", "final_loss"]
    assert len(frame) == 441 and frame.loc[220, ["x", "y", "basin", "status"]].tolist() == [0.0, 0.0, 0, "converged"]


def test_basin_map_rejects_array_hyperparameters_and_bad_n():
    with pytest.raises(ValueError, match="scalar hyperparameters"):
        basin_map(QUADRATIC, make_optimizer("sgd", lr=np.array([0.1, 0.2])), n=5, steps=5)
    with pytest.raises(ValueError, match="n must be a whole number"):
        basin_map(QUADRATIC, "sgd", n=1, steps=5)
    with pytest.raises(ValueError, match="need an optimizer name"):
        basin_map(QUADRATIC, make_optimizer("sgd"), n=5, steps=5, lr=0.1)


def test_grids_stay_within_the_run_step_budget():
    # 500 × 500 cells of 4001 steps is 1.00025e9 run-steps, just over GRID_RUN_STEPS = 1e9; refused before any work
    steps = GRID_RUN_STEPS // (500 * 500) + 1
    with pytest.raises(ValueError, match=r"^250000 cells × 4001 steps is more than 1e\+09 run-steps"):
        sweep(QUADRATIC, "sgd", "lr:0.1:1:500", "weight_decay:0:1:500", steps=steps)
    with pytest.raises(ValueError, match=r"^250000 starts × 4001 steps"):
        basin_map(QUADRATIC, "sgd", n=500, steps=steps)


# ------------------------------------------------------------------------------ tuned learning rates


def test_tuned_learning_rates_table():
    # SGD on the quadratic contracts by |1 − 2η| per step. The grid has five rates a decade; the two
    # around 0.5 are 10^−0.4 = 0.3981 (factor 0.2038) and 10^−0.2 = 0.6310 (factor −0.2619), the
    # first contracting fastest, so it has the best score (mean log gap). Its loss is
    # 3.25 · 0.2038^(2t) = 3.25 · 0.04153^t: 9.7e-6 at t = 4, 4.0e-7 at t = 5, so 5 steps to 1e-6.
    table = tuned_learning_rates(QUADRATIC, ["sgd", "adam"], start=(1.5, 1.0), steps=100)
    assert list(table.columns) == ["optimizer", "lr", "final_loss", "steps_to_tol", "status"]
    assert table["optimizer"].tolist() == ["sgd", "adam"]
    sgd = table.iloc[0]
    assert sgd["lr"] == pytest.approx(10**-0.4)
    assert sgd["steps_to_tol"] == 5 and sgd["status"] == "converged"
    assert table.iloc[1]["lr"] in LR_GRID


def test_tuned_learning_rates_when_every_rate_diverges():
    table = tuned_learning_rates(QUADRATIC, ["sgd"], start=(1.5, 1.0), steps=20, grid=np.array([5.0, 10.0]))
    row = table.iloc[0]
    assert math.isnan(row["lr"]) and row["status"] == "diverged" and row["steps_to_tol"] == -1


# ------------------------------------------------------------------------------------------- figures


def test_brick_edges_are_midpoints_geometric_on_log_axes():
    np.testing.assert_allclose(brick_edges(np.array([0.0, 1.0, 2.0]), False), [-0.5, 0.5, 1.5, 2.5])
    np.testing.assert_allclose(brick_edges(np.array([1.0, 10.0, 100.0]), True),
                               [10**-0.5, 10**0.5, 10**1.5, 10**2.5])


def test_edge_path_outlines_the_true_region():
    # A 2 × 3 mask with the right column True: one vertical border per row at x edge 2, no horizontal one.
    mask = np.array([[False, False, True], [False, False, True]])
    xs, ys = edge_path(mask, np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]))
    assert xs == [2.0, 2.0, None, 2.0, 2.0, None]
    assert ys == [0.0, 1.0, None, 1.0, 2.0, None]


@pytest.fixture(scope="module")
def momentum_sweep():
    return sweep(QUADRATIC, "momentum", "lr:0.05:5:25:log", "beta:0:0.95:12", steps=300)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_sweep_heatmap_layers(momentum_sweep, lang):
    fig = sweep_heatmap(momentum_sweep, lang)
    assert isinstance(fig, go.Figure)
    loss, diverged = fig.data[0], fig.data[1]
    z, red = np.array(loss.z, dtype=float), np.array(diverged.z, dtype=float)
    mask = momentum_sweep.diverged
    assert np.isnan(z[mask]).all() and np.isfinite(z[~mask]).all()  # diverged cells only in the red layer
    assert (red[mask] == 1).all() and np.isnan(red[~mask]).all()
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "linear"
    assert len(loss.x) == 26 and len(loss.y) == 13  # brick edges
    edge = next(tr for tr in fig.data if tr.name == STRINGS["sweep.edge"][lang])
    assert len(edge.x) > 0
    # hover: both hyperparameters, final loss, steps to tolerance, status
    cell = np.array(loss.customdata)[3, 4]
    assert float(cell[0]) == momentum_sweep.x_values[4] and float(cell[1]) == momentum_sweep.y_values[3]
    assert float(cell[2]) == momentum_sweep.final_loss[3, 4]
    for part in ("customdata[0]", "customdata[1]", "customdata[2]", "customdata[3]", "customdata[4]"):
        assert part in loss.hovertemplate
    assert CATALOG["opt.lr"][lang] in loss.hovertemplate and CATALOG["opt.beta"][lang] in loss.hovertemplate


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_steps_heatmap_layers(momentum_sweep, lang):
    fig = steps_heatmap(momentum_sweep, lang)
    steps = np.array(fig.data[0].z, dtype=float)
    reached = (momentum_sweep.steps_to_tol >= 0) & ~momentum_sweep.diverged
    np.testing.assert_array_equal(steps[reached], momentum_sweep.steps_to_tol[reached])
    assert np.isnan(steps[~reached]).all()
    names = {tr.name for tr in fig.data}
    assert STRINGS["sweep.diverged"][lang] in names


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_basin_figure(lang):
    himmelblau = get_surface("himmelblau")
    basins = basin_map(himmelblau, "sgd", n=11, steps=400, lr=0.002)
    fig = basin_figure(basins, himmelblau, lang)
    grid = fig.data[0]
    category = np.array(grid.z, dtype=float) - 0.5
    np.testing.assert_array_equal(category, np.where(basins.basin >= 0, basins.basin, 4 + (basins.basin == NOT_SETTLED)))
    stars = fig.data[-1]
    np.testing.assert_array_equal(np.column_stack([stars.x, stars.y]), np.asarray(himmelblau.minima))
    legend = [tr.name for tr in fig.data if tr.showlegend]
    assert len(legend) == sum(1 for v in basins.counts().values() if v)


def test_new_strings_have_both_languages():
    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key
