"""The optimizer lessons of issue 12 (``optviz/classroom/optimizer_lessons.py``): the sign lesson's claim in numbers,
and each race matching the claim module it shows.

The lessons' texts, notches and first frames are checked with every other lesson in ``tests/test_lessons.py``;
here are the claims themselves, each against a hand derivation or an invariant.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from optviz.classroom.optimizer_lessons import (GRADIENT_SCALE, OPTIMIZER_LESSONS, ROTATION_START, SCHEDULE_FREE_LRS,
                                                compass_error, get_optimizer_lesson, scaled, sign_directions_claim,
                                                step_angles)
from optviz.classroom import schedule_free_lesson
from optviz.classroom.rotation_lesson import EQUIVARIANT, PER_COORDINATE, rotation_claim
from optviz.race import run_race
from optviz.schedules import cosine, schedule_fields
from surfaces import get_surface
from surfaces.ravine import ravine

CLAIM = sign_directions_claim()
SIGN = get_optimizer_lesson("sign-directions").config


# ------------------------------------------------------------------------------------------- helpers

def test_step_angles_by_hand():
    path = [(0.0, 0.0), (1.0, 1.0), (1.0, 1.0), (0.0, 2.0), (0.0, 1.0)]
    angles = step_angles(path)
    assert np.isnan(angles[1])  # it stood still
    np.testing.assert_allclose(angles[[0, 2, 3]], [45.0, 135.0, -90.0], rtol=1e-15)  # atan2 of exact ratios


def test_compass_error_by_hand():
    # 30° is 15° from 45°; −170° is 10° from −180°; 180° and −135° are compass directions themselves
    np.testing.assert_allclose(compass_error(np.array([45.0, 30.0, -170.0, 180.0, -135.0])),
                               [0.0, 15.0, 10.0, 0.0, 0.0], atol=1e-12)  # a few ulps of the modulo


def test_scaled_multiplies_value_gradient_and_hessian():
    bowl, point = get_surface("quadratic"), np.array([0.3, -0.7])
    steep = scaled(bowl, GRADIENT_SCALE)
    # a power of two scales exactly: no rounding at all
    assert steep.value(point) == 1024 * bowl.value(point)
    np.testing.assert_array_equal(steep.grad(point), 1024 * bowl.grad(point))
    np.testing.assert_array_equal(steep.hessian(point), 1024 * bowl.hessian(point))
    assert steep.minima == bowl.minima and steep.bounds == bowl.bounds


@pytest.mark.parametrize("factor", [0.0, -2.0, math.inf, math.nan])
def test_scaled_refuses_a_bad_factor_by_name(factor):
    with pytest.raises(ValueError, match="factor"):
        scaled(get_surface("quadratic"), factor)


def test_unknown_lesson_names_the_choices():
    with pytest.raises(ValueError, match="sign-directions"):
        get_optimizer_lesson("nope")
    assert [get_optimizer_lesson(lesson.id) for lesson in OPTIMIZER_LESSONS] == list(OPTIMIZER_LESSONS)


def test_the_sign_claim_needs_lion_and_rprop():
    without = replace(SIGN, optimizers=SIGN.optimizers[:2])
    with pytest.raises(ValueError, match="Rprop"):
        sign_directions_claim(without)


# -------------------------------------------------------------------------------------- sign lesson

def test_every_lion_step_is_a_diagonal_of_length_lr_per_coordinate():
    lion = CLAIM["lion"]
    # u_t = sign(c_t) ∈ {−1, 1}² (c_t is never exactly 0 here), so Δθ = −η·u_t: one of the four diagonals.
    assert lion["directions"] == [-135.0, -45.0, 45.0, 135.0]
    assert lion["still_steps"] == 0 and lion["axis_steps"] == 0
    # Each coordinate moves by η = 0.02 up to the rounding of θ (|θ| < 2: ulp 4.4e-16; a few of them against
    # 0.02 make ~1e-13 relative, so 1e-12 is ample and a real difference in size, ≥ 1e-3, is far above it).
    assert lion["lr"] == 0.02 and lion["worst_size_error"] <= 1e-12
    # The angle's error is of the same relative order in radians: 1e-9 degrees is ample.
    assert lion["worst_compass_error"] <= 1e-9


def test_gradient_descent_points_anywhere():
    gd = CLAIM["gd"]
    # GD's step is −η∇f, which turns as the path curves round the valley: many directions, far from the compass
    assert len(gd["directions"]) > 20 and gd["worst_compass_error"] > 10


def test_rprop_step_sizes_follow_from_the_signs_alone():
    """Per coordinate, Δ starts at lr and is multiplied by η+ = 1.2 when the gradient keeps its sign (against the
    last kept gradient), by η− = 0.5 when it flips — and then the coordinate stands still and its kept gradient
    is 0 — and by 1 after such a wait; clamped to [1e-6, 50]. Recomputed here from the signs of the recorded
    gradients only, the sizes match every step the race took."""
    traj = run_race(SIGN)
    rprop = traj.labels.index("Rprop")
    # grad[k] is ∇f at positions[k]: step t (positions t−1 → t) uses grad[t − 1]
    grad, moves = traj.grad[:-1, rprop], np.diff(traj.positions[:, rprop], axis=0)  # (steps, 2): g_t and Δθ_t
    lr = SIGN.optimizers[rprop].value("lr")
    size, kept = np.full(2, lr), np.zeros(2)
    expected = np.empty_like(moves)
    for t, g in enumerate(grad):
        sign = np.sign(g * kept)
        size = np.clip(size * np.where(sign > 0, 1.2, np.where(sign < 0, 0.5, 1.0)), 1e-6, 50.0)
        kept = np.where(sign < 0, 0.0, g)
        expected[t] = -np.sign(kept) * size
    # Rounding: the sizes are products of up to 300 factors (each rounded, 1.1e-16) and the moves differences of
    # positions |θ| < 2 (ulp 4.4e-16 against sizes ≥ 1e-6 would be 4e-10): 1e-9 relative plus 1e-15 absolute.
    np.testing.assert_allclose(moves, expected, rtol=1e-9, atol=1e-15)
    assert np.sum(expected == 0) == 2 * CLAIM["rprop"]["still_steps"] + CLAIM["rprop"]["axis_steps"]


def test_rprop_takes_few_directions():
    # Its slopes |Δy|/|Δx| are ratios of two sizes lr·1.2^a·0.5^b, so 1.2^i·2^j for whole i, j (|i| ≤ 300 steps):
    # a sparse set, of which the race meets only a few.
    assert 4 < len(CLAIM["rprop"]["directions"]) < len(CLAIM["gd"]["directions"]) / 4
    traj = run_race(SIGN)
    moves = np.abs(np.diff(traj.positions[:, traj.labels.index("Rprop")], axis=0))  # (steps, 2)
    slanted = moves[(moves > 0).all(axis=1)]
    assert len(slanted) > 100
    log_slope = np.log2(slanted[:, 1] / slanted[:, 0])  # = i·log2(1.2) + j
    i = np.arange(-300, 301)[:, None]
    off_lattice = np.abs((log_slope[None] - i * np.log2(1.2) + 0.5) % 1.0 - 0.5).min(axis=0)  # (slanted,)
    # 1e-9 in log2 covers the rounding of the moves (1e-9 relative, see above); the 601 candidate i would
    # cover a random slope with chance 601·2e-9 ≈ 1e-6, so passing says the slopes are on the lattice.
    assert off_lattice.max() <= 1e-9


def test_only_the_sign_matters():
    # On 1024·f every gradient is 1024 times larger, exactly (a power of two): Lion's m and c scale with it, Rprop's
    # products g·ĝ keep their signs, so both take bit for bit the same steps. GD's lr·1024·∇f throws it off the map
    # (Rosenbrock's curvature at the start is ~1500, so lr·λ ≈ 1.5 becomes 1500).
    assert CLAIM["gradient_scale"] == 1024.0
    assert CLAIM["scale_deviation"]["Lion"] == 0.0 and CLAIM["scale_deviation"]["Rprop"] == 0.0
    assert CLAIM["scale_deviation"]["GD"] > 1.0


# ---------------------------------------------------------------------------------- rotation lesson

def test_the_rotation_race_is_the_claims_race_on_the_app_controls():
    config = get_optimizer_lesson("rotation").config
    assert dict(config.surface_params) == {"condition": 20.0, "angle": 45.0}
    # the ravine's own start at 45°, rounded to the four decimals the app stores (≤ 5e-5 per coordinate)
    np.testing.assert_allclose(ROTATION_START, ravine(angle=45.0).start, rtol=0, atol=5e-5)
    assert ROTATION_START == (-2.1213, -1.4142)
    claim_contestants = EQUIVARIANT + PER_COORDINATE
    assert [opt.name for opt in config.optimizers] == [opt.name for opt in claim_contestants]
    for mine, theirs in zip(config.optimizers, claim_contestants):
        differing = {k for k, v in mine.hyperparams if not math.isclose(v, theirs.value(k), rel_tol=0.1)}
        assert not differing, mine.name  # the notches are the claim's rates (Shampoo's 0.3 → 0.32)


def test_the_rotation_lesson_sorts_as_the_claim_does():
    claim = rotation_claim()
    config = get_optimizer_lesson("rotation").config
    names = [opt.name for opt in config.optimizers]
    labels = [opt.label for opt in config.optimizers]
    said_to_turn = {"GD", "Momentum", "Newton", "Shampoo"}  # the explanation's four
    assert {labels[names.index(name)] for name in claim["turns_with_the_valley"]} == said_to_turn
    assert {labels[names.index(name)] for name in claim["does_not_turn"]} == set(labels) - said_to_turn


# ----------------------------------------------------------------------------- Schedule-Free lesson

def test_the_schedule_free_race_is_the_claims_setting():
    config = get_optimizer_lesson("schedule-free").config
    assert (config.surface, config.start, config.steps) == (schedule_free_lesson.SURFACE, schedule_free_lesson.START,
                                                            schedule_free_lesson.STEPS)
    assert {opt.noise for opt in config.optimizers} == {schedule_free_lesson.NOISE}
    sf, cos, const = config.optimizers
    assert (sf.name, cos.name, const.name) == ("schedulefree_adamw", "adamw", "adamw")
    assert (sf.schedule, const.schedule) == ("constant", "constant")
    # the cosine the claim tuned: to 0 over the whole race
    assert schedule_fields(cos.schedule) == {"kind": "cosine", "period": 100, "warmup": 0}
    assert cosine(config.steps) == cosine(100)
    assert [opt.value("lr") for opt in config.optimizers] == [SCHEDULE_FREE_LRS[k] for k in
                                                               ("schedule_free", "cosine", "constant")]
    assert {opt.value("weight_decay") for opt in config.optimizers} == {0.0}  # as the claim runs them


def test_the_schedule_free_rates_are_the_tuned_ones():
    result = schedule_free_lesson.schedule_free_matches_cosine()
    assert {key: result[key]["lr"] for key in SCHEDULE_FREE_LRS} == SCHEDULE_FREE_LRS


# ------------------------------------------------------------------------------------ L-BFGS lesson

def test_the_lbfgs_lessons_low_tolerances_change_only_the_ending():
    """The lesson lowers L-BFGS's stopping tolerances so the race marks it converged; torch's defaults (1e-7 on the
    gradient, 1e-9 on the change) act only once the loss is far below 1e-6, so the steps the lesson counts are the
    same under both, and the same as the claim's, which runs the defaults."""
    config = get_optimizer_lesson("lbfgs-rosenbrock").config
    defaults = replace(config, optimizers=tuple(opt.with_values(tolerance_grad=1e-7, tolerance_change=1e-9)
                                                if opt.name == "lbfgs" else opt for opt in config.optimizers))
    lowered, torch_default = run_race(config), run_race(defaults)
    np.testing.assert_array_equal(lowered.steps_to_reach(1e-6), torch_default.steps_to_reach(1e-6))
    # up to the step its loss gets within 1e-6, each L-BFGS run is the same arithmetic in both races: bit for bit
    for run, reach in enumerate(lowered.steps_to_reach(1e-6)[:2]):
        np.testing.assert_array_equal(lowered.positions[:reach + 1, run], torch_default.positions[:reach + 1, run])
    # and only the lowered ones are marked converged by the end (torch's stop leaves |∇f| above the race's 1e-8)
    assert list(lowered.status[:2]) == ["converged", "converged"]
    assert list(torch_default.status[:2]) == ["running", "running"]
