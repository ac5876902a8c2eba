"""Write ``thirdparty/schedulefree_sgd.json`` and ``thirdparty/schedulefree_adamw.json`` from Meta's ``schedulefree``.

Run from the repository root, in an environment with torch and the package at exactly these
versions (the test suite needs neither; it reads the JSON):

    pip install torch==2.13.0 schedulefree==1.4.1
    python tests/reference/make_schedulefree_reference.py

The same problems and the same format as ``make_thirdparty_reference.py`` (surfaces, starts, step
count and box imported from ``make_torch_reference.py``): float64, the loss written in torch and
differentiated by autograd, a run that leaves the box or amplifies a 1e-15 nudge of its start
beyond 1e-11 refused. This script is separate because a Schedule-Free optimizer has modes: it
is put in train mode (``optimizer.train()``) before the first step and never leaves it, so the
parameters stepped are y, the point where the gradient is taken.

Each case records, besides ``positions`` (y after every step, the start first):

- ``internals["z_sequence"][k]`` and ``internals["x_average"][k]``: z and x after step k+1, each
  [x, y]. z is the optimizer's state; x is not stored by the package, so it is computed the way
  its ``eval()`` puts it in the parameters, ``lerp(y, z, 1 − 1/β)``, on copies (the run stays in
  train mode: switching modes would re-round y).
- ``internals["weight_sum"][k]`` and ``internals["lr_max"][k]``: the param group's running sum
  of averaging weights and largest learning rate after step k+1.
- ``schedule``: the OptViz schedule equal to the case's ``warmup_steps`` (``tests/helpers.py``'s
  ``schedule_from_spec`` spelling): None without a warm-up, else a linear warm-up over W updates,
  which scales update k+1 by (k+1)/W for k < W exactly as the package does.

Every keyword the variant depends on is passed explicitly, defaults included: for
``SGDScheduleFree`` lr, momentum, weight_decay, warmup_steps, r, weight_lr_power, foreach=False; for
``AdamWScheduleFree`` lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power, foreach=False.
"""
from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

OUT = Path(__file__).with_name("thirdparty")
PACKAGE = "schedulefree"
SMOOTH, ROSEN = "smooth", "rosenbrock"

torch.set_default_dtype(torch.float64)


class Reference(NamedTuple):
    cls: str  # "schedulefree.Class"
    kwargs: Callable[[Mapping[str, float], int], dict[str, Any]]  # (OptViz hyperparameters, warm-up) -> kwargs
    interpolation: Callable[[dict], float]  # the param group -> β, y's place between z and x
    sets: Mapping[str, Mapping[str, tuple[Mapping[str, float], int]]]  # group -> set name -> (hyper, warm-up)


def sgd_kwargs(h, warmup_steps):
    return {"lr": h["lr"], "momentum": h["beta"], "weight_decay": h["weight_decay"], "warmup_steps": warmup_steps,
            "r": h["weight_step_power"], "weight_lr_power": h["weight_lr_power"], "foreach": False}


def sgd_hyper(lr, beta=0.9, weight_decay=0.0, r=0.0, weight_lr_power=2.0):
    return {"lr": lr, "beta": beta, "weight_decay": weight_decay, "weight_step_power": r,
            "weight_lr_power": weight_lr_power}


def adamw_kwargs(h, warmup_steps):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "eps": h["eps"], "weight_decay": h["weight_decay"],
            "warmup_steps": warmup_steps, "r": h["weight_step_power"], "weight_lr_power": h["weight_lr_power"],
            "foreach": False}


def adamw_hyper(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, r=0.0, weight_lr_power=2.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay,
            "weight_step_power": r, "weight_lr_power": weight_lr_power}


