"""Load: 20 real Chromium sessions change sliders for about a minute; each always sees its own race.

Design
------
One server (``streamlit run app.py`` on a free 127.0.0.1 port, started here, so its PID is ours
to measure) and one Debian Chromium with one browser *context* per session: a context is a
separate user (own cookies, storage and Streamlit session) and gets its own renderer process,
while the browser process, GPU process and launch cost are shared. On 2 cores that is what
fits: 20 separate browsers would add 20 browser and GPU processes and their start-up for no
extra realism, and a renderer costs about 0.2 GB, so 20 of them stay well inside 24 GB. The
sessions run concurrently through Playwright's async API (one event loop drives all of them).

Every session opens its own link (``?s=quadratic&x0=…&y0=…&n=150&o=sgd~adam&o2.lr=…``): a
start point and an Adam learning rate that no other session has. Then, until the time budget
or its change budget runs out, it cycles through changes of Adam's learning-rate
select_slider and of the Steps slider, by keyboard as a person would. Each session's learning
rate stays within three notches of the LR ladder that belong to it alone. After each change
it waits for its race chart to change and reads the Adam path from the live figure
(``_fullData``); that path must equal, bit for bit in float32, the path simulated here with
``optviz`` for *this* session's start, steps and learning rate — an independent check that no
session ever sees another's chart or state. A mismatch is diagnosed against every other
session's current setting, to tell a leak from a plain wrong answer.

Measured: the server's resident memory (VmRSS of the server and any child, sampled every
0.2 s, and the kernel's VmHWM high-water mark), and the latency from key press to the
changed chart, median and slowest.

Asserted: every check of every session passed, no page raised a JavaScript error, the server
log has no ``Traceback``/``Error`` line, and memory stayed bounded. "Bounded" is defined as
both (a) RSS after the run < 2 x RSS after warm-up (all sessions loaded once), and (b) the
peak below a fixed 2 GiB ceiling. The app's caches are bounded by ``max_entries`` (a race
figure is ~0.4 MB, at most 64 cached figures and 16 races), so what a minute of changes may
add to warm-up is cache fill of some tens of MB; a per-change leak of even one figure, over
the several hundred changes of a run, would cross (a). (b) catches a server that grows
steadily from the very start (which (a) compares against itself): the whole app with 20
sessions lives in a few hundred MB. No wall-clock assertion: on 2 shared cores the latencies
measure the machine as much as the app, so they are printed, not judged.

The figures are printed (run with ``-s`` to see them); the server log and a screenshot of
one session land in tests/artifacts/.
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
DURATION = 60.0  # seconds of changes, after every session has loaded
MAX_CHANGES = 60  # per session: the loop is bounded in count as well as in time
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

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
ADAM_PATH_JS = """() => {
    const plot = document.querySelector('%s');
    const data = plot && plot._fullData;
    if (!data) return null;
    const adam = data.find(d => d.mode === 'lines+markers' && (d.name === 'Adam' || (d.name || '').startsWith('Adam · ')));
    if (!adam || !adam.x) return null;
    return {x: Array.from(adam.x), y: Array.from(adam.y)};
}""" % CHART
SIGNATURE_JS = """() => {
    const plot = document.querySelector('%s');
    const data = plot && plot._fullData;
    if (!data) return null;
    const adam = data.find(d => d.mode === 'lines+markers' && (d.name === 'Adam' || (d.name || '').startsWith('Adam · ')));
    if (!adam || !adam.x || !adam.x.length) return null;
    const n = adam.x.length;
    return n + ':' + adam.x[n - 1] + ':' + adam.y[n - 1] + ':' + adam.x[n >> 1] + ':' + adam.y[n >> 1];
}""" % CHART


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


async def _slider_text(slider) -> str | None:
    return await slider.get_attribute("aria-valuetext")


async def _open(page, url: str) -> float:
    """Open ``url`` and wait for the race chart's contour and Adam path; return the seconds it took."""
    t0 = time.perf_counter()
    await page.goto(url, timeout=LOAD_TIMEOUT * 1000)
    await page.wait_for_selector(CHART + " .imagelayer image", timeout=LOAD_TIMEOUT * 1000)
    await page.wait_for_function(SIGNATURE_JS, timeout=LOAD_TIMEOUT * 1000)
    return time.perf_counter() - t0


