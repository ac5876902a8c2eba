"""The command line: ``optviz run`` prints one trajectory, ``optviz sweep`` a hyperparameter grid,
``optviz basins`` where a grid of starts ends, ``optviz list`` what there is to run.

    python -m optviz run --surface rosenbrock --optimizer adam --lr 0.01 --steps 500 > adam.csv
    python -m optviz run --surface ravine --surface-param condition=50 --optimizer momentum --format json
    python -m optviz sweep --surface quadratic --optimizer momentum --x lr:1e-3:3:60:log --y beta:0:0.99:50
    python -m optviz basins --surface himmelblau --optimizer sgd --lr 0.002 --n 41 --steps 1000
    python -m optviz list --format json

Stdout carries only the data (CSV with ``step,x,y,loss,grad_x,grad_y,<internals>`` columns for
``run``, ``<x>,<y>,final_loss,steps_to_tol,status`` for ``sweep``, or JSON); the status goes to
stderr as one ``# surface · optimizer · status`` line (a count per status for a grid). A number
that does not exist (NaN: an effective rate undefined at ε = 0) is an empty CSV field and a JSON
null. The hyperparameter flags are built from ``HYPERPARAMETERS`` and the surface parameters come
from ``surfaces.PARAMETERS``, so a new optimizer or surface needs no change here. A bad command
line ends with status 2 and one stderr line naming the flag and what it allows::

    optviz: error: --lr must be in (0, 100] (got -1)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, Sequence

import numpy as np
import pandas as pd

from optviz import export, share
from optviz.i18n import LANGUAGES
from optviz.optimizers import (CONVENTIONS, DISPLAY_NAMES, HAS_BIAS_CORRECTION, HYPERPARAMETERS, NOISE, OPTIMIZERS,
                               Optimizer, make_optimizer)
from optviz.race import MAX_STEPS, RaceConfig
from optviz.schedules import parse as parse_schedule
from optviz.simulate import simulate
from optviz.sweep import GRID_POINTS, STATUSES, Axis, SweepResult, basin_map, parse_axis, sweep
from optviz.trajectory import Trajectory
from surfaces import CUSTOM, PARAMETERS, SURFACES, custom_surface, get_surface
from surfaces.base import Parameter, Surface

PROG = "optviz"
STEPS = (1, 100_000)  # allowed --steps, inclusive
DEFAULT_STEPS = 100
SEEDS = (0, 2**32 - 1)  # allowed --seed, inclusive
TOL = Parameter("tol", 1e-8, 0.0, 1.0, help="stop once the gradient and the step are both this small; 0 never stops")
TOLERANCE = Parameter("tolerance", 1e-6, 0.0, 1e6, help="steps_to_tol counts the steps until loss − f_min is this small")
DEFAULT_SWEEP_STEPS = 200
DEFAULT_BASIN_STEPS = 500
DEFAULT_BASIN_N = 41
RUN_STEPS = 10**9  # most cells × steps (or starts × steps) one grid command may ask for


class UsageError(Exception):
    """A bad command line: ``main`` prints it as one line and returns 2."""


class _Parser(argparse.ArgumentParser):
    """argparse whose own complaints (unknown flag, bad choice, missing value) are one line, no usage dump."""

    def error(self, message: str):
        raise UsageError(message)


# ---------------------------------------------------------------------------------------------- parser


def _flag(name: str) -> str:
    """``weight_decay`` -> ``--weight-decay``."""
    return "--" + name.replace("_", "-")


def _hyperparameters() -> dict[str, Parameter]:
    """Every hyperparameter name any optimizer takes, first spec seen, in registry order."""
    specs: dict[str, Parameter] = {}
    for spec in (p for group in HYPERPARAMETERS.values() for p in group):
        specs.setdefault(spec.name, spec)
    return specs


def _takers(name: str) -> list[str]:
    return [opt for opt, group in HYPERPARAMETERS.items() if any(p.name == name for p in group)]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, allow_abbrev=False,
                     description="Optimizer trajectories on analytic 2-D loss surfaces.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands.add_parser("run", allow_abbrev=False, help="print one trajectory as CSV or JSON",
                                 description="Run one optimizer on one surface and print its trajectory."))
    _add_sweep(commands.add_parser("sweep", allow_abbrev=False,
                                   help="print the final loss of every cell of a 2-D hyperparameter grid",
                                   description="Run one optimizer once per cell of a grid of two of its "
                                               "hyperparameters, all cells at once, and print one row per cell."))
    _add_basins(commands.add_parser("basins", allow_abbrev=False,
                                    help="print which minimum each start of an n x n grid ends at",
                                    description="Run one optimizer from every point of an n x n grid over the "
                                                "plot and print where each run ended."))
    _add_render(commands.add_parser("render", allow_abbrev=False, help="write a race as a GIF, PNG, HTML or CSV file",
                                    description="Race one or more optimizers and write the race map as an animated "
                                                "GIF, a PNG at one step, an interactive HTML page or a CSV table."))
    listing = commands.add_parser("list", allow_abbrev=False, help="print the surfaces and optimizers",
                                  description="Print the surfaces and optimizers with their parameters.")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    listing.set_defaults(handler=list_command)
    return parser


def _add_target(command: argparse.ArgumentParser) -> None:
    command.add_argument("--surface", required=True, choices=[*SURFACES, CUSTOM], metavar="NAME",
                         help=f"one of: {', '.join(SURFACES)}, or {CUSTOM} with --expression")
    command.add_argument("--expression", metavar="TEXT",
                         help="f(x, y) for --surface custom, e.g. 'x**2 + 3*sin(y) - 0.5*x*y'")
    command.add_argument("--bounds", nargs=4, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                         help="plot box of a custom surface (default -3 3 -3 3)")
    command.add_argument("--optimizer", required=True, choices=list(OPTIMIZERS), metavar="NAME",
                         help=f"one of: {', '.join(OPTIMIZERS)}")


def _add_hyperparameters(command: argparse.ArgumentParser, what: str = "each optimizer takes only its own; "
                         "`optviz list` shows their ranges and defaults") -> None:
    hyper = command.add_argument_group("hyperparameters", what)
    for name, spec in _hyperparameters().items():
        hyper.add_argument(_flag(name), dest=name, metavar="F", help=f"{spec.help} ({', '.join(_takers(name))})")
    hyper.add_argument("--convention", choices=CONVENTIONS, default="pytorch",
                       help="whose update formula to follow (default: pytorch)")
    hyper.add_argument("--no-bias-correction", action="store_true",
                       help=f"skip Adam's bias correction ({', '.join(HAS_BIAS_CORRECTION)})")
    hyper.add_argument("--schedule", metavar="SPEC",
                       help="learning-rate schedule: constant, step:N:F, exp:G or cosine:T[:FLOOR], "
                            "optionally followed by +warmup:W")
    hyper.add_argument("--noise", metavar="F", help=f"{NOISE.help}, in {NOISE.range_text} (default 0)")
    hyper.add_argument("--seed", metavar="N", default="0", help="seed of the gradient noise (default 0)")


def _add_where(command: argparse.ArgumentParser, default_steps: int, start: bool = True) -> argparse._ArgumentGroup:
    where = command.add_argument_group("run")
    where.add_argument("--steps", metavar="N", default=str(default_steps),
                       help=f"number of updates, in [{STEPS[0]}, {STEPS[1]}] (default {default_steps})")
    if start:
        where.add_argument("--start", nargs=2, metavar=("X", "Y"), help="start point (default: the surface's)")
    where.add_argument("--surface-param", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                       help="a surface parameter, e.g. condition=50 for ravine")
    where.add_argument("--tol", metavar="F", help=f"{TOL.help}, in {TOL.range_text} (default {TOL.default:g})")
    return where


def _add_run(run: argparse.ArgumentParser) -> None:
    run.set_defaults(handler=run_command)
    _add_target(run)
    _add_hyperparameters(run)
    where = _add_where(run, DEFAULT_STEPS)
    where.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="csv: a header, then one row per step from 0; json: the run's settings, status and rows")


def _add_sweep(command: argparse.ArgumentParser) -> None:
    command.set_defaults(handler=sweep_command)
    _add_target(command)
    grid = command.add_argument_group("grid", "NAME is one of the optimizer's hyperparameters; N in "
                                      f"[{GRID_POINTS[0]}, {GRID_POINTS[1]}]; add :log for log spacing")
    grid.add_argument("--x", required=True, metavar="NAME:LOW:HIGH:N[:log]",
                      help="the first hyperparameter's grid, e.g. lr:1e-4:1:100:log")
    grid.add_argument("--y", required=True, metavar="NAME:LOW:HIGH:N[:log]",
                      help="the second hyperparameter's grid, e.g. beta:0.5:0.999:100")
    _add_hyperparameters(command, "fixed for every cell; each optimizer takes only its own, and a swept one "
                                  "cannot be fixed too")
    where = _add_where(command, DEFAULT_SWEEP_STEPS)
    where.add_argument("--tolerance", metavar="F", help=f"{TOLERANCE.help}, in {TOLERANCE.range_text} "
                                                        f"(default {TOLERANCE.default:g})")
    where.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="csv: a header <x>,<y>,final_loss,steps_to_tol,status, then one row per cell, "
                            "x fastest; json: the settings, the best cell and the rows")


def _add_basins(command: argparse.ArgumentParser) -> None:
    command.set_defaults(handler=basins_command)
    _add_target(command)
    _add_hyperparameters(command)
    where = _add_where(command, DEFAULT_BASIN_STEPS, start=False)
    where.add_argument("--n", metavar="N", default=str(DEFAULT_BASIN_N),
                       help=f"starts per side of the grid over the plot, in [{GRID_POINTS[0]}, {GRID_POINTS[1]}] "
                            f"(default {DEFAULT_BASIN_N})")
    where.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="csv: a header x,y,basin,status,final_x,final_y,final_loss, then one row per start; "
                            "json: the settings, the minima, the counts and the rows")


def _add_render(command: argparse.ArgumentParser) -> None:
    command.set_defaults(handler=render_command)
    command.add_argument("--out", required=True, metavar="PATH",
                         help="the file to write; its suffix picks the kind: .gif, .png, .html or .csv")
    command.add_argument("--surface", default="rosenbrock", choices=[*SURFACES, CUSTOM], metavar="NAME",
                         help=f"one of: {', '.join(SURFACES)}, or {CUSTOM} with --expression (default rosenbrock)")
    command.add_argument("--expression", metavar="TEXT", help="f(x, y) for --surface custom")
    command.add_argument("--bounds", nargs=4, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                         help="plot box of a custom surface (default -3 3 -3 3)")
    command.add_argument("--surface-param", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                         help="a surface parameter, e.g. condition=50 for ravine")
    command.add_argument("--optimizer", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
                         help="a contestant; repeat the flag to race several. Keys as in a shared link: lr, b, b1, "
                              "b2, eps, wd, damp, c (convention), bc (0/1), sch (schedule), noise, seed, lb (label); "
                              "e.g. adam:lr=0.01,b1=0.9 or sgd:lr=0.1,sch=step:100:0.5")
    command.add_argument("--start", nargs=2, metavar=("X", "Y"), help="start point (default: the surface's)")
    command.add_argument("--steps", metavar="N", default="500", help=f"number of updates, in [1, {MAX_STEPS}] "
                                                                     "(default 500)")
    command.add_argument("--link", metavar="URL",
                         help="take surface, start, steps and optimizers from a link copied from the app instead")
    command.add_argument("--lang", choices=list(LANGUAGES), default="en", help="language of the words in the picture")
    command.add_argument("--step", metavar="N", help="for .png: the step to show (default: the last)")


# ------------------------------------------------------------------------------------------ validation


def _number(flag: str, spec: Parameter, text: str) -> float:
    try:
        return spec.check(text)
    except ValueError:
        raise UsageError(f"{flag} must be in {spec.range_text} (got {text})") from None


def _whole(flag: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{flag} must be a whole number in [{low}, {high}] (got {text})")
    return value


def _custom(args: argparse.Namespace) -> Surface:
    if not args.expression:
        raise UsageError("--surface custom needs --expression TEXT")
    bounds = None
    if args.bounds:
        try:
            x0, x1, y0, y1 = (float(v) for v in args.bounds)
        except ValueError:
            raise UsageError(f"--bounds must be four numbers (got {' '.join(args.bounds)})") from None
        bounds = ((x0, x1), (y0, y1))
    try:
        return custom_surface(args.expression, bounds=bounds)
    except ValueError as error:
        flag = "--bounds" if args.bounds and "bound" in str(error) else "--expression"
        raise UsageError(f"{flag}: {error}") from None


def _surface_from(args: argparse.Namespace) -> Surface:
    if args.surface == CUSTOM:
        if args.surface_param:
            raise UsageError("--surface-param does not apply to a custom surface")
        return _custom(args)
    if args.expression or args.bounds:
        raise UsageError(f"--expression and --bounds apply only to --surface {CUSTOM}")
    return _surface(args.surface, args.surface_param)


def _surface(name: str, items: list[str]) -> Surface:
    specs = {p.name: p for p in PARAMETERS[name]}
    params = {}
    for item in items:
        key, equals, text = item.partition("=")
        if not equals:
            raise UsageError(f"--surface-param must look like KEY=VALUE (got {item})")
        if key not in specs:
            raise UsageError(f"--surface-param: {name} has no parameter {key!r}; it takes: "
                             f"{', '.join(specs) or 'none'}")
        params[key] = _number(f"--surface-param {key}", specs[key], text)
    return get_surface(name, **params)


def _settings(args: argparse.Namespace, swept: dict[str, str] | None = None) -> dict[str, Any]:
    """``make_optimizer`` keywords from the flags; omitted hyperparameters are left to the registry's defaults.

    ``swept`` maps hyperparameters that a grid flag sweeps to that flag: fixing one too is an error.
    """
    specs = HYPERPARAMETERS[args.optimizer]
    own = {p.name for p in specs}
    for name in _hyperparameters():
        if getattr(args, name) is not None and name not in own:
            raise UsageError(f"{_flag(name)} does not apply to {args.optimizer}; it takes: "
                             f"{', '.join(_flag(p.name) for p in specs)}")
    for name, flag in (swept or {}).items():
        if getattr(args, name) is not None:
            raise UsageError(f"{_flag(name)} is swept by {flag}; drop one of them")
    if args.no_bias_correction and args.optimizer not in HAS_BIAS_CORRECTION:
        raise UsageError(f"--no-bias-correction applies only to {', '.join(HAS_BIAS_CORRECTION)} "
                         f"(got {args.optimizer})")
    given = {p.name: _number(_flag(p.name), p, getattr(args, p.name)) for p in specs
             if getattr(args, p.name) is not None}
    noise = 0.0 if args.noise is None else _number("--noise", NOISE, args.noise)
    seed = _whole("--seed", args.seed, *SEEDS)
    return dict(convention=args.convention, schedule=_schedule(args.schedule), noise=noise, seed=seed,
                bias_correction=not args.no_bias_correction, **given)


def _optimizer(args: argparse.Namespace) -> Optimizer:
    """The chosen optimizer with the flags given; omitted hyperparameters take the registry's defaults."""
    return make_optimizer(args.optimizer, **_settings(args))


