r"""Lesson claim: L-BFGS reaches Rosenbrock's minimum in tens of steps where Adam, at its best rate, needs hundreds.

Rosenbrock's valley is curved and its curvature across the valley is ~1000 times the curvature along
it: a first-order method's step must stay small for the steep direction and then crawls along the
flat one. L-BFGS estimates the curvature from its last steps and takes (nearly) Newton steps.

:func:`lbfgs_versus_adam` counts, from Rosenbrock's start (−1.2, 1), the steps each method needs to bring
the loss within ``gap`` of the minimum (f = 0): L-BFGS in both conventions (no line search; strong
Wolfe) at its default η = 1, and Adam at every learning rate of the app's ladder
(``optviz.optimizers.hyperparameters.LR_LADDER``, 1e-5 … 10), keeping its best. All of Adam's rates run
as one vectorized simulation. A step of L-BFGS with a line search costs several evaluations of f and
∇f, so the function evaluations are counted too (Adam: one gradient per step).
"""
from __future__ import annotations

import numpy as np

from optviz.optimizers import make_optimizer
from optviz.optimizers.hyperparameters import LR_LADDER
from optviz.simulate import simulate, simulate_finals
from surfaces import get_surface

GAP = 1e-6  # "at the minimum": f − f* ≤ 1e-6, a point within ~1e-3 of (1, 1) along the valley
ADAM_STEPS = 20_000  # Adam's budget: ten times what its best rate needs
LBFGS_STEPS = 500


def lbfgs_versus_adam(gap: float = GAP, adam_steps: int = ADAM_STEPS, lbfgs_steps: int = LBFGS_STEPS) -> dict:
    """Steps (and function evaluations) to ``f − f* ≤ gap`` on Rosenbrock from (−1.2, 1): L-BFGS against Adam.

    Returns ``{"surface", "start", "gap", "adam": {"lr", "steps", "evaluations", "reached_rates"},
    "lbfgs": {"pytorch": {"steps", "evaluations"}, "textbook": {...}}, "ratio"}``, where ``ratio`` is
    Adam's steps over the fewer of L-BFGS's. A run that never gets there has steps −1 (evaluations
    −1); ``reached_rates`` is how many of the ladder's rates get Adam there at all.
    """
    if not (isinstance(gap, (int, float)) and np.isfinite(gap) and gap > 0):
        raise ValueError(f"gap must be a positive number (got {gap!r})")
    for name, steps in (("adam_steps", adam_steps), ("lbfgs_steps", lbfgs_steps)):
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"{name} must be a whole number ≥ 1 (got {steps!r})")
    surface = get_surface("rosenbrock")
    f_min = surface.min_value
    rates = np.array(LR_LADDER)  # (61,): one run per rate
    adam = simulate_finals(surface, make_optimizer("adam", lr=rates), surface.start, adam_steps, f_min=f_min,
                           tolerance=gap)
    first = adam["first_within"]  # (61,), -1 where never
    reached = first >= 0
    best = int(np.argmin(np.where(reached, first, np.iinfo(np.int64).max))) if reached.any() else None
    adam_steps_needed = int(first[best]) if best is not None else -1
    out = {"surface": "rosenbrock", "start": tuple(surface.start), "gap": float(gap),
           "adam": {"lr": float(rates[best]) if best is not None else None, "steps": adam_steps_needed,
                    "evaluations": adam_steps_needed, "reached_rates": int(reached.sum())},
           "lbfgs": {}}
    for convention in ("pytorch", "textbook"):
        traj = simulate(surface, make_optimizer("lbfgs", convention=convention), surface.start, lbfgs_steps, tol=0)
        steps = int(traj.steps_to_reach(gap)[0])
        # evaluations[k] counts step k's calls of f and ∇f; step 0 is the start's own evaluation
        evaluations = int(traj.internals["evaluations"][1:steps + 1, 0, 0].sum()) if steps >= 0 else -1
        out["lbfgs"][convention] = {"steps": steps, "evaluations": evaluations}
    fewest = min((v["steps"] for v in out["lbfgs"].values() if v["steps"] >= 0), default=-1)
    out["ratio"] = adam_steps_needed / fewest if fewest > 0 and adam_steps_needed >= 0 else None
    return out
