"""Write ``thirdparty/shampoo.json``: trajectories of kozistr's ``pytorch_optimizer.Shampoo`` on a 2-vector.

Run from the repository root, in an environment with torch and the package at exactly these versions
(the test suite needs neither; it reads the JSON):

    pip install torch==2.13.0 pytorch-optimizer==4.1.0
    python tests/reference/make_shampoo_reference.py

This is ``make_thirdparty_reference.py`` with one more entry: its surfaces, starts, runner, conditioning
check (a run that leaves the box or amplifies a 1e-15 nudge of its start beyond 1e-11 is refused) and
file format are imported, not copied. Everything is float64 and the loss is the surface formula written
in torch and differentiated by autograd.

The parameter is the 1-D tensor [x, y]. ``pytorch_optimizer.Shampoo`` keeps one statistic per tensor
dimension, initialized to ``matrix_eps``·I and grown by g gᵀ, and multiplies the gradient by its inverse
root of exponent −1/(2·order) = −1/2 computed by SVD: for a vector, full-matrix AdaGrad. Every keyword the
variant depends on is passed explicitly (momentum=0, weight_decouple=False, fixed_decay=False,
preconditioning_compute_steps=1), so the variant is recorded in the data.
"""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_thirdparty_reference import OUT, ROSEN, SMOOTH, Reference, cases_of  # noqa: E402


def shampoo_kwargs(h):
    return {"lr": h["lr"], "momentum": 0.0, "weight_decay": h["weight_decay"], "weight_decouple": False,
            "fixed_decay": False, "preconditioning_compute_steps": 1, "matrix_eps": h["eps"]}


def shampoo_hyper(lr, eps=1e-6, weight_decay=0.0):
    return {"lr": lr, "eps": eps, "weight_decay": weight_decay}


# On x² + y² every gradient points along θ, so the path is a straight line and P learns only that direction: across
# it P stays εI, the step factor there is η/√ε, and a rounding error across the line grows by |1 − 2η/√ε| per step.
# The smooth sets keep √ε above η, so the reference is not chaotic (with the package's ε = 1e-6 it is: the
# conditioning check refuses it); Rosenbrock's gradients turn from the first steps and take ε down to 1e-6.
SHAMPOO = Reference("pytorch-optimizer", "pytorch_optimizer.Shampoo", shampoo_kwargs, {
    SMOOTH: {"default": shampoo_hyper(0.13, eps=0.03), "large_lr": shampoo_hyper(0.71, eps=0.6),
             "small_eps": shampoo_hyper(0.013, eps=1e-3),
             "weight_decay": shampoo_hyper(0.13, eps=0.03, weight_decay=0.3)},
    ROSEN: {"default": shampoo_hyper(0.031), "eps_weight_decay": shampoo_hyper(0.053, eps=1e-3, weight_decay=0.1)}})


def write(name: str, cases: list[dict], generator: str) -> None:
    """``thirdparty/<name>.json`` in make_thirdparty_reference.py's format."""
    header = {"generator": generator, "torch_version": torch.__version__, "python": sys.version.split()[0],
              "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; internals[key][k] the value after step k+1"}
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
        json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
    print(f"{path}: {len(cases)} trajectories, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    write("shampoo", cases_of("shampoo", SHAMPOO), "tests/reference/make_shampoo_reference.py")
