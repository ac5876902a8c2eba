"""Sessions that speak Streamlit's own websocket protocol, and a load of them that checks every answer.

A browser tab costs the 2 cores of this machine about 8 CPU-seconds to open and 1.5 per slider
move (tests/test_load.py), so twenty of them measure the browsers, not the server. A session here
does only what the page does on the wire, with the protobuf messages that ship with streamlit:

- it loads the page's address and asks ``/_stcore/health`` and ``/_stcore/host-config`` over HTTP
  (keeping any cookie a proxy sets, as a browser would), then opens ``/_stcore/stream`` with the
  ``streamlit`` subprotocol;
- it sends a ``rerun_script`` BackMsg carrying its link's query string, and reads ForwardMsgs until
  the script finishes: ``page_info_changed`` rewrites its address (the next rerun sends that),
  ``delta`` messages place elements and blocks by their delta path, and a message the server sends
  as a ``ref_hash`` is taken from its message cache, whose hashes every rerun reports, as the
  frontend's cache does;
- it keeps the race component's blobs for the life of the session, exactly like the page: the
  server sends a blob once per session (``state.unsent_blobs``), so a rerun names blobs the session
  received many reruns ago;
- it moves a slider by sending the widget's new value (a select_slider sends its formatted option
  as ``string_array_value``) under the id of the element it received, with the other values it
  set before (the page sends every widget's value; the server keeps each keyed widget's last value
  in the session, and the path check would catch a start or a step count that fell back).

``protocol_load`` drives N of them from one event loop: every session opens its own link (its
own start point, so its path belongs to it alone), checks Adam's path against the one simulated
here by ``optviz.simulate`` for its own setting (float32, bit for bit: the page draws exactly these
numbers, see ``expected_adam_path`` in tests/test_load.py), then moves Adam's learning-rate slider
every ``interval`` seconds and checks each answer the same way. An answer that carries another
session's current path is counted as cross-talk. The server's CPU time is read from /proc and its
memory sampled as test_load's ``MemorySampler`` does; nothing here judges a time.

A session can also drop its websocket and ask for its session again on a new one (``reconnect``),
as the page does after a network blip; ``protocol_load(reconnect_after=k)`` has every session do it
after its k-th move. Off by default: with streamlit 1.67, a few of 30 sessions reconnecting at once
on 2 busy cores got no answer at all to their next move (the server never started the run),
while one session alone always resumed; benchmarks/bench_load_protocol.py --reconnect-after
shows it.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import statistics
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from optviz import controls
from test_load import LR_SLIDER, MemorySampler, Setting, _tree, expected_adam_path, link, rss_bytes

STREAM = "/_stcore/stream"
SUBPROTOCOL = "streamlit"
RACE_COMPONENT = "optviz.race"
ADAM = "Adam"  # the expander's label and the run's name in the race component's data
RUN_TIMEOUT = 180.0  # seconds for one script run to finish under load before the session gives up
GRID_COLUMNS, GRID_STEP = 20, 0.1  # session starts: a 20-column grid of 0.1 on the quadratic's [-2, 2]²
LR_BASE, LR_SPAN = 24, 10  # session i starts at LR[24 + i % 10] (1.6e-3 .. 1.3e-2) and moves within ±2 notches
LR_WALK = (+1, +1, -1, -1, -1, -1, +1, +1)  # one cycle of moves: back where it began, never more than 2 away
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------------------- settings

def protocol_setting(session: int) -> Setting:
    """Session ``session``'s own start (a point of a 0.1 grid, offset by 0.05 so that it never meets
    tests/test_load.py's browser starts) and learning rate; distinct for up to 780 sessions."""
    column, row = session % GRID_COLUMNS, session // GRID_COLUMNS
    if row >= 39:
        raise ValueError(f"session {session}: only 780 distinct start points fit the quadratic's box")
    start = (round(-1.95 + GRID_STEP * column, 2), round(1.95 - GRID_STEP * row, 2))
    return Setting(start, 150, LR_BASE + session % LR_SPAN)


def moved(setting: Setting, change: int) -> Setting:
    """The setting after the ``change``-th move of the learning-rate walk."""
    return Setting(setting.start, setting.steps, setting.lr_index + LR_WALK[change % len(LR_WALK)])


# ------------------------------------------------------------------------------------ the session

@dataclass
class Run:
    """What one script run sent: seconds from the request to the race component's data and to the end."""

    race_data: dict | None = None
    to_race: float = float("nan")
    to_finish: float = float("nan")
    exceptions: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # the kinds of message, in order: a stuck run explains itself


