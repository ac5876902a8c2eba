r"""Four lessons that put the theory next to a live race ("Why Momentum Really Works", the stability edge, the
range test), as data in the shape of ``optviz.classroom.lessons``, plus the numbers each one claims.

Each ``claim_*`` function runs the lesson's race and returns the claimed numbers, predicted and measured,
as a dict; ``tests/test_theory_lessons.py`` checks them against hand derivations. Every value in a config
is a notch of the app's controls, as in ``lessons.py``.

Example::

    lesson = get_theory_lesson("optimal-momentum")
    claim_optimal_momentum()["measured_speedup"]   # ≈ 9.9: GD needs that many times the steps
"""
from __future__ import annotations

import numpy as np

from optviz import controls
from optviz.classroom import rates
from optviz.classroom.curvature import sharpness_series
from optviz.classroom.lessons import Lesson, contestant, race_setting
from optviz.classroom.range_test import best_constant_lr, range_test
from optviz.optimizers.hyperparameters import LR_LADDER
from optviz.race import run_race
from optviz.simulate import default_divergence_radius

EDGE_KAPPA = 32.0  # 2/κ = 0.0625 lies between the notches 0.05 and 0.063
DAMPING_LR = 0.05  # on the bowl λ = 2, ηλ = 0.1, critical β = (1 − √0.1)² = 0.4675, between 0.4 and 0.5
OPTIMAL_KAPPA = 100.0
RANGE_KAPPA = 20.0
RANGE_STEPS = 200
RAVINE_START = (-2.5, 0.5)
REACH = 1e-6  # the loss gap the optimal-momentum lesson counts steps to

