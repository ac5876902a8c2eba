"""The app's views, one module each, registered in one table: view id -> ``render(config, traj, lang)``.

The ids and their order are ``optviz.views.VIEWS``; ``config`` is the race on screen and ``traj``
its trajectory. A new view is a module here, a line in ``RENDERERS`` and an id in ``VIEWS``.
"""
from __future__ import annotations

from collections.abc import Callable

from optviz.app.views import ewa, inside, loss, race, regression, side, surface3d, sweep, table, theory
from optviz.race import RaceConfig
from optviz.trajectory import Trajectory

Render = Callable[[RaceConfig, Trajectory, str], None]

RENDERERS: dict[str, Render] = {
    "race": race.render, "side": side.render, "3d": surface3d.render, "loss": loss.render, "inside": inside.render,
    "theory": theory.render, "table": table.render, "sweep": sweep.render, "ewa": ewa.render, "regression": regression.render,
}
