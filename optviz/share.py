"""The whole app state in a link: URL query parameters that round-trip, and survive hostile ones.

``encode(state)`` gives a ``dict[str, str]`` for ``st.query_params``; ``decode(params, defaults)``
reads one back, replacing each bad value by its default and saying so in a :class:`Notice`.
No Streamlit here.

Format
------
Streamlit writes query parameters with ``urllib.parse.urlencode``, which percent-encodes every
character but letters, digits and ``- . _ ~``. So the format sticks to those: one key per
setting, ``~`` between list items, and schedules written with ``~`` for ``:`` and ``_`` for ``+``.

==========  ====================================================  ==============================
key         value                                                 when absent
==========  ====================================================  ==============================
``s``       surface name                                          the defaults' surface, its
                                                                  parameters and start
``f``       with ``s=custom``: the expression f(x, y) as typed    the defaults' (if custom)
``bx by``   with ``s=custom``: bounds ``-3~3`` (min~max)          (-3, 3)
``s.NAME``  a surface parameter: ``s.condition=100``              its registry default
``x0 y0``   start point, both or neither                          the surface's own start
``n``       steps, a whole number in [1, 2000]                    the defaults'
``v``       view: race, side, 3d, loss, inside, table, sweep,     the defaults'
            ewa, regression (or ``decode``'s ``views``)
``l``       language: en, zh                                      the defaults'
``ls``      lesson id                                             no lesson
``o``       optimizers in race order: ``adam~adam~sgd``           the defaults' optimizers
``oK.KEY``  a setting of the K-th optimizer of ``o`` (1-based):
            a hyperparameter by its link code (``Hyper.link``     its registry default
            in its optimizer's module), such as ``lr b b1 b2
            eps wd damp`` (lr, beta, beta1, beta2, eps,
            weight_decay, damping)
            ``c`` convention: pytorch, keras, textbook — only     pytorch
            those its spec declares (``SPEC.conventions``)
            ``bc`` bias correction 0 or 1 (adam, adamw)            1
            ``sch`` schedule, ``optviz.schedules.parse`` syntax    constant
            with ``~`` for ``:`` and ``_`` for ``+``:
            ``step~100~0.5_warmup~10``
            ``noise`` gradient-noise σ; ``seed`` its seed          0; 0
            ``lb`` label                                          "Adam", "Adam (2)", … by
                                                                  occurrence
==========  ====================================================  ==============================

Numbers are the shortest text that reads back as the same float (``0.001``, ``1e-05``,
``100``). Only values that differ from what "absent" means are written, so a typical link is::

    ?s=ravine&s.condition=100&s.angle=30&x0=-2.5&y0=0.5&n=500&v=race&l=zh
     &o=adam~adam~sgd&o1.lr=0.01&o2.lr=0.1&o3.lr=0.003&o3.c=textbook&o3.sch=step~100~0.5
     &o3.noise=0.1&o3.seed=3

A typed surface's formula gets percent-encoded (``x**2 + 3*sin(y)`` with ``bounds`` (-3, 3),
(-2, 2)): ``s=custom&f=x%2A%2A2+%2B+3%2Asin%28y%29&bx=-3~3&by=-2~2``.

``decode`` also reads ``:``, ``+`` (or the space a ``+`` becomes), ``,`` between optimizer names,
any letter case in names, and the long setting names (``beta1``, ``weight_decay``, …).

Round trip
----------
``decode(encode(s), d) == canonical(s)`` for every valid state ``s`` and any defaults ``d``:
:func:`canonical` spells out every surface parameter and hyperparameter in registry order,
as the app builds its configs, and replaces an empty label by the natural one. Links also carry
values off the app's ladders; the app moves them onto its controls' notches.

Hostile links
-------------
``decode`` never raises. A value that is malformed, out of range, too long, NaN or infinite is
replaced by its default (the matching value of ``defaults``, or the registry's), and yields one
:class:`Notice` naming key, value and reason; everything else in the link is kept. Keys that are
not ours (``utm_source``, ``fbclid``, …) are skipped silently: sites add them to shared links.
A typed expression goes through the surface's own parser (never a Python evaluator); if it is
refused, the surface and its parameters fall back to the defaults' (the start is its own value
and stays). A lesson id is checked against the ``lessons`` allow-list when one is given. Limits
(``optviz.limits``): 4000 characters in all, 200 per value (300 for ``f``), 12 optimizers, 40
characters per label, steps and seeds as the app allows them.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from optviz.i18n import LANGUAGES
from optviz.limits import (BOUND_RANGE, MAX_EXPRESSION, MAX_LINK, MAX_LINK_VALUE, MAX_NOTICES, MAX_OPTIMIZERS,
                           RACE_STEPS, SEEDS, START_RANGE)
from optviz.optimizers import HAS_BIAS_CORRECTION, HYPER_BY_NAME, HYPERPARAMETERS, NOISE, OPTIMIZERS, SPECS
from optviz.race import OptimizerConfig, RaceConfig, label_problem, unique_labels, validate
from optviz.schedules import parse as parse_schedule
from optviz.views import VIEWS
from surfaces import CUSTOM, PARAMETERS, SURFACES, custom_surface, get_surface
from surfaces.base import Parameter
from surfaces.typed.custom import DEFAULT_BOUNDS

SHORT = {name: hyper.link for name, hyper in HYPER_BY_NAME.items()}  # hyperparameter -> its key in a link
_LONG = {short: name for name, short in SHORT.items()} | {name: name for name in SHORT}
SETTINGS = {"c": "convention", "convention": "convention", "bc": "bias_correction",
            "bias_correction": "bias_correction", "sch": "schedule", "schedule": "schedule", "noise": "noise",
            "seed": "seed", "lb": "label", "label": "label"}  # a contestant's other settings: key -> name
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_LESSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_OPT_KEY = re.compile(r"o(\d+)\.(.*)", re.DOTALL)
BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
         "off": False}  # what bias correction may be


@dataclass(frozen=True)
class AppState:
    """Everything a link restores: the race, the view, the language and the lesson (an opaque id)."""

    config: RaceConfig = field(default_factory=RaceConfig)
    view: str = "race"
    lang: str = "en"
    lesson: str | None = None


class Notice(NamedTuple):
    """One ignored value of a link. ``str(notice)`` is the English sentence.

    ``key`` is the query key (``"o1.lr"``), ``value`` what it held (shortened, made printable),
    ``reason`` why it was ignored (English), ``subject`` the optimizer it belongs to, if any
    (``"adam (optimizer 1)"``).
    """

    key: str
    value: str
    reason: str
    subject: str = ""

    def __str__(self) -> str:
        name = self.key.split(".", 1)[1] if self.subject and "." in self.key else self.key
        where = f" for {self.subject}" if self.subject else ""
        return f"ignored {name}={self.value}{where}: {self.reason}"


# ------------------------------------------------------------------------------------------ encode


def number(value: float) -> str:
    """The shortest text that reads back as the same float: ``0.001``, ``1e-05``, ``100``, ``-2.5``."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("e+", "e")


