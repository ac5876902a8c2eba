"""The one owner of ``st.session_state``: the app state, held by the controls, and every change to it
that does not come from a widget itself.

The state is a ``share.AppState`` (the race, the view, the language, the lesson) kept in the
session as the values of its controls, under the keys of ``optviz.app.widget_values``. Widgets
elsewhere are created with those keys and with callbacks from here; other modules ask this one
for values and never touch the session.

One path loads a race onto the controls, :func:`load`: a share link (once per session), a
lesson from the menu, a new surface, the start buttons and a click on the race map, "Reset",
"Duplicate", "Tune every learning rate", and the sweep view's picks and tuned race. Each builds
an AppState (from the link, the lesson, or the state on screen with one change) and loads it.
A load writes widget values, which Streamlit allows only in callbacks and before the widget
is drawn in a run, so loads happen in callbacks and in :func:`start_session`.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

from optviz import controls, share
from optviz.app.caches import cached_surface, tuned_lr
from optviz.app.widget_values import (BOUNDS, EXPRESSION, LABELS, LANG, LESSON, PRESENT, RACE_VIEW, SLOT_IDS, SLOTS, START,
                                      STEPS, SURFACE, VIEW, app_state, contestant_key, contestant_values,
                                      default_contestant, slot_label, surface_param_key, typed_surface, widget_values)
from optviz.classroom.catalog import ALL_LESSONS, get_lesson
from optviz.race import OptimizerConfig, RaceConfig
from surfaces import CUSTOM, PARAMETERS
from surfaces.typed.custom import DEFAULT_BOUNDS

ss = st.session_state

DEFAULT_EXPRESSION = "x**2 + 3*sin(y) - 0.5*x*y"
LESSON_IDS = [lesson.id for lesson in ALL_LESSONS]

# The session's own bookkeeping, never shown by a widget.
_LINK_READ, _NOTICES, _LAST_VIEW, _SENT_BLOBS = "link_read", "link_notices", "last_view", "sent_blobs"
_OPENINGS = "openings"  # lessons and links loaded: each opens the race at its own step again
_GOOD_SURFACE, _SURFACE_PROBLEM = "custom_good", "custom_problem"  # the last typed surface that parsed; why not now


# ---------------------------------------------------------------------------------------- reading

def lang() -> str:
    return ss.get(LANG, "en")


def lesson() -> str | None:
    return ss.get(LESSON) or None


def view() -> str:
    """The view on screen, remembered for :func:`keep_a_view`."""
    ss[_LAST_VIEW] = ss.get(VIEW) or ss.get(_LAST_VIEW, "race")
    return ss[_LAST_VIEW]


def keep_a_view() -> None:
    """A click on the chosen view's button clears the view picker: choose that view again instead."""
    if not ss.get(VIEW):
        ss[VIEW] = ss.get(_LAST_VIEW, "race")


def value(key: str) -> Any:
    """A control's value before its widget is drawn in this run (what to show depends on it)."""
    return ss[key]


def surface_problem() -> ValueError | None:
    """Why the typed expression cannot be drawn (with :func:`surface_choice`'s fallback in use), or None."""
    return ss.get(_SURFACE_PROBLEM)


def surface_choice() -> RaceConfig:
    """The surface drawn, as the part of a RaceConfig that names it (hashable: it keys the caches).

    A typed expression that does not parse is reported by :func:`surface_problem`, and the last one
    that did is drawn meanwhile.
    """
    where = typed_surface(ss)
    if where.surface != CUSTOM:
        return where
    try:
        cached_surface(where)
    except ValueError as error:
        ss[_SURFACE_PROBLEM] = error
        expression, bounds = ss.get(_GOOD_SURFACE) or (DEFAULT_EXPRESSION, DEFAULT_BOUNDS)
        return RaceConfig(surface=CUSTOM, expression=expression, bounds=bounds)
    ss[_GOOD_SURFACE], ss[_SURFACE_PROBLEM] = (where.expression, where.bounds), None
    return where


def current_surface():
    return cached_surface(surface_choice())


def race() -> RaceConfig:
    """The race the controls describe, on the surface drawn."""
    return on_screen().config


def check_drawn(config: RaceConfig) -> None:
    """After the controls are drawn: if drawing them settled a value the race read before (a choice
    whose option no longer exists), run again so the page shows the race the controls now hold."""
    if race() != config:
        st.rerun()


def on_screen(as_typed: bool = False) -> share.AppState:
    """The state the controls show; ``as_typed`` keeps a typed expression that does not parse (to load it back)."""
    for slot in ss[SLOTS]:
        ensure_contestant(slot)
    return app_state(ss, where=None if as_typed else surface_choice())


