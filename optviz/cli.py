"""The command line: ``optviz run`` prints one trajectory, ``optviz sweep`` a hyperparameter grid,
``optviz basins`` where a grid of starts ends, ``optviz list`` what there is to run.

    python -m optviz run --surface rosenbrock --optimizer adam:lr=0.01,b1=0.8 --steps 500 > adam.csv
    python -m optviz run --surface ravine --surface-param condition=50 --optimizer momentum --format json
    python -m optviz sweep --surface quadratic --optimizer momentum --x lr:1e-3:3:60:log --y beta:0:0.99:50
    python -m optviz basins --surface himmelblau --optimizer sgd --lr 0.002 --n 41 --steps 1000
    python -m optviz render --optimizer adam:lr=0.05 --optimizer sgd:lr=0.002,sch=step:100:0.5 --out race.gif
    python -m optviz list --format json

Every command names its optimizers in one language, ``--optimizer NAME[:KEY=VALUE,...]`` with a
link's keys (``optviz.optimizer_spec``); ``render`` races several, the others run one, for which
``--lr``, ``--beta``, …, ``--convention``, ``--schedule``, ``--noise``, ``--seed`` and
``--no-bias-correction`` are shorthand.

Stdout carries only the data (CSV with ``step,x,y,loss,grad_x,grad_y,<internals>`` columns for
``run``, ``<x>,<y>,final_loss,steps_to_tol,status`` for ``sweep``, or JSON); the status goes to
stderr as one ``# surface · optimizer · status`` line (a count per status for a grid). A number
that does not exist (NaN: an effective rate undefined at ε = 0) is an empty CSV field and a JSON
null. The hyperparameter flags are built from ``HYPERPARAMETERS`` and the surface parameters come
from ``surfaces.PARAMETERS``, so a new optimizer or surface needs no change here; every limit comes
from ``optviz.limits``. A bad command line ends with status 2 and one stderr line naming the flag
(or key) and what it allows::

    optviz: error: --lr must be in (0, 100] (got -1)
    optviz: error: --optimizer b1 must be in [0, 1) (got 2)
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

from optviz import share
from optviz.figures import export
from optviz.i18n import LANGUAGES
from optviz.limits import BOUND_RANGE, GRID_POINTS, MAX_EXPRESSION, MAX_OPTIMIZERS, RACE_STEPS, RUN_STEPS
from optviz.optimizer_spec import CODES, Setting, SpecError, contestant, split
from optviz.optimizers import CONVENTIONS, DISPLAY_NAMES, HAS_BIAS_CORRECTION, HYPERPARAMETERS, NOISE, OPTIMIZERS, SPECS
from optviz.optimizers.base import GROUPS
from optviz.race import OptimizerConfig, RaceConfig
from optviz.simulate import simulate
from optviz.sweep import Axis, SweepResult, basin_map, check_budget, parse_axis, sweep
from optviz.trajectory import CONVERGED_CODE, DIVERGED_CODE, RUNNING_CODE, SADDLE_CODE, STATUSES, Trajectory
from surfaces import CUSTOM, PARAMETERS, SURFACES, get_surface
from surfaces.base import Parameter, Surface

PROG = "optviz"
DEFAULT_STEPS = 100
TOL = Parameter("tol", 1e-8, 0.0, 1.0, help="stop once the gradient and the step are both this small; 0 never stops")
TOLERANCE = Parameter("tolerance", 1e-6, 0.0, 1e6, help="steps_to_tol counts the steps until loss − f_min is this small")
DEFAULT_SWEEP_STEPS = 200
DEFAULT_BASIN_STEPS = 500
DEFAULT_BASIN_N = 41
SPEC_HELP = (f"an optimizer ({', '.join(OPTIMIZERS)}) and, if you like, its settings, with a link's keys: "
             f"{', '.join(CODES.values())}, or their long names (beta1, weight_decay, convention, schedule, …); "
             "e.g. adam:lr=0.01,b1=0.8,bc=0 or sgd:lr=0.1,sch=step:100:0.5,noise=0.1,seed=3")


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
    _add_render(commands.add_parser("render", allow_abbrev=False, help="write a race as a PNG slide, GIF or MP4 animation, HTML or CSV file",
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
                         help=f"f(x, y) for --surface custom, at most {MAX_EXPRESSION} characters, "
                              "e.g. 'x**2 + 3*sin(y) - 0.5*x*y'")
    command.add_argument("--bounds", nargs=4, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                         help=f"plot box of a custom surface, within ±{BOUND_RANGE:g} (default -3 3 -3 3)")
    command.add_argument("--optimizer", required=True, action="append", metavar="NAME[:KEY=VALUE,...]",
                         help=f"{SPEC_HELP}. One optimizer; the flags below are shorthand for its settings")


def _add_hyperparameters(command: argparse.ArgumentParser, what: str = "each optimizer takes only its own; "
                         "`optviz list` shows their ranges and defaults") -> None:
    hyper = command.add_argument_group("hyperparameters", what)
    for name, spec in _hyperparameters().items():
        hyper.add_argument(_flag(name), dest=name, metavar="F", help=f"{spec.help} ({', '.join(_takers(name))})")
    hyper.add_argument("--convention", metavar="|".join(CONVENTIONS),
                       help="whose update formula to follow (default: pytorch)")
    hyper.add_argument("--no-bias-correction", action="store_true",
                       help=f"skip Adam's bias correction ({', '.join(HAS_BIAS_CORRECTION)})")
    hyper.add_argument("--schedule", metavar="SPEC",
                       help="learning-rate schedule: constant, step:N:F, exp:G or cosine:T[:FLOOR], "
                            "optionally followed by +warmup:W")
    hyper.add_argument("--noise", metavar="F", help=f"{NOISE.help}, in {NOISE.range_text} (default 0)")
    hyper.add_argument("--seed", metavar="N", help="seed of the gradient noise (default 0)")


def _add_where(command: argparse.ArgumentParser, default_steps: int, start: bool = True) -> argparse._ArgumentGroup:
    where = command.add_argument_group("run")
    where.add_argument("--steps", metavar="N", default=str(default_steps),
                       help=f"number of updates, in [{RUN_STEPS[0]}, {RUN_STEPS[1]}] (default {default_steps})")
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
                         help="the file to write; its suffix picks the kind: .png, .gif, .mp4, .html or .csv")
    command.add_argument("--surface", default="rosenbrock", choices=[*SURFACES, CUSTOM], metavar="NAME",
                         help=f"one of: {', '.join(SURFACES)}, or {CUSTOM} with --expression (default rosenbrock)")
    command.add_argument("--expression", metavar="TEXT",
                         help=f"f(x, y) for --surface custom, at most {MAX_EXPRESSION} characters")
    command.add_argument("--bounds", nargs=4, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                         help=f"plot box of a custom surface, within ±{BOUND_RANGE:g} (default -3 3 -3 3)")
    command.add_argument("--surface-param", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                         help="a surface parameter, e.g. condition=50 for ravine")
    command.add_argument("--optimizer", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
                         help=f"a contestant: {SPEC_HELP}. Repeat the flag to race up to {MAX_OPTIMIZERS}")
    command.add_argument("--start", nargs=2, metavar=("X", "Y"), help="start point (default: the surface's)")
    command.add_argument("--steps", metavar="N", default="500",
                         help=f"number of updates, in [{RACE_STEPS[0]}, {RACE_STEPS[1]}] (default 500)")
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
        return RaceConfig(surface=CUSTOM, expression=args.expression, bounds=bounds).build_surface()
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


def _spec(text: str) -> tuple[str, list[Setting]]:
    """An ``--optimizer NAME[:KEY=VALUE,...]``: the optimizer's name and its settings, as yet unchecked."""
    try:
        return split(text, prefix="--optimizer ")
    except SpecError as problem:
        raise UsageError(f"--optimizer: {problem}") from None