def schedule_to_link(text: str) -> str:
    """``step:100:0.5+warmup:10`` -> ``step~100~0.5_warmup~10`` (nothing left to percent-encode)."""
    return text.strip().lower().replace(":", "~").replace("+", "_")


def schedule_from_link(text: str) -> str:
    """The inverse of :func:`schedule_to_link`; also reads ``:`` and a ``+`` turned into a space."""
    return re.sub(r"[_ ]+", "+", text.strip().lower().replace("~", ":"))


def natural_label(name: str, occurrence: int) -> str:
    """What the app calls the ``occurrence``-th (1-based) copy of optimizer ``name`` when nothing names it
    otherwise: "Adam", "Adam (2)", as ``race.unique_labels`` numbers it."""
    return unique_labels((OptimizerConfig(name),) * occurrence)[-1]


def _occurrences(names) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(seen[name])
    return out


def canonical(state: AppState) -> AppState:
    """``state`` as ``decode`` returns it: every surface parameter and hyperparameter spelled out in
    registry order, empty labels replaced by natural ones, bias correction on where it means nothing."""
    c = state.config
    params = dict(c.surface_params)
    surface_params = (tuple((p.name, float(params.get(p.name, p.default))) for p in PARAMETERS[c.surface])
                      if c.surface in PARAMETERS else c.surface_params)
    optimizers = []
    for opt, k in zip(c.optimizers, _occurrences(o.name for o in c.optimizers)):
        if opt.name in HYPERPARAMETERS:
            opt = replace(opt, hyperparams=tuple((p.name, float(opt.value(p.name))) for p in HYPERPARAMETERS[opt.name]),
                          bias_correction=opt.bias_correction or opt.name not in HAS_BIAS_CORRECTION)
        optimizers.append(replace(opt, label=opt.label or natural_label(opt.name, k)))
    custom = c.surface == CUSTOM
    bounds = tuple((float(lo), float(hi)) for lo, hi in c.bounds) if custom and c.bounds is not None else None
    config = replace(c, surface_params=() if custom else surface_params, optimizers=tuple(optimizers),
                     start=None if c.start is None else (float(c.start[0]), float(c.start[1])),
                     expression=c.expression if custom else None, bounds=bounds)
    return replace(state, config=config)


