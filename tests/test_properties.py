"""Hardening properties of the core: ``simulate`` is total, quiet and self-consistent everywhere.

Hypothesis draws every optimizer × surface (all registered ones, some at the ends of their
parameter ranges, and typed ones) × convention, with hyperparameters at and inside the edges the
core accepts (lr up to 100, ε down to 0, β up to 1 − 2⁻⁵³ — the app's ladder stops at 0.9999,
the core only asks β < 1 —, weight decay up to 10, noise up to 100, every schedule, with and
without warm-up), starts far outside the plot (up to 1e6, just past the divergence radius,
1e300, NaN, ±inf) and 1..300 steps. For every draw:

- ``simulate`` returns (never raises) and emits no warning of any kind;
- every run ends ``running``, ``converged`` or ``diverged``, with ``stop_step == -1`` exactly
  when it is running and ``0 ≤ stop_step ≤ steps`` otherwise;
- every stored position, loss and gradient is finite;
- from its stop step on, a run's position, loss and gradient no longer change;
- a batch (several starts, several optimizers, or a hyperparameter sweep) equals the same runs
  simulated alone, bit for bit.

Hypothesis samples that space; the full cross product surface × optimizer × convention is also
run outright, at the corners of the hyperparameter box (all at the top with noise 100, all at
the bottom, the top with ε = 0), from the far starts.

``optviz.share.decode`` never raising on arbitrary query dicts is already a property in
tests/test_share.py (``test_decode_never_raises``); here a link carrying extreme but legal values
is followed one step further: the race it decodes to must also run cleanly.

The profile is derandomized and database-free, so CI sees the same examples on every run.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import schedules
from optviz.optimizers import CONVENTIONS, HAS_BIAS_CORRECTION, HYPERPARAMETERS, NOISE, OPTIMIZERS, SPECS, make_optimizer
from optviz.race import RaceConfig, run_race
from optviz.share import AppState, decode
from optviz.simulate import default_divergence_radius, simulate
from optviz.trajectory import CONVERGED, DIVERGED, RUNNING, SADDLE, indefinite
from surfaces import SURFACES, custom_surface, get_surface

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
QUICK = settings(PROPERTY, max_examples=60)

MAX_STEPS = 300
BETA_TOP = math.nextafter(1.0, 0.0)  # 1 − 2⁻⁵³: the largest β the core accepts
TINY = 5e-324  # the smallest positive double (subnormal)


# ------------------------------------------------------------------------------------ surfaces

def _surfaces() -> dict:
    built = {name: get_surface(name) for name in SURFACES}
    built |= {
        "ravine@1000,180": get_surface("ravine", condition=1000, angle=180),
        "ravine@1,0": get_surface("ravine", condition=1, angle=0),
        "plateau@0.25": get_surface("plateau", width=0.25),
        "plateau@2": get_surface("plateau", width=2.0),
        # typed surfaces: the app's default, one with inf/nan regions, one huge box
        "custom": custom_surface("x**2 + 3*sin(y) - 0.5*x*y"),
        "custom/log-sqrt-exp": custom_surface("log(x^2 + y^2) + sqrt(abs(x)) + exp(y)", bounds=((-5, 5), (-5, 5))),
        "custom/wide": custom_surface("x^4 - 3*x*y + y^2 + 1/(1 + x^2)", bounds=((-500, 500), (-1, 999))),
    }
    return built


SURFACE_MAP = _surfaces()
surface_names = st.sampled_from(sorted(SURFACE_MAP))


# ------------------------------------------------------------------------------ hyperparameters

def _edges(spec) -> list[float]:
    """The values a careless (or curious) user reaches first: the ends of the range and beyond the ladders.

    A hyperparameter not listed is tried at the ends of its range and just above 0.
    """
    special = {
        "lr": [100.0, 50.0, 10.0, 1.0, 1e-3, 1e-12, TINY],
        "beta": [0.0, 0.5, 0.9, 0.9999, 0.99999, BETA_TOP],
        "beta1": [0.0, 0.9, 0.9999, 0.99999, BETA_TOP],
        "beta2": [0.0, 0.5, 0.999, 0.99999, BETA_TOP],
        "eps": [0.0, TINY, 1e-300, 1e-12, 1e-8, 1.0],
        "weight_decay": [0.0, 1e-4, 1.0, 10.0],
        "damping": [0.0, 1e-12, 1.0, 100.0],
        "noise": [0.0, 1e-6, 1.0, 100.0],
    }
    return [v for v in special.get(spec.name, [spec.low, TINY, spec.high]) if _legal(spec, v)]


def _legal(spec, value: float) -> bool:
    try:
        spec.check(value)
    except ValueError:
        return False
    return True


def value_of(spec) -> st.SearchStrategy[float]:
    """A legal value of ``spec``: an edge (often) or anything in its range."""
    inside = st.floats(spec.low, spec.high, exclude_min=spec.low_open, exclude_max=spec.high_open,
                       allow_nan=False, allow_subnormal=spec.low == 0.0)  # only a range from 0 holds subnormals
    return st.sampled_from(_edges(spec)) | inside


@st.composite
def schedule_specs(draw) -> schedules.Schedule | None:
    kind = draw(st.sampled_from(["none", "constant", "step", "exp", "cosine"]))
    base = {
        "none": lambda: None,
        "constant": schedules.constant,
        "step": lambda: schedules.step_decay(draw(st.integers(1, 400)),
                                             draw(st.sampled_from([1.0, 0.5, TINY]) | st.floats(TINY, 1.0))),
        "exp": lambda: schedules.exponential(draw(st.sampled_from([1.0, 0.99, TINY]) | st.floats(TINY, 1.0))),
        "cosine": lambda: schedules.cosine(draw(st.integers(1, 400)), draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 1))),
    }[kind]()
    if draw(st.booleans()):  # warm-up over any of them, shorter or longer than the run
        return schedules.warmup(draw(st.sampled_from([1, MAX_STEPS, 2000]) | st.integers(1, 400)), base)
    return base


@st.composite
def optimizer_settings(draw, name: str | None = None) -> tuple[str, dict]:
    """``(name, make_optimizer keywords)`` with every hyperparameter drawn, extremes favoured."""
    name = name or draw(st.sampled_from(list(OPTIMIZERS)))
    kwargs = {p.name: draw(value_of(p)) for p in HYPERPARAMETERS[name]}
    kwargs |= dict(convention=draw(st.sampled_from(SPECS[name].conventions)), schedule=draw(schedule_specs()),
                   noise=draw(value_of(NOISE)), seed=draw(st.integers(0, 2**63 - 1)))
    if name in HAS_BIAS_CORRECTION:
        kwargs["bias_correction"] = draw(st.booleans())
    return name, kwargs


# -------------------------------------------------------------------------------------- starts

@st.composite
def coordinates(draw, surface) -> float:
    radius = default_divergence_radius(surface)
    (x0, x1), (y0, y1) = surface.bounds
    far = [0.0, -0.0, 1e6, -1e6, radius, -radius, math.nextafter(radius, math.inf), 2 * radius, 1e154, 1e300,
           -1e300, TINY, float("nan"), float("inf"), float("-inf")]
    return draw(st.sampled_from(far) | st.floats(min(x0, y0), max(x1, y1)) | st.floats(-1e6, 1e6)
                | st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def start_batches(draw, surface, max_runs: int = 4) -> np.ndarray:
    """(runs, 2) starts; the surface's own start first, so one run is usually a sane one."""
    runs = draw(st.integers(1, max_runs))
    points = [[draw(coordinates(surface)), draw(coordinates(surface))] for _ in range(runs)]
    if draw(st.booleans()):
        points[0] = list(surface.start)
    return np.array(points, dtype=float)


