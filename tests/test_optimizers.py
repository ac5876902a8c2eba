"""Optimizer correctness: framework references, hand-derived steps, invariants, noise, validation.

Every number asserted here comes from one of three places, never from running OptViz:

- trajectories recorded from torch.optim and keras.optimizers by the scripts in
  ``tests/reference/`` (stored as JSON; the suite needs neither framework),
- first steps worked out by hand from each docstring's update rule (arithmetic in comments),
- invariants that relate two OptViz runs (batched = one at a time, RMSprop = Adam with β1 = 0, ...).

The surfaces are written out below rather than imported from ``surfaces/``, so an optimizer
test can only fail because of the optimizer.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from helpers import central_difference, schedule_from_spec, torch_reference
from optviz import schedules
from optviz.optimizers import HYPERPARAMETERS, OPTIMIZERS, SPECS, make_optimizer, standard_normal, with_gradient_noise
from optviz.optimizers.adadelta import adadelta
from optviz.optimizers.adagrad import adagrad
from optviz.optimizers.adam import adam
from optviz.optimizers.adamw import adamw
from optviz.optimizers.momentum import momentum
from optviz.optimizers.nesterov import nesterov
from optviz.optimizers.newton import newton
from optviz.optimizers.rmsprop import rmsprop
from optviz.optimizers.sgd import sgd
from optviz.simulate import simulate
from surfaces.base import Surface

REFERENCE = Path(__file__).parent / "reference"
TORCH = torch_reference()
KERAS = json.loads((REFERENCE / "keras_trajectories.json").read_text())


# ---------------------------------------------------------------------------------------------
# Surfaces for the tests: value, gradient and Hessian over (..., 2) arrays.

def _xy(p):
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _grad(fx, fy):
    return np.stack(np.broadcast_arrays(fx, fy), axis=-1)  # (..., 2)


def _hess(fxx, fxy, fyy):
    fxx, fxy, fyy = np.broadcast_arrays(fxx, fxy, fyy)
    return np.stack([np.stack([fxx, fxy], -1), np.stack([fxy, fyy], -1)], -2)  # (..., 2, 2)


def _surface(name, value, grad, hessian, minima=()):
    return Surface(name=name, value=value, grad=grad, hessian=hessian, bounds=((-2.0, 2.0), (-2.0, 2.0)),
                   start=(1.0, 1.0), formula=name, description={"en": name}, minima=minima)


QUADRATIC = _surface(  # x² + y²
    "quadratic",
    lambda p: _xy(p)[0] ** 2 + _xy(p)[1] ** 2,
    lambda p: _grad(2 * _xy(p)[0], 2 * _xy(p)[1]),
    lambda p: _hess(np.full_like(_xy(p)[0], 2.0), 0.0, 2.0),
    minima=((0.0, 0.0),))
ROSENBROCK = _surface(  # (1 - x)² + 100 (y - x²)²
    "rosenbrock",
    lambda p: (1 - _xy(p)[0]) ** 2 + 100 * (_xy(p)[1] - _xy(p)[0] ** 2) ** 2,
    lambda p: _grad(-2 * (1 - _xy(p)[0]) - 400 * _xy(p)[0] * (_xy(p)[1] - _xy(p)[0] ** 2),
                    200 * (_xy(p)[1] - _xy(p)[0] ** 2)),
    lambda p: _hess(2 - 400 * _xy(p)[1] + 1200 * _xy(p)[0] ** 2, -400 * _xy(p)[0], 200.0),
    minima=((1.0, 1.0),))
SADDLE = _surface(  # x²/2 + y⁴/4 - y²/2
    "saddle",
    lambda p: _xy(p)[0] ** 2 / 2 + _xy(p)[1] ** 4 / 4 - _xy(p)[1] ** 2 / 2,
    lambda p: _grad(_xy(p)[0], _xy(p)[1] ** 3 - _xy(p)[1]),
    lambda p: _hess(np.ones_like(_xy(p)[0]), 0.0, 3 * _xy(p)[1] ** 2 - 1),
    minima=((0.0, 1.0), (0.0, -1.0)))
FLAT = _surface(  # f = 0: the gradient is exactly zero everywhere
    "flat",
    lambda p: np.zeros_like(_xy(p)[0]),
    lambda p: np.zeros_like(np.asarray(p, dtype=float)),
    lambda p: _hess(np.zeros_like(_xy(p)[0]), 0.0, 0.0))
SURFACES = {s.name: s for s in (QUADRATIC, ROSENBROCK, SADDLE, FLAT)}


@pytest.mark.parametrize("surface", [QUADRATIC, ROSENBROCK, SADDLE])
def test_test_surfaces_match_finite_differences(surface):
    """The hand-written derivatives above are right (central differences, h = 1e-5)."""
    points = np.array([[0.3, -0.7], [-1.2, 1.0], [1.1, 0.4]])
    np.testing.assert_allclose(surface.grad(points), central_difference(surface.value, points), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(surface.hessian(points), central_difference(surface.grad, points), rtol=1e-6,
                               atol=1e-6)


def run(optimizer, start, steps, surface=QUADRATIC, internals=False):
    """Simulate with convergence stopping off; returns the Trajectory."""
    return simulate(surface, optimizer, start, steps, tol=0, record_internals=internals)


def path(optimizer, start, steps, surface=QUADRATIC):
    """(steps+1, 2) positions of a single run."""
    return run(optimizer, start, steps, surface).positions[:, 0]


# ---------------------------------------------------------------------------------------------
# Framework equivalence: every stored trajectory reproduced to rtol 1e-9.

def _reproduce(case, convention, schedule="spec"):
    sched = schedule_from_spec(case["schedule"]) if schedule == "spec" else schedule
    opt = make_optimizer(case["optimizer"], convention=convention, schedule=sched, **case["optviz_kwargs"])
    traj = run(opt, case["start"], case["steps"], SURFACES[case["surface"]])
    assert list(traj.status) == ["running"], "a reference run must not be frozen by OptViz"
    return traj.positions[:, 0]  # (steps+1, 2)


def test_torch_reference_is_what_it_claims():
    meta = TORCH["meta"]
    assert meta["torch_version"].startswith("2.13.0") and meta["dtype"] == "float64"
    cases = TORCH["cases"]
    assert {c["torch_class"] for c in cases} == {spec.torch.cls for spec in SPECS.values() if spec.torch}
    assert {c["optimizer"] for c in cases} == {name for name, spec in SPECS.items() if spec.torch}
    assert {c["torch_scheduler"]["class"] for c in cases if c["torch_scheduler"]} == {
        "StepLR", "ExponentialLR", "CosineAnnealingLR", "ChainedScheduler"}
    assert {c["surface"] for c in cases} == {"quadratic", "rosenbrock", "saddle"}
    assert any(c["torch_kwargs"]["weight_decay"] > 0 for c in cases)
    for c in cases:
        assert c["positions"][0] == c["start"] and len(c["positions"]) == c["steps"] + 1


def test_keras_reference_is_what_it_claims():
    meta = KERAS["meta"]
    assert meta["keras_version"].startswith("3.") and meta["dtype"] == "float64" and meta["backend"] == "jax"
    cases = KERAS["cases"]
    assert {c["keras_class"] for c in cases} == {"SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"}
    assert {c["optimizer"] for c in cases} == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                                                "adam", "adamw"}
    assert any(c["keras_kwargs"]["weight_decay"] for c in cases if c["keras_class"] != "AdamW")
    for c in cases:
        assert c["positions"][0] == c["start"] and len(c["positions"]) == c["steps"] + 1


# The torch data is one file per optimizer (~20-55 kB each) plus schedules.json (~250 kB); Keras's is
# one file (~345 kB); adding an optimizer adds one small file and grows none of the others. Capping each
# file rather than the sum lets optimizers be added without touching the cap, while still catching a
# file that records far too much (long runs, every start, every set on every surface).
FILE_CAP = 400_000


def test_reference_data_is_small():
    """Every committed reference file stays below FILE_CAP (400 kB, which the largest, Keras's, fits).

    The total is not capped; it is 1.04 MB today (torch 696 kB in 15 files: 13 optimizers at 20-53 kB
    and schedules.json at 247 kB; Keras 343 kB) and grows by ~20-55 kB per optimizer with a torch
    counterpart.
    """
    files = sorted(REFERENCE.glob("*.json")) + sorted((REFERENCE / "torch").glob("*.json"))
    assert len(files) > 2 and not (REFERENCE / "torch_trajectories.json").exists()
    too_big = {p.name: p.stat().st_size for p in files if p.stat().st_size >= FILE_CAP}
    assert not too_big, f"reference files over {FILE_CAP} bytes: {too_big}"


@pytest.mark.parametrize("case", TORCH["cases"], ids=[c["id"] for c in TORCH["cases"]])
def test_matches_torch(case):
    got = _reproduce(case, "pytorch")
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


KERAS_FLOAT64 = [c for c in KERAS["cases"] if c.get("lr_dtype", "float64") == "float64"]
KERAS_FLOAT32_LR = [c for c in KERAS["cases"] if c.get("lr_dtype", "float64") != "float64"]


@pytest.mark.parametrize("case", KERAS_FLOAT64, ids=[c["id"] for c in KERAS_FLOAT64])
def test_matches_keras(case):
    got = _reproduce(case, "keras")
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", KERAS_FLOAT32_LR, ids=[c["id"] for c in KERAS_FLOAT32_LR])
def test_matches_keras_cosine_decay(case):
    """Keras computes CosineDecay in float32 even with floatx float64 (see make_keras_reference.py).

    With the learning rates Keras actually used the update rule must still agree to 1e-9;
    with OptViz's own float64 cosine, to the float32 rounding of the rate (2⁻²⁴ ≈ 6e-8 per
    step, compounded over the run), checked at 1e-5.
    """
    lr = case["optviz_kwargs"]["lr"]
    multipliers = [r / lr for r in case["lrs"]]  # what Keras multiplied the base rate by
    got = _reproduce(case, "keras", schedule=lambda k: multipliers[k])
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-9, atol=1e-12)
    got = _reproduce(case, "keras")
    np.testing.assert_allclose(got, np.array(case["positions"]), rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# First steps by hand on x² + y² (gradient 2θ) from θ0 = (1, -2): g0 = (2, -4), |g0| = (2, 4).

THETA0 = (1.0, -2.0)
G0 = np.array([2.0, -4.0])


def first(opt, steps=1, start=THETA0, surface=QUADRATIC):
    return path(opt, start, steps, surface)[1:]  # (steps, 2): θ1, θ2, ...


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
def test_sgd_first_step(convention):
    # θ1 = θ0 - η g0 = (1 - 0.1·2, -2 + 0.1·4) = (0.8, -1.6) in every convention
    np.testing.assert_allclose(first(sgd(lr=0.1, convention=convention)), [[0.8, -1.6]], rtol=1e-15)
    # with λ = 0.5: L2 g̃ = g0 + 0.5 θ0 = (2.5, -5) → θ1 = (1 - 0.25, -2 + 0.5) = (0.75, -1.5);
    # decoupled (keras): (1 - 0.1·0.5) θ0 - 0.1 g0 = (0.95 - 0.2, -1.9 + 0.4): the same point
    np.testing.assert_allclose(first(sgd(lr=0.1, weight_decay=0.5, convention=convention)),
                               [[0.75, -1.5]], rtol=1e-15)


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_momentum_first_two_steps_pytorch_keras(convention):
    # pytorch: v1 = g0 = (2, -4), θ1 = θ0 - 0.1 v1 = (0.8, -1.6); g1 = (1.6, -3.2)
    #          v2 = 0.9 (2, -4) + (1.6, -3.2) = (3.4, -6.8), θ2 = θ1 - 0.1 v2 = (0.46, -0.92)
    # keras:   m1 = -0.1 g0 = (-0.2, 0.4), θ1 = θ0 + m1 = (0.8, -1.6)
    #          m2 = 0.9 m1 - 0.1 g1 = (-0.34, 0.68), θ2 = θ1 + m2 = (0.46, -0.92)
    np.testing.assert_allclose(first(momentum(lr=0.1, beta=0.9, convention=convention), 2),
                               [[0.8, -1.6], [0.46, -0.92]], rtol=1e-14)


def test_momentum_first_two_steps_textbook():
    # v1 = 0.9·0 + 0.1 g0 = (0.2, -0.4), θ1 = θ0 - 0.1 v1 = (0.98, -1.96); g1 = (1.96, -3.92)
    # v2 = 0.9 (0.2, -0.4) + 0.1 (1.96, -3.92) = (0.376, -0.752), θ2 = θ1 - 0.1 v2 = (0.9424, -1.8848)
    np.testing.assert_allclose(first(momentum(lr=0.1, beta=0.9, convention="textbook"), 2),
                               [[0.98, -1.96], [0.9424, -1.8848]], rtol=1e-14)


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
def test_nesterov_first_two_steps_pytorch_keras(convention):
    # pytorch: v1 = g0, θ1 = θ0 - 0.1 (g0 + 0.9 v1) = θ0 - 0.19 g0 = (0.62, -1.24); g1 = (1.24, -2.48)
    #          v2 = 0.9 (2, -4) + (1.24, -2.48) = (3.04, -6.08)
    #          θ2 = θ1 - 0.1 (g1 + 0.9 v2) = θ1 - 0.1 (3.976, -7.952) = (0.2224, -0.4448)
    # keras:   m1 = -0.1 g0 = (-0.2, 0.4), θ1 = θ0 + 0.9 m1 - 0.1 g0 = (1 - 0.18 - 0.2, ...) = (0.62, -1.24)
    #          m2 = 0.9 m1 - 0.1 g1 = (-0.304, 0.608), θ2 = θ1 + 0.9 m2 - 0.1 g1 = (0.2224, -0.4448)
    np.testing.assert_allclose(first(nesterov(lr=0.1, beta=0.9, convention=convention), 2),
                               [[0.62, -1.24], [0.2224, -0.4448]], rtol=1e-14)


def test_nesterov_first_step_textbook():
    # v1 = 0.1 g0; θ1 = θ0 - 0.1 (0.1 g0 + 0.9·0.1 g0) = θ0 - 0.019 g0 = (0.962, -1.924)
    np.testing.assert_allclose(first(nesterov(lr=0.1, beta=0.9, convention="textbook")),
                               [[0.962, -1.924]], rtol=1e-15)


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
def test_adagrad_first_step_pytorch(convention):
    # s1 = g0², θ1 = θ0 - η g0 / (|g0| + ε): each coordinate moves η·|g|/(|g| + ε) ≈ η
    expected = [1 - 0.1 * 2 / (2 + 1e-10), -2 + 0.1 * 4 / (4 + 1e-10)]
    np.testing.assert_allclose(first(adagrad(lr=0.1, eps=1e-10, convention=convention)), [expected], rtol=1e-15)
    # ε = 1: x moves 0.1·2/3, y moves 0.1·4/5
    np.testing.assert_allclose(first(adagrad(lr=0.1, eps=1.0, convention=convention)),
                               [[1 - 0.2 / 3, -2 + 0.4 / 5]], rtol=1e-15)


def test_adagrad_first_step_keras():
    # s0 = 0.1, s1 = 0.1 + g0², θ1 = θ0 - η g0 / sqrt(s1 + ε)
    expected = [1 - 0.1 * 2 / math.sqrt(0.1 + 4 + 1e-7), -2 + 0.1 * 4 / math.sqrt(0.1 + 16 + 1e-7)]
    np.testing.assert_allclose(first(adagrad(lr=0.1, eps=1e-7, convention="keras")), [expected], rtol=1e-15)


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
def test_rmsprop_first_step_pytorch(convention):
    # s1 = (1 - 0.99) g0² = 0.01 g0², sqrt(s1) = 0.1 |g0|: θ1 = θ0 - η g0 / (0.1 |g0| + ε), a step of ≈ 10 η
    expected = [1 - 0.01 * 2 / (0.2 + 1e-8), -2 + 0.01 * 4 / (0.4 + 1e-8)]
    np.testing.assert_allclose(first(rmsprop(lr=0.01, beta=0.99, eps=1e-8, convention=convention)),
                               [expected], rtol=1e-14)


def test_rmsprop_first_step_keras():
    # s1 = 0.1 g0² (ρ = 0.9), θ1 = θ0 - η g0 / sqrt(s1 + ε): x: 0.01·2/sqrt(0.4 + ε), y: 0.01·4/sqrt(1.6 + ε)
    expected = [1 - 0.01 * 2 / math.sqrt(0.4 + 1e-7), -2 + 0.01 * 4 / math.sqrt(1.6 + 1e-7)]
    np.testing.assert_allclose(first(rmsprop(lr=0.01, beta=0.9, eps=1e-7, convention="keras")),
                               [expected], rtol=1e-14)


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
def test_adadelta_first_step(convention):
    # u0 = 0, s1 = (1 - ρ) g0², Δ1 = sqrt(0 + ε) / sqrt(s1 + ε) · g0, θ1 = θ0 - η Δ1
    # ρ = 0.9, ε = 1e-6, η = 1: x moves 1e-3·2/sqrt(0.4 + 1e-6), y moves 1e-3·4/sqrt(1.6 + 1e-6)
    expected = [1 - 1e-3 * 2 / math.sqrt(0.4 + 1e-6), -2 + 1e-3 * 4 / math.sqrt(1.6 + 1e-6)]
    np.testing.assert_allclose(first(adadelta(lr=1.0, beta=0.9, eps=1e-6, convention=convention)),
                               [expected], rtol=1e-14)


def test_adadelta_first_step_with_weight_decay():
    # λ = 0.1, η = 0.5, ρ = 0.9, ε = 1e-6
    # pytorch: g̃ = g0 + 0.1 θ0 = (2.1, -4.2); θ1 = θ0 - 0.5·1e-3·g̃ / sqrt(0.1 g̃² + 1e-6)
    torch_like = [1 - 0.5e-3 * 2.1 / math.sqrt(0.1 * 2.1**2 + 1e-6),
                  -2 + 0.5e-3 * 4.2 / math.sqrt(0.1 * 4.2**2 + 1e-6)]
    # keras: θ1 = (1 - 0.5·0.1) θ0 - 0.5·1e-3·g0 / sqrt(0.1 g0² + 1e-6)
    keras_like = [0.95 - 0.5e-3 * 2 / math.sqrt(0.4 + 1e-6), -1.9 + 0.5e-3 * 4 / math.sqrt(1.6 + 1e-6)]
    kw = dict(lr=0.5, beta=0.9, eps=1e-6, weight_decay=0.1)
    np.testing.assert_allclose(first(adadelta(**kw)), [torch_like], rtol=1e-14)
    np.testing.assert_allclose(first(adadelta(**kw, convention="keras")), [keras_like], rtol=1e-14)


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
def test_adam_first_step_pytorch(convention):
    # m1 = (1-β1) g0, v1 = (1-β2) g0²; m̂ = g0, v̂ = g0²: θ1 = θ0 - η g0 / (|g0| + ε), i.e. η·sign(g) up to ε
    np.testing.assert_allclose(first(adam(lr=0.1, eps=1e-8, convention=convention)),
                               [[1 - 0.1 * 2 / (2 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)]], rtol=1e-14)
    # a big ε shows where it sits: ε = 0.1 → x moves 0.1·2/2.1, y moves 0.1·4/4.1
    np.testing.assert_allclose(first(adam(lr=0.1, eps=0.1, convention=convention)),
                               [[1 - 0.2 / 2.1, -2 + 0.4 / 4.1]], rtol=1e-14)


def test_adam_first_step_keras():
    # α1 = η sqrt(1-β2)/(1-β1); θ1 = θ0 - α1 (1-β1) g0 / (sqrt(1-β2)|g0| + ε̂) = θ0 - η g0 / (|g0| + ε̂/sqrt(1-β2))
    # ε̂ = 0.1, sqrt(0.001) = 0.0316...: x moves 0.2/(2 + 0.1/sqrt(0.001)) ≈ 0.0387, not 0.2/2.1
    c = math.sqrt(1 - 0.999)
    expected = [1 - 0.1 * 2 / (2 + 0.1 / c), -2 + 0.1 * 4 / (4 + 0.1 / c)]
    np.testing.assert_allclose(first(adam(lr=0.1, eps=0.1, convention="keras")), [expected], rtol=1e-14)


def test_adam_step_one_is_lr_times_sign_everywhere():
    """Bias-corrected Adam's first step has length η per coordinate (up to ε), whatever |g| is."""
    starts = np.array([[1.0, -2.0], [-1.2, 1.0], [0.5, 1e-3], [-3e-3, 7.0]])
    traj = run(adam(lr=0.05, eps=1e-12), starts, 1, ROSENBROCK)
    g = ROSENBROCK.grad(starts)
    np.testing.assert_allclose(traj.positions[1] - starts, -0.05 * np.sign(g), rtol=1e-9)


