"""Heavy requests: their price against their time, how fast cancelled work stops, what an innocent page
waits while three heavy links compute, and peak memory with two maximal sweeps.

Prints figures, judges nothing (the tests check invariants; times belong here). Parts:

- ``prices``: each kind of computation priced by ``optviz.budget`` next to its measured CPU time;
- ``cancel``: a heavy sweep cancelled from another thread: seconds from the cancel to its return,
  and what asking ``cancelled`` costs a run that is never cancelled;
- ``memory``: two maximal app sweeps (200 × 200 cells, the most steps the budget allows) at once in a
  fresh process: its peak resident memory (VmHWM), and the largest cache entries;
- ``server``: a real ``streamlit run app.py`` on a free 127.0.0.1 port, driven over Streamlit's
  websocket protocol (``tests/streamlit_client.py``): an innocent page's open time idle and while three
  heavy links compute (goal: within 1.5×), the server's CPU after a heavy tab closes (goal: idle within
  1 s), and the server's peak memory.

Run: ``python benchmarks/bench_heavy.py [--parts prices,cancel,memory,server]``
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from optviz import budget, share  # noqa: E402  (needs the paths above)
from optviz.optimizers import make_optimizer  # noqa: E402
from optviz.race import OptimizerConfig, RaceConfig, run_race  # noqa: E402
from optviz.simulate import Cancelled, simulate  # noqa: E402
from optviz.sweep import basin_map, sweep, tuned_learning_rates  # noqa: E402
from surfaces import custom_surface, get_surface  # noqa: E402

ROSENBROCK = get_surface("rosenbrock")
# A typed surface of ~120 characters: 114 NumPy calls per step for its value and gradient.
HEAVY_EXPRESSION = "sin(x*y) + cos(x+y)**2 + exp(-(x**2+y**2)/3)*tanh(x-y) + log(1+x**2+y**2)*sin(3*x)*cos(2*y)"
SAMPLES = 5  # innocent pages opened idle, and again while the heavy links compute (one machine, shared: noisy)
TWELVE = ["sgd", "momentum", "adam", "rmsprop", "adagrad", "nesterov", "adamw", "radam", "nadam", "amsgrad",
          "adamax", "lion"]


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


# ------------------------------------------------------------------------------------------ prices

def prices() -> None:
    typed = custom_surface(HEAVY_EXPRESSION)
    plan = budget.largest_sweep(ROSENBROCK, "adam", 200, 2000)
    rows = [
        ("race, 12 contestants × 2000 steps", budget.race_seconds(ROSENBROCK, TWELVE, 2000),
         lambda: run_race(RaceConfig(steps=2000, optimizers=tuple(OptimizerConfig(n) for n in TWELVE)))),
        ("race on a typed surface, 12 × 2000", budget.race_seconds(typed, TWELVE, 2000),
         lambda: simulate(typed, [make_optimizer(n) for n in TWELVE], typed.start, 2000)),
        (f"sweep, Adam, {plan.n}² cells × {plan.steps} steps (the largest that fits)", plan.seconds,
         lambda: sweep(ROSENBROCK, "adam", f"lr:1e-4:1:{plan.n}:log", f"beta1:0:0.99:{plan.n}", steps=plan.steps)),
        ("sweep on the typed surface, 100² × 500", budget.grid_seconds(typed, "adam", 100 * 100, 500),
         lambda: sweep(typed, "adam", "lr:1e-4:1:100:log", "beta1:0:0.99:100", steps=500)),
        ("basin map, SGD, 101² × 500", budget.grid_seconds(ROSENBROCK, "sgd", 101 * 101, 500),
         lambda: basin_map(ROSENBROCK, "sgd", 101, 500, lr=1e-4)),
        ("fair race tuning, 4 optimizers × 500", budget.tuning_seconds(ROSENBROCK, TWELVE[:4], 500),
         lambda: tuned_learning_rates(ROSENBROCK, TWELVE[:4], steps=500)),
    ]
    print(f"prices (budget {budget.REQUEST_SECONDS:g} s per request; measured = CPU seconds here, now)")
    for label, price, work in rows:
        print(f"  {label:<60} price {price:6.2f} s   measured {cpu(work):6.2f} s")
    started = time.process_time()
    custom_surface("sin(x*y)*cos(x-y)+exp(-(x-1)**2-(y+1)**2)*tanh(x*y)+log(1+x**2)*atan(y)"
                   "+sqrt(1+x**2+y**2)*sin(x+2*y)**2+cos(x*y)**3*exp(-x**2)+(x**2+y**2)*sin(3*x)*cos(2*y)")
    print(f"  typed surface differentiation, 182 characters (cap 300):      measured "
          f"{time.process_time() - started:6.2f} s")


# ------------------------------------------------------------------------------------------ cancel

def cancellation() -> None:
    flag = threading.Event()
    done = {}

    def heavy():
        try:
            sweep(ROSENBROCK, "adam", "lr:1e-4:1:200:log", "beta1:0:0.99:200", steps=2000, cancelled=flag.is_set)
        except Cancelled as stop:
            done["steps"] = stop.steps_done
        done["at"] = time.perf_counter()

    worker = threading.Thread(target=heavy)
    worker.start()
    time.sleep(1.0)
    cancelled_at = time.perf_counter()
    flag.set()
    worker.join()
    print("cancellation")
    print(f"  200² × 2000 sweep cancelled after 1 s: returned {done['at'] - cancelled_at:.3f} s later "
          f"(after {done.get('steps')} steps of its chunk)")
    names = [make_optimizer(n) for n in TWELVE[:4]]
    plain = min(cpu(lambda: simulate(ROSENBROCK, names, (-1.2, 1.0), 2000, tol=0)) for _ in range(5))
    asked = min(cpu(lambda: simulate(ROSENBROCK, names, (-1.2, 1.0), 2000, tol=0, cancelled=lambda: False))
                for _ in range(5))
    print(f"  4-contestant race of 2000 steps: {plain * 1e3:.1f} ms, asking cancelled: {asked * 1e3:.1f} ms "
          f"({(asked / plain - 1) * 100:+.1f}%, best of 5)")


# ------------------------------------------------------------------------------------------ memory

TWO_SWEEPS = """
import sys, threading, resource
sys.path[:0] = {paths!r}
from optviz.sweep import sweep
from surfaces import get_surface
surface = get_surface("rosenbrock")
def one(i):
    sweep(surface, "adam", "lr:1e-4:1:200:log", "beta1:0:0.99:200", steps={steps}, start=(-1.2 + i, 1.0))
