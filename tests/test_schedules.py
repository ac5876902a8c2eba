"""Learning-rate schedules: multipliers by hand, the builders' and ``parse``'s checks, and the
rate sequences torch's and Keras's schedulers produced (stored by ``tests/reference/``),
including which torch scheduler chain each schedule is exactly (``torch_chain``) and how the
near misses differ (the ``not_equal`` rates).

``schedule(k)`` is the multiplier of the (k+1)-th update: k = 0 is the first one.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from helpers import schedule_from_spec, torch_reference
from optviz import schedules
from optviz.optimizers.base import learning_rate
from optviz.schedules import Constant, Cosine, Exponential, StepDecay, Warmup, parse, schedule_fields, schedule_text

REFERENCE = Path(__file__).parent / "reference"
TORCH = torch_reference()
KERAS = json.loads((REFERENCE / "keras_trajectories.json").read_text())


def values(schedule, n):
    return [schedule(k) for k in range(n)]


# ---------------------------------------------------------------------------------------------
# Multipliers by hand.

def test_constant():
    assert values(schedules.constant(), 3) == [1.0, 1.0, 1.0]
    assert schedules.constant()(10**6) == 1.0


def test_step_decay():
    # every 3 updates halve: k // 3 = 0,0,0,1,1,1,2,2,2,3
    assert values(schedules.step_decay(3, 0.5), 10) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    # every update ×0.1: 1, 0.1, 0.01, 0.001
    np.testing.assert_allclose(values(schedules.step_decay(1, 0.1), 4), [1, 0.1, 0.01, 0.001], rtol=1e-15)
    # factor 1 never decays
    assert values(schedules.step_decay(2, 1.0), 5) == [1.0] * 5


def test_exponential():
    assert values(schedules.exponential(0.5), 5) == [1, 0.5, 0.25, 0.125, 0.0625]
    np.testing.assert_allclose(values(schedules.exponential(0.9), 4), [1, 0.9, 0.81, 0.729], rtol=1e-15)
    assert values(schedules.exponential(1.0), 3) == [1.0, 1.0, 1.0]


def test_cosine_endpoints_midpoint_and_floor():
    s = schedules.cosine(10, 0.2)
    assert s(0) == 1.0  # cos 0 = 1 → floor + (1 - floor)·1
    np.testing.assert_allclose(s(5), (1 + 0.2) / 2, rtol=1e-15)  # cos(π/2) = 0 → the midpoint
    np.testing.assert_allclose(s(10), 0.2, rtol=1e-15, atol=1e-16)  # cos π = -1 → the floor
    # after the period it stays at the floor (torch's CosineAnnealingLR would climb back up)
    assert s(11) == s(10) and s(1000) == s(10)


def test_cosine_in_between():
    # T = 6, floor 0: k = 2 → (1 + cos(π/3))/2 = 0.75; k = 3 → 0.5; k = 4 → (1 + cos(2π/3))/2 = 0.25
    np.testing.assert_allclose(values(schedules.cosine(6), 7), [1, (1 + math.sqrt(3) / 2) / 2, 0.75, 0.5, 0.25,
                                                               (1 - math.sqrt(3) / 2) / 2, 0], rtol=1e-14, atol=1e-16)
    # T = 4, floor 0.5: k = 1 → 0.5 + 0.5·(1 + √2/2)/2 = 0.75 + √2/8
    np.testing.assert_allclose(schedules.cosine(4, 0.5)(1), 0.75 + math.sqrt(2) / 8, rtol=1e-15)
    # floor 1 is a constant
    assert values(schedules.cosine(4, 1.0), 6) == [1.0] * 6


def test_cosine_is_monotone_and_bounded():
    s = schedules.cosine(37, 0.05)
    m = np.array(values(s, 60))
    assert np.all(np.diff(m) <= 0) and m.min() >= 0.05 - 1e-15 and m.max() == 1.0


def test_warmup_ramp():
    # (k+1)/W for k < W, then the wrapped schedule
    assert values(schedules.warmup(4), 6) == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    # the ramp multiplies the wrapped schedule, which keeps counting from k = 0:
    # k = 0,1,2: (k+1)/4 · 1; k = 3: 1 · 0.5 (3 // 3 = 1); k = 6: 0.25
    assert values(schedules.warmup(4, schedules.step_decay(3, 0.5)), 7) == [0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.25]
    # W = 2 over exponential(0.5): 1/2·1, 2/2·0.5, 0.25, 0.125
    assert values(schedules.warmup(2, schedules.exponential(0.5)), 4) == [0.5, 0.5, 0.25, 0.125]
    # W = 1 is no warm-up at all
    assert values(schedules.warmup(1, schedules.exponential(0.5)), 3) == [1, 0.5, 0.25]


def test_learning_rate_of_the_t_th_update_uses_k_equal_t_minus_one():
    rate = learning_rate(0.1, schedules.exponential(0.5))
    assert [rate.at(t) for t in (1, 2, 3)] == [0.1, 0.05, 0.025]
    assert learning_rate(0.1, None).at(7) == 0.1
    np.testing.assert_array_equal(learning_rate(np.array([0.1, 0.4]), schedules.step_decay(1, 0.5)).at(2),
                                  [[0.05], [0.2]])  # (runs, 1) so it broadcasts over (runs, 2)


# ---------------------------------------------------------------------------------------------
# Builders reject what makes no sense, naming it.

@pytest.mark.parametrize("build,args,words", [
    (schedules.step_decay, (0, 0.5), "interval"), (schedules.step_decay, (2.5, 0.5), "interval"),
    (schedules.step_decay, (-3, 0.5), "interval"), (schedules.step_decay, (float("inf"), 0.5), "interval"),
    (schedules.step_decay, (float("nan"), 0.5), "interval"),
    (schedules.step_decay, (3, 0.0), "factor"), (schedules.step_decay, (3, 1.5), "factor"),
    (schedules.step_decay, (3, -0.5), "factor"), (schedules.step_decay, (3, float("nan")), "factor"),
    (schedules.exponential, (0.0,), "gamma"), (schedules.exponential, (1.01,), "gamma"),
    (schedules.exponential, (-0.5,), "gamma"),
    (schedules.cosine, (0,), "period"), (schedules.cosine, (3.5,), "period"),
    (schedules.cosine, (10, -0.1), "floor"), (schedules.cosine, (10, 1.1), "floor"),
    (schedules.warmup, (0,), "warm-up"), (schedules.warmup, (1.5,), "warm-up"),
    (schedules.warmup, (3, schedules.warmup(2)), "warm-up"),
])
def test_builders_reject_bad_values(build, args, words):
    with pytest.raises(ValueError, match=words):
        build(*args)


def test_builders_accept_whole_floats():
    s = schedules.step_decay(3.0, 0.5)
    assert s == StepDecay(3, 0.5) and isinstance(s.every, int)
    assert schedules.cosine(10.0) == Cosine(10, 0.0)
    assert schedules.warmup(2.0) == Warmup(2, Constant())


# ---------------------------------------------------------------------------------------------
# parse.

@pytest.mark.parametrize("text,expected", [
    ("constant", Constant()),
    ("step:100:0.5", StepDecay(100, 0.5)),
    ("step:1e2:0.5", StepDecay(100, 0.5)),
    ("exp:0.99", Exponential(0.99)),
    ("cosine:50", Cosine(50, 0.0)),
    ("cosine:50:0.1", Cosine(50, 0.1)),
    ("step:100:0.5+warmup:10", Warmup(10, StepDecay(100, 0.5))),
    ("constant+warmup:3", Warmup(3, Constant())),
    ("  COSINE:50:0.1+WARMUP:5 ", Warmup(5, Cosine(50, 0.1))),
])
def test_parse_good(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text,words", [
    ("", "unknown schedule"),
    ("linear:3", "unknown schedule.*cosine"),  # names the choices
    ("step:10", "argument"),
    ("step:10:0.5:2", "argument"),
    ("cosine", "argument"),
    ("cosine:10:0.1:3", "argument"),
    ("constant:1", "argument"),
    ("exp:abc", "non-numeric"),
    ("step:ten:0.5", "non-numeric"),
    ("exp:1.5", "gamma"),
    ("exp:0", "gamma"),
    ("step:0:0.5", "interval"),
    ("step:10:0", "factor"),
    ("step:inf:0.5", "interval"),
    ("cosine:10:2", "floor"),
    ("cosine:-5", "period"),
    ("exp:0.5+cooldown:3", "suffix"),
    ("exp:0.5+warmup", "warmup"),
    ("exp:0.5+warmup:0", "warm-up"),
    ("exp:0.5+warmup:2.5", "warm-up"),
])
def test_parse_bad(text, words):
    with pytest.raises(ValueError, match=words):
        parse(text)


@pytest.mark.parametrize("text", ["exp:0.5+warmup:abc", "exp:0.5+warmup:3:4"])
def test_parse_bad_warmup_length_names_the_warmup(text):
    with pytest.raises(ValueError, match="warm"):
        parse(text)


def test_parse_tolerates_spaces_around_parts():
    assert parse(" exp : 0.5 + warmup : 3 ") == schedules.warmup(3, schedules.exponential(0.5))


# ---------------------------------------------------------------------------------------------
# The rates torch's and Keras's schedulers used, step by step (recorded by tests/reference/).

TORCH_SCHEDULED = [c for c in TORCH["cases"] if c["torch_scheduler"]]
KERAS_SCHEDULED = [c for c in KERAS["cases"] if c["keras_schedule"]]
# The cases that pin down each schedule's torch chain carry the schedule as parse() reads it.
TORCH_CHAINS = [c for c in TORCH_SCHEDULED if "schedule_text" in c]
TORCH_NOT_EQUAL = TORCH["not_equal"]


def torch_chain(schedule, lr, steps):
    """The torch scheduler, in make_torch_reference.py's spelling, that ``schedule`` equals.

    This is the claim optviz/schedules.py's docstrings make; the trajectory tests check it. The
    one exception: a warm-up of W ≥ 3 over a cosine with a floor above 0, which this chain misses
    by ``warmup_cosine_excess``.
    """
    def part(s):
        if isinstance(s, StepDecay):
            return ["StepLR", {"step_size": s.every, "gamma": s.factor}]
        if isinstance(s, Exponential):
            return ["ExponentialLR", {"gamma": s.gamma}]
        if isinstance(s, Cosine):  # CosineAnnealingLR, then held at the floor (torch's would climb back)
            return ["SequentialLR", {"schedulers": [["CosineAnnealingLR", {"T_max": s.period, "eta_min": s.floor * lr}],
                                                    ["ConstantLR", {"factor": s.floor, "total_iters": steps}]],
                                     "milestones": [s.period]}]
        assert isinstance(s, Constant)
        return None

    if not isinstance(schedule, Warmup):
        return {"class": "ChainedScheduler", "kwargs": {"schedulers": [part(schedule)]}}
    w = schedule.steps
    parts = [["LinearLR", {"start_factor": 1 / w, "end_factor": 1.0, "total_iters": w - 1}]]
    then = part(schedule.then)
    if then is None:
        return {"class": "ChainedScheduler", "kwargs": {"schedulers": parts}}
    chain = {"class": "ChainedScheduler", "kwargs": {"schedulers": parts + [then]}}
    if then[0] == "SequentialLR":  # SequentialLR resets the lr when built: build it before the LinearLR
        chain["build_order"] = [1, 0]
    return chain


def test_torch_schedulers_recorded():
    classes = {c["torch_scheduler"]["class"] for c in TORCH_SCHEDULED}
    assert classes == {"StepLR", "ExponentialLR", "CosineAnnealingLR", "ChainedScheduler"}
    for case in TORCH_SCHEDULED:
        if case["torch_scheduler"]["class"] == "CosineAnnealingLR":
            # torch's cosine turns back up after T_max: alone it is only compared up to T_max
            assert case["torch_scheduler"]["kwargs"]["T_max"] >= case["steps"]


def test_torch_chain_cases_cover_every_schedule():
    """Past the cosine period, and a warm-up over every base schedule with W = 1, 2 and more."""
    built = [schedule_from_spec(c["schedule"]) for c in TORCH_CHAINS]
    cosines = [s.then if isinstance(s, Warmup) else s for s in built]
    cosines = [s for s in cosines if isinstance(s, Cosine)]
    # a period and a half past T, with a floor of 0 and above, bare and under a warm-up
    assert {(s.floor > 0) for s in cosines} == {False, True}
    assert all(2 * s.period < TORCH_CHAINS[0]["steps"] for s in cosines)
    warm = [s for s in built if isinstance(s, Warmup)]
    assert {type(s.then) for s in warm} == {Constant, StepDecay, Exponential, Cosine}
    assert {1, 2} < {s.steps for s in warm} and any(s.steps > s.then.period for s in warm if isinstance(s.then, Cosine))
    assert any(isinstance(s.then, StepDecay) and s.steps > s.then.every for s in warm)  # decay inside the ramp
    assert {c["optimizer"] for c in TORCH_CHAINS} == {"sgd", "momentum", "adam", "rmsprop", "adagrad"}
    assert {c["surface"] for c in TORCH_CHAINS} == {"quadratic", "rosenbrock"}


@pytest.mark.parametrize("case", TORCH_CHAINS, ids=[c["id"] for c in TORCH_CHAINS])
def test_torch_chain_is_the_documented_one(case):
    # parse reads the text as the spec, and torch ran exactly the chain the docstrings name
    schedule = parse(case["schedule_text"])
    assert schedule == schedule_from_spec(case["schedule"])
    assert case["torch_scheduler"] == torch_chain(schedule, case["torch_kwargs"]["lr"], case["steps"])


@pytest.mark.parametrize("case", TORCH_SCHEDULED, ids=[c["id"] for c in TORCH_SCHEDULED])
def test_torch_scheduler_rates(case):
    lr, lrs = case["torch_kwargs"]["lr"], np.array(case["lrs"])
    schedule = schedule_from_spec(case["schedule"])
    rate = learning_rate(lr, schedule)
    np.testing.assert_allclose([rate.at(t) for t in range(1, case["steps"] + 1)], lrs, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(np.array(values(schedule, case["steps"])) * lr, lrs, rtol=1e-12, atol=1e-18)


def test_torch_chained_warmup_by_hand():
    # LinearLR(start 1/5, total_iters 4) chained with ExponentialLR(0.95): lr·(k+1)/5·0.95^k, then lr·0.95^k
    case = next(c for c in TORCH_SCHEDULED if c["torch_scheduler"]["class"] == "ChainedScheduler"
                and c["schedule"] == {"kind": "warmup", "steps": 5, "then": {"kind": "exponential", "gamma": 0.95}})
    lr = case["torch_kwargs"]["lr"]
    expected = [lr * min(k + 1, 5) / 5 * 0.95**k for k in range(case["steps"])]
    np.testing.assert_allclose(case["lrs"], expected, rtol=1e-12)


def test_torch_cosine_held_at_the_floor_by_hand():
    # SequentialLR([CosineAnnealingLR, ConstantLR(FLOOR)], milestones=[T]): from update T on, lr·FLOOR exactly
    checked = 0
    for case in TORCH_CHAINS:
        s = schedule_from_spec(case["schedule"])
        cos = s.then if isinstance(s, Warmup) else s
        # (under a warm-up longer than T + 1 only a floor of 0 is the same flat line)
        if isinstance(cos, Cosine) and (cos.floor == 0 or not isinstance(s, Warmup) or s.steps <= cos.period + 1):
            lr = case["torch_kwargs"]["lr"]
            assert case["lrs"][cos.period:] == [lr * cos.floor] * (case["steps"] - cos.period), case["id"]
            checked += 1
    assert checked == 11


def test_torch_warmup_of_one_is_no_warmup():
    # LinearLR(1, 1, total_iters=0) never changes the lr: exp:0.95+warmup:1 is ExponentialLR(0.95) alone
    case = next(c for c in TORCH_CHAINS if c["schedule_text"] == "exp:0.95+warmup:1")
    lr = case["torch_kwargs"]["lr"]
    np.testing.assert_allclose(case["lrs"], [lr * 0.95**k for k in range(case["steps"])], rtol=1e-12)
    assert parse("exp:0.95+warmup:1")(0) == 1.0


# ---------------------------------------------------------------------------------------------
# Torch chains that are NOT an OptViz schedule (make_torch_reference.py's NOT_EQUAL): how they differ.

def _not_equal(text, torch_class):
    case = next(c for c in TORCH_NOT_EQUAL
                if c["schedule_text"] == text and c["torch_scheduler"]["class"] == torch_class)
    schedule = parse(text)
    assert schedule == schedule_from_spec(case["schedule"])
    return case, schedule, np.array(case["lrs"]), np.array(values(schedule, case["steps"])) * case["lr"]


def test_torch_cosine_annealing_alone_climbs_back_after_t_max():
    # CosineAnnealingLR is periodic: floor + (1 - floor)(1 + cos(πk/T))/2 for every k, back at lr when k = 2T.
    # cosine:T:FLOOR is the same up to k = T and then stays at the floor.
    case, schedule, torch_lrs, optviz = _not_equal("cosine:20:0.1", "CosineAnnealingLR")
    lr, t, floor = case["lr"], schedule.period, schedule.floor
    periodic = [lr * (floor + (1 - floor) * (1 + math.cos(math.pi * k / t)) / 2) for k in range(case["steps"])]
    np.testing.assert_allclose(torch_lrs, periodic, rtol=1e-12)
    np.testing.assert_allclose(torch_lrs[:t + 1], optviz[:t + 1], rtol=1e-12)
    np.testing.assert_allclose(torch_lrs[2 * t], lr, rtol=1e-12)
    assert np.all(optviz[t:] == optviz[t]) and np.all(torch_lrs[t + 1:] > optviz[t + 1:])


def warmup_cosine_excess(lr, period, floor, w, k):
    """torch's rate minus OptViz's for cosine:T:FLOOR+warmup:W run as ChainedScheduler([LinearLR(1/W, 1, W-1),
    SequentialLR([CosineAnnealingLR(T, FLOOR·lr), ConstantLR(FLOOR)], [T])]), LinearLR stepped first, T ≥ W - 1.

    CosineAnnealingLR steps lr ↦ η + (lr - η)·c_k/c_{k-1} (η = FLOOR·lr, c_k = 1 + cos(πk/T)), so the floor
    it adds back is never ramped: with a_k = min(k+1, W)/W and m = min(k, W-1), for k ≤ T,
        excess_k = FLOOR·lr·[(1 - a_k)(1 - c_k/2) + a_k·c_k·Σ_{j=1..m} W/(j(j+1))·(1/c_{j-1} - 1/2)]
    ≥ 0, zero for W ≤ 2, FLOOR = 0 or k ≥ T (where ConstantLR sets lr·FLOOR).
    """
    if k >= period:
        return 0.0
    c = lambda j: 1 + math.cos(math.pi * j / period)  # noqa: E731
    a = min(k + 1, w) / w
    tail = sum(w / (j * (j + 1)) * (1 / c(j - 1) - 0.5) for j in range(1, min(k, w - 1) + 1))
    return floor * lr * ((1 - a) * (1 - c(k) / 2) + a * c(k) * tail)


@pytest.mark.parametrize("text", ["cosine:20:0.1+warmup:5", "cosine:20:0.5+warmup:10"])
def test_torch_warmup_over_a_floored_cosine_differs_exactly_so(text):
    case, schedule, torch_lrs, optviz = _not_equal(text, "ChainedScheduler")
    assert case["torch_scheduler"] == torch_chain(schedule, case["lr"], case["steps"])  # the W = 2 chain
    lr, w, cos = case["lr"], schedule.steps, schedule.then
    excess = [warmup_cosine_excess(lr, cos.period, cos.floor, w, k) for k in range(case["steps"])]
    np.testing.assert_allclose(torch_lrs - optviz, excess, rtol=0, atol=1e-12 * lr)
    assert max(excess) > 1e-3 * lr and min(excess) >= 0  # really different, and torch's lr never the lower
    # the same formula says W = 2 is exact, as the trajectory cases cosine:20:0.1+warmup:2 show
    assert max(abs(warmup_cosine_excess(lr, cos.period, cos.floor, 2, k)) for k in range(50)) < 1e-16


@pytest.mark.parametrize("case", KERAS_SCHEDULED, ids=[c["id"] for c in KERAS_SCHEDULED])
def test_keras_schedule_rates(case):
    lr, lrs = case["keras_kwargs"]["learning_rate"], np.array(case["lrs"])
    # Keras's CosineDecay runs in float32 whatever floatx is (see make_keras_reference.py)
    rtol = 1e-12 if case["lr_dtype"] == "float64" else 1e-6
    expected = np.array(values(schedule_from_spec(case["schedule"]), case["steps"])) * lr
    np.testing.assert_allclose(lrs, expected, rtol=rtol, atol=1e-18)


# ---------------------------------------------------------------------------------------------
# To and from the app's controls: a kind and its numbers <-> the text.

@pytest.mark.parametrize("text, fields", [
    ("constant", {"kind": "constant", "warmup": 0}),
    ("step:100:0.7", {"kind": "step", "every": 100, "factor": 0.7, "warmup": 0}),
    ("exp:0.99+warmup:10", {"kind": "exp", "gamma": 0.99, "warmup": 10}),
    ("cosine:500", {"kind": "cosine", "period": 500, "warmup": 0}),
    ("cosine:300:0.1+warmup:5", {"kind": "cosine", "period": 300, "floor": 0.1, "warmup": 5}),
    ("constant+warmup:20", {"kind": "constant", "warmup": 20}),
])
def test_schedule_fields_and_schedule_text_are_inverse(text, fields):
    assert schedule_fields(text) == fields
    assert schedule_text(**fields) == text


def test_schedule_text_reads_only_its_kinds_numbers():
    assert schedule_text("exp", every=7, factor=0.1, gamma=0.9, period=3) == "exp:0.9"
    assert schedule_text("step") == "step:100:0.5"  # the controls' defaults
    assert schedule_fields(" STEP : 100 : 0.5 ") == schedule_fields("step:100:0.5")  # parse's spelling
    with pytest.raises(ValueError, match="unknown schedule kind 'linear'"):
        schedule_text("linear")
