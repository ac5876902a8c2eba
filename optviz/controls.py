"""What the app's controls offer, without Streamlit: value ladders, snapping, slot names.

Sliders step through fixed ladders of "round" values, so every notch is a value a lecturer
would say aloud; each optimizer module gives its hyperparameters' ladders (see
``optviz.optimizers.hyperparameters``). Contestants live in "slots": ``"adam"`` is the first
Adam, ``"adam~2"`` its duplicate.
"""
from __future__ import annotations

import numpy as np

from optviz.optimizers import HYPER_BY_NAME, SPECS
from surfaces import Parameter

NOISE_CHOICES = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
FACTOR_CHOICES = [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9]
GAMMA_CHOICES = [0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999]
TOLERANCE_CHOICES = [1e-2, 1e-4, 1e-6, 1e-8]
DEFAULT_SLOTS = ("sgd", "momentum", "rmsprop", "adam")

LADDERS = {name: list(hyper.ladder) for name, hyper in HYPER_BY_NAME.items()}
LOG_LADDERS = {name for name, hyper in HYPER_BY_NAME.items() if hyper.log}
LR_CHOICES, EPS_CHOICES, BETA_CHOICES = LADDERS["lr"], LADDERS["eps"], LADDERS["beta"]


def surface_ladder(spec: Parameter) -> list[float]:
    """The notches of a log-scaled surface parameter's slider: 31 log-spaced, 2 digits, and the default."""
    return sorted({float(f"{v:.2g}") for v in np.geomspace(spec.low, spec.high, 31)} | {spec.default})


def snap(name: str, value: float) -> float:
    """The notch of ``name``'s ladder closest to ``value`` (in log distance for rates)."""
    ladder = np.asarray(LADDERS[name])
    if name in LOG_LADDERS:
        positive = ladder > 0
        if value <= 0:
            return float(ladder[~positive][0]) if (~positive).any() else float(ladder[0])
        candidates = ladder[positive]
        return float(candidates[np.argmin(np.abs(np.log(candidates) - np.log(value)))])
    return float(ladder[np.argmin(np.abs(ladder - value))])


def format_number(value: float) -> str:
    """Short, exact-looking labels: 0.001, 1e-05, 0.9995, 0."""
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        mantissa, exponent = f"{value:.1e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.6g}"


def optimizer_of(slot: str) -> str:
    """``"adam~2"`` -> ``"adam"``."""
    return slot.split("~", 1)[0]


def duplicate_slot(slot: str, existing: list[str]) -> str:
    """A fresh slot id for another copy of ``slot``'s optimizer: ``adam~2``, ``adam~3``, ..."""
    name = optimizer_of(slot)
    k = 2
    while f"{name}~{k}" in existing:
        k += 1
    return f"{name}~{k}"


def base_slots() -> list[str]:
    return list(SPECS)


def hyperparameter_names(slot: str) -> list[str]:
    return [hyper.name for hyper in SPECS[optimizer_of(slot)].hyperparameters]


def default_value(slot: str, name: str) -> float:
    return snap(name, SPECS[optimizer_of(slot)].hyper(name).default)


# Sweep axes: (low, high, log) per hyperparameter, wide enough to show the stability edge.
SWEEP_RANGES = {name: hyper.sweep for name, hyper in HYPER_BY_NAME.items()}


def sweep_axis_text(name: str, n: int) -> str:
    """``optviz.sweep.parse_axis`` text for the default range of ``name`` with ``n`` values."""
    low, high, log = SWEEP_RANGES[name]
    return f"{name}:{low:g}:{high:g}:{int(n)}" + (":log" if log else "")
