"""The four theory lessons: valid races on the app's notches, and each claim against a hand derivation."""
import math
import re
from functools import lru_cache

import numpy as np
import pytest

from optviz import controls
from optviz.classroom import theory_lessons as T
from optviz.classroom.lessons import LESSONS, VIEWS
from optviz.limits import APP_STEPS, STEPS_NOTCH
from optviz.optimizers import HYPERPARAMETERS
from optviz.race import run_race, unique_labels, validate
from surfaces import PARAMETERS

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END_EN = re.compile(r"[.!?](?=\s|$)")


def test_four_lessons_with_new_unique_ids():
    ids = [lesson.id for lesson in T.THEORY_LESSONS]
    assert ids == ["stability-edge", "critical-damping", "optimal-momentum", "range-test"]
    assert not set(ids) & {lesson.id for lesson in LESSONS}
    with pytest.raises(ValueError, match="stability-edge"):
        T.get_theory_lesson("nope")


@pytest.mark.parametrize("lesson", T.THEORY_LESSONS, ids=lambda lesson: lesson.id)
def test_lesson_is_bilingual_valid_and_on_the_notches(lesson):
    for field in ("title", "explanation", "question", "look_for"):
        text = getattr(lesson, field)
        assert set(text) == {"en", "zh"} and CJK.search(text["zh"]) and not CJK.search(text["en"]), field
    assert 2 <= len(SENTENCE_END_EN.findall(lesson.explanation["en"])) <= 4
    assert 2 <= lesson.explanation["zh"].count("。") <= 4
    config = lesson.config
    validate(config)
    assert lesson.view in VIEWS
    assert APP_STEPS[0] <= config.steps <= APP_STEPS[1] and config.steps % STEPS_NOTCH == 0
    assert {p for p, _ in config.surface_params} == {p.name for p in PARAMETERS[config.surface]}
    for spec in PARAMETERS[config.surface]:
        value = dict(config.surface_params)[spec.name]
        assert value in set(controls.surface_ladder(spec)) if spec.log else spec.check(value) == value
    for opt in config.optimizers:
        assert {k for k, _ in opt.hyperparams} == {p.name for p in HYPERPARAMETERS[opt.name]}
        for key, value in opt.hyperparams:
            assert controls.snap(key, value) == value, (opt.label, key, value)
    assert unique_labels(config.optimizers) == [opt.label for opt in config.optimizers]
    assert not lesson.labels_zh or len(set(lesson.labels_zh)) == len(config.optimizers)


@lru_cache(maxsize=None)
def claim(name):
    return getattr(T, f"claim_{name}")()


def test_stability_edge():
    c = claim("stability_edge")
    # λ_max = κ = 32 everywhere; limits 2/0.05 = 40 and 2/0.063 = 31.746
    np.testing.assert_allclose(c["sharpness"], 32.0, rtol=1e-12)
    assert c["limit"][0] == pytest.approx(40.0, rel=1e-14) and c["limit"][1] == pytest.approx(2 / 0.063, rel=1e-14)
    assert c["crossing"] == [-1, 0]
    assert c["status"] == ["converged", "diverged"]
    # lr 0.063: across the valley (y at angle 0) y_t = 0.5·(1 − 0.063·32)^t = 0.5·(−1.016)^t; it is declared
    # diverged at the first t with 0.5·1.016^t > R = 300, t > ln 600 / ln 1.016 = 402.998 (0.002 from the
    # integer, far more than the rounding of 403 float steps), so at step 403
    t_hand = math.floor(math.log(c["radius"] / 0.5) / math.log(1.016)) + 1
    assert t_hand == 403 and c["stop_step"][1] == t_hand
    # lr 0.05: x shrinks by 0.95 and y by −0.6 a step; the stop needs |grad| ≤ 1e-8 (and the step, 0.05 times
    # that), and grad = (x, 32y) ≈ (x, 0) by then, so 2.5·0.95^t ≤ 1e-8: t ≈ ln(2.5e8)/−ln 0.95 = 377.1.
    # Measured 377; ±2 covers the y part and the step's own test
    assert abs(c["stop_step"][0] - math.log(2.5e8) / -math.log(0.95)) <= 2


