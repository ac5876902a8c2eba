"""Typed surfaces against the built-in one: ns per point-step, before (tree walk) and after (programs).

A step of ``simulate`` evaluates ``value(p)`` and ``grad(p)`` once for all runs (and the Hessian
for Newton). Timed here, side by side in one run, for a batch of 12 runs (a full race):

- the built-in Rosenbrock (hand-written NumPy),
- the same formula typed, ``(1 - x)**2 + 100*(y - x**2)**2``,
- a 285-character typed expression with 2,189 distinct derivative-tree operations (nested
  sigmoids in quotients: the kind of input that approaches MAX_NODES = 3,000),

each typed one "before": walking the trees per call (``expression.evaluate``, as every call did
before the programs), and "after": the straight-line programs (``surfaces.typed.program``).
Rows: value + gradient per step (what a race step costs), value + gradient + Hessian, and a whole
``simulate`` of Adam. Goal: typed Rosenbrock within 3x of the built-in per step. The outputs are
checked equal (program vs tree) before anything is timed.
Run: ``python benchmarks/bench_typed.py [--runs 12 --steps 300 --repeats 5]``
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from optviz import make_optimizer, simulate
from surfaces import get_surface
from surfaces._calculus import pack_grad, pack_hessian
from surfaces.typed.custom import _at, custom_surface
from surfaces.typed.expression import postorder

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
_HALF = ("sigmoid(sigmoid(sigmoid(sigmoid(x*y)/(1+x^2))/(2+sigmoid(x-y)^2))/(1+sigmoid(sigmoid(x+y)/(1+y^2))^2))"
         "/(1+sigmoid(x/(1+sigmoid(y/(1+x^2))))^2)")
BIG = _HALF + "+" + _HALF.replace("x", "X").replace("y", "x").replace("X", "y")  # and with x, y swapped


def tree_surface(surface):
    """``surface`` (a typed one) with the tree-walking value/grad/hessian every call used before."""
    fn = surface.value.__self__
    return dataclasses.replace(
        surface, value=lambda p: _at([fn.f], p)[0], grad=lambda p: pack_grad(*_at(list(fn.gradient), p)),
        hessian=lambda p: pack_hessian(*_at(list(fn.hessian_entries), p)))


def best_time(fn, repeats: int, number: int) -> float:
    """Best seconds per call of ``fn`` over ``repeats`` rounds of ``number`` calls."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    built_in = get_surface("rosenbrock")
    typed = custom_surface(ROSENBROCK, bounds=built_in.bounds, start=built_in.start)
    big = custom_surface(BIG)
    rng = np.random.default_rng(0)
    contenders = {"built-in rosenbrock": (built_in, None)}
    for name, s in (("typed rosenbrock", typed), ("typed 285-char", big)):
        contenders[f"{name}, before (tree walk)"] = (tree_surface(s), s)
        contenders[f"{name}, after (program)"] = (s, s)

    for name, s in (("typed rosenbrock", typed), ("typed 285-char", big)):
        fn = s.value.__self__
        size = len(postorder([fn.f, *fn.gradient, *fn.hessian_entries]))
        print(f"{name}: {len(fn.source)} characters, {size} distinct tree operations (cap 3000); program "
              f"NumPy calls: value {fn.programs[0].size}, gradient {fn.programs[1].size}, "
              f"Hessian {fn.programs[2].size}, all three together {fn.programs[3].size}")
        p = rng.uniform(-2, 2, (1000, 2))
        old, new = fn.tree_value_grad_hessian(p), fn.value_grad_hessian(p)
        for a, b in zip(old, new):
            assert np.array_equal(a, b, equal_nan=True), "program and tree walk disagree"
        assert np.array_equal(s.grad(p), old[1], equal_nan=True) and np.array_equal(s.hessian(p), old[2], equal_nan=True)
    print("program == tree walk, bit for bit, at 1000 random points (value, gradient, Hessian)")
    print(f"\nns per point-step, batch of {args.runs} runs (best of {args.repeats}):")
    print(f"{'':38s} {'value+grad':>12s} {'+Hessian':>12s} {'simulate adam':>14s}  {'x built-in':>10s}")
    p = built_in.start + rng.normal(0, 0.3, (args.runs, 2))
    adam = make_optimizer("adam", lr=1e-3)
    base = None
    for name, (s, _) in contenders.items():
        slow = "285" in name and "before" in name
        number = 20 if slow else 400
        vg = best_time(lambda: (s.value(p), s.grad(p)), args.repeats, number)
        vgh = best_time(lambda: (s.value(p), s.grad(p), s.hessian(p)), args.repeats, number)
        steps = args.steps // 10 if slow else args.steps
        sim = best_time(lambda: simulate(s, adam, p, steps, record_internals=False), args.repeats, 1) / steps
        per = 1e9 / args.runs
        if base is None:
            base = vg
        print(f"{name:38s} {vg * per:12,.0f} {vgh * per:12,.0f} {sim * per:14,.0f}  {vg / base:10.2f}")
    print("\n(value+grad: one step's surface work; simulate: a whole step of Adam, bookkeeping included;"
          " x built-in: value+grad over the built-in's)")


if __name__ == "__main__":
    main()
