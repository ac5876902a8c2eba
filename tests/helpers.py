"""Helpers several test modules share: finite differences, sample points, and the schedules the
reference cases (``tests/reference/*.json``) name."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from optviz import schedules

# With h = 1e-5 a central difference is off by about h^2/6 |F'''| (truncation) plus
# eps |F| / h (rounding), both ~2e-11 times the size of the numbers involved. We allow
# 1e-6 times the local scale (1 + |f| + |grad| for the gradient, 1 + |grad| + |H| for the
# Hessian): five orders of magnitude of headroom, while a wrong or missing term is off by
# a fraction of the scale itself.
H_STEP, RTOL = 1e-5, 1e-6


def central_difference(f, p: np.ndarray, h: float = H_STEP) -> np.ndarray:
    """``(f(p + h e_k) - f(p - h e_k)) / 2h`` for k = x, y, stacked on a new last axis."""
    return np.stack([(f(p + e) - f(p - e)) / (2 * h) for e in h * np.eye(2)], axis=-1)


def random_points(bounds, n: int = 200, seed: int = 0) -> np.ndarray:
    """(n, 2) points drawn uniformly from ``bounds`` ((xmin, xmax), (ymin, ymax))."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = bounds
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)  # (n, 2)


def schedule_from_spec(spec: dict | None) -> schedules.Schedule:
    """The OptViz schedule a reference case names, built directly rather than through ``parse``.

    None (a case without a scheduler, or a warm-up over nothing) is the constant schedule.
    """
    if spec is None:
        return schedules.constant()
    kind = spec["kind"]
    if kind == "constant":
        return schedules.constant()
    if kind == "step_decay":
        return schedules.step_decay(spec["every"], spec["factor"])
    if kind == "exponential":
        return schedules.exponential(spec["gamma"])
    if kind == "cosine":
        return schedules.cosine(spec["period"], spec["floor"])
    if kind == "warmup":
        return schedules.warmup(spec["steps"], schedule_from_spec(spec["then"]))
    raise AssertionError(f"unknown schedule spec {spec}")


def torch_reference() -> dict:
    """The torch reference data as one ``{"meta", "cases", "not_equal"}``.

    ``tests/reference/make_torch_reference.py`` writes one file per optimizer,
    ``tests/reference/torch/<name>.json``, plus ``schedules.json`` (the scheduled cases and
    ``not_equal``); every file carries the same ``meta``. Files are read in name order.
    """
    parts = [json.loads(p.read_text()) for p in sorted((Path(__file__).parent / "reference" / "torch").glob("*.json"))]
    assert parts and all(part["meta"] == parts[0]["meta"] for part in parts), "regenerate tests/reference/torch/"
    return {"meta": parts[0]["meta"], "cases": [c for part in parts for c in part["cases"]],
            "not_equal": [c for part in parts for c in part.get("not_equal", [])]}


def thirdparty_reference(name: str) -> dict:
    """``tests/reference/thirdparty/<name>.json``: ``{"meta", "cases"}`` recorded from an optimizer's reference
    package by ``tests/reference/make_thirdparty_reference.py`` (torch.optim has no such optimizer)."""
    return json.loads((Path(__file__).parent / "reference" / "thirdparty" / f"{name}.json").read_text())


def replay_thirdparty_case(case: dict, internals: bool = False):
    """The OptViz run of a third-party reference case (``convention="pytorch"``, no schedule): its Trajectory.

    The surfaces are OptViz's own (``surfaces.get_surface``): the same formulas the reference wrote in torch.
    """
    from optviz.optimizers import make_optimizer
    from optviz.simulate import simulate
    from surfaces import get_surface

    optimizer = make_optimizer(case["optimizer"], **case["optviz_kwargs"])
    traj = simulate(get_surface(case["surface"]), optimizer, case["start"], case["steps"], tol=0,
                    record_internals=internals)
    assert list(traj.status) == ["running"], "a reference run must not be frozen by OptViz"
    return traj


def check_thirdparty_meta(reference: dict, package: str, version: str) -> None:
    """The data is what make_thirdparty_reference.py claims: float64 torch 2.13, the named package at its version."""
    meta, cases = reference["meta"], reference["cases"]
    assert meta["torch_version"].startswith("2.13.0") and meta["dtype"] == "float64"
    assert cases and {(c["package"], c["version"]) for c in cases} == {(package, version)}
    assert {c["surface"] for c in cases} == {"quadratic", "rosenbrock", "saddle"}
    for c in cases:
        assert c["positions"][0] == c["start"] and len(c["positions"]) == c["steps"] + 1
    path = Path(__file__).parent / "reference" / "thirdparty" / f"{cases[0]['optimizer']}.json"
    assert path.stat().st_size < 400_000  # the per-file cap of tests/test_optimizers.py


def assert_batch_equals_runs(builder, arrays: dict, surface, start=(-1.2, 1.0), steps: int = 50) -> None:
    """Hyperparameters given as arrays (one value per run) trace the same paths as each run alone.

    To 1e-12 relative: the same operations per element, but NumPy's vectorized and scalar paths
    of power and square root may differ in the last bit, which 50 steps can grow by a few orders.
    """
    from optviz import simulate

    batch = simulate(surface, builder(**{k: np.array(v) for k, v in arrays.items()}), list(start), steps,
                     tol=0, record_internals=False).positions
    for i in range(len(next(iter(arrays.values())))):
        alone = simulate(surface, builder(**{k: v[i] for k, v in arrays.items()}), list(start), steps,
                         tol=0, record_internals=False).positions[:, 0]
        np.testing.assert_allclose(batch[:, i], alone, rtol=1e-12)


def assert_zero_eps_steps_0_as_a_limit(name: str) -> None:
    """With ε = 0, a coordinate whose gradient is exactly 0 (the saddle's y from y = 0) takes 0/0: the
    optimizer must step 0 there (its effective rate NaN), and "explain this step" must write that
    coordinate as the limit, ending in 0, and still reproduce the recorded position."""
    from optviz.classroom.explain import explain_step
    from optviz.race import OptimizerConfig, RaceConfig, run_race

    cfg = OptimizerConfig(name).with_values(eps=0.0, lr=0.01)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=3, optimizers=(cfg,)))
    assert np.all(traj.positions[:, 0, 1] == 0.0) and np.all(np.isnan(traj.internals["effective_lr"][1:, 0, 1]))
    for step in (1, 3):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.reproduces is True
        limits = [line for line in e.substituted_latex if r"\lim" in line]
        assert len(limits) == 1 and limits[0].startswith(f"y_{{{step}}} = ") and limits[0].endswith(" = 0")
