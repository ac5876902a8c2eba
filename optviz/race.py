"""A race, described as plain hashable data: which surface, where to start, who runs how.

The app and the command line build a :class:`RaceConfig` from what the user chose, and
:func:`run_race` turns it into a :class:`Trajectory`. Being frozen and hashable, a config
is also the cache key of the app's simulations.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from optviz.optimizers import DISPLAY_NAMES, HAS_BIAS_CORRECTION, HYPERPARAMETERS, Optimizer, make_optimizer
from optviz.schedules import parse as parse_schedule
from optviz.simulate import simulate
from optviz.trajectory import Trajectory
from surfaces import CUSTOM, Surface, custom_surface, get_surface

MAX_STEPS = 5000


@dataclass(frozen=True)
class OptimizerConfig:
    """One contestant: a registered optimizer and every setting it runs with."""

    name: str
    label: str = ""
    hyperparams: tuple[tuple[str, float], ...] = ()  # only the ones given; the rest take defaults
    convention: str = "pytorch"
    bias_correction: bool = True
    schedule: str = "constant"  # optviz.schedules.parse syntax
    noise: float = 0.0
    seed: int = 0

    @property
    def display_label(self) -> str:
        return self.label or DISPLAY_NAMES.get(self.name, self.name)

    def value(self, key: str) -> float:
        """The hyperparameter as given, else its registry default."""
        given = dict(self.hyperparams)
        if key in given:
            return given[key]
        return next(p.default for p in HYPERPARAMETERS[self.name] if p.name == key)

    def with_values(self, **values: float) -> "OptimizerConfig":
        merged = dict(self.hyperparams) | {k: float(v) for k, v in values.items()}
        return replace(self, hyperparams=tuple(sorted(merged.items())))

    def settings(self, without: tuple[str, ...] = ()) -> dict:
        """``make_optimizer`` keywords for this contestant, leaving out the hyperparameters in ``without``."""
        extra = {"bias_correction": self.bias_correction} if self.name in HAS_BIAS_CORRECTION else {}
        hyper = {k: v for k, v in self.hyperparams if k not in without}
        return dict(convention=self.convention, schedule=parse_schedule(self.schedule), noise=self.noise,
                    seed=int(self.seed), **extra, **hyper)

    def build(self) -> Optimizer:
        return make_optimizer(self.name, **self.settings())


@dataclass(frozen=True)
class RaceConfig:
    surface: str = "rosenbrock"
    surface_params: tuple[tuple[str, float], ...] = ()
    start: tuple[float, float] | None = None  # None: the surface's default start
    steps: int = 500
    optimizers: tuple[OptimizerConfig, ...] = field(default_factory=tuple)
    expression: str | None = None  # f(x, y) as typed, when surface == "custom"
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None  # for a custom surface; None: default

    def build_surface(self) -> Surface:
        """The surface by name, or the typed one; raises ValueError (ExpressionError) naming the problem."""
        if self.surface == CUSTOM:
            if not self.expression:
                raise ValueError("a custom surface needs an expression f(x, y)")
            return custom_surface(self.expression, bounds=self.bounds)
        return get_surface(self.surface, **dict(self.surface_params))

    def start_point(self, surface: Surface | None = None) -> tuple[float, float]:
        if self.start is not None:
            return self.start
        return (surface or self.build_surface()).start


def validate(config: RaceConfig) -> None:
    """Raise ValueError naming the first bad value in ``config``."""
    if not config.optimizers:
        raise ValueError("choose at least one optimizer")
    if int(config.steps) != config.steps or not 1 <= config.steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number in [1, {MAX_STEPS}] (got {config.steps!r})")
    config.build_surface()  # names the bad surface or parameter
    if config.start is not None and not np.all(np.isfinite(config.start)):
        raise ValueError(f"start must be two finite numbers (got {config.start!r})")
    for opt in config.optimizers:
        opt.build()


def unique_labels(configs: tuple[OptimizerConfig, ...]) -> list[str]:
    """Labels that tell contestants apart: a repeated name gets ' (2)', ' (3)', ..."""
    labels, seen = [], {}
    for config in configs:
        label = config.display_label
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def run_race(config: RaceConfig) -> Trajectory:
    """Simulate every contestant from the same start; raises ValueError for a bad config."""
    validate(config)
    surface = config.build_surface()
    optimizers = [opt.build() for opt in config.optimizers]
    return simulate(surface, optimizers, np.asarray(config.start_point(surface), dtype=float), config.steps,
                    labels=unique_labels(config.optimizers))