def _axis(flag: str, text: str, optimizer: str) -> Axis:
    try:
        return parse_axis(text, optimizer)
    except ValueError as problem:
        raise UsageError(f"{flag}: {problem}") from None


def _schedule(text: str | None):
    if text is None:
        return None
    try:
        return parse_schedule(text)
    except ValueError as problem:
        raise UsageError(f"--schedule: {problem}") from None


def _start(pair: list[str] | None, surface: Surface) -> tuple[float, float]:
    if pair is None:
        return surface.start
    try:
        x, y = float(pair[0]), float(pair[1])
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise UsageError(f"--start must be two finite numbers X Y (got {' '.join(pair)})")
    return x, y


# -------------------------------------------------------------------------------------------- commands


def run_command(args: argparse.Namespace) -> int:
    surface = _surface_from(args)
    optimizer = _optimizer(args)
    start = _start(args.start, surface)
    steps = _whole("--steps", args.steps, *STEPS)
    tol = TOL.default if args.tol is None else _number("--tol", TOL, args.tol)

    trajectory = simulate(surface, optimizer, np.array(start), steps, tol=tol)
    rows = _rows(trajectory)
    status = trajectory.status_text(0)
    if args.format == "csv":
        text = rows.to_csv(index=False)
    else:
        text = _json({
            "surface": surface.name,
            "surface_params": surface.params,
            "optimizer": optimizer.name,
            "hyperparameters": {**optimizer.hyperparams, "schedule": args.schedule},
            "start": list(start),
            "steps": steps,
            "tol": tol,
            "status": status,
            "rows": rows.to_dict(orient="records"),
        })
    print(f"# {surface.name} · {optimizer.name} · {status}", file=sys.stderr)
    return _emit(text)


