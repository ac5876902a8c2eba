"""Classroom lessons: each loads as a valid race on the app's control ladders, and each lesson's
claim holds when its race is run.

Thresholds are derived by hand in the comments (the closed forms of GD on quadratics, the roots
of the momentum recurrences, AdaGrad's √t bound); "measured" notes give the value the run
produced, so the margin of every assertion can be read off.
"""
import math
import re
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from optviz import controls
from optviz.app.widget_values import app_state, race_slots, widget_values
from optviz.classroom.catalog import ALL_LESSONS, get_lesson
from optviz.classroom.lbfgs_lesson import lbfgs_versus_adam
from optviz.classroom.lessons import LESSONS, VIEWS, Lesson
from optviz.classroom.optimizer_lessons import OPTIMIZER_LESSONS, SCHEDULE_FREE_LRS
from optviz.classroom.rotation_lesson import TOLERANCE as ROTATION_TOLERANCE
from optviz.classroom.rotation_lesson import rotation
from optviz.classroom.sam_lesson import basin_of, sam_versus_sgd
from optviz.classroom.schedule_free_lesson import schedule_free_matches_cosine
from optviz.classroom.theory_lessons import THEORY_LESSONS, claim_range_test
from optviz.i18n import status_text as i18n_status
from optviz.limits import APP_STEPS, START_RANGE, STEPS_NOTCH
from optviz.optimizers import HYPERPARAMETERS
from optviz.race import OptimizerConfig, RaceConfig, run_race, unique_labels, validate
from optviz.schedules import KINDS, schedule_fields, schedule_text
from optviz.share import AppState, canonical
from optviz.simulate import default_divergence_radius, simulate
from optviz.trajectory import STATUS_COLORS
from optviz.views import PLAYED
from surfaces import PARAMETERS

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END_EN = re.compile(r"[.!?](?=\s|$)")


@lru_cache(maxsize=None)
def race(lesson_id: str):
    return run_race(get_lesson(lesson_id).config)


def run_index(traj, label: str) -> int:
    return traj.labels.index(label)


def sign_changes(values: np.ndarray, floor: float) -> np.ndarray:
    """(runs,) sign flips between consecutive steps, counting only when both sides exceed ``floor``."""
    flips = (values[1:] * values[:-1] < 0) & (np.abs(values[1:]) > floor) & (np.abs(values[:-1]) > floor)
    return flips.sum(axis=0)


def with_optimizers(config: RaceConfig, *optimizers: OptimizerConfig, **changes) -> RaceConfig:
    return replace(config, optimizers=optimizers, **changes)


def many_runs(config: RaceConfig, *optimizers: OptimizerConfig, steps: int | None = None):
    """Runs from a lesson's start on its surface, more of them than a race may hold (limits.MAX_OPTIMIZERS)."""
    return simulate(config.build_surface(), [opt.build() for opt in optimizers], np.asarray(config.start),
                    steps or config.steps)


# ------------------------------------------------------------------------------------------- catalog

def test_there_are_twelve_lessons_with_unique_slugs():
    ids = [lesson.id for lesson in LESSONS]
    assert len(ids) >= 12 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert all(get_lesson(i) is lesson for i, lesson in zip(ids, LESSONS))


def test_the_catalogue_holds_every_lesson_once():
    """The app's menu and links offer the twelve lessons, the theory ones and the optimizer ones; the lookup
    finds each."""
    assert ALL_LESSONS == LESSONS + THEORY_LESSONS + OPTIMIZER_LESSONS and len(ALL_LESSONS) == 21
    assert len({lesson.id for lesson in ALL_LESSONS}) == len(ALL_LESSONS)
    for lesson in ALL_LESSONS:
        assert get_lesson(lesson.id) is lesson
    with pytest.raises(ValueError, match="range-test"):
        get_lesson("nope")


def test_unknown_lesson_names_the_choices():
    with pytest.raises(ValueError, match="saddle-point"):
        get_lesson("nope")


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_texts_are_bilingual(lesson: Lesson):
    for field in ("title", "explanation", "question", "look_for"):
        text = getattr(lesson, field)
        assert set(text) == {"en", "zh"}, field
        assert text["en"].strip() and text["zh"].strip(), field
        assert CJK.search(text["zh"]) and not CJK.search(text["en"]), field
    assert 2 <= len(SENTENCE_END_EN.findall(lesson.explanation["en"])) <= 4
    assert 2 <= lesson.explanation["zh"].count("。") <= 4


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_config_is_complete_and_valid(lesson: Lesson):
    config = lesson.config
    validate(config)
    assert lesson.view in VIEWS
    assert config.start is not None and config.optimizers
    given = {p for p, _ in config.surface_params}
    assert given == {p.name for p in PARAMETERS[config.surface]}  # every surface parameter written out
    for opt in config.optimizers:
        assert {k for k, _ in opt.hyperparams} == {p.name for p in HYPERPARAMETERS[opt.name]}, opt.label
    labels = [opt.label for opt in config.optimizers]
    assert all(labels) and unique_labels(config.optimizers) == labels  # no "(2)" needed to tell them apart
    zh = lesson.race_config("zh")
    assert len({opt.label for opt in zh.optimizers}) == len(labels)
    assert not lesson.labels_zh or len(lesson.labels_zh) == len(labels)
    assert [replace(o, label="") for o in zh.optimizers] == [replace(o, label="") for o in config.optimizers]


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_every_value_is_a_notch_of_the_app_controls(lesson: Lesson):
    config = lesson.config
    # steps: the app's slider runs 10 ... 2000 in tens
    assert APP_STEPS[0] <= config.steps <= APP_STEPS[1] and config.steps % STEPS_NOTCH == 0
    # start: the app stores four decimals, within ±10 × the plot's extent
    surface = config.build_surface()
    limit = START_RANGE * float(np.max(np.abs(surface.bounds)))
    assert all(round(v, 4) == v and abs(v) <= limit for v in config.start)
    # surface parameters: log ones on the app's 31-notch ladder (as app.surface_controls builds it)
    for spec in PARAMETERS[config.surface]:
        value = dict(config.surface_params)[spec.name]
        if spec.log:
            ladder = set(controls.surface_ladder(spec))
            assert value in ladder, spec.name
        else:
            assert spec.check(value) == value
    for opt in config.optimizers:
        for key, value in opt.hyperparams:
            assert controls.snap(key, value) == value, (opt.label, key, value)
        assert opt.noise in controls.NOISE_CHOICES and isinstance(opt.seed, int) and opt.seed >= 0
        fields = schedule_fields(opt.schedule)
        assert fields["kind"] in KINDS and "floor" not in fields  # the app has no control for a cosine floor
        assert fields.get("factor", 0.5) in controls.FACTOR_CHOICES
        assert fields.get("gamma", 0.99) in controls.GAMMA_CHOICES
        assert schedule_text(**fields) == opt.schedule


def test_slots_follow_the_app_naming():
    config = get_lesson("learning-rate-importance").config
    assert race_slots(config.optimizers) == ["momentum", "momentum~2", "momentum~3", "momentum~4", "momentum~5"]
    assert race_slots(get_lesson("ravine").config.optimizers) == ["sgd", "momentum", "rmsprop", "adam"]


@pytest.mark.parametrize("spec, fields", [
    ("constant", {"kind": "constant", "warmup": 0}),
    ("step:100:0.7", {"kind": "step", "every": 100, "factor": 0.7, "warmup": 0}),
    ("exp:0.99+warmup:10", {"kind": "exp", "gamma": 0.99, "warmup": 10}),
    ("cosine:500", {"kind": "cosine", "period": 500, "warmup": 0}),
])
def test_schedule_fields_invert_schedule_text(spec, fields):
    assert schedule_fields(spec) == fields
    assert schedule_text(**fields) == spec