def test_adam_without_bias_correction_first_step():
    # m1 = 0.1 g0, v1 = 0.001 g0²: θ1 = θ0 - η·0.1 g0 / (sqrt(0.001)|g0| + ε) ≈ θ0 - η·0.1/0.0316·sign(g0)
    # = 3.16 η per coordinate, against η with the correction
    c = math.sqrt(0.001)
    expected = [1 - 0.01 * 0.1 * 2 / (c * 2 + 1e-8), -2 + 0.01 * 0.1 * 4 / (c * 4 + 1e-8)]
    for convention in ("pytorch", "keras", "textbook"):
        opt = adam(lr=0.01, eps=1e-8, bias_correction=False, convention=convention)
        step = first(opt)[0] - THETA0
        np.testing.assert_allclose(first(opt), [expected], rtol=1e-14)
        np.testing.assert_allclose(np.abs(step), 0.01 * 0.1 / c, rtol=1e-6)  # lr (1-β1)/sqrt(1-β2)
        corrected = first(adam(lr=0.01, eps=1e-8, convention=convention))[0] - THETA0
        np.testing.assert_allclose(np.abs(corrected), 0.01, rtol=1e-6)
    # β1 = 0.99, β2 = 0.9 makes it crawl instead: 0.01/sqrt(0.1) ≈ 0.0316 η
    crawl = first(make_optimizer("adam", lr=0.01, beta1=0.99, beta2=0.9, bias_correction=False))[0] - THETA0
    np.testing.assert_allclose(np.abs(crawl), 0.01 * 0.01 / math.sqrt(0.1), rtol=1e-6)


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
def test_adamw_first_step(convention):
    # θ1 = θ0 - η λ θ0 - (Adam step); λ = 0.5, η = 0.1: x = 1 - 0.05 - 0.1·2/(2 + ε'), y = -2 + 0.1 + 0.1·4/(4 + ε')
    # ε' = ε (pytorch, textbook) or ε/sqrt(1-β2) (keras)
    eps = 1e-8 / (math.sqrt(0.001) if convention == "keras" else 1.0)
    expected = [1 - 0.05 - 0.2 / (2 + eps), -2 + 0.1 + 0.4 / (4 + eps)]
    np.testing.assert_allclose(first(adamw(lr=0.1, weight_decay=0.5, eps=1e-8, convention=convention)),
                               [expected], rtol=1e-14)


