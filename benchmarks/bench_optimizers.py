"""Every registered optimizer, 10,000 runs on the quadratic: ``simulate`` against a bare NumPy loop and the reference.

For each spec in the registry (new modules are picked up without an edit here), in nanoseconds per
run-step, best of ``--repeats`` rounds with the contenders taking turns so a busy machine slows all alike:

- ``vectorized``: ``simulate`` with ``record_internals=False`` (positions and loss only), ``tol=0``;
- ``internals``: the same with ``record_internals=True`` (gradients and every internal recorded);
- ``loop``: a bare NumPy loop of the same arithmetic, recording positions and loss each step and doing
  nothing else, where one is written (SGD, heavy-ball momentum, Adam); ``vec/loop`` is the price of the
  core's bookkeeping, and the loop's positions are checked against ``simulate``'s;
- ``stopped``: how many of the runs diverged and were frozen (``tol=0``, so none converges); a frozen
  run's steps cost less, so a row with many is not comparable;
- ``reference``: the optimizer's reference implementation run the usual way, one trajectory at a time
  (a float64 parameter tensor, the loss through autograd, ``step(closure)``), on ``--reference-runs``
  of the same starts, the fastest trajectory counted (best of, as for the others); ``ref/vec`` is what
  vectorizing over runs buys. The reference is the spec's ``torch.optim`` counterpart, or else the class
  that ``tests/reference/make_thirdparty_reference.py`` names for it (both at the spec's defaults), or
  else the class and settings of the first case another reference script recorded on the quadratic in
  ``tests/reference/thirdparty/<name>.json`` (the table says so). A reference that takes only
  matrices (torch's Muon) gets the position as the 1×2 matrix [[x, y]]. An optimizer with no reference,
  or whose reference does not take the plain ``step(closure)`` protocol (a two-pass step, a wrapper, a
  Hessian argument), gets a dash and the reason.

The test suite never imports torch, and the development environment has none, so the reference
column comes from a second interpreter that has torch and the reference packages. Run::

    python benchmarks/bench_optimizers.py [--runs 10000 --steps 200 --repeats 3 --only adam,sgd]
    python benchmarks/bench_optimizers.py --reference-python /tmp/torchvenv/bin/python   # the whole table

With ``--reference-python`` the script runs itself in that interpreter as
``PYTHONPATH=<repo> <python> benchmarks/bench_optimizers.py --reference --json …`` right after the
vectorized timings and prints the merged table, all ratios from the one run. ``--reference`` alone (in
an interpreter with torch, with the repository on ``PYTHONPATH``) prints just the reference column.

The surface is the quadratic x² + y² (gradient 2θ): smooth, and cheap to evaluate, so the table compares
the optimizers' own arithmetic. Starts are uniform over the plot; every optimizer runs with its defaults
(a reference taken from a recorded case, with that case's settings).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optviz.optimizers import SPECS, make_optimizer  # noqa: E402  (needs the path above under a bare interpreter)
from bench_core import interleaved_best  # noqa: E402  (this folder, the script's own)

SURFACE = "quadratic"
REFERENCE_SCRIPTS = ROOT / "tests" / "reference"


def starts_for(runs: int) -> np.ndarray:
    """(runs, 2) starts uniform over the surface's plot, the same in both interpreters."""
    from surfaces import get_surface

    (x0, x1), (y0, y1) = get_surface(SURFACE).bounds
    rng = np.random.default_rng(0)
    return np.column_stack([rng.uniform(x0, x1, runs), rng.uniform(y0, y1, runs)])


# ------------------------------------------------------------------------------ bare NumPy loops
# Each is torch's arithmetic for the optimizer's defaults on f = x² + y², ∇f = 2θ, written out; each
# records positions (steps+1, runs, 2) and loss (steps+1, runs) and does nothing else.

def loss_of(p: np.ndarray) -> np.ndarray:
    """x² + y² per run, on column views as the surface computes it (a row sum over axis 1 costs ~15× more)."""
    return p[:, 0] ** 2 + p[:, 1] ** 2