# -------------------------------------------------------------------------------------------- claims

def test_saddle_gd_lingers_momentum_and_noise_escape():
    traj = race("saddle-point")
    gd, mom, noisy = (run_index(traj, k) for k in ("GD", "Momentum β=0.9", "GD + noise σ=0.1"))
    dist = np.linalg.norm(traj.positions, axis=-1)  # (steps+1, runs) distance to the saddle (0, 0)
    inside = (dist < 0.1).sum(axis=0)
    # GD, lr 0.05: x_t = −1.5·0.95^t is inside 0.1 once t > ln 15 / −ln 0.95 = 52.8, and y_t ≈ 1e-4·1.05^t
    # stays inside until t ≈ ln 1000 / ln 1.05 = 141.6: about 89 steps (measured 89).
    assert inside[gd] >= 80
    # Momentum's unstable root (z² − (1 + β + lr) z + β = 0, z = 1.2) gets out in ln 1000 / ln 1.2 ≈ 38 steps,
    # before x has arrived: measured 6 steps inside; noisy GD measured 0.
    assert inside[mom] <= 15 and inside[noisy] <= 15
    # At step 100 GD sits at x = 1.5·0.95^100 = 0.009, y ≈ 1e-4·1.05^100 = 0.013 (measured 0.016 away);
    # the others are out near a minimum (measured 1.02 and 0.89).
    assert dist[100, gd] < 0.05
    assert dist[100, mom] > 0.5 and dist[100, noisy] > 0.5
    # Lingering, not stuck: GD has left by the end (measured 0.88 away); Momentum sits in a minimum.
    assert dist[-1, gd] > 0.5
    assert traj.distance_to_nearest_minimum()[-1, mom] < 0.01


def test_saddle_noise_helps_for_most_seeds():
    config = get_lesson("saddle-point").config
    noisy = next(opt for opt in config.optimizers if opt.noise > 0)
    runs = tuple(replace(noisy, label=f"seed {s}", seed=s) for s in range(20))
    traj = many_runs(config, *runs, steps=100)
    away = np.linalg.norm(traj.positions[100], axis=-1)
    assert (away > 0.3).sum() >= 15  # measured 17 of 20; noiseless GD is 0.016 away at step 100


def test_plateau_stalls_gd_while_adam_crosses():
    traj = race("plateau")
    gd, adam = run_index(traj, "GD"), run_index(traj, "Adam")
    loss = traj.loss
    # At the start r = √(3² + 2.5²) = 3.905, |∇f| = r·e^{−r²/2} = 1.9e-3: GD moves lr·|∇f| ≈ 6e-4 a step.
    start_grad = np.linalg.norm(traj.grad[0, gd])
    assert start_grad == pytest.approx(3.905 * np.exp(-3.905**2 / 2), rel=1e-3)
    improvement = (loss[0, gd] - loss[-1, gd]) / loss[0, gd]
    assert improvement < 0.01  # measured 0.099 %
    # Adam's steps are ≈ lr per coordinate whatever |∇f| is: it covers the 3.9 to the basin in ~50 steps.
    first_below = int(np.argmax(loss[:, adam] < 0.1))
    assert loss[first_below, adam] < 0.1 and first_below <= 100  # measured step 44
    assert loss[-1, adam] < 1e-3


def test_ravine_gd_zigzags_momentum_and_adaptive_methods_do_not():
    traj = race("ravine")
    gd, mom, rms, adam = (run_index(traj, k) for k in ("GD", "Momentum β=0.9", "RMSprop β=0.9", "Adam"))
    assert traj.surface.params["angle"] == 0  # the across-valley coordinate v is y
    v = traj.positions[..., 1]  # (steps+1, runs)
    # GD: v_t = (1 − lr·κ)^t v_0 = 0.5·(−0.975)^t exactly (the coordinates decouple at angle 0).
    t = np.arange(traj.steps + 1)
    np.testing.assert_allclose(v[:, gd], 0.5 * (-0.975) ** t, rtol=1e-9, atol=1e-15)
    # so it flips sign on each of the first 30 steps, still |v_30| = 0.5·0.975^30 = 0.235 > 0.01
    flips = sign_changes(v[:31], floor=0.01)
    assert flips[gd] == 30
    assert flips[mom] <= 3 and flips[rms] <= 3 and flips[adam] <= 3  # measured 2, 0, 0
    # Travel across the valley in the first 50 steps: GD's is Σ 1.975·0.5·0.975^t = 28.36 (closed form);
    # any run must travel at least the 0.5 it starts off the floor.
    travel = np.abs(np.diff(v[:51], axis=0)).sum(axis=0)
    assert travel[gd] == pytest.approx(0.5 * 1.975 * (1 - 0.975**50) / 0.025, rel=1e-9)
    assert travel[mom] < travel[gd] / 5  # measured 2.63
    assert travel[rms] < 1.0 and travel[adam] < 1.0  # measured 0.50 and 0.88


def test_learning_rate_bound_two_over_l():
    traj = race("learning-rate-too-large")
    lrs = [opt.value("lr") for opt in get_lesson("learning-rate-too-large").config.optimizers]
    assert lrs == [0.79, 1.0, 1.3]
    L = float(np.linalg.eigvalsh(traj.surface.hessian(np.zeros(2))).max())
    assert L == 2.0 and lrs[0] < 2 / L == lrs[1] < lrs[2]
    x = traj.positions[..., 0]  # x_t = (1 − 2·lr)^t · 0.1 while running
    low, edge, high = 0, 1, 2
    assert traj.positions[0, 0].tolist() == [0.1, 0.05]
    # lr 0.79: factor −0.58 — flips sides every step and converges. Converged means |∇f| = 2|θ_t| ≤ 1e-8
    # and the step 1.58|θ_{t−1}| ≤ 1e-8 with |θ_0| = √0.0125 = 0.1118: 0.58^t ≤ 4.47e-8 gives t ≥ 31.07 and
    # 0.58^(t−1) ≤ 5.66e-8 gives t ≥ 31.64, so step 32.
    np.testing.assert_allclose(x[:32, low], 0.1 * (-0.58) ** np.arange(32), rtol=1e-12)
    assert traj.status_text(low) == "converged to a minimum at step 32"
    # lr 1 = 2/L: factor −1, bounces between ±start forever, the loss never changes.
    np.testing.assert_array_equal(traj.positions[:, edge], np.array([0.1, 0.05]) * (-1.0) ** np.arange(51)[:, None])
    assert np.all(traj.loss[:, edge] == 0.1**2 + 0.05**2) and traj.status_text(edge) == "not converged in 50 steps"
    # lr 1.3 (the lr ladder's first notch above 2/L = 1): factor −1.6. The plot is ±2: |x_t| = 0.1·1.6^t ≤ 2
    # for t ≤ ln 20 / ln 1.6 = 6.37, so six growing jumps stay on the map (steps 1 … 6); it first exceeds the
    # radius 100·2 = 200 at t > ln 2000 / ln 1.6 = 16.2, step 17 (184.5 at t = 16).
    assert default_divergence_radius(traj.surface) == 200
    assert traj.status_text(high) == "diverged at step 17"
    np.testing.assert_allclose(x[:17, high], 0.1 * (-1.6) ** np.arange(17), rtol=1e-12)
    on_map = np.abs(traj.positions[:, high]).max(axis=1) <= 2.0  # (steps+1,)
    assert on_map[:7].all() and not on_map[7:].any()
    assert np.all(np.abs(np.diff(x[:7, high])) > 0) and np.all(np.diff(np.abs(x[:7, high])) > 0)  # jumps grow