def _contestant(name: str, settings: list[Setting]) -> OptimizerConfig:
    try:
        return contestant(name, settings)
    except SpecError as problem:
        raise UsageError(str(problem)) from None


def _one_contestant(args: argparse.Namespace) -> tuple[str, list[Setting]]:
    """The optimizer of run, sweep or basins, and its settings from ``--optimizer`` and the shorthand flags."""
    if len(args.optimizer) > 1:
        raise UsageError(f"{args.command} runs one --optimizer (got {len(args.optimizer)}); render races several")
    name, settings = _spec(args.optimizer[0])
    return name, [*_shorthand(args), *settings]


def _shorthand(args: argparse.Namespace) -> list[Setting]:
    """The settings the flags give: ``--lr 0.01`` is ``lr=0.01``, ``--no-bias-correction`` is ``bc=0``."""
    texts = {name: getattr(args, name) for name in [*_hyperparameters(), "convention", "schedule", "noise", "seed"]}
    settings = [Setting(name, text, _flag(name), _flag) for name, text in texts.items() if text is not None]
    if args.no_bias_correction:
        settings.append(Setting("bias_correction", "0", "--no-bias-correction", _flag))
    return settings


def _schedule_given(settings: list[Setting]) -> str | None:
    """The schedule as typed, for the JSON output; None when none was given."""
    return next((setting.text for setting in settings if setting.name == "schedule"), None)


