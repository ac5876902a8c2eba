"""Every word the app shows, in English and Simplified Chinese: one catalog, looked up by key.

The fixed texts are data in ``optviz/i18n_catalog.py``; what the app says about an optimizer
(hyperparameter labels ``opt.<hyperparameter>``, which optimizers record an effective learning
rate) comes from the optimizers' specs. ``t(key, lang, **values)`` formats an entry; a key
missing in either language is a bug that ``tests/test_i18n.py`` catches, so there is no silent
fallback here.
"""
from __future__ import annotations

from optviz.i18n_budget import BUDGET_TEXTS
from optviz.i18n_catalog import TEXTS
from optviz.i18n_theory import THEORY_TEXTS
from optviz.optimizers import HYPER_BY_NAME, SPECS

LANGUAGES = {"en": "English", "zh": "简体中文"}


def _listed(names: list[str]) -> dict[str, str]:
    """``"A, B and C"`` / ``"A、B 和 C"``."""
    return {"en": ", ".join(names[:-1]) + " and " + names[-1], "zh": "、".join(names[:-1]) + " 和 " + names[-1]}


CATALOG = TEXTS | THEORY_TEXTS | BUDGET_TEXTS | {f"opt.{name}": hyper.label._asdict() for name, hyper in HYPER_BY_NAME.items()}
_ADAPTIVE = _listed([spec.display_name for spec in SPECS.values() if "effective_lr" in spec.internals])
CATALOG["plot.no_effective_lr"] = {
    "en": f"The per-coordinate effective learning rate is drawn for {_ADAPTIVE['en']}; none of them is racing. "
          f"What the chosen optimizers keep is drawn below.",
    "zh": f"按坐标的有效学习率只为 {_ADAPTIVE['zh']} 绘制，它们都不在本场比赛中。所选优化器各自保存的量见下方。"}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = CATALOG[key][lang]
    return text.format(**values) if values else text


def status_text(traj, run: int, lang: str = "en") -> str:
    """``"diverged at step 37"`` / ``"第 37 步发散"`` for one run of a Trajectory; a run that never
    stopped says ``"not converged in 300 steps"`` / ``"300 步内未收敛"``."""
    return t(f"status.{traj.status[run]}", lang, step=int(traj.stop_step[run]), steps=traj.steps)
