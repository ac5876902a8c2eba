"""Write ``torch/*.json``: torch.optim trajectories that OptViz must reproduce.

Run from the repository root (needs torch, which the test suite itself does not, next to
OptViz's own requirements, as it imports the optimizer registry):

    pip install torch==2.13.0 -r requirements.txt
    python tests/reference/make_torch_reference.py

Everything is float64. The loss is the surface formula written in torch and differentiated
by autograd, so neither OptViz's optimizers nor its surfaces take part in making the data.
One ``scheduler.step()`` follows each ``optimizer.step()``, and the learning rate each step
used is recorded next to the position it produced.

The optimizers come from the registry: every spec with a ``torch`` counterpart (its torch.optim
class, how its hyperparameters map to torch's keyword arguments, and the hyperparameter sets to
record) is run here, so adding an optimizer needs no edit of this script. Only that data is read
from OptViz, never its arithmetic.

One file per optimizer, ``torch/<name>.json``, holds its unscheduled cases, so adding an optimizer
adds one file; ``torch/schedules.json`` holds the scheduled cases and ``not_equal``. Every file is
``{"meta", "cases"}`` (plus ``"not_equal"`` in schedules.json) with the same ``meta``;
``tests/helpers.py``'s ``torch_reference()`` joins them back into one ``{"meta", "cases", "not_equal"}``.

Each case stores the torch class, the torch keyword arguments, the matching OptViz
optimizer name and keyword arguments (``convention="pytorch"``), the schedule in both
spellings, and ``positions``: (steps+1, 2), the start first.

A torch scheduler is stored as ``{"class", "kwargs"}``; a ChainedScheduler's or SequentialLR's
``kwargs["schedulers"]`` lists ``[class, kwargs]`` pairs (nested the same way) in the order
they are stepped. ``build_order``, where present, is the order they are constructed in (a
SequentialLR resets the lr to the initial lr when it is built, so it must be built before a
LinearLR that shares its optimizer). Learning-rate kwargs are absolute (``eta_min = FLOOR·lr``).

The cases after the first scheduled ones (CHAINS) run past the cosine period and chain
warm-ups with every base schedule: together they pin down which torch scheduler chain each
OptViz schedule is (see optviz/schedules.py). ``not_equal`` holds only the lrs of torch
chains that do NOT equal the OptViz schedule they resemble (CosineAnnealingLR past T_max;
LinearLR chained with a cosine whose floor is above 0), which tests/test_schedules.py
compares with the exact difference it derives.
"""
from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from optviz.optimizers import SPECS  # noqa: E402  (the registry only: names, mappings, hyperparameter sets)

OUT = Path(__file__).with_name("torch")  # one file per optimizer, plus schedules.json
STEPS = 50
LIMIT = 50.0  # a reference run must stay far inside OptViz's divergence box, which would freeze it

torch.set_default_dtype(torch.float64)


def quadratic(p):
    x, y = p[0], p[1]
    return x**2 + y**2


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def saddle(p):
    x, y = p[0], p[1]
    return x**2 / 2 + y**4 / 4 - y**2 / 2


LOSSES = {"quadratic": quadratic, "rosenbrock": rosenbrock, "saddle": saddle}
STARTS = {
    "quadratic": [(1.5, 1.0), (-0.8, 0.3)],
    "rosenbrock": [(-1.2, 1.0), (0.5, -0.5)],
    "saddle": [(-1.5, 0.1), (1.0, -0.5)],
}

# Every optimizer whose spec names a torch counterpart, in registry order, with its hyperparameter
# sets {group: {set name: OptViz hyperparameters}}: "smooth" for the quadratic and the saddle,
# "rosenbrock" for Rosenbrock, whose curvature (~1000) needs much smaller rates for the methods
# whose step scales with the gradient. A set named "default" runs from every start.
SMOOTH = "smooth"
ROSEN = "rosenbrock"
OPTIMIZERS = {name: spec.torch for name, spec in SPECS.items() if spec.torch is not None}