import tracemalloc
tracemalloc.start()
threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
print(tracemalloc.get_traced_memory()[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def memory() -> None:
    plan = budget.largest_sweep(ROSENBROCK, "adam", 200, 2000)
    baseline = subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = {[str(ROOT)]!r}\n"
                               "import resource, optviz.sweep, surfaces\n"
                               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"],
                              capture_output=True, text=True, check=True)
    two = subprocess.run([sys.executable, "-c", TWO_SWEEPS.format(paths=[str(ROOT)], steps=plan.steps)],
                         capture_output=True, text=True, check=True)
    base = int(baseline.stdout.split()[-1])
    traced, peak = (int(word) for word in two.stdout.split()[-2:])
    print("memory")
    print(f"  two {plan.n}² × {plan.steps}-step Adam sweeps at once: peak RSS {peak / 2**20:.0f} MiB "
          f"(the imports alone: {base / 2**20:.0f} MiB); NumPy and Python allocations of the two at their "
          f"peak: {traced / 2**20:.0f} MiB (tracemalloc)")
    traj = run_race(RaceConfig(steps=2000, optimizers=tuple(OptimizerConfig(n) for n in TWELVE)))
    race_bytes = sum(a.nbytes for a in (traj.positions, traj.loss, traj.grad) if a is not None)
    race_bytes += sum(a.nbytes for a in traj.internals.values())
    result = sweep(ROSENBROCK, "adam", "lr:1e-4:1:200:log", "beta1:0:0.99:200", steps=50)
    print(f"  largest race entry (12 × 2000, every internal): {race_bytes / 2**20:.1f} MiB; "
          f"a 200² sweep pickled: {len(pickle.dumps(result)) / 2**20:.1f} MiB")


# ------------------------------------------------------------------------------------------ server

def heavy_link(i: int) -> str:
    """A sweep-view link on a typed surface, each ``i`` its own (no cache shared between the three)."""
    config = RaceConfig(surface="custom", expression=f"{HEAVY_EXPRESSION} + {i + 1}*x", steps=2000,
                        optimizers=(OptimizerConfig("adam"), OptimizerConfig("sgd"), OptimizerConfig("momentum"),
                                    OptimizerConfig("rmsprop")))
    return urlencode(share.encode(share.AppState(config, view="sweep")))


def innocent_link(i: int) -> str:
    """The default four-contestant race from a start of its own (so no cache answers it)."""
    config = RaceConfig(start=(-1.5 + 0.01 * i, 1.5), steps=300,
                        optimizers=tuple(OptimizerConfig(n) for n in ("sgd", "momentum", "rmsprop", "adam")))
    return urlencode(share.encode(share.AppState(config)))


async def _open(base: str, query: str, keep: bool = False):
    from streamlit_client import StreamlitSession
    session = StreamlitSession(base, query)
    t0 = time.perf_counter()
    run = await session.open()
    seconds = time.perf_counter() - t0
    if not keep:
        await session.close()
    return seconds, run, session


async def _server_figures(base: str, pid: int) -> None:
    from streamlit_client import ServersSampler, cpu_seconds
    await _open(base, innocent_link(999))  # warm-up: imports, first caches
    idle = [(await _open(base, innocent_link(i)))[0] for i in range(SAMPLES)]
    print("server")
    print(f"  innocent page, idle: {statistics.median(idle):.2f} s (median of {SAMPLES}: "
          + ", ".join(f"{s:.2f}" for s in idle) + ")")

    with ServersSampler([pid]) as memory:
        heavy = [asyncio.create_task(_open(base, heavy_link(i))) for i in range(3)]
        await asyncio.sleep(3.0)  # the three are computing
        busy = [(await _open(base, innocent_link(100 + i)))[0] for i in range(SAMPLES)]
        heavy_times = [(await task)[0] for task in heavy]
    print(f"  innocent page while three heavy links compute: {statistics.median(busy):.2f} s (median of {SAMPLES}: "
          + ", ".join(f"{s:.2f}" for s in busy) + f"); {statistics.median(busy) / statistics.median(idle):.2f}× idle")
    print("  the heavy links took " + ", ".join(f"{s:.1f}" for s in heavy_times) + " s to open")
    print(f"  server peak RSS meanwhile: {memory.peak / 2**20:.0f} MiB")

    from streamlit_client import StreamlitSession
    session = StreamlitSession(base, heavy_link(7))
    opening = asyncio.create_task(session.open())
    await asyncio.sleep(3.0)  # computing now
    before = cpu_seconds([pid])
    await session.close()
    closed_at = time.perf_counter()
    opening.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await opening  # ended by the close: its error is the point
    samples = []
    while time.perf_counter() - closed_at < 4.0:
        await asyncio.sleep(0.1)
        samples.append((time.perf_counter() - closed_at, cpu_seconds([pid])))
    quiet_after = next((t0 for (t0, c0), (t1, c1) in zip(samples, samples[1:]) if (c1 - c0) / (t1 - t0) < 0.1), None)
    print("  a heavy tab closed while computing: the server's CPU fell below 10% of a core "
          + (f"{quiet_after:.1f} s after the close" if quiet_after is not None else "not within 4 s")
          + f" (CPU-seconds in the 4 s after: {samples[-1][1] - before:.2f})")


def server() -> None:
    from conftest import free_port, start_streamlit, stop, wait_healthy
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="optviz-heavy-") as folder:
        log = Path(folder) / "server.log"
        proc = start_streamlit(ROOT / "app.py", port, log, ROOT)
        try:
            wait_healthy(proc, port, log)
            asyncio.run(_server_figures(f"http://127.0.0.1:{port}", proc.pid))
        finally:
            stop(proc)
        problems = [line for line in log.read_text().splitlines() if "Traceback" in line or "Error" in line]
        print(f"  server log problem lines: {len(problems)}")


PARTS = {"prices": prices, "cancel": cancellation, "memory": memory, "server": server}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    parts = parser.parse_args(argv).parts.split(",")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(PARTS)}")
    for part in parts:
        PARTS[part]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