def _axis(flag: str, text: str, optimizer: str) -> Axis:
    try:
        return parse_axis(text, optimizer)
    except ValueError as problem:
        raise UsageError(f"{flag}: {problem}") from None


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
    name, settings = _one_contestant(args)
    optimizer = _contestant(name, settings).build()
    start = _start(args.start, surface)
    steps = _whole("--steps", args.steps, *RUN_STEPS)
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
            "hyperparameters": {**optimizer.hyperparams, "schedule": _schedule_given(settings)},
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
    name, settings = _one_contestant(args)
    x = _axis("--x", args.x, name)
    y = _axis("--y", args.y, name)
    if x.name == y.name:
        raise UsageError(f"--y: {y.name} is already swept by --x; choose another hyperparameter")
    fixed = _contestant(name, settings)
    swept = {x.name: "--x", y.name: "--y"}
    for setting in settings:
        if setting.name in swept:
            raise UsageError(f"{setting.said} is swept by {swept[setting.name]}; drop one of them")
    start = _start(args.start, surface)
    steps = _whole("--steps", args.steps, *RUN_STEPS)
    _budget(x.n * y.n, "cells", steps)
    tolerance = TOLERANCE.default if args.tolerance is None else _number("--tolerance", TOLERANCE, args.tolerance)
    tol = TOL.default if args.tol is None else _number("--tol", TOL, args.tol)

    result = sweep(surface, name, x, y, start, steps, tolerance, tol=tol, **fixed.settings())
    rows = result.to_frame()
    if args.format == "csv":
        text = rows.to_csv(index=False)
    else:
        text = _json({
            "surface": surface.name,
            "surface_params": surface.params,
            "optimizer": name,
            "x": _axis_entry(x),
            "y": _axis_entry(y),
            "fixed": {"convention": fixed.convention, "noise": fixed.noise, "seed": fixed.seed,
                      "bias_correction": fixed.bias_correction, **dict(fixed.hyperparams),
                      "schedule": _schedule_given(settings)},
            "start": list(start),
            "steps": steps,
            "tolerance": tolerance,
            "tol": tol,
            "best": _best_entry(result),
            "rows": rows.to_dict(orient="records"),
        })
    print(f"# {surface.name} · {name} · {x.n} × {y.n} cells: {_counts(result.status)}", file=sys.stderr)
    return _emit(text)


def basins_command(args: argparse.Namespace) -> int:
    surface = _surface_from(args)
    name, settings = _one_contestant(args)
    optimizer = _contestant(name, settings).build()
    n = _whole("--n", args.n, *GRID_POINTS)
    steps = _whole("--steps", args.steps, *RUN_STEPS)
    _budget(n * n, "starts", steps)
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
            "hyperparameters": {**optimizer.hyperparams, "schedule": _schedule_given(settings)},
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


def _budget(runs: int, what: str, steps: int) -> None:
    try:
        check_budget(runs, steps, what)
    except ValueError as problem:
        raise UsageError(f"--steps: {problem}") from None


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
    """``"12 converged, 3 running, 5 diverged"`` for a grid of status codes (``", 2 saddle"`` when any
    stopped at a saddle point)."""
    counts = np.bincount(status.ravel(), minlength=len(STATUSES))
    codes = (CONVERGED_CODE, RUNNING_CODE, DIVERGED_CODE) + ((SADDLE_CODE,) if counts[SADDLE_CODE] else ())
    return ", ".join(f"{counts[code]} {STATUSES[code]}" for code in codes)


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
        optimizers = tuple(_contestant(*_spec(spec)) for spec in args.optimizer)
        custom = args.surface == CUSTOM
        config = RaceConfig(surface=args.surface, surface_params=() if custom else tuple(surface.params.items()),
                            expression=args.expression if custom else None, bounds=surface.bounds if custom else None,
                            start=None if args.start is None else _start(args.start, surface),
                            steps=_whole("--steps", args.steps, *RACE_STEPS), optimizers=optimizers)
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
        "groups": {key: heading.en for key, heading in GROUPS.items()},
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
    spec = SPECS[name]
    return {"display_name": DISPLAY_NAMES[name], "group": spec.group, "description": spec.description.en,
            "conventions": list(spec.conventions), "bias_correction": name in HAS_BIAS_CORRECTION,
            "hyperparameters": {p.name: {"flag": _flag(p.name), **_spec_entry(p)} for p in HYPERPARAMETERS[name]}}


def _catalogue_text(catalogue: dict[str, Any]) -> str:
    lines = ["surfaces (--surface NAME, parameters as --surface-param KEY=VALUE):"]
    for name, entry in catalogue["surfaces"].items():
        (x0, x1), (y0, y1) = entry["bounds"]
        lines += [f"  {name}: {entry['description']}",
                  f"      start ({entry['start'][0]:g}, {entry['start'][1]:g}); "
                  f"bounds x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"]
        lines += [f"      {key} {_spec_text(spec)}" for key, spec in entry["parameters"].items()]
    lines += ["", "optimizers (--optimizer NAME), by group:"]
    for group, heading in catalogue["groups"].items():
        members = {name: entry for name, entry in catalogue["optimizers"].items() if entry["group"] == group}
        if members:
            lines += ["", f"{heading}:"]
        for name, entry in members.items():
            lines += [f"  {name} ({entry['display_name']}): {entry['description']}",
                      "      --convention " + "|".join(entry["conventions"])]
            lines += [f"      {spec['flag']} {_spec_text(spec)}" for spec in entry["hyperparameters"].values()]
            if entry["bias_correction"]:
                lines.append("      --no-bias-correction  skip the bias correction of both moments")
    lines += ["", "every optimizer also takes:",
              f"      --noise {_spec_text(catalogue['noise'])}, with --seed N",
              "      --schedule SPEC; --convention (default pytorch) as listed for each"]
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
