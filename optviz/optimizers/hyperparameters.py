"""The hyperparameters several optimizers share: learning rate, decay rates, ε and weight decay.

Each comes with its slider ladder of "round" values (log-spaced for rates, dense near 1 for
decay rates), so every notch is a value a lecturer would say aloud, with its link code and
its label. An optimizer module picks its default and says in its help what the value does there.
"""
from __future__ import annotations

import numpy as np

from optviz.optimizers.base import Hyper, Sweep, Text


def _round(values) -> tuple[float, ...]:
    return tuple(float(f"{v:.2g}") for v in values)


LR_LADDER = _round(10 ** (np.arange(-50, 11) / 10))  # 1e-05 ... 10, ten notches a decade
# 0, 1e-16 ... 1, two notches a decade: down to 1e-16, AdaBelief's reference default, so that default is a notch
# (and Adafactor's 2.2e-16, machine ε, snaps to the notch beside it rather than four decades away).
EPS_LADDER = (0.0,) + _round(10 ** (np.arange(-32, 1) / 2))
BETA_LADDER = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995,
               0.999, 0.9995, 0.9999)
WEIGHT_DECAY_LADDER = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)

BETA_SWEEP = Sweep(0.0, 0.99, False)


def lr(default: float) -> Hyper:
    return Hyper("lr", default, 0.0, 100.0, LR_LADDER, "lr", Text("learning rate η", "学习率 η"),
                 Text("learning rate η", "学习率 η"), Sweep(1e-4, 10.0, True), log=True, low_open=True)


def beta(default: float, help: Text) -> Hyper:
    """The decay rate β of one moving average (or the momentum coefficient)."""
    return Hyper("beta", default, 0.0, 1.0, BETA_LADDER, "b", Text("β", "β"), help, BETA_SWEEP, high_open=True)


def beta1(default: float = 0.9) -> Hyper:
    return Hyper("beta1", default, 0.0, 1.0, BETA_LADDER, "b1", Text("β1 (first moment)", "β1（一阶矩）"),
                 Text("first-moment decay β1", "一阶矩衰减率 β1"), BETA_SWEEP, high_open=True)


def beta2(default: float = 0.999) -> Hyper:
    return Hyper("beta2", default, 0.0, 1.0, BETA_LADDER, "b2", Text("β2 (second moment)", "β2（二阶矩）"),
                 Text("second-moment decay β2", "二阶矩衰减率 β2"), Sweep(0.9, 0.9999, False), high_open=True)


def eps(default: float) -> Hyper:
    return Hyper("eps", default, 0.0, 1.0, EPS_LADDER, "eps", Text("ε", "ε"),
                 Text("ε, keeps the division finite", "ε，使除法保持有限"), Sweep(1e-12, 1.0, True), log=True)


L2_WEIGHT_DECAY = Text("weight decay λ", "权重衰减 λ")


def weight_decay(default: float = 0.0, help: Text = L2_WEIGHT_DECAY) -> Hyper:
    return Hyper("weight_decay", default, 0.0, 10.0, WEIGHT_DECAY_LADDER, "wd", Text("weight decay λ", "权重衰减 λ"),
                 help, Sweep(1e-4, 1.0, True), log=True)


NU_LADDER = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
# name -> (link code, label). QHM's ν is ``discount``: "nu" is ASGD's link code for λ, and a name may be no code.
_NU = {"discount": ("qnu", Text("ν (immediate discount)", "ν（即时折扣）")),
       "nu1": ("nu1", Text("ν1 (first-moment discount)", "ν1（一阶矩折扣）")),
       "nu2": ("nu2", Text("ν2 (second-moment discount)", "ν2（二阶矩折扣）"))}


def nu(name: str, default: float, help: Text) -> Hyper:
    """A quasi-hyperbolic weight ν (QHM's ``discount``; QHAdam's ``nu1``, ``nu2``): how much of a moving average,
    against the current value, enters the step; ν = 1 is the plain average, ν = 0 ignores it."""
    link, label = _NU[name]
    return Hyper(name, default, 0.0, 1.0, NU_LADDER, link, label, help, Sweep(0.0, 1.0, False))
