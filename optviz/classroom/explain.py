r"""Explain this step: the update rule of one run at one step, with its actual numbers put in.

Step t moves $\theta_{t-1}$ (``positions[t-1]``) to $\theta_t$ (``positions[t]``) using the
gradient at $\theta_{t-1}$ (``grad[t-1]``), the optimizer's state left by step t−1
(``internals[name][t-1]``) and the scheduled rate $\eta_t = \eta\cdot s(t-1)$. This module
replays that one update, coordinate by coordinate, and writes every line as
``symbol = expression with numbers = result``: it validates the request and writes the
learning rate, the gradient (noise included) and the notes; the optimizer's own module writes
its rule (its spec's ``explain``, with the toolkit in ``optviz.optimizers.explaining``),
computing the step with the same function its ``update`` uses.

Every line is arithmetic a reader can redo: the expression uses only the numbers shown
(``+ - \cdot``, ``\frac``, ``\sqrt``, powers), and its result is the next lines' input. Where
ε = 0 meets a coordinate with no gradient yet, the quotient would be 0/0: it is written as
``\lim_{\epsilon \to 0^{+}}`` of the quotient with ε kept, whose value 0 the optimizers take. With
``digits=None`` the numbers are printed exactly (shortest round-trip form), and redoing the
last line gives ``positions[t]`` to about 1e-15; with ``digits=6`` it gives it to about the
sixth digit. The new position itself is always computed at full precision, by the optimizer's
own step function, and checked against the trajectory (``reproduces``).

Noise runs are explained exactly: the noise of step t is regenerated from the run's seed,
so the gradient shown is the noisy one the optimizer saw, $\nabla f(\theta_{t-1}) + \sigma\xi_t$.
A gradient from elsewhere (a mini-batch's) can be passed as ``gradient=``; the run's noise,
if any, is still added to it, as the wrappers do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optviz.i18n import t
from optviz.optimizers import SPECS, standard_normal
from optviz.optimizers.explaining import COORDS, Replay, Writer, number
from optviz.optimizers.noise import NoisyState
from optviz.race import OptimizerConfig
from optviz.schedules import Constant, parse as parse_schedule
from optviz.trajectory import DIVERGED, STOPPED_STATIONARY, Trajectory

Array = np.ndarray

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
REPRODUCE_RTOL = 1e-9  # the replayed step must land on the recorded point to this (relative) precision


@dataclass(frozen=True, eq=False)
class Explanation:
    optimizer: str
    convention: str
    step: int
    status: str  # "moved" | "converged" | "diverged" (this step) | "stopped" (before this step)
    formula_latex: str  # the rule, symbols only, as one aligned block
    substituted_latex: list[str]  # one equation per line: "symbol = expression = result"
    values: dict[str, Any]  # full-precision inputs and intermediates: floats or (2,) arrays over (x, y)
    new_position: Array  # (2,) θ_t as replayed at full precision
    recorded_position: Array  # (2,) positions[step] of the trajectory
    reproduces: bool | None  # new_position == recorded_position (None where the step was not recorded)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ the entry point

def explain_step(config: OptimizerConfig, traj: Trajectory, run: int, step: int, lang: str = "en", *,
                 digits: int | None = 6, gradient: Array | None = None) -> Explanation:
    r"""Replay update ``step`` (1..steps) of run ``run``, which ``config`` describes, with its numbers.

    ``digits`` significant digits in the text (None: exact). ``gradient`` (2,) replaces the
    surface's gradient at step−1 when the optimizer was given another one (a mini-batch's, see
    :func:`optviz.classroom.regression.batch_gradient`); a noise run's noise σξ is regenerated from its
    seed and added on top either way. Raises ValueError for step 0,
    a step or run out of range, a config naming another optimizer, or a trajectory without the
    internals this optimizer's state needs. Steps after the run stopped return an explanation
    with no lines and a note saying so.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh' (got {lang!r})")
    if not 0 <= run < traj.runs:
        raise ValueError(f"run must be in [0, {traj.runs - 1}] (got {run!r})")
    if isinstance(step, bool) or int(step) != step:
        raise ValueError(f"step must be a whole number (got {step!r})")
    step = int(step)
    if step == 0:
        raise ValueError("step 0 is the start point: no update has happened yet; explain a step from 1 on")
    if not 1 <= step <= traj.steps:
        raise ValueError(f"step must be in [1, {traj.steps}] (got {step})")
    if traj.optimizers[run] != config.name:
        raise ValueError(f"run {run} was simulated with {traj.optimizers[run]!r}, not {config.name!r}")
    name, convention = config.name, config.convention
    spec = SPECS[name]
    if convention not in spec.conventions:
        raise ValueError(f"unknown convention {convention!r}")
    missing = [k for k in spec.memory if k not in traj.internals]
    if missing:
        raise ValueError(f"explaining {name} needs the recorded internals {missing}; simulate with record_internals=True")

    schedule = parse_schedule(config.schedule)
    hyper = {h.name: float(config.value(h.name)) for h in spec.hyperparameters}
    eta = hyper["lr"] * schedule(step - 1)
    theta = traj.positions[step - 1, run].astype(float)  # (2,)
    recorded = traj.positions[step, run].astype(float)
    true_grad = traj.grad[step - 1, run].astype(float)
    w = Writer(digits)
    values: dict[str, Any] = {"step": step, "theta_prev": theta, "surface_gradient": true_grad,
                              "lr_scheduled": eta, **hyper}
    rows: list[str] = []
    formula_head = _gradient_rows(config, gradient is not None, not isinstance(schedule, Constant))
    notes: list[str] = []
    stop = int(traj.stop_step[run])
    status_run = str(traj.status[run])
    if stop >= 0 and step > stop:
        notes.append(t("explain.stopped", lang, step=step, stop=stop, status=t(f"explain.status.{status_run}", lang)))
        return Explanation(name, convention, step, "stopped", _aligned(formula_head + _rule_rows(config)), [], values,
                           recorded, recorded, None, notes)

    prev_i = step - 1
    sub = str(prev_i).translate(_SUBSCRIPT)  # θ₁₂ in plain text
    notes.append(t("explain.inputs", lang, prev=sub, x=number(theta[0], digits), y=number(theta[1], digits)))
    if spec.memory:
        notes.append(t("explain.memory", lang, names=spec.memory_symbols(convention), step_prev=prev_i))
    # the learning rate
    if isinstance(schedule, Constant):
        w.eq(r"\eta", None, eta)
    else:
        factor = schedule(step - 1)
        w.eq(rf"\eta_{{{step}}}", f"{w.o(hyper['lr'])} \\cdot {w.o(factor)}", eta)
        values["schedule_factor"] = factor
        notes.append(t("explain.schedule", lang, k=step - 1, schedule=config.schedule))
    # the gradient the optimizer saw: the surface's (or the one given), plus the run's noise if any
    base = true_grad if gradient is None else np.asarray(gradient, dtype=float).reshape(2)
    if gradient is not None:
        values["given_gradient"] = base
        notes.append(t("explain.given_gradient", lang))
    if config.noise > 0:
        xi = standard_normal(np.array([int(config.seed)]), step)[0]  # (2,): the wrapper's draw for update `step`
        g = base + config.noise * xi
        for i in range(2):
            w.eq(f"g_{{{COORDS[i]},{step}}}", f"{w.n(base[i])} + {w.o(config.noise)} \\cdot {w.o(xi[i])}", g[i])
        values.update(noise=config.noise, xi=xi)
        notes.append(t("explain.noisy", lang, seed=int(config.seed), step=step))
    else:
        g = base
        for i in range(2):
            w.eq(f"g_{{{COORDS[i]},{step}}}", None, g[i])
    values["gradient"] = g
    hessian = np.asarray(traj.surface.hessian(theta), dtype=float) if spec.needs_hessian else None  # (2, 2)
    if spec.explain_note is not None:
        notes.append(spec.explain_note(lang).format(prev=sub))
    memory = {k: traj.internals[k][step - 1, run].astype(float) for k in spec.memory}  # (2,) each
    replay = Replay(convention, step, eta, hyper, theta, g, memory, hessian, _bias_correction(config), w, values, rows,
                    traj.surface, lambda: _state_before(config, traj, run, step))
    with np.errstate(all="ignore"):
        new = spec.explain(replay)

    if digits is not None:
        notes.append(t("explain.rounded", lang, digits=digits))
    if status_run == DIVERGED and step == stop:
        status, reproduces = "diverged", None
        notes.append(t("explain.diverged", lang, prev=sub, x=number(theta[0], digits),
                          y=number(theta[1], digits)))
    else:
        status = "converged" if status_run in STOPPED_STATIONARY and step == stop else "moved"
        scale = np.maximum(np.abs(recorded), np.abs(new - theta))
        reproduces = bool(np.all(np.abs(new - recorded) <= REPRODUCE_RTOL * np.maximum(scale, 1e-300)))
        if status == "converged":
            notes.append(t("explain.converged", lang))
        if not reproduces:
            notes.append(t("explain.mismatch", lang, x=number(recorded[0], digits),
                              y=number(recorded[1], digits)))
    return Explanation(name, convention, step, status, _aligned(formula_head + rows), w.lines, values, new, recorded,
                       reproduces, notes)


