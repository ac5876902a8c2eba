"""Load at the protocol level: 30 sessions speaking Streamlit's websocket protocol, and one real browser.

tests/test_load.py's twenty Chromium sessions spend the 2 cores in their renderers; here the
sessions are tests/streamlit_client.py's, which do on the wire what a page does (its docstring
says how) for a few hundredths of a CPU-second per answer, so the server is what is loaded. On
one ``streamlit run app.py`` started as tests/conftest.py's ``start_streamlit`` does:

- ``SESSIONS`` protocol sessions open their own links (``OPENING_AT_ONCE`` at a time, as a class
  arriving), each with its own start point and Adam learning rate; then for ``DURATION`` s each
  moves Adam's learning-rate slider every ``INTERVAL`` s and checks every answer;
- at the same time ONE real Chromium session (tests/test_load.py's ``run_session``, imported, not
  copied) opens its own link and moves its sliders by keyboard, checking what the race component
  holds to draw, so what a person sees is confirmed under the same load.

Asserted: every protocol answer was checked and carried the session's own Adam path, bit for bit in
float32 against ``optviz.simulate`` run here (no errors, no cross-talk: another session's path in an
answer is counted apart) and every session made its moves (at least ``MIN_MOVES``: a session goes on
past ``DURATION`` until it has, so this holds on any machine); the browser's checks all passed with
no page error; the server log has no traceback. No time is asserted: on 2 shared cores the
latencies measure the machine as much as the app; they are printed (``-s``), and
benchmarks/bench_load_protocol.py reports them in full.
"""
from __future__ import annotations

import asyncio

import pytest

from conftest import APP, CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, start_streamlit, stop, wait_healthy
from streamlit_client import protocol_load
from test_load import VIEWPORT, Clock, SessionLog, initial_setting, run_in_own_thread, run_session

SESSIONS = 30
DURATION = 20.0  # seconds of moves once every session is up
INTERVAL = 3.0  # seconds between one session's moves (a person trying values)
MIN_MOVES = 2  # each session's moves go on past DURATION until it made this many (6 fit in 20 s when idle)
OPENING_AT_ONCE = 8  # sessions opening at once
BROWSER_SESSION = 1000  # the browser's number in messages: apart from the protocol sessions' 0..29


@pytest.mark.browser
def test_thirty_protocol_sessions_and_a_browser_each_get_only_their_own_race(artifacts):
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install -y chromium); never run `playwright install`",
                    pytrace=False)
    port, log_path = free_port(), artifacts / "load-protocol-server.log"
    base_url = f"http://127.0.0.1:{port}"
    browser_log = SessionLog(BROWSER_SESSION, initial_setting(0), artifacts=artifacts)

    async def one_browser(everyone_up: asyncio.Event) -> None:
        """A person among them: opens with the others, then moves sliders for as long as they do."""
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
                await run_session(page, base_url, browser_log, {BROWSER_SESSION: browser_log.setting},
                                  Clock(DURATION, 1), asyncio.Semaphore(1))
            finally:
                await browser.close()

    proc = start_streamlit(APP, port, log_path, cwd=ROOT)
    try:
        wait_healthy(proc, port, log_path)
        report = run_in_own_thread(lambda: protocol_load(
            base_url, SESSIONS, DURATION, [proc.pid], interval=INTERVAL, opening_at_once=OPENING_AT_ONCE,
            min_changes=MIN_MOVES, alongside=one_browser))
    finally:
        stop(proc)
    print()
    print("\n".join(report.lines()))
    print(f"  browser: {len(browser_log.latencies)} changes checked, change -> chart "
          + ", ".join(f"{x:.2f}" for x in browser_log.latencies) + " s")

    assert not report.errors, "\n".join(report.errors[:20])
    assert not report.cross_talk, "\n".join(report.cross_talk[:20])
    for log in report.logs:
        assert log.checks == 1 + log.changes, f"session {log.session}: an answer went unchecked"
        assert log.changes >= MIN_MOVES, f"session {log.session} made only {log.changes} move(s)"
    assert not browser_log.failures, "\n".join(browser_log.failures)
    assert not browser_log.page_errors, "\n".join(browser_log.page_errors)
    assert browser_log.checks >= 3  # its link, then at least test_load.MIN_CHANGES moves
    server_log = log_path.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]
