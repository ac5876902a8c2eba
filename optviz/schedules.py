"""Learning-rate schedules: the multiplier applied to the base lr after k completed updates.

A schedule is a small frozen dataclass, called as ``schedule(k) -> float`` with k = 0 for the
first update, the same counting as ``torch.optim.lr_scheduler`` stepped once per update:
with ``scheduler.step()`` after each ``optimizer.step()``, update k + 1 uses the lr left by k
``scheduler.step()`` calls, and OptViz uses ``lr · schedule(k)`` for it. Warm-up wraps any schedule.

Each class names the torch scheduler (chain) it equals, in float64 to rounding (1e-15
relative); ``tests/reference/make_torch_reference.py`` runs those chains for
``tests/test_optimizers.py`` and ``tests/test_schedules.py``. In short:

- ``constant``: no scheduler.
- ``step:N:F``: ``StepLR(step_size=N, gamma=F)``.
- ``exp:G``: ``ExponentialLR(gamma=G)``.
- ``cosine:T[:FLOOR]``: ``CosineAnnealingLR(T_max=T, eta_min=FLOOR·lr)`` for k ≤ T only; then it
  holds FLOOR, where torch's climbs back (to lr at k = 2T). For all k it is ``SequentialLR([that,
  ConstantLR(factor=FLOOR, total_iters=n)], milestones=[T])`` for runs of at most T + n updates.
- ``X+warmup:W``: ``ChainedScheduler([LinearLR(start_factor=1/W, end_factor=1, total_iters=W-1),
  X's scheduler])``; W = 1 is X alone. Over a cosine with FLOOR > 0 this holds only for W ≤ 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    r"""$m_k = 1$: no scheduler at all in torch (or any that never changes the lr)."""

    def __call__(self, k: int) -> float:
        return 1.0


@dataclass(frozen=True)
class StepDecay:
    r"""$m_k = \gamma^{\lfloor k / N \rfloor}$: every N updates multiply the rate by γ.

    Exactly torch's ``StepLR(step_size=N, gamma=γ)``.
    """

    every: int
    factor: float

    def __call__(self, k: int) -> float:
        return self.factor ** (k // self.every)


@dataclass(frozen=True)
class Exponential:
    r"""$m_k = \gamma^k$: exactly torch's ``ExponentialLR(gamma=γ)``."""

    gamma: float

    def __call__(self, k: int) -> float:
        return self.gamma**k


@dataclass(frozen=True)
class Cosine:
    r"""$m_k = m_{min} + (1 - m_{min})\,\frac{1 + \cos(\pi \min(k, T) / T)}{2}$: one half-period, then the floor.

    For k ≤ T this is torch's ``CosineAnnealingLR(T_max=T, eta_min=m_min·lr)``. After T it
    differs: CosineAnnealingLR is periodic (period 2T) and climbs back to lr at k = 2T, while
    this stays at m_min. The torch chain equal to it for every k is
    ``SequentialLR([CosineAnnealingLR(T_max=T, eta_min=m_min·lr), ConstantLR(factor=m_min,
    total_iters=n)], milestones=[T])`` for a run of at most T + n updates (ConstantLR gives the
    lr back at update T + n, counting from 0).
    """

    period: int
    floor: float = 0.0

    def __call__(self, k: int) -> float:
        k = min(k, self.period)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * k / self.period))


@dataclass(frozen=True)
class Warmup:
    r"""$m_k = \frac{\min(k+1, W)}{W}\, s(k)$: linear warm-up over W updates, times the wrapped s.

    s keeps counting from k = 0 (it is not delayed by the warm-up). In torch this is
    ``ChainedScheduler([LinearLR(start_factor=1/W, end_factor=1, total_iters=W-1), S])`` with S
    the scheduler of s (none for Constant: LinearLR alone). W = 1 is s itself (LinearLR(1, 1, 0)
    never changes the lr).

    Exact for s constant, step and exponential, and for a cosine with floor 0 (any W and T, and
    past T). With the cosine's SequentialLR (see Cosine) build S before the LinearLR, since a
    SequentialLR resets the lr to the initial one when built, and step the LinearLR first.
    For a cosine with floor m_min > 0 the chain is exact only for W ≤ 2: CosineAnnealingLR steps
    lr ↦ η + (lr − η)·c_k/c_{k−1} (η = m_min·lr), adding back an un-ramped floor, so torch's lr
    is higher during the warm-up and, decaying as 1 + cos(πk/T), until T (about 0.3 % at most
    for cosine:20:0.1+warmup:5, 12 % for cosine:20:0.5+warmup:10; the exact excess is
    ``warmup_cosine_excess`` in tests/test_schedules.py); if T < W − 1 it also stays W/(T+1)
    times higher after T. No chain of torch's fixed-formula schedulers (LambdaLR aside) equals
    it there.
    """

    steps: int
    then: Constant | StepDecay | Exponential | Cosine

    def __call__(self, k: int) -> float:
        ramp = (k + 1) / self.steps if k < self.steps else 1.0
        return ramp * self.then(k)


Schedule = Constant | StepDecay | Exponential | Cosine | Warmup


