"""Classroom lessons: twelve ready-made races, each showing one idea from the course notes.

A :class:`Lesson` is plain data: a title, a short explanation, a guiding question and what
to watch on screen, each in English and Chinese, plus the complete :class:`RaceConfig` that
shows it and the view to open. Every number in a config is a notch of the app's controls
(``optviz.controls`` ladders, whole steps of ten, starts with at most four decimals), so
loading a lesson only moves sliders. ``tests/test_lessons.py`` runs every config and checks
the lesson's claim with numbers derived by hand. The app's menu offers these, the theory
lessons and the newer optimizers' lessons, listed together in ``optviz.classroom.catalog``.

Example::

    lesson = LESSONS[0]   # "saddle-point"; optviz.classroom.catalog.get_lesson finds any lesson by id
    traj = run_race(lesson.race_config("zh"))   # the same race, legend labels in Chinese
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from optviz.optimizers import HYPERPARAMETERS
from optviz.race import OptimizerConfig, RaceConfig
from optviz.views import VIEWS

Text = dict[str, str]  # {"en": ..., "zh": ...}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: use ``id`` as a key
class Lesson:
    id: str  # slug, unique
    title: Text
    explanation: Text  # 2-4 plain sentences: what the course notes teach
    question: Text  # a guiding question for students
    look_for: Text  # what to watch on screen
    config: RaceConfig  # complete: surface and its parameters, start, steps, every hyperparameter
    view: str = "race"  # one of VIEWS
    labels_zh: tuple[str, ...] = ()  # legend labels in Chinese, one per contestant; () keeps the English
    opening_step: int | None = None  # the step the race opens on, where the claim shows; None: the last

    def race_config(self, lang: str = "en") -> RaceConfig:
        """The lesson's race with its contestants labelled in ``lang``."""
        if lang == "en" or not self.labels_zh:
            return self.config
        optimizers = tuple(replace(opt, label=label) for opt, label in zip(self.config.optimizers, self.labels_zh))
        return replace(self.config, optimizers=optimizers)


def contestant(name: str, label: str, *, convention: str = "pytorch", bias_correction: bool = True,
         schedule: str = "constant", noise: float = 0.0, seed: int = 0, **hyperparams: float) -> OptimizerConfig:
    """A contestant with every hyperparameter written out; only weight decay may go unsaid (then 0)."""
    if any(p.name == "weight_decay" for p in HYPERPARAMETERS[name]):
        hyperparams.setdefault("weight_decay", 0.0)
    return OptimizerConfig(name, label, tuple(sorted((k, float(v)) for k, v in hyperparams.items())),
                           convention=convention, bias_correction=bias_correction, schedule=schedule,
                           noise=float(noise), seed=seed)


def race_setting(surface: str, start: tuple[float, float], steps: int, *optimizers: OptimizerConfig,
          **surface_params: float) -> RaceConfig:
    return RaceConfig(surface=surface, surface_params=tuple((k, float(v)) for k, v in surface_params.items()),
                      start=start, steps=steps, optimizers=optimizers)


