"""The 2-D loss surfaces OptViz can draw, by name.

- ``SURFACES``: name -> factory returning a :class:`Surface`
- ``PARAMETERS``: name -> the factory's tunable :class:`Parameter` s (empty if none)
- ``get_surface(name, **params)``: the checked way to build one

Example::

    s = get_surface("ravine", condition=100, angle=30)
    s.value(np.array([[1.0, 0.0], [0.0, 1.0]]))  # (2,)
"""
from __future__ import annotations

from typing import Callable

from . import (beale, himmelblau, local_minima, monkey_saddle, plateau, quadratic, rastrigin, ravine,
               rosenbrock, saddle, sharp_flat)
from .base import Parameter, Surface
from .typed.custom import custom_surface, source_of
from .typed.expression import ExpressionError

__all__ = ["PARAMETERS", "SURFACES", "ExpressionError", "Parameter", "Surface", "custom_surface", "get_surface",
           "source_of"]

CUSTOM = "custom"  # the surface name of a typed expression: built by custom_surface, not by name

SURFACES: dict[str, Callable[..., Surface]] = {
    "quadratic": quadratic.quadratic,
    "ravine": ravine.ravine,
    "rosenbrock": rosenbrock.rosenbrock,
    "saddle": saddle.saddle,
    "plateau": plateau.plateau,
    "local_minima": local_minima.local_minima,
    "beale": beale.beale,
    "himmelblau": himmelblau.himmelblau,
    "rastrigin": rastrigin.rastrigin,
    "monkey_saddle": monkey_saddle.monkey_saddle,
    "sharp_flat": sharp_flat.sharp_flat,
}

PARAMETERS: dict[str, tuple[Parameter, ...]] = {name: () for name in SURFACES} | {
    "ravine": ravine.PARAMETERS,
    "plateau": plateau.PARAMETERS,
}


def get_surface(name: str, **params: float) -> Surface:
    """Build surface ``name``; parameters left out take their defaults.

    Raises ValueError for an unknown surface, an unknown parameter, or a value outside
    its range (the message names the culprit and the choices).
    """
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose from: {', '.join(SURFACES)}")
    known = {p.name: p for p in PARAMETERS[name]}
    for key in params:
        if key not in known:
            choices = ", ".join(known) or "none (it takes no parameters)"
            raise ValueError(f"unknown parameter {key!r} for surface {name!r}; choose from: {choices}")
    return SURFACES[name](**{key: known[key].check(value) for key, value in params.items()})
