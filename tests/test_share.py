"""Links: the app state round-trips through query parameters, and hostile links cost only their bad values."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import controls, share
from optviz.i18n import LANGUAGES
from optviz.classroom.catalog import ALL_LESSONS as LESSON_LIST
from optviz.classroom.lessons import VIEWS as LESSON_VIEWS
from optviz.classroom.catalog import get_lesson
from optviz.limits import MAX_OPTIMIZERS, RACE_STEPS, SCHEDULE_EVERY, SCHEDULE_PERIOD, SCHEDULE_WARMUP, SEEDS
from optviz.optimizers import HAS_BIAS_CORRECTION, HYPERPARAMETERS, OPTIMIZERS, SPECS
from optviz.race import OptimizerConfig, RaceConfig, validate
from optviz.controls import surface_ladder
from optviz.schedules import KINDS, schedule_text
from optviz.share import VIEWS, AppState, Notice, canonical, decode, encode, from_link, number
from surfaces import CUSTOM, PARAMETERS, SURFACES, get_surface

LESSONS = ("momentum-intro", "adam_bias")

BASE = AppState(
    config=RaceConfig(
        surface="ravine", surface_params=(("condition", 100.0), ("angle", 30.0)), start=(-2.5, 0.5), steps=300,
        optimizers=(
            OptimizerConfig("adam", label="Adam").with_values(lr=0.01, beta1=0.8),
            OptimizerConfig("adam", label="Adam (2)", bias_correction=False).with_values(lr=0.1),
            OptimizerConfig("sgd", label="SGD", convention="textbook", schedule="step:100:0.5", noise=0.1,
                            seed=3).with_values(lr=0.003),
        )),
    view="loss", lang="zh", lesson="momentum-intro")

DEFAULTS = AppState(
    config=RaceConfig(surface="rosenbrock", steps=500, optimizers=(
        OptimizerConfig("sgd", label="SGD").with_values(lr=0.02),
        OptimizerConfig("adam", label="Adam").with_values(lr=0.005))),
    view="race", lang="en", lesson=None)

RAVINE_START = get_surface("ravine", condition=100, angle=30).start


def via_url(query: dict[str, str]) -> dict[str, list[str]]:
    """What a browser hands back: Streamlit writes with urlencode, the server reads with parse_qs."""
    return parse_qs(urlencode(query, doseq=True), keep_blank_values=True)


# ------------------------------------------------------------------------------------------ format


def test_the_documented_example():
    query = encode(BASE)
    assert query == {
        "s": "ravine", "s.condition": "100", "s.angle": "30", "x0": "-2.5", "y0": "0.5", "n": "300", "v": "loss",
        "l": "zh", "ls": "momentum-intro", "o": "adam~adam~sgd", "o1.lr": "0.01", "o1.b1": "0.8", "o2.lr": "0.1",
        "o2.bc": "0", "o3.lr": "0.003", "o3.c": "textbook", "o3.sch": "step~100~0.5", "o3.noise": "0.1",
        "o3.seed": "3"}
    url = urlencode(query)
    assert "%" not in url and len(url) < 220  # nothing percent-encoded: readable in the address bar
    assert decode(via_url(query), DEFAULTS, LESSONS) == (canonical(BASE), [])


def test_numbers_are_short_and_exact():
    assert [number(v) for v in (0.001, 1e-05, 100.0, -2.5, 0.0, 1e20, 0.9995, 2.0 / 3)] == [
        "0.001", "1e-05", "100", "-2.5", "0", "1e20", "0.9995", "0.6666666666666666"]
    for ladder in (*controls.LADDERS.values(), controls.NOISE_CHOICES, controls.FACTOR_CHOICES,
                   controls.GAMMA_CHOICES):
        for value in ladder:
            assert float(number(value)) == value and len(number(value)) <= 7


def test_empty_and_foreign_links_give_the_defaults_quietly():
    assert decode({}, DEFAULTS) == (DEFAULTS, [])
    assert decode({"utm_source": "mastodon", "fbclid": "abc"}, DEFAULTS) == (DEFAULTS, [])


def test_absent_keys_mean_defaults():
    state, notices = decode({"n": "40"}, DEFAULTS)
    assert notices == [] and state == replace(DEFAULTS, config=replace(DEFAULTS.config, steps=40))
    # a surface without its start or parameters: that surface's own
    state, notices = decode({"s": "ravine", "o": "adam"}, DEFAULTS)
    assert notices == []
    assert state.config.surface_params == (("condition", 20.0), ("angle", 0.0)) and state.config.start is None
    assert state.config.optimizers == (OptimizerConfig("adam", label="Adam", hyperparams=tuple(
        (p.name, p.default) for p in HYPERPARAMETERS["adam"])),)


def test_decode_reads_the_hand_typed_spellings():
    state, notices = decode({"o": "Adam, SGD", "o1.beta1": "0.8", "o1.weight_decay": "0.01",
                             "o2.sch": "step:100:0.5 warmup:10"}, DEFAULTS)  # '+' arrives as a space
    assert notices == []
    adam, sgd = state.config.optimizers
    assert adam.value("beta1") == 0.8 and adam.value("weight_decay") == 0.01
    assert sgd.schedule == "step:100:0.5+warmup:10"


def test_notice_text_names_key_value_optimizer_and_reason():
    _, notices = decode({"o": "adam", "o1.lr": "-3"}, DEFAULTS)
    assert notices == [Notice("o1.lr", "-3", "lr must be in (0, 100]", "adam (optimizer 1)")]
    assert str(notices[0]) == "ignored lr=-3 for adam (optimizer 1): lr must be in (0, 100]"
    _, notices = decode({"n": "0"}, DEFAULTS)
    assert str(notices[0]) == "ignored n=0: steps must be a whole number in [1, 2000]"


# ------------------------------------------------------------------------------------- round trip

ladder_values = {name: st.sampled_from(values) for name, values in controls.LADDERS.items()}


@st.composite
def schedules(draw) -> str:
    kind = draw(st.sampled_from(KINDS))
    return schedule_text(kind, every=draw(st.integers(*SCHEDULE_EVERY)),
                         factor=draw(st.sampled_from(controls.FACTOR_CHOICES)),
                         gamma=draw(st.sampled_from(controls.GAMMA_CHOICES)),
                         period=draw(st.integers(*SCHEDULE_PERIOD)), warmup=draw(st.integers(*SCHEDULE_WARMUP)))


labels = st.one_of(st.just(""), st.from_regex(
    r"[A-Za-z0-9\u4e00-\u4e2f][A-Za-z0-9 ()+#=β\u4e00-\u4e2f-]{0,30}[A-Za-z0-9)]", fullmatch=True))


@st.composite
def optimizer_configs(draw) -> OptimizerConfig:
    name = draw(st.sampled_from(list(OPTIMIZERS)))
    hyper = tuple((p.name, draw(ladder_values[p.name])) for p in HYPERPARAMETERS[name]
                  if draw(st.booleans()))  # some given, the rest at their defaults
    return OptimizerConfig(
        name, label=draw(labels), hyperparams=hyper, convention=draw(st.sampled_from(SPECS[name].conventions)),
        bias_correction=draw(st.booleans()) if name in HAS_BIAS_CORRECTION else True,
        schedule=draw(schedules()), noise=draw(st.sampled_from(controls.NOISE_CHOICES)),
        seed=draw(st.integers(*SEEDS)))


EXPRESSIONS = ("x**2 + 3*sin(y) - 0.5*x*y", "(1 - x)^2 + 100*(y - x^2)^2", "x^2 + y^2",
               "sin(x)*cos(y) + 0.1*(x^2 + y^2)")


@st.composite
def app_states(draw) -> AppState:
    surface = draw(st.sampled_from([*SURFACES, CUSTOM]))
    expression = bounds = None
    if surface == CUSTOM:
        expression = draw(st.sampled_from(EXPRESSIONS))
        bounds = draw(st.none() | st.tuples(*[st.tuples(st.integers(-5, -1), st.integers(1, 5))] * 2).map(
            lambda b: tuple((float(lo), float(hi)) for lo, hi in b)))
    params = []
    for p in PARAMETERS.get(surface, ()):
        if p.log:
            params.append((p.name, draw(st.sampled_from(surface_ladder(p)))))
        else:  # the app's float slider moves in hundredths
            params.append((p.name, draw(st.integers(int(p.low * 100), int(p.high * 100))) / 100))
    box = bounds or ((-3.0, 3.0), (-3.0, 3.0)) if surface == CUSTOM else get_surface(surface).bounds
    start = draw(st.one_of(st.none(), st.tuples(
        *[st.floats(lo, hi).map(lambda v: round(v, 4)) for lo, hi in box])))
    return AppState(
        config=RaceConfig(surface=surface, surface_params=tuple(params), start=start, expression=expression,
                          bounds=bounds,
                          steps=draw(st.integers(*RACE_STEPS)),
                          optimizers=tuple(draw(st.lists(optimizer_configs(), min_size=1, max_size=MAX_OPTIMIZERS)))),
        view=draw(st.sampled_from(VIEWS)), lang=draw(st.sampled_from(list(LANGUAGES))),
        lesson=draw(st.one_of(st.none(), st.sampled_from(LESSONS))))


def test_views_cover_the_lessons_and_can_be_narrowed():
    assert LESSON_VIEWS is VIEWS and "sweep" in VIEWS  # one tuple (optviz.views)
    state, notices = decode({"v": "sweep"}, DEFAULTS, views=("race", "loss"))
    assert state.view == "race" and [n.key for n in notices] == ["v"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app_states(), st.sampled_from([DEFAULTS, BASE, AppState()]))
def test_round_trip(state, defaults):
    expected = canonical(state)
    assert decode(encode(state), defaults, LESSONS) == (expected, [])
    assert decode(via_url(encode(state)), defaults, LESSONS) == (expected, [])
    assert encode(expected) == encode(state)  # canonical changes nothing a link says
    validate(expected.config)


# ------------------------------------------------------------------------------- hostile values


def _opt(k: int, **changes):
    """BASE with optimizer k (1-based) changed."""
    def change(state: AppState) -> AppState:
        opts = list(state.config.optimizers)
        opts[k - 1] = replace(opts[k - 1], **changes)
        return replace(state, config=replace(state.config, optimizers=tuple(opts)))
    return change


def _hyper(k: int, name: str, value: float):
    def change(state: AppState) -> AppState:
        opt = state.config.optimizers[k - 1]
        return _opt(k, hyperparams=tuple((n, value if n == name else v) for n, v in opt.hyperparams))(state)
    return change


def _config(**changes):
    return lambda state: replace(state, config=replace(state.config, **changes))


def _state(**changes):
    return lambda state: replace(state, **changes)


def _same(state):
    return state


DEFAULT_ADAM_LR = 0.005  # what DEFAULTS' Adam runs with
HOSTILE = [
    # (overrides of BASE's query (None deletes), keys the notices name, how the state changes)
    ({"s": "bogus"}, ["s", "s.condition", "s.angle"], _config(surface="rosenbrock", surface_params=())),
    ({"s": "<script>alert(1)</script>"}, ["s", "s.condition", "s.angle"],
     _config(surface="rosenbrock", surface_params=())),
    ({"s.condition": "0"}, ["s.condition"], _config(surface_params=(("condition", 20.0), ("angle", 30.0)))),
    ({"s.condition": "nan"}, ["s.condition"], _config(surface_params=(("condition", 20.0), ("angle", 30.0)))),
    ({"s.angle": "1e999"}, ["s.angle"], _config(surface_params=(("condition", 100.0), ("angle", 0.0)))),
    ({"s.angle": ""}, ["s.angle"], _config(surface_params=(("condition", 100.0), ("angle", 0.0)))),
    ({"s.width": "1"}, ["s.width"], _same),
    ({"x0": "abc"}, ["x0"], _config(start=(RAVINE_START[0], 0.5))),
    ({"y0": "1e9"}, ["y0"], _config(start=(-2.5, RAVINE_START[1]))),
    ({"x0": None}, ["x0"], _config(start=(RAVINE_START[0], 0.5))),
    ({"x0": "1" * 300}, ["x0"], _config(start=(RAVINE_START[0], 0.5))),
    ({"n": "0"}, ["n"], _config(steps=500)),
    ({"n": "2001"}, ["n"], _config(steps=500)),
    ({"n": "12.5"}, ["n"], _config(steps=500)),
    ({"n": "-5"}, ["n"], _config(steps=500)),
    ({"n": "１２"}, ["n"], _config(steps=500)),  # full-width digits
    ({"n": "\u202e12"}, ["n"], _config(steps=500)),  # right-to-left override
    ({"v": "map"}, ["v"], _state(view="race")),
    ({"l": "fr"}, ["l"], _state(lang="en")),
    ({"ls": "../../etc/passwd"}, ["ls"], _state(lesson=None)),
    ({"ls": "not-a-lesson"}, ["ls"], _state(lesson=None)),
    ({"o": "adam~adam~sgd~rocket"}, ["o"], _same),
    ({"o1.lr": "-3"}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),
    ({"o1.lr": "inf"}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),
    ({"o1.lr": "1e-400"}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),  # underflows to 0
    ({"o1.lr": "0x10"}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),
    ({"o1.lr": "1_000"}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),
    ({"o1.lr": ["0.01", "0.02"]}, ["o1.lr"], _hyper(1, "lr", 0.02)),  # repeated: the last counts
    ({"o1.b1": "1"}, ["o1.b1"], _hyper(1, "beta1", 0.9)),
    ({"o2.bc": "maybe"}, ["o2.bc"], _opt(2, bias_correction=True)),
    ({"o3.c": "tensorflow"}, ["o3.c"], _opt(3, convention="pytorch")),
    ({"o3.sch": "step~0~0.5"}, ["o3.sch"], _opt(3, schedule="constant")),
    ({"o3.sch": "__import__('os').system('x')"}, ["o3.sch"], _opt(3, schedule="constant")),
    ({"o3.noise": "-0.1"}, ["o3.noise"], _opt(3, noise=0.0)),
    ({"o3.seed": "99999999999"}, ["o3.seed"], _opt(3, seed=0)),
    ({"o3.seed": "3.5"}, ["o3.seed"], _opt(3, seed=0)),
    ({"o3.b1": "0.9"}, ["o3.b1"], _same),  # SGD has no β1
    ({"o3.bc": "0"}, ["o3.bc"], _same),  # nor bias correction
    ({"o3.zz": "1"}, ["o3.zz"], _same),
    ({"o3.lb": "<img src=x onerror=alert(1)>"}, ["o3.lb"], _same),  # its natural label "SGD" stays
    ({"o1.lb": "A" * 41}, ["o1.lb"], _same),
    ({"o1.lb": "[x](https://evil.example)"}, ["o1.lb"], _same),  # no markdown links in badges
    ({"o7.lr": "0.1"}, ["o7.lr"], _same),
    ({"o1": "x"}, ["o1"], _same),
    ({"o1.lr": 3}, ["o1.lr"], _hyper(1, "lr", DEFAULT_ADAM_LR)),  # not text at all
    ({"s.condition": ["1", None]}, ["s.condition"],  # a list holding something that is not text
     _config(surface_params=(("condition", 20.0), ("angle", 30.0)))),
    ({"ls": "x" * 500}, ["ls"], _state(lesson=None)),
]


@pytest.mark.parametrize("overrides, keys, change", HOSTILE,
                         ids=[str(overrides)[1:30] for overrides, _, _ in HOSTILE])
def test_a_bad_value_falls_back_alone(overrides, keys, change):
    query: dict = dict(encode(BASE))
    for key, value in overrides.items():
        if value is None:
            del query[key]
        else:
            query[key] = value
    state, notices = decode(query, DEFAULTS, LESSONS)
    assert state == change(canonical(BASE))
    assert [n.key for n in notices] == keys
    first = notices[0]
    assert first.key in str(first) or first.key.split(".", 1)[-1] in str(first)
    value = overrides[keys[0]] if keys[0] in overrides else None
    if isinstance(value, str) and value and value.isprintable() and len(value) <= 40:
        assert first.value and first.value in value and first.value in str(first)  # shows what was ignored
    assert "\u202e" not in str(first)


def test_too_many_optimizers_are_cut_at_twelve():
    state, notices = decode({"o": "~".join(["sgd"] * 15), "o13.lr": "0.1"}, DEFAULTS)
    assert len(state.config.optimizers) == MAX_OPTIMIZERS
    assert [n.key for n in notices] == ["o", "o13.lr"]


def test_unknown_optimizers_only_fall_back_to_the_defaults():
    state, notices = decode({"o": "rocket~jet", "n": "30"}, DEFAULTS)
    assert state.config.optimizers == DEFAULTS.config.optimizers and state.config.steps == 30
    assert [n.value for n in notices] == ["rocket", "jet"]


def test_huge_links_are_cut_at_the_length_limit():
    query = {"n": "30", **{f"pad{i}": "y" * 150 for i in range(40)}, "v": "loss"}
    state, notices = decode(query, DEFAULTS)
    assert state.config.steps == 30 and state.view == "race"  # v came after the 4000-character budget
    assert [n.key for n in notices] == ["…"] and "4000" in str(notices[0])
    state, notices = decode({"o": "sgd~" * 60}, DEFAULTS)  # one value over 200 characters
    assert state == DEFAULTS and [n.key for n in notices] == ["o"] and "200" in str(notices[0])
    state, notices = decode({"n": "30", "o": "sgd~" * 3000}, DEFAULTS)  # over the whole budget alone
    assert state.config.steps == 30 and [n.key for n in notices] == ["…"]


def test_notices_stay_few():
    query = {"o": "sgd", **{f"o1.k{i}": "1" for i in range(100)}}
    _, notices = decode(query, DEFAULTS)
    assert len(notices) <= 21 and "more" in str(notices[-1])


CUSTOM_BASE = AppState(config=RaceConfig(
    surface=CUSTOM, expression="x**2 + 3*sin(y) - 0.5*x*y", bounds=((-3.0, 3.0), (-2.0, 2.5)), start=(-2.1, 2.1),
    steps=200, optimizers=(OptimizerConfig("adam", label="Adam").with_values(lr=0.05),)))
CUSTOM_HOSTILE = [
    ({"f": "__import__('os').system('ls')"}, ["f"], DEFAULTS.config),  # not ours to evaluate: whole block back
    ({"f": "x" * 301}, ["f"], DEFAULTS.config),
    ({"f": ""}, ["f"], DEFAULTS.config),
    ({"f": None}, ["f"], DEFAULTS.config),
    ({"f": "log(-1 - x^2 - y^2)"}, ["f"], DEFAULTS.config),  # nan everywhere
    ({"bx": "3~-3"}, ["bx"], ((-3.0, 3.0), (-2.0, 2.5))),  # that axis back to the default bounds
    ({"by": "-1e9~1"}, ["by"], ((-3.0, 3.0), (-3.0, 3.0))),
    ({"bx": "nan~1"}, ["bx"], ((-3.0, 3.0), (-2.0, 2.5))),
    ({"f": "log(x)", "bx": "-3~-1"}, ["bx"], ((-3.0, 3.0), (-2.0, 2.5))),  # f fine, not over these bounds
    ({"s.angle": "30"}, ["s.angle"], ((-3.0, 3.0), (-2.0, 2.5))),
]


@pytest.mark.parametrize("overrides, keys, expected", CUSTOM_HOSTILE, ids=[str(o)[:30] for o, _, _ in CUSTOM_HOSTILE])
def test_a_bad_typed_surface_falls_back(overrides, keys, expected):
    query: dict = dict(encode(CUSTOM_BASE))
    for key, value in overrides.items():
        if value is None:
            del query[key]
        else:
            query[key] = value
    state, notices = decode(query, DEFAULTS)
    assert [n.key for n in notices] == keys
    assert state.config.optimizers == canonical(CUSTOM_BASE).config.optimizers and state.config.steps == 200
    assert state.config.start == (-2.1, 2.1)  # a start is its own value: kept
    if isinstance(expected, RaceConfig):  # the defaults' surface and parameters
        assert (state.config.surface, state.config.surface_params, state.config.expression, state.config.bounds) == (
            expected.surface, expected.surface_params, None, None)
    else:
        assert state.config.surface == CUSTOM and state.config.bounds == expected
        assert state.config.expression == overrides.get("f", CUSTOM_BASE.config.expression)


def test_a_typed_surface_round_trips_through_the_address_bar():
    query = encode(CUSTOM_BASE)
    assert query["f"] == "x**2 + 3*sin(y) - 0.5*x*y" and query["bx"] == "-3~3" and query["by"] == "-2~2.5"
    url = "https://optviz.example/?" + urlencode(query) + "#top"
    assert from_link(url, DEFAULTS) == (canonical(CUSTOM_BASE), [])
    assert from_link(urlencode(query), DEFAULTS) == (canonical(CUSTOM_BASE), [])


def test_every_name_in_all_exists():
    # ``from optviz.share import *`` raises AttributeError for a name __all__ lists but the module lacks
    assert [name for name in share.__all__ if not hasattr(share, name)] == []


# ---------------------------------------------------------------------------------- never raises

OUR_KEYS = ["s", "f", "bx", "by", "s.condition", "s.angle", "s.width", "x0", "y0", "n", "v", "l", "ls", "o", "o1.lr",
            "o1.b1", "o2.sch", "o1.seed", "o1.lb", "o1.bc", "o3.noise", "o1.c", "o99.lr"]
texts = st.text(max_size=60) | st.sampled_from([
    "nan", "inf", "-inf", "1e999", "-0", "0", "1", "adam~sgd", "ravine", "custom", "x^2", "-1~1", "log(x)", "1/0", "zh",
    "step~1~1", "", " ", "😀", "\x00", "9" * 400])
values = texts | st.lists(texts, max_size=4) | st.none() | st.integers() | st.floats() | st.binary(max_size=8)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(OUR_KEYS) | st.text(max_size=12), values, max_size=12),
       st.sampled_from([DEFAULTS, BASE]))
def test_decode_never_raises(params, defaults):
    state, notices = decode(params, defaults, LESSONS)
    validate(state.config)
    assert state.view in VIEWS and state.lang in LANGUAGES and RACE_STEPS[0] <= state.config.steps <= RACE_STEPS[1]
    assert len(state.config.optimizers) <= MAX_OPTIMIZERS
    for notice in notices:
        assert isinstance(notice, Notice) and str(notice).isprintable()


@pytest.mark.parametrize("params", [None, 42, "s=ravine", ["s", "ravine"], {1: "x"}, {"o": object()}])
def test_decode_survives_things_that_are_not_links(params):
    state, notices = decode(params, DEFAULTS)
    assert state == DEFAULTS


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSON_LIST])
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_lesson_round_trips(lesson_id, lang):
    lesson = get_lesson(lesson_id)
    state = AppState(lesson.race_config(lang), view=lesson.view, lang=lang, lesson=lesson.id)
    assert decode(via_url(encode(state)), DEFAULTS, [x.id for x in LESSON_LIST]) == (canonical(state), [])