def _rows(trajectory: Trajectory) -> pd.DataFrame:
    """``step, x, y, loss, grad_x, grad_y`` and the optimizer's internals, one row per step of the one run."""
    return trajectory.to_frame().drop(columns=["run", "label", "optimizer"])


def sweep_command(args: argparse.Namespace) -> int:
    surface = _surface_from(args)
    x = _axis("--x", args.x, args.optimizer)
    y = _axis("--y", args.y, args.optimizer)
    if x.name == y.name:
        raise UsageError(f"--y: {y.name} is already swept by --x; choose another hyperparameter")
    settings = _settings(args, swept={x.name: "--x", y.name: "--y"})
    start = _start(args.start, surface)
    steps = _whole("--steps", args.steps, *STEPS)
    _budget("--steps", x.n * y.n, "cells", steps)
    tolerance = TOLERANCE.default if args.tolerance is None else _number("--tolerance", TOLERANCE, args.tolerance)
    tol = TOL.default if args.tol is None else _number("--tol", TOL, args.tol)

    result = sweep(surface, args.optimizer, x, y, start, steps, tolerance, tol=tol, **settings)
    rows = result.to_frame()
    if args.format == "csv":
        text = rows.to_csv(index=False)
    else:
        text = _json({
            "surface": surface.name,
            "surface_params": surface.params,
            "optimizer": args.optimizer,
            "x": _axis_entry(x),
            "y": _axis_entry(y),
            "fixed": {**{k: v for k, v in settings.items() if k != "schedule"}, "schedule": args.schedule},
            "start": list(start),
            "steps": steps,
            "tolerance": tolerance,
            "tol": tol,
            "best": _best_entry(result),
            "rows": rows.to_dict(orient="records"),
        })
    print(f"# {surface.name} · {args.optimizer} · {x.n} × {y.n} cells: {_counts(result.status)}", file=sys.stderr)
    return _emit(text)


