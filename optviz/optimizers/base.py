"""What every optimizer is: a pure ``init``/``update`` pair over positions of shape (runs, 2), and its spec.

``init(params) -> state`` and ``update(grad, state, params, hessian) -> (step, state)``; the
caller adds ``step`` to ``params``. Nothing is mutated, so a run can be replayed from any
state. Hyperparameters are scalars or arrays of shape (runs,): one call runs a whole sweep.

An optimizer module (``optviz/optimizers/<name>.py``) ends with a ``SPEC``, an
:class:`OptimizerSpec`: everything the app, the command line, links, "explain this step",
tuning and the torch reference script need to know about it. The registry
(``optviz/optimizers/__init__.py``) finds the specs; nothing else names an optimizer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple

import numpy as np

from optviz.schedules import Schedule, constant
from surfaces.base import Parameter

if TYPE_CHECKING:
    from optviz.optimizers.explaining import Replay

Array = np.ndarray

CONVENTIONS = ("pytorch", "keras", "textbook")


class Optimizer(NamedTuple):
    name: str
    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, Array | None], tuple[Array, Any]]
    internals: Callable[[Any], dict[str, Array]]  # state -> named (runs, 2) arrays worth plotting
    hyperparams: dict[str, Any]
    runs: int = 1  # runs implied by array hyperparameters; 1 when all are scalars
    needs_hessian: bool = False
    # The update also receives ``surface=`` (the objective itself), for methods that evaluate f or ∇f
    # at points of their own choosing: a line search, an ascent point.
    needs_surface: bool = False


# ------------------------------------------------------------------------------------ the numerics

def per_run(value: float | Array, name: str) -> float | Array:
    """A hyperparameter as a float, or as a (runs, 1) column that broadcasts over (runs, 2)."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or an array of shape (runs,), got shape {arr.shape}")
    return arr[:, None]


def runs_of(*values: Any) -> int:
    """The number of runs the array-valued hyperparameters agree on (1 if all scalars)."""
    sizes = {np.shape(v)[0] for v in values if np.ndim(v) >= 1}
    if len(sizes) > 1:
        raise ValueError(f"hyperparameter arrays disagree on the number of runs: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def check_convention(convention: str, allowed: tuple[str, ...] = CONVENTIONS) -> str:
    if convention not in allowed:
        raise ValueError(f"convention must be one of {', '.join(allowed)} (got {convention!r})")
    return convention


class LearningRate(NamedTuple):
    """``lr_t = lr * schedule(t - 1)`` for the t-th update (t = 1, 2, ...), as torch's schedulers do."""

    lr: float | Array
    schedule: Schedule

    def at(self, count: int) -> float | Array:
        return self.lr * self.schedule(count - 1)


def learning_rate(lr: float | Array, schedule: Schedule | None) -> LearningRate:
    return LearningRate(per_run(lr, "lr"), schedule or constant())


def zeros_like_runs(params: Array) -> Array:
    return np.zeros_like(params, dtype=float)


def divide(numerator, denominator, zero_eps: bool):
    """``numerator / denominator``; with ε = 0 a 0/0 is taken as 0, its limit as ε → 0⁺.

    Only a zero ε can make an adaptive denominator vanish (no gradient seen yet in that
    coordinate), so the plain division, exactly torch's arithmetic, serves every other case.
    """
    if not zero_eps:
        return numerator / denominator
    out = np.zeros(np.broadcast_shapes(np.shape(numerator), np.shape(denominator)))
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) != 0)


def effective_rate(numerator, denominator, zero_eps: bool):
    """``numerator / denominator`` as a recorded effective learning rate: NaN where it is undefined.

    With ε = 0, a coordinate that has seen no gradient yet has a zero denominator: η/0 for
    AdaGrad, RMSprop and Adam (it grows without bound as ε → 0⁺), 0/0 for AdaDelta. No number
    is honest there, so the rate is NaN ("undefined"); the step itself is 0, as the gradient
    there is 0 and ``divide`` takes 0/0 as 0.
    """
    if not zero_eps:
        return numerator / denominator
    out = np.full(np.broadcast_shapes(np.shape(numerator), np.shape(denominator)), np.nan)
    return np.divide(numerator, denominator, out=out, where=np.asarray(denominator) != 0)


def has_zero(value) -> bool:
    return bool(np.any(np.asarray(value) == 0))


class WeightDecay(NamedTuple):
    r"""Weight decay λ, applied one of two ways; the only place its arithmetic is written.

    L2 (coupled):  the rule sees  g̃_t = g_t + λ θ_{t−1}  instead of g_t, so an adaptive method
                   rescales the decay along with the gradient (torch's ``weight_decay``).
    decoupled:     the rule sees g_t, and  −η_t λ θ_{t−1}  is added to its step (AdamW, and
                   every Keras 3 optimizer).
    """

    rate: float | Array  # λ: a float or a (runs, 1) column
    decoupled: bool

    @classmethod
    def of(cls, weight_decay: float | Array, convention: str, decoupled: bool = False) -> WeightDecay:
        """The decay an optimizer applies: decoupled if it says so, and always under Keras 3's convention."""
        return cls(per_run(weight_decay, "weight_decay"), decoupled or convention == "keras")

    def gradient(self, grad, params):
        """What the rule takes in: g + λθ (L2), or g itself (decoupled)."""
        return grad if self.decoupled else grad + self.rate * params

    def step(self, step, eta, params):
        """The rule's step with the decoupled shrink −η·λ·θ added (unchanged under L2)."""
        return step - eta * self.rate * params if self.decoupled else step