def torch_and_optviz_kwargs(name: str, group: str, set_name: str) -> tuple[dict, dict]:
    counterpart = OPTIMIZERS[name]
    okw = dict(counterpart.reference_sets[group][set_name])
    return counterpart.kwargs(okw), okw


# (torch scheduler, its kwargs as a function of the base lr and the steps, OptViz schedule spec)
SCHEDULES = [
    ("StepLR", lambda lr, n: {"step_size": 10, "gamma": 0.5},
     {"kind": "step_decay", "every": 10, "factor": 0.5}),
    ("ExponentialLR", lambda lr, n: {"gamma": 0.95},
     {"kind": "exponential", "gamma": 0.95}),
    # T_max = steps: torch's cosine is periodic after T_max, OptViz's stays at the floor.
    ("CosineAnnealingLR", lambda lr, n: {"T_max": n, "eta_min": 0.1 * lr},
     {"kind": "cosine", "period": STEPS, "floor": 0.1}),
    ("CosineAnnealingLR", lambda lr, n: {"T_max": n, "eta_min": 0.0},
     {"kind": "cosine", "period": STEPS, "floor": 0.0}),
    # Linear warm-up over 5 updates, (k+1)/5, times an exponential decay: LinearLR chained with ExponentialLR.
    ("ChainedScheduler", lambda lr, n: {"schedulers": [
        ["LinearLR", {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 4}],
        ["ExponentialLR", {"gamma": 0.95}]]},
     {"kind": "warmup", "steps": 5, "then": {"kind": "exponential", "gamma": 0.95}}),
]
SCHEDULED = [("sgd", "default"), ("momentum", "default"), ("adam", "large_lr"), ("rmsprop", "default"),
             ("adagrad", "large_lr")]


# Schedules past the cosine period and warm-up chains, each run on the few (optimizer, set,
# surface) triples listed: (OptViz text, OptViz spec, torch scheduler as a function of the base
# lr and the steps, runs). The top level is always a ChainedScheduler (of one, where the chain
# is a single SequentialLR: it steps exactly like the SequentialLR alone).
PERIOD = 20  # STEPS = 2.5·PERIOD: the cosine cases run a period and a half past T


def linear_warmup(w):
    """LinearLR from 1/W to 1 over W - 1 steps: the multiplier (k+1)/W for k < W, then 1."""
    return ["LinearLR", {"start_factor": 1 / w, "end_factor": 1.0, "total_iters": w - 1}]


def cosine_then_floor(lr, n, period, floor):
    """CosineAnnealingLR for ``period`` updates, then held at the floor by ConstantLR.

    At the milestone SequentialLR sets ConstantLR's closed form, lr·floor; ConstantLR would
    restore lr after ``total_iters`` more steps, so any total_iters ≥ the steps left will do.
    """
    return ["SequentialLR", {"schedulers": [["CosineAnnealingLR", {"T_max": period, "eta_min": floor * lr}],
                                            ["ConstantLR", {"factor": floor, "total_iters": n}]],
                             "milestones": [period]}]


def chained(*parts, build_order=None):
    spec = {"class": "ChainedScheduler", "kwargs": {"schedulers": list(parts)}}
    if build_order is not None:
        spec["build_order"] = build_order
    return spec


def warm(w, then):
    return {"kind": "warmup", "steps": w, "then": then}  # then None: constant


