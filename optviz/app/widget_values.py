"""The app state as its controls hold it: which session key holds what, and the values there.

``widget_values(state)`` gives every control's value showing a ``share.AppState``;
``app_state(values)`` reads the state back from those values. No Streamlit here:
``optviz.app.state`` is the one module that writes these values into the session and reads them.

A contestant lives in a slot (``adam``; ``adam~2`` for a second Adam, see ``optviz.controls``);
its settings sit under ``SLOT.SETTING`` keys (``adam~2.lr``, ``adam~2.schedule``), a surface
parameter under ``sp.SURFACE.NAME``. Values are moved onto the notch of the widget that shows
them (lr 0.0123 -> 0.012, noise 0.07 -> 0.05, steps at least 10, a cosine floor dropped: the
app has no control for it), so every widget accepts its value.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optviz import controls
from optviz.race import OptimizerConfig, RaceConfig
from optviz.schedules import schedule_fields, schedule_text
from optviz.limits import APP_STEPS, SCHEDULE_EVERY, SCHEDULE_PERIOD, SCHEDULE_WARMUP
from optviz.share import AppState, canonical, natural_label
from surfaces import CUSTOM, PARAMETERS
from surfaces.typed.custom import DEFAULT_BOUNDS

LANG, LESSON, VIEW = "lang", "lesson", "view"
SURFACE, EXPRESSION = "surface", "custom_expr"
BOUNDS = (("custom_x0", "custom_x1"), ("custom_y0", "custom_y1"))  # a typed surface's (min, max) per axis
START = ("start_x", "start_y")
STEPS = "steps"
SLOTS = "slots"  # the racing contestants' slots, in race order
SLOT_IDS = "slot_ids"  # every slot the contestants menu offers
LABELS = "lesson_labels"  # slot -> label, where a lesson or a link names a contestant otherwise than its slot
PRESENT = "present"  # presenter mode, also ``?present=1`` in a link
RACE_VIEW = "race_view"  # the race component (map, side by side, loss): its clicks and scrub picks


def surface_param_key(surface: str, name: str) -> str:
    return f"sp.{surface}.{name}"


def contestant_key(slot: str, setting: str) -> str:
    """A slot's setting: a hyperparameter, convention, bias_correction, noise, seed, or one of the
    schedule's (schedule for its kind, every, factor, gamma, period, warmup)."""
    return f"{slot}.{setting}"


def slot_label(slot: str) -> str:
    """What a slot's contestant is called unless a lesson or a link names it: ``adam~2`` -> "Adam (2)"."""
    name, _, copy = slot.partition("~")
    return natural_label(name, int(copy or 1))


def race_slots(optimizers: Sequence[OptimizerConfig]) -> list[str]:
    """The slot of each contestant, by occurrence: adam, sgd, adam -> ``adam``, ``sgd``, ``adam~2``."""
    seen: dict[str, int] = {}
    slots = []
    for opt in optimizers:
        seen[opt.name] = seen.get(opt.name, 0) + 1
        slots.append(opt.name if seen[opt.name] == 1 else f"{opt.name}~{seen[opt.name]}")
    return slots


def default_contestant(slot: str, lr: float) -> OptimizerConfig:
    """A fresh contestant for ``slot``: the registry's defaults on the sliders' notches, learning rate ``lr``."""
    hyper = {name: controls.default_value(slot, name) for name in controls.hyperparameter_names(slot)}
    return OptimizerConfig(controls.optimizer_of(slot), slot_label(slot), tuple((hyper | {"lr": lr}).items()))


def widget_values(state: AppState, slots: Sequence[str] | None = None, offered: Sequence[str] = ()) -> dict[str, Any]:
    """Every control's value showing ``state``.

    ``slots`` names the slot of each contestant (by default by occurrence, :func:`race_slots`);
    ``offered`` are the slots the contestants menu offers already: it keeps them.
    """
    c = canonical(state).config
    slots = list(race_slots(c.optimizers) if slots is None else slots)
    steps = _within(c.steps, APP_STEPS)
    values: dict[str, Any] = {LANG: state.lang, VIEW: state.view, LESSON: state.lesson or "", SURFACE: c.surface,
                              STEPS: steps}
    if c.surface == CUSTOM:
        values[EXPRESSION] = c.expression
        for keys, axis in zip(BOUNDS, c.bounds or DEFAULT_BOUNDS):
            values |= {key: float(end) for key, end in zip(keys, axis)}
    for spec, (name, value) in zip(PARAMETERS.get(c.surface, ()), c.surface_params):
        notches = controls.surface_ladder(spec) if spec.log else None
        values[surface_param_key(c.surface, name)] = _nearest(notches, value) if notches else float(value)
    start = c.start if c.start is not None else c.build_surface().start
    values |= {key: round(float(coordinate), 4) for key, coordinate in zip(START, start)}
    values[SLOTS] = slots
    values[SLOT_IDS] = list(dict.fromkeys([*offered, *slots]))
    values[LABELS] = {slot: opt.label for slot, opt in zip(slots, c.optimizers) if opt.label != slot_label(slot)}
    for slot, opt in zip(slots, c.optimizers):
        values |= contestant_values(slot, opt, steps)
    return values