def test_critical_damping():
    c = claim("critical_damping")
    # ηλ = 0.05·2 = 0.1: β_c = (1 − √0.1)² = 0.4675, between the notches 0.4 and 0.5
    assert c["critical_beta"] == pytest.approx((1 - math.sqrt(0.1)) ** 2, rel=1e-14)
    assert 0.4 < c["critical_beta"] < 0.5
    # rates by hand: GD 1 − 0.1 = 0.9; β = 0.4 roots of z² − 1.3z + 0.4: 0.8, 0.5; β = 0.5, 0.9 complex: √β
    np.testing.assert_allclose(c["rates"], [0.9, 0.8, math.sqrt(0.5), math.sqrt(0.9)], rtol=1e-12)
    gd, under, near, over = c["steps_to_1e-10"]
    # fastest near critical damping; GD and β = 0.9 (rates 0.9, 0.949) need ln(3.25e10)/(−2 ln ρ) = 115 and 236
    # steps, more than the 100 run
    assert gd == -1 and over == -1 and 0 < near < under
    # predicted steps for β = 0.5: ln(3.25e10)/(−ln 0.5) = 34.9 for the envelope; the oscillation's phase moves
    # the first crossing by a few steps (measured 37)
    assert abs(near - math.log(3.25e10) / -math.log(0.5)) <= 5
    # β = 0.4: x_t = a·0.8^t + b·0.5^t changes sign at most once (measured never)
    assert c["sign_changes"][1] <= 1
    # complex roots z = √β e^{±iθ}, cos θ = (1 + β − 0.1)/(2√β): x changes sign about θ/π per step, so
    # last_step·θ/π times, ±1 for the phase at each end
    for run, beta in ((2, 0.5), (3, 0.9)):
        theta = math.acos((1 + beta - 0.1) / (2 * math.sqrt(beta)))
        assert abs(c["sign_changes"][run] - c["last_step"][run] * theta / math.pi) <= 1.0, beta


def test_optimal_momentum():
    c = claim("optimal_momentum")
    # GD at 0.016 on κ = 100: max(|1 − 0.016|, |1 − 1.6|) = 0.984; momentum (0.032, 0.7): √0.7 (both ends complex)
    assert c["gd_rate"] == pytest.approx(0.984, rel=1e-14)
    assert c["hb_rate"] == pytest.approx(math.sqrt(0.7), rel=1e-12)
    assert c["predicted_speedup"] == pytest.approx(math.log(math.sqrt(0.7)) / math.log(0.984), rel=1e-12)  # 11.06
    # the notches are the nearest to Polyak's pair (4/121 = 0.0331, (9/11)² = 0.669) and to GD's 2/101 = 0.0198,
    # the latter rounded down because 0.02 would put 1 − 100·0.02 = −1 on the edge
    assert c["optimum"][0] == pytest.approx(4 / 121) and c["optimal_gd"][0] == pytest.approx(2 / 101)
    # the exact prediction is the run (see tests/test_rates.py for the 1e-9 bound)
    assert c["worst_relative_error"] <= 1e-9
    # measured speed-up in steps to 1e-6 (464 / 47 = 9.9) vs the asymptotic 11.1: the transient before the
    # slowest mode dominates costs momentum a few steps of 47, hence 20 %
    assert c["measured_speedup"] == pytest.approx(c["predicted_speedup"], rel=0.2)
    # GD by hand: the floor direction carries ½·6.25·0.984^{2t}; ≤ 1e-6 once t ≥ ln(3.125e6)/(−2 ln 0.984) = 463.6
    assert c["steps_to_reach"][0] == math.ceil(math.log(3.125e6) / (-2 * math.log(0.984)))


def test_range_test():
    c = claim("range_test")
    assert 1 / 3 <= c["ratio"] <= 3  # the lesson's claim: within a factor 3 (measured 0.59)
    # the race's contestants are the suggestion's and the sweep's best notches
    lrs = [opt.value("lr") for opt in T.get_theory_lesson("range-test").config.optimizers]
    assert lrs == [c["suggested_notch"], c["best_lr"]]
    # the look-for's numbers: both get within 1e-6 of the minimum, the faster at the sweep's best
    traj = run_race(T.get_theory_lesson("range-test").config)
    reach = traj.steps_to_reach(1e-6)
    assert 0 < reach[1] < reach[0] < T.RANGE_STEPS