def _record(steps: int, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    positions = np.empty((steps + 1,) + p.shape)
    loss = np.empty((steps + 1, p.shape[0]))
    positions[0], loss[0] = p, loss_of(p)
    return positions, loss


def loop_sgd(starts: np.ndarray, steps: int, lr: float) -> np.ndarray:
    """θ_t = θ_{t−1} − η g_t."""
    p = starts.copy()
    positions, loss = _record(steps, p)
    for t in range(1, steps + 1):
        p = p - lr * (2.0 * p)
        positions[t], loss[t] = p, loss_of(p)
    return positions


def loop_momentum(starts: np.ndarray, steps: int, lr: float, beta: float) -> np.ndarray:
    """torch's heavy ball: v_t = β v_{t−1} + g_t (v_1 = g_1), θ_t = θ_{t−1} − η v_t."""
    p = starts.copy()
    v = np.zeros_like(p)
    positions, loss = _record(steps, p)
    for t in range(1, steps + 1):
        v = beta * v + 2.0 * p
        p = p - lr * v
        positions[t], loss[t] = p, loss_of(p)
    return positions


def loop_adam(starts: np.ndarray, steps: int, lr: float, beta1: float, beta2: float, eps: float) -> np.ndarray:
    """torch's Adam: m, v moving averages; θ_t = θ_{t−1} − (η/(1−β1^t))·m_t/(√v_t/√(1−β2^t) + ε)."""
    p = starts.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    positions, loss = _record(steps, p)
    for t in range(1, steps + 1):
        g = 2.0 * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g * g)
        p = p - (lr / (1 - beta1**t)) * (m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps))
        positions[t], loss[t] = p, loss_of(p)
    return positions


def _defaults(name: str) -> dict[str, float]:
    return {h.name: h.default for h in SPECS[name].hyperparameters}


LOOPS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "sgd": lambda starts, steps: loop_sgd(starts, steps, _defaults("sgd")["lr"]),
    "momentum": lambda starts, steps: loop_momentum(starts, steps, _defaults("momentum")["lr"],
                                                    _defaults("momentum")["beta"]),
    "adam": lambda starts, steps: loop_adam(starts, steps, *(_defaults("adam")[k] for k in ("lr", "beta1", "beta2",
                                                                                             "eps"))),
}


# ------------------------------------------------------------------------------ vectorized

