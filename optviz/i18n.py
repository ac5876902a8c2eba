"""Every word the app shows, in English and Simplified Chinese: one catalog, looked up by key.

``t(key, lang, **values)`` formats the entry; a key missing in either language is a bug that
``tests/test_i18n.py`` catches, so there is no silent fallback here.
"""
from __future__ import annotations

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
    "plot.no_effective_lr": {"en": "None of the chosen optimizers adapts its learning rate per coordinate "
                                   "(AdaGrad, RMSprop, AdaDelta, Adam and AdamW do).",
                             "zh": "所选优化器都没有按坐标自适应的学习率（AdaGrad、RMSprop、AdaDelta、Adam 和 AdamW 才有）。"},
    # statuses
    "status.running": {"en": "running", "zh": "运行中"},
    "status.converged": {"en": "converged at step {step}", "zh": "第 {step} 步收敛"},
    "status.diverged": {"en": "diverged at step {step}", "zh": "第 {step} 步发散"},
    # app: page and sidebar
    "app.title": {"en": "OptViz — optimizers racing on loss surfaces", "zh": "OptViz — 优化器在损失曲面上赛跑"},
    "app.language": {"en": "Language / 语言", "zh": "语言 / Language"},
    "app.surface": {"en": "Loss surface", "zh": "损失曲面"},
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
    # app: optimizer controls
    "opt.lr": {"en": "learning rate η", "zh": "学习率 η"},
    "opt.beta": {"en": "β", "zh": "β"},
    "opt.beta1": {"en": "β1 (first moment)", "zh": "β1（一阶矩）"},
    "opt.beta2": {"en": "β2 (second moment)", "zh": "β2（二阶矩）"},
    "opt.eps": {"en": "ε", "zh": "ε"},
    "opt.weight_decay": {"en": "weight decay λ", "zh": "权重衰减 λ"},
    "opt.damping": {"en": "damping μ", "zh": "阻尼 μ"},
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
    "app.download_csv": {"en": "Download trajectories (CSV)", "zh": "下载轨迹（CSV）"},
    "app.error": {"en": "Cannot run this setting: {message}", "zh": "无法运行此设置：{message}"},
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = CATALOG[key][lang]
    return text.format(**values) if values else text


def status_text(traj, run: int, lang: str = "en") -> str:
    """``"diverged at step 37"`` / ``"第 37 步发散"`` for one run of a Trajectory."""
    status = str(traj.status[run])
    return t(f"status.{status}", lang, step=int(traj.stop_step[run])) if status != "running" else t(
        "status.running", lang)
