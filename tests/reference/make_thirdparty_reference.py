"""Write ``thirdparty/*.json``: trajectories of optimizers torch.optim lacks, from their reference packages.

Run from the repository root, in an environment with torch and the packages below at exactly
these versions (the test suite needs none of them; it reads the JSON):

    pip install torch==2.13.0 lion-pytorch==0.2.5 pytorch-optimizer==4.1.0 qhoptim==1.1.0 prodigyopt==1.1.2
    python tests/reference/make_thirdparty_reference.py

As in ``make_torch_reference.py`` (whose surfaces, starts, step count and box this script imports,
so both data sets are made on the same problems): everything is float64; the loss is the surface
formula written in torch and differentiated by autograd, so neither OptViz's optimizers nor its
surfaces take part in making the data; a run that leaves the box or amplifies a 1e-15 nudge of its
start beyond 1e-11 is refused (the tests compare at rtol 1e-9).

Unlike that script, this one takes nothing from OptViz (importing that script loads the registry,
but only its surfaces and starts are used): each optimizer's entry in ``REFERENCES``
says which package class is the reference, how OptViz's hyperparameters map to its keyword
arguments (every keyword the variant depends on is passed explicitly, defaults included, so the
variant is recorded in the data), and which hyperparameter sets to record: "smooth" for the
quadratic and the saddle, "rosenbrock" for Rosenbrock. A set named "default" runs from every start.

One file per optimizer, ``thirdparty/<name>.json``: ``{"meta", "cases"}``, one case per line.
Each case stores the package, its version, the class and its keyword arguments, the OptViz
optimizer name and keyword arguments (``convention="pytorch"``), the surface and start, and
``positions``: (steps+1, 2), the start first. An optimizer whose reference keeps a scalar worth
checking records it per step under ``internals`` (Prodigy: its step-size estimate d after each
step, so ``internals["d"][k]`` is d after step k+1, the value step k+2 starts from).

The packages (pip names and versions):

- ``lion-pytorch==0.2.5`` (lucidrains): ``lion_pytorch.Lion``, its default update.
- ``pytorch-optimizer==4.1.0`` (kozistr): ``pytorch_optimizer.AdaBelief`` (its defaults:
  rectify=False, weight_decouple=True, fixed_decay=False, eps=1e-16, ams_bound=False).
- ``pytorch-optimizer==4.1.0``: ``pytorch_optimizer.AdEMAMix`` (its defaults: t_alpha_beta3=None, so no
  α/β3 warm-up, and weight_decouple=False, L2 decay).
- ``prodigyopt==1.1.2`` (konstmish, the authors): ``prodigyopt.Prodigy`` with its defaults (beta3=None,
  decouple=True, use_bias_correction=False, safeguard_warmup=False, growth_rate=inf, slice_p=1); its estimate
  d is recorded after every step.
- ``qhoptim==1.1.0`` (facebookresearch): ``qhoptim.pyt.QHM`` (weight_decay_type="grad") and
  ``qhoptim.pyt.QHAdam`` (decouple_weight_decay=False), their default weight decay.
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

OUT = Path(__file__).with_name("thirdparty")  # one file per optimizer
SMOOTH, ROSEN = "smooth", "rosenbrock"

torch.set_default_dtype(torch.float64)


class Reference(NamedTuple):
    package: str  # the pip name; its installed version is recorded
    cls: str  # "module.Class"
    kwargs: Callable[[Mapping[str, float]], dict[str, Any]]  # OptViz hyperparameters -> the class's keyword arguments
    sets: Mapping[str, Mapping[str, Mapping[str, float]]]  # "smooth"/"rosenbrock" -> set name -> hyperparameters
    internals: Callable[[Any], dict[str, float]] | None = None  # optimizer -> scalars recorded before each step


def _class(path: str):
    module, _, name = path.rpartition(".")
    __import__(module)
    return getattr(sys.modules[module], name)


# ----------------------------------------------------------------------------------------- Lion

def lion_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "weight_decay": h["weight_decay"],
            "use_triton": False, "decoupled_weight_decay": False}


def lion_hyper(lr, betas=(0.9, 0.99), weight_decay=0.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "weight_decay": weight_decay}


# ------------------------------------------------------------------------------------ AdaBelief

def adabelief_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "eps": h["eps"], "weight_decay": h["weight_decay"],
            "weight_decouple": True, "fixed_decay": False, "rectify": False, "ams_bound": False, "foreach": False}


def adabelief_hyper(lr, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay}


# -------------------------------------------------------------------------------------- QHM, QHAdam

def qhm_kwargs(h):
    return {"lr": h["lr"], "momentum": h["beta"], "nu": h["discount"], "weight_decay": h["weight_decay"],
            "weight_decay_type": "grad"}


def qhm_hyper(lr, beta=0.999, nu=0.7, weight_decay=0.0):
    return {"lr": lr, "beta": beta, "discount": nu, "weight_decay": weight_decay}


def qhadam_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "nus": (h["nu1"], h["nu2"]), "eps": h["eps"],
            "weight_decay": h["weight_decay"], "decouple_weight_decay": False}


def qhadam_hyper(lr, betas=(0.995, 0.999), nus=(0.7, 1.0), eps=1e-8, weight_decay=0.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "nu1": nus[0], "nu2": nus[1], "eps": eps,
            "weight_decay": weight_decay}


# ------------------------------------------------------------------------------------- AdEMAMix

def ademamix_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"], h["beta3"]), "alpha": h["slow_weight"], "eps": h["eps"],
            "weight_decay": h["weight_decay"], "weight_decouple": False, "fixed_decay": False, "t_alpha_beta3": None,
            "foreach": False}


def ademamix_hyper(lr, betas=(0.9, 0.999, 0.9999), alpha=5.0, eps=1e-8, weight_decay=0.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "beta3": betas[2], "slow_weight": alpha, "eps": eps,
            "weight_decay": weight_decay}


# -------------------------------------------------------------------------------------- Prodigy

def prodigy_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "beta3": None, "eps": h["eps"],
            "weight_decay": h["weight_decay"], "decouple": True, "use_bias_correction": False,
            "safeguard_warmup": False, "d0": h["d0"], "d_coef": h["d_coef"], "growth_rate": float("inf"),
            "slice_p": 1}


def prodigy_hyper(lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, d0=1e-6, d_coef=1.0):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay, "d0": d0,
            "d_coef": d_coef}


def prodigy_internals(opt):
    return {"d": opt.param_groups[0]["d"]}  # d_t, after the step


# Rates are chosen off round fractions of the start's coordinates: a sign-driven method (Lion)
# landing a coordinate exactly on 0 would make its next sign a matter of rounding.
REFERENCES: dict[str, Reference] = {
    "lion": Reference("lion-pytorch", "lion_pytorch.Lion", lion_kwargs, {
        SMOOTH: {"default": lion_hyper(0.0137), "weight_decay": lion_hyper(0.0137, weight_decay=0.5),
                 "betas": lion_hyper(0.0311, betas=(0.5, 0.95))},
        ROSEN: {"default": lion_hyper(0.00213), "betas_weight_decay": lion_hyper(0.0047, (0.95, 0.98), 0.2)}}),
    "adabelief": Reference("pytorch-optimizer", "pytorch_optimizer.AdaBelief", adabelief_kwargs, {
        SMOOTH: {"default": adabelief_hyper(0.01), "large_lr": adabelief_hyper(0.1),
                 "weight_decay": adabelief_hyper(0.01, weight_decay=0.3),
                 "betas_eps": adabelief_hyper(0.05, betas=(0.8, 0.99), eps=1e-4)},
        ROSEN: {"default": adabelief_hyper(0.01), "betas_eps": adabelief_hyper(0.05, betas=(0.8, 0.99), eps=1e-4),
                "weight_decay": adabelief_hyper(0.01, weight_decay=0.3)}}),
    "qhm": Reference("qhoptim", "qhoptim.pyt.QHM", qhm_kwargs, {
        SMOOTH: {"default": qhm_hyper(0.1), "beta_nu": qhm_hyper(0.2, beta=0.9, nu=0.5),
                 "weight_decay": qhm_hyper(0.1, weight_decay=0.3)},
        ROSEN: {"default": qhm_hyper(1e-3), "beta_nu": qhm_hyper(1e-3, beta=0.9, nu=0.9)}}),
    "qhadam": Reference("qhoptim", "qhoptim.pyt.QHAdam", qhadam_kwargs, {
        SMOOTH: {"default": qhadam_hyper(0.01), "large_lr": qhadam_hyper(0.1),
                 "nus_betas_eps": qhadam_hyper(0.05, betas=(0.9, 0.99), nus=(0.5, 0.8), eps=1e-4),
                 "weight_decay": qhadam_hyper(0.01, weight_decay=0.3)},
        ROSEN: {"default": qhadam_hyper(0.01),
                "nus_betas_eps": qhadam_hyper(0.05, betas=(0.9, 0.99), nus=(0.5, 0.8), eps=1e-4)}}),
    # "mix": β3 = 0.95 lets the slow momentum build up within the 50 steps; β1 = 0.3 takes lerp's other branch
    "ademamix": Reference("pytorch-optimizer", "pytorch_optimizer.AdEMAMix", ademamix_kwargs, {
        SMOOTH: {"default": ademamix_hyper(0.01), "large_lr": ademamix_hyper(0.1),
                 "mix": ademamix_hyper(0.02, betas=(0.3, 0.99, 0.95), alpha=2.0, eps=1e-4),
                 "weight_decay": ademamix_hyper(0.01, weight_decay=0.3)},
        ROSEN: {"default": ademamix_hyper(0.01), "mix": ademamix_hyper(0.005, betas=(0.3, 0.99, 0.95), alpha=2.0,
                                                                         eps=1e-4)}}),
    # "beta1_0": β1 = 0 takes prodigyopt's branch without m (the step uses d_t·g_t). On the smooth surfaces the set
    # run from every start has d0 = 1e-4: with the package's 1e-6 the saddle run from (1, -0.5) passes so close to
    # the ridge y = 0 that a 1e-15 nudge moves it by 1.6e-10; "package_defaults" runs 1e-6 from the first starts.
    "prodigy": Reference("prodigyopt", "prodigyopt.Prodigy", prodigy_kwargs, {
        SMOOTH: {"default": prodigy_hyper(d0=1e-4), "package_defaults": prodigy_hyper(),
                 "d0_coef": prodigy_hyper(betas=(0.8, 0.99), d0=1e-3, d_coef=0.5),
                 "weight_decay": prodigy_hyper(weight_decay=0.1, d0=1e-4),
                 "beta1_0": prodigy_hyper(lr=0.5, betas=(0.0, 0.99), eps=1e-4, d0=1e-3)},
        ROSEN: {"default": prodigy_hyper(), "d0_coef": prodigy_hyper(betas=(0.8, 0.99), d0=1e-3, d_coef=0.5)}},
        prodigy_internals),
}


def run(loss_fn, ref: Reference, kwargs: dict, start, steps):
    """positions (steps+1, 2) and the recorded internals {name: [value before step k+1]}."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = _class(ref.cls)([param], **kwargs)
    positions, internals = [list(map(float, param.detach()))], {}
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(param).backward()
        opt.step()
        for key, value in (ref.internals(opt) if ref.internals else {}).items():
            internals.setdefault(key, []).append(float(value))
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
        for set_name, hyper in ref.sets[group].items():
            kwargs = ref.kwargs(hyper)
            for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                positions, internals = run(loss_fn, ref, kwargs, start, STEPS)
                check_conditioning(loss_fn, ref, kwargs, start, STEPS, positions)
                case = {"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}", "optimizer": name,
                        "optviz_kwargs": dict(hyper), "package": ref.package,
                        "version": metadata.version(ref.package), "class": ref.cls,
                        "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                        "surface": surface, "start": list(start), "steps": STEPS, "positions": positions}
                if internals:
                    case["internals"] = internals
                cases.append(case)
    return cases


def main(names: list[str]) -> None:
    header = {"generator": "tests/reference/make_thirdparty_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; internals[key][k] the value after step k+1"}
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
    main(sys.argv[1:])  # the optimizers named, or all of them