def encode(state: AppState) -> dict[str, str]:
    """The query parameters of ``state``, in a stable order, leaving out what "absent" already means."""
    c = state.config
    query = {"s": c.surface}
    if c.surface == CUSTOM:
        query["f"] = c.expression or ""
        if c.bounds is not None:
            query["bx"], query["by"] = (f"{number(lo)}~{number(hi)}" for lo, hi in c.bounds)
    specs = {p.name: p for p in PARAMETERS.get(c.surface, ())}
    for name, value in c.surface_params:
        if name not in specs or float(value) != specs[name].default:
            query[f"s.{name}"] = number(value)
    if c.start is not None:
        query["x0"], query["y0"] = number(c.start[0]), number(c.start[1])
    query["n"] = str(int(c.steps))
    query["v"] = state.view
    query["l"] = state.lang
    if state.lesson:
        query["ls"] = state.lesson
    query["o"] = "~".join(opt.name for opt in c.optimizers)
    for k, (opt, occurrence) in enumerate(zip(c.optimizers, _occurrences(o.name for o in c.optimizers)), 1):
        defaults = {p.name: p.default for p in HYPERPARAMETERS.get(opt.name, ())}
        for name, value in opt.hyperparams:
            if name not in defaults or float(value) != defaults[name]:
                query[f"o{k}.{SHORT.get(name, name)}"] = number(value)
        if opt.convention != "pytorch":
            query[f"o{k}.c"] = opt.convention
        if not opt.bias_correction and opt.name in HAS_BIAS_CORRECTION:
            query[f"o{k}.bc"] = "0"
        if opt.schedule.strip().lower() != "constant":
            query[f"o{k}.sch"] = schedule_to_link(opt.schedule)
        if opt.noise != 0:
            query[f"o{k}.noise"] = number(opt.noise)
        if opt.seed != 0:
            query[f"o{k}.seed"] = str(int(opt.seed))
        if opt.label and opt.label != natural_label(opt.name, occurrence):
            query[f"o{k}.lb"] = opt.label
    return query


# ------------------------------------------------------------------------------------------ decode