def _whole(value: float, what: str) -> int:
    if not (math.isfinite(value) and int(value) == value and value >= 1):
        raise ValueError(f"{what} must be a whole number ≥ 1 (got {value!r})")
    return int(value)


def constant() -> Constant:
    return Constant()


def step_decay(every: int, factor: float) -> StepDecay:
    every = _whole(every, "step decay interval")
    if not 0 < factor <= 1:
        raise ValueError(f"step decay factor must be in (0, 1] (got {factor!r})")
    return StepDecay(every, float(factor))


def exponential(gamma: float) -> Exponential:
    if not 0 < gamma <= 1:
        raise ValueError(f"exponential decay gamma must be in (0, 1] (got {gamma!r})")
    return Exponential(float(gamma))


def cosine(period: int, floor: float = 0.0) -> Cosine:
    period = _whole(period, "cosine period")
    if not 0 <= floor <= 1:
        raise ValueError(f"cosine floor must be in [0, 1] (got {floor!r})")
    return Cosine(period, float(floor))


def warmup(steps: int, then: Schedule | None = None) -> Warmup:
    steps = _whole(steps, "warm-up length")
    if isinstance(then, Warmup):
        raise ValueError("warm-up cannot wrap another warm-up")
    return Warmup(steps, then or Constant())


def parse(text: str) -> Schedule:
    """Read ``constant``, ``step:N:F``, ``exp:G``, ``cosine:T[:FLOOR]``, optionally ``+warmup:W``.

    >>> parse("step:100:0.5+warmup:10")
    Warmup(steps=10, then=StepDecay(every=100, factor=0.5))
    """
    base, _, warm = text.strip().lower().partition("+")
    base, warm = base.strip(), warm.strip()
    kind, *args = [part.strip() for part in base.split(":")]
    builders = {"constant": (constant, 0, 0), "step": (step_decay, 2, 2), "exp": (exponential, 1, 1),
                "cosine": (cosine, 1, 2)}
    if kind not in builders:
        raise ValueError(f"unknown schedule {kind!r}; use constant, step:N:F, exp:G or cosine:T[:FLOOR]")
    build, least, most = builders[kind]
    if not least <= len(args) <= most:
        raise ValueError(f"schedule {base!r} has {len(args)} argument(s); expected {least}"
                         + (f" to {most}" if most != least else ""))
    try:
        numbers = [float(a) for a in args]
    except ValueError:
        raise ValueError(f"schedule {base!r} has a non-numeric argument") from None
    schedule = build(*numbers)
    if warm:
        name, _, n = (part.strip() for part in warm.partition(":"))
        if name != "warmup" or not n:
            raise ValueError(f"unknown schedule suffix {warm!r}; use +warmup:W")
        try:
            length = float(n)
        except ValueError:
            raise ValueError(f"warm-up length must be a whole number ≥ 1 (got {n!r})") from None
        schedule = warmup(length, schedule)
    return schedule


# --------------------------------------------------------------------------- to and from the controls
# The app picks a schedule as a kind plus numbers; a config, a link and a lesson carry its text.

KINDS = ("constant", "step", "exp", "cosine")


def schedule_text(kind: str, *, every: int = 100, factor: float = 0.5, gamma: float = 0.99, period: int = 500,
                  warmup: int = 0, floor: float = 0.0) -> str:
    """The :func:`parse` text of a schedule picked as a kind and its numbers; the kind's own numbers
    count, the others are ignored. ``warmup`` 0 is none; ``floor`` is a cosine's.

    >>> schedule_text("step", every=100, factor=0.5, warmup=10)
    'step:100:0.5+warmup:10'
    """
    if kind not in KINDS:
        raise ValueError(f"unknown schedule kind {kind!r}; choose from: {', '.join(KINDS)}")
    cosine_text = f"cosine:{int(period)}" + (f":{floor:g}" if floor else "")
    base = {"constant": "constant", "step": f"step:{int(every)}:{factor:g}", "exp": f"exp:{gamma:g}",
            "cosine": cosine_text}[kind]
    return base + (f"+warmup:{int(warmup)}" if warmup > 0 else "")


def schedule_fields(text: str) -> dict[str, str | int | float]:
    """The inverse of :func:`schedule_text`: the kind and the numbers ``text`` gives, no others.

    ``"step:100:0.7"`` -> ``{"kind": "step", "every": 100, "factor": 0.7, "warmup": 0}``; a cosine's
    ``floor`` is there only when it is not 0. Raises ValueError as :func:`parse` does.
    """
    schedule = parse(text)
    warm = 0
    if isinstance(schedule, Warmup):
        warm, schedule = schedule.steps, schedule.then
    if isinstance(schedule, StepDecay):
        own = {"kind": "step", "every": schedule.every, "factor": schedule.factor}
    elif isinstance(schedule, Exponential):
        own = {"kind": "exp", "gamma": schedule.gamma}
    elif isinstance(schedule, Cosine):
        own = {"kind": "cosine", "period": schedule.period} | ({"floor": schedule.floor} if schedule.floor else {})
    else:
        own = {"kind": "constant"}
    return own | {"warmup": warm}