def test_adagrad_decays_too_early_rmsprop_recovers():
    traj = race("adagrad-vs-rmsprop")
    ada, rms = run_index(traj, "AdaGrad"), run_index(traj, "RMSprop β=0.9")
    lr, steps = 0.02, traj.steps
    eff = traj.internals["effective_lr"]  # (steps+1, runs, 2)
    # AdaGrad's accumulator only grows: its effective lr never rises, on either coordinate.
    assert np.all(np.diff(eff[1:, ada], axis=0) <= 0)
    # It moves monotonically towards 0 without crossing, so |g| only shrinks and step k moves each coordinate
    # by lr·|g_k|/√(Σ_{j≤k} g_j²) ≤ lr/√k: in 300 steps at most lr·(2√300 − 1) = 0.673.
    pos = traj.positions[:, ada]
    assert np.all(np.diff(pos, axis=0) <= 0) and np.all(pos > 0)
    reach = lr * (2 * np.sqrt(steps) - 1)
    assert pos[-1, 0] >= 1.5 - reach and pos[-1, 1] >= 1.0 - reach  # measured (0.90, 0.43) vs (0.83, 0.33)
    # eff_1 = lr/|g_1| = lr/3 on x; eff_300 ≤ lr/(2·x_300·√300), so the ratio is ≤ 3/(2·0.827·√300) = 0.105
    # (measured 0.078).
    x_floor = 1.5 - reach
    ratio = eff[steps, ada, 0] / eff[1, ada, 0]
    assert ratio <= 3 / (2 * x_floor * np.sqrt(steps)) < 0.105
    # RMSprop forgets: its effective lr at step 100 exceeds its first (measured 0.11 vs 0.021), and it converges.
    assert np.all(eff[100, rms] > eff[1, rms])
    assert traj.status[rms] == "converged" and traj.stop_step[rms] <= 150  # measured 123
    assert traj.loss[-1, ada] > 0.79  # ≥ 0.827² + 0.327² from the bound; measured 0.99


def test_adam_without_bias_correction_leaps():
    traj = race("adam-bias-correction")
    on, off = run_index(traj, "Adam"), run_index(traj, "Adam, no bias correction")
    lr, b1, b2 = 0.02, 0.9, 0.999
    step = np.abs(np.diff(traj.positions, axis=0))  # (steps, runs, 2) per-coordinate step lengths
    # Step 1: m̂ = g, v̂ = g², so the corrected step is lr·|g|/(|g| + ε) = lr; uncorrected m = (1 − β1)g,
    # v = (1 − β2)g², so lr·(1 − β1)/√(1 − β2) = lr·0.1/√0.001 = 3.162·lr.
    np.testing.assert_allclose(step[0, on], lr, rtol=1e-7)
    np.testing.assert_allclose(step[0, off], lr * (1 - b1) / np.sqrt(1 - b2), rtol=1e-6)
    # While the gradient is nearly steady the uncorrected step is lr·(1 − β1ᵗ)/√(1 − β2ᵗ): 3.16, 4.25, 4.96, 5.46, 5.80.
    t = np.arange(1, 6)
    np.testing.assert_allclose(step[:5, off, 0] / lr, (1 - b1**t) / np.sqrt(1 - b2**t), rtol=0.02)
    assert np.all(step[:10, off] > 3 * step[:10, on])
    # So the uncorrected run overshoots the minimum (measured by 0.37 on x) and the corrected one barely does.
    assert traj.positions[:, off, 0].min() < -0.2
    assert traj.positions[:, on, 0].min() > -0.01


def test_momentum_conventions_differ_by_one_minus_beta():
    traj = race("momentum-conventions")
    torch_run, notes, notes_big = (run_index(traj, k) for k in
                                   ("v=βv+g, lr=0.01", "v=βv+(1−β)g, lr=0.01", "v=βv+(1−β)g, lr=0.1"))
    beta = 0.9
    velocity = traj.internals["velocity"]
    # First step from v_0 = 0: v_1 = g versus (1 − β)g, exactly.
    np.testing.assert_allclose(velocity[1, notes], (1 - beta) * velocity[1, torch_run], rtol=1e-15)
    step = np.linalg.norm(np.diff(traj.positions, axis=0), axis=-1)  # (steps, runs)
    assert step[0, notes] / step[0, torch_run] == pytest.approx(1 - beta, rel=1e-12)
    # For a steady gradient both velocities are (1 − β^t)/(1 − β)·g and (1 − β^t)·g: ratio 1 − β; the bowl's
    # gradient changes, so over the first 10 steps the ratio drifts only a little (measured 0.100 ... 0.140).
    ratios = step[:10, notes] / step[:10, torch_run]
    assert np.all((0.09 < ratios) & (ratios < 0.15))
    # Same method: PyTorch with lr·(1 − β) = 0.01 follows the notes with lr = 0.1.
    np.testing.assert_allclose(traj.positions[:, torch_run], traj.positions[:, notes_big], atol=1e-12)


def test_nesterov_overshoots_less_than_momentum():
    traj = race("nesterov")
    mom, nag = run_index(traj, "Momentum β=0.9"), run_index(traj, "Nesterov β=0.9")
    x = traj.positions[..., 0]  # along the floor (angle 0); the start is at x = −2.5, the minimum at 0
    overshoot = x.max(axis=0)
    # Along the floor (curvature 1, lr 0.1) heavy ball's roots z² − (1 + β − lr)z + β have modulus √β = 0.949,
    # Nesterov's z² − (1 + β)(1 − lr)z + β(1 − lr) only √(β(1 − lr)) = 0.9: it brakes earlier.
    assert overshoot[mom] > 1.3  # measured 1.51
    assert overshoot[nag] < 0.75 * overshoot[mom]  # measured 0.98, ratio 0.65
    crossings = sign_changes(x, floor=1e-3)
    assert crossings[nag] < crossings[mom]  # measured 4 vs 10
    reach = traj.steps_to_reach(1e-6)
    assert 0 < reach[nag] < reach[mom] / 2  # measured 44 vs 112


def _basins(traj) -> tuple[np.ndarray, np.ndarray]:
    """(runs,) index of the nearest minimum of each final point, and the distance to it."""
    minima = np.asarray(traj.surface.minima)
    dist = np.linalg.norm(traj.positions[-1][:, None, :] - minima[None], axis=-1)  # (runs, k)
    return dist.argmin(axis=1), dist.min(axis=1)


def test_local_minima_depend_on_the_optimizer_and_the_noise():
    traj = race("local-minima")
    basin, dist = _basins(traj)
    assert np.all(dist < 0.3)  # every run has settled in a basin (measured ≤ 0.005; the noisy one 0.07)
    depth = traj.surface.value(np.asarray(traj.surface.minima))
    deepest = int(depth.argmin())
    gd, mom, adam, noisy = (run_index(traj, k) for k in ("GD", "Momentum β=0.9", "Adam", "GD + noise σ=0.5"))
    assert len({basin[gd], basin[mom], basin[adam]}) >= 2
    assert basin[mom] == deepest != basin[gd]
    assert basin[noisy] != basin[gd]


def test_local_minima_noise_moves_gd_for_about_half_the_seeds():
    config = get_lesson("local-minima").config
    noisy = next(opt for opt in config.optimizers if opt.noise > 0)
    plain = next(opt for opt in config.optimizers if opt.label == "GD")
    runs = (plain,) + tuple(replace(noisy, label=f"seed {s}", seed=s) for s in range(20))
    basin, dist = _basins(many_runs(config, *runs))
    assert np.all(dist < 0.5)
    moved = int((basin[1:] != basin[0]).sum())
    assert 5 <= moved <= 15  # measured 9 of 20


