"""Optimizers as pure ``init``/``update`` pairs over (runs, 2) positions, and their registry.

``make_optimizer(name, **hyperparameters)`` validates every value against the ranges in
``HYPERPARAMETERS`` and is what the command line and the app call.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from optviz.optimizers.adam import adam, adamw
from optviz.optimizers.adaptive import adadelta, adagrad, rmsprop
from optviz.optimizers.base import CONVENTIONS, Optimizer
from optviz.optimizers.newton import newton
from optviz.optimizers.noise import standard_normal, with_gradient_noise
from optviz.optimizers.sgd import momentum, nesterov, sgd
from optviz.schedules import Schedule
from surfaces.base import Parameter

OPTIMIZERS = {
    "sgd": sgd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad, "rmsprop": rmsprop,
    "adadelta": adadelta, "adam": adam, "adamw": adamw, "newton": newton,
}

DISPLAY_NAMES = {
    "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad", "rmsprop": "RMSprop",
    "adadelta": "AdaDelta", "adam": "Adam", "adamw": "AdamW", "newton": "Newton",
}


def _lr(default: float) -> Parameter:
    return Parameter("lr", default, 0.0, 100.0, log=True, help="learning rate η", low_open=True)


def _beta(name: str, default: float, help: str) -> Parameter:
    return Parameter(name, default, 0.0, 1.0, help=help, high_open=True)


_EPS_HELP = "ε, keeps the division finite"
_WD = Parameter("weight_decay", 0.0, 0.0, 10.0, help="weight decay λ")

HYPERPARAMETERS: dict[str, tuple[Parameter, ...]] = {
    "sgd": (_lr(0.01), _WD),
    "momentum": (_lr(0.01), _beta("beta", 0.9, "momentum coefficient β"), _WD),
    "nesterov": (_lr(0.01), _beta("beta", 0.9, "momentum coefficient β"), _WD),
    "adagrad": (_lr(0.01), Parameter("eps", 1e-10, 0.0, 1.0, log=True, help=_EPS_HELP), _WD),
    "rmsprop": (_lr(0.01), _beta("beta", 0.99, "decay of the squared-gradient average β"),
                Parameter("eps", 1e-8, 0.0, 1.0, log=True, help=_EPS_HELP), _WD),
    "adadelta": (_lr(1.0), _beta("beta", 0.9, "decay ρ of both averages"),
                 Parameter("eps", 1e-6, 0.0, 1.0, log=True, help=_EPS_HELP), _WD),
    "adam": (_lr(0.001), _beta("beta1", 0.9, "first-moment decay β1"),
             _beta("beta2", 0.999, "second-moment decay β2"),
             Parameter("eps", 1e-8, 0.0, 1.0, log=True, help=_EPS_HELP), _WD),
    "adamw": (_lr(0.001), _beta("beta1", 0.9, "first-moment decay β1"),
              _beta("beta2", 0.999, "second-moment decay β2"),
              Parameter("eps", 1e-8, 0.0, 1.0, log=True, help=_EPS_HELP),
              Parameter("weight_decay", 0.01, 0.0, 10.0, help="decoupled weight decay λ")),
    "newton": (_lr(1.0), Parameter("damping", 0.0, 0.0, 100.0, help="μ added to the Hessian's diagonal")),
}

NOISE = Parameter("noise", 0.0, 0.0, 100.0, help="σ of Gaussian gradient noise")
HAS_BIAS_CORRECTION = ("adam", "adamw")


def _checked(spec: Parameter, value: Any) -> Any:
    arr = np.asarray(value, dtype=float) if not isinstance(value, str) else value
    if isinstance(arr, np.ndarray) and arr.ndim == 1:
        for v in (arr.min(), arr.max()) if arr.size else ():
            spec.check(v)
        if arr.size and not np.all(np.isfinite(arr)):
            spec.check(arr[~np.isfinite(arr)][0])
        return arr
    return spec.check(value)


def make_optimizer(name: str, *, convention: str = "pytorch", schedule: Schedule | None = None,
                   noise: float | np.ndarray = 0.0, seed: int | np.ndarray = 0, bias_correction: bool = True,
                   **hyperparameters: Any) -> Optimizer:
    """Build a registered optimizer with validated hyperparameters (scalars or (runs,) arrays).

    Raises ValueError naming the bad name, value or range; omitted values take the defaults.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(OPTIMIZERS)}")
    specs = {p.name: p for p in HYPERPARAMETERS[name]}
    unknown = set(hyperparameters) - set(specs)
    if unknown:
        raise ValueError(f"{name} has no hyperparameter {sorted(unknown)[0]!r}; it takes: {', '.join(specs)}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)} (got {convention!r})")
    values = {key: _checked(specs[key], v) for key, v in hyperparameters.items()}
    extra = {"bias_correction": bool(bias_correction)} if name in HAS_BIAS_CORRECTION else {}
    optimizer = OPTIMIZERS[name](**values, convention=convention, schedule=schedule, **extra)
    sigma = _checked(NOISE, noise)
    if np.any(np.asarray(sigma) > 0):
        optimizer = with_gradient_noise(optimizer, sigma, seed)
    return optimizer


__all__ = [
    "Optimizer", "OPTIMIZERS", "DISPLAY_NAMES", "HYPERPARAMETERS", "NOISE", "HAS_BIAS_CORRECTION", "CONVENTIONS", "make_optimizer",
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "newton",
    "with_gradient_noise", "standard_normal",
]
