"""Learning-rate schedules: the multiplier applied to the base lr after k completed updates.

A schedule is a small frozen dataclass, called as ``schedule(k) -> float`` with k = 0 for the
first update, the same counting as ``torch.optim.lr_scheduler`` stepped once per update.
Warm-up wraps any schedule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Constant:
    r"""$m_k = 1$."""

    def __call__(self, k: int) -> float:
        return 1.0


@dataclass(frozen=True)
class StepDecay:
    r"""$m_k = \gamma^{\lfloor k / N \rfloor}$: every N updates multiply the rate by γ (torch's StepLR)."""

    every: int
    factor: float

    def __call__(self, k: int) -> float:
        return self.factor ** (k // self.every)


@dataclass(frozen=True)
class Exponential:
    r"""$m_k = \gamma^k$ (torch's ExponentialLR)."""

    gamma: float

    def __call__(self, k: int) -> float:
        return self.gamma**k


@dataclass(frozen=True)
class Cosine:
    r"""$m_k = m_{min} + (1 - m_{min})\,\frac{1 + \cos(\pi \min(k, T) / T)}{2}$ (torch's CosineAnnealingLR, one half-period)."""

    period: int
    floor: float = 0.0

    def __call__(self, k: int) -> float:
        k = min(k, self.period)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * k / self.period))


@dataclass(frozen=True)
class Warmup:
    r"""$m_k = \frac{k+1}{W}\, s(k)$ for $k < W$, then $s(k)$: linear warm-up over W updates."""

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