def test_adam_l2_decay_is_normalised_but_adamw_is_not():
    # Adam with L2 (pytorch): g̃ = g0 + 0.5 θ0 = (2.5, -5) still moves η·sign(g̃) = (−0.1, +0.1).
    np.testing.assert_allclose(first(adam(lr=0.1, weight_decay=0.5, eps=1e-12)), [[0.9, -1.9]], rtol=1e-12)
    # AdamW: the decay adds -η λ θ0 = (-0.05, 0.1) on top of that.
    np.testing.assert_allclose(first(adamw(lr=0.1, weight_decay=0.5, eps=1e-12)), [[0.85, -1.8]], rtol=1e-12)


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
def test_newton_solves_a_quadratic_in_one_step(convention):
    # H = 2I, θ1 = θ0 - H⁻¹ g0 = θ0 - θ0 = 0 exactly
    np.testing.assert_array_equal(first(newton(convention=convention), start=(1.5, -0.75)), [[0.0, 0.0]])
    # damping μ = 2: (H + 2I)⁻¹ g0 = g0/4 = θ0/2, so θ1 = θ0/2
    np.testing.assert_allclose(first(newton(damping=2.0, convention=convention)), [[0.5, -1.0]], rtol=1e-15)
    # lr = 0.25: θ1 = θ0 - 0.25 θ0
    np.testing.assert_allclose(first(newton(lr=0.25, convention=convention)), [[0.75, -1.5]], rtol=1e-15)