COS_FLOOR = {"kind": "cosine", "period": PERIOD, "floor": 0.1}
COS_ZERO = {"kind": "cosine", "period": PERIOD, "floor": 0.0}
CHAINS = [
    # cosine:T[:FLOOR] holds the floor after T; CosineAnnealingLR alone would climb back to lr by 2T.
    ("cosine:20:0.1", COS_FLOOR, lambda lr, n: chained(cosine_then_floor(lr, n, PERIOD, 0.1)),
     [("sgd", "default", "quadratic"), ("momentum", "default", "rosenbrock"), ("adam", "large_lr", "rosenbrock")]),
    ("cosine:20", COS_ZERO, lambda lr, n: chained(cosine_then_floor(lr, n, PERIOD, 0.0)),
     [("rmsprop", "default", "quadratic"), ("adagrad", "large_lr", "rosenbrock")]),
    # +warmup:W is LinearLR(1/W, 1, W - 1) chained with the base schedule.
    ("constant+warmup:5", warm(5, None), lambda lr, n: chained(linear_warmup(5)),
     [("adam", "large_lr", "quadratic"), ("sgd", "default", "rosenbrock")]),
    ("step:10:0.5+warmup:5", warm(5, {"kind": "step_decay", "every": 10, "factor": 0.5}),
     lambda lr, n: chained(linear_warmup(5), ["StepLR", {"step_size": 10, "gamma": 0.5}]),
     [("momentum", "default", "quadratic"), ("rmsprop", "default", "rosenbrock")]),
    # the decay starts while the ramp is still climbing: both multiply
    ("step:3:0.5+warmup:8", warm(8, {"kind": "step_decay", "every": 3, "factor": 0.5}),
     lambda lr, n: chained(linear_warmup(8), ["StepLR", {"step_size": 3, "gamma": 0.5}]),
     [("adagrad", "large_lr", "quadratic"), ("sgd", "default", "rosenbrock")]),
    ("exp:0.9+warmup:2", warm(2, {"kind": "exponential", "gamma": 0.9}),
     lambda lr, n: chained(linear_warmup(2), ["ExponentialLR", {"gamma": 0.9}]),
     [("adam", "large_lr", "quadratic"), ("momentum", "default", "rosenbrock")]),
    # W = 1: LinearLR(1, 1, 0) never changes the lr, so this is ExponentialLR alone
    ("exp:0.95+warmup:1", warm(1, {"kind": "exponential", "gamma": 0.95}),
     lambda lr, n: chained(linear_warmup(1), ["ExponentialLR", {"gamma": 0.95}]),
     [("sgd", "default", "quadratic"), ("adagrad", "large_lr", "rosenbrock")]),
    # Cosine under a warm-up, past T. Floor 0: exact for any W and T (here also T < W).
    ("cosine:20+warmup:5", warm(5, COS_ZERO),
     lambda lr, n: chained(linear_warmup(5), cosine_then_floor(lr, n, PERIOD, 0.0), build_order=[1, 0]),
     [("momentum", "default", "quadratic"), ("adam", "large_lr", "rosenbrock")]),
    ("cosine:6+warmup:10", warm(10, {"kind": "cosine", "period": 6, "floor": 0.0}),
     lambda lr, n: chained(linear_warmup(10), cosine_then_floor(lr, n, 6, 0.0), build_order=[1, 0]),
     [("adagrad", "large_lr", "quadratic"), ("adam", "large_lr", "rosenbrock")]),
    # Floor above 0: exact only for W = 2 (W ≥ 3 is in NOT_EQUAL), with the LinearLR stepped first.
    ("cosine:20:0.1+warmup:2", warm(2, COS_FLOOR),
     lambda lr, n: chained(linear_warmup(2), cosine_then_floor(lr, n, PERIOD, 0.1), build_order=[1, 0]),
     [("rmsprop", "default", "quadratic"), ("sgd", "default", "rosenbrock")]),
]

# Torch chains that are NOT the OptViz schedule they resemble; only their lrs are stored.
# CosineAnnealingLR alone climbs back after T_max. A warm-up over a cosine whose floor is above
# 0 differs for W ≥ 3 (the chain is the one that is exact for W = 2 or floor 0): CosineAnnealingLR
# steps lr ↦ eta_min + (lr - eta_min)·ratio, which does not commute with LinearLR's scaling.
NOT_EQUAL_LR = 0.05
NOT_EQUAL = [
    ("cosine:20:0.1", COS_FLOOR, lambda lr, n: {"class": "CosineAnnealingLR",
                                                "kwargs": {"T_max": PERIOD, "eta_min": 0.1 * lr}}),
    ("cosine:20:0.1+warmup:5", warm(5, COS_FLOOR),
     lambda lr, n: chained(linear_warmup(5), cosine_then_floor(lr, n, PERIOD, 0.1), build_order=[1, 0])),
    ("cosine:20:0.5+warmup:10", warm(10, {"kind": "cosine", "period": PERIOD, "floor": 0.5}),
     lambda lr, n: chained(linear_warmup(10), cosine_then_floor(lr, n, PERIOD, 0.5), build_order=[1, 0])),
]


