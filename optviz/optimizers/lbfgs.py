r"""L-BFGS: a quasi-Newton step from the last few gradient changes, with or without a line search.

Newton divides the gradient by the curvature; L-BFGS never computes the curvature. It remembers
the last m steps s and the gradient changes y they caused, and the two-loop recursion turns them
into d = −H g, where H is the inverse Hessian that agrees with every remembered pair (secant
condition H y = s). On a quadratic bowl a few pairs pin the curvature down, and the steps become
Newton's steps. Each frame is one ``torch.optim.LBFGS.step()`` with ``max_iter=1``: one direction,
one step along it. Under the "textbook" convention a strong-Wolfe line search chooses that step's
length, as Nocedal & Wright's algorithm does; it costs a varying number of function evaluations,
recorded per step as ``evaluations``.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, NamedTuple

import numpy as np

from optviz.optimizers import hyperparameters as hp
from optviz.optimizers.base import (Array, Hyper, Optimizer, OptimizerSpec, Sweep, Text, TuningHint, check_convention,
                                    learning_rate, runs_of)
from optviz.optimizers.explaining import Replay
from optviz.schedules import Schedule

# "pytorch": torch's default line_search_fn=None, a fixed step; "textbook": line_search_fn="strong_wolfe".
CONVENTIONS = ("pytorch", "textbook")
MAX_EVALUATIONS = 25  # torch's max_eval: its default for its default max_iter = 20 (max_iter · 5 // 4)
CURVATURE_FLOOR = 1e-10  # torch keeps a pair (s, y) only when yᵀs exceeds this: H stays positive definite
ARMIJO, CURVATURE = 1e-4, 0.9  # the strong-Wolfe constants c1, c2 of torch's _strong_wolfe


class LBFGSState(NamedTuple):
    count: int  # frames so far (the schedule's clock)
    iterations: Array  # (runs,) int: torch's n_iter, the frames that computed a direction
    direction: Array  # d, (runs, 2): the last direction
    step_size: Array  # α, (runs,): the last step length along d (torch's t)
    previous_gradient: Array  # (runs, 2): the gradient the last direction was computed from
    steps: Array  # s, (runs, m, 2): the remembered steps α·d, oldest first
    gradient_changes: Array  # y, (runs, m, 2): the gradient changes they caused
    inverse_curvatures: Array  # ρ = 1/(yᵀs), (runs, m)
    stored: Array  # (runs,) int: how many pairs are remembered
    scale: Array  # γ = sᵀy / yᵀy of the newest pair, (runs,): the initial inverse Hessian γI
    evaluations: Array  # (runs, 2), both columns equal: function evaluations of the last frame


class LBFGSStep(NamedTuple):
    moved: Array  # (runs,) bool: False where max|g| ≤ tolerance_grad (torch returns before anything)
    first: Array  # (runs,) bool: the first direction, d = −g
    pair: Array  # (runs,) bool: a new pair (s, y) was remembered
    s: Array  # (runs, 2): d·α of the last frame
    y: Array  # (runs, 2): g_t − g_{t−1}
    curvature: Array  # yᵀs, (runs,)
    descent: Array  # gᵀd, (runs,): the slope along the new direction
    stepping: Array  # (runs,) bool: moved and gᵀd ≤ −tolerance_change
    trial: Array  # (runs,): the first step length tried
    step_size: Array  # α, (runs,): the step length taken (0 where not stepping)
    evaluations: Array  # (runs,) int
    step: Array  # θ_t − θ_{t−1}, (runs, 2)
    state: LBFGSState


def _dot(a: Array, b: Array) -> Array:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _larger(a, b):
    """Python's ``max(a, b)``, elementwise: b only where b > a (so a NaN in b keeps a)."""
    return np.where(b > a, b, a)


def _smaller(a, b):
    return np.where(b < a, b, a)


def cubic_minimizer(x1, f1, g1, x2, f2, g2, low=None, high=None):
    """torch's ``_cubic_interpolate``, elementwise: the minimizer of the cubic through (x1, f1, g1), (x2, f2, g2),
    clipped to [low, high] (default: between x1 and x2); the midpoint where the cubic has no real minimizer."""
    if low is None:
        low, high = np.where(x1 <= x2, x1, x2), np.where(x1 <= x2, x2, x1)
    with np.errstate(all="ignore"):  # both branches are computed; the one not taken may divide by 0
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1 * d1 - g1 * g2
        real = d2_square >= 0
        d2 = np.sqrt(np.where(real, d2_square, 0.0))
        minimizer = np.where(x1 <= x2, x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)),
                             x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2)))
    return np.where(real, _smaller(_larger(minimizer, low), high), (low + high) / 2.0)