def basins_command(args: argparse.Namespace) -> int:
    surface = _surface_from(args)
    optimizer = _optimizer(args)
    n = _whole("--n", args.n, *GRID_POINTS)
    steps = _whole("--steps", args.steps, *STEPS)
    _budget("--steps", n * n, "starts", steps)
    tol = TOL.default if args.tol is None else _number("--tol", TOL, args.tol)

    basins = basin_map(surface, optimizer, n, steps, tol=tol)
    rows = basins.to_frame()
    if args.format == "csv":
        text = rows.to_csv(index=False)
    else:
        text = _json({
            "surface": surface.name,
            "surface_params": surface.params,
            "optimizer": optimizer.name,
            "hyperparameters": {**optimizer.hyperparams, "schedule": args.schedule},
            "n": n,
            "steps": steps,
            "tol": tol,
            "minima": basins.minima.tolist(),
            "settle_radius": basins.settle_radius,
            "counts": {str(k): v for k, v in basins.counts().items()},
            "rows": rows.to_dict(orient="records"),
        })
    counts = ", ".join(f"{v} at minimum {k}" for k, v in basins.counts().items() if k >= 0)
    others = basins.counts()
    print(f"# {surface.name} · {optimizer.name} · {n} × {n} starts: {counts}, {others[-1]} diverged, "
          f"{others[-2]} not settled", file=sys.stderr)
    return _emit(text)