# ------------------------------------------------------------------------------------ the spec

class Text(NamedTuple):
    """One text in every language the app speaks."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return getattr(self, lang)


# The optimizer picker's groups, in menu order, each with its one-line heading: thirty choices stay
# easy to scan when they are grouped by what drives the step.
GROUPS: dict[str, Text] = {
    "classic": Text("Gradient and momentum", "梯度与动量"),
    "adaptive": Text("Adaptive: a step size per coordinate", "自适应：每个坐标各自的步长"),
    "second_order": Text("Second order: curvature", "二阶：利用曲率"),
    "sign": Text("Sign and normalized steps", "符号与归一化步长"),
    "schedule_free": Text("Schedule-free and averaging", "无需调度与平均"),
    "sharpness": Text("Sharpness-aware", "锐度感知"),
}


class Sweep(NamedTuple):
    """A hyperparameter-landscape axis: from low to high, log-spaced or not, wide enough to show the stability edge."""

    low: float
    high: float
    log: bool


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: its range, its slider, its key in a share link, its words.

    Hyperparameters of the same ``name`` in different optimizers share ``ladder``, ``log``,
    ``link``, ``label`` and ``sweep`` (links, sliders and sweeps are keyed by name; the
    registry test checks it); ``default`` and ``help`` are each optimizer's own.
    """

    name: str  # the keyword of the builder, make_optimizer and the command line
    default: float
    low: float
    high: float
    ladder: tuple[float, ...]  # the slider's notches, ascending; holds the default
    link: str  # the key in a share link (``o1.b1=0.8``); never change one, old links must decode
    label: Text  # the slider's label
    help: Text  # one phrase: what it does in this optimizer
    sweep: Sweep
    log: bool = False  # notches log-spaced: snap by ratio, not by difference
    low_open: bool = False
    high_open: bool = False

    @property
    def parameter(self) -> Parameter:
        """The range as a :class:`surfaces.base.Parameter`, which checks values and describes the range."""
        return Parameter(self.name, self.default, self.low, self.high, log=self.log, help=self.help.en,
                         low_open=self.low_open, high_open=self.high_open)


class TuningHint(NamedTuple):
    """How ``optviz.tuning.classroom_learning_rate`` picks the lr of a good first picture."""

    tune_lr: bool = True  # False: the default lr is the right one (the method sets its own step size)
    step_cap: float | None = None  # the step is about lr per coordinate: lr at most this fraction of the plot


class TorchCounterpart(NamedTuple):
    """The torch.optim class this optimizer equals under ``convention="pytorch"``.

    ``tests/reference/make_torch_reference.py`` runs ``torch.optim.<cls>(**kwargs(h))`` for every
    hyperparameter set ``h`` of ``reference_sets`` on the reference surfaces, and the tests
    replay them with ``make_optimizer(name, **h)``.
    """

    cls: str
    kwargs: Callable[[Mapping[str, float]], dict[str, Any]]  # OptViz hyperparameters -> torch keyword arguments
    reference_sets: Mapping[str, Mapping[str, Mapping[str, float]]]  # "smooth"/"rosenbrock" -> set name -> hyperparameters


@dataclass(frozen=True)
class OptimizerSpec:
    """Everything about one optimizer that the rest of OptViz needs; its module's ``SPEC``."""

    name: str  # the registry key: menus, the command line, links
    order: int  # its place in every menu and listing
    display_name: str  # "Adam"
    description: Text  # one line
    group: str  # its heading in the optimizer picker: a key of GROUPS
    hyperparameters: tuple[Hyper, ...]
    build: Callable[..., Optimizer]  # (**hyperparameters, convention=, schedule=[, bias_correction=])
    explain: Callable[[Replay], Array]  # writes one replayed step, returns θ_t (see explaining.py)
    tuning: TuningHint
    torch: TorchCounterpart | None  # None only with a reason in no_torch
    no_torch: str = ""  # why torch.optim has no counterpart
    conventions: tuple[str, ...] = CONVENTIONS
    bias_correction: bool = False  # takes bias_correction=False (the app's checkbox)
    needs_hessian: bool = False
    memory: tuple[str, ...] = ()  # the recorded internals the next step starts from: what explaining needs
    internals: tuple[str, ...] = ()  # every recorded internal, memory first
    memory_symbols: Callable[[str], str] = lambda convention: ""  # convention -> the memory as the formula writes it
    explain_note: Text | None = None  # added to every explanation; may use {prev}, the subscript of θ_{t−1}
    # Recorded internals the "Inside the optimizer" view plots against the step (per coordinate, or one
    # number per run when the internal is (runs,)), each with its name in both languages.
    plotted: Mapping[str, Text] = field(default_factory=dict)
    # Recorded internals that are points of the plane (x, y), drawn on the race map beside their run:
    # where a gradient is really taken (SAM's ascent point), the averages a method keeps (Schedule-Free).
    map_points: Mapping[str, Text] = field(default_factory=dict)

    def hyper(self, name: str) -> Hyper:
        return next(h for h in self.hyperparameters if h.name == name)
