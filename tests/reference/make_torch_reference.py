"""Write ``torch_trajectories.json``: torch.optim trajectories that OptViz must reproduce.

Run from the repository root (needs torch, which the test suite itself does not):

    python tests/reference/make_torch_reference.py

Everything is float64. The loss is the surface formula written in torch and differentiated
by autograd, so neither OptViz's optimizers nor its surfaces take part in making the data.
One ``scheduler.step()`` follows each ``optimizer.step()``, and the learning rate each step
used is recorded next to the position it produced.

Each case stores the torch class, the torch keyword arguments, the matching OptViz
optimizer name and keyword arguments (``convention="pytorch"``), the schedule in both
spellings, and ``positions``: (steps+1, 2), the start first.
"""
from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path

import torch

OUT = Path(__file__).with_name("torch_trajectories.json")
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

# Hyperparameter sets are {group: {set name: (torch kwargs, optviz kwargs)}}: SMOOTH for the
# quadratic and the saddle, ROSEN for Rosenbrock, whose curvature (~1000) needs much smaller
# rates for the methods whose step scales with the gradient (SGD and momentum).
SMOOTH = "smooth"
ROSEN = "rosenbrock"


def sgd_family(nesterov: bool | None):
    """SGD (nesterov None), heavy ball (False) or Nesterov (True) hyperparameter sets."""
    def kw(lr, wd=0.0, beta=None):
        t = {"lr": lr, "weight_decay": wd, "foreach": False}
        o = {"lr": lr, "weight_decay": wd}
        if beta is not None:
            t.update(momentum=beta, dampening=0.0, nesterov=bool(nesterov))
            o["beta"] = beta
        return t, o

    beta = None if nesterov is None else 0.9
    sets = {
        SMOOTH: {"default": kw(0.05, beta=beta), "large_lr": kw(0.3 if beta is None else 0.15, beta=beta),
                 "weight_decay": kw(0.05, 0.2, beta=beta)},
        ROSEN: {"default": kw(1e-3, beta=beta), "large_lr": kw(1.4e-3, beta=beta),
                "weight_decay": kw(1e-3, 0.5, beta=beta)},
    }
    if beta is not None:
        sets[SMOOTH]["beta_0.5"] = kw(0.1, beta=0.5)
        sets[ROSEN]["beta_0.5"] = kw(1e-3, beta=0.5)
    return sets


def same(sets):
    return {SMOOTH: sets, ROSEN: sets}


def adagrad(lr, eps=1e-10, wd=0.0):
    return ({"lr": lr, "eps": eps, "weight_decay": wd, "lr_decay": 0.0, "initial_accumulator_value": 0.0,
             "foreach": False}, {"lr": lr, "eps": eps, "weight_decay": wd})


def rmsprop(lr, alpha=0.99, eps=1e-8, wd=0.0):
    return ({"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": wd, "momentum": 0.0, "centered": False,
             "foreach": False}, {"lr": lr, "beta": alpha, "eps": eps, "weight_decay": wd})


def adadelta(lr, rho=0.9, eps=1e-6, wd=0.0):
    return ({"lr": lr, "rho": rho, "eps": eps, "weight_decay": wd, "foreach": False},
            {"lr": lr, "beta": rho, "eps": eps, "weight_decay": wd})


def adam_kw(lr, betas=(0.9, 0.999), eps=1e-8, wd=0.0):
    return ({"lr": lr, "betas": list(betas), "eps": eps, "weight_decay": wd, "amsgrad": False, "foreach": False},
            {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd})


