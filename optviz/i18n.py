"""Every word the app shows, in English and Simplified Chinese: one catalog, looked up by key.

``t(key, lang, **values)`` formats the entry; a key missing in either language is a bug that
``tests/test_i18n.py`` catches, so there is no silent fallback here. What the app says about
an optimizer (hyperparameter labels ``opt.<hyperparameter>``, which optimizers record an
effective learning rate) comes from the optimizers' specs, added below the catalog.
"""
from __future__ import annotations

from optviz.optimizers import HYPER_BY_NAME, SPECS

LANGUAGES = {"en": "English", "zh": "简体中文"}

CATALOG: dict[str, dict[str, str]] = {
    # plots
    "plot.loss": {"en": "loss f(x, y)", "zh": "损失 f(x, y)"},
    "plot.minimum": {"en": "minimum", "zh": "最小值"},
    "plot.saddle": {"en": "saddle point", "zh": "鞍点"},
    "plot.start": {"en": "start", "zh": "起点"},
    "plot.click_to_start": {"en": "click to start here", "zh": "点击以此为起点"},
    "plot.play": {"en": "Play", "zh": "播放"},
    "plot.pause": {"en": "Pause", "zh": "暂停"},
    "plot.step": {"en": "step", "zh": "步数"},
    "plot.gap": {"en": "loss − minimum (log)", "zh": "损失 − 最小值（对数）"},
    "plot.loss_linear": {"en": "loss", "zh": "损失"},
    "plot.distance": {"en": "distance to nearest minimum (log)", "zh": "到最近最小值的距离（对数）"},
    "plot.height_log": {"en": "log₁₀(f − f_min + δ)", "zh": "log₁₀(f − f_min + δ)"},
    "plot.height_value": {"en": "f(x, y)", "zh": "f(x, y)"},
    "plot.arrow.gradient": {"en": "−gradient", "zh": "负梯度"},
    "plot.arrow.memory": {"en": "−velocity / first moment", "zh": "负速度 / 一阶矩"},
    "plot.arrow.step": {"en": "step taken", "zh": "实际步长"},
    "plot.effective_lr": {"en": "effective learning rate per coordinate (log)", "zh": "各坐标的有效学习率（对数）"},
    "plot.coordinate_x": {"en": "x coordinate", "zh": "x 坐标"},
    "plot.coordinate_y": {"en": "y coordinate", "zh": "y 坐标"},
    # statuses
    "status.running": {"en": "running", "zh": "运行中"},
    "status.converged": {"en": "converged at step {step}", "zh": "第 {step} 步收敛"},
    "status.diverged": {"en": "diverged at step {step}", "zh": "第 {step} 步发散"},
    # app: page and sidebar
    "app.title": {"en": "OptViz — optimizers racing on loss surfaces", "zh": "OptViz — 优化器在损失曲面上赛跑"},
    "app.language": {"en": "Language / 语言", "zh": "语言 / Language"},
    "app.surface": {"en": "Loss surface", "zh": "损失曲面"},
    "surface.quadratic": {"en": "quadratic bowl", "zh": "二次碗形"},
    "surface.ravine": {"en": "ravine (narrow valley)", "zh": "峡谷（狭长山谷）"},
    "surface.rosenbrock": {"en": "Rosenbrock", "zh": "Rosenbrock 函数"},
    "surface.saddle": {"en": "saddle point", "zh": "鞍点"},
    "surface.plateau": {"en": "plateau", "zh": "平台区"},
    "surface.local_minima": {"en": "local minima", "zh": "局部极小值"},
    "surface.beale": {"en": "Beale", "zh": "Beale 函数"},
    "surface.himmelblau": {"en": "Himmelblau", "zh": "Himmelblau 函数"},
    "surface.rastrigin": {"en": "Rastrigin", "zh": "Rastrigin 函数"},
    "surface.monkey_saddle": {"en": "monkey saddle", "zh": "猴鞍面"},
    "sparam.condition": {"en": "condition number κ", "zh": "条件数 κ"},
    "sparam.condition.help": {"en": "curvature across the valley divided by curvature along it",
                              "zh": "横穿山谷方向的曲率与沿山谷方向曲率之比"},
    "sparam.angle": {"en": "valley angle (degrees)", "zh": "山谷方向（度）"},
    "sparam.angle.help": {"en": "direction of the valley floor, measured from the x axis",
                          "zh": "谷底方向，从 x 轴起算"},
    "sparam.width": {"en": "basin width", "zh": "盆地宽度"},
    "sparam.width.help": {"en": "radius of the basin; the plateau begins a few widths out",
                          "zh": "盆地半径；平台区从几个半径之外开始"},
    "app.custom_surface": {"en": "custom: type f(x, y)", "zh": "自定义：输入 f(x, y)"},
    "app.expression": {"en": "f(x, y) =", "zh": "f(x, y) ="},
    "app.expression_help": {"en": "Use x, y, numbers, + − * / ** (or ^), parentheses, pi, e and sin, cos, tan, exp, "
                                  "log, sqrt, tanh, sinh, cosh, abs, arctan, sigmoid. Up to 300 characters.",
                            "zh": "可使用 x、y、数字、+ − * / **（或 ^）、括号、pi、e 以及 sin、cos、tan、exp、log、sqrt、"
                                  "tanh、sinh、cosh、abs、arctan、sigmoid。最多 300 个字符。"},
    "app.expression_error": {"en": "This function cannot be used: {message}. The last valid one is still shown.",
                             "zh": "无法使用此函数：{message}。仍显示上一个有效的函数。"},
    "app.start": {"en": "Start point", "zh": "起点"},
    "app.start_x": {"en": "start x", "zh": "起点 x"},
    "app.start_y": {"en": "start y", "zh": "起点 y"},
    "app.random_start": {"en": "Random start", "zh": "随机起点"},
    "app.default_start": {"en": "Default start", "zh": "默认起点"},
    "app.start_hint": {"en": "Or click anywhere on the race map.", "zh": "也可以直接点击赛跑图上的任意位置。"},
    "app.steps": {"en": "Steps", "zh": "步数"},
    "app.optimizers": {"en": "Optimizers", "zh": "优化器"},
    "app.optimizers_help": {"en": "Pick who races. Duplicate one below to race it against itself with other settings.",
                            "zh": "选择参赛的优化器。可在下方复制一个，用不同设置与自己比赛。"},
    "app.no_optimizer": {"en": "Choose at least one optimizer in the sidebar.", "zh": "请在侧边栏至少选择一个优化器。"},
    "app.tune_all": {"en": "Tune every learning rate for this surface", "zh": "为此曲面调优所有学习率"},
    "app.tune_help": {"en": "Sets each lr to the best of 26 values from 1e-4 to 10 for this surface, start and step budget.",
                      "zh": "将每个学习率设为在此曲面、起点和步数下，1e-4 到 10 之间 26 个取值中的最佳值。"},
    "app.lesson": {"en": "Lesson", "zh": "课程示例"},
    "app.lesson_none": {"en": "— free play —", "zh": "— 自由探索 —"},
    "lesson.question": {"en": "Question", "zh": "思考题"},
    "lesson.look_for": {"en": "What to look for", "zh": "观察要点"},
    # app: optimizer controls
    "opt.convention": {"en": "convention", "zh": "公式约定"},
    "opt.bias_correction": {"en": "bias correction", "zh": "偏差修正"},
    "opt.schedule": {"en": "learning-rate schedule", "zh": "学习率调度"},
    "opt.schedule.constant": {"en": "constant", "zh": "恒定"},
    "opt.schedule.step": {"en": "step decay", "zh": "阶梯衰减"},
    "opt.schedule.exp": {"en": "exponential", "zh": "指数衰减"},
    "opt.schedule.cosine": {"en": "cosine", "zh": "余弦退火"},
    "opt.every": {"en": "every N steps", "zh": "每 N 步"},
    "opt.factor": {"en": "multiply by", "zh": "乘以"},
    "opt.gamma": {"en": "γ per step", "zh": "每步 γ"},
    "opt.period": {"en": "period T", "zh": "周期 T"},
    "opt.warmup": {"en": "linear warm-up steps", "zh": "线性预热步数"},
    "opt.noise": {"en": "gradient noise σ", "zh": "梯度噪声 σ"},
    "opt.seed": {"en": "noise seed", "zh": "噪声种子"},
    "opt.reset": {"en": "Reset to defaults", "zh": "恢复默认"},
    "opt.duplicate": {"en": "Duplicate", "zh": "复制"},
    "opt.conv.pytorch": {"en": "PyTorch (v = βv + g)", "zh": "PyTorch（v = βv + g）"},
    "opt.conv.keras": {"en": "Keras 3", "zh": "Keras 3"},
    "opt.conv.textbook": {"en": "course notes (v = βv + (1−β)g)", "zh": "课程讲义（v = βv + (1−β)g）"},
    # app: views
    "view.race": {"en": "Race", "zh": "赛跑"},
    "view.side": {"en": "Side by side", "zh": "并排对比"},
    "view.3d": {"en": "3-D", "zh": "三维"},
    "view.loss": {"en": "Loss", "zh": "损失曲线"},
    "view.table": {"en": "Results", "zh": "结果"},
    "view.inside": {"en": "Inside the optimizer", "zh": "优化器内部"},
    "view.sweep": {"en": "Hyperparameter landscape", "zh": "超参数地形图"},
    "sweep.contestant": {"en": "optimizer (with its other settings)", "zh": "优化器（其余设置不变）"},
    "sweep.x": {"en": "x axis", "zh": "横轴"},
    "sweep.y": {"en": "y axis", "zh": "纵轴"},
    "sweep.one_parameter": {"en": "This optimizer has only one hyperparameter to sweep; pick another one.",
                            "zh": "此优化器只有一个可扫描的超参数，请选择其他优化器。"},
    "sweep.resolution": {"en": "cells per axis", "zh": "每轴格数"},
    "sweep.budget": {"en": "step budget", "zh": "步数预算"},
    "sweep.computing": {"en": "Running {cells} runs × {steps} steps…", "zh": "正在运行 {cells} 次 × {steps} 步……"},
    "sweep.pick_x": {"en": "pick x", "zh": "选择横轴取值"},
    "sweep.pick_y": {"en": "pick y", "zh": "选择纵轴取值"},
    "sweep.load": {"en": "Load this cell into the race", "zh": "将此格设置载入赛跑"},
    "sweep.load_best": {"en": "Load the best cell into the race", "zh": "将最佳格载入赛跑"},
    "sweep.loaded_note": {"en": "Values are set to the nearest notch of each slider.", "zh": "数值会取各滑块上最接近的刻度。"},
    "sweep.basins": {"en": "Basin map: where each start ends", "zh": "吸引域图：每个起点的归宿"},
    "sweep.basin_grid": {"en": "starts per axis", "zh": "每轴起点数"},
    "sweep.no_minima": {"en": "This surface has no known minima, so there are no basins to colour.",
                        "zh": "此曲面没有已知的最小值，因此没有吸引域可着色。"},
    "sweep.fair": {"en": "Fair race: each optimizer's best learning rate here", "zh": "公平赛跑：各优化器在此处的最佳学习率"},
    "sweep.tuned_race": {"en": "Tuned race: use these learning rates", "zh": "调优赛跑：使用这些学习率"},
    "view.ewa": {"en": "EWA lab", "zh": "指数加权平均实验"},
    "view.regression": {"en": "Regression lab", "zh": "线性回归实验"},
    "ewa.days": {"en": "days", "zh": "天数"},
    "ewa.seed": {"en": "weather seed", "zh": "天气随机种子"},
    "ewa.betas": {"en": "β values", "zh": "β 取值"},
    "ewa.show_correction": {"en": "compare with bias correction", "zh": "对比偏差修正"},
    "ewa.caption": {"en": "v_t = β·v_(t−1) + (1−β)·θ_t averages over about 1/(1−β) days: a larger β is smoother "
                          "but lags behind; starting from v_0 = 0 it begins too low, which dividing by 1 − β^t fixes.",
                    "zh": "v_t = β·v_(t−1) + (1−β)·θ_t 大约是对最近 1/(1−β) 天的平均：β 越大曲线越平滑，但越滞后；"
                          "由于从 v_0 = 0 开始，初期数值偏低，除以 1 − β^t 即可修正。"},
    "regression.points": {"en": "data points", "zh": "数据点数"},
    "regression.seed": {"en": "data seed", "zh": "数据随机种子"},
    "regression.batch": {"en": "mini-batch size", "zh": "小批量大小"},
    "regression.batch_seed": {"en": "batch seed", "zh": "批次随机种子"},
    "regression.step": {"en": "show the fit at step", "zh": "显示第几步的拟合"},
    "regression.caption": {"en": "y = 2x + 1 + noise, fitted by the optimizers and settings chosen in the sidebar. "
                                 "A batch as large as the data gives the full gradient; smaller batches make it noisy.",
                           "zh": "数据 y = 2x + 1 + 噪声，由侧边栏选定的优化器及其设置来拟合。"
                                 "批量等于数据量时是完整梯度；批量越小，梯度越嘈杂。"},
    "explain.pick_run": {"en": "optimizer to explain", "zh": "要解释的优化器"},
    "explain.pick_step": {"en": "step", "zh": "步数"},
    "app.arrows": {"en": "Show arrows: −gradient, −velocity/first moment, step", "zh": "显示箭头：负梯度、负速度/一阶矩、步长"},
    "view.height": {"en": "height", "zh": "高度"},
    "view.height.log": {"en": "log scale", "zh": "对数"},
    "view.height.value": {"en": "loss value", "zh": "损失值"},
    "table.label": {"en": "optimizer", "zh": "优化器"},
    "table.status": {"en": "status", "zh": "状态"},
    "table.final_loss": {"en": "final loss", "zh": "最终损失"},
    "table.best_loss": {"en": "best loss", "zh": "最佳损失"},
    "table.steps_to": {"en": "steps to loss − min ≤ {tol}", "zh": "达到 损失 − 最小值 ≤ {tol} 的步数"},
    "table.final_x": {"en": "final x", "zh": "最终 x"},
    "table.final_y": {"en": "final y", "zh": "最终 y"},
    "table.never": {"en": "—", "zh": "—"},
    "table.tolerance": {"en": "tolerance", "zh": "容差"},
    "app.link_ignored": {"en": "Some values in the link were ignored:", "zh": "链接中的部分取值已被忽略："},
    "export.png": {"en": "⬇ PNG (final frame)", "zh": "⬇ PNG（最终画面）"},
    "export.gif": {"en": "⬇ GIF (the race)", "zh": "⬇ GIF（赛跑动画）"},
    "export.html": {"en": "⬇ HTML (interactive, offline)", "zh": "⬇ HTML（可交互，离线）"},
    "export.csv": {"en": "⬇ CSV (trajectories)", "zh": "⬇ CSV（轨迹数据）"},
    "app.error": {"en": "Cannot run this setting: {message}", "zh": "无法运行此设置：{message}"},
    # classroom: EWA lab, regression lab
    "ewa.day": {"en": "day", "zh": "天数"},
    "ewa.temperature": {"en": "temperature (°C)", "zh": "气温（°C）"},
    "ewa.daily": {"en": "daily temperature", "zh": "每日气温"},
    "ewa.average": {"en": "EWA, β = {beta}", "zh": "指数加权平均，β = {beta}"},
    "ewa.corrected": {"en": "EWA, β = {beta}, bias-corrected", "zh": "指数加权平均，β = {beta}，偏差修正"},
    "ewa.uncorrected": {"en": "EWA, β = {beta}, no correction", "zh": "指数加权平均，β = {beta}，未修正"},
    "ewa.window": {"en": "≈ {days} days (β = {beta})", "zh": "≈ {days} 天（β = {beta}）"},
    "regression.loss_map": {"en": "mean squared error over (w, b)", "zh": "参数 (w, b) 上的均方误差"},
    "regression.data_title": {"en": "data and fitted lines at step {step}", "zh": "数据与第 {step} 步的拟合直线"},
    "regression.data": {"en": "data", "zh": "数据点"},
    "regression.true_line": {"en": "true line y = 2x + 1", "zh": "真实直线 y = 2x + 1"},
    "regression.least_squares": {"en": "least squares", "zh": "最小二乘解"},
    "regression.true_params": {"en": "true (w, b) = (2, 1)", "zh": "真实参数 (w, b) = (2, 1)"},
    "regression.fit": {"en": "{label}: y = {w}x + {b}", "zh": "{label}：y = {w}x + {b}"},
    "regression.mse": {"en": "MSE", "zh": "均方误差"},
    # classroom: explain this step
    "explain.title": {"en": "Explain step {step}", "zh": "解释第 {step} 步"},
    "explain.rule": {"en": "Update rule ({optimizer}, {convention} convention)",
                     "zh": "更新规则（{optimizer}，{convention} 约定）"},
    "explain.numbers": {"en": "With the numbers of step {step}", "zh": "代入第 {step} 步的数值"},
    "explain.inputs": {
        "en": "The gradient is taken at the previous point θ{prev} = ({x}, {y}).",
        "zh": "梯度在上一个点 θ{prev} = ({x}, {y}) 处计算。"},
    "explain.memory": {"en": "The optimizer's memory ({names}) is the one left by step {step_prev}.",
                       "zh": "优化器的记忆量（{names}）取自第 {step_prev} 步结束时的状态。"},
    "explain.noisy": {
        "en": "This run adds gradient noise: the g shown is the noisy gradient the optimizer actually used, "
              "∇f + σξ, with ξ regenerated from seed {seed} and step {step}.",
        "zh": "此运行加入了梯度噪声：所示的 g 是优化器实际使用的带噪声梯度 ∇f + σξ，"
              "其中 ξ 由种子 {seed} 和步数 {step} 重新生成。"},
    "explain.given_gradient": {
        "en": "The g shown is the gradient the optimizer was given (for example a mini-batch gradient), "
              "not the exact gradient of the surface.",
        "zh": "所示的 g 是提供给优化器的梯度（例如小批量梯度），而不是曲面的精确梯度。"},
    "explain.schedule": {"en": "Learning rate at this step: η·s({k}) from the schedule “{schedule}”.",
                         "zh": "本步学习率：按调度“{schedule}”取 η·s({k})。"},
    "explain.rounded": {
        "en": "Numbers are rounded to {digits} significant digits; the new position is computed at full precision.",
        "zh": "数值四舍五入到 {digits} 位有效数字；新位置按完整精度计算。"},
    "explain.converged": {
        "en": "The run converged at this step (gradient and step both within the tolerance) and stays here.",
        "zh": "此运行在这一步收敛（梯度和步长都在容差以内），之后停在这里。"},
    "explain.diverged": {
        "en": "This step diverged: the new point is not finite or too far out, so the run was stopped and stays "
              "at θ{prev} = ({x}, {y}).",
        "zh": "这一步发散了：新位置不是有限值或超出范围，因此运行被停止，停留在 θ{prev} = ({x}, {y})。"},
    "explain.stopped": {
        "en": "Nothing moves at step {step}: the run {status} at step {stop} and stays at its last point.",
        "zh": "第 {step} 步没有移动：此运行已在第 {stop} 步{status}，之后停留在最后一个点。"},
    "explain.status.converged": {"en": "converged", "zh": "收敛"},
    "explain.status.diverged": {"en": "diverged", "zh": "发散"},
    "explain.mismatch": {
        "en": "These numbers do not reproduce the recorded point ({x}, {y}): the settings differ from those the "
              "run was simulated with.",
        "zh": "这些数值无法复现记录的位置 ({x}, {y})：设置与模拟此运行时所用的不同。"},
    # hyperparameter landscapes
    "sweep.log_gap": {"en": "log₁₀(final loss − f_min)", "zh": "log₁₀(最终损失 − f_min)"},
    "sweep.log_gap_lowest": {"en": "log₁₀(final loss − lowest final loss)", "zh": "log₁₀(最终损失 − 最低最终损失)"},
    "sweep.steps": {"en": "steps to loss − min ≤ {tol}", "zh": "达到 损失 − 最小值 ≤ {tol} 的步数"},
    "sweep.diverged": {"en": "diverged", "zh": "发散"},
    "sweep.never": {"en": "not within tolerance in {steps} steps", "zh": "{steps} 步内未达到容差"},
    "sweep.edge": {"en": "stability edge", "zh": "稳定边界"},
    "sweep.best": {"en": "lowest final loss", "zh": "最终损失最低"},
    "sweep.final_loss": {"en": "final loss", "zh": "最终损失"},
    "sweep.status": {"en": "status", "zh": "状态"},
    "sweep.status.running": {"en": "running", "zh": "运行中"},
    "sweep.status.converged": {"en": "converged", "zh": "已收敛"},
    "sweep.status.diverged": {"en": "diverged", "zh": "已发散"},
    "sweep.title_loss": {"en": "{optimizer} on {surface}: final loss after {steps} steps",
                         "zh": "{optimizer} 在 {surface} 上：{steps} 步后的最终损失"},
    "sweep.title_steps": {"en": "{optimizer} on {surface}: steps to loss − min ≤ {tol}",
                          "zh": "{optimizer} 在 {surface} 上：达到 损失 − 最小值 ≤ {tol} 的步数"},
    "basin.minimum": {"en": "minimum ({x}, {y})", "zh": "最小值 ({x}, {y})"},
    "basin.not_settled": {"en": "not settled (farther than {radius} from every minimum)",
                          "zh": "未落定（距所有最小值都超过 {radius}）"},
    "basin.starts": {"en": "{count} starts", "zh": "{count} 个起点"},
    "basin.outcome": {"en": "ends at", "zh": "归宿"},
    "basin.end": {"en": "end", "zh": "终点"},
    "basin.title": {"en": "Where {optimizer} ends from each start ({steps} steps)",
                    "zh": "{optimizer} 从各起点出发的归宿（{steps} 步）"},
}


def _listed(names: list[str]) -> dict[str, str]:
    """``"A, B and C"`` / ``"A、B 和 C"``."""
    return {"en": ", ".join(names[:-1]) + " and " + names[-1], "zh": "、".join(names[:-1]) + " 和 " + names[-1]}


CATALOG |= {f"opt.{name}": hyper.label._asdict() for name, hyper in HYPER_BY_NAME.items()}
_ADAPTIVE = _listed([spec.display_name for spec in SPECS.values() if "effective_lr" in spec.internals])
CATALOG["plot.no_effective_lr"] = {
    "en": f"None of the chosen optimizers adapts its learning rate per coordinate ({_ADAPTIVE['en']} do).",
    "zh": f"所选优化器都没有按坐标自适应的学习率（{_ADAPTIVE['zh']} 才有）。"}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = CATALOG[key][lang]
    return text.format(**values) if values else text


def status_text(traj, run: int, lang: str = "en") -> str:
    """``"diverged at step 37"`` / ``"第 37 步发散"`` for one run of a Trajectory."""
    status = str(traj.status[run])
    return t(f"status.{status}", lang, step=int(traj.stop_step[run])) if status != "running" else t(
        "status.running", lang)
