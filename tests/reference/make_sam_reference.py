"""Write ``thirdparty/sam_sgd.json`` and ``thirdparty/sam_adam.json``: SAM trajectories from its reference package.

Run from the repository root, in an environment with torch and the package at exactly these versions (the
test suite needs neither; it reads the JSON):

    pip install torch==2.13.0
    pip install --no-deps --target /tmp/samref pytorch-optimizer==3.1.2
    PYTHONPATH=/tmp/samref python tests/reference/make_sam_reference.py

The reference is kozistr's ``pytorch_optimizer.SAM`` 3.1.2 (``adaptive=False, perturb_eps=1e-12``)
around ``torch.optim.SGD`` or ``torch.optim.Adam`` (``foreach=False``): the code of davda54/sam, the
implementation most SAM code copies, ρ/(‖g‖ + 1e-12) as the ascent's scale with ‖g‖ in float64.
Not 4.1.0 (the version the other third-party references use): from 4.x its ``first_step`` takes ‖g‖
through float32 (``get_global_gradient_norm`` returns a float32 squared norm), which moves the
ascent point by ~1e-7 relative and no float64 implementation can match; a separate ``--target``
keeps 4.1.0 in place for the others. Each step is SAM's two-step protocol: the gradient at θ,
``first_step`` (to the ascent point θ̂, recorded), the gradient at θ̂, ``second_step`` (back to θ, then
the base optimizer's step). The format, surfaces, starts, step count and box are those of
``make_thirdparty_reference.py`` (whose run conditions this imports): float64, the loss written in
torch and differentiated by autograd, a run that leaves the box or amplifies a 1e-15 nudge of its
start beyond 1e-11 refused (the tests compare at rtol 1e-9). ``internals["ascent_point"][k]`` is θ̂ of
step k+1.
"""
from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import torch
from pytorch_optimizer import SAM

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

OUT = Path(__file__).with_name("thirdparty")
SMOOTH, ROSEN = "smooth", "rosenbrock"
PACKAGE = "pytorch-optimizer"

torch.set_default_dtype(torch.float64)


def sgd_kwargs(h):
    return {"lr": h["lr"], "weight_decay": h["weight_decay"]}


def adam_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "eps": h["eps"], "weight_decay": h["weight_decay"],
            "amsgrad": False}


def sgd_hyper(lr, rho=0.05, weight_decay=0.0):
    return {"lr": lr, "rho": rho, "weight_decay": weight_decay}


def adam_hyper(lr, rho=0.05, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    return {"lr": lr, "rho": rho, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay}


# name -> (base torch optimizer, its keyword arguments, {"smooth"/"rosenbrock": {set name: OptViz hyperparameters}})
REFERENCES = {
    "sam_sgd": (torch.optim.SGD, sgd_kwargs, {
        SMOOTH: {"default": sgd_hyper(0.05), "large_rho": sgd_hyper(0.05, rho=0.5),
                 "weight_decay": sgd_hyper(0.05, rho=0.1, weight_decay=0.2)},
        ROSEN: {"default": sgd_hyper(1e-3), "large_rho": sgd_hyper(1e-3, rho=0.1)}}),
    "sam_adam": (torch.optim.Adam, adam_kwargs, {
        SMOOTH: {"default": adam_hyper(0.01), "large_rho": adam_hyper(0.05, rho=0.5),
                 "betas_eps_decay": adam_hyper(0.05, rho=0.1, betas=(0.8, 0.99), eps=1e-4, weight_decay=0.3)},
        ROSEN: {"default": adam_hyper(0.01), "large_rho": adam_hyper(0.01, rho=0.3)}}),
}


def kwargs_of(base_kwargs, h) -> dict:
    return {"rho": h["rho"], "adaptive": False, "perturb_eps": 1e-12, **base_kwargs(h), "foreach": False}


def run(loss_fn, base, kwargs: dict, start, steps):
    """positions (steps+1, 2) and the ascent point of each step."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = SAM([param], base_optimizer=base, **kwargs)
    positions, ascent = [list(map(float, param.detach()))], []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(param).backward()
        opt.first_step(zero_grad=True)
        ascent.append([float(v) for v in param.detach()])
        loss_fn(param).backward()
        opt.second_step(zero_grad=True)
        positions.append([float(v) for v in param.detach()])
    refuse_outside_box(f"SAM{kwargs}", start, positions)
    return positions, ascent


def check_conditioning(loss_fn, base, kwargs: dict, start, steps, positions):
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    refuse_chaotic(f"SAM{kwargs}", start, positions, lambda nudged: run(loss_fn, base, kwargs, nudged, steps)[0])


def cases_of(name: str) -> list[dict]:
    base, base_kwargs, sets = REFERENCES[name]
    cases = []
    for surface, loss_fn in LOSSES.items():
        group = ROSEN if surface == "rosenbrock" else SMOOTH
        for set_name, hyper in sets[group].items():
            kwargs = kwargs_of(base_kwargs, hyper)
            for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                positions, ascent = run(loss_fn, base, kwargs, start, STEPS)
                check_conditioning(loss_fn, base, kwargs, start, STEPS, positions)
                cases.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}", "optimizer": name,
                              "optviz_kwargs": dict(hyper), "package": PACKAGE, "version": metadata.version(PACKAGE),
                              "class": f"pytorch_optimizer.SAM(base_optimizer=torch.optim.{base.__name__})",
                              "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                              "surface": surface, "start": list(start), "steps": STEPS, "positions": positions,
                              "internals": {"ascent_point": ascent}})
    return cases


def main() -> None:
    header = {"generator": "tests/reference/make_sam_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; internals[key][k] the value of step k+1"}
    assert metadata.version(PACKAGE) == "3.1.2", "run with PYTHONPATH=/tmp/samref (see the docstring)"
    for name in REFERENCES:
        cases = cases_of(name)
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), "case ids must be unique"
        path = OUT / f"{name}.json"
        path.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
            json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
        print(f"{path}: {len(cases)} trajectories, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