def _budget(flag: str, cells: int, what: str, steps: int) -> None:
    if cells * steps > RUN_STEPS:
        raise UsageError(f"{flag}: {cells} {what} × {steps} steps is more than {RUN_STEPS:.0e} run-steps; "
                         f"use fewer steps or a smaller grid")


def _axis_entry(axis: Axis) -> dict[str, Any]:
    return {"name": axis.name, "low": axis.low, "high": axis.high, "n": axis.n, "log": axis.log,
            "spec": axis.spec}


def _best_entry(result: SweepResult) -> dict[str, Any] | None:
    best = result.best()
    if best is None:
        return None
    best.pop("index")
    return best


def _counts(status: np.ndarray) -> str:
    """``"12 converged, 3 running, 5 diverged"`` for a grid of status codes."""
    counts = np.bincount(status.ravel(), minlength=len(STATUSES))
    return ", ".join(f"{counts[code]} {STATUSES[code]}" for code in (1, 0, 2))


def render_command(args: argparse.Namespace) -> int:
    if args.link:
        if args.optimizer:
            raise UsageError("--link already names the optimizers; drop --optimizer")
        state, notices = share.from_link(args.link, share.AppState())
        if notices:
            raise UsageError(f"--link: {notices[0]}")
        config = state.config
        if not config.optimizers:
            raise UsageError("--link names no optimizer (o=...)")
    else:
        if not args.optimizer:
            raise UsageError("render needs at least one --optimizer NAME[:KEY=VALUE,...] (or --link)")
        surface = _surface_from(args)
        try:
            optimizers = tuple(share.parse_optimizer(spec) for spec in args.optimizer)
        except ValueError as problem:
            raise UsageError(f"--optimizer: {problem}") from None
        custom = args.surface == CUSTOM
        config = RaceConfig(surface=args.surface, surface_params=() if custom else tuple(surface.params.items()),
                            expression=args.expression if custom else None, bounds=surface.bounds if custom else None,
                            start=None if args.start is None else _start(args.start, surface),
                            steps=_whole("--steps", args.steps, 1, MAX_STEPS), optimizers=optimizers)
    step = None if args.step is None else _whole("--step", args.step, 0, config.steps)
    if step is not None and not str(args.out).lower().endswith(".png"):
        raise UsageError(f"--step applies to .png only (got {args.out})")
    try:
        path = export.render(config, args.out, lang=args.lang, step=step)
    except ValueError as problem:
        raise UsageError(str(problem)) from None
    except OSError as problem:
        print(f"{PROG}: error: cannot write {args.out}: {problem.strerror or problem}", file=sys.stderr)
        return 1
    print(f"# wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)
    return 0


def list_command(args: argparse.Namespace) -> int:
    catalogue = {
        "surfaces": {name: _surface_entry(name) for name in SURFACES},
        "optimizers": {name: _optimizer_entry(name) for name in OPTIMIZERS},
        "noise": _spec_entry(NOISE),
        "conventions": list(CONVENTIONS),
    }
    return _emit(_json(catalogue, indent=2) if args.format == "json" else _catalogue_text(catalogue))


def _spec_entry(spec: Parameter) -> dict[str, Any]:
    return {"default": spec.default, "range": spec.range_text, "low": spec.low, "high": spec.high,
            "low_open": spec.low_open, "high_open": spec.high_open, "help": spec.help}


def _surface_entry(name: str) -> dict[str, Any]:
    surface = get_surface(name)
    return {"description": surface.description["en"], "formula": surface.formula, "start": list(surface.start),
            "bounds": [list(axis) for axis in surface.bounds],
            "parameters": {p.name: _spec_entry(p) for p in PARAMETERS[name]}}


def _optimizer_entry(name: str) -> dict[str, Any]:
    return {"display_name": DISPLAY_NAMES[name], "bias_correction": name in HAS_BIAS_CORRECTION,
            "hyperparameters": {p.name: {"flag": _flag(p.name), **_spec_entry(p)} for p in HYPERPARAMETERS[name]}}


def _catalogue_text(catalogue: dict[str, Any]) -> str:
    lines = ["surfaces (--surface NAME, parameters as --surface-param KEY=VALUE):"]
    for name, entry in catalogue["surfaces"].items():
        (x0, x1), (y0, y1) = entry["bounds"]
        lines += [f"  {name}: {entry['description']}",
                  f"      start ({entry['start'][0]:g}, {entry['start'][1]:g}); "
                  f"bounds x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"]
        lines += [f"      {key} {_spec_text(spec)}" for key, spec in entry["parameters"].items()]
    lines += ["", "optimizers (--optimizer NAME):"]
    for name, entry in catalogue["optimizers"].items():
        lines.append(f"  {name} ({entry['display_name']})")
        lines += [f"      {spec['flag']} {_spec_text(spec)}" for spec in entry["hyperparameters"].values()]
        if entry["bias_correction"]:
            lines.append("      --no-bias-correction  skip the bias correction of both moments")
    lines += ["", "every optimizer also takes:",
              f"      --noise {_spec_text(catalogue['noise'])}, with --seed N",
              "      --schedule SPEC, --convention " + "|".join(catalogue["conventions"])]
    return "\n".join(lines) + "\n"


def _spec_text(spec: dict[str, Any]) -> str:
    return f"in {spec['range']}, default {spec['default']:g} — {spec['help']}"


# ---------------------------------------------------------------------------------------------- output


def _json(data: dict[str, Any], indent: int | None = None) -> str:
    # JSON has no NaN or ±inf. NaN in the data means "no value" (an effective rate undefined at ε = 0),
    # so it is written as null, as the CSV leaves the field empty.
    return json.dumps(_finite(data), ensure_ascii=False, allow_nan=False, indent=indent) + "\n"


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth of dicts and lists, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _emit(text: str) -> int:
    """Write the data to stdout: 0, or 1 when the reader went away early (``| head``)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # As the Python docs advise: point stdout at devnull so the interpreter's last flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a bad command line, with one line on stderr)."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help printed its text and asked to exit
            return int(done.code or 0)
        return args.handler(args)
    except UsageError as problem:
        print(f"{PROG}: error: {' '.join(str(problem).split())}", file=sys.stderr)
        return 2