class ProtocolError(RuntimeError):
    """The server sent something a page could not use (an unknown cached message, a missing blob)."""


class StreamlitSession:
    """One browser tab's Streamlit session, on the wire: its address, cookies, elements, message cache
    and the race component's blob store."""

    def __init__(self, base_url: str, query_string: str):
        self.base_url = base_url.rstrip("/")
        self.query_string = query_string
        self.cookies: dict[str, str] = {}
        self.websocket = None
        self.page_script_hash = ""
        self.session_ids: list[str] = []  # the server's id of this session, as each new connection's first run named it
        self.elements: dict[tuple[int, ...], tuple[str, object]] = {}  # delta path -> (element kind, element)
        self.blocks: dict[tuple[int, ...], object] = {}  # delta path -> Block
        self.messages: dict[str, ForwardMsg] = {}  # the message cache: hash -> cacheable message
        self.blobs: dict[str, str] = {}  # the race component's blob store: id -> base64 float32 (or a data address)
        self.widget_values: dict[str, WidgetState] = {}  # the values this session has set, by widget id
        self.bytes_received = 0
        self._connected = False  # a connection opened and its first run has not yet named the session

    # -- opening
    def _get(self, path: str) -> None:
        request = urllib.request.Request(self.base_url + path)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(request, timeout=RUN_TIMEOUT) as response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or ():
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value

    async def open(self) -> Run:
        """Load the page, connect, and run the script with this session's address; the first run."""
        for path in ("/?" + self.query_string, "/_stcore/health", "/_stcore/host-config"):
            await asyncio.to_thread(self._get, path)
        await self._connect([SUBPROTOCOL])
        return await self.rerun()

    async def reconnect(self) -> Run:
        """Drop the websocket and open a new one asking for the same session, as the page does after a
        network blip (the subprotocol's entries: ``streamlit``, an XSRF token, the session's id); then rerun.
        Only the process that holds the session can continue it: anywhere else it starts a new one."""
        await self.websocket.close()
        token = self.cookies.get("_streamlit_xsrf", "none")  # checked by the server only for a signed-in user
        await self._connect([SUBPROTOCOL, token, self.session_ids[-1]])
        return await self.rerun()

    async def _connect(self, subprotocols: list[str]) -> None:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        ws_url = "ws" + self.base_url.removeprefix("http") + STREAM
        self.websocket = await connect(ws_url, subprotocols=subprotocols, additional_headers=headers,
                                       max_size=None, open_timeout=RUN_TIMEOUT, ping_timeout=None)
        self._connected = True

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()

    # -- running the script
    async def set_widget(self, widget_id: str, state: WidgetState) -> Run:
        """A widget moved: rerun with its new value (and the others this session set before)."""
        state.id = widget_id
        self.widget_values[widget_id] = state
        return await self.rerun()

    async def rerun(self) -> Run:
        back = BackMsg()
        back.rerun_script.query_string = self.query_string
        back.rerun_script.page_script_hash = self.page_script_hash
        back.rerun_script.widget_states.widgets.extend(self.widget_values.values())
        back.rerun_script.cached_message_hashes.extend(self.messages)
        run, t0 = Run(), time.perf_counter()
        await self.websocket.send(back.SerializeToString())
        while True:
            try:
                raw = await asyncio.wait_for(self.websocket.recv(), RUN_TIMEOUT)
            except TimeoutError:
                raise ProtocolError(f"no end of the script run {RUN_TIMEOUT:.0f} s after the request; "
                                    f"received {run.received[-12:]}") from None
            self.bytes_received += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.WhichOneof("type") == "ref_hash":
                if msg.ref_hash not in self.messages:
                    raise ProtocolError(f"the server referred to message {msg.ref_hash}, never received")
                path = msg.metadata.delta_path
                msg = ForwardMsg.FromString(self.messages[msg.ref_hash].SerializeToString())
                msg.metadata.delta_path[:] = path
            elif msg.metadata.cacheable:
                self.messages[msg.hash] = msg
            kind = msg.WhichOneof("type")
            run.received.append(kind if kind != "script_finished" else f"script_finished {msg.script_finished}")
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
                if self._connected and msg.new_session.HasField("initialize"):
                    self.session_ids.append(msg.new_session.initialize.session_id)
                self._connected = False
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta":
                self._place(msg, run, t0)
            elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                run.to_finish = time.perf_counter() - t0
                return run

    def _place(self, msg: ForwardMsg, run: Run, t0: float) -> None:
        path, delta = tuple(msg.metadata.delta_path), msg.delta
        if delta.WhichOneof("type") == "add_block":
            self.blocks[path] = delta.add_block
            return
        if delta.WhichOneof("type") != "new_element":
            return
        kind = delta.new_element.WhichOneof("type")
        element = getattr(delta.new_element, kind)
        self.elements[path] = (kind, element)
        if kind == "exception":
            run.exceptions.append(f"{element.type}: {element.message}")
        elif kind == "bidi_component" and element.component_name == RACE_COMPONENT:
            text = element.mixed.json if element.WhichOneof("data") == "mixed" else element.json
            data = json.loads(text)
            self.blobs.update(data.get("blobs") or {})
            run.race_data, run.to_race = data, time.perf_counter() - t0

    # -- reading what the page shows
    def widget_in_expander(self, expander: str, kind: str, label: str):
        """The ``kind`` element labelled ``label`` inside the expander labelled ``expander``."""
        groups = [path for path, block in self.blocks.items()
                  if block.WhichOneof("type") == "expandable" and block.expandable.label == expander]
        for path, (element_kind, element) in self.elements.items():
            if (element_kind == kind and element.label == label
                    and any(path[:len(group)] == group for group in groups)):
                return element
        raise LookupError(f"no {kind} {label!r} in the expander {expander!r}")

    def path_of(self, race_data: dict, name: str) -> np.ndarray:
        """(last+1, 2) float32: the positions the race component draws for run ``name``."""
        run = next((r for r in race_data["runs"] if r["name"] == name), None)
        if run is None:
            raise ProtocolError(f"the race has no run named {name!r}")
        if run["xy"] not in self.blobs:
            raise ProtocolError(f"blob {run['xy']} of {name} was never received in this session")
        xy = np.frombuffer(base64.b64decode(self.blobs[run["xy"]]), dtype="<f4").reshape(-1, 2)
        return xy[: run["last"] + 1]