def test_newton_solves_quadratics_in_one_step_but_seeks_the_saddle():
    traj = race("newton-saddle")
    gd, newton = run_index(traj, "GD"), run_index(traj, "Newton")
    pos = traj.positions[:, newton]
    # x is exactly quadratic (f_x = x, f_xx = 1): x_1 = x_0 − x_0/1 = 0.
    assert abs(pos[1, 0]) < 1e-12
    # y: y − (y³ − y)/(3y² − 1) = 2y³/(3y² − 1) — a negative curvature for |y| < 1/√3 pulls it to the saddle.
    y = 0.3
    for k in range(1, 4):
        y = 2 * y**3 / (3 * y**2 - 1)
        assert pos[k, 1] == pytest.approx(y, rel=1e-9, abs=1e-15)  # the step is computed as a difference
    # It stops at the saddle (0, 0), where the exact Hessian diag(1, −1) is indefinite: a saddle stop, not a
    # minimum, and its badge is not the green of "converged".
    assert traj.status[newton] == "saddle" and traj.stop_step[newton] <= 5  # measured 4
    assert traj.status_text(newton) == f"stopped at a saddle point at step {traj.stop_step[newton]}"
    assert STATUS_COLORS["saddle"] != STATUS_COLORS["converged"] == "green"
    assert np.linalg.norm(pos[-1]) < 1e-8  # at the saddle (0, 0)
    assert np.linalg.norm(traj.positions[-1, gd] - np.array([0.0, 1.0])) < 1e-3
    assert traj.loss[-1, gd] == pytest.approx(-0.25, abs=1e-6)
    # And on the round bowl one Newton step lands on the minimum.
    config = get_lesson("newton-saddle").config
    bowl = run_race(with_optimizers(config, config.optimizers[1], surface="quadratic", surface_params=(),
                                    start=(1.5, 1.0), steps=10))
    assert np.linalg.norm(bowl.positions[1, 0]) < 1e-12


