"""Behaviour kept through refactorings: links decode to the states, and the command line prints the
bytes, recorded by ``tests/golden/record.py`` before the refactoring (see its docstring)."""
from __future__ import annotations

import json

import pytest

from golden.record import CLI, HERE, LINKS, cli, links

RECORDED_LINKS = json.loads((HERE / "links.json").read_text())
RECORDED_CLI = {entry["command"]: entry for entry in json.loads((HERE / "cli.json").read_text())}


def test_the_recordings_cover_every_case():
    assert len(LINKS) >= 40 and set(RECORDED_LINKS) == set(LINKS)
    assert set(RECORDED_CLI) == set(CLI)


def test_every_recorded_link_decodes_to_the_recorded_state():
    now = links()
    changed = [query for query in LINKS if now[query] != RECORDED_LINKS[query]]
    assert not changed, f"{len(changed)} link(s) decode differently, first: {changed[0]!r}\n" \
                        f"now:      {now[changed[0]]}\nrecorded: {RECORDED_LINKS[changed[0]]}"


@pytest.mark.parametrize("command", CLI)
def test_the_command_line_prints_the_recorded_bytes(command):
    assert cli(command) == RECORDED_CLI[command]
