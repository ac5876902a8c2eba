"""What the browser's race component draws, as plain data: the map once, each run's arrays once.

The component (``optviz/app/race_component``) draws and animates in the browser; the server only
sends data. Big arrays travel as *blobs*: float32 bytes in base64 under a content id (the hash
of the bytes), so a blob the page already holds is never sent again. ``race_data`` names blobs
by id in the JSON it returns and hands the blobs themselves back separately; the caller sends
only those the page lacks.

- the map: the contour picture (``contour_field``), its colour bar (``colour_bar``), the
  minima and saddles, and a grid of loss samples the page interpolates under the pointer;
- per run: positions ``(steps+1, 2)``, loss ``(steps+1,)`` and, for the arrows, the gradient,
  with the run's status, last step and colour; with the curvature glyphs on, the eigen-decomposition
  of the exact Hessian at every point of the path (``eigen_table``, ``(steps+1, 6)``);
- a live-scrub family: one contestant re-run at every notch of its learning rate (and β or
  β1) in ONE vectorized ``simulate`` call, ``(values, steps+1, 3)`` as x, y, loss, so dragging a
  notch redraws its path in the browser without asking the server.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import numpy as np

from optviz.classroom.curvature import curvature
from optviz.controls import format_number
from optviz.figures.contour_image import LEVELS, colour_bar, colormap, contour_field, png_data_uri
from optviz.figures.palette import PATH_COLORS
from optviz.i18n import status_text, t
from optviz.optimizers import HYPER_BY_NAME, HYPERPARAMETERS, SPECS, make_optimizer
from optviz.race import OptimizerConfig
from optviz.simulate import simulate
from optviz.trajectory import DIVERGED, STATUS_COLORS, Trajectory
from surfaces import Surface

MAP_PIXELS = 800  # the contour picture's longer side: crisp up to an 800 px map, scaled above
GRID = 101  # loss samples per axis for the pointer's read-out ("≈", bilinear between them)
STATUS_INK = {"blue": "#0b3d91", "green": "#0d5124", "red": "#8a1010", "orange": "#6b3300"}  # ≥ 7:1 on white
SCRUB_WINDOW = 15  # learning-rate notches each side of the current one in a scrub family
LIVE_BLOCK, LIVE_REACH = 8, 16  # a live family: the lr notches within LIVE_REACH of a multiple of LIVE_BLOCK
SCRUBBED = ("lr", "beta", "beta1")
TEXT_KEYS = {"play": "plot.play", "pause": "plot.pause", "step": "plot.step", "loss": "plot.loss_linear",
             "click_to_start": "plot.click_to_start", "steps_per_second": "race.steps_per_second",
             "toggle_run": "race.toggle_run", "scrub": "race.scrub", "scrub_off": "race.scrub_off",
             "x": "race.x", "y": "race.y", "curvature": "race.curvature", "curvature_help": "race.curvature_help",
             "curvature_hover": "race.curvature_hover"}


@dataclass
class Blobs:
    """Arrays by content id, base64 float32 (or a PNG data address for the picture)."""

    items: dict[str, str] = field(default_factory=dict)

    def add(self, array: np.ndarray) -> str:
        with np.errstate(over="ignore"):  # a diverged run's huge coordinates become ±inf: the page clamps them
            data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        key = hashlib.blake2b(data, digest_size=10).hexdigest()
        self.items.setdefault(key, base64.b64encode(data).decode("ascii"))
        return key

    def add_picture(self, data_uri: str) -> str:
        key = hashlib.blake2b(data_uri.encode(), digest_size=10).hexdigest()
        self.items.setdefault(key, data_uri)
        return key


def map_data(surface: Surface, lang: str, blobs: Blobs, pixels: int = MAP_PIXELS, grid: int = GRID) -> dict:
    """The contour picture, its colour bar, the landmarks and the loss samples of ``surface``."""
    (x0, x1), (y0, y1) = surface.bounds
    aspect = (y1 - y0) / (x1 - x0)
    width = pixels if aspect <= 1 else max(int(pixels / aspect), 2)
    height = max(int(width * aspect), 2)
    contour = contour_field(surface, width, height)
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    X, Y = np.meshgrid(xs, ys)  # (grid, grid), row i at y = ys[i]
    with np.errstate(all="ignore"):
        samples = surface.value(np.stack([X, Y], axis=-1))
    bands = np.arange(LEVELS + 1) / LEVELS
    rgb = colormap(bands)
    colors = []
    for i in range(LEVELS):  # hard band edges: each band's colour from its bottom to its top
        hexa = "#%02x%02x%02x" % tuple(int(c) for c in rgb[i])
        colors += [[i / LEVELS, hexa], [(i + 1) / LEVELS, hexa]]
    return {
        "image": blobs.add_picture(png_data_uri(contour.rgb)),
        "grid": blobs.add(np.where(np.isfinite(samples), samples, np.nan)),
        "grid_shape": [grid, grid],
        "colour_bar": {"ticks": [[frac, text] for frac, text in colour_bar(contour)], "colors": colors,
                       "title": t("plot.loss", lang)},
        "minima": [[float(x), float(y)] for x, y in surface.minima],
        "saddles": [[float(x), float(y)] for x, y in surface.saddles],
    }


def eigen_table(surface: Surface, path) -> np.ndarray:
    """(steps+1, 6) per point of ``path`` (steps+1, 2): λ₀ ≤ λ₁ of the exact Hessian, then the unit
    eigenvector of λ₀ (x, y) and that of λ₁ (x, y). A point where the Hessian is not finite (a diverged
    run far out) gives NaN, and the page draws no glyph there."""
    points = np.asarray(path, dtype=float)  # (steps+1, 2)
    with np.errstate(all="ignore"):
        finite = np.isfinite(surface.hessian(points)).all(axis=(-2, -1))  # (steps+1,)
    cur = curvature(surface, points)
    vectors = np.swapaxes(cur.eigenvectors, -1, -2).reshape(-1, 4)  # rows: q0x, q0y, q1x, q1y
    table = np.concatenate([cur.eigenvalues, vectors], axis=-1)  # (steps+1, 6)
    table[~finite] = np.nan
    return table


def runs_data(traj: Trajectory, lang: str, blobs: Blobs, arrows: bool = False, eigen: bool = False) -> list[dict]:
    """Each run: its name, colour, status and blob ids of its positions, loss (and gradient; and with
    ``eigen`` the Hessian's eigen-pairs along the path, :func:`eigen_table`)."""
    runs = []
    for run in range(traj.runs):
        status = str(traj.status[run])
        runs.append({
            "key": traj.labels[run], "name": traj.labels[run], "color": PATH_COLORS[run % len(PATH_COLORS)],
            "status": status_text(traj, run, lang), "status_color": STATUS_INK[STATUS_COLORS[status]],
            "last": int(traj.last_step[run]), "diverged": status == DIVERGED,
            "xy": blobs.add(traj.positions[:, run]), "loss": blobs.add(traj.loss[:, run]),
            "grad": blobs.add(traj.grad[:, run]) if arrows and traj.grad is not None else None,
            "eigen": blobs.add(eigen_table(traj.surface, traj.positions[:, run])) if eigen else None,
            "points": map_points(traj, run, lang, blobs),
        })
    return runs


def point_tracks(traj: Trajectory, run: int, lang: str) -> list[tuple[str, np.ndarray]]:
    """The points of the plane the run's optimizer keeps beside its position (``OptimizerSpec.map_points``:
    Schedule-Free's average x and base sequence z, SAM's ascent point, Lookahead's slow weights), in the
    spec's order, each as its name and its (steps+1, 2) track: what the live map and the exports draw."""
    spec = SPECS.get(traj.optimizers[run])
    if spec is None:
        return []
    return [(name(lang), traj.internals[key][:, run]) for key, name in spec.map_points.items() if key in traj.internals]


def map_points(traj: Trajectory, run: int, lang: str, blobs: Blobs) -> list[dict]:
    """Each of the run's ``point_tracks``: its name and the blob of its track."""
    return [{"name": name, "xy": blobs.add(track)} for name, track in point_tracks(traj, run, lang)]


def replayable(contestant: OptimizerConfig) -> bool:
    """Whether re-running the contestant in a family reproduces its own path: not with gradient noise,
    whose draws depend on how many runs share the generator."""
    return contestant.noise == 0


def scrub_values(contestant: OptimizerConfig, name: str) -> tuple[list[float], int]:
    """The notches a scrub slider offers for ``name``, and the index of the contestant's own value.

    The learning rate keeps ``SCRUB_WINDOW`` notches each side of its value (its ladder has 61);
    β and β1 keep their whole ladder. The current value is always one of the notches.
    """
    ladder = sorted(set(HYPER_BY_NAME[name].ladder) | {contestant.value(name)})
    here = ladder.index(contestant.value(name))
    if name == "lr":
        low = max(here - SCRUB_WINDOW, 0)
        ladder = [v for v in ladder[low:here + SCRUB_WINDOW + 1] if v > 0]
        here = ladder.index(contestant.value(name))
    return ladder, here


def scrub_family(surface: Surface, contestant: OptimizerConfig, name: str, start, steps: int,
                 values: list[float]) -> Trajectory:
    """``contestant`` re-run at every value of ``name`` in one vectorized ``simulate`` call."""
    settings = contestant.settings()
    settings[name] = np.asarray(values, dtype=float)
    optimizer = make_optimizer(contestant.name, **settings)
    return simulate(surface, optimizer, np.asarray(start, dtype=float), steps, record_internals=False)


def scrub_data(surface: Surface, contestant: OptimizerConfig, slot: str, run: int, start, steps: int,
               lang: str, blobs: Blobs) -> dict:
    """The scrub sliders of one contestant: per hyperparameter its notches and their paths."""
    hypers = []
    for name in SCRUBBED:
        if name not in {p.name for p in HYPERPARAMETERS[contestant.name]}:
            continue
        values, here = scrub_values(contestant, name)
        family = scrub_family(surface, contestant, name, start, steps, values)
        stacked = np.concatenate([family.positions, family.loss[..., None]], axis=-1)  # (steps+1, values, 3)
        hypers.append({"name": name, "label": t(f"opt.{name}", lang), "values": values, "current": here,
                       "paths": blobs.add(np.swapaxes(stacked, 0, 1)),  # (values, steps+1, 3)
                       "last": [int(s) for s in family.last_step],
                       "diverged": [bool(s == DIVERGED) for s in family.status]})
    return {"slot": slot, "run": run, "hypers": hypers}


def live_values(contestant: OptimizerConfig) -> tuple[list[float], float]:
    """The learning rates of a contestant's *live family* and the value that names the block.

    Blocks are fixed along the lr ladder (centred on every ``LIVE_BLOCK``-th notch), so while the
    sidebar's lr slider moves within a block the family stays the same and is not sent again; the
    current value always has at least ``LIVE_REACH − LIVE_BLOCK / 2`` notches on each side inside it.
    """
    ladder = list(HYPER_BY_NAME["lr"].ladder)
    here = int(np.argmin(np.abs(np.log(ladder) - np.log(max(contestant.value("lr"), ladder[0])))))
    centre = min(LIVE_BLOCK * round(here / LIVE_BLOCK), len(ladder) - 1)
    return ladder[max(centre - LIVE_REACH, 0):centre + LIVE_REACH + 1], ladder[centre]


def live_data(surface: Surface, contestant: OptimizerConfig, slot: str, run: int, start, steps: int,
              blobs: Blobs) -> dict:
    """One contestant re-run at every lr of its live family, for the page to redraw a sidebar lr move at once."""
    values, _ = live_values(contestant)
    family = scrub_family(surface, contestant, "lr", start, steps, values)
    stacked = np.concatenate([family.positions, family.loss[..., None]], axis=-1)  # (steps+1, values, 3)
    return {"slot": slot, "run": run, "widget": f"{slot}.lr", "labels": [format_number(v) for v in values],
            "paths": blobs.add(np.swapaxes(stacked, 0, 1)), "last": [int(s) for s in family.last_step],
            "diverged": [bool(s == DIVERGED) for s in family.status]}


def texts(lang: str) -> dict[str, str]:
    return {short: t(key, lang) for short, key in TEXT_KEYS.items()}


def loss_axis(surface: Surface, lang: str) -> dict:
    """Log of the gap to the minimum where the minimum is known, else the loss itself (linear)."""
    known = surface.min_value is not None
    return {"log": known, "floor": float(surface.min_value) if known else 0.0,
            "title": t("plot.gap" if known else "plot.loss_linear", lang)}
