"""A race, described as plain hashable data: which surface, where to start, who runs how.

The app and the command line build a :class:`RaceConfig` from what the user chose, and
:func:`run_race` turns it into a :class:`Trajectory`. Being frozen and hashable, a config
is also the cache key of the app's simulations. :func:`build` checks a config against
``optviz.limits`` while it builds the surface and the optimizers, so a race builds each once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple

import numpy as np

from optviz.limits import BOUND_RANGE, MAX_EXPRESSION, MAX_LABEL, MAX_OPTIMIZERS, RACE_STEPS, SEEDS
from optviz.optimizers import DISPLAY_NAMES, HAS_BIAS_CORRECTION, HYPERPARAMETERS, Optimizer, make_optimizer
from optviz.schedules import parse as parse_schedule
from optviz.simulate import simulate
from optviz.trajectory import Trajectory
from surfaces import CUSTOM, Surface, custom_surface, get_surface

# Label characters besides letters and digits: none that a page or a terminal could read as markup
# ([ ] < > & ` | { } $ or backslash).
LABEL_PUNCTUATION = frozenset(" ()+-−_.,:;#/·'=≈×%→–—!?^~（），：。")


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
        """The optimizer; raises ValueError naming a bad value, a label or seed out of ``optviz.limits``."""
        problem = label_problem(self.label)
        if problem:
            raise ValueError(f"{self.name}'s label {self.label!r}: {problem}")
        if not SEEDS[0] <= self.seed <= SEEDS[1] or int(self.seed) != self.seed:
            raise ValueError(f"{self.name}'s seed must be a whole number in [{SEEDS[0]}, {SEEDS[1]}] "
                             f"(got {self.seed!r})")
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
            if len(self.expression) > MAX_EXPRESSION:
                raise ValueError(f"f(x, y) has at most {MAX_EXPRESSION} characters (got {len(self.expression)})")
            for axis, ends in zip("xy", self.bounds or ()):
                if not all(abs(end) <= BOUND_RANGE for end in ends):
                    raise ValueError(f"{axis} bounds must be within ±{BOUND_RANGE:g} (got {ends[0]:g}, {ends[1]:g})")
            return custom_surface(self.expression, bounds=self.bounds)
        return get_surface(self.surface, **dict(self.surface_params))

    def start_point(self, surface: Surface | None = None) -> tuple[float, float]:
        if self.start is not None:
            return self.start
        return (surface or self.build_surface()).start


class Race(NamedTuple):
    """A checked config, built: what ``simulate`` needs."""

    surface: Surface
    optimizers: tuple[Optimizer, ...]
    start: np.ndarray  # (2,)
    labels: tuple[str, ...]


def build(config: RaceConfig) -> Race:
    """Check ``config`` and build its surface and optimizers, each once.

    Raises ValueError naming the first bad value, or the first past ``optviz.limits``.
    """
    if not config.optimizers:
        raise ValueError("choose at least one optimizer")
    if len(config.optimizers) > MAX_OPTIMIZERS:
        raise ValueError(f"at most {MAX_OPTIMIZERS} optimizers race (got {len(config.optimizers)})")
    low, high = RACE_STEPS
    if int(config.steps) != config.steps or not low <= config.steps <= high:
        raise ValueError(f"steps must be a whole number in [{low}, {high}] (got {config.steps!r})")
    surface = config.build_surface()  # names the bad surface or parameter
    start = np.asarray(config.start_point(surface), dtype=float)
    if not np.all(np.isfinite(start)):
        raise ValueError(f"start must be two finite numbers (got {config.start!r})")
    optimizers = tuple(opt.build() for opt in config.optimizers)
    return Race(surface, optimizers, start, tuple(unique_labels(config.optimizers)))


def validate(config: RaceConfig) -> None:
    """Raise ValueError naming the first bad value in ``config``."""
    build(config)


def run_race(config: RaceConfig, cancelled: Callable[[], bool] | None = None) -> Trajectory:
    """Simulate every contestant from the same start; raises ValueError for a bad config, and
    ``simulate.Cancelled`` once ``cancelled()`` says so (a rerun superseded the page that asked)."""
    race = build(config)
    return simulate(race.surface, list(race.optimizers), race.start, config.steps, labels=race.labels,
                    cancelled=cancelled)


def unique_labels(configs: tuple[OptimizerConfig, ...]) -> list[str]:
    """What each contestant is called in a race: its label, or its optimizer's display name without one;
    a repeated one is numbered by occurrence: "Adam", "Adam (2)", "SGD", "my run", "my run (2)"."""
    labels, seen = [], {}
    for config in configs:
        label = config.display_label
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def label_problem(text: str) -> str | None:
    """Why ``text`` cannot be a contestant's label, or None: at most ``MAX_LABEL`` characters, letters,
    digits and ``LABEL_PUNCTUATION`` only ("" is no label: the display name)."""
    if len(text) > MAX_LABEL:
        return f"a label has at most {MAX_LABEL} characters"
    if not all(ch.isalnum() or ch in LABEL_PUNCTUATION for ch in text):
        return "a label may hold letters, digits, spaces and ()+-_.,:;#/·'=≈×%→–—!?^~ only"
    return None