def _rows(mask: Array) -> Array:
    return np.flatnonzero(mask)


def strong_wolfe(surface, x: Array, t: Array, d: Array, f: Array, gtd: Array, searching: Array, tolerance_change,
                 max_searches: int) -> tuple[Array, Array]:
    """torch's ``_strong_wolfe`` for every run at once: ``(t, evaluations)``, each (runs,).

    Each run follows torch's branches on its own numbers; a round evaluates f and ∇f once at
    x + t·d for every run still searching, so runs needing more evaluations keep going while
    the finished ones wait. ``max_searches`` is torch's ``max_ls``.
    """
    runs = len(t)
    t = t.copy()
    evaluations = np.zeros(runs, dtype=int)
    iterations = np.zeros(runs, dtype=int)  # torch's ls_iter
    d_norm = np.abs(d).max(axis=1)
    f_new, g_new = f.copy(), np.zeros_like(d)

    def evaluate(which: Array) -> None:
        rows = _rows(which)
        if rows.size:
            point = x[rows] + t[rows, None] * d[rows]  # torch: x.add_(d, alpha=t)
            f_new[rows], g_new[rows] = surface.value(point), surface.grad(point)
            evaluations[rows] += 1

    evaluate(searching)
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, gtd_prev = np.zeros(runs), f.copy(), gtd.copy()  # torch's bracket gradients only feed
    # its returned gradient, which max_iter = 1 never uses: only the slopes gᵀd are kept
    BRACKET, ZOOM, DONE = 0, 1, 2
    phase = np.where(searching, BRACKET, DONE)
    bt, bf, bgtd = np.zeros((runs, 2)), np.zeros((runs, 2)), np.zeros((runs, 2))  # the bracket: steps, f, slopes
    low = np.zeros(runs, dtype=int)  # which end of the bracket has the lower f
    wolfe_met = np.zeros(runs, dtype=bool)
    insufficient = np.zeros(runs, dtype=bool)
    every = np.arange(runs)

    while True:
        wanted = np.zeros(runs, dtype=bool)
        bracketing = phase == BRACKET
        if bracketing.any():
            exhausted = bracketing & (iterations >= max_searches)  # torch's loop ran out: bracket [0, t]
            open_ = bracketing & ~exhausted
            rise = open_ & ((f_new > f + ARMIJO * t * gtd) | ((iterations > 1) & (f_new >= f_prev)))
            wolfe = open_ & ~rise & (np.abs(gtd_new) <= -CURVATURE * gtd)
            uphill = open_ & ~rise & ~wolfe & (gtd_new >= 0)
            extend = open_ & ~rise & ~wolfe & ~uphill
            pair = rise | uphill
            bt[pair] = np.stack((t_prev, t), axis=1)[pair]
            bf[pair] = np.stack((f_prev, f_new), axis=1)[pair]
            bgtd[pair] = np.stack((gtd_prev, gtd_new), axis=1)[pair]
            bt[wolfe] = np.stack((t, t), axis=1)[wolfe]
            bf[wolfe] = np.stack((f_new, f_new), axis=1)[wolfe]
            bt[exhausted] = np.stack((np.zeros(runs), t), axis=1)[exhausted]
            bf[exhausted] = np.stack((f, f_new), axis=1)[exhausted]
            entering = pair | wolfe | exhausted
            wolfe_met |= wolfe
            low[entering] = np.where(bf[:, 0] <= bf[:, 1], 0, 1)[entering]
            insufficient[entering] = False
            phase[entering] = ZOOM
            if extend.any():
                guess = cubic_minimizer(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                        t + 0.01 * (t - t_prev), t * 10)
                t_prev = np.where(extend, t, t_prev)
                f_prev = np.where(extend, f_new, f_prev)
                gtd_prev = np.where(extend, gtd_new, gtd_prev)
                t = np.where(extend, guess, t)
                wanted |= extend
        zooming = phase == ZOOM
        if zooming.any():
            finished = zooming & (wolfe_met | (iterations >= max_searches))
            finished |= zooming & ~finished & (np.abs(bt[:, 1] - bt[:, 0]) * d_norm < tolerance_change)
            phase[finished] = DONE
            refine = zooming & ~finished
            if refine.any():
                guess = cubic_minimizer(bt[:, 0], bf[:, 0], bgtd[:, 0], bt[:, 1], bf[:, 1], bgtd[:, 1])
                top, bottom = _larger(bt[:, 0], bt[:, 1]), _smaller(bt[:, 0], bt[:, 1])
                margin = 0.1 * (top - bottom)
                near_edge = _smaller(top - guess, guess - bottom) < margin
                at_edge = insufficient | (guess >= top) | (guess <= bottom)
                moved = near_edge & at_edge  # 0.1 of the bracket away from the nearer end
                guess = np.where(moved, np.where(np.abs(guess - top) < np.abs(guess - bottom), top - margin,
                                                 bottom + margin), guess)
                insufficient = np.where(refine, near_edge & ~at_edge, insufficient)
                t = np.where(refine, guess, t)
                wanted |= refine
        else:
            refine = zooming
        if not wanted.any():
            break
        evaluate(wanted)
        iterations += wanted
        gtd_new = np.where(wanted, _dot(g_new, d), gtd_new)
        if refine.any():
            high = 1 - low
            worse = refine & ((f_new > f + ARMIJO * t * gtd) | (f_new >= bf[every, low]))
            rows = _rows(worse)
            bt[rows, high[rows]], bf[rows, high[rows]], bgtd[rows, high[rows]] = t[rows], f_new[rows], gtd_new[rows]
            low[rows] = np.where(bf[rows, 0] <= bf[rows, 1], 0, 1)
            better = refine & ~worse
            wolfe_met |= better & (np.abs(gtd_new) <= -CURVATURE * gtd)
            flip = better & ~wolfe_met & (gtd_new * (bt[every, high] - bt[every, low]) >= 0)
            rows = _rows(flip)  # the old low end becomes the high end
            for b in (bt, bf, bgtd):
                b[rows, high[rows]] = b[rows, low[rows]]
            rows = _rows(better)
            bt[rows, low[rows]], bf[rows, low[rows]], bgtd[rows, low[rows]] = t[rows], f_new[rows], gtd_new[rows]
    return np.where(searching, bt[every, low], t), evaluations