def test_newton_on_rosenbrock_from_the_origin():
    # at (0, 0): g = (-2, 0), H = [[2, 0], [0, 200]] → H⁻¹ g = (-1, 0), θ1 = (1, 0)
    # at (1, 0): g = (-400·1·(0-1), 200·(0-1)) = (400, -200), H = [[2 + 1200, -400], [-400, 200]],
    #   det = 1202·200 - 160000 = 80400; H⁻¹ g = (200·400 - 400·200, 1202·(-200) + 400·400)/80400
    #   = (0, -80400/80400) = (0, -1) → θ2 = (1, 1), the minimum: Newton needs two steps here
    np.testing.assert_allclose(first(newton(), 2, start=(0.0, 0.0), surface=ROSENBROCK),
                               [[1.0, 0.0], [1.0, 1.0]], rtol=1e-15, atol=1e-15)


def test_newton_walks_to_the_saddle():
    # saddle x²/2 + y⁴/4 - y²/2 at (0.5, 0.2): g = (0.5, 0.008 - 0.2) = (0.5, -0.192),
    # H = diag(1, 3·0.04 - 1) = diag(1, -0.88): θ1 = (0.5 - 0.5, 0.2 - 0.192/0.88)
    np.testing.assert_allclose(first(newton(), start=(0.5, 0.2), surface=SADDLE),
                               [[0.0, 0.2 - 0.192 / 0.88]], rtol=1e-14, atol=1e-16)