def make_scheduler(opt, name, kwargs, build_order=None):
    """A torch scheduler from its stored spelling (see the module docstring)."""
    cls = getattr(torch.optim.lr_scheduler, name)
    if name in ("ChainedScheduler", "SequentialLR"):
        specs = kwargs["schedulers"]
        parts = [None] * len(specs)
        for i in build_order or range(len(specs)):
            parts[i] = make_scheduler(opt, *specs[i])
        if name == "ChainedScheduler":
            return cls(parts)
        return cls(opt, parts, milestones=kwargs["milestones"])
    return cls(opt, **kwargs)


def run(loss_fn, torch_class, torch_kwargs, start, steps, scheduler=None):
    """positions (steps+1, 2) and the lr of each of the steps updates."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, torch_class)([param], **torch_kwargs)
    sched = make_scheduler(opt, *scheduler) if scheduler else None
    positions, lrs = [list(map(float, param.detach()))], []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(param).backward()
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if sched is not None:
            sched.step()
        positions.append([float(v) for v in param.detach()])
    refuse_outside_box(f"{torch_class}{torch_kwargs}", start, positions)
    return positions, lrs


def check_conditioning(loss_fn, torch_class, torch_kwargs, start, steps, scheduler, positions):
    """Refuse a chaotic reference (:func:`refuse_chaotic`)."""
    refuse_chaotic(f"{torch_class}{torch_kwargs}", start, positions,
                   lambda nudged: run(loss_fn, torch_class, torch_kwargs, nudged, steps, scheduler)[0])


# --- the two refusals every reference script applies to its runs (the third-party scripts import them)

def refuse_outside_box(what: str, start, positions) -> None:
    """A reference run must stay finite and within ±LIMIT, far inside OptViz's divergence box."""
    if not all(math.isfinite(v) and abs(v) < LIMIT for p in positions for v in p):
        raise RuntimeError(f"{what} from {start} left the box; choose other hyperparameters")


def refuse_chaotic(what: str, start, positions, again: Callable, limit: float = 1e-11) -> float:
    """Refuse a chaotic reference: ``again(nudged_start)``, the same run from the start nudged by ~1e-15,
    must move no point by more than ``limit`` (relative); returns the amplification measured.

    The tests compare at rtol 1e-9; a run that amplifies rounding that much could fail them
    for no fault of OptViz (e.g. Nesterov at a rate beyond the valley's stability limit).
    """
    nudged = (start[0] * (1 + 1e-15) + 1e-16, start[1] * (1 - 1e-15) - 1e-16)
    worst = max(abs(a - b) / max(abs(a), 1.0) for p, q in zip(positions, again(nudged)) for a, b in zip(p, q))
    if worst > limit:
        raise RuntimeError(f"{what} from {start} amplifies rounding ({worst:.1e}); choose other hyperparameters")
    return worst


