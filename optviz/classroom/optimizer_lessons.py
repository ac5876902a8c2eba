r"""Lessons on the optimizers of 2026 (issue 12): sign methods, rotation, Schedule-Free, L-BFGS and SAM, as data in
the shape of ``optviz.classroom.lessons``, with the numbers the sign lesson claims.

Each lesson is a race a lecturer can open from the menu; every value in a config is a notch of the app's
controls. The claims are checked in numbers: the sign lesson's by :func:`sign_directions_claim` here, the
rotation lesson's by ``optviz.classroom.rotation_lesson.rotation_claim``, the Schedule-Free lesson's by
``optviz.classroom.schedule_free_lesson.schedule_free_matches_cosine``, the L-BFGS lesson's by
``optviz.classroom.lbfgs_lesson.lbfgs_versus_adam`` and the SAM lesson's by
``optviz.classroom.sam_lesson.sam_versus_sgd``, whose settings the lessons' races use;
``tests/test_optimizer_lessons.py`` and ``tests/test_lessons.py`` hold them to hand derivations.

Example::

    lesson = get_optimizer_lesson("sign-directions")
    sign_directions_claim()["lion"]["directions"]   # [-135.0, -45.0, 45.0, 135.0]: the four diagonals
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from optviz.classroom.lessons import ADAM, Lesson, contestant, race_setting
from optviz.classroom.rotation_lesson import rotation
from optviz.classroom.schedule_free_lesson import NOISE as SCHEDULE_FREE_NOISE
from optviz.classroom.schedule_free_lesson import START as SCHEDULE_FREE_START
from optviz.classroom.schedule_free_lesson import STEPS as SCHEDULE_FREE_STEPS
from optviz.classroom.schedule_free_lesson import SURFACE as SCHEDULE_FREE_SURFACE
from optviz.race import RaceConfig, run_race
from optviz.schedules import schedule_text
from optviz.simulate import simulate
from surfaces import Surface

RPROP = dict(eta_minus=0.5, eta_plus=1.2, step_size_min=1e-6, step_size_max=50.0)  # torch's defaults, written out
LION = dict(beta1=0.9, beta2=0.99)  # lion-pytorch's defaults
SIGN_LION_LR = 0.02  # each of Lion's steps moves every coordinate by exactly this much
ROTATION_ANGLE = 45.0
# The ravine's own start at 45° is R(45°)·(−2.5, 0.5) = (−2.12132…, −1.41421…); the app stores four decimals.
ROTATION_START = tuple(float(v) for v in np.round(rotation(ROTATION_ANGLE) @ np.array([-2.5, 0.5]), 4))
# Schedule-Free's race uses the claim's setting and the rates its tuning picks on the lr ladder
# (schedule_free_matches_cosine: cosine 0.32, constant 0.079, Schedule-Free 0.4; tests/test_lessons.py checks
# that the tuning still picks these).
SCHEDULE_FREE_LRS = {"cosine": 0.32, "constant": 0.079, "schedule_free": 0.4}
# f scaled by 2^10: multiplying by a power of two is exact in floating point, so a method that reads only the
# gradient's sign takes bit for bit the same steps on f and on 1024·f.
GRADIENT_SCALE = 1024.0

OPTIMIZER_LESSONS: tuple[Lesson, ...] = (
    Lesson(
        id="sign-directions",
        title={"en": "Lion and Rprop: steps that know only the sign", "zh": "Lion 与 Rprop：只看符号的步子"},
        explanation={
            "en": "Lion and Rprop throw away the size of the gradient and keep only its sign, coordinate by "
                  "coordinate, so on a valley made 1024 times steeper they take exactly the same steps. Lion moves "
                  "every coordinate by exactly its learning rate: each step points along one of the diagonals at "
                  "±45°, its path is a staircase of equal diagonal segments, and near the minimum it keeps stepping "
                  "around it at full length. Rprop gives each coordinate its own step size, which grows by 1.2 while "
                  "that coordinate's gradient keeps its sign and halves when it flips; after a flip the coordinate "
                  "waits one step, so Rprop then moves along an axis alone. Gradient descent steps along the "
                  "gradient itself, in whatever direction it points.",
            "zh": "Lion 和 Rprop 丢掉梯度的大小，逐个坐标只保留它的符号，所以把山谷变陡 1024 倍，它们走出的步子分毫不差。"
                  "Lion 每一步把每个坐标都恰好移动一个学习率：每一步都沿着 ±45° 的某条对角线，路径是由等长的对角线段"
                  "拼成的阶梯，到了最小值附近也仍然以同样的步长在它周围来回走。Rprop 给每个坐标各自的步长："
                  "该坐标的梯度保持符号时步长乘以 1.2，符号一变就减半；变号之后这个坐标停一步，所以那一步 Rprop "
                  "只沿一条坐标轴移动。梯度下降则沿梯度本身前进，梯度指向哪里就走向哪里。",
        },
        question={
            "en": "Why can Lion never settle exactly on the minimum at a constant learning rate? What does an "
                  "Rprop step look like when the gradient flips sign in both coordinates at once?",
            "zh": "在固定学习率下，为什么 Lion 永远无法恰好停在最小值上？如果两个坐标的梯度同时变号，"
                  "Rprop 的这一步会是什么样子？",
        },
        look_for={
            "en": "Every one of Lion's 300 steps moves exactly 0.02 in x and in y, so its path uses only 4 "
                  "directions, the diagonals, and it ends stepping around the minimum at (1, 1). Rprop's path uses "
                  "12 directions: slanted steps, and 92 steps along one axis, each right after one coordinate's "
                  "gradient flipped sign. GD crawls down the curved valley in the direction of the gradient.",
            "zh": "Lion 的 300 步中每一步都在 x 和 y 上恰好各移动 0.02，所以它的路径只用到 4 个方向，即几条对角线，"
                  "最后在最小值 (1, 1) 周围来回走。Rprop 的路径用到 12 个方向：有斜着的步子，也有 92 步只沿一条坐标轴，"
                  "每一步都紧跟在某个坐标的梯度变号之后。GD 则沿梯度方向在弯曲的谷底慢慢爬。",
        },
        config=race_setting("rosenbrock", (-1.2, 1.0), 300,
                     contestant("sgd", "GD", lr=0.001),
                     contestant("lion", "Lion", lr=SIGN_LION_LR, **LION),
                     contestant("rprop", "Rprop", lr=0.01, **RPROP)),
    ),
    Lesson(
        id="rotation",
        title={"en": "Turn the valley by 45°: which optimizers care about the axes",
               "zh": "把山谷转 45°：哪些优化器在乎坐标轴"},
        explanation={
            "en": "This is the ravine of the ravine lessons turned by 45°: the same valley, 20 times more curved "
                  "across than along, with its floor on the diagonal. Gradient descent, heavy-ball momentum, Newton "
                  "and Shampoo treat every direction alike (turn the gradient and their step turns with it), so on "
                  "the turned valley each traces exactly its old path, turned. Adam, RMSprop, Lion and Rprop act on x "
                  "and y separately: at 0° the floor and the steep walls line up with the axes, which suits them, "
                  "while at 45° both coordinates feel both curvatures and their paths change shape, not only "
                  "direction.",
            "zh": "这就是峡谷课里的那个山谷，只是转了 45°：同一个山谷，横向曲率是纵向的 20 倍，谷底沿着对角线。"
                  "梯度下降、重球动量、牛顿法和 Shampoo 对所有方向一视同仁（梯度转过去，它们的步子也跟着转），"
                  "所以在转过的山谷里，每个都恰好走出原来的路径，只是转了个方向。Adam、RMSprop、Lion 和 Rprop "
                  "则把 x 和 y 分开处理：在 0° 时谷底和陡峭的谷壁都与坐标轴对齐，这对它们有利；转到 45° 后，"
                  "两个坐标都同时感受到两种曲率，它们的路径变的就不只是方向，而是形状。",
        },
        question={
            "en": "Why does a method whose step is a matrix times the gradient turn with the valley, while one that "
                  "divides each coordinate by its own running size does not? Which of the eight would you trust "
                  "on a problem whose axes mean nothing?",
            "zh": "为什么步长等于“矩阵乘梯度”的方法会随山谷一起转，而把每个坐标除以它自己的滑动大小的方法不会？"
                  "如果一个问题的坐标轴没有任何特殊含义，这八个方法中你会信任哪些？",
        },
        look_for={
            "en": "Newton's loss comes within 1e-6 of the minimum in 12 steps, exactly as on the level valley, and "
                  "GD, Momentum and Shampoo end at the same loss as there. Rprop, which gets as close in 36 steps on "
                  "the level valley, is still not there after 100 steps; the paths of Lion, Adam and RMSprop change "
                  "too, by 0.49 (RMSprop) up to 2.1 (Rprop) from their level paths turned.",
            "zh": "牛顿法 12 步就让损失与最小值相差不到 1e-6，和在水平的山谷里完全一样；GD、动量和 Shampoo 的最终损失"
                  "也与那里相同。Rprop 在水平山谷里 36 步就能这么接近，这里走了 100 步仍未做到；Lion、Adam 和 RMSprop "
                  "的路径也变了，与各自水平路径转过来之后相比，偏离 0.49（RMSprop）到 2.1（Rprop）。",
        },
        # The learning rates of optviz.classroom.rotation_lesson, on the lr ladder (Shampoo's 0.3 is the notch 0.32).
        config=race_setting("ravine", ROTATION_START, 100,
                     contestant("sgd", "GD", lr=0.05),
                     contestant("momentum", "Momentum", lr=0.02, beta=0.9),
                     contestant("newton", "Newton", lr=0.5, damping=0.0),
                     contestant("shampoo", "Shampoo", lr=0.32, eps=1e-6),
                     contestant("adam", "Adam", lr=0.1, **ADAM),
                     contestant("rmsprop", "RMSprop", lr=0.02, beta=0.99, eps=1e-8),
                     contestant("lion", "Lion", lr=0.05, **LION),
                     contestant("rprop", "Rprop", lr=0.05, **RPROP),
                     condition=20.0, angle=ROTATION_ANGLE),
        labels_zh=("GD", "动量", "牛顿法", "Shampoo", "Adam", "RMSprop", "Lion", "Rprop"),
    ),
    Lesson(
        id="schedule-free",
        title={"en": "Schedule-Free: no schedule, as good as a tuned cosine",
               "zh": "Schedule-Free：不用学习率调度，也能比肩调好的余弦调度"},
        explanation={
            "en": "With noisy gradients a constant learning rate stalls on a noise floor, and the usual cure is a "
                  "schedule that brings the rate down to 0 at the end, such as a cosine. Schedule-Free AdamW keeps "
                  "its rate constant and averages instead: it takes its gradients at a point y but deploys x, a "
                  "running average of the points its steps visit, which smooths the noise away. Here the gradients "
                  "carry noise of σ = 0.5 and each method runs at its best notch of the learning-rate ladder. "
                  "Averaged over 32 noise seeds, Schedule-Free ends (at x) with 0.69 times the tuned cosine's loss "
                  "gap, and constant AdamW with 3.2 times.",
            "zh": "梯度带噪声时，固定学习率会停在一个噪声底上，通常的办法是用一个学习率调度在最后把学习率降到 0，"
                  "比如余弦调度。Schedule-Free AdamW 保持学习率不变，改用平均：它在点 y 处取梯度，却部署 x——"
                  "它各步所经过的点的滑动平均，平均把噪声抹平了。这里梯度带有 σ = 0.5 的噪声，每种方法都用学习率刻度上"
                  "对它最好的那一档。在 32 个噪声种子上取平均，Schedule-Free 最后（在 x 处）的损失差是调好的余弦调度"
                  "的 0.69 倍，固定学习率的 AdamW 则是 3.2 倍。",
        },
        question={
            "en": "Why does averaging the points lower the noise floor much as a shrinking learning rate does? What "
                  "would the cosine run lose if you stopped it halfway, where its rate is still half its peak?",
            "zh": "为什么对各点取平均能像逐渐减小学习率那样压低噪声底？如果在一半处停下余弦调度的那次运行，"
                  "此时它的学习率还有峰值的一半，它会损失什么？",
        },
        look_for={
            "en": "In the loss view the race shows a single seed of noise, so its order could go either way; the "
                  "claim is about the average over many seeds. Here Schedule-Free's curve first dips below 0.001 at "
                  "step 56, the cosine's only at step 85, as its rate nears 0, and constant AdamW's never: it ends "
                  "5.3 times above the cosine. The curve drawn for Schedule-Free is the loss at y, where it takes its "
                  "gradients, not at the average x it deploys.",
            "zh": "在损失视图中，这场比赛只用了一个噪声种子，所以名次换一个种子就可能不同；结论说的是许多种子的平均。"
                  "这里 Schedule-Free 的曲线在第 56 步首次降到 0.001 以下，余弦调度要到第 85 步、学习率接近 0 时才做到，"
                  "固定学习率的 AdamW 则始终没有做到：它最后比余弦调度高 5.3 倍。Schedule-Free 画出的曲线是它取梯度的"
                  "点 y 处的损失，而不是它所部署的平均点 x 处的。",
        },
        config=race_setting(SCHEDULE_FREE_SURFACE, SCHEDULE_FREE_START, SCHEDULE_FREE_STEPS,
                     contestant("schedulefree_adamw", "Schedule-Free AdamW", lr=SCHEDULE_FREE_LRS["schedule_free"],
                                weight_step_power=0.0, weight_lr_power=2.0, noise=SCHEDULE_FREE_NOISE, **ADAM),
                     contestant("adamw", "AdamW + cosine", lr=SCHEDULE_FREE_LRS["cosine"],
                                schedule=schedule_text(kind="cosine", period=SCHEDULE_FREE_STEPS, warmup=0),
                                noise=SCHEDULE_FREE_NOISE, **ADAM),
                     contestant("adamw", "AdamW, constant lr", lr=SCHEDULE_FREE_LRS["constant"],
                                noise=SCHEDULE_FREE_NOISE, **ADAM)),
        view="loss",
        labels_zh=("Schedule-Free AdamW", "AdamW + 余弦调度", "AdamW，固定学习率"),
    ),
    Lesson(
        id="lbfgs-rosenbrock",
        title={"en": "L-BFGS on Rosenbrock: tens of steps where Adam needs hundreds",
               "zh": "L-BFGS 解 Rosenbrock：几十步对 Adam 的几百步"},
        explanation={
            "en": "Near its minimum Rosenbrock's valley is about 2500 times more curved across than along, and it "
                  "bends, so a first-order method must keep its steps short for the walls and then crawls along "
                  "the floor. L-BFGS remembers its last steps and how the gradient changed along them, and turns "
                  "them into an estimate of the inverse curvature: its steps become nearly Newton steps, long along "
                  "the floor and short across it. Without a line search (torch's default) it takes the step that "
                  "estimate proposes; with the strong-Wolfe line search (the textbook method) each step tries a few "
                  "lengths along its direction, which costs extra evaluations of f and ∇f. Adam scales each "
                  "coordinate by a running size of its own gradient, which cannot see a valley that runs "
                  "diagonally and bends.",
            "zh": "在最小值附近，Rosenbrock 山谷横向的曲率约是纵向的 2500 倍，而且山谷是弯的，所以一阶方法为了谷壁"
                  "必须把步子放小，然后只能沿谷底慢慢爬。L-BFGS 记住最近几步以及梯度沿这几步的变化，由此估计"
                  "曲率的逆：它的步子几乎就是牛顿步，沿谷底迈得长，横穿山谷迈得短。不做线搜索时（torch 的默认）"
                  "它直接走这个估计给出的一步；用强 Wolfe 线搜索时（教科书上的做法）每一步都沿方向试几个步长，"
                  "这要多算几次 f 和 ∇f。Adam 按每个坐标自己梯度的滑动大小来缩放，看不出山谷是斜着走而且弯曲的。",
        },
        question={
            "en": "How can a method that never computes a Hessian take nearly Newton steps? When is a line search "
                  "worth its extra evaluations, and when, say if one evaluation of f took an hour, is it not?",
            "zh": "一个从不计算 Hessian 的方法，怎么能走出几乎是牛顿步的步子？线搜索多出来的函数计算什么时候值得，"
                  "什么时候（比如算一次 f 要一个小时）不值得？",
        },
        look_for={
            "en": "In the loss view both L-BFGS curves plunge: the loss is within 1e-6 of the minimum after 60 steps, "
                  "or after 33 with the line search (which spent 74 evaluations on them), while Adam at 1.6, its best "
                  "notch of the learning-rate ladder, needs 549 steps: 17 times as many as with the line search.",
            "zh": "在损失视图中，两条 L-BFGS 曲线都急剧下降：60 步后损失与最小值相差不到 1e-6，用线搜索时只要 33 步"
                  "（这些步共计算了 74 次）；而 Adam 用学习率刻度上对它最好的 1.6，也要 549 步：是用线搜索时的 17 倍。",
        },
        # L-BFGS's stopping tolerances are OptViz's defaults, lower than torch's (see lbfgs.py): they act only
        # after the loss is within 1e-6, so the steps counted are those of lbfgs_versus_adam (torch's values).
        config=race_setting("rosenbrock", (-1.2, 1.0), 600,
                     contestant("lbfgs", "L-BFGS", lr=1.0, history_size=100.0, tolerance_grad=1e-10,
                                tolerance_change=0.0),
                     contestant("lbfgs", "L-BFGS + strong Wolfe", convention="textbook", lr=1.0, history_size=100.0,
                                tolerance_grad=1e-10, tolerance_change=0.0),
                     contestant("adam", "Adam lr=1.6", lr=1.6, **ADAM)),
        view="loss",
        labels_zh=("L-BFGS", "L-BFGS + 强 Wolfe 线搜索", "Adam 学习率 1.6"),
    ),
    Lesson(
        id="sam-flat-minimum",
        title={"en": "SAM prefers the flat minimum", "zh": "SAM 偏爱平坦的极小值"},
        explanation={
            "en": "This surface has two minima of exactly equal depth, f = 0: a sharp one at (−1, 0), at the bottom "
                  "of a narrow valley whose curvature across is 40, and a flat one at (1, 0), whose largest "
                  "curvature is 2. Sharpness-aware minimization (SAM) does not take the gradient where it stands: "
                  "it first steps ρ = 0.5 uphill along the gradient and takes the gradient there, so it descends the "
                  "worst loss within ρ of its point, which is low only where the minimum is wide. From the same start "
                  "and at the same learning rate, plain gradient descent settles in the sharp minimum, while SAM's "
                  "gradient, taken high on the narrow valley's wall, pushes it over the barrier into the flat one.",
            "zh": "这个曲面有两个深度完全相同的极小值，f = 0：一个尖锐，在 (−1, 0)，位于一条窄谷的谷底，横向曲率是 40；"
                  "一个平坦，在 (1, 0)，最大曲率只有 2。锐度感知最小化（SAM）不在所站之处取梯度：它先沿梯度往上坡走 "
                  "ρ = 0.5，在那里取梯度，因此它下降的是该点周围 ρ 之内的最坏损失，而这个值只有在宽阔的极小值里才低。"
                  "从同一个起点、用同样的学习率，普通梯度下降落进尖锐的极小值，而 SAM 在窄谷高高的谷壁上取到的梯度"
                  "把它推过山脊，进入平坦的那个。",
        },
        question={
            "en": "Why is the worst loss within a distance ρ of a point low only in a wide minimum? What would SAM "
                  "do with ρ = 0, and why does it never settle exactly on the flat minimum?",
            "zh": "为什么一个点周围 ρ 之内的最坏损失只有在宽阔的极小值里才低？如果 ρ = 0，SAM 会怎样？"
                  "为什么它永远不会恰好停在平坦的极小值上？",
        },
        look_for={
            "en": "GD rolls down into the narrow valley and is marked converged at (−1, 0) at step 277. SAM is past "
                  "the barrier at x = 0 after its first step; then it creeps along the floor and jumps back, within "
                  "0.1 of the flat minimum (1, 0), and never comes to rest, because every gradient it takes is 0.5 "
                  "away, up the slope.",
            "zh": "GD 滚进窄谷，在第 277 步被标记为收敛于 (−1, 0)。SAM 第一步就越过了 x = 0 处的山脊；之后它沿谷底"
                  "慢慢前移、又跳回来，始终在平坦的极小值 (1, 0) 的 0.1 之内，却永远停不下来，因为它取的每个梯度"
                  "都在 0.5 之外的上坡处。",
        },
        config=race_setting("sharp_flat", (-0.4, 0.7), 300,
                     contestant("sgd", "GD", lr=0.04),
                     contestant("sam_sgd", "SAM ρ=0.5", lr=0.04, rho=0.5)),
    ),
)

_BY_ID = {lesson.id: lesson for lesson in OPTIMIZER_LESSONS}


def get_optimizer_lesson(lesson_id: str) -> Lesson:
    """The lesson with this id; raises ValueError naming the choices."""
    try:
        return _BY_ID[lesson_id]
    except KeyError:
        raise ValueError(f"unknown lesson {lesson_id!r}; choose from: {', '.join(_BY_ID)}") from None


# ------------------------------------------------------------------------------------------ sign lesson

def step_angles(path: np.ndarray) -> np.ndarray:
    """(steps,) direction of each step of a path (steps+1, 2) in degrees, (−180, 180]; NaN where it stood still."""
    step = np.diff(np.asarray(path, dtype=float), axis=0)  # (steps, 2)
    moved = np.any(step != 0, axis=-1)
    return np.where(moved, np.degrees(np.arctan2(step[:, 1], step[:, 0])), np.nan)


def compass_error(angles: np.ndarray) -> np.ndarray:
    """Distance in degrees from each angle to the nearest of the 8 compass directions (multiples of 45°)."""
    return np.abs((np.asarray(angles) + 22.5) % 45.0 - 22.5)


def scaled(surface: Surface, factor: float) -> Surface:
    """``surface`` with f, ∇f and the Hessian multiplied by ``factor``: the same landscape, steeper."""
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a positive number (got {factor!r})")
    return replace(surface, value=lambda p: factor * surface.value(p), grad=lambda p: factor * surface.grad(p),
                   hessian=lambda p: factor * surface.hessian(p))


def sign_directions_claim(config: RaceConfig | None = None) -> dict:
    """The sign lesson's numbers, from its race (or ``config``, a race holding one run labelled "Lion" and one
    labelled "Rprop").

    Returns, per contestant under its label in lower case: ``directions`` (the distinct step directions in
    degrees, to 0.1°), ``worst_compass_error`` (degrees from the nearest multiple of 45°, over the steps that
    moved), ``still_steps`` (steps that moved
    neither coordinate) and ``axis_steps`` (steps that moved exactly one); Lion's also ``lr`` and
    ``worst_size_error``, the largest | |Δθ_i| − η | / η over every step and coordinate. ``gradient_scale`` and
    ``scale_deviation`` {label: the largest distance between the path on f and the path on 1024·f}: 0 exactly
    for a method that reads only the gradient's sign.
    """
    config = config or get_optimizer_lesson("sign-directions").config
    labels = [opt.label for opt in config.optimizers]
    for needed in ("Lion", "Rprop"):
        if needed not in labels:
            raise ValueError(f"the race needs a contestant labelled {needed!r} (got labels {labels})")
    traj = run_race(config)
    out: dict = {"steps": traj.steps, "gradient_scale": GRADIENT_SCALE}
    moves = {}  # label -> (steps, 2): its run's steps θ_t − θ_{t−1}, up to the step it stopped at
    for run, label in enumerate(traj.labels):
        path = traj.positions[:int(traj.last_step[run]) + 1, run]  # (steps+1, 2): a stopped run's frozen tail left out
        moves[label] = np.diff(path, axis=0)
        angles = step_angles(path)
        moved = ~np.isnan(angles)
        out[label.lower()] = {
            "directions": sorted({float(a) for a in np.round(angles[moved], 1)}),
            "worst_compass_error": float(compass_error(angles[moved]).max()) if moved.any() else 0.0,
            "still_steps": int((~moved).sum()), "axis_steps": int(((moves[label] == 0).sum(axis=-1) == 1).sum())}
    eta = config.optimizers[labels.index("Lion")].value("lr")
    out["lion"]["lr"] = eta
    out["lion"]["worst_size_error"] = float(np.abs(np.abs(moves["Lion"]) - eta).max() / eta)
    surface = config.build_surface()
    plain, steep = (simulate(field, [opt.build() for opt in config.optimizers], np.asarray(config.start), config.steps,
                             tol=0, record_internals=False)  # tol 0: no convergence stop that the scale could shift
                    for field in (surface, scaled(surface, GRADIENT_SCALE)))
    apart = np.linalg.norm(plain.positions - steep.positions, axis=-1).max(axis=0)  # (runs,)
    out["scale_deviation"] = {label: float(apart[r]) for r, label in enumerate(traj.labels)}
    return out


__all__ = ["OPTIMIZER_LESSONS", "get_optimizer_lesson", "step_angles", "compass_error", "scaled",
           "sign_directions_claim", "ROTATION_START", "SCHEDULE_FREE_LRS", "GRADIENT_SCALE"]