async def run_session(browser, base_url: str, log: SessionLog, current: dict[int, Setting], loaded: asyncio.Event,
                      all_loaded: asyncio.Event, deadline: list[float], artifacts: Path | None,
                      ramp: asyncio.Semaphore) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    try:
        async with ramp:  # a few pages load at a time; the clock starts when this one's turn comes
            log.load_seconds = await asyncio.wait_for(_open(page, base_url + link(log.setting)), LOAD_TIMEOUT)
        await _check(page, log, current, "loading its link")
        adam = page.locator('[data-testid="stExpander"]', has_text="Adam")
        await adam.locator("summary").click()
        lr_slider = adam.get_by_role("slider", name=LR_SLIDER)
        steps_slider = page.get_by_role("slider", name=STEPS_SLIDER)
        await lr_slider.wait_for(timeout=LOAD_TIMEOUT * 1000)
        if await _slider_text(lr_slider) != controls.format_number(log.setting.lr):
            log.failures.append(f"session {log.session}: lr slider shows {await _slider_text(lr_slider)!r} "
                                f"after loading, expected {controls.format_number(log.setting.lr)!r}")
    except Exception as error:  # a session that cannot even start is a failure, not a hang
        log.failures.append(f"session {log.session} did not load: {type(error).__name__}: {error}")
        loaded.set()
        await context.close()
        return
    loaded.set()
    await all_loaded.wait()

    changes = 0
    while time.perf_counter() < deadline[0] and changes < MAX_CHANGES and not log.failures:
        kind, delta = PLAN[changes % len(PLAN)]
        before = await page.evaluate(SIGNATURE_JS)
        s = log.setting
        if kind == "lr":
            log.setting = Setting(s.start, s.steps, s.lr_index + delta)
            slider = lr_slider
        else:
            log.setting = Setting(s.start, s.steps + 10 * delta, s.lr_index)
            slider = steps_slider
        current[log.session] = log.setting
        expected_adam_path(log.setting)  # simulate before the clock starts
        t0 = time.perf_counter()
        await slider.press("ArrowRight" if delta > 0 else "ArrowLeft")
        try:
            await page.wait_for_function(f"(before) => {{ const s = ({SIGNATURE_JS})(); return s !== null && s !== before; }}",
                                         arg=before, polling=50, timeout=CHANGE_TIMEOUT * 1000)
        except Exception as error:
            alert = await page.locator('[data-testid="stException"], [data-testid="stAlert"]').all_inner_texts()
            log.failures.append(f"session {log.session}: no new chart {CHANGE_TIMEOUT:.0f} s after {kind} "
                                f"{delta:+d} (now {log.setting}): {type(error).__name__}; alerts: {alert}")
            break
        log.latencies.append(time.perf_counter() - t0)
        changes += 1
        await _check(page, log, current, f"change {changes} ({kind} {delta:+d})")
        text = await _slider_text(slider)
        want = controls.format_number(log.setting.lr) if kind == "lr" else str(log.setting.steps)
        if text != want:
            log.failures.append(f"session {log.session}: {kind} slider shows {text!r}, expected {want!r}")
    if artifacts is not None and log.session == 0:
        await page.screenshot(path=str(artifacts / "load-session-0.png"))
    await context.close()