THEORY_LESSONS: tuple[Lesson, ...] = (
    Lesson(
        id="stability-edge",
        title={"en": "The edge of stability: λ_max against 2/η", "zh": "稳定性边界：λ_max 与 2/η"},
        explanation={
            "en": "Along an eigen-direction of curvature λ, one GD step multiplies the error by 1 − ηλ, so the run "
                  "is stable only while the sharpness λ_max stays below 2/η. This ravine has λ_max = 32, so the "
                  "edge is at η = 2/32 = 0.0625, between the notches 0.05 and 0.063. At 0.063 the error across "
                  "the valley grows by only 1.6 % a step, so the run looks fine for hundreds of steps before it "
                  "flies off.",
            "zh": "沿曲率为 λ 的特征方向，梯度下降每一步把误差乘以 1 − ηλ，所以只有当锐度 λ_max 低于 2/η 时才稳定。"
                  "这个峡谷的 λ_max = 32，边界在 η = 2/32 = 0.0625，正好位于刻度 0.05 和 0.063 之间。"
                  "学习率 0.063 时横穿山谷的误差每步只增长 1.6 %，所以这条路径看起来正常地走了几百步，然后才飞出去。",
        },
        question={
            "en": "The two learning rates differ by a quarter. Why does one converge and the other diverge, and "
                  "why does the divergent one take so long to show it?",
            "zh": "两个学习率只差四分之一。为什么一个收敛、另一个发散？发散的那个为什么这么久才显露出来？",
        },
        look_for={
            "en": "In the sharpness plot the curvature 32 sits above the dashed limit 2/0.063 = 31.7 and below "
                  "2/0.05 = 40; in the loss plot below it the loss of lr 0.063 turns upward and the run is marked "
                  "diverged at step 403, while lr 0.05 converges at step 377.",
            "zh": "在锐度图中，曲率 32 高于虚线所示的界 2/0.063 = 31.7，低于 2/0.05 = 40；在下面的损失图中，学习率 0.063 "
                  "的损失转而上升，在第 403 步被标记为发散，而学习率 0.05 在第 377 步收敛。",
        },
        config=race_setting("ravine", RAVINE_START, 500,
                     contestant("sgd", "GD lr=0.05", lr=0.05),
                     contestant("sgd", "GD lr=0.063", lr=0.063),
                     condition=EDGE_KAPPA, angle=0.0),
        view="theory",
    ),
    Lesson(
        id="critical-damping",
        title={"en": "Critical damping: the fastest momentum that does not ring",
               "zh": "临界阻尼：不振荡的最快动量"},
        explanation={
            "en": "Heavy ball along a direction of curvature λ is a damped spring: the error obeys "
                  "z² − (1 + β − ηλ)z + β = 0. Below β = (1 − √(ηλ))² both roots are real and the error creeps "
                  "in without swinging; above it they are complex with size √β and the error rings. On this bowl "
                  "ηλ = 0.1, so the critical β is 0.47 and the notches 0.4 and 0.5 sit on either side of it.",
            "zh": "沿曲率为 λ 的方向，重球法就是一个带阻尼的弹簧：误差满足 z² − (1 + β − ηλ)z + β = 0。当 β 小于 "
                  "(1 − √(ηλ))² 时两个根都是实数，误差不摆动地慢慢靠近；大于它时两个根是模为 √β 的复数，误差会来回振荡。"
                  "在这个碗上 ηλ = 0.1，所以临界 β 是 0.47，刻度 0.4 和 0.5 正好在它两侧。",
        },
        question={
            "en": "Why is the run just above critical damping the fastest, and why does more momentum (β = 0.9) "
                  "make it slower, not faster?",
            "zh": "为什么刚超过临界阻尼的那条路径最快？为什么更大的动量（β = 0.9）反而更慢？",
        },
        look_for={
            "en": "β = 0.4 never crosses the minimum; β = 0.5 overshoots twice and reaches a loss of 1e-10 first "
                  "(step 37, rate 0.71 a step); β = 0.9 swings across it 10 times; GD (rate 0.9) is still on its way.",
            "zh": "β = 0.4 从不越过最小值；β = 0.5 越过两次，最先把损失降到 1e-10（第 37 步，每步收缩 0.71）；"
                  "β = 0.9 来回越过它 10 次；GD（每步 0.9）还在路上。",
        },
        config=race_setting("quadratic", (1.5, 1.0), 100,
                     contestant("sgd", "GD", lr=DAMPING_LR),
                     contestant("momentum", "β=0.4 overdamped", lr=DAMPING_LR, beta=0.4),
                     contestant("momentum", "β=0.5 near critical", lr=DAMPING_LR, beta=0.5),
                     contestant("momentum", "β=0.9 underdamped", lr=DAMPING_LR, beta=0.9)),
        view="loss",
        labels_zh=("GD", "β=0.4 过阻尼", "β=0.5 接近临界", "β=0.9 欠阻尼"),
    ),
    Lesson(
        id="optimal-momentum",
        title={"en": "Optimal momentum: √κ instead of κ", "zh": "最优动量：√κ 取代 κ"},
        explanation={
            "en": "On a quadratic with condition number κ the best fixed learning rate leaves GD with a rate of "
                  "(κ − 1)/(κ + 1) per step, while heavy ball at its best pair reaches (√κ − 1)/(√κ + 1). Here "
                  "κ = 100, so at the nearest notches (GD 0.016, momentum 0.032 with β = 0.7) the predicted rates "
                  "are 0.984 and √0.7 = 0.837. That makes momentum about 11 times faster, as "
                  "ln 0.984 / ln 0.837 says.",
            "zh": "在条件数为 κ 的二次函数上，最好的固定学习率让 GD 每步收缩 (κ − 1)/(κ + 1)，而重球法在最优参数下能达到 "
                  "(√κ − 1)/(√κ + 1)。这里 κ = 100，取最近的刻度（GD 0.016，动量 0.032、β = 0.7），预测的收缩率分别是 "
                  "0.984 和 √0.7 = 0.837。因此动量法大约快 11 倍，正如 ln 0.984 / ln 0.837 所示。",
        },
        question={
            "en": "Where does √κ come from? What would the speed-up be on a valley with κ = 10 000?",
            "zh": "√κ 是从哪里来的？在 κ = 10 000 的山谷上，加速比会是多少？",
        },
        look_for={
            "en": "In the loss view (log scale) both curves are straight lines with the predicted slopes; momentum "
                  "reaches 1e-6 at step 47, GD at step 464: 9.9 times later.",
            "zh": "在损失视图（对数坐标）中两条曲线都是直线，斜率与预测一致；动量法在第 47 步达到 1e-6，GD 在第 464 步：晚 9.9 倍。",
        },
        config=race_setting("ravine", RAVINE_START, 500,
                     contestant("sgd", "GD lr=0.016", lr=0.016),
                     contestant("momentum", "Momentum lr=0.032 β=0.7", lr=0.032, beta=0.7),
                     condition=OPTIMAL_KAPPA, angle=0.0),
        view="loss",
        labels_zh=("GD 学习率 0.016", "动量 学习率 0.032 β=0.7"),
    ),
    Lesson(
        id="range-test",
        title={"en": "The learning-rate range test", "zh": "学习率范围测试"},
        explanation={
            "en": "Smith's range test runs once while the learning rate grows exponentially, here from 0.0001 to "
                  "10 over 200 steps, and reads the loss against the rate. The loss falls, bottoms out and blows "
                  "up once the rate is too large. A tenth of the rate at the lowest loss is a good constant rate: "
                  "here 0.047, within a factor of two of the 0.079 that a sweep of every notch finds best.",
            "zh": "Smith 的范围测试只跑一次，让学习率指数增长，这里在 200 步内从 0.0001 增长到 10，然后读出损失随学习率的"
                  "变化。损失先下降、到达谷底，学习率太大时就爆炸。最低损失处学习率的十分之一是一个好的固定学习率："
                  "这里是 0.047，与逐个刻度扫描找到的最佳值 0.079 相差不到两倍。",
        },
        question={
            "en": "Why does the lowest loss of the range test sit at a rate far above 2/λ_max = 0.1, where a "
                  "constant rate would diverge?",
            "zh": "为什么范围测试的最低损失出现在远高于 2/λ_max = 0.1 的学习率处，而这样的固定学习率会发散？",
        },
        look_for={
            "en": "In the range-test plot the suggestion is marked near 0.047. In the loss plot above it GD at the "
                  "notch 0.05 gets within 1e-6 of the minimum at step 146 and GD at the sweep's best 0.079 at "
                  "step 91: a good rate from a single run.",
            "zh": "在范围测试图中，建议值标在 0.047 附近。在它上方的损失图中，刻度 0.05 的 GD 在第 146 步与最小值相差不到 1e-6，"
                  "扫描最佳值 0.079 的 GD 在第 91 步做到：只跑一次就得到了一个好的学习率。",
        },
        config=race_setting("ravine", RAVINE_START, RANGE_STEPS,
                     contestant("sgd", "GD lr=0.05 range test", lr=0.05),
                     contestant("sgd", "GD lr=0.079 sweep best", lr=0.079),
                     condition=RANGE_KAPPA, angle=0.0),
        view="theory",
        labels_zh=("GD 学习率 0.05（范围测试）", "GD 学习率 0.079（扫描最佳）"),
    ),
)