def _state_before(config: OptimizerConfig, traj: Trajectory, run: int, step: int) -> Any:
    """The optimizer's state after update ``step − 1`` of ``run``: its updates replayed on the recorded path.

    The run had not stopped before ``step``, so each recorded position is the one the optimizer's step led
    to and each recorded gradient the surface's there: the replay does the simulation's arithmetic (with the
    run's noise, which the rebuilt optimizer regenerates from its seed).
    """
    optimizer = config.build()
    oracle = {"surface": traj.surface} if optimizer.needs_surface else {}
    state = optimizer.init(traj.positions[0, run][None].astype(float))
    for k in range(1, step):
        theta = traj.positions[k - 1, run][None].astype(float)  # (1, 2)
        hessian = traj.surface.hessian(theta) if optimizer.needs_hessian else None
        _, state = optimizer.update(traj.grad[k - 1, run][None].astype(float), state, theta, hessian, **oracle)
    return state.inner if isinstance(state, NoisyState) else state  # the rule's own state, without the noise's


def _bias_correction(config: OptimizerConfig) -> bool:
    return bool(config.bias_correction) or not SPECS[config.name].bias_correction


def _gradient_rows(config: OptimizerConfig, given: bool, scheduled: bool) -> list[str]:
    rows = []
    if scheduled:
        rows.append(r"\eta_t &= \eta\cdot s(t-1)")
    gradient = r"\nabla f_{B_t}(\theta_{t-1})" if given else r"\nabla f(\theta_{t-1})"  # B_t: the given batch
    rows.append(rf"g_t &= {gradient}" + (r" + \sigma\,\xi_t" if config.noise > 0 else ""))
    return rows


def _rule_rows(config: OptimizerConfig) -> list[str]:
    """The symbolic rule without numbers (for steps with nothing to substitute)."""
    spec = SPECS[config.name]
    dummy = Replay(config.convention, 1, 1.0, {h.name: float(config.value(h.name)) for h in spec.hyperparameters},
                   np.ones(2), np.ones(2), {k: np.zeros(2) for k in spec.memory},
                   np.eye(2) if spec.needs_hessian else None, _bias_correction(config), Writer(6), {}, [])
    with np.errstate(all="ignore"):
        spec.explain(dummy)
    return dummy.rows


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
