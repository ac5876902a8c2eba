"""A class on the server: 30, 60 and 120 protocol-level sessions on one process, then on two behind nginx.

Each session is tests/streamlit_client.py's (it speaks Streamlit's websocket protocol as the page
does, keeps its blobs, and checks every answer bit for bit against ``optviz.simulate``): it opens its
own link, then moves Adam's learning-rate slider every ``--interval`` s for ``--duration`` s.
Every row starts fresh servers: ``streamlit run app.py`` on a free 127.0.0.1 port (one process),
or deploy/launch.py's processes and nginx. Reported per row: answers per second over the moves,
p50/p95/p99 of move -> race data (the component's data is the first thing a rerun sends, so this
is what the page waits for), the server processes' CPU over the moves (seconds, and cores = seconds
per second) from /proc, their peak resident memory together (sampled every 0.2 s), errors and
cross-talk (an answer carrying another session's path; must be 0), and, because the machine may be
shared, the cores other programs took over the moves (/proc/stat's busy time less the server's and
the clients') and the load average.

From the CPU per answer it derives the sessions one core carries at that pace of moves
(``interval / CPU-seconds per answer``, at 100 % busy; plan for about 70 %).

Run: ``python benchmarks/bench_load_protocol.py [--sessions 30 60 120] [--duration 60] [--interval 3]``
(about 2 minutes per row; ``--no-proxy`` skips the nginx rows, which need Debian's nginx).
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "deploy"), str(ROOT)]

from conftest import free_port, start_streamlit, stop, wait_healthy  # noqa: E402  (needs the paths above)
from launch import start_deployment  # noqa: E402
from streamlit_client import LoadReport, protocol_load  # noqa: E402

COLUMNS = ("setup", "sessions", "answers", "answers/s", "p50 s", "p95 s", "p99 s", "server CPU s", "CPU cores",
           "peak RSS MiB", "errors", "cross-talk", "others' cores", "load avg")
COMFORTABLE = 0.7  # the share of a core to plan for: queues grow fast towards 100 %


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def one_process(sessions: int, args, folder: Path) -> tuple[LoadReport, str]:
    port, log_path = free_port(), folder / f"server-{sessions}.log"
    proc = start_streamlit(args.app_root / "app.py", port, log_path, cwd=args.app_root)
    try:
        wait_healthy(proc, port, log_path)
        report = asyncio.run(protocol_load(f"http://127.0.0.1:{port}", sessions, args.duration, [proc.pid],
                                           interval=args.interval, reconnect_after=args.reconnect_after))
    finally:
        stop(proc)
    return report, log_path.read_text(errors="replace")


def behind_nginx(sessions: int, args, folder: Path) -> tuple[LoadReport, str]:
    deployment = start_deployment(args.processes, folder / f"deploy-{sessions}", app_root=args.app_root)
    try:
        report = asyncio.run(protocol_load(deployment.url, sessions, args.duration, deployment.app_pids,
                                           interval=args.interval, reconnect_after=args.reconnect_after))
    finally:
        deployment.stop()
    return report, "\n".join(deployment.app_logs())


def cell(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[30, 60, 120], help="session counts (30 60 120)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of moves once all are up (60)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between one session's moves (3)")
    parser.add_argument("--processes", type=int, default=2, help="app processes behind nginx (2)")
    parser.add_argument("--no-proxy", action="store_true", help="only the one-process rows")
    parser.add_argument("--reconnect-after", type=int, default=None,
                        help="each session drops its websocket after this move and asks for its session again")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the folder holding app.py (the repository)")
    args = parser.parse_args(argv)
    bounded = 1 <= args.duration <= 3600 and 0.2 <= args.interval <= 60
    if not bounded or not all(1 <= n <= 780 for n in args.sessions):
        parser.error("keep it bounded: 1..780 sessions, 1..3600 s of moves, a move every 0.2..60 s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped from outside: still stop our servers
    setups = [("1 process", one_process)]
    if not args.no_proxy:
        if shutil.which("nginx") is None:
            parser.error("nginx is not installed (Debian: apt-get install -y nginx), or pass --no-proxy")
        setups.append((f"{args.processes} processes + nginx", behind_nginx))
    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="optviz-load-protocol-") as folder:
        for label, run in setups:
            for sessions in args.sessions:
                before = load_average()
                report, server_log = run(sessions, args, Path(folder))
                row = report.row(label) | {"load avg": f"{before}->{load_average()}"}
                rows.append(row)
                print("\n".join([f"[{label}]"] + report.lines()), flush=True)
                cpu_per_answer = report.server_cpu / max(report.answers, 1)
                print(f"  {cpu_per_answer:.3f} CPU-s per answer: one core carries {args.interval / cpu_per_answer:.0f} "
                      f"sessions moving every {args.interval:g} s at 100 % busy, "
                      f"{COMFORTABLE * args.interval / cpu_per_answer:.0f} at {COMFORTABLE:.0%}", flush=True)
                problems = [line for line in server_log.splitlines() if "Traceback" in line]
                for line in (report.errors + report.cross_talk + problems)[:5]:
                    print("  PROBLEM:", line)
                failed |= bool(report.errors or report.cross_talk or problems)
    print()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(cell(row[c]) for c in COLUMNS) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