_BY_ID = {lesson.id: lesson for lesson in THEORY_LESSONS}


def get_theory_lesson(lesson_id: str) -> Lesson:
    """The lesson with this id; raises ValueError naming the choices."""
    try:
        return _BY_ID[lesson_id]
    except KeyError:
        raise ValueError(f"unknown lesson {lesson_id!r}; choose from: {', '.join(_BY_ID)}") from None


# -------------------------------------------------------------------------------------------- claims

def claim_stability_edge() -> dict:
    """Sharpness vs limit for both runs, and when each stopped (status, step)."""
    lesson = get_theory_lesson("stability-edge")
    traj = run_race(lesson.config)
    series = sharpness_series(traj, lesson.config.optimizers)
    return {"sharpness": series.sharpness[0].tolist(), "limit": series.limit[0].tolist(),
            "crossing": series.crossing.tolist(), "status": list(traj.status), "stop_step": traj.stop_step.tolist(),
            "radius": default_divergence_radius(traj.surface), "positions": traj.positions}


def claim_critical_damping() -> dict:
    """Predicted rates, the critical β, steps to loss 1e-10, sign changes of x, and each run's last step."""
    lesson = get_theory_lesson("critical-damping")
    traj = run_race(lesson.config)
    quad = rates.quadratic_of(traj.surface)
    betas = [0.0, 0.4, 0.5, 0.9]
    x = traj.positions[..., 0]  # (steps+1, runs): the bowl's minimum is at 0
    return {"betas": betas, "rates": [float(rates.heavy_ball_rate(quad, DAMPING_LR, b)) for b in betas],
            "critical_beta": float((1 - np.sqrt(DAMPING_LR * quad.eigenvalues[0])) ** 2),
            "steps_to_1e-10": traj.steps_to_reach(1e-10).tolist(),
            "sign_changes": ((x[1:] * x[:-1]) < 0).sum(axis=0).tolist(), "last_step": traj.last_step.tolist()}


def claim_optimal_momentum() -> dict:
    """Predicted rates and speed-up, steps to REACH measured, and the worst relative error of the exact curves."""
    lesson = get_theory_lesson("optimal-momentum")
    traj = run_race(lesson.config)
    quad = rates.quadratic_of(traj.surface)
    start, steps = lesson.config.start, lesson.config.steps
    gd_rate, hb_rate = float(rates.gd_rate(quad, 0.016)), float(rates.heavy_ball_rate(quad, 0.032, 0.7))
    predicted = [rates.gd_loss(quad, start, 0.016, steps), rates.heavy_ball_loss(quad, start, 0.032, 0.7, steps)]
    last = traj.last_step
    worst = max(float(np.max(np.abs(traj.loss[:last[r] + 1, r] - p[:last[r] + 1]) / p[:last[r] + 1]))
                for r, p in enumerate(predicted))
    reach = traj.steps_to_reach(REACH)
    return {"gd_rate": gd_rate, "hb_rate": hb_rate, "predicted_speedup": float(np.log(hb_rate) / np.log(gd_rate)),
            "steps_to_reach": reach.tolist(), "measured_speedup": float(reach[0] / reach[1]),
            "optimum": rates.optimal_heavy_ball(quad), "optimal_gd": rates.optimal_gd(quad),
            "worst_relative_error": worst}


def claim_range_test() -> dict:
    """The range test's suggestion and the best constant lr of a sweep over the lr ladder (same start, steps)."""
    lesson = get_theory_lesson("range-test")
    surface = lesson.config.build_surface()
    test = range_test(surface, "sgd", lesson.config.start, 1e-4, 10.0, RANGE_STEPS)
    ladder = np.array([lr for lr in LR_LADDER if 1e-4 <= lr <= 10.0])
    best, _, _ = best_constant_lr(surface, "sgd", lesson.config.start, ladder, RANGE_STEPS)
    return {"suggested_lr": test.suggested_lr, "suggested_notch": controls.snap("lr", test.suggested_lr),
            "steepest_lr": test.steepest_lr, "lowest_lr": test.lowest_lr, "best_lr": best,
            "ratio": test.suggested_lr / best}


__all__ = ["THEORY_LESSONS", "get_theory_lesson", "claim_stability_edge", "claim_critical_damping",
           "claim_optimal_momentum", "claim_range_test"]