def _column(value, runs: int) -> Array:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (runs,))


def _whole(value) -> Array:
    """The history size as a whole number ≥ 1: a fraction (a sweep's axis between notches) is rounded down."""
    return np.floor(np.asarray(value, dtype=float)).astype(int)


def _two_loop(grad: Array, steps: Array, changes: Array, rho: Array, scale: Array, pairs: int) -> Array:
    """−H g by the two-loop recursion over the remembered pairs, newest first, then oldest first; (runs, 2).

    The slots beyond a run's pairs hold zeros (ρ = 0 too), which add exactly 0 to q and r: no mask is needed.
    One run (the app's races) goes through Python floats, whose + − × round exactly as NumPy's do, so both
    paths give the same numbers; NumPy's call overhead would cost ~40× more per pair there.
    """
    if grad.shape[0] == 1:
        s, y, p = steps[0, :pairs].tolist(), changes[0, :pairs].tolist(), rho[0, :pairs].tolist()
        q0, q1 = -float(grad[0, 0]), -float(grad[0, 1])
        alphas = [0.0] * pairs
        for i in range(pairs - 1, -1, -1):
            a = (s[i][0] * q0 + s[i][1] * q1) * p[i]
            alphas[i] = a
            q0, q1 = q0 + (-a) * y[i][0], q1 + (-a) * y[i][1]
        gamma = float(scale[0])
        r0, r1 = q0 * gamma, q1 * gamma
        for i in range(pairs):
            coefficient = alphas[i] - (y[i][0] * r0 + y[i][1] * r1) * p[i]
            r0, r1 = r0 + coefficient * s[i][0], r1 + coefficient * s[i][1]
        return np.array([[r0, r1]])
    q0, q1 = -grad[:, 0], -grad[:, 1]
    s0, s1, y0, y1 = steps[..., 0], steps[..., 1], changes[..., 0], changes[..., 1]
    alphas = np.zeros((grad.shape[0], pairs))
    for i in range(pairs - 1, -1, -1):
        a = (s0[:, i] * q0 + s1[:, i] * q1) * rho[:, i]
        alphas[:, i] = a
        q0, q1 = q0 + (-a) * y0[:, i], q1 + (-a) * y1[:, i]
    r0, r1 = q0 * scale, q1 * scale
    for i in range(pairs):
        coefficient = alphas[:, i] - (y0[:, i] * r0 + y1[:, i] * r1) * rho[:, i]
        r0, r1 = r0 + coefficient * s0[:, i], r1 + coefficient * s1[:, i]
    return np.stack((r0, r1), axis=1)