def test_recorded_internals_after_step_one():
    """The state each docstring names, after one update from θ0 = (1, -2), g0 = (2, -4)."""
    def internals(opt):
        return {k: v[1, 0] for k, v in run(opt, THETA0, 1, internals=True).internals.items()}

    # heavy ball: pytorch v1 = g0; textbook v1 = (1-β) g0
    np.testing.assert_allclose(internals(momentum(lr=0.1, beta=0.9))["velocity"], [2, -4], rtol=1e-15)
    np.testing.assert_allclose(internals(momentum(lr=0.1, beta=0.9, convention="textbook"))["velocity"],
                               [0.2, -0.4], rtol=1e-14)
    # AdaGrad: s1 = g0² (pytorch), 0.1 + g0² (keras); effective lr η/(sqrt(s1) + ε), η/sqrt(s1 + ε)
    a = internals(adagrad(lr=0.1, eps=0.5))
    np.testing.assert_allclose(a["second_moment"], [4, 16], rtol=1e-15)
    np.testing.assert_allclose(a["effective_lr"], [0.1 / 2.5, 0.1 / 4.5], rtol=1e-15)
    a = internals(adagrad(lr=0.1, eps=0.5, convention="keras"))
    np.testing.assert_allclose(a["second_moment"], [4.1, 16.1], rtol=1e-15)
    np.testing.assert_allclose(a["effective_lr"], [0.1 / math.sqrt(4.6), 0.1 / math.sqrt(16.6)], rtol=1e-15)
    # RMSprop β = 0.99: s1 = 0.01 g0²
    np.testing.assert_allclose(internals(rmsprop(lr=0.1, beta=0.99))["second_moment"], [0.04, 0.16], rtol=1e-14)
    # AdaDelta ρ = 0.9, ε = 1e-6: s1 = 0.1 g0², u1 = 0.1 Δ1² with Δ1 = sqrt(ε)/sqrt(s1 + ε) g0
    a = internals(adadelta(lr=1.0, beta=0.9, eps=1e-6))
    np.testing.assert_allclose(a["second_moment"], [0.4, 1.6], rtol=1e-14)
    delta = np.array([1e-3 * 2 / math.sqrt(0.4 + 1e-6), 1e-3 * 4 / math.sqrt(1.6 + 1e-6)])
    np.testing.assert_allclose(a["delta_accumulator"], 0.1 * delta**2, rtol=1e-13)
    # Adam: m1 = 0.1 g0, v1 = 0.001 g0², effective lr η/(sqrt(v̂1) + ε) = η/(|g0| + ε)
    a = internals(adam(lr=0.1, eps=0.5))
    np.testing.assert_allclose(a["first_moment"], [0.2, -0.4], rtol=1e-14)
    np.testing.assert_allclose(a["second_moment"], [0.004, 0.016], rtol=1e-14)
    np.testing.assert_allclose(a["effective_lr"], [0.1 / 2.5, 0.1 / 4.5], rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Invariants between OptViz runs.

BATCHES = [  # name, (runs,) hyperparameter arrays
    ("sgd", dict(lr=[1e-3, 5e-4, 1.2e-3], weight_decay=[0.0, 0.3, 0.1])),
    ("momentum", dict(lr=[1e-3, 5e-4, 1.2e-3], beta=[0.9, 0.5, 0.0], weight_decay=[0.0, 0.3, 0.1])),
    ("nesterov", dict(lr=[1e-3, 5e-4, 1.2e-3], beta=[0.9, 0.5, 0.0])),
    ("adagrad", dict(lr=[0.1, 0.5, 0.01], eps=[1e-10, 1e-3, 0.1], weight_decay=[0.0, 0.3, 0.1])),
    ("rmsprop", dict(lr=[0.01, 0.05, 0.001], beta=[0.99, 0.9, 0.5], eps=[1e-8, 1e-3, 0.1])),
    ("adadelta", dict(lr=[1.0, 5.0, 0.3], beta=[0.9, 0.95, 0.5], eps=[1e-6, 1e-4, 1e-2])),
    ("adam", dict(lr=[0.01, 0.1, 0.03], beta1=[0.9, 0.5, 0.0], beta2=[0.999, 0.9, 0.99],
                  weight_decay=[0.0, 0.3, 0.1])),
    ("adamw", dict(lr=[0.01, 0.1, 0.03], beta1=[0.9, 0.5, 0.0], weight_decay=[0.01, 0.3, 0.0])),
    ("newton", dict(lr=[1.0, 0.5, 0.1], damping=[0.0, 1.0, 10.0])),
]
BATCH_STARTS = np.array([[-1.2, 1.0], [0.5, -0.5], [1.3, 1.4]])  # (runs, 2)


POW_ULPS = 2  # Python's pow() (libm) and NumPy's array power (SIMD) are each within 1 ulp of β^t


def bias_correction_bound(arrays: dict, steps: int) -> float:
    """How far (relative) a batched Adam run may drift from the same run alone, to first order.

    Scalar hyperparameters use Python float arithmetic and arrays NumPy's: the same IEEE
    operations on the same operands, so the runs agree bit for bit, except for β^t of an array
    β (libm's pow against NumPy's SIMD power, e.g. AVX-512), which may differ by POW_ULPS ulps,
    a relative 2⁻⁵² each. 1 − β^t amplifies that by its condition number β^t/(1 − β^t) (about
    1/(t(1 − β)): 500 for β2 = 0.999 at t = 2); the step divides by 1 − β1^t and multiplies by
    √(1 − β2^t) (half the amplification). Every step's error carries into all later positions and
    moments, so the records may differ by the sum over the steps, relative to their largest value.
    """
    t = np.arange(1, steps + 1)[:, None]
    kappa = 0.0
    for key, weight in (("beta1", 1.0), ("beta2", 0.5)):
        beta = np.asarray(arrays.get(key, [0.0]))  # a scalar β is the same Python float in both runs
        kappa = kappa + weight * beta**t / (1.0 - beta**t)
    return POW_ULPS * 2.0**-52 * float(kappa.sum(axis=0).max())


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
@pytest.mark.parametrize("name,arrays", BATCHES, ids=[b[0] for b in BATCHES])
def test_batched_run_equals_runs_one_at_a_time(name, arrays, convention):
    schedule = schedules.warmup(3, schedules.exponential(0.97))
    batch = make_optimizer(name, convention=convention, schedule=schedule,
                           **{k: np.array(v) for k, v in arrays.items()})
    together = run(batch, BATCH_STARTS, 30, ROSENBROCK, internals=True)
    # Only Adam(W) raises an array to a power; every other optimizer must agree bit for bit (bound 0).
    bound = bias_correction_bound(arrays, 30) if name in ("adam", "adamw") else 0.0
    assert bound < 1e-12  # 9e-13 for β2 = 0.999 over 30 steps (measured on AVX-512: 8e-15)

    def check(actual, desired):  # norm-wise: a moment crossing 0 has no relative precision of its own
        np.testing.assert_allclose(actual, desired, rtol=0, atol=bound * np.nanmax(np.abs(desired)))

    for i in range(len(BATCH_STARTS)):
        alone_opt = make_optimizer(name, convention=convention, schedule=schedule,
                                   **{k: v[i] for k, v in arrays.items()})
        alone = run(alone_opt, BATCH_STARTS[i], 30, ROSENBROCK, internals=True)
        check(together.positions[:, i], alone.positions[:, 0])
        assert together.status[i] == alone.status[0]
        for key, values in alone.internals.items():
            check(together.internals[key][:, i], values[:, 0])


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS])
def test_batch_of_starts_with_scalar_hyperparameters_is_exact(name):
    together = run(make_optimizer(name), BATCH_STARTS, 20, SADDLE)
    for i, start in enumerate(BATCH_STARTS):
        np.testing.assert_array_equal(together.positions[:, i], run(make_optimizer(name), start, 20, SADDLE)
                                      .positions[:, 0])


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.2])
def test_rmsprop_is_adam_with_beta1_zero_and_no_bias_correction(convention, weight_decay):
    # Adam with β1 = 0: m_t = 0·m + 1·g̃ = g̃ exactly; without correction θ -= η m/(sqrt(v) + ε) with
    # v_t = β2 v + (1-β2) g̃²: RMSprop's rule with β = β2, ε in the same place (outside the root).
    # The two may group η·g/d differently, so they agree to rounding, not bit for bit.
    kw = dict(lr=0.02, eps=1e-6, weight_decay=weight_decay, convention=convention)
    r = run(rmsprop(beta=0.95, **kw), (-1.2, 1.0), 60, ROSENBROCK).positions
    a = run(adam(beta1=0.0, beta2=0.95, bias_correction=False, **kw), (-1.2, 1.0), 60, ROSENBROCK).positions
    np.testing.assert_allclose(r, a, rtol=1e-13, atol=0)


