"""The race component: the race map, side-by-side panels and loss curves, drawn and played in the browser.

A Streamlit v2 component that stays mounted across reruns under one key for the three views.
Its registered code is ``loader.js`` (a few lines, sent with every rerun); the drawing code,
``race.js``, travels once per session as a blob of the data. Each rerun sends the data of
``optviz.figures.race_payload`` with only the blobs this session has not been sent yet
(``state.unsent_blobs``); the page keeps blobs for its life and asks again for any it lacks. Play, step, scrub, hover, zoom and the live
hyperparameter scrub run in the page; a click on the map (start here), a committed scrub notch,
the scrub's choice of contestant and the curvature toggle come back as the component's state. The
Hessian's eigen-pairs along the paths travel only while the page shows the curvature glyphs.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import streamlit as st

from optviz import controls
from optviz.app import state
from optviz.app.caches import cached_race, cached_surface, surface_part
from optviz.figures import race_payload
from optviz.race import RaceConfig

HERE = Path(__file__).parent
KEY = "race_view"  # one key for the three views, so switching between them keeps the page's instance
COMPONENT = st.components.v2.component("optviz.race", js=(HERE / "loader.js").read_text(encoding="utf-8"),
                                       css=(HERE / "race.css").read_text(encoding="utf-8"))
CODE = (HERE / "race.js").read_text(encoding="utf-8")
CODE_ID = "js-" + hashlib.blake2b(CODE.encode(), digest_size=10).hexdigest()


@st.cache_data(max_entries=32, show_spinner=False)
def map_part(where: RaceConfig, lang: str) -> tuple[dict, dict[str, str]]:
    blobs = race_payload.Blobs()
    return race_payload.map_data(cached_surface(where), lang, blobs), blobs.items


@st.cache_data(max_entries=32, show_spinner=False)
def runs_part(config: RaceConfig, lang: str, arrows: bool, eigen: bool) -> tuple[list, dict[str, str]]:
    blobs = race_payload.Blobs()
    return race_payload.runs_data(cached_race(config), lang, blobs, arrows, eigen), blobs.items


@st.cache_data(max_entries=8, show_spinner=False)
def scrub_part(config: RaceConfig, run: int, slot: str, lang: str) -> tuple[dict, dict[str, str]]:
    blobs = race_payload.Blobs()
    surface = cached_surface(surface_part(config))
    data = race_payload.scrub_data(surface, config.optimizers[run], slot, run, config.start_point(surface),
                                   config.steps, lang, blobs)
    return data, blobs.items


@st.cache_data(max_entries=16, show_spinner=False)
def live_part(config: RaceConfig, run: int, slot: str, block_lr: float) -> tuple[dict, dict[str, str]]:
    """``block_lr`` names the family's block, so every lr within it hits this cache (see ``live_values``)."""
    blobs = race_payload.Blobs()
    surface = cached_surface(surface_part(config))
    contestant = config.optimizers[run].with_values(lr=block_lr)
    data = race_payload.live_data(surface, contestant, slot, run, config.start_point(surface), config.steps, blobs)
    return data, blobs.items


def render(mode: str, config: RaceConfig, lang: str, *, arrows: bool = False, open_step: int | None = None,
           open_token: str = "") -> None:
    """Draw ``config``'s race as ``mode`` ("race", "side" or "loss").

    ``open_step`` is the step shown when the race first appears (default: the last);
    a new ``open_token`` (a lesson loaded) shows it again even if the steps did not change.
    """
    surface = cached_surface(surface_part(config))
    map_data, map_blobs = map_part(surface_part(config), lang)
    curvature = state.curvature_glyphs()
    runs, run_blobs = runs_part(config, lang, arrows, curvature)
    blobs = {CODE_ID: CODE} | map_blobs | run_blobs
    slots = state.racing_slots()
    choices = [{"slot": slot, "name": run["name"]} for slot, run, opt in zip(slots, runs, config.optimizers)
               if "lr" in controls.hyperparameter_names(slot) and race_payload.replayable(opt)]
    scrub = None
    scrub_slot = state.scrub_slot()
    if mode != "loss" and scrub_slot in slots:
        run = slots.index(scrub_slot)
        scrub, scrub_blobs = scrub_part(config, run, scrub_slot, lang)
        blobs |= scrub_blobs
    live = []
    for slot in state.watched_slots():  # the contestants whose lr slider is on screen in the sidebar
        run = slots.index(slot) if slot in slots else -1
        if run >= 0 and "lr" in controls.hyperparameter_names(slot) and race_payload.replayable(config.optimizers[run]):
            race_only = replace(config, optimizers=(config.optimizers[run],))
            family, family_blobs = live_part(race_only, 0, slot, race_payload.live_values(config.optimizers[run])[1])
            live.append({**family, "run": run, "drawn": controls.format_number(config.optimizers[run].value("lr"))})
            blobs |= family_blobs
    data = {
        "mode": mode, "live": live, "bounds": [list(b) for b in surface.bounds], "steps": config.steps,
        "open_step": config.steps if open_step is None else int(open_step), "open_token": open_token,
        "map": map_data, "runs": runs, "arrows": arrows, "curvature": curvature, "clickable": mode == "race",
        "scrub_choices": choices, "scrub": scrub, "loss_axis": race_payload.loss_axis(surface, lang),
        "texts": race_payload.texts(lang), "code": CODE_ID, "blobs": state.unsent_blobs(blobs),
    }
    COMPONENT(key=KEY, data=data, default={"scrub": None, "watch": None, "curvature": False},
              on_start_change=state.start_from_component, on_commit_change=state.commit_from_component,
              on_missing_change=state.resend_from_component, on_scrub_change=state.scrub_from_component,
              on_watch_change=state.watch_from_component, on_curvature_change=state.curvature_from_component)