def lbfgs_step(grad: Array, params: Array, state: LBFGSState, eta, history_size, tolerance_grad, tolerance_change,
               line_search: bool, surface=None) -> LBFGSStep:
    """One ``torch.optim.LBFGS.step()`` with ``max_iter=1`` for (runs, 2) arrays; hyperparameters scalars or (runs,)."""
    runs = grad.shape[0]
    eta, tol_grad, tol_change = (_column(v, runs) for v in (eta, tolerance_grad, tolerance_change))
    capacity = np.broadcast_to(_whole(history_size).reshape(-1), (runs,))
    moved = ~(np.abs(grad).max(axis=1) <= tol_grad)  # torch's opt_cond: it returns at once
    first = moved & (state.iterations == 0)
    later = moved & (state.iterations > 0)
    iterations = state.iterations + moved

    # the curvature pair of the last frame: s = α d, y = g_t − g_{t−1}; kept only where yᵀs > 1e-10
    y = grad - state.previous_gradient
    s = state.direction * state.step_size[:, None]
    ys = _dot(y, s)
    pair = later & (ys > CURVATURE_FLOOR)
    steps, changes, rho = state.steps.copy(), state.gradient_changes.copy(), state.inverse_curvatures.copy()
    stored = state.stored.copy()
    full = pair & (stored == capacity)
    steps[full, :-1], changes[full, :-1], rho[full, :-1] = steps[full, 1:], changes[full, 1:], rho[full, 1:]
    rows = _rows(pair)
    slot = np.where(full, capacity - 1, stored)[rows]
    steps[rows, slot], changes[rows, slot] = s[rows], y[rows]
    with np.errstate(all="ignore"):
        rho[rows, slot] = 1.0 / ys[rows]
        scale = np.where(pair, ys / _dot(y, y), np.where(first, 1.0, state.scale))
    stored = np.where(pair, np.minimum(stored + 1, capacity), stored)

    r = _two_loop(grad, steps, changes, rho, scale, int(stored.max(initial=0)))
    direction = np.where(first[:, None], -grad, np.where(later[:, None], r, state.direction))

    # the first step is at most η/‖g‖₁ long; later ones start from η
    with np.errstate(divide="ignore"):
        trial = np.where(first, _smaller(1.0, 1.0 / np.abs(grad).sum(axis=1)) * eta, eta)
    trial = np.where(moved, trial, state.step_size)
    descent = _dot(grad, direction)
    stepping = moved & ~(descent > -tol_change)  # torch stops when the slope is not below −tolerance_change
    evaluations = np.ones(runs, dtype=int)
    step_size = trial
    if line_search and stepping.any():
        if surface is None:
            raise ValueError("the strong-Wolfe line search needs the surface (needs_surface)")
        value = surface.value(params)  # torch's first closure call gives f with ∇f: still one evaluation
        step_size, searched = strong_wolfe(surface, params, trial, direction, value, descent, stepping, tol_change,
                                           MAX_EVALUATIONS - 1)
        evaluations = evaluations + searched
    step = np.where(stepping[:, None], step_size[:, None] * direction, 0.0)
    new = LBFGSState(state.count + 1, iterations, direction, step_size, np.where(moved[:, None], grad,
                                                                                 state.previous_gradient),
                     steps, changes, rho, stored, scale, np.repeat(evaluations[:, None].astype(float), 2, axis=1))
    return LBFGSStep(moved, first, pair, s, y, ys, descent, stepping, trial, np.where(stepping, step_size, 0.0),
                     evaluations, step, new)


def _check_history_size(history_size) -> None:
    sizes = np.asarray(history_size, dtype=float)
    if sizes.ndim > 1 or not np.all(np.isfinite(sizes)) or np.any(sizes < 1):
        raise ValueError(f"history_size must be a number ≥ 1 or an array of them (got {history_size!r})")