def test_rmsprop_keras_is_adam_only_without_epsilon():
    """In Keras ε sits inside RMSprop's root but outside Adam's: the identity needs ε = 0."""
    start, kw = (-1.2, 1.0), dict(lr=0.02, weight_decay=0.2, convention="keras")
    r = run(rmsprop(beta=0.95, eps=0.0, **kw), start, 60, ROSENBROCK).positions
    a = run(adam(beta1=0.0, beta2=0.95, eps=0.0, bias_correction=False, **kw), start, 60, ROSENBROCK).positions
    np.testing.assert_allclose(r, a, rtol=1e-13, atol=0)
    r = run(rmsprop(beta=0.95, eps=1e-2, **kw), start, 60, ROSENBROCK).positions
    a = run(adam(beta1=0.0, beta2=0.95, eps=1e-2, bias_correction=False, **kw), start, 60, ROSENBROCK).positions
    assert np.abs(r - a).max() > 1e-4


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adadelta", "adam", "adamw"])
def test_zero_eps_on_a_zero_gradient_steps_0_and_leaves_the_rate_undefined(name, convention):
    # One update from θ = (1, 0) with g = (2, 0) and ε = 0, called directly (no errstate: a division
    # by zero would warn, and pytest makes that an error). y's quotient is 0/0, taken as 0, its limit
    # as ε → 0⁺; y's effective rate η/0 (AdaDelta's 0/0) has no value: NaN. Keras's AdaGrad starts
    # its accumulator at 0.1, so there y's rate is η/√0.1.
    opt = make_optimizer(name, eps=0.0, convention=convention)
    theta = np.array([[1.0, 0.0]])
    step, state = opt.update(np.array([[2.0, 0.0]]), opt.init(theta), theta, None)
    assert step[0, 1] == 0.0 and np.isfinite(step[0, 0])
    rate = opt.internals(state)["effective_lr"][0]
    assert np.isfinite(rate[0])
    if name == "adagrad" and convention == "keras":
        assert rate[1] == 0.01 / math.sqrt(0.1)  # η = 0.01 (the default) over √(0.1 + 0²)
    else:
        assert np.isnan(rate[1])