# "default" runs from every start; the others from the first. The warm-up sets are the only ones where
# weight_lr_power changes the average (with a constant rate every weight has the same factor η^p).
REFERENCES: dict[str, Reference] = {
    "schedulefree_sgd": Reference("schedulefree.SGDScheduleFree", sgd_kwargs, lambda g: g["momentum"], {
        SMOOTH: {"default": (sgd_hyper(0.1), 0), "beta_r": (sgd_hyper(0.2, beta=0.5, r=1.0), 0),
                 "weight_decay": (sgd_hyper(0.1, weight_decay=0.3), 0),
                 "warmup": (sgd_hyper(0.1), 5), "warmup_powers": (sgd_hyper(0.15, r=2.0, weight_lr_power=1.0), 8)},
        ROSEN: {"default": (sgd_hyper(1e-3), 0), "beta_r": (sgd_hyper(2e-3, beta=0.5, r=1.0), 0),
                "warmup": (sgd_hyper(1e-3), 5)}}),
    "schedulefree_adamw": Reference("schedulefree.AdamWScheduleFree", adamw_kwargs, lambda g: g["betas"][0], {
        SMOOTH: {"default": (adamw_hyper(0.05), 0), "large_lr": (adamw_hyper(0.2), 0),
                 "betas_eps": (adamw_hyper(0.05, betas=(0.5, 0.99), eps=1e-4), 0),
                 "weight_decay": (adamw_hyper(0.05, weight_decay=0.3), 0),
                 "warmup_powers": (adamw_hyper(0.1, r=1.0, weight_lr_power=1.0), 5)},
        ROSEN: {"default": (adamw_hyper(0.01), 0), "betas_eps": (adamw_hyper(0.02, betas=(0.5, 0.99), eps=1e-4), 0),
                "warmup": (adamw_hyper(0.02), 5)}}),
}


def _class(path: str):
    module, _, name = path.rpartition(".")
    __import__(module)
    return getattr(sys.modules[module], name)


def run(loss_fn, ref: Reference, kwargs: dict, start, steps):
    """positions (steps+1, 2) of y, and the internals after each step."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = _class(ref.cls)([param], **kwargs)
    opt.train()  # y in the parameters, for good: the gradient is taken there
    positions, internals = [[float(v) for v in param.detach()]], {}
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(param).backward()
        opt.step()
        group = opt.param_groups[0]
        y, z = param.detach().clone(), opt.state[param]["z"].clone()
        x = y.lerp(z, 1 - 1 / ref.interpolation(group))  # what eval() would put in the parameters
        for key, value in (("z_sequence", [float(v) for v in z]), ("x_average", [float(v) for v in x]),
                           ("weight_sum", float(group["weight_sum"])), ("lr_max", float(group["lr_max"]))):
            internals.setdefault(key, []).append(value)
        positions.append([float(v) for v in param.detach()])
    refuse_outside_box(f"{ref.cls}{kwargs}", start, positions)
    return positions, internals


def check_conditioning(loss_fn, ref: Reference, kwargs: dict, start, steps, positions):
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    refuse_chaotic(f"{ref.cls}{kwargs}", start, positions,
                   lambda nudged: run(loss_fn, ref, kwargs, nudged, steps)[0])


def cases_of(name: str, ref: Reference) -> list[dict]:
    cases = []
    for surface, loss_fn in LOSSES.items():
        group = ROSEN if surface == "rosenbrock" else SMOOTH
        for set_name, (hyper, warmup_steps) in ref.sets[group].items():
            kwargs = ref.kwargs(hyper, warmup_steps)
            for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                positions, internals = run(loss_fn, ref, kwargs, start, STEPS)
                check_conditioning(loss_fn, ref, kwargs, start, STEPS, positions)
                schedule = {"kind": "warmup", "steps": warmup_steps, "then": None} if warmup_steps else None
                cases.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}", "optimizer": name,
                              "optviz_kwargs": dict(hyper), "schedule": schedule, "package": PACKAGE,
                              "version": metadata.version(PACKAGE), "class": ref.cls,
                              "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                              "surface": surface, "start": list(start), "steps": STEPS, "positions": positions,
                              "internals": internals})
    return cases


def main(names: list[str]) -> None:
    header = {"generator": "tests/reference/make_schedulefree_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is y after k optimizer steps (train mode); internals[key][k] the value after "
                      "step k+1; x_average is lerp(y, z, 1 - 1/beta), what eval() would set"}
    OUT.mkdir(exist_ok=True)
    for name in names or REFERENCES:
        cases = cases_of(name, REFERENCES[name])
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), "case ids must be unique"
        path = OUT / f"{name}.json"
        path.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
            json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
        print(f"{path}: {len(cases)} trajectories, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1:])  # the optimizers named, or both