def _shown(value: str, limit: int = 40) -> str:
    """A value made safe to print in a notice: printable characters only, at most ``limit`` of them."""
    text = "".join(ch if ch.isprintable() else "?" for ch in value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Invalid(ValueError):
    """A value to ignore; the message is the notice's reason."""


def _float(text: str, spec: Parameter) -> float:
    if not _NUMBER.fullmatch(text.strip()):
        raise _Invalid(f"{spec.name} must be a finite number in {spec.range_text}")
    try:
        return spec.check(float(text))
    except ValueError:
        raise _Invalid(f"{spec.name} must be in {spec.range_text}") from None


def _whole(text: str, what: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\+?\d{1,12}", text.strip(), re.ASCII) or not low <= int(text) <= high:
        raise _Invalid(f"{what} must be a whole number in [{low}, {high}]")
    return int(text)


def _choice(text: str, what: str, choices) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise _Invalid(f"unknown {what}; choose from: {', '.join(choices)}")
    return value


def _label(text: str) -> str:
    problem = label_problem(text)
    if problem:
        raise _Invalid(problem)
    return text.strip()


def _schedule(text: str) -> str:
    value = schedule_from_link(text)
    if len(value) > 64 or not re.fullmatch(r"[a-z0-9:.+\-]*", value):
        raise _Invalid("a schedule looks like constant, step~N~F, exp~G or cosine~T[~FLOOR], optionally "
                       "followed by _warmup~W")
    try:
        parse_schedule(value)
    except (ValueError, ArithmeticError) as problem:
        raise _Invalid(str(problem)) from None
    return value


class _Reader:
    """One decode: the link's values by key, and the notices so far."""

    def __init__(self, params: Any):
        self.notices: list[Notice] = []
        self.dropped = 0
        self.values: dict[str, str] = {}
        self.rejected: set[str] = set()  # our keys whose value was refused before parsing (too long, not text)
        self._read(params)

    def notice(self, key: str, value: str, reason: str, subject: str = "") -> None:
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(Notice(_shown(key, 24), _shown(value), reason, subject))
        else:
            self.dropped += 1

    def refuse(self, key: str, reason: str, subject: str = "") -> None:
        """A notice about the value under ``key``, unless it was refused (and noticed) already."""
        if key not in self.rejected:
            self.notice(key, self.values.get(key, ""), reason, subject)

    def _read(self, params: Any) -> None:
        items = list(params.items()) if isinstance(params, Mapping) else []
        if not isinstance(params, Mapping) and params:
            self.notice("?", "", "the link's parameters are not key=value pairs")
        budget = MAX_LINK
        skipped = 0
        for key, raw in items:
            if not isinstance(key, str):
                continue
            values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, (list, tuple)) else None
            if not values or not all(isinstance(v, str) for v in values):
                if _is_ours(key):
                    self.notice(key, "", "not text")
                    self.rejected.add(key)
                continue
            cost = len(key) + sum(len(v) for v in values)
            if skipped or cost > budget:  # everything from the first key past the limit on
                skipped += 1
                continue
            budget -= cost
            if not _is_ours(key):
                continue
            value = values[-1]
            if len(set(values)) > 1:
                self.notice(key, values[0], f"given {len(values)} times; kept the last ({_shown(value, 20)})")
            limit = MAX_EXPRESSION if key == "f" else MAX_LINK_VALUE
            if len(value) > limit:
                self.notice(key, value, f"longer than {limit} characters")
                self.rejected.add(key)
                continue
            self.values[key] = value
        if skipped:
            self.notice("…", "", f"{skipped} parameter(s) past the link's {MAX_LINK}-character limit")


def _is_ours(key: str) -> bool:
    return key in ("s", "f", "bx", "by", "x0", "y0", "n", "v", "l", "ls", "o") or key.startswith("s.") or bool(
        re.match(r"o\d", key))


def decode(params: Mapping[str, str | list[str]], defaults: AppState, lessons: Collection[str] | None = None,
           views: Collection[str] = VIEWS) -> tuple[AppState, list[Notice]]:
    """Read a link back into an AppState; every bad value falls back to its default with a Notice.

    ``params`` is what ``st.query_params`` holds (a value or a list of values per key; with repeats
    the last one counts). ``lessons``, if given, is the allow-list of lesson ids; ``views`` that of
    views. Never raises.
    """
    try:
        reader = _Reader(params)
        if not reader.values and not reader.notices:
            return defaults, []
        state = _decode(reader, defaults, lessons, tuple(views))
        if state.config.optimizers:  # none at all is a state too (the app asks for one), not an error
            validate(state.config)
    except Exception as error:  # a link must never break the page
        return defaults, [Notice("?", "", f"the link could not be read ({type(error).__name__}); "
                                          "showing the defaults")]
    notices = reader.notices
    if reader.dropped:
        notices.append(Notice("…", "", f"{reader.dropped} more value(s) ignored"))
    return state, notices


def _decode(reader: _Reader, defaults: AppState, lessons: Collection[str] | None, views: tuple[str, ...]) -> AppState:
    values, d = reader.values, defaults.config

    def read(key: str, parse, fallback, subject: str = ""):
        if key not in values:  # absent, or refused already (too long, not text): its default
            return fallback
        try:
            return parse(values[key])
        except _Invalid as problem:
            reader.notice(key, values[key], str(problem), subject)
            return fallback

    # surface, its parameters and the start
    surface, base_params, base_start = d.surface, dict(d.surface_params), d.start
    expression, bounds = (d.expression, d.bounds) if d.surface == CUSTOM else (None, None)
    if "s" in values:
        chosen = read("s", lambda v: _choice(v, "surface", [*SURFACES, CUSTOM]), None)
        if chosen is not None:
            surface, base_params, base_start = chosen, {}, None
            expression, bounds = (d.expression, None) if chosen == CUSTOM == d.surface else (None, None)
    built = None
    if surface == CUSTOM:
        built, expression, bounds = _custom(reader, read, expression, bounds, d)
        if built is None:  # no usable expression: the defaults' surface block, whole
            surface, base_params, base_start = d.surface, dict(d.surface_params), d.start
            expression, bounds = (d.expression, d.bounds) if d.surface == CUSTOM else (None, None)
            built = d.build_surface() if d.surface == CUSTOM else None
    specs = {p.name: p for p in PARAMETERS.get(surface, ())}
    fallback_params = dict(d.surface_params) if surface == d.surface else {}
    params = {name: float(base_params.get(name, spec.default)) for name, spec in specs.items()}
    for key in [k for k in [*values, *sorted(reader.rejected)] if k.startswith("s.")]:
        name = key[2:]
        if name not in specs:
            takes = ", ".join(specs) or "no parameters"
            reader.refuse(key, f"{surface} has no parameter {_shown(name, 20)!r}; it takes {takes}")
            continue
        params[name] = read(key, lambda v, spec=specs[name]: _float(v, spec),
                            float(fallback_params.get(name, specs[name].default)))
    surface_params = tuple((name, params[name]) for name in specs)
    built = built or get_surface(surface, **params)
    start = base_start
    if {"x0", "y0"} & (values.keys() | reader.rejected):
        fallback = d.start if surface == d.surface and d.start is not None else built.start
        limit = START_RANGE * max(abs(v) for axis in built.bounds for v in axis)
        coordinate = Parameter("start", 0.0, -limit, limit)
        point = []
        for i, key in enumerate(("x0", "y0")):
            if key not in values and key not in reader.rejected:
                reader.notice(key, "", f"missing: a start needs both x0 and y0; used {number(fallback[i])}")
            point.append(read(key, lambda v: _float(v, coordinate._replace(name=key)), float(fallback[i])))
        start = (point[0], point[1])

    steps = read("n", lambda v: _whole(v, "steps", *RACE_STEPS), d.steps)
    view = read("v", lambda v: _choice(v, "view", views), defaults.view)
    lang = read("l", lambda v: _choice(v, "language", LANGUAGES), defaults.lang)
    lesson = None
    if values.get("ls", "").strip() or "ls" in reader.rejected:
        def lesson_id(text: str) -> str:
            text = text.strip()
            if not _LESSON.fullmatch(text):
                raise _Invalid("a lesson id is letters, digits, - and _ (at most 64)")
            if lessons is not None and text not in lessons:
                raise _Invalid("no such lesson")
            return text
        lesson = read("ls", lesson_id, defaults.lesson)

    optimizers = _optimizers(reader, read, d)
    config = RaceConfig(surface=surface, surface_params=surface_params, start=start, steps=steps,
                        optimizers=optimizers, expression=expression, bounds=bounds)
    return AppState(config=config, view=view, lang=lang, lesson=lesson)


def _bounds(text: str, key: str) -> tuple[float, float]:
    parts = re.split(r"[~,:\s]+", text.strip())
    axis = Parameter(key, 0.0, -BOUND_RANGE, BOUND_RANGE)
    if len(parts) != 2:
        raise _Invalid(f"{key} is min~max, e.g. -3~3")
    lo, hi = (_float(part, axis) for part in parts)
    if not lo < hi:
        raise _Invalid(f"{key} needs min < max")
    return lo, hi


def _custom(reader: _Reader, read, expression: str | None, bounds, d: RaceConfig):
    """The typed surface a link asks for: ``(surface, expression, bounds)``, or ``(None, …)`` when
    its expression is missing or refused (the caller then falls back to the defaults' surface)."""
    values = reader.values
    fallback_bounds = bounds
    given = [key for key in ("bx", "by") if key in values]
    if given:
        (x0, x1), (y0, y1) = bounds or DEFAULT_BOUNDS
        xs = read("bx", lambda v: _bounds(v, "bx"), (x0, x1))
        ys = read("by", lambda v: _bounds(v, "by"), (y0, y1))
        bounds = (xs, ys)
    if "f" in values:
        expression = values["f"]
    if not expression:
        if "f" not in reader.rejected:
            reader.notice("f", values.get("f", ""), "a typed surface needs its expression f(x, y)")
        return None, None, None
    try:
        return custom_surface(expression, bounds=bounds), expression, bounds
    except (ValueError, ArithmeticError) as problem:
        reason = f"f(x, y) cannot be drawn over these bounds: {str(problem)[:160]}"
        fb = fallback_bounds or DEFAULT_BOUNDS
        trials = [([key], tuple(fb[i] if i == axis else bounds[i] for i in range(2)))  # one axis back
                  for axis, key in enumerate(("bx", "by")) if key in given]
        trials.append((given, fallback_bounds))  # both back
        for blamed, trial in trials if given else []:
            if trial == bounds:
                continue
            try:
                surface = custom_surface(expression, bounds=trial)
            except (ValueError, ArithmeticError):
                continue
            for key in blamed:  # the expression is fine; these bounds are not
                reader.refuse(key, reason)
            return surface, expression, trial
        reader.refuse("f", str(problem)[:160])
        return None, None, None


def _optimizers(reader: _Reader, read, d: RaceConfig) -> tuple[OptimizerConfig, ...]:
    values = reader.values
    settings: dict[int, list[tuple[str, str]]] = {}
    for key in (k for k in [*values, *sorted(reader.rejected)] if re.match(r"o\d", k)):
        match = _OPT_KEY.fullmatch(key)
        if match is None or len(match[1]) > 3:
            if key not in reader.rejected:
                reader.notice(key, values[key], "not a setting: use oK.NAME, e.g. o1.lr")
            continue
        settings.setdefault(int(match[1]), []).append((key, match[2]))
    if "o" not in values:
        for key in (k for group in settings.values() for k, _ in group):
            reader.refuse(key, "there is no optimizer list o= to apply it to")
        return d.optimizers

    names = [n for n in re.split(r"[~,\s]+", values["o"].strip()) if n]
    if not names:
        reader.notice("o", values["o"], "names no optimizer")
    if len(names) > MAX_OPTIMIZERS:
        reader.notice("o", "~".join(names[MAX_OPTIMIZERS:]), f"at most {MAX_OPTIMIZERS} optimizers race")
    chosen: list[tuple[int, str]] = []
    for k, name in enumerate(names[:MAX_OPTIMIZERS], 1):
        if name.lower() in OPTIMIZERS:
            chosen.append((k, name.lower()))
        else:
            reader.notice("o", name, f"unknown optimizer; choose from: {', '.join(OPTIMIZERS)}")
    for k in sorted(set(settings) - {k for k, _ in chosen}):
        for key, _ in settings[k]:
            reason = ("its optimizer was ignored" if 1 <= k <= len(names) else
                      f"there is no optimizer {k} in o=")
            reader.refuse(key, reason)
    out = []
    for (k, name), occurrence in zip(chosen, _occurrences(n for _, n in chosen)):
        out.append(_optimizer(reader, read, d, k, name, occurrence, settings.get(k, [])))
    return tuple(out) or d.optimizers


def _optimizer(reader: _Reader, read, d: RaceConfig, k: int, name: str, occurrence: int,
               settings: list[tuple[str, str]]) -> OptimizerConfig:
    subject = f"{name} (optimizer {k})"
    specs = {p.name: p for p in HYPERPARAMETERS[name]}
    same = [o for o in d.optimizers if o.name == name]
    fallback = same[min(occurrence, len(same)) - 1] if same else OptimizerConfig(name)
    fallback = canonical(AppState(RaceConfig(optimizers=(fallback,)))).config.optimizers[0]
    hyper = {p: p_spec.default for p, p_spec in specs.items()}
    fields: dict[str, Any] = {"convention": "pytorch", "bias_correction": True, "schedule": "constant",
                              "noise": 0.0, "seed": 0, "label": natural_label(name, occurrence)}
    for key, setting in settings:
        long = _LONG.get(setting)
        if long is not None:
            if long not in specs:
                takes = ", ".join(SHORT[p] for p in specs)
                reader.refuse(key, f"{name} has no {setting}; it takes {takes}", subject)
                continue
            hyper[long] = read(key, lambda v, spec=specs[long]: _float(v, spec), fallback.value(long), subject)
            continue
        what = SETTINGS.get(setting)
        if what is None:
            reader.refuse(key, f"unknown setting {_shown(setting, 20)!r}", subject)
        elif what == "bias_correction" and name not in HAS_BIAS_CORRECTION:
            reader.refuse(key, f"{name} has no bias correction", subject)
        else:
            parse = {"convention": lambda v: _choice(v, "convention", SPECS[name].conventions),
                     "bias_correction": lambda v: BOOLS[_choice(v, "bias correction (0 or 1)", list(BOOLS))],
                     "schedule": _schedule,
                     "noise": lambda v: _float(v, NOISE),
                     "seed": lambda v: _whole(v, "seed", *SEEDS),
                     "label": _label}[what]
            own = natural_label(name, occurrence) if what == "label" else getattr(fallback, what)
            fields[what] = read(key, parse, own, subject)
    fields["label"] = fields["label"] or natural_label(name, occurrence)
    config = OptimizerConfig(name, hyperparams=tuple((p, float(hyper[p])) for p in specs), **fields)
    try:
        config.build()
    except (ValueError, ArithmeticError) as problem:  # not expected: every value was checked above
        reader.notice(f"o{k}", name, str(problem), subject)
        return fallback
    return config


def from_link(link: str, defaults: AppState, lessons: Collection[str] | None = None,
              views: Collection[str] = VIEWS) -> tuple[AppState, list[Notice]]:
    """``decode`` for a whole address or its query: ``https://host/?s=ravine&…``, ``?s=…`` or ``s=…``."""
    query = str(link)[: 2 * MAX_LINK].partition("#")[0]
    query = query.partition("?")[2] if "?" in query else query
    return decode(parse_qs(query, keep_blank_values=True), defaults, lessons, views)


__all__ = ["AppState", "BOOLS", "Notice", "SETTINGS", "SHORT", "VIEWS", "canonical", "decode", "encode", "from_link",
           "natural_label", "number"]