@dataclass
class LoadReport:
    sessions: int
    duration: float  # seconds of the change phase
    total_seconds: float
    logs: list[SessionLog]
    rss_warm: int
    rss_after: int
    rss_peak: int
    hwm: int
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
        lat, loads = self.latencies, [log.load_seconds for log in self.logs]
        mib = 1024**2
        out = [
            f"load: {self.sessions} concurrent Chromium sessions, {self.duration:.1f} s of changes "
            f"after a {self.total_seconds - self.duration:.1f} s ramp-up ({RAMP} pages loading at a time)",
            f"  changes verified: {len(lat)} ({min((len(l.latencies) for l in self.logs), default=0)}"
            f"–{max((len(l.latencies) for l in self.logs), default=0)} per session), "
            f"chart checks: {sum(l.checks for l in self.logs)}, failures: {len(self.failures)}",
            f"  page open to first chart: median {statistics.median(loads):.1f} s, slowest {max(loads):.1f} s",
        ]
        if lat:
            out.append(f"  change -> chart latency: median {statistics.median(lat):.2f} s, "
                       f"p90 {np.percentile(lat, 90):.2f} s, slowest {max(lat):.2f} s")
        out.append(f"  server RSS: after warm-up {self.rss_warm / mib:.0f} MiB, after run {self.rss_after / mib:.0f} MiB, "
                   f"peak sampled {self.rss_peak / mib:.0f} MiB, VmHWM {self.hwm / mib:.0f} MiB")
        return out


def run_load(sessions: int = SESSIONS, duration: float = DURATION, artifacts: Path | None = None,
             log_path: Path | None = None) -> LoadReport:
    """The whole scenario: own server on a free port, ``sessions`` browser contexts, ``duration`` s of changes."""
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install -y chromium); never run `playwright install`")
    log_path = log_path or (artifacts or ARTIFACTS) / "load-server.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = start_streamlit(APP, port, log_path, cwd=ROOT)
    try:
        wait_healthy(proc, port, log_path)
        sampler = MemorySampler(proc.pid)
        sampler.start()
        logs = [SessionLog(i, initial_setting(i)) for i in range(sessions)]
        current = {log.session: log.setting for log in logs}
        times: dict[str, float] = {}

        async def drive() -> int:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    loaded = [asyncio.Event() for _ in logs]
                    all_loaded = asyncio.Event()
                    deadline = [float("inf")]
                    t0 = time.perf_counter()
                    ramp = asyncio.Semaphore(RAMP)
                    tasks = [asyncio.create_task(run_session(browser, base_url, log, current, event, all_loaded,
                                                             deadline, artifacts, ramp))
                             for log, event in zip(logs, loaded)]
                    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in loaded)), 2 * LOAD_TIMEOUT + 60)
                    warm = rss_bytes(proc.pid)
                    times["start"] = time.perf_counter()
                    deadline[0] = times["start"] + duration
                    all_loaded.set()
                    await asyncio.wait_for(asyncio.gather(*tasks), duration + CHANGE_TIMEOUT + 60)
                    times["end"] = time.perf_counter()
                    times["total"] = times["end"] - t0
                    return warm
                finally:
                    await browser.close()

        warm = asyncio.run(drive())
        after = rss_bytes(proc.pid)
        peak, hwm = sampler.stop(), hwm_bytes(proc.pid)
        server_log = log_path.read_text(errors="replace")
    finally:
        stop(proc)
    return LoadReport(sessions, times["end"] - times["start"], times["total"], logs, warm, after, peak, hwm,
                      server_log)


# ---------------------------------------------------------------------------------------- test

@pytest.mark.browser
def test_twenty_sessions_for_a_minute_each_see_only_their_own_race(artifacts):
    report = run_load(SESSIONS, DURATION, artifacts=artifacts)
    print()
    print("\n".join(report.lines()))
    assert not report.failures, "\n".join(report.failures[:20])
    assert all(log.latencies for log in report.logs), "a session made no change"
    assert not report.page_errors, "\n".join(report.page_errors[:20])
    bad = [line for line in report.server_log.splitlines() if "Traceback" in line or "Error" in line]
    assert not bad, "server log:\n" + "\n".join(bad[:20])
    assert report.rss_after < GROWTH_LIMIT * report.rss_warm, "server memory doubled over the run"
    assert max(report.rss_peak, report.hwm) < RSS_CEILING, "server memory above the 2 GiB ceiling"
