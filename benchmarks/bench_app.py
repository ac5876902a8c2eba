"""How fast the Streamlit app answers in a real browser, against a bare Streamlit page.

Measures, with Debian's Chromium driven by Playwright:

- cold start: ``streamlit run`` launched -> race chart with its contour on screen; and, with the
  server up, page opened -> chart (first page: empty caches; second page: warm caches);
- slider latency: keyboard ArrowRight on the Adam "learning rate η" slider -> the redrawn chart
  painted, timed inside the page (keydown event -> first animation frame after the Adam path in
  ``_fullData`` changed), median over ``--moves`` presses, each to a new value (no cache hits);
- the same for the floor page: one select_slider and one static Plotly chart (a 100 x 100 contour
  and a 501-point path that the slider changes), written to a temporary directory at run time;
- payload: the race chart's (and the floor chart's) Plotly spec as Streamlit sends it (bytes of
  the JSON string in the ``plotly_chart`` proto, read through AppTest), and the bytes the
  browser's websocket received per slider move.

Run: ``python benchmarks/bench_app.py [--moves 16]``. Needs /usr/bin/chromium; about a minute.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_healthy  # noqa: E402

LABEL = "learning rate η"
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
MAP_DRAWN = f"{CHART} .imagelayer image, {CHART} .contourlayer path"  # the app's map picture; the floor's contour

FLOOR_PAGE = '''
import numpy as np
import plotly.graph_objects as go
import streamlit as st

LADDER = [float(f"{v:.2g}") for v in 10 ** (np.arange(-50, 11) / 10)]
st.set_page_config(page_title="floor", layout="wide")
lr = st.select_slider("learning rate η", LADDER, value=0.04)
grid = np.linspace(-2, 2, 100)
X, Y = np.meshgrid(grid, grid)
t = np.linspace(0, 6, 501)
path = go.Scatter(x=np.cos(t) * np.exp(-lr * t), y=np.sin(t) * np.exp(-lr * t), mode="lines+markers", name="Adam")
st.plotly_chart(go.Figure([go.Contour(x=grid, y=grid, z=X**2 + 3 * Y**2), path]), key="floor")
'''

# Arm a watcher: the time of the next keydown, then of the first animation frame after the Adam
# path as drawn (its length and coordinates) differs from what it was when armed.
ARM = f"""() => {{
  const sig = () => {{
    const gd = document.querySelector('{CHART}');
    const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'Adam' || (t.name || '').startsWith('Adam ·'));
    return t ? t.x.length + ':' + Array.from(t.x).join(',') + ';' + Array.from(t.y).join(',') : null;
  }};
  const before = sig();
  const bench = window.__bench = {{t0: null, t1: null}};
  document.addEventListener('keydown', () => {{ if (bench.t0 === null) bench.t0 = performance.now(); }},
                            {{capture: true, once: true}});
  const tick = () => {{
    const now = sig();
    if (bench.t0 !== null && now !== null && now !== before) {{
      requestAnimationFrame(() => {{ bench.t1 = performance.now(); }});  // the changed chart has been painted
    }} else {{
      requestAnimationFrame(tick);
    }}
  }};
  requestAnimationFrame(tick);
}}"""


def launch_browser(playwright):
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (never `playwright install`).")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_page(browser, url: str):
    """A fresh page (a new Streamlit session) opened at ``url``; returns (page, seconds to contour, ws bytes)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    page.set_default_timeout(120_000)
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(MAP_DRAWN)
    return page, time.perf_counter() - t0, received


def slider_moves(page, slider, moves: int, received: list[int]) -> tuple[list[float], list[int]]:
    """Seconds from keydown to the painted new chart, and websocket bytes received, per ArrowRight."""
    slider.focus()
    seconds, payload = [], []
    for _ in range(moves):
        page.evaluate(ARM)
        before = sum(received)
        slider.press("ArrowRight")
        page.wait_for_function("() => window.__bench.t1 !== null", polling=50)
        bench = page.evaluate("window.__bench")
        seconds.append((bench["t1"] - bench["t0"]) / 1000)
        page.wait_for_timeout(300)  # let the rerun's last messages arrive before counting bytes
        payload.append(sum(received) - before)
    return seconds, payload


