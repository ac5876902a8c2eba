"""How fast the app answers in a real browser, against a bare Streamlit page, measured by pixels.

Debian's Chromium, driven by Playwright, records the screen with DevTools' screencast (PNG
frames, each stamped with the time the compositor produced it). A latency is the time from the
input (key press or pointer move, stamped just before it is sent) to the first frame whose
chart area equals the settled picture, pixel for pixel; no private field of any chart library is
read. Side by side, in one run:

- sidebar slider -> settled chart: ArrowRight on the Adam "learning rate η" slider (app; its group
  open, so the page holds Adam's live family and redraws before the rerun answers) and on the floor
  page's one slider, median over ``--moves`` presses, each to a new value;
- page open -> map drawn (the chart area equal to its settled picture), app and floor, fresh pages
  opened in turn (``--opens`` each), medians;
- websocket bytes received per slider move, app and floor;
- in-chart scrub -> redrawn path: the live-scrub slider dragged one notch (pointer held down, so
  nothing is committed), median over ``--moves`` notches; the page sends nothing meanwhile;
- playback of 10 contestants x 2,000 steps: frames drawn per second, counted in the page.

The floor page is one select_slider and one static Plotly contour with a 501-point path that the
slider changes, written to a temporary directory at run time.

Run: ``python benchmarks/bench_app.py [--moves 16]``. Needs /usr/bin/chromium; about two minutes.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop, wait_healthy  # noqa: E402

LABEL = "learning rate η"
VIEWPORT = {"width": 1920, "height": 1080}
SETTLE_MS = 2500  # no new frame for this long after an input: the picture has settled
# JPEG frames encode fast enough for the compositor's full rate (PNG at 1920x1080 halves it); the same
# picture encodes to the same bytes, and a changed path moves the chart's mean far more than SAME levels.
FORMAT, SAME = "jpeg", 0.05
RACE_10 = ("/?o=sgd~momentum~nesterov~adagrad~rmsprop~adadelta~adam~adamw~nadam~radam&n=2000"
           "&o1.lr=0.001&o2.lr=0.001&o3.lr=0.001&o4.lr=0.1&o5.lr=0.01&o7.lr=0.01&o8.lr=0.01&o9.lr=0.01&o10.lr=0.01")

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

APP_CHART = """() => { for (const h of document.querySelectorAll('*')) { const r = h.shadowRoot && h.shadowRoot.querySelector('.ov-root');
  if (r && r.__optviz && r.__optviz.data) { const c = r.__optviz.canvas.getBoundingClientRect();
    return {x: c.x, y: c.y, w: c.width, h: c.height, frames: r.__optviz.frames}; } } return null; }"""
FLOOR_CHART = """() => { const e = document.querySelector('[data-testid="stPlotlyChart"] .main-svg');
  if (!e) return null; const c = e.getBoundingClientRect(); return {x: c.x, y: c.y, w: c.width, h: c.height, frames: 1}; }"""


class Screencast:
    """DevTools' screencast of a page: (timestamp, PNG bytes) of every frame the compositor paints."""

    def __init__(self, page):
        self.frames: list[tuple[float, bytes]] = []
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("Page.screencastFrame", self._frame)
        self.cdp.send("Page.startScreencast", {"format": FORMAT, "quality": 100, "maxWidth": VIEWPORT["width"],
                                               "maxHeight": VIEWPORT["height"], "everyNthFrame": 1})

    def _frame(self, params) -> None:
        self.frames.append((params["metadata"]["timestamp"], base64.b64decode(params["data"])))
        with contextlib.suppress(Exception):  # the page may have closed meanwhile
            self.cdp.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})

    def wait_settled(self, page, since: float, timeout: float = 60.0) -> None:
        """Until no frame has come for SETTLE_MS after ``since`` (and at least one frame came)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            page.wait_for_timeout(100)
            last = self.frames[-1][0] if self.frames else 0.0
            if last > since and time.time() - last > SETTLE_MS / 1000:
                return
            if last <= since and time.time() - since > SETTLE_MS / 1000 + 1:
                return  # nothing changed at all
        raise TimeoutError("the screen did not settle")

    def first_settled(self, since: float, box: dict) -> float | None:
        """Seconds from ``since`` to the first frame after it whose ``box`` equals the last frame's."""
        after = sorted((t, png) for t, png in self.frames if t >= since)  # frames may arrive out of order
        if not after:
            return None
        crop = lambda png: np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[  # noqa: E731
            int(box["y"]):int(box["y"] + box["h"]), int(box["x"]):int(box["x"] + box["w"])]
        final = crop(after[-1][1]).astype(int)
        for t, png in after:
            if np.abs(crop(png).astype(int) - final).mean() <= SAME:
                return t - since
        return None

    def stop(self) -> None:
        self.cdp.send("Page.stopScreencast")