def main() -> None:
    cases = []
    for name, counterpart in OPTIMIZERS.items():
        torch_class = counterpart.cls
        for surface in LOSSES:
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            for set_name in counterpart.reference_sets[group]:
                tkw, okw = torch_and_optviz_kwargs(name, group, set_name)
                starts = STARTS[surface] if set_name == "default" else STARTS[surface][:1]
                for start in starts:
                    positions, _ = run(LOSSES[surface], torch_class, tkw, start, STEPS)
                    check_conditioning(LOSSES[surface], torch_class, tkw, start, STEPS, None, positions)
                    cases.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}",
                                  "optimizer": name, "optviz_kwargs": okw, "schedule": None,
                                  "torch_class": torch_class, "torch_kwargs": tkw, "torch_scheduler": None,
                                  "surface": surface, "start": list(start), "steps": STEPS,
                                  "positions": positions})
    for name, set_name in SCHEDULED:
        torch_class = OPTIMIZERS[name].cls
        for surface in ("quadratic", "rosenbrock"):
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            tkw, okw = torch_and_optviz_kwargs(name, group, set_name)
            start = STARTS[surface][0]
            for sched_name, sched_kwargs, spec in SCHEDULES:
                skw = sched_kwargs(tkw["lr"], STEPS)
                positions, lrs = run(LOSSES[surface], torch_class, tkw, start, STEPS, (sched_name, skw))
                check_conditioning(LOSSES[surface], torch_class, tkw, start, STEPS, (sched_name, skw), positions)
                cases.append({"id": f"{name}-{set_name}-{surface}-{sched_name}-{spec.get('floor', '')}",
                              "optimizer": name, "optviz_kwargs": okw, "schedule": spec,
                              "torch_class": torch_class, "torch_kwargs": tkw,
                              "torch_scheduler": {"class": sched_name, "kwargs": skw},
                              "surface": surface, "start": list(start), "steps": STEPS,
                              "lrs": lrs, "positions": positions})
    for text, spec, torch_spec, runs in CHAINS:
        for name, set_name, surface in runs:
            torch_class = OPTIMIZERS[name].cls
            tkw, okw = torch_and_optviz_kwargs(name, ROSEN if surface == "rosenbrock" else SMOOTH, set_name)
            start = STARTS[surface][0]
            sched = torch_spec(tkw["lr"], STEPS)
            scheduler = (sched["class"], sched["kwargs"], sched.get("build_order"))
            positions, lrs = run(LOSSES[surface], torch_class, tkw, start, STEPS, scheduler)
            check_conditioning(LOSSES[surface], torch_class, tkw, start, STEPS, scheduler, positions)
            cases.append({"id": f"{name}-{set_name}-{surface}-{text}",
                          "optimizer": name, "optviz_kwargs": okw, "schedule": spec, "schedule_text": text,
                          "torch_class": torch_class, "torch_kwargs": tkw, "torch_scheduler": sched,
                          "surface": surface, "start": list(start), "steps": STEPS,
                          "lrs": lrs, "positions": positions})
    not_equal = []
    for text, spec, torch_spec in NOT_EQUAL:
        tkw = {"lr": NOT_EQUAL_LR, "weight_decay": 0.0, "foreach": False}
        sched = torch_spec(NOT_EQUAL_LR, STEPS)
        _, lrs = run(quadratic, "SGD", tkw, STARTS["quadratic"][0], STEPS,
                     (sched["class"], sched["kwargs"], sched.get("build_order")))
        not_equal.append({"id": f"{text}-{sched['class']}", "schedule": spec, "schedule_text": text, "lr": NOT_EQUAL_LR,
                          "torch_scheduler": sched, "steps": STEPS, "lrs": lrs})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    header = {"generator": "tests/reference/make_torch_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; lrs[k] the lr step k+1 used"}
    # One case per line keeps the files small and their diffs readable.
    OUT.mkdir(exist_ok=True)
    files = {name: [c for c in cases if c["optimizer"] == name and c["schedule"] is None] for name in OPTIMIZERS}
    files["schedules"] = [c for c in cases if c["schedule"] is not None]
    assert "schedules" not in OPTIMIZERS and sum(map(len, files.values())) == len(cases)
    for old in OUT.glob("*.json"):
        if old.stem not in files:
            old.unlink()  # an optimizer that lost its torch counterpart
    total = 0
    for stem, group in files.items():
        text = "{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
            json.dumps(c, separators=(",", ":")) for c in group) + "\n]"
        if stem == "schedules":
            text += ",\n\"not_equal\": [\n" + ",\n".join(
                json.dumps(c, separators=(",", ":")) for c in not_equal) + "\n]"
        path = OUT / f"{stem}.json"
        path.write_text(text + "}\n")
        total += path.stat().st_size
    print(f"wrote {len(cases)} trajectories and {len(not_equal)} rate sequences to {len(files)} files in {OUT} "
          f"({total / 1e3:.0f} kB, the largest {max(p.stat().st_size for p in OUT.glob('*.json')) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