ADAM = dict(beta1=0.9, beta2=0.999, eps=1e-8)  # the defaults everyone uses, written out

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        id="saddle-point",
        title={"en": "Saddle points: GD lingers, momentum and noise escape",
               "zh": "鞍点：梯度下降停滞，动量和噪声帮助逃离"},
        explanation={
            "en": "At a saddle point the gradient is zero, yet it is not a minimum: the surface curves up in one "
                  "direction and down in another. Gradient descent steps in proportion to the gradient, so near "
                  "the saddle its steps shrink to almost nothing and it lingers there for a long time. Momentum "
                  "keeps the speed it has built up and rolls on, and a little gradient noise (as in mini-batch "
                  "SGD) knocks the run off the ridge so the downhill direction can take over.",
            "zh": "鞍点处梯度为零，但它并不是极小值：曲面在一个方向上向上弯，在另一个方向上向下弯。梯度下降的步长与梯度"
                  "成正比，所以在鞍点附近步子几乎缩成零，会在那里停留很久。动量法保留了已经积累的速度，会继续往前滚；"
                  "少量梯度噪声（就像小批量 SGD 那样）会把它从山脊上推开，让下坡的方向接管。",
        },
        question={
            "en": "All three runs start almost exactly on the line y = 0 that leads into the saddle. Why does plain "
                  "GD take so long to leave, and what would happen if it started exactly on that line?",
            "zh": "三条路径的起点几乎正好落在通向鞍点的直线 y = 0 上。为什么普通梯度下降要很久才能离开？"
                  "如果起点恰好在这条直线上，又会怎样？",
        },
        look_for={
            "en": "GD slides straight into the ✕ at the origin and sits there for about 90 steps before it drifts "
                  "off to a minimum; Momentum swings out within a few dozen steps; GD + noise wobbles and never "
                  "settles at the saddle.",
            "zh": "GD 径直滑进原点处的 ✕，在那里停留约 90 步，才慢慢滑向一个极小值；Momentum 几十步之内就甩了出去；"
                  "GD + 噪声的路径抖动不停，从不在鞍点停下。",
        },
        # f = x²/2 + y⁴/4 − y²/2; GD with lr 0.05: x_t = −1.5·0.95^t, y_t ≈ 1e-4·1.05^t near the saddle.
        config=race_setting("saddle", (-1.5, 0.0001), 200,
                     contestant("sgd", "GD", lr=0.05),
                     contestant("momentum", "Momentum β=0.9", lr=0.05, beta=0.9),
                     contestant("sgd", "GD + noise σ=0.1", lr=0.05, noise=0.1, seed=0)),
        labels_zh=("GD", "Momentum β=0.9", "GD + 噪声 σ=0.1"),
        opening_step=80,  # GD still on the ✕ while Momentum already sits in a minimum
    ),
    Lesson(
        id="plateau",
        title={"en": "Plateaus: tiny gradients, tiny steps", "zh": "高原：梯度极小，步子也极小"},
        explanation={
            "en": "On a plateau the loss is almost flat, so the gradient is tiny: about 0.002 at this start. "
                  "Gradient descent moves by learning rate × gradient, so it barely crawls. Adam divides each "
                  "gradient component by the root of its own running average of squares, so its steps stay about "
                  "as long as the learning rate however small the gradient is, and it walks straight across.",
            "zh": "在高原上损失几乎是平的，所以梯度极小：这个起点处只有约 0.002。梯度下降每步移动“学习率 × 梯度”，"
                  "因此几乎是在爬。Adam 把梯度的每个分量除以它自己的平方的滑动平均的平方根，所以无论梯度多小，"
                  "步长都大约等于学习率，能径直走过高原。",
        },
        question={
            "en": "Would a ten times larger learning rate rescue GD here? What would that learning rate do once GD "
                  "reaches the steep basin in the middle?",
            "zh": "把学习率调大十倍能救梯度下降吗？等它到达中间陡峭的盆地时，这么大的学习率又会带来什么问题？",
        },
        look_for={
            "en": "After 300 steps GD has hardly left its start (its loss is still above 0.998), while Adam reaches "
                  "the basin in about 45 steps.",
            "zh": "300 步之后 GD 几乎没有离开起点（损失仍高于 0.998），而 Adam 大约 45 步就到达了盆地。",
        },
        config=race_setting("plateau", (3.0, 2.5), 300,
                     contestant("sgd", "GD", lr=0.32),
                     contestant("adam", "Adam", lr=0.05, **ADAM),
                     width=1.0),
    ),
    Lesson(
        id="ravine",
        title={"en": "Ravines: the zig-zag, and how to damp it", "zh": "峡谷：来回震荡，以及如何抑制"},
        explanation={
            "en": "In a narrow valley the walls are much steeper than the floor, here 25 times steeper. A learning "
                  "rate large enough to make progress along the floor is almost too large for the walls, so GD "
                  "bounces from wall to wall. Momentum averages successive gradients: the back-and-forth parts "
                  "cancel while the parts along the floor add up. RMSprop and Adam divide each coordinate by its "
                  "recent gradient size, so the steep direction gets a small step and the flat one a larger step.",
            "zh": "在狭窄的山谷里，谷壁比谷底陡得多，这里陡 25 倍。能让梯度下降沿谷底前进的学习率，对谷壁来说几乎已经"
                  "太大，于是它在两壁之间来回弹跳。动量法对相继的梯度做平均：来回的分量相互抵消，沿谷底的分量不断累加。"
                  "RMSprop 和 Adam 把每个坐标除以它最近的梯度大小，于是陡的方向步子小，平的方向步子大。",
        },
        question={
            "en": "Why does averaging the gradients cancel the zig-zag but keep the progress along the floor? "
                  "Would RMSprop help as much if the valley were turned by 45°?",
            "zh": "为什么对梯度做平均能抵消来回震荡，却保留了沿谷底的前进？如果把山谷旋转 45°，RMSprop 还会这么有效吗？",
        },
        look_for={
            "en": "GD's y-coordinate flips sign on every single step; Momentum's path curves gently across the "
                  "valley; RMSprop and Adam head almost straight down the floor.",
            "zh": "GD 的 y 坐标每一步都改变符号；Momentum 的路径平缓地弯过山谷；RMSprop 和 Adam 几乎沿谷底直奔最小值。",
        },
        # Across the valley (v = y at angle 0) GD multiplies v by 1 − lr·κ = 1 − 0.079·25 = −0.975.
        config=race_setting("ravine", (-2.5, 0.5), 100,
                     contestant("sgd", "GD", lr=0.079),
                     contestant("momentum", "Momentum β=0.9", convention="textbook", lr=0.079, beta=0.9),
                     contestant("rmsprop", "RMSprop β=0.9", lr=0.04, beta=0.9, eps=1e-8),
                     contestant("adam", "Adam", lr=0.05, **ADAM),
                     condition=25.0, angle=0.0),
    ),
    Lesson(
        id="learning-rate-too-large",
        title={"en": "Too large a learning rate: divergence and the 2/L bound", "zh": "学习率过大：发散与 2/L 界"},
        explanation={
            "en": "On the bowl f = x² + y² the gradient is 2θ, so one GD step multiplies the position by 1 − 2·lr. "
                  "The run shrinks only if |1 − 2·lr| < 1, that is lr < 2/L = 1, where L = 2 is the largest "
                  "curvature. Below the bound GD converges (at 0.79 it jumps across the minimum every step but "
                  "closes in); exactly at lr = 1 it bounces between two points forever; above it every jump lands "
                  "farther out and the run diverges.",
            "zh": "在碗形曲面 f = x² + y² 上梯度是 2θ，所以梯度下降每一步把位置乘以 1 − 2·学习率。只有当 "
                  "|1 − 2·学习率| < 1，即学习率 < 2/L = 1 时才会收缩，其中 L = 2 是最大曲率。低于这个界就收敛"
                  "（学习率 0.79 时每步都跳过最小值，但越跳越近）；恰好等于 1 时在两点之间永远来回弹跳；"
                  "高于它则每一跳都落得更远，最终发散。",
        },
        question={
            "en": "Which learning rate reaches the minimum in a single step, and why? What would the bound be on a "
                  "bowl twice as steep?",
            "zh": "哪个学习率一步就能到达最小值？为什么？如果碗的陡度加倍，这个界会变成多少？",
        },
        look_for={
            "en": "Side by side: lr 0.79 hops across the minimum but closes in; lr 1 hops between (0.1, 0.05) and "
                  "(−0.1, −0.05) forever; lr 1.3, the first notch above the bound, lands 1.6 times farther out on "
                  "every jump: six growing jumps stay on the map before it flies off, and it is marked diverged "
                  "at step 17.",
            "zh": "并排对比：学习率 0.79 在最小值两侧来回跳但越来越近；学习率 1 在 (0.1, 0.05) 和 (−0.1, −0.05) "
                  "之间永远跳来跳去；学习率 1.3 是界以上的第一个刻度，每跳一次落点远 1.6 倍：越来越大的六跳都留在图中，"
                  "之后飞出图外，在第 17 步被标记为发散。",
        },
        config=race_setting("quadratic", (0.1, 0.05), 50,
                     contestant("sgd", "GD lr=0.79", lr=0.79),
                     contestant("sgd", "GD lr=1", lr=1.0),
                     contestant("sgd", "GD lr=1.3", lr=1.3)),
        view="side",
    ),
    Lesson(
        id="adagrad-vs-rmsprop",
        title={"en": "AdaGrad's learning rate decays too early; RMSprop forgets",
               "zh": "AdaGrad 的学习率衰减过早；RMSprop 会“遗忘”"},
        explanation={
            "en": "AdaGrad divides the learning rate by the square root of the sum of all past squared gradients. "
                  "The sum only grows, so each coordinate's effective learning rate can only shrink, roughly like "
                  "1/√t, and the run slows to a crawl before it reaches the minimum. RMSprop replaces the sum by an "
                  "exponentially weighted average (β = 0.9 remembers about the last 10 steps), so old gradients are "
                  "forgotten and the effective learning rate recovers as the gradients get smaller.",
            "zh": "AdaGrad 把学习率除以历史上所有梯度平方之和的平方根。这个和只增不减，所以每个坐标的有效学习率只会变小，"
                  "大约按 1/√t 衰减，还没到最小值就慢得像在爬。RMSprop 把求和换成指数加权平均（β = 0.9 大约只记得最近 "
                  "10 步），旧的梯度会被遗忘，梯度变小时有效学习率又会回升。",
        },
        question={
            "en": "With the same learning rate, why can AdaGrad move each coordinate by at most about 2·lr·√t in "
                  "t steps here? What does RMSprop's β control?",
            "zh": "在相同的学习率下，为什么这里 AdaGrad 在 t 步内每个坐标最多只能移动约 2·学习率·√t？"
                  "RMSprop 的 β 控制的是什么？",
        },
        look_for={
            "en": "On the log scale AdaGrad's effective learning rate falls and keeps falling while RMSprop's rises "
                  "again. Switch to the race: RMSprop reaches the minimum in about 100 steps, while AdaGrad is "
                  "still about 1 away after 300.",
            "zh": "在对数坐标上，AdaGrad 的有效学习率一路下降，而 RMSprop 的又重新上升。切换到赛跑视图：RMSprop "
                  "大约 100 步就到达最小值，AdaGrad 走了 300 步仍离最小值约 1。",
        },
        config=race_setting("quadratic", (1.5, 1.0), 300,
                     contestant("adagrad", "AdaGrad", lr=0.02, eps=1e-10),
                     contestant("rmsprop", "RMSprop β=0.9", lr=0.02, beta=0.9, eps=1e-8)),
        view="inside",
    ),
    Lesson(
        id="adam-bias-correction",
        title={"en": "Adam's bias correction in the first steps", "zh": "Adam 的偏差修正：最初的几步"},
        explanation={
            "en": "Adam keeps two exponentially weighted averages that both start at zero: m of the gradients "
                  "(β1 = 0.9) and v of the squared gradients (β2 = 0.999). Early on they are too small by the "
                  "factors 1 − β1ᵗ and 1 − β2ᵗ, and bias correction divides these out. Without it a steady gradient "
                  "gives steps of lr·(1 − β1ᵗ)/√(1 − β2ᵗ) per coordinate: 3.16·lr on the first step and about "
                  "6·lr around step 10, because v is far more biased than m.",
            "zh": "Adam 维护两个都从零开始的指数加权平均：梯度的 m（β1 = 0.9）和梯度平方的 v（β2 = 0.999）。"
                  "刚开始时它们分别偏小 1 − β1ᵗ 和 1 − β2ᵗ 倍，偏差修正就是把这两个因子除掉。不做修正时，"
                  "在梯度稳定的情况下每个坐标的步长是 学习率·(1 − β1ᵗ)/√(1 − β2ᵗ)：第一步是 3.16 倍学习率，"
                  "第 10 步左右约 6 倍，因为 v 的偏差比 m 大得多。",
        },
        question={
            "en": "Which of the two averages is more biased in the first steps, and why does that make the "
                  "uncorrected steps too large rather than too small?",
            "zh": "最初几步里哪个平均值偏差更大？为什么这会让未修正的步长偏大而不是偏小？",
        },
        look_for={
            "en": "The corrected Adam moves a steady 0.02 per coordinate per step; the uncorrected one leaps ahead 3 "
                  "to 6 times faster and overshoots the minimum by about 0.37 before it comes back.",
            "zh": "修正后的 Adam 每步每个坐标稳定地移动 0.02；未修正的一开始快 3 到 6 倍，冲过最小值约 0.37 后才折返。",
        },
        config=race_setting("quadratic", (1.5, 1.0), 200,
                     contestant("adam", "Adam", lr=0.02, **ADAM),
                     contestant("adam", "Adam, no bias correction", bias_correction=False, lr=0.02, **ADAM)),
        labels_zh=("Adam", "Adam（无偏差修正）"),
        opening_step=20,  # the uncorrected run has leapt past the minimum; the corrected one has moved 0.4
    ),
    Lesson(
        id="momentum-conventions",
        title={"en": "Two ways to write momentum", "zh": "动量的两种写法"},
        explanation={
            "en": "PyTorch writes momentum as v = βv + g; the course notes write v = βv + (1 − β)g, an "
                  "exponentially weighted average of the gradients. With the same β = 0.9 and the same learning "
                  "rate, the PyTorch velocity is 1/(1 − β) = 10 times larger, so its steps are about 10 times "
                  "longer. They are the same method: PyTorch with learning rate lr·(1 − β) follows exactly the "
                  "course-notes path with lr.",
            "zh": "PyTorch 把动量写成 v = βv + g；课程讲义写成 v = βv + (1 − β)g，即梯度的指数加权平均。β = 0.9、"
                  "学习率也相同时，PyTorch 的速度是讲义的 1/(1 − β) = 10 倍，步子也大约长 10 倍。两者其实是同一种方法："
                  "PyTorch 用学习率 lr·(1 − β) 时，走出的路径与讲义写法用学习率 lr 时完全相同。",
        },
        question={
            "en": "If you copy β and the learning rate from a course-notes example into PyTorch, what happens? "
                  "Which learning rate should you use instead?",
            "zh": "如果把讲义例子里的 β 和学习率原样搬到 PyTorch 里，会发生什么？应该改用多大的学习率？",
        },
        look_for={
            "en": "The two runs with lr 0.01 differ tenfold in step size; the PyTorch run with lr 0.01 and the "
                  "course-notes run with lr 0.1 trace the very same path.",
            "zh": "两个学习率为 0.01 的路径步长相差十倍；PyTorch 写法的 lr 0.01 与讲义写法的 lr 0.1 走出完全相同的路径。",
        },
        config=race_setting("quadratic", (1.5, 1.0), 150,
                     contestant("momentum", "v=βv+g, lr=0.01", lr=0.01, beta=0.9),
                     contestant("momentum", "v=βv+(1−β)g, lr=0.01", convention="textbook", lr=0.01, beta=0.9),
                     contestant("momentum", "v=βv+(1−β)g, lr=0.1", convention="textbook", lr=0.1, beta=0.9)),
        view="side",
    ),
    Lesson(
        id="nesterov",
        title={"en": "Nesterov versus momentum: less overshoot", "zh": "Nesterov 与动量：更少冲过头"},
        explanation={
            "en": "Heavy-ball momentum builds up speed along the valley floor, carries it past the minimum and then "
                  "swings back and forth. Nesterov's method takes the gradient at the point the velocity is about "
                  "to carry it to, a look-ahead, so it starts braking before it gets there. With the same learning "
                  "rate and β the overshoot is smaller and the swings die out faster.",
            "zh": "重球动量沿谷底积累速度，带着它冲过最小值，然后来回摆动。Nesterov 方法在速度即将带它到达的位置"
                  "（向前看一步）计算梯度，所以在到达之前就开始刹车。学习率和 β 相同时，它冲得更少，摆动也衰减得更快。",
        },
        question={
            "en": "Why does looking one step ahead act like extra friction?",
            "zh": "为什么“向前看一步”相当于增加了摩擦？",
        },
        look_for={
            "en": "Both runs shoot past the ★ along the floor: Momentum out to about x = 1.5, Nesterov only to "
                  "about x = 1.0, and Nesterov crosses the minimum fewer times before it settles.",
            "zh": "两条路径都沿谷底冲过了 ★：Momentum 冲到约 x = 1.5，Nesterov 只到约 x = 1.0，"
                  "而且 Nesterov 在停下之前穿过最小值的次数更少。",
        },
        config=race_setting("ravine", (-2.5, 0.5), 150,
                     contestant("momentum", "Momentum β=0.9", lr=0.1, beta=0.9),
                     contestant("nesterov", "Nesterov β=0.9", lr=0.1, beta=0.9),
                     condition=5.0, angle=0.0),
    ),
    Lesson(
        id="local-minima",
        title={"en": "Local minima: where you end depends on how you go", "zh": "局部极小值：终点取决于怎么走"},
        explanation={
            "en": "This surface has three basins of different depths. From the same start GD follows the slope into "
                  "the nearest basin, while Momentum's speed carries it over the ridge into the deepest one, and "
                  "Adam's normalized steps choose their own route. Gradient noise changes the ending too: with "
                  "another random seed the same noisy GD can end in another basin.",
            "zh": "这个曲面有三个深浅不同的盆地。从同一个起点出发，梯度下降顺着坡落进最近的盆地；动量法凭借速度翻过山脊，"
                  "进入最深的盆地；Adam 的归一化步长走出自己的路线。梯度噪声也会改变终点：换一个随机种子，"
                  "同样带噪声的梯度下降可能落进另一个盆地。",
        },
        question={
            "en": "Is ending in the deepest basin a property of the optimizer, or of the optimizer together with "
                  "the start, the learning rate and luck?",
            "zh": "落进最深的盆地是优化器本身的性质，还是优化器、起点、学习率和运气共同决定的？",
        },
        look_for={
            "en": "Watch which ★ each run stops at. Then change the seed of GD + noise: about half of the seeds end "
                  "in a different basin.",
            "zh": "看每条路径停在哪个 ★。然后改变 GD + 噪声的随机种子：大约一半的种子会落进不同的盆地。",
        },
        config=race_setting("local_minima", (-0.5, 2.5), 500,
                     contestant("sgd", "GD", lr=0.1),
                     contestant("momentum", "Momentum β=0.9", lr=0.1, beta=0.9),
                     contestant("adam", "Adam", lr=0.05, **ADAM),
                     contestant("sgd", "GD + noise σ=0.5", lr=0.1, noise=0.5, seed=0)),
        labels_zh=("GD", "Momentum β=0.9", "Adam", "GD + 噪声 σ=0.5"),
    ),
    Lesson(
        id="newton-saddle",
        title={"en": "Why not second order? Newton and saddle points", "zh": "为什么不用二阶方法？牛顿法与鞍点"},
        explanation={
            "en": "Newton's method divides the gradient by the curvature (the Hessian), so on a quadratic it jumps "
                  "to the stationary point in one step; here the x-direction is exactly quadratic and is solved at "
                  "once. But it jumps to any stationary point, saddles included: where the surface curves down, "
                  "dividing by a negative curvature turns the step uphill. Add the cost of building and inverting "
                  "a d × d Hessian for millions of weights, and deep learning sticks to first-order methods.",
            "zh": "牛顿法用曲率（海森矩阵）去除梯度，所以在二次函数上一步就跳到驻点；这里 x 方向恰好是二次的，一步就解决了。"
                  "但它会跳向任何驻点，包括鞍点：在曲面向下弯的方向上，除以负曲率会让这一步朝上坡走。再加上对几百万个"
                  "参数构造并求逆 d × d 海森矩阵的代价，深度学习仍然使用一阶方法。",
        },
        question={
            "en": "Newton uses more information than GD, so why does it end at a worse point here? What would a "
                  "method have to do with the Hessian's negative eigenvalue to avoid this?",
            "zh": "牛顿法比梯度下降用了更多信息，为什么这里反而停在更差的点？要避免这种情况，"
                  "方法应该怎样处理海森矩阵的负特征值？",
        },
        look_for={
            "en": "Newton lands on x = 0 in one step, reaches the ✕ saddle within 4 steps and stops there; GD rolls "
                  "down into the minimum at (0, 1).",
            "zh": "牛顿法一步就落到 x = 0，4 步之内到达 ✕ 鞍点并停在那里；GD 则滚进 (0, 1) 处的极小值。",
        },
        config=race_setting("saddle", (-1.5, 0.3), 100,
                     contestant("sgd", "GD", lr=0.1),
                     contestant("newton", "Newton", lr=1.0, damping=0.0)),
    ),
    Lesson(
        id="step-decay",
        title={"en": "Learning-rate decay: shrink the jitter", "zh": "学习率衰减：缩小抖动"},
        explanation={
            "en": "With a constant learning rate RMSprop does not settle at the minimum: its normalized steps stay "
                  "about lr long, so it keeps jumping across the minimum in a small cycle. Step decay multiplies "
                  "the learning rate by a fixed factor every N steps, here × 0.7 every 100 steps. Each cut shrinks "
                  "the cycle by the same factor, so the loss falls in a staircase. (β = 0.1 here: the average of "
                  "the squared gradients forgets almost at once, so each stage settles into its cycle within about "
                  "20 steps and the stairs are flat.)",
            "zh": "学习率不变时，RMSprop 停不到最小值上：归一化后的步长始终约等于学习率，所以它在最小值两侧以一个小循环"
                  "来回跳。阶梯衰减每隔 N 步把学习率乘以一个固定因子，这里是每 100 步乘以 0.7。每降一次，循环就按"
                  "同样的比例缩小，损失曲线呈阶梯状下降。（这里 β = 0.1：梯度平方的平均几乎立刻遗忘旧值，所以每个阶段"
                  "大约 20 步内就进入新的循环，台阶是平的。）",
        },
        question={
            "en": "Why does a normalized step (the gradient divided by its own typical size) not get smaller by "
                  "itself near the minimum, when a plain GD step does?",
            "zh": "为什么在最小值附近，普通梯度下降的步长会自己变小，而归一化的步长（梯度除以它自己的典型大小）却不会？",
        },
        look_for={
            "en": "In the loss view the constant-lr run levels off 0.026 above the minimum; the decayed run's loss "
                  "is a staircase: a flat step for each stage of 100 steps, each 0.49 = 0.7² times the one before.",
            "zh": "在损失视图中，学习率不变的路径停在比最小值高 0.026 的水平；衰减路径的损失是一段阶梯："
                  "每个 100 步的阶段是一级平台，每级是上一级的 0.49 = 0.7² 倍。",
        },
        config=race_setting("ravine", (-2.5, 0.5), 600,
                     contestant("rmsprop", "RMSprop", lr=0.1, beta=0.1, eps=1e-8),
                     contestant("rmsprop", "RMSprop, step decay", schedule="step:100:0.7", lr=0.1, beta=0.1, eps=1e-8),
                     condition=20.0, angle=0.0),
        view="loss",
        labels_zh=("RMSprop", "RMSprop（阶梯衰减）"),
    ),
    Lesson(
        id="learning-rate-importance",
        title={"en": "Which hyperparameter matters most? The learning rate", "zh": "哪个超参数最重要？学习率"},
        explanation={
            "en": "Five copies of the same Momentum optimizer (β = 0.5) differ only in the learning rate, each ten "
                  "times the one before. Too small and the run crawls; in a good range it converges, and even there "
                  "ten times the learning rate reaches the minimum about 18 times sooner; too large and it "
                  "diverges. Changing β among 0.8, 0.9 and 0.95 moves the result far less (at most threefold), "
                  "which is why the learning rate is the first hyperparameter to tune, searched on a log scale.",
            "zh": "同一个动量优化器（β = 0.5）的五个副本只有学习率不同，每个是前一个的十倍。太小就爬得很慢；在合适的范围内"
                  "能收敛，即使在这个范围里，学习率大十倍也能快大约 18 倍到达最小值；太大就发散。把 β 在 0.8、0.9 和 0.95 "
                  "之间改变，结果的变化要小得多（最多三倍）。这就是为什么学习率是第一个要调的超参数，而且要在对数尺度上搜索。",
        },
        question={
            "en": "Before you tune anything else, which range of learning rates would you search, and why on a "
                  "logarithmic scale?",
            "zh": "在调其他超参数之前，你会在什么范围里搜索学习率？为什么要用对数尺度？",
        },
        look_for={
            "en": "In the loss view lr 0.0001 is still far from the minimum after 500 steps, lr 0.001 is closer, "
                  "lr 0.01 gets within 1e-6 of it after about 360 steps and lr 0.1 after about 20, and lr 1 "
                  "diverges within 3 steps.",
            "zh": "在损失视图中，学习率 0.0001 走了 500 步仍离最小值很远，0.001 近了一些，0.01 大约 360 步后与最小值"
                  "相差不到 1e-6，0.1 大约 20 步就做到，而学习率 1 在 3 步之内就发散了。",
        },
        config=race_setting("ravine", (-2.5, 0.5), 500,
                     *(contestant("momentum", f"Momentum lr={lr:g}", lr=lr, beta=0.5)
                       for lr in (0.0001, 0.001, 0.01, 0.1, 1.0)),
                     condition=20.0, angle=0.0),
        view="loss",
    ),
)

__all__ = ["Lesson", "LESSONS", "VIEWS"]