def contestant_values(slot: str, opt: OptimizerConfig, steps: int) -> dict[str, Any]:
    """The values of ``slot``'s controls showing ``opt``, whose hyperparameters are all given."""
    settings: dict[str, Any] = {name: controls.snap(name, value) for name, value in opt.hyperparams}
    settings |= {"convention": opt.convention, "bias_correction": bool(opt.bias_correction),
                 "noise": _nearest(controls.NOISE_CHOICES, opt.noise), "seed": int(opt.seed)}
    settings |= schedule_values(opt.schedule, steps)
    return {contestant_key(slot, setting): value for setting, value in settings.items()}


def schedule_values(text: str, steps: int) -> dict[str, Any]:
    """The schedule controls showing schedule ``text``: its kind (under ``schedule``), every, factor, gamma,
    period and warmup. The numbers the text gives are moved into the controls' ranges and onto their
    notches; the others keep the controls' defaults (period: the race's ``steps``)."""
    given = schedule_fields(text)
    return {"schedule": given["kind"], "every": _within(given.get("every", 100), SCHEDULE_EVERY),
            "factor": _nearest(controls.FACTOR_CHOICES, given.get("factor", 0.5)),
            "gamma": _nearest(controls.GAMMA_CHOICES, given.get("gamma", 0.99)),
            "period": _within(given.get("period", steps), SCHEDULE_PERIOD),
            "warmup": _within(given["warmup"], SCHEDULE_WARMUP)}


def typed_surface(values: Mapping[str, Any]) -> RaceConfig:
    """The chosen surface as the controls hold it (a typed expression and bounds as typed), as the part
    of a RaceConfig that names a surface."""
    surface = values[SURFACE]
    if surface == CUSTOM:
        bounds = tuple((float(values[low]), float(values[high])) for low, high in BOUNDS)
        return RaceConfig(surface=CUSTOM, expression=values[EXPRESSION], bounds=bounds)
    params = tuple((p.name, float(values.get(surface_param_key(surface, p.name), p.default)))
                   for p in PARAMETERS.get(surface, ()))
    return RaceConfig(surface=surface, surface_params=params)


def app_state(values: Mapping[str, Any], where: RaceConfig | None = None) -> AppState:
    """The state the controls show: the inverse of :func:`widget_values`, up to the notches.

    ``where`` replaces the surface the controls hold (the app draws the last good typed surface
    while the typed one does not parse). Every slot in ``values[SLOTS]`` must have all its settings.
    """
    where = typed_surface(values) if where is None else where
    config = RaceConfig(surface=where.surface, surface_params=where.surface_params, expression=where.expression,
                        bounds=where.bounds, start=(float(values[START[0]]), float(values[START[1]])),
                        steps=int(values[STEPS]), optimizers=tuple(_contestant(values, s) for s in values[SLOTS]))
    return AppState(config, view=values.get(VIEW) or "race", lang=values.get(LANG, "en"),
                    lesson=values.get(LESSON) or None)


def _contestant(values: Mapping[str, Any], slot: str) -> OptimizerConfig:
    def setting(name: str) -> Any:
        return values[contestant_key(slot, name)]

    schedule = schedule_text(setting("schedule"), every=setting("every"), factor=setting("factor"),
                             gamma=setting("gamma"), period=setting("period"), warmup=setting("warmup"))
    return OptimizerConfig(
        name=controls.optimizer_of(slot), label=values.get(LABELS, {}).get(slot) or slot_label(slot),
        hyperparams=tuple((p, float(setting(p))) for p in controls.hyperparameter_names(slot)),
        convention=setting("convention"), bias_correction=bool(setting("bias_correction")), schedule=schedule,
        noise=float(setting("noise")), seed=int(setting("seed")))



def _nearest(notches, value: float) -> float:
    return float(min(notches, key=lambda notch: (abs(notch - value), notch)))



def _within(value: float, limits: tuple[int, int]) -> int:
    return min(max(int(value), limits[0]), limits[1])
