"""Classroom lessons: each loads as a valid race on the app's control ladders, and each lesson's
claim holds when its race is run.

Thresholds are derived by hand in the comments (the closed forms of GD on quadratics, the roots
of the momentum recurrences, AdaGrad's √t bound); "measured" notes give the value the run
produced, so the margin of every assertion can be read off.
"""
import re
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from optviz import controls
from optviz.app.widget_values import race_slots
from optviz.classroom.lessons import LESSONS, VIEWS, Lesson, get_lesson
from optviz.limits import APP_STEPS, START_RANGE, STEPS_NOTCH
from optviz.optimizers import HYPERPARAMETERS
from optviz.race import OptimizerConfig, RaceConfig, run_race, unique_labels, validate
from optviz.schedules import KINDS, schedule_fields, schedule_text
from optviz.simulate import default_divergence_radius, simulate
from optviz.trajectory import STATUS_COLORS
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


def test_unknown_lesson_names_the_choices():
    with pytest.raises(ValueError, match="saddle-point"):
        get_lesson("nope")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_texts_are_bilingual(lesson: Lesson):
    for field in ("title", "explanation", "question", "look_for"):
        text = getattr(lesson, field)
        assert set(text) == {"en", "zh"}, field
        assert text["en"].strip() and text["zh"].strip(), field
        assert CJK.search(text["zh"]) and not CJK.search(text["en"]), field
    assert 2 <= len(SENTENCE_END_EN.findall(lesson.explanation["en"])) <= 4
    assert 2 <= lesson.explanation["zh"].count("。") <= 4


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
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