def _start() -> tuple[float, float]:
    return float(ss[START[0]]), float(ss[START[1]])


def _tuned_lr(name: str, start: tuple[float, float] | None = None) -> float:
    return tuned_lr(surface_choice(), start or _start(), int(ss[STEPS]), name)


# ---------------------------------------------------------------------------------------- defaults

def start_session() -> None:
    """Before the first widget of a run: first values, then (once) the link, then a click on the map."""
    for key, first in _first_values().items():
        ss.setdefault(key, first)
    if START[0] not in ss:
        ss[START[0]], ss[START[1]] = _rounded(current_surface().start)
    _read_link()
    for p in PARAMETERS.get(ss[SURFACE], ()):
        ss.setdefault(surface_param_key(ss[SURFACE], p.name), p.default)
    for slot in ss[SLOTS]:
        ensure_contestant(slot)


def _first_values() -> dict[str, Any]:
    """The controls of a new session (fresh lists and dicts: a session's values are its own)."""
    bounds = {key: end for keys, axis in zip(BOUNDS, DEFAULT_BOUNDS) for key, end in zip(keys, axis)}
    return {LANG: "en", SURFACE: "rosenbrock", STEPS: 500, VIEW: "race", LESSON: "", LABELS: {},
            SLOTS: list(controls.DEFAULT_SLOTS), SLOT_IDS: controls.base_slots(), EXPRESSION: DEFAULT_EXPRESSION,
            **bounds}


def ensure_contestant(slot: str) -> None:
    """Give a slot's controls their defaults where unset (Streamlit forgets a widget's value once the
    widget is not drawn); a missing learning rate is tuned for this surface and start."""
    lr_key = contestant_key(slot, "lr")
    lr = ss[lr_key] if lr_key in ss else _tuned_lr(controls.optimizer_of(slot))
    for key, first in contestant_values(slot, default_contestant(slot, lr), int(ss[STEPS])).items():
        ss.setdefault(key, first)


# ---------------------------------------------------------------------------------------- the one path

def load(state: share.AppState, slots: Sequence[str] | None = None) -> None:
    """Put ``state`` on the controls. ``slots`` names the slot of each contestant (a race already on
    screen keeps its slots); by default they follow occurrence (``adam``, ``adam~2``)."""
    for key, shown in widget_values(state, slots, offered=ss[SLOT_IDS]).items():
        ss[key] = shown


def lesson_state(lesson_id: str, language: str) -> share.AppState:
    """A lesson's setting: its race (labels in ``language``) and view."""
    chosen = get_lesson(lesson_id)
    return share.AppState(chosen.race_config(language), view=chosen.view, lang=language, lesson=lesson_id)


def _with_race(state: share.AppState, **changes) -> share.AppState:
    return replace(state, config=replace(state.config, **changes))


def _with_contestants(state: share.AppState, change: Callable[[str, OptimizerConfig], OptimizerConfig]):
    """``state`` with each contestant replaced by ``change(slot, contestant)``."""
    optimizers = tuple(change(slot, opt) for slot, opt in zip(ss[SLOTS], state.config.optimizers))
    return _with_race(state, optimizers=optimizers)


def _rounded(point) -> tuple[float, float]:
    """A start as the start inputs hold it (4 decimals), so a tuned rate is tuned for what is shown."""
    return round(float(point[0]), 4), round(float(point[1]), 4)


# ---------------------------------------------------------------------------------------- callbacks

def on_lesson_change() -> None:
    """A lesson loads its setting; "no lesson" only gives the contestants their own names back."""
    if ss[LESSON]:
        load(lesson_state(ss[LESSON], lang()))
        ss[_OPENINGS] = ss.get(_OPENINGS, 0) + 1
    else:
        ss[LABELS] = {}


def on_surface_change() -> None:
    """A new surface (or typed expression or bounds): its own start, the contestants under their own
    names, learning rates tuned for it, and no lesson (its card would describe another surface)."""
    start = _rounded(current_surface().start)
    state = _with_contestants(on_screen(as_typed=True), lambda slot, opt: replace(
        opt.with_values(lr=_tuned_lr(opt.name, start)), label=slot_label(slot)))
    load(replace(_with_race(state, start=start), lesson=None), ss[SLOTS])


def forget_labels() -> None:
    """The contestants changed: a lesson's or a link's names no longer apply."""
    ss[LABELS] = {}


def start_at(point) -> None:
    load(_with_race(on_screen(as_typed=True), start=_rounded(point)), ss[SLOTS])


def random_start() -> None:
    (x0, x1), (y0, y1) = current_surface().bounds
    rng = np.random.default_rng()
    start_at((rng.uniform(x0, x1), rng.uniform(y0, y1)))