def spec_bytes(script: Path, key: str) -> tuple[int, int]:
    """Bytes of a chart's Plotly spec JSON as Streamlit puts it in the proto, and its number of frames."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=120).run()
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return len(chart.proto.spec.encode()), len(json.loads(chart.proto.spec).get("frames", []))


def measure_app(browser, moves: int, log_dir: Path) -> dict:
    port = free_port()
    t0 = time.perf_counter()
    proc = start_streamlit(ROOT / "app.py", port, log_dir / "app.log", cwd=ROOT)
    try:
        health = wait_healthy(proc, port, log_dir / "app.log")
        url = f"http://127.0.0.1:{port}"
        page, first_open, received = open_page(browser, url)
        start_to_chart = time.perf_counter() - t0
        second, second_open, _ = open_page(browser, url)
        second.close()
        adam = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Adam", exact=True))
        adam.locator("summary").click()
        slider = adam.get_by_role("slider", name=LABEL)
        start_value = slider.get_attribute("aria-valuetext")
        seconds, payload = slider_moves(page, slider, moves, received)
        end_value = slider.get_attribute("aria-valuetext")
        page.close()
        return dict(health=health, start_to_chart=start_to_chart, first_open=first_open, second_open=second_open,
                    seconds=seconds, payload=payload, values=(start_value, end_value))
    finally:
        stop(proc)


def measure_floor(browser, moves: int, log_dir: Path) -> dict:
    script = log_dir / "floor_page.py"
    script.write_text(FLOOR_PAGE)
    port = free_port()
    t0 = time.perf_counter()
    proc = start_streamlit(script, port, log_dir / "floor.log", cwd=log_dir)
    try:
        wait_healthy(proc, port, log_dir / "floor.log")
        page, first_open, received = open_page(browser, f"http://127.0.0.1:{port}")
        start_to_chart = time.perf_counter() - t0
        slider = page.get_by_role("slider", name=LABEL)
        seconds, payload = slider_moves(page, slider, moves, received)
        page.close()
        return dict(start_to_chart=start_to_chart, first_open=first_open, seconds=seconds, payload=payload,
                    spec_bytes=spec_bytes(script, "floor")[0])
    finally:
        stop(proc)


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:7.0f} ms   min {min(values) * 1000:6.0f}   "
            f"max {max(values) * 1000:6.0f}   (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=16, help="slider moves per page (at least 15)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    t_total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optviz-bench-") as tmp, sync_playwright() as playwright:
        log_dir = Path(tmp)
        browser = launch_browser(playwright)
        try:
            app = measure_app(browser, args.moves, log_dir)
            print(f"app:   Adam lr {app['values'][0]} -> {app['values'][1]} in {args.moves} moves; "
                  f"slider -> chart {summary(app['seconds'])}", flush=True)
            floor = measure_floor(browser, args.moves, log_dir)
            print(f"floor: slider -> chart {summary(floor['seconds'])}", flush=True)
        finally:
            browser.close()
    race_bytes, frames = spec_bytes(ROOT / "app.py", "race_chart")
    ratio = statistics.median(app["seconds"]) / statistics.median(floor["seconds"])
    print()
    print("=" * 78)
    print("OptViz app vs a bare Streamlit page, headless Chromium (Debian), this machine")
    print("-" * 78)
    print(f"cold start, `streamlit run` -> race chart with contour on screen   {app['start_to_chart']:6.2f} s")
    print(f"  of which: server start -> /_stcore/health ok                     {app['health']:6.2f} s")
    print(f"  of which: page open -> chart (first page, empty caches)          {app['first_open']:6.2f} s")
    print(f"page open -> chart, second page (warm caches)                       {app['second_open']:6.2f} s")
    print(f"floor page: `streamlit run` -> chart on screen                      {floor['start_to_chart']:6.2f} s")
    print(f"floor page: page open -> chart                                      {floor['first_open']:6.2f} s")
    print(f"slider -> updated chart, app (4 optimizers x 500 steps)   {summary(app['seconds'])}")
    print(f"slider -> updated chart, floor page                       {summary(floor['seconds'])}")
    print(f"ratio app / floor (medians)                                         {ratio:6.1f} x")
    print(f"race chart spec JSON as sent (AppTest proto.spec, {frames} frames)      {race_bytes / 1e6:6.2f} MB")
    print(f"websocket bytes per slider move, app   median                       "
          f"{statistics.median(app['payload']) / 1e6:6.2f} MB")
    print(f"websocket bytes per slider move, floor median                       "
          f"{statistics.median(floor['payload']) / 1e6:6.3f} MB")
    print(f"floor chart spec JSON as sent (AppTest proto.spec)                  {floor['spec_bytes'] / 1e6:6.3f} MB")
    print(f"load average (1 min) at the end, on {os.cpu_count()} CPUs                          {os.getloadavg()[0]:6.1f}")
    print(f"benchmark wall time                                                 {time.perf_counter() - t_total:6.1f} s")
    print("=" * 78)


if __name__ == "__main__":
    main()
