"""Loss against step for every contestant, with the race's step marked, played in the browser."""
from __future__ import annotations

from optviz.app import race_component, state
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    race_component.render("loss", config, lang, **state.opening())