def default_start() -> None:
    start_at(current_surface().start)


def tune_all() -> None:
    state = on_screen(as_typed=True)
    load(_with_contestants(state, lambda slot, opt: opt.with_values(lr=_tuned_lr(opt.name))), ss[SLOTS])


def reset(slot: str) -> None:
    """``slot``'s contestant back to the defaults, its learning rate tuned; its name stays."""
    fresh = default_contestant(slot, _tuned_lr(controls.optimizer_of(slot)))
    state = _with_contestants(on_screen(as_typed=True), lambda each, opt: replace(fresh, label=opt.label)
                              if each == slot else opt)
    load(state, ss[SLOTS])


def duplicate(slot: str) -> None:
    """A copy of ``slot``'s contestant joins the race, in a slot of its own (``adam~2``)."""
    state = on_screen(as_typed=True)
    copy = controls.duplicate_slot(slot, ss[SLOT_IDS])
    original = state.config.optimizers[list(ss[SLOTS]).index(slot)]
    optimizers = (*state.config.optimizers, replace(original, label=slot_label(copy)))
    load(_with_race(state, optimizers=optimizers), [*ss[SLOTS], copy])


def load_picked(slot: str, values: dict[str, float]) -> None:
    """The sweep's pick: these hyperparameters for ``slot``'s contestant, then back to the race."""
    state = _with_contestants(on_screen(as_typed=True), lambda each, opt: opt.with_values(**values)
                              if each == slot else opt)
    load(replace(state, view="race"), ss[SLOTS])


def load_tuned_rates(rates: dict[str, float]) -> None:
    """The sweep's fair race: each contestant at its optimizer's tuned rate (where one was found)."""
    state = _with_contestants(on_screen(as_typed=True), lambda slot, opt: opt.with_values(lr=rates[opt.name])
                              if np.isfinite(rates.get(opt.name, np.nan)) else opt)
    load(replace(state, view="race"), ss[SLOTS])


def first_value(key: str, value: Any) -> None:
    """The first value of a view's control that a budget notice may set (``set_controls``): given through the
    state rather than the widget's ``value=``, which Streamlit warns about once the state has set the key."""
    ss.setdefault(key, value)


def set_controls(values: dict[str, Any]) -> None:
    """A budget notice's button: these values (widget key -> value) on their controls, the largest that fit."""
    for key, shown in values.items():
        ss[key] = shown


def set_values(slot: str, values: dict[str, float]) -> None:
    """These hyperparameters for ``slot``'s contestant, in the view on screen."""
    load(_with_contestants(on_screen(as_typed=True), lambda each, opt: opt.with_values(**values)
                           if each == slot else opt), ss[SLOTS])


# ---------------------------------------------------------------------------------------- the race component

def _component_value(name: str) -> Any:
    """A state or trigger value the race component reported (``race_component.KEY``)."""
    value = ss.get(RACE_VIEW)
    if value is None:
        return None
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def racing_slots() -> list[str]:
    """The slot of each contestant, in race order."""
    return list(ss[SLOTS])


def opening() -> dict[str, Any]:
    """Where the race component opens: a lesson's proving step, again each time a lesson or a link loads."""
    lesson_id = lesson()
    step = get_lesson(lesson_id).opening_step if lesson_id else None
    return {"open_step": step, "open_token": f"{lesson_id}:{ss.get(_OPENINGS, 0)}"}


def presenting() -> bool:
    """Presenter mode: no sidebar and no downloads, the map as large as the screen allows."""
    return bool(ss.get(PRESENT))


def flag(key: str) -> bool:
    """A toggle's value (False before it is first drawn)."""
    return bool(ss.get(key, False))


def scrub_slot() -> str | None:
    """The contestant whose live scrub sliders the race component shows, if any."""
    return _component_value("scrub")


def unsent_blobs(blobs: dict[str, str]) -> dict[str, str]:
    """The blobs of ``blobs`` this session has not sent to the page yet; they count as sent from now."""
    sent = ss.setdefault(_SENT_BLOBS, set())
    fresh = {key: value for key, value in blobs.items() if key not in sent}
    sent.update(fresh)
    return fresh


def resend_from_component() -> None:
    """The page lacks some blobs (a lost message, a reloaded component): send them again."""
    ss.setdefault(_SENT_BLOBS, set()).difference_update(_component_value("missing") or ())


def start_from_component() -> None:
    """A click on the race map starts every run there."""
    point = _component_value("start")
    if point is not None and len(point) == 2 and all(np.isfinite(point)):
        start_at(point)