def vectorized(names: list[str], runs: int, steps: int, repeats: int) -> dict[str, dict]:
    """{name: {"vectorized", "internals", "loop" (ns per run-step), "stopped", "loop_deviation"}} per optimizer."""
    from optviz import simulate
    from surfaces import get_surface

    surface = get_surface(SURFACE)
    starts = starts_for(runs)
    run_steps = runs * steps
    rows = {}
    for name in names:
        optimizer = make_optimizer(name)

        def positions_only(optimizer=optimizer):
            return simulate(surface, optimizer, starts, steps, record_internals=False, tol=0)

        contenders = {"vectorized": positions_only}
        if name in LOOPS:
            contenders["loop"] = lambda name=name: LOOPS[name](starts, steps)
        best = interleaved_best(repeats, **contenders)
        full = interleaved_best(max(1, repeats - 1), internals=lambda optimizer=optimizer: simulate(
            surface, optimizer, starts, steps, record_internals=True, tol=0))["internals"][0]
        row = {"vectorized": 1e9 * best["vectorized"][0] / run_steps, "internals": 1e9 * full / run_steps,
               "stopped": int(np.count_nonzero(best["vectorized"][1].status != "running"))}
        if name in LOOPS:
            traj, loop_positions = best["vectorized"][1], best["loop"][1]
            moved = traj.status == "running"  # tol=0: only a diverged run stops, and the loop does not freeze it
            scale = np.maximum(np.abs(loop_positions[:, moved]), 1e-300)
            row["loop"] = 1e9 * best["loop"][0] / run_steps
            row["loop_deviation"] = float(np.max(np.abs(traj.positions[:, moved] - loop_positions[:, moved]) / scale,
                                                 initial=0.0))
        rows[name] = row
        print(f"  timed {name}", file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------------------ the reference, one run at a time

class NoReference(Exception):
    """Why an optimizer gets no reference timing."""


def recorded_case(name: str) -> dict:
    """The first case ``tests/reference/thirdparty/<name>.json`` records on the benchmark's surface."""
    path = REFERENCE_SCRIPTS / "thirdparty" / f"{name}.json"
    if not path.exists():
        raise NoReference("no reference implementation recorded")
    cases = json.loads(path.read_text())["cases"]
    return next((case for case in cases if case.get("surface") == SURFACE), cases[0])


def reference_of(name: str, torch, references: dict, load_class) -> tuple[str, Callable, dict]:
    """(what, class, keyword arguments) of the reference an optimizer is checked against.

    In order: the spec's torch.optim counterpart at the spec's defaults; the class that
    ``make_thirdparty_reference.py`` names, at the defaults; else the class and keyword arguments of the
    first case a reference script recorded in ``thirdparty/<name>.json`` (that case's hyperparameters).
    """
    spec, defaults = SPECS[name], _defaults(name)
    if spec.torch is not None:
        return f"torch.optim.{spec.torch.cls}", getattr(torch.optim, spec.torch.cls), spec.torch.kwargs(defaults)
    if name in references:
        path, kwargs, note = references[name].cls, references[name].kwargs(defaults), ""
    else:
        case = recorded_case(name)
        path, kwargs, note = case["class"], case["kwargs"], " (its recorded case's settings)"
        if not re.fullmatch(r"[\w.]+", path):
            raise NoReference(f"recorded as {path}: not one class stepped the plain way")
        if any(isinstance(value, dict) for value in kwargs.values()):
            raise NoReference(f"{path} wraps another optimizer (nested keyword arguments)")
        kwargs = {key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()}
    try:
        return path + note, load_class(path), kwargs
    except (ImportError, AttributeError) as missing:
        raise NoReference(f"{path} is not importable ({missing})") from None


def reference_timings(names: list[str], runs: int, steps: int) -> dict[str, dict]:
    """{name: {"reference": ns per run-step, "what": class} or {"skipped": why}}; needs torch."""
    import torch

    sys.path.insert(0, str(REFERENCE_SCRIPTS))
    from make_thirdparty_reference import REFERENCES, _class  # the reference classes and their keyword mappings
    from make_torch_reference import LOSSES  # the surfaces written in torch: OptViz's arithmetic takes no part

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # its best case for 2-element tensors: no thread pool to wake per op
    loss_fn = LOSSES[SURFACE]
    starts = starts_for(runs)
    rows = {}
    for name in names:
        try:
            what, make, kwargs = reference_of(name, torch, REFERENCES, _class)
        except NoReference as reason:
            rows[name] = {"skipped": str(reason)}
            continue

        def one_run(start, matrix: bool, make=make, kwargs=kwargs):
            # a reference for matrices only (torch's Muon) gets the position as the 1×2 matrix [[x, y]]
            param = torch.tensor([start] if matrix else start, requires_grad=True)
            optimizer = make([param], **kwargs)
            if callable(getattr(optimizer, "train", None)):  # Schedule-Free's optimizers step only in train mode
                optimizer.train()

            def closure():
                optimizer.zero_grad()
                loss = loss_fn(param.reshape(-1))
                loss.backward()
                return loss

            for _ in range(steps):
                optimizer.step(closure)
            return param.detach().numpy().copy()

        problems = []
        for matrix in (False, True):  # warm-up (lazy imports, dispatch setup), and the shape the reference takes
            try:
                one_run(starts[0].tolist(), matrix)
                break
            except Exception as problem:  # a reference with its own protocol (two-pass steps, a Hessian argument)
                problems.append(problem)
        else:
            first = problems[0]  # the vector's complaint: the matrix was only a second try
            line = str(first).strip().splitlines()[0] if str(first).strip() else ""
            rows[name] = {"skipped": f"{what} does not run as step(closure): {type(first).__name__}: {line}"}
            continue
        fastest = float("inf")
        for start in starts:
            t0 = time.perf_counter()
            one_run(start.tolist(), matrix)
            fastest = min(fastest, time.perf_counter() - t0)
        what += " as a 1×2 matrix" if matrix else ""
        rows[name] = {"reference": 1e9 * fastest / steps, "what": what}
        print(f"  timed {name} ({what})", file=sys.stderr, flush=True)
    return rows


def reference_from(python: str, names: list[str], runs: int, steps: int) -> dict[str, dict]:
    """The reference column, measured by this script in another interpreter (one that has torch)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [python, str(Path(__file__).resolve()), "--reference", "--json", "--only", ",".join(names),
               "--reference-runs", str(runs), "--steps", str(steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the reference run failed ({' '.join(command)}):\n{done.stderr}")
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------ the table

def _cell(value: float | None, width: int, digits: str = ".0f") -> str:
    return f"{value:{width}{digits}}" if value is not None else f"{'–':>{width}}"


def table(rows: dict[str, dict], reference: dict[str, dict] | None) -> str:
    width = max(len("optimizer"), *map(len, rows)) + 2
    head = (f"{'optimizer':<{width}}{'vectorized':>11}{'internals':>10}{'stopped':>8}{'loop':>7}{'vec/loop':>9}"
            + (f"{'reference':>11}{'ref/vec':>9}  reference implementation" if reference is not None else ""))
    lines = [head, "-" * len(head)]
    skipped = []
    for name, row in rows.items():
        loop = row.get("loop")
        line = (f"{name:<{width}}{_cell(row['vectorized'], 11)}{_cell(row['internals'], 10)}{row['stopped']:8d}"
                f"{_cell(loop, 7)}"
                f"{_cell(loop and row['vectorized'] / loop, 9, '.2f')}")
        if reference is not None:
            ref = reference.get(name, {})
            ns = ref.get("reference")
            line += f"{_cell(ns, 11)}{_cell(ns and ns / row['vectorized'], 9)}  {ref.get('what', '')}"
            if "skipped" in ref:
                skipped.append(f"  {name}: {ref['skipped']}")
        lines.append(line)
    deviations = {name: row["loop_deviation"] for name, row in rows.items() if "loop_deviation" in row}
    if deviations:
        lines.append("largest relative deviation of the loop's positions from simulate's: "
                     + ", ".join(f"{name} {value:.1e}" for name, value in deviations.items()))
    if skipped:
        lines += ["no reference timing:", *skipped]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the vectorized timings")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated optimizer names (default: the whole registry)")
    parser.add_argument("--reference", action="store_true", help="time only the reference implementations (needs torch)")
    parser.add_argument("--reference-runs", type=int, default=20, help="trajectories the reference runs one at a time")
    parser.add_argument("--reference-python", default="", help="an interpreter with torch: adds the reference column")
    parser.add_argument("--json", action="store_true", help="print the timings as JSON")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(SPECS)
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        raise SystemExit(f"unknown optimizer {unknown[0]!r}; choose from: {', '.join(SPECS)}")

    if args.reference:
        rows = reference_timings(names, args.reference_runs, args.steps)
        if args.json:
            print(json.dumps(rows))
        else:
            width = max(map(len, rows)) + 2
            for name, row in rows.items():
                print(f"{name:<{width}}" + (f"{row['reference']:9.0f} ns/run-step  {row['what']}" if "reference" in row
                                       else f"        –  {row['skipped']}"))
        return

    rows = vectorized(names, args.runs, args.steps, args.repeats)
    reference = (reference_from(args.reference_python, names, args.reference_runs, args.steps)
                 if args.reference_python else None)
    if args.json:
        print(json.dumps({"vectorized": rows, "reference": reference}))
        return
    print(f"ns per run-step on the {SURFACE}, every optimizer at its defaults: {args.runs} runs x {args.steps} steps "
          f"vectorized (best of {args.repeats}, interleaved with the loop)"
          + (f"; the reference: the fastest of {args.reference_runs} trajectories run one at a time"
             if reference is not None else ""))
    print(table(rows, reference))


if __name__ == "__main__":
    main()
