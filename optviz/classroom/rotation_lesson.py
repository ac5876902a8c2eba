r"""The rotation lesson's claim: turn the ravine, and which optimizers' paths turn with it.

The ravine ½(u² + κv²) is the same valley at every angle; only its floor's direction changes. An
optimizer whose update commutes with rotations, step(R g) = R step(g) for every rotation R, traces
on the turned valley exactly the turned path. Plain gradient descent and heavy-ball momentum do
(their steps are linear in the gradients), Newton does (the Hessian turns as R H Rᵀ), and so does
Shampoo on a 2-vector, full-matrix AdaGrad (its statistics turn as R P Rᵀ, and εI does not change).
Methods that act on each coordinate separately do not: Adam and RMSprop divide x and y by their own
running sizes, Lion and Rprop take their signs, and "along x" means something else once the valley
has turned. At 0° the valley lies along the x axis, which is the best case for them; at 45° its
curvature is shared by both coordinates.

:func:`rotation_claim` runs every contestant on the ravine at 0° and at 45° from the same start
turned by 45°, turns the second path back, and measures how far apart the two are.
"""
from __future__ import annotations

import numpy as np

from optviz.race import OptimizerConfig, RaceConfig, run_race
from surfaces.ravine import ravine

ANGLE = 45.0  # degrees: the valley's floor turns from the x axis to the diagonal
STEPS = 100
CONDITION = 20.0  # κ, the ravine's default

# The learning rates keep every run stable on κ = 20 (gradient descent needs η < 2/κ = 0.1) and visibly moving.
EQUIVARIANT = (
    OptimizerConfig("sgd").with_values(lr=0.05),
    OptimizerConfig("momentum").with_values(lr=0.02, beta=0.9),
    OptimizerConfig("newton").with_values(lr=0.5),  # half a Newton step: a path, not a single jump
    OptimizerConfig("shampoo").with_values(lr=0.3),
)
PER_COORDINATE = (
    OptimizerConfig("adam").with_values(lr=0.1),
    OptimizerConfig("rmsprop").with_values(lr=0.02),
    OptimizerConfig("lion").with_values(lr=0.05),
    OptimizerConfig("rprop").with_values(lr=0.05),
)

# Paths that are equal in exact arithmetic still round differently: the turned surface's gradient goes through
# cos 45° and sin 45°, each rounded, so the two runs differ by a few ulps per step, which 100 steps amplify at
# most modestly (Shampoo the most: its early statistics are nearly singular). Measured when written: at most
# 1.6e-13 (Shampoo; 5.1e-16 for the others), while the per-coordinate methods' paths move apart by 0.49 (RMSprop)
# to 2.1 (Rprop). The bound sits three orders above the rounding and eight below the smallest real difference.
TOLERANCE = 1e-9


def rotation(degrees: float) -> np.ndarray:
    """The 2×2 matrix turning a point by ``degrees`` counter-clockwise."""
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def races(angle: float = ANGLE) -> tuple[RaceConfig, RaceConfig]:
    """The race on the level ravine (0°, from its default start) and on the ravine turned by ``angle``,
    from the same start turned by ``angle``."""
    start = np.array(ravine(condition=CONDITION, angle=0.0).start)
    turned_start = rotation(angle) @ start
    contestants = EQUIVARIANT + PER_COORDINATE
    level = RaceConfig("ravine", (("condition", CONDITION), ("angle", 0.0)), tuple(map(float, start)), STEPS,
                       contestants)
    turned = RaceConfig("ravine", (("condition", CONDITION), ("angle", float(angle))),
                        tuple(map(float, turned_start)), STEPS, contestants)
    return level, turned


def rotation_claim(angle: float = ANGLE) -> dict:
    """For each contestant, the largest distance between its level path and its turned path turned back.

    Returns ``{"angle", "steps", "tolerance", "deviation": {name: distance}, "turns_with_the_valley": [names
    within the tolerance], "does_not_turn": [the others], "path_length": {name: distance travelled on the level
    ravine}, "status": {name: (level status, turned status)}}``.
    """
    level_config, turned_config = races(angle)
    level, turned = run_race(level_config), run_race(turned_config)
    back = turned.positions @ rotation(angle)  # each row p ↦ Rᵀp, the turned path turned back
    names = [config.name for config in level_config.optimizers]
    distance = np.linalg.norm(back - level.positions, axis=-1)  # (steps+1, runs)
    travelled = np.sum(np.linalg.norm(np.diff(level.positions, axis=0), axis=-1), axis=0)  # (runs,)
    deviation = {name: float(distance[:, r].max()) for r, name in enumerate(names)}
    return {"angle": float(angle), "steps": STEPS, "tolerance": TOLERANCE, "deviation": deviation,
            "turns_with_the_valley": [name for name in names if deviation[name] <= TOLERANCE],
            "does_not_turn": [name for name in names if deviation[name] > TOLERANCE],
            "path_length": {name: float(travelled[r]) for r, name in enumerate(names)},
            "status": {name: (str(level.status[r]), str(turned.status[r])) for r, name in enumerate(names)}}


__all__ = ["ANGLE", "STEPS", "TOLERANCE", "EQUIVARIANT", "PER_COORDINATE", "rotation", "races", "rotation_claim"]