def launch_browser(playwright):
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (never `playwright install`).")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_page(browser, url: str, chart_js: str):
    """A fresh page (a new Streamlit session) at ``url``, with the screencast running: (page, screencast,
    websocket bytes received so far)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    cast = Screencast(page)
    t0 = time.time()
    page.goto(url)
    page.wait_for_function(f"() => {{ const c = ({chart_js})(); return c && c.frames > 0 && c.w > 0; }}")
    cast.wait_settled(page, t0)
    return page, cast, received


def time_to_map(browser, url: str, chart_js: str, quiet: float = 1.5) -> float:
    """Seconds from navigating a fresh page to ``url`` until its chart area first shows its settled picture.

    Screenshots of the chart area are taken back to back from the moment the chart exists (the
    screencast drops frames while a page loads, so it cannot time this) until the area has not
    changed for ``quiet`` s; the answer is the time of the first one equal to the last.
    """
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    shots: list[tuple[float, np.ndarray]] = []
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    while True:
        box = page.evaluate(f"() => {{ const c = ({chart_js})(); return c && c.frames > 0 && c.w > 0 ? c : null; }}")
        if box is None:
            page.wait_for_timeout(20)
            continue
        clip = {"x": box["x"], "y": box["y"], "width": box["w"], "height": box["h"]}
        shot = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"))
        now = time.perf_counter() - t0
        if shots and not np.array_equal(shot, shots[-1][1]) or not shots:
            shots.append((now, shot))
        elif now - shots[-1][0] > quiet:
            break
    page.close()
    final = shots[-1][1]
    return next(t for t, shot in shots if shot.shape == final.shape and np.array_equal(shot, final))


def slider_moves(page, cast: Screencast, slider, moves: int, received: list[int], chart_js: str):
    """Seconds from ArrowRight to the settled chart by pixels, and websocket bytes received, per move."""
    slider.focus()
    seconds, payload = [], []
    for _ in range(moves):
        before = sum(received)
        cast.frames.clear()
        t0 = time.time()
        slider.press("ArrowRight")
        cast.wait_settled(page, t0)
        seconds.append(cast.first_settled(t0, page.evaluate(chart_js)))
        payload.append(sum(received) - before)
    return seconds, payload


def scrub_moves(page, cast: Screencast, moves: int, sent: list[int]) -> tuple[list[float], int]:
    """Drag the live-scrub lr slider one notch at a time with the pointer held down: seconds from each
    pointer move to the settled redrawn map, and the messages sent to the server meanwhile."""
    page.locator(".ov-scrub-pick").select_option(index=4)  # Adam
    page.wait_for_selector(".ov-scrub-slider[data-hyper=lr]")
    page.wait_for_timeout(1500)
    slider = page.locator(".ov-scrub-slider[data-hyper=lr]")
    box, notches = slider.bounding_box(), int(slider.get_attribute("max")) + 1
    value = int(slider.input_value())
    x = lambda k: box["x"] + box["width"] * (k + 0.5) / notches  # noqa: E731  (roughly notch k's centre)
    y = box["y"] + box["height"] / 2
    page.mouse.move(x(value), y)
    page.mouse.down()
    count, seconds = len(sent), []
    chart = page.evaluate(APP_CHART)
    for k in range(moves):
        cast.frames.clear()
        t0 = time.time()
        page.mouse.move(x(value - 1 - k), y)
        cast.wait_settled(page, t0)
        seconds.append(cast.first_settled(t0, chart))
    quiet = len(sent) - count
    page.mouse.up()
    return seconds, quiet


def playback_fps(page, seconds: float = 3.0) -> float:
    """Frames the race component draws per second while it plays (counted in the page)."""
    view = "(() => { for (const h of document.querySelectorAll('*')) { const r = h.shadowRoot && h.shadowRoot.querySelector('.ov-root'); if (r && r.__optviz) return r.__optviz; } })()"
    page.evaluate(f"() => {{ const v = {view}; v.seek(0); v.play(); }}")
    page.wait_for_timeout(300)
    f0 = page.evaluate(f"() => {view}.frames")
    page.wait_for_timeout(int(seconds * 1000))
    f1, playing = page.evaluate(f"() => [{view}.frames, {view}.playing]")
    page.evaluate(f"() => {view}.pause()")
    return (f1 - f0) / seconds if playing else float("nan")


def page_opens(browser, urls: dict[str, tuple[str, str]], opens: int) -> dict[str, list[float]]:
    """Fresh pages opened in turn (app, floor, app, floor, ...) so both see the same machine, each
    server's caches warmed by one page first: seconds to the settled map, by pixels."""
    for url, chart_js in urls.values():
        time_to_map(browser, url, chart_js)
    seconds: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(opens):
        for name, (url, chart_js) in urls.items():
            seconds[name].append(time_to_map(browser, url, chart_js))
    return seconds


