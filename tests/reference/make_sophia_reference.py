"""Write ``thirdparty/sophia.json``: kozistr's ``pytorch_optimizer.SophiaH`` handed the exact Hessian diagonal.

Run from the repository root, in an environment with torch and the package at exactly these versions
(the test suite needs neither; it reads the JSON):

    pip install torch==2.13.0 pytorch-optimizer==4.1.0
    python tests/reference/make_sophia_reference.py

The surfaces, starts, step count and box come from ``make_torch_reference.py`` and the file format from
``make_thirdparty_reference.py`` (both imported). Everything is float64; the loss is the surface formula
written in torch, its gradient and Hessian taken by autograd, so neither OptViz's optimizers nor its
surfaces take part. A run that leaves the box or amplifies a 1e-15 nudge of its start beyond 1e-11 is
refused (the tests compare at rtol 1e-9).

SophiaH refreshes its curvature average h at the steps t with (t − 1) mod k = 0 (k = ``update_period``),
from the estimate in its state: given ``step(hessian=[...])`` it takes that one, and given nothing on a
refresh step it would draw its own Hutchinson probes. Here every refresh step is handed the exact diagonal
of the Hessian at the current point and no other step is handed anything: the exact-diagonal Sophia that
OptViz runs with ``hutchinson_samples=0``. Every keyword the variant depends on is passed explicitly
(weight_decouple=True, fixed_decay=False, foreach=False; ``p`` is the clip bound ρ). h after every step is
recorded under ``internals["hessian_moment"]``, (steps, 2).
"""
from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import torch
from pytorch_optimizer import SophiaH

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_shampoo_reference import write  # noqa: E402  (make_thirdparty_reference.py's file format)
from make_thirdparty_reference import ROSEN, SMOOTH  # noqa: E402
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

torch.set_default_dtype(torch.float64)


def sophia_kwargs(h):
    return {"lr": h["lr"], "betas": (h["beta1"], h["beta2"]), "weight_decay": h["weight_decay"],
            "weight_decouple": True, "fixed_decay": False, "p": h["clip_bound"],
            "update_period": int(h["update_period"]),
            "num_samples": 1, "hessian_distribution": "gaussian", "eps": h["eps"], "foreach": False}


def sophia_hyper(lr, betas=(0.95, 0.99), clip_bound=0.05, eps=1e-12, weight_decay=0.0, update_period=10):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "clip_bound": clip_bound, "eps": eps,
            "weight_decay": weight_decay, "update_period": float(update_period), "hutchinson_samples": 0.0,
            "probe_seed": 0.0}


# Rates and bounds off round fractions of the starts: a clipped step is ±ηρ per coordinate, and a coordinate landing
# exactly on a stationary point would make the next clip's sign a matter of rounding.
SETS = {
    SMOOTH: {"default": sophia_hyper(0.93), "period_1": sophia_hyper(0.71, clip_bound=0.113, update_period=1),
             "betas_clip": sophia_hyper(0.53, betas=(0.8, 0.9), clip_bound=0.217, update_period=3),
             "weight_decay": sophia_hyper(0.93, weight_decay=0.3)},
    ROSEN: {"default": sophia_hyper(0.61), "period_1": sophia_hyper(0.37, clip_bound=0.0213, update_period=1)},
}


def run(loss_fn, kwargs: dict, start, steps: int):
    """positions (steps+1, 2) and h after each step (steps, 2)."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = SophiaH([param], **kwargs)
    positions, moments = [[float(v) for v in param.detach()]], []
    for t in range(1, steps + 1):
        opt.zero_grad()
        loss_fn(param).backward()
        if (t - 1) % kwargs["update_period"] == 0:
            diagonal = torch.diagonal(torch.autograd.functional.hessian(loss_fn, param.detach())).clone()
            opt.step(hessian=[diagonal])
        else:
            opt.step()
        positions.append([float(v) for v in param.detach()])
        moments.append([float(v) for v in opt.state[param]["hessian_moment"]])
    refuse_outside_box(f"SophiaH{kwargs}", start, positions)
    return positions, moments


def check_conditioning(loss_fn, kwargs: dict, start, steps: int, positions) -> None:
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    refuse_chaotic(f"SophiaH{kwargs}", start, positions, lambda nudged: run(loss_fn, kwargs, nudged, steps)[0])


def cases() -> list[dict]:
    out = []
    for surface, loss_fn in LOSSES.items():
        for set_name, hyper in SETS[ROSEN if surface == "rosenbrock" else SMOOTH].items():
            kwargs = sophia_kwargs(hyper)
            for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                positions, moments = run(loss_fn, kwargs, start, STEPS)
                check_conditioning(loss_fn, kwargs, start, STEPS, positions)
                out.append({"id": f"sophia-{set_name}-{surface}-{start[0]:g},{start[1]:g}", "optimizer": "sophia",
                            "optviz_kwargs": dict(hyper), "package": "pytorch-optimizer",
                            "version": metadata.version("pytorch-optimizer"), "class": "pytorch_optimizer.SophiaH",
                            "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                            "hessian": "exact diagonal at every refresh step", "surface": surface,
                            "start": list(start), "steps": STEPS, "positions": positions,
                            "internals": {"hessian_moment": moments}})
    return out


if __name__ == "__main__":
    write("sophia", cases(), "tests/reference/make_sophia_reference.py")
