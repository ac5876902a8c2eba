"""One contestant as text, the command line's optimizer language: ``NAME[:KEY=VALUE,...]``.

    adam
    adam:lr=0.01,b1=0.8,bc=0
    sgd:lr=0.003,sch=step:100:0.5+warmup:10,c=textbook,noise=0.1,seed=3,lb=My GD

NAME is a registered optimizer, in any letter case. The KEYs are a link's (``optviz.share``): each
hyperparameter's link code (``lr b b1 b2 eps wd damp`` …), ``c`` the convention, ``bc`` the bias
correction (0 or 1, where there is one), ``sch`` the schedule (``optviz.schedules.parse`` syntax, or a link's,
with ``~`` for ``:`` and ``_`` for ``+``), ``noise`` and ``seed`` the gradient noise, ``lb`` the
label; the long names (``beta1``, ``weight_decay``, ``convention``, ``schedule``, ``label``, …)
work too. A value runs to the next comma. Settings not given take their defaults.

Where a link drops a bad value with a notice, a spec is refused whole: :class:`SpecError` says in
one line which key, what it allows and what it got::

    lr must be in (0, 100] (got -1)

A setting may also come from elsewhere, as the command line's shorthand flags (``--lr 0.01``) do:
:func:`contestant` checks :class:`Setting` values whatever their source, and its messages name
each the way its user wrote it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from optviz.limits import SEEDS
from optviz.optimizers import HAS_BIAS_CORRECTION, HYPERPARAMETERS, NOISE, OPTIMIZERS, SPECS
from optviz.race import OptimizerConfig, label_problem
from optviz.schedules import parse as parse_schedule
from optviz.share import BOOLS, SETTINGS, SHORT
from surfaces.base import Parameter

# A link's keys: every key -> the setting it sets; every setting -> its short key (SETTINGS lists that one first).
KEYS = {code: name for name, code in SHORT.items()} | {name: name for name in SHORT} | SETTINGS
CODES = SHORT | {name: next(key for key, n in SETTINGS.items() if n == name) for name in SETTINGS.values()}


class SpecError(ValueError):
    """A spec or setting that names no contestant; the message is one line."""


@dataclass(frozen=True)
class Setting:
    """One ``KEY=VALUE`` of a spec, or anything standing for one (a command-line flag)."""

    name: str  # what it sets: a hyperparameter (beta1), convention, bias_correction, schedule, noise, seed or label
    text: str  # the value as written
    said: str  # the key as messages name it: "b1", "beta1", "--beta1"
    spell: Callable[[str], str] = CODES.__getitem__  # how the same syntax writes another setting's key


def split(text: str, prefix: str = "") -> tuple[str, list[Setting]]:
    """``"adam:lr=0.01,b1=0.9"`` -> ``("adam", [Setting("lr", "0.01", "lr"), Setting("beta1", "0.9", "b1")])``.

    Messages about a setting will call it ``prefix + key``. Raises SpecError for an unknown
    optimizer or key, or an item that is not KEY=VALUE; the values are :func:`contestant`'s to check.
    """
    name, _, rest = str(text).strip().partition(":")
    if name.strip().lower() not in OPTIMIZERS:
        raise SpecError(f"unknown optimizer {name.strip()!r}; choose from: {', '.join(OPTIMIZERS)}")
    settings = []
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not key:
            raise SpecError(f"{item!r} is not KEY=VALUE (in {text!r})")
        if key not in KEYS:
            raise SpecError(f"unknown key {key!r}; the keys are {', '.join(CODES.values())}")
        settings.append(Setting(KEYS[key], value, prefix + key))
    return name.strip().lower(), settings


def contestant(name: str, settings: Iterable[Setting]) -> OptimizerConfig:
    """Optimizer ``name`` with ``settings``, each checked; raises SpecError naming the first bad one.

    The result holds the hyperparameters given, in registry order; the others take their defaults.
    """
    specs = {p.name: p for p in HYPERPARAMETERS[name]}
    seen: dict[str, Setting] = {}
    hyper: dict[str, float] = {}
    fields: dict[str, object] = {}
    for setting in settings:
        if setting.name in seen:
            first = seen[setting.name].said
            twice = (f"{setting.said} is given twice" if first == setting.said
                     else f"{first} and {setting.said} both set {setting.name}")
            raise SpecError(f"{twice}; drop one of them")
        seen[setting.name] = setting
        if setting.name in _READERS:
            fields[setting.name] = _READERS[setting.name](setting, name)
        elif setting.name in specs:
            hyper[setting.name] = _number(setting, specs[setting.name])
        else:
            raise SpecError(f"{setting.said} does not apply to {name}; it takes: "
                            f"{', '.join(setting.spell(p) for p in specs)}")
    return OptimizerConfig(name, hyperparams=tuple((p, hyper[p]) for p in specs if p in hyper), **fields)


def parse(text: str) -> OptimizerConfig:
    """The contestant a spec names: ``parse("adam:lr=0.01")``. Raises SpecError."""
    return contestant(*split(text))


# ---------------------------------------------------------------------------------------- the values


def _number(setting: Setting, spec: Parameter) -> float:
    try:
        return spec.check(setting.text)
    except ValueError:
        raise SpecError(f"{setting.said} must be in {spec.range_text} (got {setting.text})") from None


def _convention(setting: Setting, name: str) -> str:
    value = setting.text.strip().lower()
    allowed = SPECS[name].conventions  # an optimizer offers only the conventions its spec declares
    if value not in allowed:
        raise SpecError(f"{setting.said} must be one of {', '.join(allowed)} (got {setting.text})")
    return value


def _bias_correction(setting: Setting, name: str) -> bool:
    if name not in HAS_BIAS_CORRECTION:
        raise SpecError(f"{setting.said} applies only to {', '.join(HAS_BIAS_CORRECTION)} (got {name})")
    value = setting.text.strip().lower()
    if value not in BOOLS:
        raise SpecError(f"{setting.said} must be 1 or 0 (got {setting.text})")
    return BOOLS[value]


def _schedule(setting: Setting, name: str) -> str:
    text = setting.text.strip().lower().replace("~", ":").replace("_", "+")  # a link's spelling too
    try:
        parse_schedule(text)
    except (ValueError, ArithmeticError) as problem:
        raise SpecError(f"{setting.said}: {problem}") from None
    return text


def _noise(setting: Setting, name: str) -> float:
    return _number(setting, NOISE)


def _seed(setting: Setting, name: str) -> int:
    try:
        value = int(setting.text)
    except ValueError:
        value = None
    if value is None or not SEEDS[0] <= value <= SEEDS[1]:
        raise SpecError(f"{setting.said} must be a whole number in [{SEEDS[0]}, {SEEDS[1]}] (got {setting.text})")
    return value


def _label(setting: Setting, name: str) -> str:
    problem = label_problem(setting.text)
    if problem:
        raise SpecError(f"{setting.said}: {problem} (got {setting.text})")
    return setting.text.strip()


_READERS: dict[str, Callable[[Setting, str], object]] = {
    "convention": _convention, "bias_correction": _bias_correction, "schedule": _schedule, "noise": _noise,
    "seed": _seed, "label": _label}