def measure_app(browser, url: str, moves: int) -> dict:
    page, cast, received = open_page(browser, url, APP_CHART)
    adam = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Adam", exact=True))
    adam.locator("summary").click()
    page.wait_for_timeout(1500)  # the group's opening brings the page Adam's live family (one rerun)
    slider = adam.get_by_role("slider", name=LABEL)
    start_value = slider.get_attribute("aria-valuetext")
    seconds, payload = slider_moves(page, cast, slider, moves, received, APP_CHART)
    end_value = slider.get_attribute("aria-valuetext")
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(len(p))))
    scrub, quiet = scrub_moves(page, cast, moves, sent)
    cast.stop()
    page.close()
    race = browser.new_page(viewport=VIEWPORT)
    race.goto(url + RACE_10)
    race.wait_for_function(f"() => {{ const c = ({APP_CHART})(); return c && c.frames > 0; }}", timeout=120_000)
    race.wait_for_timeout(1000)
    fps = playback_fps(race)
    race.close()
    return dict(seconds=seconds, payload=payload, values=(start_value, end_value), scrub=scrub, scrub_sent=quiet,
                fps=fps)


def measure_floor(browser, url: str, moves: int) -> dict:
    page, cast, received = open_page(browser, url, FLOOR_CHART)
    slider = page.get_by_role("slider", name=LABEL)
    seconds, payload = slider_moves(page, cast, slider, moves, received, FLOOR_CHART)
    cast.stop()
    page.close()
    return dict(seconds=seconds, payload=payload)


def median_ms(values: list[float | None]) -> str:
    good = [v for v in values if v is not None]
    missing = len(values) - len(good)
    text = f"{statistics.median(good) * 1000:7.0f} ms (n={len(good)})" if good else "      —"
    return text + (f", {missing} never settled" if missing else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=16, help="slider moves per page")
    parser.add_argument("--opens", type=int, default=5, help="fresh pages opened per server, in turn")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    t_total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optviz-bench-") as tmp, sync_playwright() as playwright:
        log_dir = Path(tmp)
        (log_dir / "floor_page.py").write_text(FLOOR_PAGE)
        servers = {"app": (ROOT / "app.py", ROOT), "floor": (log_dir / "floor_page.py", log_dir)}
        procs, urls = {}, {}
        browser = launch_browser(playwright)
        try:
            for name, (script, cwd) in servers.items():
                port = free_port()
                procs[name] = start_streamlit(script, port, log_dir / f"{name}.log", cwd=cwd)
                wait_healthy(procs[name], port, log_dir / f"{name}.log")
                urls[name] = (f"http://127.0.0.1:{port}", APP_CHART if name == "app" else FLOOR_CHART)
            opens = page_opens(browser, urls, args.opens)
            app = measure_app(browser, urls["app"][0], args.moves)
            floor = measure_floor(browser, urls["floor"][0], args.moves)
        finally:
            browser.close()
            for proc in procs.values():
                stop(proc)
    app["open"], floor["open"] = statistics.median(opens["app"]), statistics.median(opens["floor"])
    app_ms = statistics.median([v for v in app["seconds"] if v is not None])
    floor_ms = statistics.median([v for v in floor["seconds"] if v is not None])
    kb = lambda values: statistics.median(values) / 1e3  # noqa: E731
    print()
    print("=" * 86)
    print(f"OptViz app vs a bare Streamlit page, by pixels (DevTools screencast), headless Chromium {VIEWPORT['width']}x"
          f"{VIEWPORT['height']}")
    print("-" * 86)
    print(f"{'':46}{'app':>16}{'floor':>16}{'ratio':>8}")
    print(f"{'page open -> map drawn, median (warm server)':46}{app['open'] * 1000:13.0f} ms{floor['open'] * 1000:13.0f} ms"
          f"{app['open'] / floor['open']:8.2f}")
    print(f"{'sidebar slider -> settled chart, median':46}{app_ms * 1000:13.0f} ms{floor_ms * 1000:13.0f} ms"
          f"{app_ms / floor_ms:8.2f}")
    print(f"{'websocket bytes per slider move, median':46}{kb(app['payload']):13.1f} KB{kb(floor['payload']):13.1f} KB"
          f"{kb(app['payload']) / kb(floor['payload']):8.2f}")
    print(f"in-chart scrub -> redrawn path, median          {median_ms(app['scrub'])}; messages sent meanwhile: "
          f"{app['scrub_sent']}")
    print(f"playback, 10 contestants x 2,000 steps          {app['fps']:6.1f} frames/s drawn")
    print("page opens (s), app: " + ", ".join(f"{v:.2f}" for v in opens["app"])
          + "; floor: " + ", ".join(f"{v:.2f}" for v in opens["floor"]))
    print(f"Adam lr {app['values'][0]} -> {app['values'][1]} in {args.moves} moves; every slider move (ms): "
          + ", ".join("—" if v is None else f"{v * 1000:.0f}" for v in app["seconds"]))
    print("floor, every move (ms): " + ", ".join("—" if v is None else f"{v * 1000:.0f}" for v in floor["seconds"]))
    print(f"load average (1 min) at the end, on {os.cpu_count()} CPUs: {os.getloadavg()[0]:.1f}; "
          f"benchmark wall time {time.perf_counter() - t_total:.0f} s")
    print("=" * 86)


if __name__ == "__main__":
    main()