def lbfgs(lr: float | Array = 1.0, history_size: float | Array = 100.0, tolerance_grad: float | Array = 1e-10,
          tolerance_change: float | Array = 0.0, *, convention: str = "pytorch", schedule: Schedule | None = None
          ) -> Optimizer:
    r"""L-BFGS, as ``torch.optim.LBFGS(max_iter=1, max_eval=25)``, one ``step()`` per frame; needs the surface.

    The default tolerances are lower than torch's (τ_g = 1e-7, τ_f = 1e-9; pass those to equal
    ``torch.optim.LBFGS()``): with torch's, a run stops stepping where max|g| ≤ 1e-7, short of the race's
    own convergence test (|g| ≤ 1e-8), and stands still a little before the minimum reading "not converged".

    ::

        input:      η (lr), m (history_size), τ_g (tolerance_grad), τ_f (tolerance_change), s (schedule),
                    θ₀ (start), f (objective)
        initialize: k ← 0 (directions so far), no pairs
        for t = 1, 2, … do
            η_t ← η·s(t−1)
            g_t ← ∇f(θ_{t−1})
            if max|g_t| ≤ τ_g: θ_t ← θ_{t−1}, next t                 (torch returns at once)
            k ← k + 1
            if k = 1:
                d ← −g_t,   α ← min(1, 1/‖g_t‖₁)·η_t
            else:
                s ← α_prev d_prev,   y ← g_t − g_prev
                if yᵀs > 10⁻¹⁰: remember (s, y, ρ = 1/yᵀs), forgetting the oldest beyond m;  γ ← yᵀs / yᵀy
                q ← −g_t;  for the pairs i newest to oldest:  a_i ← ρ_i s_iᵀq,  q ← q − a_i y_i
                r ← γ q;   for the pairs i oldest to newest:  b_i ← ρ_i y_iᵀr,  r ← r + (a_i − b_i) s_i
                d ← r,     α ← η_t
            g_prev ← g_t
            if g_tᵀd > −τ_f: θ_t ← θ_{t−1}, next t                     (not a descent direction)
            textbook: α ← strong-Wolfe line search along d from α (c1 = 10⁻⁴, c2 = 0.9, ≤ 24 more evaluations)
            θ_t ← θ_{t−1} + α d
        return θ_t

    The conventions are torch's two line searches: ``pytorch`` is its default ``line_search_fn=None``
    (the step is α d, no evaluation beyond the gradient at θ_{t−1}); ``textbook`` is
    ``line_search_fn="strong_wolfe"``, the line search of Nocedal & Wright's algorithm (torch's
    port of minFunc's): bracketing by cubic interpolation, then zooming, until f has decreased
    enough and the slope has flattened (the strong Wolfe conditions). ``max_eval=25`` (torch's
    default for its default ``max_iter=20``) is passed so the search may take up to 24 evaluations
    besides the gradient at θ_{t−1}: with ``max_iter=1`` and torch's default ``max_eval`` (1) the search
    could only try α once and, when f does not decrease, take α = 0, and then stay there forever.

    Early stops, as torch: where max|g| ≤ τ_g, ``step()`` returns before anything, so the frame
    takes no step and the state is unchanged (one evaluation). Where gᵀd > −τ_f, the direction and
    α are kept (the next pair has y = 0 and is skipped) but no step is taken, so the next frame computes the
    same direction again: the run stays there for good, as torch's does (near a minimum, where gᵀd = −gᵀHg
    shrinks below τ_f long before max|g| reaches τ_g). Likewise where the line search finds no lower f
    than at α = 0 (rounding, near a minimum) it returns α = 0, with the same outcome. torch's other checks
    (|f_t − f_{t−1}| and |α d| below τ_f) only end its inner loop, which ``max_iter=1`` ends anyway.

    Records ``evaluations`` (function evaluations of the frame, the difference of torch's
    ``func_evals``: 1 without a line search, 1 + the search's with it) and ``direction`` d.
    ``history_size`` is a whole number: a fraction, which a sweep's axis may pass, is rounded down.

    References: Nocedal, "Updating quasi-Newton matrices with limited storage", Math. Comp. 1980;
    Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006, algorithms 7.4, 3.5 and 3.6; torch.optim.LBFGS
    (torch 2.13). Unlike SciPy's ``fmin_l_bfgs_b``, torch scales the first step by 1/‖g‖₁ and has no bounds.
    """
    convention = check_convention(convention, CONVENTIONS)
    _check_history_size(history_size)
    rate = learning_rate(lr, schedule)
    line_search = convention == "textbook"
    largest = int(_whole(history_size).max())

    def init(params: Array) -> LBFGSState:
        runs = params.shape[0]
        return LBFGSState(0, np.zeros(runs, dtype=int), np.zeros((runs, 2)), np.zeros(runs), np.zeros((runs, 2)),
                          np.zeros((runs, largest, 2)), np.zeros((runs, largest, 2)), np.zeros((runs, largest)),
                          np.zeros(runs, dtype=int), np.ones(runs), np.zeros((runs, 2)))

    def update(grad, state, params, hessian=None, *, surface=None):
        eta = rate.at(state.count + 1)
        out = lbfgs_step(grad, params, state, np.asarray(eta).reshape(-1), history_size, tolerance_grad,
                         tolerance_change, line_search, surface)
        return out.step, out.state

    def internals(s: LBFGSState) -> dict[str, Array]:
        return {"direction": s.direction, "evaluations": s.evaluations}

    return Optimizer("lbfgs", init, update, internals,
                     dict(lr=lr, history_size=history_size, tolerance_grad=tolerance_grad,
                          tolerance_change=tolerance_change, convention=convention, schedule=schedule),
                     runs_of(lr, history_size, tolerance_grad, tolerance_change), needs_surface=True)


