"""Write ``thirdparty/lbfgs.json``: torch.optim.LBFGS trajectories, one ``step()`` per frame, both line searches.

Run from the repository root, in an environment with torch (the test suite needs none; it reads the JSON):

    pip install torch==2.13.0
    python tests/reference/make_lbfgs_reference.py

torch.optim.LBFGS is driven by a closure and may evaluate the objective many times per step, so it
has a script of its own instead of an entry in ``make_torch_reference.py``; the data has the format
of ``make_thirdparty_reference.py`` (whose surfaces, starts, step count and box this imports, so all
reference data is made on the same problems). Everything is float64; the loss is the surface formula
written in torch and differentiated by autograd. Each step is ``opt.step(closure)`` with
``max_iter=1, max_eval=25``; ``line_search_fn`` is None (OptViz's convention "pytorch") or
"strong_wolfe" ("textbook"). ``internals["evaluations"][k]`` is the number of closure calls of step
k+1: the difference of torch's ``state["func_evals"]`` across it (checked against a count of the
closure's calls). A run that leaves the box is refused; each case records ``amplification``, the largest
relative move of a point when the start is nudged by ~1e-15, and one beyond 1e-7 is refused (the tests
compare at rtol 1e-9 where the amplification is at most 1e-11, and at a bound derived from it elsewhere).
"""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_torch_reference import LOSSES, refuse_chaotic, refuse_outside_box, STARTS, STEPS  # noqa: E402

OUT = Path(__file__).with_name("thirdparty") / "lbfgs.json"
SMOOTH, ROSEN = "smooth", "rosenbrock"
LINE_SEARCH = {"pytorch": None, "textbook": "strong_wolfe"}  # OptViz's convention -> torch's line_search_fn
MAX_EVAL = 25
# L-BFGS without a line search on Rosenbrock takes a few huge quasi-Newton steps that magnify a 1e-15 nudge of
# the start to ~4e-9: such runs are kept with their measured amplification (the tests' bound follows from it);
# one that magnifies it beyond 1e-7 is refused.
AMPLIFICATION_LIMIT = 1e-7

torch.set_default_dtype(torch.float64)


def hyper(lr=1.0, history_size=100, tolerance_grad=1e-7, tolerance_change=1e-9):
    return {"lr": lr, "history_size": float(history_size), "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change}


# "short_memory": m = 2 forgets pairs within the 50 steps; "tolerances": τ_g = 1e-3 stops runs early (the
# step that returns at once is recorded too), τ_f = 1e-4 cuts the line search's zoom short.
SETS = {
    SMOOTH: {"default": hyper(), "half_lr": hyper(lr=0.5), "short_memory": hyper(history_size=2),
             "tolerances": hyper(tolerance_grad=1e-3, tolerance_change=1e-4)},
    ROSEN: {"default": hyper(), "short_memory": hyper(history_size=3), "small_lr": hyper(lr=0.3),
            "tolerances": hyper(tolerance_grad=1e-3, tolerance_change=1e-4)},
}


def torch_kwargs(h: dict, convention: str) -> dict:
    return {"lr": h["lr"], "max_iter": 1, "max_eval": MAX_EVAL, "history_size": int(h["history_size"]),
            "tolerance_grad": h["tolerance_grad"], "tolerance_change": h["tolerance_change"],
            "line_search_fn": LINE_SEARCH[convention]}


def run(loss_fn, kwargs: dict, start, steps):
    """positions (steps+1, 2) and the closure calls of each step."""
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([param], **kwargs)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = loss_fn(param)
        loss.backward()
        return loss

    positions, evaluations = [list(map(float, param.detach()))], []
    for _ in range(steps):
        before, counted = opt.state[param].get("func_evals", 0), calls[0]
        opt.step(closure)
        evaluations.append(opt.state[param]["func_evals"] - before)
        assert evaluations[-1] == calls[0] - counted, "func_evals counts the closure's calls"
        positions.append([float(v) for v in param.detach()])
    refuse_outside_box(f"LBFGS{kwargs}", start, positions)
    return positions, evaluations


def check_conditioning(loss_fn, kwargs: dict, start, steps, positions):
    """Refuse a chaotic reference (``make_torch_reference.refuse_chaotic``)."""
    return refuse_chaotic(f"LBFGS{kwargs}", start, positions,
                          lambda nudged: run(loss_fn, kwargs, nudged, steps)[0], limit=AMPLIFICATION_LIMIT)


def main() -> None:
    header = {"generator": "tests/reference/make_lbfgs_reference.py", "torch_version": torch.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": "float64",
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; internals[key][k] the value of step k+1"}
    cases, refused = [], []
    for convention in LINE_SEARCH:
        for surface, loss_fn in LOSSES.items():
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            for set_name, h in SETS[group].items():
                kwargs = torch_kwargs(h, convention)
                for start in STARTS[surface] if set_name == "default" else STARTS[surface][:1]:
                    case_id = f"lbfgs-{convention}-{set_name}-{surface}-{start[0]:g},{start[1]:g}"
                    try:
                        positions, evaluations = run(loss_fn, kwargs, start, STEPS)
                        amplification = check_conditioning(loss_fn, kwargs, start, STEPS, positions)
                    except RuntimeError as error:
                        refused.append(f"{case_id}: {error}")
                        continue
                    cases.append({"id": case_id, "optimizer": "lbfgs",
                                  "optviz_kwargs": dict(h, convention=convention), "package": "torch",
                                  "version": torch.__version__, "class": "torch.optim.LBFGS", "kwargs": kwargs,
                                  "surface": surface, "start": list(start), "steps": STEPS, "positions": positions,
                                  "internals": {"evaluations": evaluations},
                                  "amplification": amplification})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    header["refused"] = refused  # the runs torch itself makes chaotic, said rather than hidden
    OUT.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + ",\n".join(
        json.dumps(c, separators=(",", ":")) for c in cases) + "\n]}\n")
    print(f"{OUT}: {len(cases)} trajectories, {OUT.stat().st_size / 1e3:.0f} kB; refused: {len(refused)}")
    for line in refused:
        print("  refused", line)


if __name__ == "__main__":
    main()
