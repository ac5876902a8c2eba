"""The words of the theory figures (``optviz/figures/theory.py``), the curvature glyphs of the race map and the
grouped optimizer picker, in English and Simplified Chinese, by key.

Data only, to be merged into ``optviz.i18n_catalog.TEXTS``; until then ``figures.theory`` looks keys up
here when the main catalog lacks them.
"""
from __future__ import annotations

THEORY_TEXTS: dict[str, dict[str, str]] = {
    # edge of stability
    "theory.eos.title": {"en": "Sharpness against the stability limit", "zh": "锐度与稳定性界限"},
    "theory.eos.sharpness": {"en": "sharpness λ_max(∇²f)", "zh": "锐度 λ_max(∇²f)"},
    "theory.eos.preconditioned": {"en": "preconditioned sharpness λ_max(P^-1/2 H P^-1/2)",
                                  "zh": "预条件锐度 λ_max(P^-1/2 H P^-1/2)"},
    "theory.eos.limit": {"en": "{label}: limit", "zh": "{label}：界限"},
    "theory.eos.crossing": {"en": "{label} crosses its limit at step {step}", "zh": "{label} 在第 {step} 步越过界限"},
    "theory.eos.y": {"en": "curvature (1/learning-rate units)", "zh": "曲率（以 1/学习率 为单位）"},
    # predicted vs measured
    "theory.pred.title": {"en": "Predicted and measured loss", "zh": "预测损失与实测损失"},
    "theory.pred.measured": {"en": "{label}: measured", "zh": "{label}：实测"},
    "theory.pred.exact": {"en": "{label}: predicted (exact)", "zh": "{label}：预测（精确）"},
    "theory.pred.bound": {"en": "{label}: bound ρ^2t", "zh": "{label}：上界 ρ^2t"},
    "theory.pred.optimal_gd": {"en": "GD at the best lr: ((κ−1)/(κ+1))^2t", "zh": "最佳学习率的 GD：((κ−1)/(κ+1))^2t"},
    "theory.pred.optimal_hb": {"en": "momentum at the best (η, β): ((√κ−1)/(√κ+1))^2t",
                               "zh": "最佳 (η, β) 的动量法：((√κ−1)/(√κ+1))^2t"},
    "theory.pred.y": {"en": "loss − minimum (log)", "zh": "损失 − 最小值（对数）"},
    # phase diagram
    "theory.phase.title": {"en": "Momentum phase diagram: rate by (η, β)",
                           "zh": "动量相图：各 (η, β) 下每步的收缩率"},
    "theory.phase.rate": {"en": "rate (spectral radius)", "zh": "收缩率（谱半径）"},
    "theory.phase.diverges": {"en": "diverges (rate ≥ 1)", "zh": "发散（收缩率 ≥ 1）"},
    "theory.phase.critical": {"en": "critical damping, λ = {lam}", "zh": "临界阻尼，λ = {lam}"},
    "theory.phase.optimum": {"en": "optimum η* = {lr}, β* = {beta}", "zh": "最优 η* = {lr}，β* = {beta}"},
    "theory.phase.current": {"en": "{label}", "zh": "{label}"},
    "theory.phase.lr": {"en": "learning rate η", "zh": "学习率 η"},
    "theory.phase.beta": {"en": "momentum β", "zh": "动量 β"},
    # eigen-direction loss
    "theory.eigen.title": {"en": "Loss by eigen-direction: {label}", "zh": "按特征方向分解的损失：{label}"},
    "theory.eigen.direction": {"en": "direction λ = {lam}", "zh": "方向 λ = {lam}"},
    "theory.eigen.total": {"en": "total", "zh": "总和"},
    # range test
    "theory.range.title": {"en": "Learning-rate range test", "zh": "学习率范围测试"},
    "theory.range.loss": {"en": "loss after each step", "zh": "每步之后的损失"},
    "theory.range.smoothed": {"en": "smoothed", "zh": "平滑后"},
    "theory.range.steepest": {"en": "steepest descent, lr = {lr}", "zh": "下降最陡处，学习率 = {lr}"},
    "theory.range.suggested": {"en": "suggested lr = {lr}", "zh": "建议学习率 = {lr}"},
    "theory.range.x": {"en": "learning rate (log)", "zh": "学习率（对数）"},
    "theory.range.y": {"en": "loss − minimum (log)", "zh": "损失 − 最小值（对数）"},
    # shared
    "theory.step": {"en": "step", "zh": "步数"},
    "theory.quadratic_only": {"en": "The predicted loss curves, the eigen-directions and the phase diagram need a "
                                    "quadratic surface: pick the bowl or the ravine.",
                              "zh": "预测的损失曲线、特征方向和相图需要二次曲面：请选择碗形或峡谷曲面。"},
    "theory.use_lr": {"en": "Use the range test's lr for SGD ({lr})", "zh": "SGD 使用学习率区间测试的建议值（{lr}）"},
    # phase diagram: click to load
    "theory.phase.click_hint": {"en": "Click the diagram to load a point's (η, β) into {label}, on the nearest "
                                      "notches of its sliders. Now: η = {lr}, β = {beta} (its ● on the diagram).",
                                "zh": "点击相图，把该点的 (η, β) 载入 {label}（取滑块上最接近的刻度）。"
                                      "当前：η = {lr}，β = {beta}（图中它的 ●）。"},
    "theory.phase.no_target": {"en": "Add Momentum (PyTorch form) to the race to load a point of the diagram by "
                                     "clicking it.",
                               "zh": "把动量法（PyTorch 形式）加入比赛后，点击相图中的一点即可载入它。"},
    # curvature glyphs on the race map (the component's own bar and hover)
    "race.curvature": {"en": "Curvature", "zh": "曲率"},
    "race.curvature_help": {"en": "Show the Hessian's eigen-directions at each head: arms ∝ 1/√|λ|, dashed where the "
                                  "surface curves down (λ < 0)",
                            "zh": "在每个当前位置显示 Hessian 的特征方向：臂长 ∝ 1/√|λ|，曲面向下弯曲（λ < 0）处为虚线"},
    "race.curvature_hover": {"en": "condition number κ = {kappa}\nsharpness λ_max = {lam}",
                             "zh": "条件数 κ = {kappa}\n锐度 λ_max = {lam}"},
    # the optimizer picker, grouped
    "picker.guide": {"en": "What each optimizer does", "zh": "各优化器的作用"},
    "picker.option": {"en": "{name} · {group}", "zh": "{name} · {group}"},
    "picker.tag.classic": {"en": "classic", "zh": "经典"},
    "picker.tag.adaptive": {"en": "adaptive", "zh": "自适应"},
    "picker.tag.second_order": {"en": "2nd order", "zh": "二阶"},
    "picker.tag.sign": {"en": "sign", "zh": "符号"},
    "picker.tag.schedule_free": {"en": "schedule-free", "zh": "无调度"},
    "picker.tag.sharpness": {"en": "sharpness", "zh": "锐度"},
}
