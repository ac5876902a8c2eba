"""Schedule-Free SGD and AdamW: Meta's schedulefree package reproduced point for point (y, x and z), steps by hand,
and the invariants that make the method what it is (x is the weighted average of the z's; y lies between them).

The reference data is ``tests/reference/thirdparty/schedulefree_sgd.json`` and ``schedulefree_adamw.json``, made by
``tests/reference/make_schedulefree_reference.py`` with schedulefree 1.4.1 in float64. That the specs are complete and
their explanations redo their steps is ``tests/test_registry.py``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import assert_batch_equals_runs, check_thirdparty_meta, schedule_from_spec, thirdparty_reference
from optviz import schedules
from optviz.optimizers import make_optimizer
from optviz.optimizers.schedulefree_adamw import schedulefree_adamw
from optviz.optimizers.schedulefree_sgd import schedulefree_sgd
from optviz.share import AppState, encode, from_link
from optviz.simulate import simulate
from surfaces import get_surface

NAMES = ("schedulefree_sgd", "schedulefree_adamw")
REFERENCES = {name: thirdparty_reference(name) for name in NAMES}
CASES = [case for name in NAMES for case in REFERENCES[name]["cases"]]
QUADRATIC = get_surface("quadratic")  # x² + y²: g = 2θ
THETA0 = np.array([1.0, -2.0])  # g0 = (2, −4)


def run(optimizer, start=THETA0, steps=1, surface=QUADRATIC):
    return simulate(surface, optimizer, list(start), steps, tol=0, record_internals=True)


def replay(case):
    optimizer = make_optimizer(case["optimizer"], schedule=schedule_from_spec(case["schedule"]),
                               **case["optviz_kwargs"])
    traj = run(optimizer, case["start"], case["steps"], get_surface(case["surface"]))
    assert list(traj.status) == ["running"], "a reference run must not be frozen by OptViz"
    return traj


# ------------------------------------------------------------------------------------ the reference

@pytest.mark.parametrize("name", NAMES)
def test_the_reference_is_what_it_claims(name):
    check_thirdparty_meta(REFERENCES[name], "schedulefree", "1.4.1")
    cases = REFERENCES[name]["cases"]
    assert {c["kwargs"]["foreach"] for c in cases} == {False}
    # the package's defaults are among the cases: no warm-up, r = 0, weight_lr_power = 2
    assert any(c["kwargs"]["warmup_steps"] == 0 and c["kwargs"]["r"] == 0.0 and c["kwargs"]["weight_lr_power"] == 2.0
               for c in cases)
    for c in cases:  # a warm-up of W steps is replayed as OptViz's constant+warmup:W
        warmup = c["kwargs"]["warmup_steps"]
        assert c["schedule"] == ({"kind": "warmup", "steps": warmup, "then": None} if warmup else None)
        assert len(c["internals"]["x_average"]) == len(c["internals"]["z_sequence"]) == c["steps"]
    assert any(c["kwargs"]["warmup_steps"] > 0 for c in cases) and any(c["kwargs"]["r"] > 0 for c in cases)


# As for the other third-party references (tests/test_lion.py): both sides do the same float64 operations up to
# their grouping (the package updates y in place as (1 − c) y + c z + η(β(1 − c) − 1) d, OptViz forms y from z and
# x; its x is lerp(y, z, 1 − 1/β) of the recorded y and z), a few ulps per step; the generator refused any run
# that turns a 1e-15 nudge of its start into more than 1e-11, so 50 steps stay far inside rtol 1e-9 (measured:
# 1.2e-12 at worst). atol 1e-12: where x or y passes within 1e-12 of 0 (x crosses 0 at 1e-17 in "beta_r"), its
# digits are the rounding of a cancellation of O(1) numbers, not a property of the method.
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_schedulefree(case):
    traj = replay(case)
    np.testing.assert_allclose(traj.positions[:, 0], case["positions"], rtol=1e-9, atol=1e-12)
    for key in ("x_average", "z_sequence"):
        np.testing.assert_allclose(traj.internals[key][1:, 0], case["internals"][key], rtol=1e-9, atol=1e-12,
                                   err_msg=key)
    # the weights are the same products and sums of powers of the same η on both sides: to a few ulps
    for key in ("weight_sum", "lr_max"):
        recorded = traj.internals[key][1:, 0]
        np.testing.assert_array_equal(recorded[:, 0], recorded[:, 1])
        np.testing.assert_allclose(recorded[:, 0], case["internals"][key], rtol=1e-13, err_msg=key)


# ------------------------------------------------------------------------------------ by hand

def test_sgd_first_two_steps_by_hand():
    # η = 0.1, β = 0.9, θ0 = (1, −2), g0 = (2, −4). t = 1: w1 = η², W1 = η², c1 = 1.
    #   z1 = θ0 − η g0 = (0.8, −1.6); x1 = z1; y1 = 0.1 z1 + 0.9 x1 = (0.8, −1.6)
    # t = 2: g1 = 2 y1 = (1.6, −3.2), c2 = 1/2. z2 = z1 − η g1 = (0.64, −1.28);
    #   x2 = (z1 + z2)/2 = (0.72, −1.44); y2 = 0.1 z2 + 0.9 x2 = (0.712, −1.424)
    traj = run(schedulefree_sgd(lr=0.1), steps=2)
    # the decimals above are not exact in binary: each value is a few roundings away from them, so 1e-14
    # (c and W: one division or addition of exact-ish numbers, 1e-15)
    np.testing.assert_allclose(traj.positions[1:, 0], [[0.8, -1.6], [0.712, -1.424]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["z_sequence"][1:, 0], [[0.8, -1.6], [0.64, -1.28]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["x_average"][1:, 0], [[0.8, -1.6], [0.72, -1.44]], rtol=1e-14)
    np.testing.assert_allclose(traj.internals["averaging_weight"][1:, 0, 0], [1.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(traj.internals["weight_sum"][1:, 0, 0], [0.01, 0.02], rtol=1e-15)


def test_sgd_weight_decay_is_l2_at_y():
    # λ = 0.5: g̃0 = g0 + λθ0 = (2.5, −5), so y1 = z1 = θ0 − 0.1 g̃0 = (0.75, −1.5); a few roundings: 1e-14
    np.testing.assert_allclose(run(schedulefree_sgd(lr=0.1, weight_decay=0.5)).positions[1, 0], [0.75, -1.5],
                               rtol=1e-14)


def test_adamw_first_two_steps_by_hand():
    # ε = 0, η = 0.1, β1 = 0.9, β2 = 0.999. t = 1: v1 = (1−β2) g0², √(v1/(1−β2)) = |g0|, d1 = sign(g0) = (1, −1);
    #   c1 = 1: y1 = x1 = z1 = θ0 − η d1 = (0.9, −1.9)
    # t = 2: g1 = (1.8, −3.8); v2 = β2 v1 + (1−β2) g1², d2 = g1 / √(v2/(1−β2²)); c2 = 1/2;
    #   z2 = z1 − η d2, x2 = (z1 + z2)/2, y2 = 0.1 z2 + 0.9 x2
    traj = run(schedulefree_adamw(lr=0.1, eps=0.0), steps=2)
    z1 = np.array([0.9, -1.9])
    # g/√(g²) is ±1 to an ulp, then one product and one difference: 1e-15
    np.testing.assert_allclose(traj.positions[1, 0], z1, rtol=1e-15)
    g0, g1 = 2 * THETA0, 2 * z1
    v2 = 0.999 * 0.001 * g0**2 + 0.001 * g1**2
    z2 = z1 - 0.1 * g1 / np.sqrt(v2 / (1 - 0.999**2))
    x2 = (z1 + z2) / 2
    # a dozen operations, each exact to an ulp: 1e-14
    np.testing.assert_allclose(traj.internals["z_sequence"][2, 0], z2, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["x_average"][2, 0], x2, rtol=1e-14)
    np.testing.assert_allclose(traj.positions[2, 0], 0.1 * z2 + 0.9 * x2, rtol=1e-14)
    np.testing.assert_allclose(traj.internals["second_moment"][2, 0], v2, rtol=1e-14)


def test_adamw_weight_decay_is_added_after_the_division():
    # ε = 0, λ = 0.5: d1 = sign(g0) + λθ0 = (1.5, −2); y1 = θ0 − 0.1 d1 = (0.85, −1.8); a few roundings: 1e-15
    got = run(schedulefree_adamw(lr=0.1, eps=0.0, weight_decay=0.5)).positions[1, 0]
    np.testing.assert_allclose(got, [0.85, -1.8], rtol=1e-15)


def test_the_warmup_weights_by_hand():
    # warm-up over 4 updates: η_t = η t/4 for t ≤ 4, so η_max,t = η_t and w_t = (η t/4)², then w = η²;
    # r = 1 multiplies w_t by t. c_t = w_t / (w_1 + … + w_t).
    eta, warm = 0.1, schedules.warmup(4, schedules.constant())
    traj = run(schedulefree_sgd(lr=eta, weight_step_power=1.0), steps=6)
    steps = np.arange(1, 7)
    weights = steps * (eta * np.minimum(steps, 4) / 4) ** 2
    # the same few products and a running sum, computed in another order: 1e-14 (η_max: one product, 1e-15)
    warmed = run(make_optimizer("schedulefree_sgd", lr=eta, weight_step_power=1.0, schedule=warm), steps=6)
    np.testing.assert_allclose(warmed.internals["averaging_weight"][1:, 0, 0], weights / np.cumsum(weights), rtol=1e-14)
    np.testing.assert_allclose(warmed.internals["lr_max"][1:, 0, 0], eta * np.minimum(steps, 4) / 4, rtol=1e-15)
    # without the warm-up: w_t = t η², c_t = t / (t(t+1)/2) = 2/(t+1)
    np.testing.assert_allclose(traj.internals["averaging_weight"][1:, 0, 0], 2 / (steps + 1), rtol=1e-14)


# ------------------------------------------------------------------------------------ invariants

def _averaging_weights(traj, r: float, p: float) -> np.ndarray:
    """w_t = t^r η_max,t^p from the recorded η_max: (steps,)."""
    steps = np.arange(1, traj.steps + 1)
    return steps**r * traj.internals["lr_max"][1:, 0, 0] ** p


@pytest.mark.parametrize("name,settings,schedule", [
    ("schedulefree_sgd", dict(lr=0.002), None),
    ("schedulefree_sgd", dict(lr=0.002, beta=0.5, weight_step_power=2.0), "constant+warmup:10"),
    ("schedulefree_adamw", dict(lr=0.05), None),
    ("schedulefree_adamw", dict(lr=0.05, weight_step_power=1.0, weight_lr_power=1.0), "exp:0.97+warmup:5"),
])
def test_x_is_the_weighted_average_of_the_zs_and_y_lies_between(name, settings, schedule):
    from optviz.schedules import parse

    r, p = settings.get("weight_step_power", 0.0), settings.get("weight_lr_power", 2.0)
    beta = settings.get("beta", 0.9)  # β or β1, both 0.9 by default
    optimizer = make_optimizer(name, schedule=parse(schedule) if schedule else None, **settings)
    traj = run(optimizer, [-1.2, 1.0], 60, get_surface("rosenbrock"))
    z, x = traj.internals["z_sequence"][1:, 0], traj.internals["x_average"][1:, 0]  # (steps, 2)
    w = _averaging_weights(traj, r, p)[:, None]
    # x_t = Σ_{s≤t} w_s z_s / Σ_{s≤t} w_s: the recursion and the sum round differently, by a few ulps a step
    np.testing.assert_allclose(x, np.cumsum(w * z, axis=0) / np.cumsum(w, axis=0), rtol=1e-12, atol=1e-14)
    # the gradient was taken at y = (1 − β) z + β x: the recorded position, to the ulp simulate's θ + step adds
    np.testing.assert_allclose(traj.positions[1:, 0], (1 - beta) * z + beta * x, rtol=1e-14, atol=1e-15)
    if schedule is None and r == 0:  # a constant rate: the plain mean, c_t = 1/t
        # W_t is η² added t times, each addition rounded: up to t ulps off t·η², so 1e-13 over 60 steps
        np.testing.assert_allclose(traj.internals["averaging_weight"][1:, 0, 0], 1 / np.arange(1, 61), rtol=1e-13)


def test_beta_zero_is_plain_sgd_with_its_average_recorded():
    # β = 0: y = z, and z steps as SGD does; the package refuses momentum 0 (its eval() divides by it), OptViz not
    surface = get_surface("rosenbrock")
    sf = run(schedulefree_sgd(lr=0.001, beta=0.0, weight_decay=0.1), [-1.2, 1.0], 40, surface)
    sgd = run(make_optimizer("sgd", lr=0.001, weight_decay=0.1), [-1.2, 1.0], 40, surface)
    # the same products; y_{t−1} + (z_t − y_{t−1}) instead of θ + (−ηg̃): an ulp a step, grown to 1e-13 by 40 steps
    # (x: the recursion against the plain mean, a few ulps a step: 1e-12)
    np.testing.assert_allclose(sf.positions, sgd.positions, rtol=1e-13)
    zs = sf.internals["z_sequence"][1:, 0]
    np.testing.assert_allclose(sf.internals["x_average"][1:, 0],
                               np.cumsum(zs, axis=0) / np.arange(1, 41)[:, None], rtol=1e-12)


def test_zero_eps_takes_no_step_where_no_gradient_was_seen():
    # the saddle from (1, 0): ∂f/∂y = 0 on y = 0, so v_y = 0 and with ε = 0 the quotient 0/0 is taken as 0
    traj = run(schedulefree_adamw(lr=0.1, eps=0.0), [1.0, 0.0], 5, get_surface("saddle"))
    assert np.all(traj.positions[:, 0, 1] == 0.0) and np.all(np.isfinite(traj.internals["x_average"]))
    np.testing.assert_allclose(traj.positions[1, 0], [0.9, 0.0], rtol=1e-15)  # θ0 − 0.1·sign(g0): one rounding


@pytest.mark.parametrize("builder,arrays", [
    (schedulefree_sgd, dict(lr=[0.001, 0.002, 0.0005], beta=[0.9, 0.5, 0.0], weight_decay=[0.0, 0.1, 0.3],
                            weight_step_power=[0.0, 1.0, 2.0], weight_lr_power=[2.0, 0.0, 1.0])),
    (schedulefree_adamw, dict(lr=[0.01, 0.05, 0.02], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.99, 0.9],
                              eps=[1e-8, 1e-4, 0.0], weight_decay=[0.0, 0.1, 0.3], weight_step_power=[0.0, 1.0, 2.0],
                              weight_lr_power=[2.0, 0.0, 1.0])),
])
def test_a_batch_equals_its_runs_alone(builder, arrays):
    assert_batch_equals_runs(builder, arrays, get_surface("rosenbrock"))


# ------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("name,settings,word", [
    ("schedulefree_sgd", dict(beta=1.0), "beta"),
    ("schedulefree_sgd", dict(lr=0.0), "lr"),
    ("schedulefree_sgd", dict(lr=-0.1), "lr"),
    ("schedulefree_sgd", dict(weight_lr_power=-1.0), "weight_lr_power"),
    ("schedulefree_sgd", dict(weight_step_power=math.nan), "weight_step_power"),
    ("schedulefree_sgd", dict(momentum=0.9), "momentum"),  # the package's name is not OptViz's
    ("schedulefree_adamw", dict(beta2=1.0), "beta2"),
    ("schedulefree_adamw", dict(eps=-1e-8), "eps"),
    ("schedulefree_adamw", dict(weight_step_power=9.0), "weight_step_power"),
    ("schedulefree_adamw", dict(lr=np.array([0.1, np.inf])), "lr"),
    ("schedulefree_adamw", dict(lr=np.ones((2, 2))), "lr"),
])
def test_bad_values_are_refused_by_name(name, settings, word):
    with pytest.raises(ValueError, match=word):
        make_optimizer(name, **settings)


@pytest.mark.parametrize("name", NAMES)
def test_the_only_convention_is_pytorch(name):
    with pytest.raises(ValueError, match="convention"):
        make_optimizer(name, convention="keras")


def test_settings_travel_in_links():
    state, notices = from_link("o=schedulefree_adamw&o1.wsp=1&o1.wlp=0&o1.b1=0.95", AppState())
    assert not notices
    (opt,) = state.config.optimizers
    assert (opt.value("weight_step_power"), opt.value("weight_lr_power"), opt.value("beta1"), opt.value("lr")) == (
        1.0, 0.0, 0.95, 0.0025)
    assert encode(state)["o1.wsp"] == "1"


@pytest.mark.parametrize("name", NAMES)
def test_the_map_shows_x_and_z_beside_the_run_y(name):
    from optviz.optimizers import SPECS

    spec = SPECS[name]
    assert set(spec.map_points) == {"x_average", "z_sequence"} and set(spec.plotted) == {"averaging_weight"}
    for label in (*spec.map_points.values(), *spec.plotted.values()):
        assert label.en.strip() and label.zh.strip() and label.en != label.zh
    state = make_optimizer(name).init(np.zeros((3, 2)))  # the map points are (runs, 2) like the run itself
    internals = make_optimizer(name).internals(state)
    assert all(internals[key].shape == (3, 2) for key in spec.map_points)