def select_slider_value(element, value: str) -> WidgetState:
    """What the frontend sends when a select_slider stops at the option shown as ``value``."""
    if value not in element.options:
        raise ValueError(f"{value!r} is not an option of the slider {element.label!r}")
    state = WidgetState()
    state.string_array_value.data.append(value)
    return state


# ------------------------------------------------------------------------------------- the load

@dataclass
class SessionLog:
    session: int
    setting: Setting
    open_seconds: float = float("nan")
    checks: int = 0
    changes: int = 0
    latencies: list[float] = field(default_factory=list)  # request -> race data, per change
    run_seconds: list[float] = field(default_factory=list)  # request -> script finished, per change
    errors: list[str] = field(default_factory=list)
    cross_talk: list[str] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    session_ids: list[str] = field(default_factory=list)
    bytes_received: int = 0


@dataclass
class Phases:
    """Every session opens, then all move sliders for ``duration`` seconds; none moves after the stop."""

    sessions: int
    duration: float
    up: int = 0
    all_up_at: float = float("nan")
    everyone_up: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self) -> None:
        self.up += 1
        if self.up == self.sessions:
            self.all_up_at = time.perf_counter()
            self.everyone_up.set()

    @property
    def stop_at(self) -> float:
        return self.all_up_at + self.duration


def check_answer(session: StreamlitSession, run: Run, log: SessionLog, current: dict[int, Setting],
                 what: str) -> None:
    """The answer must carry this session's own Adam path; another session's path is cross-talk."""
    log.checks += 1
    if run.exceptions:
        log.errors.append(f"session {log.session} after {what}: the app raised {run.exceptions[:2]}")
        return
    if run.race_data is None:
        log.errors.append(f"session {log.session} after {what}: the run sent no race")
        return
    try:
        drawn = session.path_of(run.race_data, ADAM)
    except ProtocolError as error:
        log.errors.append(f"session {log.session} after {what}: {error}")
        return
    expected = expected_adam_path(log.setting)
    if drawn.shape == expected.shape and np.array_equal(drawn, expected):  # bit for bit: the same float32 numbers
        return
    owners = [other for other, setting in current.items() if other != log.session
              and np.array_equal(drawn, expected_adam_path(setting))]
    if owners:
        log.cross_talk.append(f"session {log.session} after {what} received session(s) {owners}'s path")
    else:
        log.errors.append(f"session {log.session} after {what}: Adam's path ({len(drawn)} points ending "
                          f"{drawn[-1].tolist()}) is not its own {log.setting}")


