"""Many people at once: N real Chromium sessions change sliders on one app server for a while.

The scenario of tests/test_load.py (see its docstring for the design), run as a script that
prints the figures instead of judging them: sessions, duration, page-open time, change ->
chart latency (median, p90, slowest), and the server's resident memory (after warm-up, after
the run, sampled peak, VmHWM). It starts its own ``streamlit run app.py`` on a free 127.0.0.1
port and stops it afterwards; it needs Debian's Chromium at /usr/bin/chromium and the
playwright package (never ``playwright install``).

Run: ``python benchmarks/bench_load.py [--sessions 20] [--duration 60]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from test_load import DURATION, SESSIONS, run_load  # noqa: E402  (needs the paths above)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=f"concurrent browser sessions ({SESSIONS})")
    parser.add_argument("--duration", type=float, default=DURATION, help=f"seconds of slider changes ({DURATION:g})")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 1 <= args.duration <= 600:
        parser.error("keep it bounded: 1..50 sessions, 1..600 seconds")
    with tempfile.TemporaryDirectory(prefix="optviz-load-") as folder:
        report = run_load(args.sessions, args.duration, artifacts=Path(folder))
        problems = [line for line in report.server_log.splitlines() if "Traceback" in line or "Error" in line]
    print("\n".join(report.lines()))
    print(f"  server log problem lines: {len(problems)}; page errors: {len(report.page_errors)}")
    for failure in report.failures[:10]:
        print("  FAILED:", failure)
    return 1 if report.failures or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