def explain(s: Replay) -> Array:
    w, g = s.w, s.g
    h = s.hyper
    line_search = s.convention == "textbook"
    state = s.state_before() if s.state_before is not None else lbfgs(history_size=h["history_size"]).init(
        s.theta[None])
    if s.surface is None and line_search:  # the rule in symbols only (a step with nothing to substitute)
        s.rows += _symbolic_rows(True, True)
        return s.theta
    out = lbfgs_step(g[None], s.theta[None], state, np.array([s.eta]), h["history_size"], h["tolerance_grad"],
                     h["tolerance_change"], line_search, s.surface)
    first, pair = bool(out.first[0]), bool(out.pair[0])
    if not out.moved[0]:
        s.rows.append(r"\max_i |g_{i,t}| &\le \tau_g:\ \theta_t = \theta_{t-1}")
        w.eq(r"\max_i |g_{i,t}|", None, float(np.abs(g).max()))
        return s.finish(out.step[0], ["" for _ in range(2)])
    s.rows += _symbolic_rows(first, line_search)
    if first:
        for i in range(2):
            w.eq(s.sym("d", i), rf"-{w.o(g[i])}", out.state.direction[0, i])
        capped = out.trial[0] < s.eta  # α0 = η/‖g‖₁ (else 1·η)
        w.eq(r"\alpha_0", rf"\frac{{{w.n(s.eta)}}}{{{w.n(abs(g[0]))} + {w.n(abs(g[1]))}}}" if capped else None,
             out.trial[0])
    else:
        for i in range(2):
            w.eq(s.sym("s", i, s.t - 1), None, out.s[0, i])
        for i in range(2):
            w.eq(s.sym("y", i, s.t - 1), None, out.y[0, i])
        w.eq(r"y^\top s", None, out.curvature[0])
        w.eq(r"\gamma", None, out.state.scale[0])
        for i in range(2):
            w.eq(s.sym("d", i), None, out.state.direction[0, i])
        w.eq(r"\alpha_0", None, out.trial[0])
    w.eq(r"g_t^\top d_t", None, out.descent[0])
    s.values.update(direction=out.state.direction[0], pair_kept=pair, pairs=int(out.state.stored[0]),
                    scale=float(out.state.scale[0]), trial_step=float(out.trial[0]),
                    step_size=float(out.step_size[0]), evaluations=int(out.evaluations[0]))
    if not out.stepping[0]:
        s.rows.append(r"g_t^\top d_t &> -\tau_f:\ \theta_t = \theta_{t-1}")
        return s.finish(out.step[0], ["" for _ in range(2)])
    if line_search:
        w.eq(r"\alpha", None, out.step_size[0])
        w.eq(r"\text{evaluations}", None, out.evaluations[0])
    alpha = w.o(out.step_size[0])
    return s.finish(out.step[0], [f" + {alpha} \\cdot {w.o(out.state.direction[0, i])}" for i in range(2)])