async def run_protocol_session(base_url: str, log: SessionLog, current: dict[int, Setting], phases: Phases,
                               opening: asyncio.Semaphore, interval: float, min_changes: int, max_changes: int,
                               reconnect_after: int | None) -> None:
    """Open its link, check, wait for everyone; then move Adam's lr every ``interval`` s, checking each answer,
    until the phases stop (but at least ``min_changes`` times however slow the server, at most ``max_changes``).
    After move ``reconnect_after`` it drops its websocket and asks for its session again on a new one."""
    session = StreamlitSession(base_url, link(log.setting).removeprefix("/?"))
    try:
        async with opening:
            t0 = time.perf_counter()
            first = await session.open()
            log.open_seconds = time.perf_counter() - t0
        check_answer(session, first, log, current, "opening its link")
        slider = session.widget_in_expander(ADAM, "slider", LR_SLIDER)
    except Exception as error:  # a session that cannot open is an error of the run, not a hang
        log.errors.append(f"session {log.session} did not open: {type(error).__name__}: {error}")
        phases.arrived()
        await session.close()
        return
    phases.arrived()
    await phases.everyone_up.wait()
    pace = random.Random(log.session)
    next_move = time.perf_counter() + pace.uniform(0, interval)  # spread the moves over the interval
    try:
        while log.changes < max_changes and not log.errors:
            await asyncio.sleep(max(0.0, next_move - time.perf_counter()))
            if time.perf_counter() >= phases.stop_at and log.changes >= min_changes:
                break
            next_move += interval
            log.setting = moved(log.setting, log.changes)
            current[log.session] = log.setting
            expected_adam_path(log.setting)  # simulated before the clock starts
            value = select_slider_value(slider, controls.format_number(log.setting.lr))
            answer = await session.set_widget(slider.id, value)
            log.changes += 1
            log.latencies.append(answer.to_race)
            log.run_seconds.append(answer.to_finish)
            check_answer(session, answer, log, current, f"change {log.changes} (lr {log.setting.lr:g})")
            if log.changes == reconnect_after:
                check_answer(session, await session.reconnect(), log, current, "reconnecting")
                if len(set(session.session_ids)) != 1:
                    log.errors.append(f"session {log.session} reconnected as {session.session_ids[-1]}: a new session, "
                                      f"not its own {session.session_ids[0]} (the connection reached another process)")
    except Exception as error:
        log.errors.append(f"session {log.session} at change {log.changes + 1}: {type(error).__name__}: {error}")
    finally:
        log.cookies, log.bytes_received = dict(session.cookies), session.bytes_received
        log.session_ids = list(session.session_ids)
        await session.close()


# ------------------------------------------------------------------------------ server figures

