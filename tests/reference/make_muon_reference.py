"""Write ``thirdparty/muon.json``: torch.optim.Muon's trajectories, in float64 and as torch runs them (bfloat16).

Run from the repository root, in an environment with torch at exactly this version (the test suite
needs no torch; it reads the JSON):

    pip install torch==2.13.0
    python tests/reference/make_muon_reference.py

torch.optim.Muon takes only 2-D parameters, so the position is the 1×2 matrix [[x, y]], and it
runs its Newton–Schulz iteration in bfloat16. Two sets of runs are recorded, on the surfaces and
starts of ``make_torch_reference.py`` (imported, as ``make_thirdparty_reference.py`` does; the loss
is the surface formula written in torch and differentiated by autograd, everything else float64):

- ``"newton_schulz": "float64"``: torch.optim.Muon itself, its momentum, Nesterov blend, learning-rate
  adjustment and decay untouched, with its module's ``_zeropower_via_newtonschulz`` replaced by
  :func:`newton_schulz_float64` below, torch's iteration re-implemented op for op (the same
  normalization, ``addmm`` calls, coefficients, steps and ε) without the cast to bfloat16. The tests
  compare OptViz with these at rtol 1e-9, so a run that leaves the box or amplifies a 1e-15 nudge of
  its start beyond 1e-11 is refused, as in ``make_thirdparty_reference.py``.
- ``"newton_schulz": "bfloat16"``: torch.optim.Muon exactly as shipped. The tests compare OptViz with
  these at the bfloat16 tolerance they state.

Every case passes torch's keyword arguments explicitly (defaults included: nesterov=True, the
coefficients (3.4445, −4.7750, 2.0315), ns_steps=5, eps=1e-7, adjust_lr_fn=None), in the format of
``make_thirdparty_reference.py``, plus ``"newton_schulz"``; bfloat16 cases are also stored with the
update O_t of each step (``internals["orthogonalized"]``, (steps, 2)), taken as (θ_{t−1}(1 − ηλ) − θ_t)/η.
"""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import torch
import torch.optim._muon as torch_muon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

OUT = Path(__file__).with_name("thirdparty") / "muon.json"
SMOOTH, ROSEN = "smooth", "rosenbrock"
TORCH_NEWTON_SCHULZ = torch_muon._zeropower_via_newtonschulz  # torch's own, bfloat16

torch.set_default_dtype(torch.float64)


def newton_schulz_float64(grad, ns_coefficients, ns_steps, eps):
    """torch 2.13's ``_zeropower_via_newtonschulz`` with the same operations, kept in the gradient's float64."""
    a, b, c = ns_coefficients
    ortho = grad.clone()
    transposed = grad.size(0) > grad.size(1)
    if transposed:
        ortho = ortho.T
    ortho.div_(ortho.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram = ortho @ ortho.T
        gram_update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        ortho = torch.addmm(ortho, gram_update, ortho, beta=a)
    return ortho.T if transposed else ortho


def muon_kwargs(h):
    return {"lr": h["lr"], "momentum": h["beta"], "weight_decay": h["weight_decay"], "nesterov": True,
            "ns_coefficients": (3.4445, -4.7750, 2.0315), "eps": 1e-7, "ns_steps": 5, "adjust_lr_fn": None}


def muon_hyper(lr, beta=0.95, weight_decay=0.0):
    return {"lr": lr, "beta": beta, "weight_decay": weight_decay}


# Rates off round fractions of the starts, so no step lands a coordinate exactly on a round number.
SETS = {
    SMOOTH: {"default": muon_hyper(0.0213), "beta_lr": muon_hyper(0.0531, beta=0.8),
             "weight_decay": muon_hyper(0.0213, weight_decay=0.5)},
    ROSEN: {"default": muon_hyper(0.00713), "beta_weight_decay": muon_hyper(0.0117, beta=0.9, weight_decay=0.1)},
}


def run(loss_fn, kwargs: dict, start, steps: int, newton_schulz):
    """positions (steps+1, 2) and the update O_t of each step, (steps, 2), with ``newton_schulz`` in torch's module."""
    torch_muon._zeropower_via_newtonschulz = newton_schulz
    try:
        param = torch.tensor([list(start)], dtype=torch.float64, requires_grad=True)  # the 1×2 matrix [[x, y]]
        opt = torch.optim.Muon([param], **kwargs)
        positions, updates = [[float(v) for v in param.detach()[0]]], []
        for _ in range(steps):
            before = param.detach().clone()
            opt.zero_grad()
            loss_fn(param[0]).backward()
            opt.step()
            lr, decay = kwargs["lr"], kwargs["weight_decay"]
            updates.append([float(v) for v in ((before * (1 - lr * decay) - param.detach()) / lr)[0]])
            positions.append([float(v) for v in param.detach()[0]])
    finally:
        torch_muon._zeropower_via_newtonschulz = TORCH_NEWTON_SCHULZ
    refuse_outside_box(f"Muon{kwargs}", start, positions)
    return positions, updates


def check_conditioning(loss_fn, kwargs: dict, start, steps: int, positions) -> None:
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    refuse_chaotic(f"Muon{kwargs}", start, positions,
                   lambda nudged: run(loss_fn, kwargs, nudged, steps, newton_schulz_float64)[0])


def cases() -> list[dict]:
    out = []
    for precision, newton_schulz in (("float64", newton_schulz_float64), ("bfloat16", TORCH_NEWTON_SCHULZ)):
        for surface, loss_fn in LOSSES.items():
            for set_name, hyper in SETS[ROSEN if surface == "rosenbrock" else SMOOTH].items():
                kwargs = muon_kwargs(hyper)
                for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                    positions, updates = run(loss_fn, kwargs, start, STEPS, newton_schulz)
                    if precision == "float64":
                        check_conditioning(loss_fn, kwargs, start, STEPS, positions)
                    case = {"id": f"muon-{precision}-{set_name}-{surface}-{start[0]:g},{start[1]:g}",
                            "optimizer": "muon", "optviz_kwargs": dict(hyper), "package": "torch",
                            "version": torch.__version__, "class": "torch.optim.Muon",
                            "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                            "newton_schulz": precision, "surface": surface, "start": list(start), "steps": STEPS,
                            "positions": positions}
                    if precision == "bfloat16":
                        case["internals"] = {"orthogonalized": updates}
                    out.append(case)
    return out


def main() -> None:
    header = {"generator": "tests/reference/make_muon_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; internals[key][k] the value of step k+1; "
                      "the parameter is the 1x2 matrix [[x, y]]"}
    found = cases()
    ids = [c["id"] for c in found]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
        json.dumps(c, separators=(",", ":")) for c in found) + "\n]}\n")
    print(f"{OUT}: {len(found)} trajectories, {OUT.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
