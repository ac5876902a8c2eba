"""Load: 20 real Chromium sessions change sliders together for about a minute; each sees only its own race.

Design
------
One server (``streamlit run app.py`` on a free 127.0.0.1 port, started here, so its PID is ours
to measure) and one Debian Chromium with one browser *context* per session. A context is a
separate user (own cookies, storage, renderer process and Streamlit session) while the browser
and GPU processes are shared: 20 separate browsers would add 20 of those and their start-up for
no extra realism. Memory is not what limits this on 24 GB (a renderer holds a few hundred MB);
the 2 cores are. Measured here: opening one session costs about 8 CPU-seconds (6 of them in its
renderer: Streamlit's JavaScript), and one slider change about 1.5 CPU-seconds
(1.1 in the renderer, 0.2 in the server). So the sessions open ``RAMP`` = 3 at a time (20 at
once only thrash), about 90 s for all 20, and only then does the minute of changes start, with
every session open and active; Playwright's async API drives all of them from one event loop.
The whole test therefore takes about 3 minutes here, not 2: the opening alone needs ~90 s of
both cores, and a shorter change phase would no longer be a minute of 20 concurrent sessions.

Every session opens its own link (``?s=quadratic&x0=…&y0=…&n=150&o=sgd~adam&o2.lr=…``): a
start point and an Adam learning rate that no other session has. Then, for ``DURATION`` s after
the last session is up (and at least ``MIN_CHANGES`` times each, at most ``MAX_CHANGES``; no
change starts after ``HARD_LIMIT``), it cycles through changes of Adam's learning-rate
select_slider and of the Steps slider, by keyboard as a person would. Each session's learning
rate stays within three notches of the LR ladder that belong to it alone. After each change it
waits for its race chart to change and reads the Adam path the race component draws;
that path must equal, bit for bit in float32, the path simulated here through ``optviz`` alone
for *this* session's start, steps and learning rate (Adam by itself: tests/test_properties.py
shows a run in a batch equals the run alone), and the slider must show the value it moved to —
an independent check that no session ever sees another's chart or state. A mismatch is
diagnosed against every other session's current setting, to tell a leak from a wrong answer.
With ~20 s per change round, each session makes 3–5 changes: 70-odd changes in all, most of
them while the server is rerunning other sessions' scripts.

Measured: the server's resident memory (VmRSS of the server and any child, sampled every
0.2 s, and the kernel's VmHWM high-water mark), and the latency from key press to the changed
chart (median, p90, slowest), and how long opening a session took.

Asserted: every check of every session passed, no page raised a JavaScript error, the server
log has no ``Traceback``/``Error`` line, and memory stayed bounded, defined as both
(a) RSS after the run < 2 x RSS with every session up, and (b) the peak (sampled or VmHWM)
below a fixed 2 GiB. The app's caches are bounded by ``max_entries`` (a race figure is ~0.2 MB;
at most 64 figures and 16 races are cached), so what the change phase may add is cache fill of
some tens of MB; (a) fails if the server keeps more than the ~200 MB that 20 open sessions
cost, i.e. ≳ 3 MB retained per change at ~70 changes (say every rerun's trajectories and figure
kept per session) — a slower leak needs a longer run to show (``benchmarks/bench_load.py
--duration``). The peak is not compared with warm-up: 20 reruns building figures at once
briefly take ~300 MB more, which is load, not a leak; (b) bounds it, and a server that grows
from the very start, which (a) would compare with itself. No wall-clock assertion: on 2 shared
cores the latencies measure the machine as much as the app, so they are printed, not judged.

The figures are printed (run with ``-s`` to see them); the server log and a screenshot of
session 0 land in tests/artifacts/.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from optviz import controls, make_optimizer, simulate
from optviz.share import number
from surfaces import get_surface

from conftest import APP, ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, start_streamlit, stop, wait_healthy


SESSIONS = 20
DURATION = 60.0  # seconds of changes once every session is up
MIN_CHANGES = 2  # every session makes at least this many, however late it arrived
MAX_CHANGES = 40  # per session: the loop is bounded in count as well as in time
HARD_LIMIT = 300.0  # seconds from the first page opened: no change starts after this, however slow the machine
LOAD_TIMEOUT = 120.0  # page open to first chart, per session, under the load of the others
RAMP = 3  # pages loading at once during ramp-up: 20 at once only thrash 2 cores
VIEWPORT = {"width": 900, "height": 700}
CHANGE_TIMEOUT = 120.0  # key press to changed chart (20 renderers share 2 cores: ~20 s is normal)
RSS_CEILING = 2 * 1024**3  # bytes
GROWTH_LIMIT = 2.0  # RSS after the run / RSS after warm-up

SURFACE = "quadratic"
STEPS = 150
STEPS_SLIDER = "Steps"
LR_SLIDER = "learning rate η"  # t("opt.lr", "en")
LR = controls.LR_CHOICES
NOTCHES = 3  # learning-rate notches that belong to each session: LR[3i + 1 .. 3i + 3]
PLAN = (("lr", +1), ("steps", +1), ("lr", +1), ("lr", -1), ("steps", -1), ("lr", -1))  # one cycle

CHART = ".ov-canvas"  # the race component's map (Playwright's CSS reaches into its shadow root)
# The Adam path the server sent, as the race component holds it to draw: its positions up to the step it
# stopped at (null while the page shows a live-family member drawn ahead of the rerun's answer).
ADAM_PATH_JS = """() => {
    for (const host of document.querySelectorAll('*')) {
        const root = host.shadowRoot && host.shadowRoot.querySelector('.ov-root');
        const view = root && root.__optviz;
        if (!view || !view.data) continue;
        if (view.pick) return null;  // a family member drawn ahead of the rerun: wait for the server's answer
        const i = view.data.runs.findIndex(r => r.name === 'Adam');
        if (i < 0) return null;
        const s = view.series(i);
        if (!s.xy) return null;
        const x = [], y = [];
        for (let k = 0; k <= s.last; k++) { x.push(s.xy[2 * k]); y.push(s.xy[2 * k + 1]); }
        return {x, y};
    }
    return null;
}"""
SIGNATURE_JS = """() => {
    const p = (%s)();
    if (!p || !p.x.length) return null;
    const n = p.x.length;
    return n + ':' + p.x[n - 1] + ':' + p.y[n - 1] + ':' + p.x[n >> 1] + ':' + p.y[n >> 1];
}""" % ADAM_PATH_JS


# ------------------------------------------------------------------------------ what each sees

@dataclass(frozen=True)
class Setting:
    """What one session has chosen: its start, the steps and its Adam learning-rate notch."""

    start: tuple[float, float]
    steps: int
    lr_index: int

    @property
    def lr(self) -> float:
        return LR[self.lr_index]


def initial_setting(session: int) -> Setting:
    """Distinct per session: a start on its own spot of the map and its own learning-rate notches."""
    start = (round(-1.8 + 0.18 * session, 2), round(1.5 - 0.1 * session, 2))
    return Setting(start, STEPS, NOTCHES * session + 1)


def link(setting: Setting) -> str:
    x0, y0 = setting.start
    return (f"/?s={SURFACE}&x0={number(x0)}&y0={number(y0)}&n={setting.steps}&o=sgd~adam"
            f"&o1.lr=0.01&o2.lr={number(setting.lr)}")


@lru_cache(maxsize=None)
def expected_adam_path(setting: Setting) -> np.ndarray:
    """(n, 2) float32: Adam's drawn path for ``setting``, simulated here through the core alone."""
    adam = make_optimizer("adam", lr=setting.lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    traj = simulate(get_surface(SURFACE), adam, np.array(setting.start), setting.steps)
    last = int(traj.last_step[0])
    return traj.positions[: last + 1, 0].astype(np.float32)


def matches(path: dict | None, setting: Setting) -> bool:
    if not path:
        return False
    drawn = np.column_stack([np.asarray(path["x"], dtype=np.float32), np.asarray(path["y"], dtype=np.float32)])
    expected = expected_adam_path(setting)
    return drawn.shape == expected.shape and bool(np.array_equal(drawn, expected))


# ----------------------------------------------------------------------------- server memory

def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_bytes(pid: int) -> int:
    """VmRSS of the process and all its descendants."""
    return 1024 * sum(_status_kib(p, "VmRSS") for p in _tree(pid))


def hwm_bytes(pid: int) -> int:
    """The kernel's high-water marks (VmHWM) of the process and its descendants, summed."""
    return 1024 * sum(_status_kib(p, "VmHWM") for p in _tree(pid))


class MemorySampler(threading.Thread):
    """Samples the server tree's RSS every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join(timeout=5)
        return max(self.peak, rss_bytes(self.pid))


# ------------------------------------------------------------------------------------ sessions

@dataclass
class SessionLog:
    session: int
    setting: Setting
    load_seconds: float = float("nan")
    checks: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    artifacts: Path = ARTIFACTS  # where a failing session leaves its screenshot


@dataclass
class Clock:
    """The phases: every session opens (``RAMP`` at a time), then all change sliders together
    for ``duration`` seconds, each at least ``MIN_CHANGES`` times; nothing starts after ``hard_stop``."""

    duration: float
    sessions: int
    started: float = field(default_factory=time.perf_counter)
    all_up: float | None = None
    up: int = 0
    everyone_up: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self) -> None:
        """A session is up, or gave up: when the last one arrives, the change phase starts."""
        self.up += 1
        if self.up == self.sessions:
            self.all_up = time.perf_counter()
            self.everyone_up.set()

    @property
    def deadline(self) -> float:
        return float("inf") if self.all_up is None else self.all_up + self.duration

    @property
    def hard_stop(self) -> float:
        return self.started + HARD_LIMIT


def _leak_suspects(path: dict | None, session: int, current: dict[int, Setting]) -> list[int]:
    return [other for other, setting in current.items() if other != session and matches(path, setting)]


async def _check(page, log: SessionLog, current: dict[int, Setting], what: str) -> None:
    path = await page.evaluate(ADAM_PATH_JS)
    log.checks += 1
    if not matches(path, log.setting):
        suspects = _leak_suspects(path, log.session, current)
        shown = "nothing" if not path else f"{len(path['x'])} points ending ({path['x'][-1]}, {path['y'][-1]})"
        log.failures.append(f"session {log.session} after {what}: chart shows {shown}, expected {log.setting}"
                            + (f" — it is session(s) {suspects}'s path: a state leak" if suspects else ""))


async def _what_the_page_shows(page, log: SessionLog) -> str:
    """For a failure's message: the alerts, what the race component holds, the sidebar's lr sliders and a
    screenshot in the artifacts (a failure under load is rarely reproducible, so it has to explain itself)."""
    try:
        alerts = await page.locator('[data-testid="stException"], [data-testid="stAlert"]').all_inner_texts()
        held = await page.evaluate(STATE_JS)
        sliders = await page.evaluate("""() => [...document.querySelectorAll('[data-testid=stSidebar] [role=slider]')]
            .map(s => (s.getAttribute('aria-label') || '?') + '=' + s.getAttribute('aria-valuetext'))""")
        shot = log.artifacts / f"load-session-{log.session}.png"
        await page.screenshot(path=str(shot), timeout=10_000)
        return f"alerts: {alerts}; the page holds {held}; sidebar sliders: {sliders}; screenshot {shot.name}"
    except Exception as error:
        return f"(the page could not be read: {type(error).__name__}: {error})"


async def _open(page, url: str) -> float:
    """Open ``url`` and wait for the race chart (its contour picture and Adam path); return the seconds it took."""
    t0 = time.perf_counter()
    await page.goto(url, timeout=LOAD_TIMEOUT * 1000)
    await page.wait_for_selector(CHART, timeout=LOAD_TIMEOUT * 1000)
    await page.wait_for_function(SIGNATURE_JS, timeout=LOAD_TIMEOUT * 1000)
    return time.perf_counter() - t0


CHANGED_JS = f"(before) => {{ const s = ({SIGNATURE_JS})(); return s !== null && s !== before; }}"
# What the page holds when a change did not arrive: enough to tell a lost message from a stuck stand-in.
STATE_JS = """() => {
    for (const host of document.querySelectorAll('*')) {
        const root = host.shadowRoot && host.shadowRoot.querySelector('.ov-root');
        const view = root && root.__optviz;
        if (!view || !view.data) continue;
        return {pick: view.pick && view.pick.family.labels[view.pick.index], missing: view.missingBlobs(),
                live: view.live.map(f => f.slot + ' drawn ' + f.drawn), steps: view.data.steps};
    }
    return null;
}"""


async def _start(page, base_url: str, log: SessionLog, current: dict[int, Setting], ramp: asyncio.Semaphore):
    """Open this session's link, check its first chart, open Adam's controls; the two sliders, or None."""
    try:
        async with ramp:  # a few pages open at a time; this one's clock starts when its turn comes
            log.load_seconds = await asyncio.wait_for(_open(page, base_url + link(log.setting)), LOAD_TIMEOUT)
        await _check(page, log, current, "opening its link")
        adam = page.locator('[data-testid="stExpander"]', has_text="Adam")
        await adam.locator("summary").click()
        sliders = {"lr": adam.get_by_role("slider", name=LR_SLIDER),
                   "steps": page.get_by_role("slider", name=STEPS_SLIDER)}
        await sliders["lr"].wait_for(timeout=LOAD_TIMEOUT * 1000)
        shown = await sliders["lr"].get_attribute("aria-valuetext")
        if shown != controls.format_number(log.setting.lr):
            log.failures.append(f"session {log.session}: its lr slider shows {shown!r} after opening, "
                                f"expected {controls.format_number(log.setting.lr)!r}")
        return sliders
    except Exception as error:  # a session that cannot even start is a failure, not a hang
        log.failures.append(f"session {log.session} did not open: {type(error).__name__}: {error}")
        return None


async def run_session(page, base_url: str, log: SessionLog, current: dict[int, Setting], clock: Clock,
                      ramp: asyncio.Semaphore) -> None:
    """Open, wait for everyone, then change sliders until the clock says stop, checking every chart."""
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    sliders = await _start(page, base_url, log, current, ramp)
    clock.arrived()
    if sliders is None:
        return
    await clock.everyone_up.wait()
    changes = 0
    while changes < MAX_CHANGES and not log.failures:
        now = time.perf_counter()
        if (changes >= MIN_CHANGES and now >= clock.deadline) or now >= clock.hard_stop:
            break
        kind, delta = PLAN[changes % len(PLAN)]
        s = log.setting
        log.setting = (Setting(s.start, s.steps, s.lr_index + delta) if kind == "lr"
                       else Setting(s.start, s.steps + 10 * delta, s.lr_index))
        current[log.session] = log.setting
        expected_adam_path(log.setting)  # simulated before the clock starts
        before = await page.evaluate(SIGNATURE_JS)
        t0 = time.perf_counter()
        await sliders[kind].press("ArrowRight" if delta > 0 else "ArrowLeft")
        try:
            await page.wait_for_function(CHANGED_JS, arg=before, polling=100, timeout=CHANGE_TIMEOUT * 1000)
        except Exception as error:
            log.failures.append(f"session {log.session}: no new chart {CHANGE_TIMEOUT:.0f} s after {kind} "
                                f"{delta:+d} (now {log.setting}): {type(error).__name__}; "
                                + await _what_the_page_shows(page, log))
            break
        log.latencies.append(time.perf_counter() - t0)
        changes += 1
        await _check(page, log, current, f"change {changes} ({kind} {delta:+d})")
        shown = await sliders[kind].get_attribute("aria-valuetext")
        want = controls.format_number(log.setting.lr) if kind == "lr" else str(log.setting.steps)
        if shown != want:
            log.failures.append(f"session {log.session}: its {kind} slider shows {shown!r}, expected {want!r}")
    if changes < MIN_CHANGES and not log.failures:
        log.failures.append(f"session {log.session} made only {changes} change(s) before the hard time limit")


@dataclass
class LoadReport:
    sessions: int
    ramp_seconds: float  # first page opened -> every session up
    change_seconds: float  # every session up -> last change checked
    total_seconds: float  # first page opened -> every session done
    logs: list[SessionLog]
    rss_idle: int  # server alone, before any session
    rss_warm: int  # every session up (each has rendered its first race)
    rss_after: int  # after the last change, all sessions still open
    rss_peak: int  # sampled every 0.2 s
    hwm: int  # VmHWM
    server_log: str

    @property
    def latencies(self) -> list[float]:
        return [x for log in self.logs for x in log.latencies]

    @property
    def failures(self) -> list[str]:
        return [f for log in self.logs for f in log.failures]

    @property
    def page_errors(self) -> list[str]:
        return [f"session {log.session}: {e}" for log in self.logs for e in log.page_errors]

    def lines(self) -> list[str]:
        lat, loads = self.latencies, [log.load_seconds for log in self.logs if np.isfinite(log.load_seconds)]
        per = [len(log.latencies) for log in self.logs]
        mib = 1024**2
        out = [f"load: {self.sessions} concurrent Chromium sessions (one browser context each) on one server, "
               f"{self.total_seconds:.0f} s in all",
               f"  ramp-up {self.ramp_seconds:.0f} s ({RAMP} pages opening at a time), then all {self.sessions} "
               f"changing sliders for {self.change_seconds:.0f} s",
               f"  changes verified: {len(lat)} ({min(per, default=0)}–{max(per, default=0)} per session), "
               f"chart checks: {sum(log.checks for log in self.logs)}, failures: {len(self.failures)}"]
        if loads:
            out.append(f"  page open -> first chart: median {statistics.median(loads):.1f} s, slowest {max(loads):.1f} s")
        if lat:
            out.append(f"  change -> chart latency: median {statistics.median(lat):.2f} s, "
                       f"p90 {np.percentile(lat, 90):.2f} s, slowest {max(lat):.2f} s")
        out.append(f"  server RSS: idle {self.rss_idle / mib:.0f} MiB, all sessions up {self.rss_warm / mib:.0f} MiB, "
                   f"after the run {self.rss_after / mib:.0f} MiB, peak {max(self.rss_peak, self.hwm) / mib:.0f} MiB "
                   f"(sampled {self.rss_peak / mib:.0f}, VmHWM {self.hwm / mib:.0f})")
        return out


def run_in_own_thread(coroutine_function):
    """``asyncio.run`` in a fresh thread: pytest-playwright's sync fixtures keep a loop running here."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine_function())
        except BaseException as error:  # re-raised in the test's thread below
            result["error"] = error

    worker = threading.Thread(target=target, name="load-driver")
    worker.start()
    worker.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_load(sessions: int = SESSIONS, duration: float = DURATION, artifacts: Path | None = None) -> LoadReport:
    """The whole scenario: own server on a free port, ``sessions`` browser contexts, ``duration`` s of changes."""
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install -y chromium); never run `playwright install`")
    artifacts = artifacts or ARTIFACTS
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = artifacts / "load-server.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    logs = [SessionLog(i, initial_setting(i), artifacts=artifacts) for i in range(sessions)]
    current = {log.session: log.setting for log in logs}
    proc = start_streamlit(APP, port, log_path, cwd=ROOT)
    try:
        wait_healthy(proc, port, log_path)
        rss_idle = rss_bytes(proc.pid)
        sampler = MemorySampler(proc.pid)
        sampler.start()

        async def drive() -> tuple[Clock, float, int]:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    pages = [await (await browser.new_context(viewport=VIEWPORT)).new_page() for _ in logs]
                    clock, ramp = Clock(duration, sessions), asyncio.Semaphore(RAMP)
                    tasks = [asyncio.create_task(run_session(page, base_url, log, current, clock, ramp))
                             for page, log in zip(pages, logs)]
                    await clock.everyone_up.wait()
                    warm = rss_bytes(proc.pid)
                    await asyncio.gather(*tasks)
                    end = time.perf_counter()
                    await pages[0].locator(CHART).scroll_into_view_if_needed()
                    await pages[0].screenshot(path=str(artifacts / "load-session-0.png"))
                    return clock, end, warm
                finally:
                    await browser.close()  # every session stays open until all are done

        clock, end, warm = run_in_own_thread(drive)
        after = rss_bytes(proc.pid)
        peak, hwm = sampler.stop(), hwm_bytes(proc.pid)
        server_log = log_path.read_text(errors="replace")
    finally:
        stop(proc)
    return LoadReport(sessions, clock.all_up - clock.started, end - clock.all_up, end - clock.started, logs,
                      rss_idle, warm, after, peak, hwm, server_log)


# ---------------------------------------------------------------------------------------- test

@pytest.mark.browser
def test_twenty_sessions_for_a_minute_each_see_only_their_own_race(artifacts):
    report = run_load(SESSIONS, DURATION, artifacts=artifacts)
    print()
    print("\n".join(report.lines()))
    assert not report.failures, "\n".join(report.failures[:20])
    assert not report.page_errors, "\n".join(report.page_errors[:20])
    bad = [line for line in report.server_log.splitlines() if "Traceback" in line or "Error" in line]
    assert not bad, "server log:\n" + "\n".join(bad[:20])
    assert report.rss_after < GROWTH_LIMIT * report.rss_warm, "server memory doubled over the run"
    assert max(report.rss_peak, report.hwm) < RSS_CEILING, "server memory above the 2 GiB ceiling"