def _symbolic_rows(first: bool, line_search: bool) -> list[str]:
    rows = ([r"d_t &= -g_t", r"\alpha_0 &= \min\left(1, \frac{\eta_t}{\lVert g_t\rVert_1}\right)"] if first else
            [r"s_{t-1} &= \alpha_{t-1} d_{t-1},\quad y_{t-1} = g_t - g_{t-1}",
             r"\gamma &= \frac{y^\top s}{y^\top y}\ \text{(newest pair with } y^\top s > 10^{-10})",
             r"d_t &= -H_t\,g_t\ \text{(two-loop recursion over the last } m \text{ pairs, } H^0 = \gamma I)",
             r"\alpha_0 &= \eta_t"])
    rows.append(r"\alpha &= \text{strong-Wolfe line search from } \alpha_0" if line_search else r"\alpha &= \alpha_0")
    rows.append(r"\theta_t &= \theta_{t-1} + \alpha\,d_t")
    return rows


def _torch_kwargs(h: Mapping[str, float], line_search_fn: str | None = None) -> dict:
    return {"lr": h["lr"], "max_iter": 1, "max_eval": MAX_EVALUATIONS, "history_size": int(h["history_size"]),
            "tolerance_grad": h["tolerance_grad"], "tolerance_change": h["tolerance_change"],
            "line_search_fn": line_search_fn}


def _tolerance(name: str, default: float, link: str, label: Text, help: Text) -> Hyper:
    return Hyper(name, default, 0.0, 1.0, (0.0, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3), link, label,
                 help, Sweep(1e-12, 1e-3, True), log=True)


HISTORY_SIZE = Hyper("history_size", 100.0, 1.0, 1000.0, (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0), "hist",
                     Text("history size m", "历史长度 m"),
                     Text("m: how many recent (step, gradient change) pairs shape the curvature estimate",
                          "m：用多少对最近的（步长，梯度变化）来估计曲率"),
                     Sweep(1.0, 100.0, True), log=True)

SPEC = OptimizerSpec(
    name="lbfgs", order=24, display_name="L-BFGS", group="second_order",
    description=Text("Quasi-Newton: the curvature estimated from the last few steps and gradient changes; "
                     "optionally a strong-Wolfe line search.",
                     "拟牛顿法：用最近几步的步长与梯度变化估计曲率；可选强 Wolfe 线搜索。"),
    hyperparameters=(
        dataclasses.replace(hp.lr(1.0), help=Text("η: the step length tried along d (the first step: at most "
                                                  "η/‖g‖₁)", "η：沿 d 尝试的步长（第一步至多 η/‖g‖₁）")),
        HISTORY_SIZE,
        _tolerance("tolerance_grad", 1e-10, "tolg", Text("gradient tolerance τ_g", "梯度容差 τ_g"),
                   Text("τ_g: no step while every |gradient coordinate| is at most this",
                        "τ_g：所有梯度分量的绝对值都不超过它时不再迈步")),
        _tolerance("tolerance_change", 0.0, "tolc", Text("change tolerance τ_f", "变化容差 τ_f"),
                   Text("τ_f: no step unless the slope along d is below −τ_f; ends the line search's zoom",
                        "τ_f：沿 d 的斜率不低于 −τ_f 时不迈步；也用于结束线搜索的缩小区间"))),
    build=lbfgs, explain=explain,
    tuning=TuningHint(tune_lr=False),  # η = 1 is the quasi-Newton step itself
    torch=None,
    no_torch="torch.optim.LBFGS needs a closure and counts evaluations, which the shared torch script does not "
             "drive; tests/reference/make_lbfgs_reference.py records it (tests/reference/thirdparty/lbfgs.json)",
    conventions=CONVENTIONS, needs_hessian=False,
    internals=("direction", "evaluations"),
    explain_note=Text("L-BFGS rebuilds its remembered pairs by replaying the run up to θ{prev}; the direction d is "
                      "the two-loop recursion's result.",
                      "L-BFGS 通过重放到 θ{prev} 为止的运行重建记住的向量对；方向 d 是双循环递推的结果。"),
    plotted={"evaluations": Text("function evaluations per step", "每步函数求值次数")},
)