# (optviz name, torch class, hyperparameter sets)
OPTIMIZERS = [
    ("sgd", "SGD", sgd_family(None)),
    ("momentum", "SGD", sgd_family(False)),
    ("nesterov", "SGD", sgd_family(True)),
    ("adagrad", "Adagrad", same({"default": adagrad(0.1), "large_lr": adagrad(0.5),
                                 "weight_decay": adagrad(0.1, wd=0.3), "eps_1e-3": adagrad(0.1, eps=1e-3)})),
    ("rmsprop", "RMSprop", same({"default": rmsprop(0.01), "large_lr": rmsprop(0.05),
                                 "weight_decay": rmsprop(0.01, wd=0.3), "alpha_0.9": rmsprop(0.01, alpha=0.9),
                                 "eps_1e-3": rmsprop(0.01, eps=1e-3)})),
    ("adadelta", "Adadelta", same({"default": adadelta(1.0), "large_lr": adadelta(5.0),
                                   "weight_decay": adadelta(1.0, wd=0.3),
                                   "rho_0.95_eps_1e-4": adadelta(1.0, rho=0.95, eps=1e-4)})),
    ("adam", "Adam", same({"default": adam_kw(0.01), "large_lr": adam_kw(0.1),
                           "weight_decay": adam_kw(0.01, wd=0.3),
                           "betas_eps": adam_kw(0.05, betas=(0.8, 0.99), eps=1e-4)})),
    ("adamw", "AdamW", same({"default": adam_kw(0.01, wd=0.01), "large_lr": adam_kw(0.1, wd=0.01),
                             "weight_decay": adam_kw(0.01, wd=0.5),
                             "betas_eps": adam_kw(0.05, betas=(0.5, 0.9), eps=1e-3, wd=0.1)})),
]

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


def make_scheduler(opt, name, kwargs):
    cls = getattr(torch.optim.lr_scheduler, name)
    if name == "ChainedScheduler":
        parts = [getattr(torch.optim.lr_scheduler, n)(opt, **kw) for n, kw in kwargs["schedulers"]]
        return cls(parts)
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
    flat = [v for p in positions for v in p]
    if not all(math.isfinite(v) and abs(v) < LIMIT for v in flat):
        raise RuntimeError(f"{torch_class}{torch_kwargs} from {start} left the box; choose other hyperparameters")
    return positions, lrs


def check_conditioning(loss_fn, torch_class, torch_kwargs, start, steps, scheduler, positions):
    """Refuse a chaotic reference: nudging the start by ~1e-15 must move no point by more than 1e-11.

    The tests compare at rtol 1e-9; a run that amplifies rounding that much could fail them
    for no fault of OptViz (e.g. Nesterov at a rate beyond the valley's stability limit).
    """
    nudged = (start[0] * (1 + 1e-15) + 1e-16, start[1] * (1 - 1e-15) - 1e-16)
    other, _ = run(loss_fn, torch_class, torch_kwargs, nudged, steps, scheduler)
    worst = max(abs(a - b) / max(abs(a), 1.0) for p, q in zip(positions, other) for a, b in zip(p, q))
    if worst > 1e-11:
        raise RuntimeError(f"{torch_class}{torch_kwargs} from {start} amplifies rounding ({worst:.1e}); "
                           "choose other hyperparameters")


def main() -> None:
    cases = []
    for name, torch_class, sets in OPTIMIZERS:
        for surface in LOSSES:
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            for set_name, (tkw, okw) in sets[group].items():
                starts = STARTS[surface] if set_name == "default" else STARTS[surface][:1]
                for start in starts:
                    positions, _ = run(LOSSES[surface], torch_class, tkw, start, STEPS)
                    check_conditioning(LOSSES[surface], torch_class, tkw, start, STEPS, None, positions)
                    cases.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}",
                                  "optimizer": name, "optviz_kwargs": okw, "schedule": None,
                                  "torch_class": torch_class, "torch_kwargs": tkw, "torch_scheduler": None,
                                  "surface": surface, "start": list(start), "steps": STEPS,
                                  "positions": positions})
    by_name = {name: (torch_class, sets) for name, torch_class, sets in OPTIMIZERS}
    for name, set_name in SCHEDULED:
        torch_class, sets = by_name[name]
        for surface in ("quadratic", "rosenbrock"):
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            tkw, okw = sets[group][set_name]
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
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    header = {"generator": "tests/reference/make_torch_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; lrs[k] the lr step k+1 used"}
    # One case per line keeps the file small and its diffs readable.
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    OUT.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + lines + "\n]}\n")
    print(f"wrote {len(cases)} trajectories to {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