def commit_from_component() -> None:
    """A scrub slider let go: its value becomes the contestant's, on its controls and in the link."""
    pick = _component_value("commit") or {}
    slot, name, value = pick.get("slot"), pick.get("name"), pick.get("value")
    if slot in ss[SLOTS] and name in controls.hyperparameter_names(slot) and np.isfinite(value):
        set_values(slot, {name: float(value)})


def watched_slots() -> list[str]:
    """The contestants whose learning-rate slider the page sees in the sidebar (their group is open):
    the race component keeps their live families, to redraw a move of that slider before the rerun."""
    return list(_component_value("watch") or ())


def curvature_glyphs() -> bool:
    """Whether the race component shows the curvature glyphs at the heads (its toggle, which the page
    remembers for the session): only then does a run send the Hessian's eigen-pairs along the paths."""
    return bool(_component_value("curvature"))


def curvature_from_component() -> None:
    """The curvature toggle changed; the next run sends the eigen-pairs, or stops sending them."""


def on_language_change() -> None:
    """The language changed: load the race on screen again, so the contestants menu, whose labels carry the
    group's tag in the language, is sent its value in the new labels (the page sends back the labels it
    shows, and the old ones would match no option)."""
    load(on_screen(as_typed=True), racing_slots())


def watch_from_component() -> None:
    """A contestant's group opened or closed; the next run sends or stops sending its live family."""


def scrub_from_component() -> None:
    """The scrub's contestant changed; the next run draws its sliders (nothing to load)."""


# ---------------------------------------------------------------------------------------- the address bar

def _read_link() -> None:
    """Once per session, before any widget exists: load what the address says. What a link leaves out
    comes from its lesson's setting if it names one, else from the controls."""
    if ss.get(_LINK_READ):
        return
    ss[_LINK_READ] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    ss[PRESENT] = params.pop(PRESENT, None) == ["1"]
    if not params:
        return
    state, notices = share.decode(params, on_screen(), lessons=LESSON_IDS)
    if state.lesson:
        state, notices = share.decode(params, lesson_state(state.lesson, state.lang), lessons=LESSON_IDS)
    else:
        state = _tuned_where_unsaid(state, params)
    load(state)
    ss[_OPENINGS] = ss.get(_OPENINGS, 0) + 1
    ss[_NOTICES] = [str(notice) for notice in notices]


def _tuned_where_unsaid(state: share.AppState, params: dict[str, list[str]]) -> share.AppState:
    """A contestant whose learning rate a link leaves out gets the one tuned for the link's
    surface, start and steps, as one added with the menu does: not its spec's default, which suits no
    surface in particular, nor a value tuned for the surface that was on screen before."""
    config = state.config
    where = RaceConfig(surface=config.surface, surface_params=config.surface_params, expression=config.expression,
                       bounds=config.bounds)
    start = tuple(float(v) for v in config.start_point(cached_surface(where)))
    optimizers = tuple(opt if params.get(f"o{k}.lr") else opt.with_values(lr=tuned_lr(where, start, config.steps, opt.name))
                       for k, opt in enumerate(config.optimizers, start=1))
    return replace(state, config=replace(config, optimizers=optimizers))


def pop_link_notices() -> list[str]:
    """What the link had that was ignored, once."""
    return ss.pop(_NOTICES, [])


def write_link(config: RaceConfig) -> None:
    """Keep the address bar equal to what is on screen, so copying it shares exactly this."""
    query = share.encode(share.AppState(config, view=ss.get(VIEW) or "race", lang=lang(), lesson=lesson()))
    if presenting():
        query[PRESENT] = "1"
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


# ---------------------------------------------------------------------------------------- choices

def settle_choice(key: str, options: list, labels: list[str], default: Any = None) -> tuple[str, Any]:
    """The widget key and the value of a choice whose shown labels can change (see ``widgets.choice``).

    The chosen option lives under ``key``; the widget is keyed by its labels, so new labels make a
    new widget, which starts from the stored choice.
    """
    widget_key = f"{key}#{zlib.crc32(chr(31).join(labels).encode())}"
    chosen = ss.get(key, default)
    if chosen not in options:
        chosen = default if default in options else options[0]
    ss[key] = chosen
    if ss.get(widget_key) != chosen:
        ss[widget_key] = chosen
    return widget_key, chosen


def store_choice(key: str, widget_key: str, then: Callable[[], None] | None = None) -> None:
    """A choice's callback: keep the picked option under ``key``, then run ``then``."""
    # The browser may still answer for the widget of the labels before (its key is gone by then).
    if widget_key in ss and ss[widget_key] != ss.get(key):
        ss[key] = ss[widget_key]
        if then is not None:
            then()
