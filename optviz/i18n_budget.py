"""The words of the request budget (``optviz.budget``, ``optviz.app.work``) in English and Simplified Chinese,
by key. Data only, merged into ``optviz.i18n.CATALOG``."""
from __future__ import annotations

BUDGET_TEXTS: dict[str, dict[str, str]] = {
    "budget.what.sweep": {"en": "hyperparameter sweep", "zh": "超参数扫描"},
    "budget.what.basins": {"en": "basin map", "zh": "吸引域图"},
    "budget.what.tuning": {"en": "fair race's tuning", "zh": "公平比赛的学习率调优"},
    "budget.what.race": {"en": "race", "zh": "比赛"},
    "budget.cells": {"en": "{n} × {n} cells of {steps} steps", "zh": "{n} × {n} 个格点、每个 {steps} 步"},
    "budget.starts": {"en": "{n} × {n} starts of {steps} steps", "zh": "{n} × {n} 个起点、每个 {steps} 步"},
    "budget.steps": {"en": "{steps} steps", "zh": "{steps} 步"},
    "budget.reduced": {
        "en": "The {what} shows {allowed} instead of {asked}: that would take about {asked_seconds} s of the "
              "server's time, and each request may take at most {budget} s, so that many people can share it.",
        "zh": "{what}显示的是 {allowed}，而不是 {asked}：后者约需服务器 {asked_seconds} 秒，而每个请求最多只能用 "
              "{budget} 秒，这样许多人才能共用服务器。"},
    "budget.refused_race": {
        "en": "The {what} was not run: {asked} would take about {asked_seconds} s of the server's time, and each "
              "request may take at most {budget} s, so that many people can share it. At most {allowed} fit.",
        "zh": "{what}没有运行：{asked} 约需服务器 {asked_seconds} 秒，而每个请求最多只能用 {budget} 秒，"
              "这样许多人才能共用服务器。最多可以运行 {allowed}。"},
    "budget.refused": {
        "en": "The {what} was not computed: {reason} (each request may take at most {budget} s).",
        "zh": "{what}没有计算：{reason}（每个请求最多只能用 {budget} 秒）。"},
    "budget.apply": {"en": "Use {allowed}", "zh": "改用 {allowed}"},
}
