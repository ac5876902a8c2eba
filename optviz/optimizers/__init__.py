"""The optimizer registry: every module of this package with a ``SPEC`` is an optimizer.

``SPECS`` maps each name to its :class:`~optviz.optimizers.base.OptimizerSpec`, in the specs'
``order`` (the order of every menu and listing). Adding an optimizer is writing its module;
nothing here or elsewhere names one. ``make_optimizer(name, **hyperparameters)`` validates every
value against its spec and is what the command line and the app call.

The name-keyed tables below are views of ``SPECS`` kept for the code that reads them.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import numpy as np

from optviz.optimizers.base import CONVENTIONS, Hyper, Optimizer, OptimizerSpec
from optviz.optimizers.noise import NOISE, standard_normal, with_gradient_noise
from optviz.schedules import Schedule
from surfaces.base import Parameter


def _discover() -> dict[str, OptimizerSpec]:
    specs = []
    for module in pkgutil.iter_modules(__path__):
        spec = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SPEC", None)
        if isinstance(spec, OptimizerSpec):
            specs.append(spec)
    return {spec.name: spec for spec in sorted(specs, key=lambda spec: spec.order)}


SPECS = _discover()

# Views by name, for the code that predates SPECS.
OPTIMIZERS = {name: spec.build for name, spec in SPECS.items()}
DISPLAY_NAMES = {name: spec.display_name for name, spec in SPECS.items()}
HYPERPARAMETERS = {name: tuple(h.parameter for h in spec.hyperparameters) for name, spec in SPECS.items()}
HAS_BIAS_CORRECTION = tuple(name for name, spec in SPECS.items() if spec.bias_correction)


def _first_by_name(specs: dict[str, OptimizerSpec]) -> dict[str, Hyper]:
    first: dict[str, Hyper] = {}
    for spec in specs.values():
        for hyper in spec.hyperparameters:
            first.setdefault(hyper.name, hyper)
    return first


# A hyperparameter name means one ladder, link code, label and sweep in every optimizer taking it
# (tests/test_registry.py checks), so links, sliders and sweeps look it up by name.
HYPER_BY_NAME = _first_by_name(SPECS)


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
    ``bias_correction`` applies to the optimizers whose spec offers it and is ignored by the others.
    """
    if name not in SPECS:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(SPECS)}")
    spec = SPECS[name]
    ranges = {h.name: h.parameter for h in spec.hyperparameters}
    unknown = set(hyperparameters) - set(ranges)
    if unknown:
        raise ValueError(f"{name} has no hyperparameter {sorted(unknown)[0]!r}; it takes: {', '.join(ranges)}")
    if convention not in spec.conventions:
        raise ValueError(f"convention must be one of {', '.join(spec.conventions)} (got {convention!r})")
    values = {key: _checked(ranges[key], v) for key, v in hyperparameters.items()}
    extra = {"bias_correction": bool(bias_correction)} if spec.bias_correction else {}
    optimizer = spec.build(**values, convention=convention, schedule=schedule, **extra)
    sigma = _checked(NOISE, noise)
    if np.any(np.asarray(sigma) > 0):
        optimizer = with_gradient_noise(optimizer, sigma, seed)
    return optimizer


__all__ = [
    "SPECS", "OptimizerSpec", "Optimizer", "make_optimizer", "CONVENTIONS", "NOISE", "with_gradient_noise",
    "standard_normal", "OPTIMIZERS", "DISPLAY_NAMES", "HYPERPARAMETERS", "HAS_BIAS_CORRECTION", "HYPER_BY_NAME",
]