def test_step_decay_shrinks_rmsprop_cycle():
    traj = race("step-decay")
    const, decay = run_index(traj, "RMSprop"), run_index(traj, "RMSprop, step decay")
    lr, kappa, factor, every = 0.1, 20.0, 0.7, 100
    assert {opt.value("beta") for opt in get_lesson("step-decay").config.optimizers} == {0.1}
    dist = traj.distance_to_nearest_minimum()  # (steps+1, runs)
    # Constant lr: a 2-cycle θ = ±a per coordinate has |g| constant, so s → g² and each step is ±lr; it must
    # carry a to −a, so a = lr/2: distance lr/√2 and loss gap (1 + κ)/2·(lr/2)² = 0.02625.
    np.testing.assert_allclose(dist[-50:, const].max(), lr / np.sqrt(2), rtol=1e-3)
    np.testing.assert_allclose(traj.loss[-1, const], (1 + kappa) / 2 * (lr / 2) ** 2, rtol=1e-3)
    # With decay the cycle before the k-th cut has lr·0.7^(k−1)/√2.
    for k in range(2, 7):
        window = dist[k * every - 20:k * every + 1, decay].max()
        np.testing.assert_allclose(window, lr * factor ** (k - 1) / np.sqrt(2), rtol=1e-6)  # measured 6e-7 off
    # The staircase: stage k (steps 100k+1 … 100k+100) runs at lr·0.7^k, so its cycle's gap is
    # 0.02625·0.49^k. β = 0.1 forgets the old s within a few steps (0.1^t), so every stage is flat — every
    # step of its second half within 1e-6 of that level (ε = 1e-8 next to |g| ≥ 0.01 shortens the step by
    # < 1e-6) — and no step of a stage rises above the previous stage's level (measured at most 0.54 of it).
    level = (1 + kappa) / 2 * (lr / 2) ** 2
    for k in range(6):
        stage = traj.loss[k * every + 1:(k + 1) * every + 1, decay]  # (100,)
        np.testing.assert_allclose(stage[every // 2:], level * factor ** (2 * k), rtol=1e-6)
        if k:
            assert stage.max() < 0.6 * level * factor ** (2 * (k - 1))
    # Five cuts by step 600: the loss gap is 0.7^10 = 0.028 of the constant one.
    np.testing.assert_allclose(traj.loss[-1, decay] / traj.loss[-1, const], factor**10, rtol=1e-6)


def test_learning_rate_matters_most():
    traj = race("learning-rate-importance")
    config = get_lesson("learning-rate-importance").config
    lrs = [opt.value("lr") for opt in config.optimizers]
    assert lrs == [0.0001, 0.001, 0.01, 0.1, 1.0] and {opt.value("beta") for opt in config.optimizers} == {0.5}
    gap = traj.loss[-1] - traj.surface.min_value
    # Across the valley (curvature κ = 20) heavy ball is stable only for lr·κ < 2(1 + β) = 3, i.e. lr < 0.15.
    # At lr 1 the root of z² − (1 + β − 20)z + β is ≈ −18.5: y goes 0.5 → −9.5 → 175.5 → −3242, past the
    # radius 100·3 = 300 at step 3.
    assert traj.status_text(4) == "diverged at step 3"
    assert gap[0] > 0.5  # lr 1e-4 crawls (measured 2.60)
    assert traj.steps_to_reach(1e-6)[1] == -1  # lr 1e-3 is not there within 500 steps (measured gap 0.42)
    # lr 0.01 and lr 0.1 differ clearly. Each coordinate follows z² − (1 + β − lr·λ)z + β = 0 (λ = 1 along the
    # floor, 20 across). lr 0.1: z² − 1.4z + 0.5 and z² + 0.5z + 0.5 have complex roots, |z| = √β = 0.7071.
    # lr 0.01: across, z² − 1.3z + 0.5 is complex (|z| = 0.7071), but along the floor z² − 1.49z + 0.5 has
    # the real root (1.49 + √0.2201)/2 = 0.97957, which sets the pace. Steps to the same tolerance scale as
    # ln 0.7071 / ln 0.97957 = 16.8.
    slow = (1.49 + np.sqrt(1.49**2 - 2)) / 2
    assert slow == pytest.approx(0.97957, abs=1e-5)
    u = traj.positions[:, 2, 0]  # lr 0.01 along the floor: ratio of consecutive positions → the slow root
    assert u[301] / u[300] == pytest.approx(slow, rel=1e-9)
    reach = traj.steps_to_reach(1e-6)
    assert reach[3] > 0 and reach[2] > 0
    ratio = reach[2] / reach[3]  # measured 364 / 20 = 18.2
    assert 16.8 / 1.5 < ratio < 16.8 * 1.5
    assert traj.status_text(3).startswith("converged to a minimum")  # lr 0.1: |θ| ≤ 1e-8 well within 500
    assert traj.status_text(2) == "not converged in 500 steps"  # lr 0.01: 2.5·0.97957^t ≤ 1e-8 needs t ≈ 940
    running = traj.status != "diverged"
    assert gap[running].max() / max(gap[running].min(), 1e-300) > 1e10
    # β, by contrast: at lr 0.01, β = 0.8, 0.9, 0.95 all reach 1e-6 within 500 steps, within a factor 3 of
    # each other (measured 108, 126, 244 steps).
    base = config.optimizers[2]
    betas = tuple(base.with_values(beta=b) for b in (0.8, 0.9, 0.95))
    labelled = tuple(replace(o, label=f"β {o.value('beta')}") for o in betas)
    reach = run_race(with_optimizers(config, *labelled)).steps_to_reach(1e-6)
    assert np.all(reach > 0) and reach.max() < 3 * reach.min()


def test_lessons_open_on_the_step_that_shows_their_claim():
    """Where a lesson opens before its last step, the picture at that step already says its sentence."""
    saddle = run_race(get_lesson("saddle-point").config)
    gd, momentum, noisy = saddle.positions[get_lesson("saddle-point").opening_step]
    assert np.hypot(*gd) < 0.05  # GD on the saddle at the origin
    assert np.hypot(momentum[0], momentum[1] - 1) < 0.1  # Momentum in the minimum at (0, 1)
    assert np.hypot(*noisy) > 0.5  # the noisy run has left the saddle
    bias = run_race(get_lesson("adam-bias-correction").config)
    step = get_lesson("adam-bias-correction").opening_step
    start = np.asarray(get_lesson("adam-bias-correction").config.start)
    corrected, uncorrected = bias.positions[step] - start
    # the corrected Adam moves about lr = 0.02 per coordinate per step (a sign-like step of size lr)
    np.testing.assert_allclose(np.abs(corrected), 0.02 * step, rtol=0.1)
    assert np.all(np.abs(uncorrected) > 3 * np.abs(corrected))  # the uncorrected one leapt ahead


# ------------------------------------------------------------------------------------- the first frame
#
# Every lesson, the twelve, the theory ones and the optimizer ones, is run as the app loads it (its race through the
# controls and back) and checked at the frame the student sees first: ``opening_step`` where the
# lesson sets one, else the last step (views the race component does not play, such as "inside" and
# "theory", draw every step at once). Each check looks only at the steps up to that frame, derives its
# thresholds by hand (comments), and returns the numbers the lesson's texts quote, which the test then
# finds in the English look-for or explanation: the sentence says what the core computes.


def loaded_race(lesson: Lesson, lang: str = "en"):
    """The race the app runs once the lesson is loaded: its setting through the controls and back."""
    state = AppState(lesson.race_config(lang), view=lesson.view, lang=lang, lesson=lesson.id)
    shown = app_state(widget_values(state))
    assert shown == canonical(state) and shown.view == lesson.view and shown.lesson == lesson.id
    return run_race(shown.config)


def first_frame(lesson: Lesson, traj) -> int:
    return traj.steps if lesson.opening_step is None else lesson.opening_step


def shown_status(traj, run: int, step: int) -> str:
    """The status badge at ``step``: the run's status once it has stopped or the race has ended, else "running"."""
    return traj.status_text(run) if 0 <= traj.stop_step[run] <= step or step == traj.steps else "running"


def _saddle_point(traj, step):
    gd, mom, noisy = (run_index(traj, k) for k in ("GD", "Momentum β=0.9", "GD + noise σ=0.1"))
    at = traj.positions[step]  # (runs, 2)
    # GD at step 80: x = −1.5·0.95^80 = −0.025, y ≈ 1e-4·1.05^80 = 0.005, so within 0.05 of the ✕ at (0, 0);
    # it has been inside 0.1 since t > ln 15 / −ln 0.95 = 52.8, steps 53 … 80 so far.
    assert np.hypot(*at[gd]) < 0.05 and np.all(np.hypot(*traj.positions[53:step + 1, gd].T) < 0.1)
    # Momentum sits in the minimum (0, 1) already, the noisy run is off the ridge, both shown "running".
    assert np.hypot(at[mom, 0], at[mom, 1] - 1) < 0.1 and np.hypot(*at[noisy]) > 0.5
    assert {shown_status(traj, r, step) for r in range(traj.runs)} == {"running"}
    # "about 90 steps" on the ✕: inside 0.1 from step 53 until y = 1e-4·1.05^t reaches 0.1, t ≈ 141.6.
    inside = int((np.linalg.norm(traj.positions[:, gd], axis=-1) < 0.1).sum())
    assert abs(inside - (math.log(1000) / math.log(1.05) - math.log(15) / -math.log(0.95))) <= 3
    return [f"{round(inside, -1):.0f}"]


def _plateau(traj, step):
    gd, adam = run_index(traj, "GD"), run_index(traj, "Adam")
    # GD moves lr·|∇f| ≈ 0.32·0.0019 = 6e-4 a step from a loss of 1 − e^{−r²/2} ≈ 0.9995: it stays above 0.998.
    assert traj.loss[step, gd] > 0.998
    # Adam's steps are about lr = 0.05 per coordinate: the 2.5 along y take 50 steps; the basin (loss < 0.1,
    # r < 0.46) is reached a little sooner along the diagonal (measured step 44): "about 45".
    basin = int(np.argmax(traj.loss[:step + 1, adam] < 0.1))
    assert traj.loss[basin, adam] < 0.1 and 35 <= basin <= 55
    return ["300", "0.998", f"{round(basin / 5) * 5}"]


def _ravine(traj, step):
    gd, mom, rms, adam = (run_index(traj, k) for k in ("GD", "Momentum β=0.9", "RMSprop β=0.9", "Adam"))
    v = traj.positions[:step + 1, :, 1]  # across the valley
    # GD's v_t = 0.5·(−0.975)^t: |v| ≥ 0.5·0.975^100 = 0.040 > 0.01, so every one of the 100 steps flips it.
    flips = sign_changes(v, floor=0.01)
    assert flips[gd] == step == 100
    # Momentum (textbook: v = βv + (1 − β)g) across the valley: z² − (1 + β − lr(1 − β)κ)z + β = 0 has complex
    # roots at angle θ, cos θ = 1.7025/(2√0.9), so v changes sign at most about 100·θ/π = 14.5 times
    # (measured 4, the floor hides the late small swings); RMSprop and Adam a twentieth of GD (measured 3, 0).
    theta = math.acos((1 + 0.9 - 0.079 * 0.1 * 25) / (2 * math.sqrt(0.9)))
    assert flips[mom] <= math.ceil(step * theta / math.pi) and max(flips[rms], flips[adam]) <= step / 20
    return ["25"]


def _learning_rate_too_large(traj, step):
    low, edge, high = range(3)
    # Statuses at the last step, derived in test_learning_rate_bound_two_over_l: 32, never, 17.
    assert [shown_status(traj, r, step) for r in range(3)] == [
        "converged to a minimum at step 32", "not converged in 50 steps", "diverged at step 17"]
    # The ✕ is drawn from step 17 on, where the run left the ±2 map; before that six jumps of growing length
    # (factor 1.6: 0.1·1.6^t ≤ 2 while t ≤ 6.37) are drawn inside it.
    inside = np.abs(traj.positions[:step + 1, high]).max(axis=1) <= 2.0
    assert inside.sum() == 7 and inside[:7].all()
    jumps = np.linalg.norm(np.diff(traj.positions[:7, high], axis=0), axis=-1)
    np.testing.assert_allclose(jumps[1:] / jumps[:-1], 1.6, rtol=1e-12)  # exact up to rounding
    return ["1.3", "1.6", "17", "0.79"]


def _adagrad_vs_rmsprop(traj, step):
    ada, rms = run_index(traj, "AdaGrad"), run_index(traj, "RMSprop β=0.9")
    eff = traj.internals["effective_lr"][1:step + 1]  # (steps, runs, 2)
    assert np.all(np.diff(eff[:, ada], axis=0) <= 0) and np.all(eff[-1, rms] > eff[0, rms])
    # RMSprop within 1e-6 at about 100 steps (measured 105); AdaGrad's distance after 300 is at least
    # √(0.827² + 0.327²) = 0.89 by the √t bound of test_adagrad_decays_too_early_rmsprop_recovers.
    reach = int(traj.steps_to_reach(1e-6)[rms])
    away = float(np.linalg.norm(traj.positions[step, ada]))
    assert 0 < reach <= step and 0.89 <= away
    return [f"{round(reach, -2):.0f}", f"{round(away):.0f}", "300"]


def _adam_bias_correction(traj, step):
    on, off = run_index(traj, "Adam"), run_index(traj, "Adam, no bias correction")
    moved = traj.positions[step] - traj.positions[0]  # (runs, 2)
    # Corrected: the steady gradient's sign-like step, lr = 0.02 per coordinate, so 0.4 by step 20 (10 %: the
    # gradient shrinks as it nears the minimum). Uncorrected: 3.16 … 6 times that, so past the minimum at 0.
    np.testing.assert_allclose(np.abs(moved[on]), 0.02 * step, rtol=0.1)
    assert np.all(np.abs(moved[off]) > 3 * np.abs(moved[on])) and np.all(traj.positions[step, off] < 0)
    overshoot = -float(traj.positions[:, off, 0].min())
    return ["0.02", "3", "6", f"{overshoot:.2f}"]


def _momentum_conventions(traj, step):
    torch_run, notes, notes_big = range(3)
    np.testing.assert_allclose(traj.positions[:step + 1, torch_run], traj.positions[:step + 1, notes_big],
                               atol=1e-12)  # the same update up to rounding in (1 − β)·lr
    first = np.linalg.norm(traj.positions[1] - traj.positions[0], axis=-1)
    assert first[torch_run] / first[notes] == pytest.approx(1 / (1 - 0.9), rel=1e-12)  # "tenfold"
    return ["0.01", "0.1"]


def _nesterov(traj, step):
    mom, nag = run_index(traj, "Momentum β=0.9"), run_index(traj, "Nesterov β=0.9")
    x = traj.positions[:step + 1, :, 0]
    overshoot = x.max(axis=0)
    # Along the floor the heavy ball's roots have modulus √0.9 = 0.949, Nesterov's √(0.9·0.9) = 0.9.
    assert overshoot[nag] < overshoot[mom] and sign_changes(x, 1e-3)[nag] < sign_changes(x, 1e-3)[mom]
    return [f"{overshoot[mom]:.1f}", f"{overshoot[nag]:.1f}"]


def _local_minima(traj, step):
    basin, dist = _basins(traj)
    gd, mom = run_index(traj, "GD"), run_index(traj, "Momentum β=0.9")
    depth = traj.surface.value(np.asarray(traj.surface.minima))
    assert step == traj.steps and np.all(dist < 0.3) and basin[mom] == depth.argmin() != basin[gd]
    return []


def _newton_saddle(traj, step):
    gd, newton = run_index(traj, "GD"), run_index(traj, "Newton")
    assert abs(traj.positions[1, newton, 0]) < 1e-12  # x = x0 − x0/1 in one step, up to the rounding of 1.5
    status = shown_status(traj, newton, step)
    assert status == "stopped at a saddle point at step 4" and STATUS_COLORS["saddle"] != "green"
    assert i18n_status(traj, newton, "zh") == "第 4 步停在鞍点"  # the badge the Chinese page shows
    assert np.hypot(*traj.positions[step, newton]) < 1e-8
    assert np.hypot(traj.positions[step, gd, 0], traj.positions[step, gd, 1] - 1) < 1e-3
    return ["4", "0, 1"]


def _step_decay(traj, step):
    const, decay = run_index(traj, "RMSprop"), run_index(traj, "RMSprop, step decay")
    lr, kappa, factor, every = 0.1, 20.0, 0.7, 100
    level = (1 + kappa) / 2 * (lr / 2) ** 2  # the 2-cycle θ = ±lr/2 per coordinate (see the test above)
    assert traj.loss[step, const] == pytest.approx(level, rel=1e-3)
    # The staircase: at the cut to stage k the cycle ±a steps by 0.7·2a and lands at ∓0.4a, a single dip to
    # 0.16/0.49 = 0.33 of the new level; within 10 steps (β = 0.1 forgets as 0.1^t) every point is within 10 %
    # of its level, so each stage shows as a flat stair 0.49 below the last, with a one-step notch.
    for k in range(1, step // every):
        stage = traj.loss[k * every + 1:(k + 1) * every + 1, decay] / (level * factor ** (2 * k))  # (100,)
        assert stage.min() == pytest.approx(0.16 / 0.49, rel=1e-3)
        assert np.all(np.abs(stage[10:] - 1) < 0.1) and np.sum(np.abs(stage - 1) > 0.1) <= 3
    return [f"{level:.3f}", "0.49", "100"]


def _learning_rate_importance(traj, step):
    gap = np.maximum(traj.loss[:step + 1] - traj.surface.min_value, 1e-300)  # (steps+1, runs)
    reach = traj.steps_to_reach(1e-6)
    assert reach[0] == reach[1] == -1 and shown_status(traj, 4, step) == "diverged at step 3"
    # Every two learning rates draw visibly different curves on the log axis: a factor of 3 apart somewhere.
    lines = np.log10(gap)
    for i in range(traj.runs):
        for j in range(i):
            both = int(min(traj.last_step[i], traj.last_step[j], step)) + 1  # the steps both curves are drawn
            assert np.abs(lines[:both, i] - lines[:both, j]).max() > np.log10(3), (i, j)
    # "about 18 times sooner": the asymptotic 16.8 (ln 0.7071 / ln 0.97957) plus the transient.
    sooner = reach[2] / reach[3]
    assert 16.8 / 1.5 < sooner < 16.8 * 1.5
    return [f"{round(reach[2], -1):.0f}", f"{reach[3]}", "3", f"{round(sooner):.0f}"]


def _stability_edge(traj, step):
    # Statuses derived in tests/test_theory_lessons.py::test_stability_edge (403 by hand, 377 ± 2).
    assert [shown_status(traj, r, step) for r in range(2)] == [
        "converged to a minimum at step 377", "diverged at step 403"]
    # "the loss of lr 0.063 turns upward": along the floor (λ = 1) ½·2.5²·0.937^{2t}, across (λ = 32)
    # 16·0.5²·1.016^{2t}; their sum falls while 3.125·ln(1/0.878)·0.878^t > 4·ln 1.032·1.032^t, up to
    # t = ln(0.407/0.126)/ln(1.032/0.878) = 7.2, and rises from there until the run is stopped (and frozen).
    loss = traj.loss[:int(traj.stop_step[1]), 1]
    turn = math.log(3.125 * math.log(1 / 0.937**2) / (4 * math.log(1.016**2))) / math.log(1.016**2 / 0.937**2)
    assert abs(int(loss.argmin()) - turn) <= 1 and np.all(np.diff(loss[int(loss.argmin()):]) > 0)
    return ["31.7", "40", "403", "377"]


def _critical_damping(traj, step):
    x = traj.positions[:, :, 0]
    flips = [int(((x[1:last + 1, r] * x[:last, r]) < 0).sum()) for r, last in enumerate(traj.last_step)]
    # β = 0.4: real roots 0.8 and 0.5, never across; β = 0.5 and 0.9 cross about last·θ/π times, θ from
    # cos θ = (1 + β − 0.1)/(2√β): 59·0.142/π = 2.7 and 100·0.322/π = 10.2.
    assert flips[1] == 0 and flips[2] in (2, 3) and flips[3] in (10, 11)
    assert flips[2] == 2  # the look-for's "overshoots twice"
    reach = traj.steps_to_reach(1e-10)
    assert reach[0] == reach[3] == -1 and 0 < reach[2] < reach[1]
    return [f"{flips[3]}", f"{reach[2]}", f"{math.sqrt(0.5):.2f}"]


def _optimal_momentum(traj, step):
    reach = traj.steps_to_reach(1e-6)
    # GD by hand: ½·6.25·0.984^{2t} ≤ 1e-6 from t = ⌈ln 3.125e6 / (−2 ln 0.984)⌉ = 464.
    assert reach[0] == math.ceil(math.log(3.125e6) / (-2 * math.log(0.984))) <= step
    return [f"{reach[1]}", f"{reach[0]}", f"{reach[0] / reach[1]:.1f}"]


def _range_test(traj, step):
    reach = traj.steps_to_reach(1e-6)
    assert 0 < reach[1] < reach[0] <= step
    return [f"{claim_range_test()['suggested_lr']:.3f}", f"{reach[0]}", f"{reach[1]}"]


def _sign_directions(traj, step):
    gd, lion, rprop = (run_index(traj, k) for k in ("GD", "Lion", "Rprop"))
    moves = np.diff(traj.positions[:step + 1], axis=0)  # (steps, runs, 2)
    # Lion: θ_t = θ_{t−1} − η·sign(c_t) with c_t never exactly 0 here, so |Δθ_i| = η = 0.02 up to the rounding
    # of θ (|θ| < 2, ulp 4.4e-16, a few of them against 0.02: 1e-12 relative is ample); four sign patterns.
    np.testing.assert_allclose(np.abs(moves[:, lion]), 0.02, rtol=1e-12)
    diagonals = {tuple(pattern) for pattern in np.sign(moves[:, lion]).astype(int).tolist()}
    assert diagonals == {(1, 1), (1, -1), (-1, 1), (-1, -1)}
    # "it ends stepping around the minimum at (1, 1)": its last 100 points all near it (measured within 0.063),
    # yet it never stops: every step above was a full one.
    assert np.all(np.linalg.norm(traj.positions[step - 100:step + 1, lion] - 1.0, axis=-1) < 0.1)
    # Rprop − waits a step in a coordinate whose gradient flipped sign against the last kept one (ĝ ← 0 then):
    # the steps that moved exactly one coordinate are those where exactly one coordinate flipped.
    grad = traj.grad[:step, rprop]  # (steps, 2): g_t, taken at θ_{t−1}
    kept, flipped = np.zeros(2), np.zeros((step, 2), dtype=bool)
    for t, g in enumerate(grad):
        flipped[t] = g * kept < 0
        kept = np.where(flipped[t], 0.0, g)
    still = moves[:, rprop] == 0
    np.testing.assert_array_equal(still, flipped)
    axis_steps = int((flipped.sum(axis=1) == 1).sum())
    # Directions to 0.1°: Lion's four diagonals, Rprop's few (|Δy|/|Δx| is a ratio of lr·1.2^a·0.5^b sizes),
    # against gradient descent, whose direction turns with the gradient (measured 78 distinct).
    angles = np.degrees(np.arctan2(moves[..., 1], moves[..., 0]))  # (steps, runs)
    count = [len(set(np.round(angles[~still.all(axis=1) if r == rprop else slice(None), r], 1))) for r in range(3)]
    assert count[lion] == 4 < count[rprop] < count[gd] / 4
    return [f"{step}", "0.02", f"{count[lion]}", f"{count[rprop]}", f"{axis_steps}"]


def _rotation(traj, step):
    config = get_lesson("rotation").config
    angle = dict(config.surface_params)["angle"]
    assert angle == 45.0
    # The same contestants on the level valley (0°) from the lesson's start turned back (not a four-decimal
    # start, but this race is only the yardstick): a method whose step turns with the gradient traces the
    # same path turned, up to rounding (rotation_lesson.TOLERANCE, 1e-9, explains the bound).
    level = run_race(replace(config, surface_params=(("condition", 20.0), ("angle", 0.0)),
                             start=tuple(float(v) for v in rotation(angle).T @ np.asarray(config.start))))
    back = traj.positions[:step + 1] @ rotation(angle)  # each p ↦ Rᵀp
    apart = np.linalg.norm(back - level.positions[:step + 1], axis=-1).max(axis=0)  # (runs,)
    same, other = ("GD", "Momentum", "Newton", "Shampoo"), ("Adam", "RMSprop", "Lion", "Rprop")
    assert all(apart[run_index(traj, k)] <= ROTATION_TOLERANCE for k in same)
    assert all(apart[run_index(traj, k)] > 0.1 for k in other)  # a visible part of the 6 × 4 map
    # The loss is rotation-invariant: same path, same loss. The ends agree within 1e-9 (above) and there
    # |∇f|² = u² + κ²v² ≤ 2κf, which with f < 1e-3 (measured at most 1.3e-4) keeps |∇f| < 0.2: losses within 2e-10.
    for k in ("GD", "Momentum", "Shampoo"):
        run = run_index(traj, k)
        assert level.loss[step, run] < 1e-3 and abs(traj.loss[step, run] - level.loss[step, run]) <= 2e-10
    newton, rprop = run_index(traj, "Newton"), run_index(traj, "Rprop")
    turned, flat = traj.steps_to_reach(1e-6), level.steps_to_reach(1e-6)
    # Newton at lr 0.5 halves the error along both axes each step, so the loss ½(u² + 20v²) = ½(2.5² + 20·0.5²)
    # = 5.625 falls by 4 a step: within 1e-6 from t = ⌈ln 5.625e6 / ln 4⌉ = 12 (the start's rounding moves the
    # loss by ~1e-4 of itself, far from the 11.2 → 12 edge).
    assert turned[newton] == flat[newton] == math.ceil(math.log(5.625e6) / math.log(4))
    assert 0 < flat[rprop] and turned[rprop] == -1 and step == 100
    return [f"{turned[newton]}", f"{flat[rprop]}", f"{step}", f"{apart[run_index(traj, 'RMSprop')]:.2f}",
            f"{apart[rprop]:.1f}"]


def _schedule_free(traj, step):
    # The race is the claim's setting, with the rates its tuning picks on the lr ladder.
    result = schedule_free_matches_cosine()
    config = get_lesson("schedule-free").config
    assert (config.surface, config.start, config.steps) == (result["surface"], result["start"], result["steps"])
    assert {opt.noise for opt in config.optimizers} == {result["noise"]}
    assert {key: result[key]["lr"] for key in SCHEDULE_FREE_LRS} == SCHEDULE_FREE_LRS
    assert [opt.value("lr") for opt in config.optimizers] == [SCHEDULE_FREE_LRS[key] for key in
                                                               ("schedule_free", "cosine", "constant")]
    assert result["matches"] and result["schedule_matters"]
    sf, cos, const = range(3)
    gap = traj.loss[:step + 1] - traj.surface.min_value  # (steps+1, runs), the curves of the loss view
    below = [int(np.argmax(gap[:, r] < 1e-3)) if (gap[:, r] < 1e-3).any() else -1 for r in range(3)]
    assert 0 < below[sf] < below[cos] and below[const] == -1
    # The cosine's rate at step 85 is ½(1 + cos(85π/100)) = 0.05 of its peak: "as its rate nears 0".
    assert 0.5 * (1 + math.cos(math.pi * below[cos] / step)) < 0.1
    ratio = gap[step, const] / gap[step, cos]
    assert ratio > 1
    return [f"{result['seeds']}", f"{result['schedule_free_over_cosine']:.2f}",
            f"{result['constant_over_cosine']:.1f}", "0.001", f"{below[sf]}", f"{below[cos]}", f"{ratio:.1f}"]


def _lbfgs_rosenbrock(traj, step):
    lbfgs, wolfe, adam = (run_index(traj, k) for k in ("L-BFGS", "L-BFGS + strong Wolfe", "Adam lr=1.6"))
    # Rosenbrock's Hessian at (1, 1) is [[802, −400], [−400, 200]]: trace 1002, determinant 400, so its
    # eigenvalues (1002 ± √(1002² − 1600))/2 are 1001.6 and 0.3994, a ratio of 2508: "about 2500".
    eig = np.linalg.eigvalsh(traj.surface.hessian(np.array([1.0, 1.0])))
    ratio = (1002 + math.sqrt(1002**2 - 1600)) / (1002 - math.sqrt(1002**2 - 1600))
    assert eig[1] / eig[0] == pytest.approx(ratio, rel=1e-9) and round(ratio, -2) == 2500
    # The same counts as the claim, which runs torch's default tolerances and Adam at every notch of the ladder.
    claim = lbfgs_versus_adam()
    reach = traj.steps_to_reach(claim["gap"])
    config = get_lesson("lbfgs-rosenbrock").config
    assert (config.surface, config.start, claim["gap"]) == (claim["surface"], claim["start"], 1e-6)
    assert claim["adam"]["lr"] == config.optimizers[adam].value("lr")
    assert [reach[lbfgs], reach[wolfe], reach[adam]] == [claim["lbfgs"]["pytorch"]["steps"],
                                                         claim["lbfgs"]["textbook"]["steps"], claim["adam"]["steps"]]
    assert 10 <= reach[wolfe] < reach[lbfgs] < 100 <= reach[adam] <= step  # "tens" against "hundreds"
    evaluations = int(traj.internals["evaluations"][1:reach[wolfe] + 1, wolfe, 0].sum())
    assert evaluations == claim["lbfgs"]["textbook"]["evaluations"] > reach[wolfe]  # the line search's cost
    # Without a line search each step is one evaluation
    assert np.all(traj.internals["evaluations"][1:reach[lbfgs] + 1, lbfgs, 0] == 1)
    # Both L-BFGS runs are shown as converged, Adam still running, once the race ends.
    assert [traj.status[r] for r in (lbfgs, wolfe, adam)] == ["converged", "converged", "running"]
    return [f"{round(ratio, -2):.0f}", f"{reach[lbfgs]}", f"{reach[wolfe]}", f"{evaluations}", "1.6",
            f"{reach[adam]}", f"{round(reach[adam] / reach[wolfe]):.0f}"]


def _sam_flat_minimum(traj, step):
    gd, sam = run_index(traj, "GD"), run_index(traj, "SAM ρ=0.5")
    config = get_lesson("sam-flat-minimum").config
    claim = sam_versus_sgd()
    assert (config.surface, config.start) == (claim["surface"], claim["start"])
    assert {opt.value("lr") for opt in config.optimizers} == {claim["lr"]}
    assert config.optimizers[sam].value("rho") == claim["rho"]
    # Both minima have f = 0 (the surface's construction); their Hessians diag(2, 40) and diag(2, 1).
    minima = np.asarray(traj.surface.minima)
    assert traj.surface.value(minima).tolist() == [0.0, 0.0]
    assert [float(np.linalg.eigvalsh(traj.surface.hessian(m))[-1]) for m in minima] == [40.0, 2.0]
    # Where each ends: the basin plain descent drains its end point to, as the claim judges it, and the same as
    # the claim's 2000-step runs.
    assert basin_of(traj.surface, traj.positions[step]) == [0, 1]
    assert (claim["sgd"]["basin"], claim["sam"]["basin"]) == ("sharp", "flat")
    assert shown_status(traj, gd, step) == "converged to a minimum at step 277"
    assert np.linalg.norm(traj.positions[step, gd] - minima[0]) < 1e-8
    # SAM: past x = 0 after one step, then within 0.1 of (1, 0) (measured from step 50 on, 0.075 at most).
    x = traj.positions[:step + 1, sam, 0]
    assert x[1] > 0 and np.all(x[1:] > 0)
    settled = np.linalg.norm(traj.positions[50:step + 1, sam] - minima[1], axis=-1)
    assert settled.max() < 0.1
    # Never at rest: on the floor (y = 0) near x = 1 the ascent point is x ∓ 0.5, where f' = a(a² − 1). For x
    # in (0.92, 1) that is a ∈ (0.42, 0.5), |f'| ≥ 0.42·(1 − 0.42²) = 0.346, a step of 0.04·0.346 = 0.0138
    # forward; past 1 it is a ≈ 1.5, |f'| ≈ 1.875, a jump of 0.075 back. So every step moves more than 0.01.
    moves = np.linalg.norm(np.diff(traj.positions[50:step + 1, sam], axis=0), axis=-1)
    assert moves.min() > 0.01 and shown_status(traj, sam, step) == f"not converged in {step} steps"
    return ["277", "0.1", "0.5", "40", "2"]


FRAME_CLAIMS = {
    "saddle-point": _saddle_point, "plateau": _plateau, "ravine": _ravine,
    "learning-rate-too-large": _learning_rate_too_large, "adagrad-vs-rmsprop": _adagrad_vs_rmsprop,
    "adam-bias-correction": _adam_bias_correction, "momentum-conventions": _momentum_conventions,
    "nesterov": _nesterov, "local-minima": _local_minima, "newton-saddle": _newton_saddle,
    "step-decay": _step_decay, "learning-rate-importance": _learning_rate_importance,
    "stability-edge": _stability_edge, "critical-damping": _critical_damping,
    "optimal-momentum": _optimal_momentum, "range-test": _range_test,
    "sign-directions": _sign_directions, "rotation": _rotation, "schedule-free": _schedule_free,
    "lbfgs-rosenbrock": _lbfgs_rosenbrock, "sam-flat-minimum": _sam_flat_minimum,
}


def test_every_lesson_has_a_first_frame_check():
    assert list(FRAME_CLAIMS) == [lesson.id for lesson in ALL_LESSONS]


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_claim_shows_at_the_loaded_setting_and_the_first_frame(lesson: Lesson):
    traj = loaded_race(lesson)
    step = first_frame(lesson, traj)
    assert 0 < step <= traj.steps
    assert lesson.opening_step is None or lesson.view in PLAYED  # only a played view opens at a step
    quoted = FRAME_CLAIMS[lesson.id](traj, step)
    words = lesson.look_for["en"] + " " + lesson.explanation["en"]
    for number in quoted:
        assert re.search(rf"(?<![\d.\-]){re.escape(number)}(?![\d])", words), (number, words)


# What a look-for sentence points at, and the view that draws it.
POINTED_AT = {"In the loss view": "loss", "In the sharpness plot": "theory", "In the range-test plot": "theory",
              "effective learning rate falls": "inside", "Side by side": "side"}


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_the_lesson_opens_on_the_view_its_sentence_points_at(lesson: Lesson):
    pointed = {view for words, view in POINTED_AT.items() if words in lesson.look_for["en"]}
    assert pointed <= {lesson.view}, (lesson.id, pointed)


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda lesson: lesson.id)
def test_both_languages_quote_the_same_numbers(lesson: Lesson):
    number = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?")
    for field in ("explanation", "question", "look_for"):
        text = getattr(lesson, field)
        assert sorted(number.findall(text["en"])) == sorted(number.findall(text["zh"])), field


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lessons_results_table_reads_as_words_and_short_numbers(lang):
    """The table view of "learning rate matters most": the contestants' names, "never" (translated) where the
    tolerance is not reached, three significant digits, every header in the page's language."""
    from optviz.app.views.table import results_table  # the view module imports streamlit; only this test needs it
    from optviz.i18n import t

    traj = run_race(get_lesson("learning-rate-importance").race_config(lang))
    table = results_table(traj, 1e-6, lang)
    steps = t("table.steps_to", lang, tol="1e-6")
    assert list(table.columns) == [t(f"table.{key}", lang) for key in ("label", "status", "final_loss", "best_loss")] \
        + [steps, t("table.final_x", lang), t("table.final_y", lang)]
    assert table[t("table.label", lang)].tolist() == [f"Momentum lr={lr:g}" for lr in (0.0001, 0.001, 0.01, 0.1, 1)]
    reach = traj.steps_to_reach(1e-6)
    never = t("table.never_reached", lang)
    assert never == {"en": "never", "zh": "从未"}[lang]
    assert table[steps].tolist() == [never if r < 0 else str(r) for r in reach]
    assert table[steps].tolist().count(never) == 3  # lr 1e-4 and 1e-3 crawl, lr 1 diverged at step 3
    for key in ("final_loss", "best_loss", "final_x", "final_y"):
        for text in table[t(f"table.{key}", lang)]:
            mantissa = re.sub(r"[^0-9]", "", text.split("e")[0]).lstrip("0")
            assert len(mantissa) <= 3, (key, text)  # at most three significant digits
    assert table[t("table.final_loss", lang)].iloc[0] == f"{traj.loss[-1, 0]:.3g}"
    assert "-1" not in table[steps].tolist()
