"""Write ``thirdparty/lookahead.json`` and ``lookahead_adam.json``: Lookahead over torch's SGD with momentum and
over torch's Adam, from kozistr's pytorch-optimizer.

Run from the repository root, in an environment with torch and the package at exactly these
versions (the test suite needs neither; it reads the JSON):

    pip install torch==2.13.0 pytorch-optimizer==4.1.0
    python tests/reference/make_lookahead_reference.py

The same problems and the same format as ``make_thirdparty_reference.py`` (surfaces, starts, step
count and box imported from ``make_torch_reference.py``): float64, the loss written in torch and
differentiated by autograd, a run that leaves the box or amplifies a 1e-15 nudge of its start
beyond 1e-11 refused. This script is separate because the reference is a wrapper: the optimizer
is ``pytorch_optimizer.Lookahead(torch.optim.SGD(...) or torch.optim.Adam(...), k=, alpha=,
pullback_momentum="none")``, and both layers' keyword arguments are recorded (``kwargs["inner"]``:
torch.optim.SGD's, with dampening=0, nesterov=False, foreach=False, or Adam's, with amsgrad=False,
foreach=False; the rest: Lookahead's).

Each case records, besides ``positions`` (the fast weights after every step, the start first),
``internals["slow_weights"][k]``: the wrapper's slow weights after step k+1, [x, y].
"""
from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

OUT = Path(__file__).with_name("thirdparty")
PACKAGE, CLASS = "pytorch-optimizer", "pytorch_optimizer.Lookahead"
SMOOTH, ROSEN = "smooth", "rosenbrock"

torch.set_default_dtype(torch.float64)


def lookahead_kwargs(h):
    return {"inner": {"lr": h["lr"], "momentum": h["beta"], "dampening": 0.0, "nesterov": False,
                      "weight_decay": h["weight_decay"], "foreach": False},
            "k": int(h["sync_period"]), "alpha": h["slow_step"], "pullback_momentum": "none"}


def lookahead_hyper(lr, beta=0.9, weight_decay=0.0, k=5, alpha=0.5):
    return {"lr": lr, "beta": beta, "weight_decay": weight_decay, "sync_period": float(k), "slow_step": alpha}


# "default" (the package's k = 5, α = 0.5) runs from every start; the others from the first. α = 0 (the fast
# weights back to the start at every sync) is the package's lower end; it refuses α = 1 (no Lookahead at all).
SETS = {
    SMOOTH: {"default": lookahead_hyper(0.05), "k_alpha": lookahead_hyper(0.1, beta=0.5, k=3, alpha=0.8),
             "weight_decay": lookahead_hyper(0.05, weight_decay=0.2, k=7, alpha=0.3),
             "k1": lookahead_hyper(0.05, k=1, alpha=0.5)},
    ROSEN: {"default": lookahead_hyper(1e-3), "k_alpha": lookahead_hyper(1.4e-3, beta=0.5, k=10, alpha=0.7),
            "alpha0": lookahead_hyper(1e-3, k=4, alpha=0.0)},
}


def lookahead_adam_kwargs(h):
    return {"inner": {"lr": h["lr"], "betas": [h["beta1"], h["beta2"]], "eps": h["eps"],
                      "weight_decay": h["weight_decay"], "amsgrad": False, "foreach": False},
            "k": int(h["sync_period"]), "alpha": h["slow_step"], "pullback_momentum": "none"}


def lookahead_adam_hyper(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, k=5, alpha=0.5):
    return {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": weight_decay,
            "sync_period": float(k), "slow_step": alpha}


# "default" (Adam's defaults but the rate, the package's k = 5, α = 0.5) runs from every start; the others from the
# first. α = 0 (the fast weights back to the start at every sync) is the package's lower end; it refuses α = 1.
ADAM_SETS = {
    SMOOTH: {"default": lookahead_adam_hyper(0.05),
             "k_alpha": lookahead_adam_hyper(0.1, betas=(0.8, 0.99), k=3, alpha=0.8),
             "weight_decay": lookahead_adam_hyper(0.05, weight_decay=0.2, k=7, alpha=0.3),
             "eps_k1": lookahead_adam_hyper(0.05, eps=1e-3, k=1, alpha=0.5)},
    ROSEN: {"default": lookahead_adam_hyper(0.01),
            "k_alpha": lookahead_adam_hyper(0.02, betas=(0.8, 0.99), k=10, alpha=0.7),
            "alpha0": lookahead_adam_hyper(0.01, k=4, alpha=0.0)},
}


# OptViz's name -> the inner torch class, OptViz's hyperparameters -> keyword arguments, the sets to record
INNERS = {"lookahead": ("SGD", lookahead_kwargs, SETS), "lookahead_adam": ("Adam", lookahead_adam_kwargs, ADAM_SETS)}


def run(loss_fn, inner_class: str, kwargs: dict, start, steps):
    """positions (steps+1, 2) of the fast weights, and the slow weights after each step."""
    from pytorch_optimizer import Lookahead

    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    inner = getattr(torch.optim, inner_class)([param], **kwargs["inner"])
    opt = Lookahead(inner, **{k: v for k, v in kwargs.items() if k != "inner"})
    positions, slow = [[float(v) for v in param.detach()]], []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(param).backward()
        opt.step()
        positions.append([float(v) for v in param.detach()])
        slow.append([float(v) for v in opt.state[param]["slow_params"]])
    refuse_outside_box(f"{CLASS}{kwargs}", start, positions)
    return positions, {"slow_weights": slow}


def check_conditioning(loss_fn, inner_class: str, kwargs: dict, start, steps, positions):
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    refuse_chaotic(f"{CLASS}{kwargs}", start, positions,
                   lambda nudged: run(loss_fn, inner_class, kwargs, nudged, steps)[0])


def cases(name: str) -> list[dict]:
    inner_class, to_kwargs, sets = INNERS[name]
    out = []
    for surface, loss_fn in LOSSES.items():
        group = ROSEN if surface == "rosenbrock" else SMOOTH
        for set_name, hyper in sets[group].items():
            kwargs = to_kwargs(hyper)
            for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                positions, internals = run(loss_fn, inner_class, kwargs, start, STEPS)
                check_conditioning(loss_fn, inner_class, kwargs, start, STEPS, positions)
                out.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}", "optimizer": name,
                            "optviz_kwargs": dict(hyper), "package": PACKAGE, "version": metadata.version(PACKAGE),
                            "class": CLASS, "inner_class": f"torch.optim.{inner_class}", "kwargs": kwargs,
                            "surface": surface, "start": list(start), "steps": STEPS, "positions": positions,
                            "internals": internals})
    return out


def main() -> None:
    header = {"generator": "tests/reference/make_lookahead_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the fast weights after k optimizer steps; internals[key][k] the value after "
                      "step k+1"}
    OUT.mkdir(exist_ok=True)
    for name in INNERS:
        recorded = cases(name)
        ids = [c["id"] for c in recorded]
        assert len(ids) == len(set(ids)), "case ids must be unique"
        path = OUT / f"{name}.json"
        path.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
            json.dumps(c, separators=(",", ":")) for c in recorded) + "\n]}\n")
        print(f"{path}: {len(recorded)} trajectories, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