def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` and their descendants, from /proc/<pid>/stat."""
    total = 0
    for root in pids:
        for pid in _tree(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU-seconds every core of the machine has spent busy since boot (/proc/stat: all but idle and iowait):
    beside the server's and the clients' own, it tells how much of the machine others took meanwhile."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICKS  # user..steal, minus idle and iowait


class ServersSampler(MemorySampler):
    """Resident memory of several server processes (each with its children), sampled together every
    0.2 s: the peak of their sum is what the machine had to hold at once, and each one's own peak."""

    def __init__(self, pids: list[int]):
        super().__init__(pids[0])
        self.pids, self.each = pids, [0] * len(pids)

    def sample(self) -> None:
        now = [rss_bytes(pid) for pid in self.pids]
        self.each = [max(a, b) for a, b in zip(self.each, now)]
        self.peak = max(self.peak, sum(now))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join(timeout=5)
        self.sample()
        return self.peak

    def __enter__(self) -> ServersSampler:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class LoadReport:
    sessions: int
    logs: list[SessionLog]
    open_phase: float  # first session opening -> every session up
    change_phase: float  # every session up -> the last answer
    server_cpu: float  # CPU-seconds of the server processes over the change phase
    server_cpu_total: float  # ... over the whole run, opening included
    client_cpu: float  # CPU-seconds of this process (the clients) over the whole run
    rss_peak: int  # bytes, every server process together
    rss_each: list[int]
    machine_cpu: float  # CPU-seconds of the whole machine over the change phase (2 cores: at most 2 per second)
    client_cpu_moves: float  # CPU-seconds of this process over the change phase

    @property
    def others_cpu(self) -> float:
        """CPU-seconds over the change phase taken by neither the server nor these clients."""
        return max(self.machine_cpu - self.server_cpu - self.client_cpu_moves, 0.0)

    @property
    def latencies(self) -> list[float]:
        return [x for log in self.logs for x in log.latencies]

    @property
    def answers(self) -> int:
        return sum(log.changes for log in self.logs)

    @property
    def errors(self) -> list[str]:
        return [e for log in self.logs for e in log.errors]

    @property
    def cross_talk(self) -> list[str]:
        return [e for log in self.logs for e in log.cross_talk]

    @property
    def checks(self) -> int:
        return sum(log.checks for log in self.logs)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    def row(self, label: str) -> dict:
        """The figures of the benchmark's table."""
        return {"setup": label, "sessions": self.sessions, "answers": self.answers,
                "answers/s": self.answers / self.change_phase if self.change_phase > 0 else float("nan"),
                "p50 s": self.percentile(50), "p95 s": self.percentile(95), "p99 s": self.percentile(99),
                "server CPU s": self.server_cpu, "CPU cores": self.server_cpu / self.change_phase,
                "peak RSS MiB": self.rss_peak / 1024**2, "others' cores": self.others_cpu / self.change_phase,
                "errors": len(self.errors),
                "cross-talk": len(self.cross_talk)}

    def lines(self) -> list[str]:
        opens = [log.open_seconds for log in self.logs if np.isfinite(log.open_seconds)]
        out = [f"protocol load: {self.sessions} sessions; all up after {self.open_phase:.1f} s, "
               f"then {self.change_phase:.1f} s of lr moves",
               f"  answers checked: {self.checks} ({self.answers} after moves), errors: {len(self.errors)}, "
               f"cross-talk: {len(self.cross_talk)}"]
        if opens:
            out.append(f"  open -> first race: median {statistics.median(opens):.2f} s, slowest {max(opens):.2f} s")
        if self.latencies:
            out.append(f"  move -> race data: p50 {self.percentile(50):.2f} s, p95 {self.percentile(95):.2f} s, "
                       f"p99 {self.percentile(99):.2f} s; {self.answers / self.change_phase:.2f} answers/s")
        phase = max(self.change_phase, 1e-9)
        out.append(f"  server CPU {self.server_cpu:.1f} s over the moves ({self.server_cpu / phase:.2f} "
                   f"cores), {self.server_cpu_total:.1f} s in all; clients' CPU {self.client_cpu:.1f} s; "
                   f"other programs {self.others_cpu / phase:.2f} cores over the moves; "
                   f"peak RSS {self.rss_peak / 1024**2:.0f} MiB "
                   f"({', '.join(f'{r / 1024**2:.0f}' for r in self.rss_each)} per process)")
        return out


async def protocol_load(base_url: str, sessions: int, duration: float, server_pids: list[int], *,
                        interval: float = 3.0, opening_at_once: int = 8, min_changes: int = 1,
                        max_changes: int = 1000,
                        reconnect_after: int | None = None, first_session: int = 0, alongside=None) -> LoadReport:
    """``sessions`` protocol sessions against ``base_url``, each reconnecting once after move ``reconnect_after``
    (None: never); ``alongside`` (a coroutine function taking the
    phases' ``everyone_up`` event) runs in the same loop, for a real browser in the same minute."""
    logs = [SessionLog(i, protocol_setting(i)) for i in range(first_session, first_session + sessions)]
    current = {log.session: log.setting for log in logs}
    phases, opening = Phases(sessions, duration), asyncio.Semaphore(opening_at_once)
    for log in logs:
        expected_adam_path(log.setting)
    cpu0, own0, t0 = cpu_seconds(server_pids), time.process_time(), time.perf_counter()
    with ServersSampler(server_pids) as memory:
        tasks = [asyncio.create_task(run_protocol_session(base_url, log, current, phases, opening, interval,
                                                          min_changes, max_changes, reconnect_after))
                 for log in logs]
        extra = [asyncio.create_task(alongside(phases.everyone_up))] if alongside else []
        await phases.everyone_up.wait()
        cpu_up, machine_up, own_up = cpu_seconds(server_pids), machine_busy_seconds(), time.process_time()
        await asyncio.gather(*tasks)
        end, cpu_end, machine_end, own_end = (time.perf_counter(), cpu_seconds(server_pids), machine_busy_seconds(),
                                              time.process_time())
        await asyncio.gather(*extra)
    return LoadReport(sessions, logs, phases.all_up_at - t0, end - phases.all_up_at, cpu_end - cpu_up,
                      cpu_end - cpu0, own_end - own0, memory.peak, memory.each, machine_end - machine_up,
                      own_end - own_up)