def test_adam_with_beta1_zero_but_bias_correction_is_not_rmsprop():
    # v̂1 = v1/(1-β2) = g0² → the first step is η·sign(g), against RMSprop's η/sqrt(1-β2)·sign(g)
    a = first(adam(lr=0.01, beta1=0.0, beta2=0.99, eps=0.0))[0] - THETA0
    r = first(rmsprop(lr=0.01, beta=0.99, eps=0.0))[0] - THETA0
    np.testing.assert_allclose(a, [-0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(r, [-0.1, 0.1], rtol=1e-14)


@pytest.mark.parametrize("convention", ["pytorch", "keras", "textbook"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.2])
@pytest.mark.parametrize("heavy_ball", [momentum, nesterov], ids=["momentum", "nesterov"])
def test_momentum_with_beta_zero_is_sgd(heavy_ball, weight_decay, convention):
    kw = dict(lr=1e-3, weight_decay=weight_decay, convention=convention)
    plain = run(sgd(**kw), (-1.2, 1.0), 80, ROSENBROCK).positions
    zero = run(heavy_ball(beta=0.0, **kw), (-1.2, 1.0), 80, ROSENBROCK).positions
    # v_t = 0·v + g̃ = g̃, so the step is -η g̃ (textbook: (1-0)·g̃); Keras's -η g - η λ θ is
    # -η (λ θ + g) up to the rounding of one addition
    np.testing.assert_allclose(zero, plain, rtol=1e-13, atol=0)


@pytest.mark.parametrize("beta", [0.9, 0.5])
def test_textbook_velocity_is_the_ema_of_gradients(beta):
    traj = run(momentum(lr=0.002, beta=beta, convention="textbook"), (-1.2, 1.0), 40, ROSENBROCK, internals=True)
    grads = ROSENBROCK.grad(traj.positions[:, 0])  # (steps+1, 2): the gradient at every visited point
    ema = np.zeros(2)
    for t in range(1, traj.steps + 1):
        ema = beta * ema + (1 - beta) * grads[t - 1]  # v_t = β v_{t-1} + (1-β) g_t, g_t taken at θ_{t-1}
        np.testing.assert_allclose(traj.internals["velocity"][t, 0], ema, rtol=1e-12)
        # and the step is -η v_t
        np.testing.assert_allclose(traj.positions[t, 0] - traj.positions[t - 1, 0], -0.002 * ema, rtol=1e-9)


@pytest.mark.parametrize("heavy_ball", [momentum, nesterov], ids=["momentum", "nesterov"])
def test_pytorch_and_textbook_momentum_differ_by_one_minus_beta_at_step_one(heavy_ball):
    beta = 0.8
    torch_step = first(heavy_ball(lr=0.1, beta=beta))[0] - THETA0
    textbook_step = first(heavy_ball(lr=0.1, beta=beta, convention="textbook"))[0] - THETA0
    np.testing.assert_allclose(textbook_step, (1 - beta) * torch_step, rtol=1e-14)
    later_torch = path(heavy_ball(lr=0.1, beta=beta), THETA0, 10)
    later_text = path(heavy_ball(lr=0.1, beta=beta, convention="textbook"), THETA0, 10)
    assert np.abs(later_torch - later_text).max() > 0.1


def test_keras_momentum_equals_pytorch_only_at_constant_rate():
    # m_t = -η v_t exactly in real arithmetic when η is constant; a schedule breaks it, because
    # Keras's velocity keeps the old rates inside it while PyTorch multiplies all of v_t by η_t.
    for heavy_ball in (momentum, nesterov):
        k = path(heavy_ball(lr=1e-3, beta=0.9, convention="keras"), (-1.2, 1.0), 60, ROSENBROCK)
        p = path(heavy_ball(lr=1e-3, beta=0.9), (-1.2, 1.0), 60, ROSENBROCK)
        np.testing.assert_allclose(k, p, rtol=1e-11)
        sched = schedules.exponential(0.8)
        k = path(heavy_ball(lr=0.1, beta=0.9, convention="keras", schedule=sched), THETA0, 3)
        p = path(heavy_ball(lr=0.1, beta=0.9, schedule=sched), THETA0, 3)
        assert np.abs(k[2] - p[2]).max() > 1e-3


def test_momentum_keras_vs_pytorch_second_step_under_a_schedule():
    # η1 = 0.1, η2 = 0.1·0.5 (step_decay every 1, factor 0.5)
    # pytorch: θ1 = (0.8, -1.6); v2 = 0.9 g0 + g1 = (3.4, -6.8); θ2 = θ1 - 0.05 v2 = (0.63, -1.26)
    # keras:   m1 = -0.1 g0 = (-0.2, 0.4); m2 = 0.9 m1 - 0.05 g1 = (-0.26, 0.52); θ2 = (0.54, -1.08)
    sched = schedules.step_decay(1, 0.5)
    np.testing.assert_allclose(first(momentum(lr=0.1, beta=0.9, schedule=sched), 2),
                               [[0.8, -1.6], [0.63, -1.26]], rtol=1e-14)
    np.testing.assert_allclose(first(momentum(lr=0.1, beta=0.9, schedule=sched, convention="keras"), 2),
                               [[0.8, -1.6], [0.54, -1.08]], rtol=1e-14)


@pytest.mark.parametrize("name", ["sgd", "adadelta"])
def test_keras_and_pytorch_agree_without_weight_decay(name):
    # identical formulas when λ = 0 (AdaDelta's ε sits inside both roots in every framework)
    k = path(make_optimizer(name, convention="keras"), (-1.2, 1.0), 50, ROSENBROCK)
    p = path(make_optimizer(name, convention="pytorch"), (-1.2, 1.0), 50, ROSENBROCK)
    np.testing.assert_allclose(k, p, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["rmsprop", "adagrad", "adam"])
def test_keras_and_pytorch_differ_for_adaptive_methods(name):
    # ε = 0.05, η = 0.1, step 1 in x (g = 2): RMSprop (β 0.99) 0.2/(0.2 + 0.05) = 0.8 against
    # 0.2/sqrt(0.04 + 0.05) = 0.67; AdaGrad 0.2/2.05 against 0.2/sqrt(0.1 + 4 + 0.05); Adam
    # 0.2/2.05 against 0.2/(2 + 0.05/sqrt(0.001)): all apart by far more than rounding
    k = path(make_optimizer(name, lr=0.1, eps=0.05, convention="keras"), THETA0, 20)
    p = path(make_optimizer(name, lr=0.1, eps=0.05, convention="pytorch"), THETA0, 20)
    assert np.abs(k[1] - p[1]).max() > 5e-4
    # textbook is pytorch's formula for these three
    t = path(make_optimizer(name, lr=0.1, eps=0.05, convention="textbook"), THETA0, 20)
    np.testing.assert_allclose(t, p, rtol=1e-15, atol=0)


def test_adamw_decay_is_decoupled_on_a_flat_surface():
    theta0 = np.array([0.8, -1.5])
    opt = adamw(lr=0.1, weight_decay=0.3)
    # One update with g = 0: m = v = 0, the Adam part is 0/(0 + ε) = 0, the step is exactly -η λ θ.
    step, _ = opt.update(np.zeros((1, 2)), opt.init(theta0[None]), theta0[None], None)
    np.testing.assert_array_equal(step[0], -0.1 * 0.3 * theta0)
    # Over many steps θ_t = (1 - ηλ)^t θ0 on f = 0, in every convention.
    for convention in ("pytorch", "keras", "textbook"):
        traj = path(adamw(lr=0.1, weight_decay=0.3, convention=convention), theta0, 40, FLAT)
        np.testing.assert_allclose(traj, (1 - 0.03) ** np.arange(41)[:, None] * theta0, rtol=1e-13)
    # Plain Adam does not move at all where the gradient is zero...
    np.testing.assert_array_equal(path(adam(lr=0.1), theta0, 5, FLAT), np.tile(theta0, (6, 1)))
    # ...and Adam with L2 decay normalises it: the first step is η·sign(θ), not η λ θ.
    np.testing.assert_allclose(path(adam(lr=0.1, weight_decay=0.3, eps=1e-12), theta0, 1, FLAT)[1],
                               theta0 - 0.1 * np.sign(theta0), rtol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta"])
def test_keras_weight_decay_is_decoupled(name):
    """In Keras every optimizer decays θ by η λ θ before its own step, from the same gradient.

    So on the flat surface f = 0 (g = 0) its step is exactly -η λ θ for the plain methods; for
    AdaGrad/RMSprop/AdaDelta the gradient-driven part is 0 too (0/sqrt(s + ε)).
    """
    theta0 = np.array([0.8, -1.5])
    opt = make_optimizer(name, lr=0.1, weight_decay=0.3, convention="keras")
    np.testing.assert_allclose(path(opt, theta0, 1, FLAT)[1], theta0 - 0.1 * 0.3 * theta0, rtol=1e-15)


def test_schedule_multiplies_the_rate_of_every_update():
    # sgd with exponential(0.5) on x² + y²: θ_t = (1 - 2 η 0.5^(t-1)) θ_{t-1}, η = 0.2
    expected = [np.array(THETA0)]
    for t in range(1, 6):
        expected.append((1 - 2 * 0.2 * 0.5 ** (t - 1)) * expected[-1])
    np.testing.assert_allclose(path(sgd(lr=0.2, schedule=schedules.exponential(0.5)), THETA0, 5),
                               expected, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# Gradient noise.

def noisy(seed, sigma=0.5, name="sgd", **kw):
    return make_optimizer(name, lr=kw.pop("lr", 0.05), noise=sigma, seed=seed, **kw)


def test_noise_is_reproducible():
    a = path(noisy(3), THETA0, 30)
    np.testing.assert_array_equal(a, path(noisy(3), THETA0, 30))
    assert np.abs(a - path(noisy(4), THETA0, 30)).max() > 1e-3
    assert np.abs(a - path(sgd(lr=0.05), THETA0, 30)).max() > 1e-3


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
def test_a_runs_noise_is_the_same_alone_or_in_a_batch(name):
    seeds = np.array([3, 7, 11, 7])
    starts = BATCH_STARTS[[0, 1, 2, 1]]  # (4, 2); runs 1 and 3 are the same run
    together = run(noisy(seeds, name=name), starts, 25, ROSENBROCK)
    for i, seed in enumerate(seeds):
        alone = path(noisy(int(seed), name=name), starts[i], 25, ROSENBROCK)
        np.testing.assert_array_equal(together.positions[:, i], alone)
    np.testing.assert_array_equal(together.positions[:, 1], together.positions[:, 3])


def test_noise_per_run_sigma_zero_run_is_noiseless():
    sigma = np.array([0.0, 0.4])
    traj = run(make_optimizer("momentum", lr=0.01, noise=sigma, seed=np.array([5, 6])),
               np.array([THETA0, THETA0]), 20)
    np.testing.assert_array_equal(traj.positions[:, 0], path(momentum(lr=0.01), THETA0, 20))
    assert np.abs(traj.positions[:, 1] - traj.positions[:, 0]).max() > 1e-3


def test_noise_draws_are_standard_normal():
    """Mean ≈ 0, std ≈ 1, x and y uncorrelated, over 20 000 seeds and over 20 000 updates."""
    n = 20_000
    across_seeds = standard_normal(np.arange(n), 1)  # (n, 2)
    across_updates = np.array([standard_normal(np.array([42]), t)[0] for t in range(1, n + 1)])
    for draws in (across_seeds, across_updates):
        assert draws.shape == (n, 2) and np.isfinite(draws).all()
        assert np.all(np.abs(draws.mean(axis=0)) < 5 / math.sqrt(n))  # 5 standard errors
        assert np.all(np.abs(draws.std(axis=0) - 1) < 0.03)
        assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.03
        assert 0.6 < np.mean(np.abs(draws) < 1) < 0.76  # P(|ξ| < 1) = 0.683
    # consecutive updates are not correlated
    assert abs(np.corrcoef(across_updates[:-1, 0], across_updates[1:, 0])[0, 1]) < 0.03


def test_gradient_noise_has_sigma_std_through_the_optimizer():
    # SGD with η = 1 on f = 0: θ_t - θ_{t-1} = -(0 + σ ξ_t), so the steps are the noise itself
    sigma, n = 0.3, 5000
    steps = np.diff(path(make_optimizer("sgd", lr=1.0, noise=sigma, seed=9), (0.0, 0.0), n, FLAT), axis=0)
    assert np.all(np.abs(steps.mean(axis=0)) < 5 * sigma / math.sqrt(n))
    assert np.all(np.abs(steps.std(axis=0) / sigma - 1) < 0.05)


def test_zero_noise_leaves_the_optimizer_untouched():
    plain = make_optimizer("adam", lr=0.05)
    zero = make_optimizer("adam", lr=0.05, noise=0.0, seed=3)
    assert "noise" not in zero.hyperparams
    np.testing.assert_array_equal(path(zero, (-1.2, 1.0), 30, ROSENBROCK), path(plain, (-1.2, 1.0), 30, ROSENBROCK))
    wrapped = with_gradient_noise(plain, 0.0, 3)  # g + 0·ξ = g exactly
    np.testing.assert_array_equal(path(wrapped, (-1.2, 1.0), 30, ROSENBROCK),
                                  path(plain, (-1.2, 1.0), 30, ROSENBROCK))


def test_noise_rejects_bad_seeds():
    for seed in (-1, 1.5, np.array([[1, 2]]), np.array([1.0, 2.0])):
        with pytest.raises(ValueError, match="seed"):
            make_optimizer("sgd", noise=0.1, seed=seed)


# ---------------------------------------------------------------------------------------------
# make_optimizer validation.

def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="adabound") as info:
        make_optimizer("adabound")
    assert "adam" in str(info.value)  # and lists the choices


@pytest.mark.parametrize("name,bad", [("sgd", "beta"), ("adam", "momentum"), ("rmsprop", "alpha"),
                                      ("newton", "weight_decay"), ("adadelta", "rho")])
def test_make_optimizer_rejects_unknown_hyperparameters(name, bad):
    with pytest.raises(ValueError, match=repr(bad)):
        make_optimizer(name, **{bad: 0.5})


BAD_VALUES = [
    ("sgd", "lr", 0.0), ("sgd", "lr", -0.1), ("adam", "lr", float("nan")), ("adam", "lr", "fast"),
    ("momentum", "lr", np.array([0.1, 0.0])),
    ("momentum", "beta", 1.0), ("momentum", "beta", -0.1), ("nesterov", "beta", 1.5),
    ("rmsprop", "beta", 1.0), ("adadelta", "beta", -1e-3),
    ("adam", "beta1", 1.0), ("adam", "beta2", 1.0), ("adamw", "beta2", -0.5),
    ("adam", "beta1", np.array([0.9, 1.0])),
    ("adagrad", "eps", -1e-10), ("adam", "eps", -1e-8), ("rmsprop", "eps", float("inf")),
    ("sgd", "weight_decay", -0.1), ("adamw", "weight_decay", -1e-3), ("adagrad", "weight_decay", np.array([0.1, -1.0])),
    ("newton", "damping", -1.0),
]


@pytest.mark.parametrize("name,param,value", BAD_VALUES, ids=[f"{n}-{p}-{v}" for n, p, v in BAD_VALUES])
def test_make_optimizer_rejects_out_of_range_values_naming_them(name, param, value):
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        make_optimizer(name, **{param: value})


def test_make_optimizer_rejects_bad_convention_and_noise():
    with pytest.raises(ValueError, match="convention"):
        make_optimizer("sgd", convention="tensorflow")
    for factory in (sgd, momentum, adagrad, adadelta, adam, newton):
        with pytest.raises(ValueError, match="convention"):
            factory(convention="Keras ")
    with pytest.raises(ValueError, match="noise"):
        make_optimizer("sgd", noise=-0.1)


def test_make_optimizer_accepts_range_ends_and_uses_defaults():
    for name, specs in HYPERPARAMETERS.items():
        make_optimizer(name)
        for spec in specs:
            if not spec.low_open:
                make_optimizer(name, **{spec.name: spec.low})
            if not spec.high_open:
                make_optimizer(name, **{spec.name: spec.high})
    # β = 0 is allowed, β just under 1 is allowed
    make_optimizer("momentum", beta=0.0)
    make_optimizer("adam", beta2=0.999999)
    # the defaults are those of torch.optim (Adadelta: lr 1, ρ 0.9, ε 1e-6; RMSprop: α 0.99, ε 1e-8; ...)
    defaults = {n: {p.name: p.default for p in specs} for n, specs in HYPERPARAMETERS.items()}
    assert defaults["adam"] == dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    assert defaults["adamw"]["weight_decay"] == 0.01
    assert defaults["rmsprop"] == dict(lr=0.01, beta=0.99, eps=1e-8, weight_decay=0.0)
    assert defaults["adagrad"] == dict(lr=0.01, eps=1e-10, weight_decay=0.0)
    assert defaults["adadelta"] == dict(lr=1.0, beta=0.9, eps=1e-6, weight_decay=0.0)


def test_make_optimizer_rejects_hyperparameter_arrays_of_different_runs():
    with pytest.raises(ValueError, match="runs"):
        make_optimizer("momentum", lr=np.array([0.1, 0.2]), beta=np.array([0.9, 0.5, 0.0]))
