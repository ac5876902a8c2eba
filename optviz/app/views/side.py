"""Side by side: one map per contestant, all at the same step, played in the browser."""
from __future__ import annotations

from optviz.app import race_component, state
from optviz.race import RaceConfig


def render(config: RaceConfig, traj, lang: str) -> None:
    race_component.render("side", config, lang, **state.opening())