# ------------------------------------------------------------------------------------- checks

def quietly(function, *args, **kwargs):
    """Call with every warning turned into an error: a warning anywhere fails the property."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args, **kwargs)


def check_trajectory(traj, steps: int) -> None:
    runs = traj.positions.shape[1]
    assert traj.positions.shape == (steps + 1, runs, 2)
    assert traj.loss.shape == (steps + 1, runs)
    assert traj.grad is None or traj.grad.shape == (steps + 1, runs, 2)  # None: simulated without internals
    assert traj.status.shape == (runs,) and traj.stop_step.shape == (runs,)
    recorded = [("positions", traj.positions), ("loss", traj.loss)] + ([("grad", traj.grad)] if traj.grad is not None else [])
    for what, array in recorded:
        assert np.isfinite(array).all(), f"non-finite {what} in runs {np.nonzero(~np.isfinite(array).reshape(steps + 1, runs, -1).all(axis=(0, 2)))[0]}"
    for run in range(runs):
        status, stop = traj.status[run], int(traj.stop_step[run])
        assert status in (RUNNING, CONVERGED, DIVERGED, SADDLE), status
        assert (status == RUNNING) == (stop == -1), (status, stop)
        if status == RUNNING:
            continue
        assert 0 <= stop <= steps, (status, stop, steps)
        if status in (CONVERGED, SADDLE):
            assert stop >= 1, "a run cannot converge before its first step"
            # a stationary stop is a saddle exactly where the surface's Hessian there is indefinite; the
            # Hessian is evaluated as simulate evaluates it, overflow allowed (a stop far out, radius ∞:
            # an overflowed Hessian is not indefinite, so such a stop counts as converged in both)
            with np.errstate(all="ignore"):
                hessian = traj.surface.hessian(traj.positions[stop, run])
            assert (status == SADDLE) == bool(indefinite(hessian)), status
        for what, array in recorded:
            after = array[stop:, run]
            assert (after == after[0]).all(), f"run {run} ({status} at {stop}): its {what} moved afterwards"


def assert_same_run(batch, i: int, alone, j: int = 0) -> None:
    """Run ``i`` of ``batch`` is bit-for-bit run ``j`` of ``alone``."""
    np.testing.assert_array_equal(batch.positions[:, i], alone.positions[:, j])
    np.testing.assert_array_equal(batch.loss[:, i], alone.loss[:, j])
    np.testing.assert_array_equal(batch.grad[:, i], alone.grad[:, j])
    assert batch.status[i] == alone.status[j] and batch.stop_step[i] == alone.stop_step[j]


# ---------------------------------------------------------------------------------- properties

@PROPERTY
@given(data=st.data(), surface_name=surface_names, steps=st.integers(1, MAX_STEPS),
       contestants=st.lists(optimizer_settings(), min_size=1, max_size=3),
       tol=st.sampled_from([1e-8, 0.0, 1e-2, 1e3]), radius=st.sampled_from([None, None, math.inf, 1.0]),
       internals=st.booleans())
def test_simulate_is_total_quiet_and_consistent(data, surface_name, steps, contestants, tol, radius, internals):
    """Any optimizer(s), any legal settings, any start, any surface: a clean, self-consistent record.

    Also with no convergence test (tol = 0), a loose one, no divergence radius at all (only
    overflow stops a run) and a tight one, with and without recorded internals.
    """
    surface = SURFACE_MAP[surface_name]
    starts = data.draw(start_batches(surface), label="starts")
    optimizers = [make_optimizer(name, **kwargs) for name, kwargs in contestants]
    traj = quietly(simulate, surface, optimizers, starts, steps, tol=tol, divergence_radius=radius,
                   record_internals=internals)
    assert traj.runs == len(starts) * len(optimizers)
    check_trajectory(traj, steps)
    if tol == 0:
        assert CONVERGED not in traj.status
    limit = default_divergence_radius(surface) if radius is None else radius
    for run, point in enumerate(np.tile(starts, (len(optimizers), 1))):
        valid_start = (np.isfinite(point).all() and (np.abs(point) <= limit).all())
        if not valid_start:  # a start off the map or not a number: stopped before the first step
            assert traj.status[run] == DIVERGED and traj.stop_step[run] == 0


@QUICK
@given(data=st.data(), surface_name=surface_names, steps=st.integers(1, MAX_STEPS),
       contestants=st.lists(optimizer_settings(), min_size=1, max_size=3))
def test_a_batch_equals_its_runs_alone(data, surface_name, steps, contestants):
    """Several starts and several optimizers in one call equal each (optimizer, start) on its own."""
    surface = SURFACE_MAP[surface_name]
    starts = data.draw(start_batches(surface, max_runs=3), label="starts")
    optimizers = [make_optimizer(name, **kwargs) for name, kwargs in contestants]
    batch = quietly(simulate, surface, optimizers, starts, steps)
    picks = data.draw(st.lists(st.integers(0, batch.runs - 1), min_size=1, max_size=3, unique=True), label="runs")
    for run in picks:
        k, i = divmod(run, len(starts))
        alone = quietly(simulate, surface, optimizers[k], starts[i], steps)
        check_trajectory(alone, steps)
        assert_same_run(batch, run, alone)


@QUICK
@given(data=st.data(), surface_name=surface_names, steps=st.integers(1, MAX_STEPS),
       name=st.sampled_from(list(OPTIMIZERS)), runs=st.integers(2, 4))
def test_a_hyperparameter_sweep_equals_its_runs_alone(data, surface_name, steps, name, runs):
    """Array hyperparameters (one value per run, as the sweeps use them) equal each value on its own.

    The single run gets its values as one-element arrays: scalars take Python's float path,
    whose ``β**t`` may differ from NumPy's in the last bit, and a last-bit difference grows
    without bound at lr = 100 (tests/test_optimizers.py allows one ulp for that comparison).
    """
    surface = SURFACE_MAP[surface_name]
    settings_ = [data.draw(optimizer_settings(name), label=f"run {i}")[1] for i in range(runs)]
    first = settings_[0]
    swept = {p.name: np.array([s[p.name] for s in settings_]) for p in HYPERPARAMETERS[name]}
    swept |= dict(noise=np.array([s["noise"] for s in settings_]), seed=np.array([s["seed"] for s in settings_],
                                                                                 dtype=np.uint64))
    shared = {k: first[k] for k in ("convention", "schedule", "bias_correction") if k in first}
    start = data.draw(start_batches(surface, max_runs=1), label="start")[0]
    batch = quietly(simulate, surface, make_optimizer(name, **swept, **shared), start, steps)
    assert batch.runs == runs
    check_trajectory(batch, steps)
    for i in data.draw(st.lists(st.integers(0, runs - 1), min_size=1, max_size=2, unique=True), label="picks"):
        one = {k: v[i:i + 1] for k, v in swept.items()}
        alone = quietly(simulate, surface, make_optimizer(name, **one, **shared), start, steps)
        assert_same_run(batch, i, alone)


def _corners(name: str) -> list[tuple[dict, float]]:
    """(hyperparameters, noise) at the corners: all at the top, all at the bottom, the top with ε = 0."""
    top = {p.name: (p.high if not p.high_open else BETA_TOP) for p in HYPERPARAMETERS[name]}
    bottom = {p.name: (p.low if not p.low_open else TINY) for p in HYPERPARAMETERS[name]}
    return [(top, 100.0), (bottom, 0.0), (top | ({"eps": 0.0} if "eps" in top else {}), 0.0)]


CORNER_STEPS = 150
CORNER_SCHEDULE = schedules.warmup(20, schedules.step_decay(40, 0.5))  # ramps up, then halves: never 0


@pytest.mark.parametrize("surface_name", sorted(SURFACE_MAP))
def test_every_optimizer_and_convention_at_the_corners(surface_name):
    """The full cross product the strategies only sample: every surface × optimizer × convention,
    at the corners of the hyperparameter box, with a warm-up schedule, from the far starts."""
    surface = SURFACE_MAP[surface_name]
    radius = default_divergence_radius(surface)
    starts = np.array([surface.start, [1e6, -1e6], [radius, -radius], [math.nextafter(radius, math.inf), 0.0],
                       [np.nan, 0.0], [np.inf, -np.inf], [1e300, 1e300]])
    for convention in CONVENTIONS:
        for corner in range(3):
            optimizers = []
            for name in (name for name, spec in SPECS.items() if convention in spec.conventions):
                values, noise = _corners(name)[corner]
                optimizers.append(make_optimizer(name, convention=convention, schedule=CORNER_SCHEDULE, noise=noise,
                                                 seed=7, **values))
            traj = quietly(simulate, surface, optimizers, starts, CORNER_STEPS, record_internals=False)
            check_trajectory(traj, CORNER_STEPS)
            assert list(traj.status[4::len(starts)]) == [DIVERGED] * len(optimizers)  # the NaN start


# ------------------------------------------------------------------------------ links to races

LINK_DEFAULTS = AppState(RaceConfig(surface="rosenbrock", steps=50, optimizers=()), view="race", lang="en")


def _text(value: float) -> str:
    return repr(float(value))


@st.composite
def extreme_links(draw) -> dict[str, str]:
    """A link as the address bar carries it, with legal but extreme values everywhere."""
    names = draw(st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=4))
    link = {"s": draw(st.sampled_from(list(SURFACES))), "n": str(draw(st.integers(1, 200))), "o": "~".join(names)}
    if draw(st.booleans()):
        far = st.sampled_from([1e6, -1e6, 1e4, -1e300, 0.0]) | st.floats(-1e6, 1e6)
        link |= {"x0": _text(draw(far)), "y0": _text(draw(far))}
    short = {"beta": "b", "beta1": "b1", "beta2": "b2", "weight_decay": "wd", "damping": "damp"}
    for k, name in enumerate(names, 1):
        _, kwargs = draw(optimizer_settings(name))
        for p in HYPERPARAMETERS[name]:
            if draw(st.booleans()):
                link[f"o{k}.{short.get(p.name, p.name)}"] = _text(kwargs[p.name])
        link[f"o{k}.c"] = kwargs["convention"]
        link[f"o{k}.noise"] = _text(kwargs["noise"])
        link[f"o{k}.seed"] = str(draw(st.integers(0, 2**31 - 1)))
        link[f"o{k}.sch"] = draw(st.sampled_from(["constant", "step~1~0.1_warmup~50", "exp~0.5", "cosine~3",
                                                  "cosine~200~1_warmup~1", "constant_warmup~2000"]))
    return link


@QUICK
@given(link=extreme_links())
def test_a_link_with_extreme_values_decodes_to_a_race_that_runs_cleanly(link):
    state, _ = quietly(decode, {key: [value] for key, value in link.items()}, LINK_DEFAULTS)
    traj = quietly(run_race, state.config)
    check_trajectory(traj, state.config.steps)
    assert traj.runs == len(state.config.optimizers)
