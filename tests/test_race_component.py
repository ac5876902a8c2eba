"""The race component as a lecture hall sees it: fits the screen, legible, scrubs without the server.

Real Chromium at the projector sizes and on a phone. Geometry comes from the component's own
report of what it drew (``snapshot()``: page coordinates of the map, the bar, each head), and
every visual claim is checked on the screenshot's pixels: contrast ratios are WCAG's, computed
here from the captured colours (``optviz.figures.contrast``).
"""
from __future__ import annotations

import numpy as np
import pytest

from optviz.figures.contrast import contrast_ratio, luminance
from optviz.i18n import t
from tests.test_browser import (SNAPSHOT, VIEW, assert_map_painted, assert_quiet, pixels, snapshot, wait_drawn,
                                wait_idle)

pytestmark = pytest.mark.browser

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080), "phone": (390, 844)}
LESSON = "?ls=saddle-point"


def open_at(browser, url: str, size: str):
    width, height = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    return context, page


def inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["w"] <= width + 0.5 and box["y"] + box["h"] <= height + 0.5


@pytest.mark.parametrize("size", SIZES)
def test_map_and_its_controls_fit_the_screen_with_a_lesson(browser, app_server, artifacts, size):
    url, log = app_server
    context, page = open_at(browser, url + "/" + LESSON, size)
    try:
        page.screenshot(path=str(artifacts / f"component-{size}-lesson.png"))
        s = snapshot(page)
        width, height = SIZES[size]
        assert page.get_by_text(t("lesson.look_for", "en") + ":").first.is_visible()  # the lesson card is shown too
        if size == "phone":  # the map full width first; Play within reach under it
            assert s["canvas"]["w"] >= 0.85 * (width - 32), s["canvas"]
            assert inside(s["play"], width, height), s["play"]
        else:
            for box in (*s["panels"], s["bar"]):
                assert inside(box, width, height), (box, size)
            side = s["panels"][0]["w"]
            assert side >= (300 if size == "1280x720" else 560), f"the map is only {side} px wide at {size}"
        assert_map_painted(page, f"at {size}")  # and painted there: the screenshot's pixels
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
    assert_quiet([], log)


def test_text_is_large_and_dark_at_1080p(browser, app_server, artifacts):
    """Chart text at least 16 px; tick labels at least 4.5:1 against their background (from pixels)."""
    url, log = app_server
    context, page = open_at(browser, url, "1920x1080")
    try:
        s = snapshot(page)
        assert s["font"] >= 16
        sizes = page.evaluate(f"() => [...{VIEW}.root.querySelectorAll('.ov-legend-name, .ov-counter, .ov-btn')]"
                              ".map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert min(sizes) >= 16, sizes
        panel = s["panels"][0]
        ticks = pixels(page, {"x": panel["x"] - 60, "y": panel["y"], "w": 52, "h": panel["h"]})  # the y tick labels
        ink = ticks.reshape(-1, 3)[np.argmin(luminance(ticks.reshape(-1, 3)))]
        paper = np.median(ticks.reshape(-1, 3), axis=0)
        assert contrast_ratio(ink, paper) >= 4.5, (ink, paper)
    finally:
        context.close()
    assert_quiet([], log)


def test_map_bands_and_paths_contrast(browser, app_server, artifacts):
    """The map's darkest and lightest bands differ by 7:1; along every path, next to each drawn point,
    some pixel of its casing stands 3:1 against the map under it (the map read with the runs hidden)."""
    url, log = app_server
    context, page = open_at(browser, url, "1920x1080")
    try:
        s = snapshot(page)
        panel = s["panels"][0]
        with_paths = pixels(page, panel)
        items = page.locator(".ov-legend-item")
        for i in range(items.count()):
            items.nth(i).click()
        page.wait_for_function(f"() => ({SNAPSHOT})().runs.every(r => r.hidden)")
        page.screenshot(path=str(artifacts / "component-map-only.png"))
        bare = pixels(page, panel)
        lum = luminance(bare.reshape(-1, 3))
        dark, light = bare.reshape(-1, 3)[np.argmin(lum)], bare.reshape(-1, 3)[np.argmax(lum)]
        assert contrast_ratio(dark, light) >= 7, (dark, light)
        landmarks = page.evaluate(f"""() => {{ const v = {VIEW}, p = v.panels()[0];
            return [...v.data.map.minima, ...v.data.map.saddles].map(([x, y]) => v.toPixel(p, x, y).map((c, j) => c - (j ? p.y : p.x))); }}""")
        reach = s["font"] * 1.2  # a ★ or ✕ drawn above the paths covers them within its size
        checked = 0
        for run in range(len(s["runs"])):
            points = page.evaluate(f"""(i) => {{ const v = {VIEW}, s = v.series(i), p = v.panels()[0], out = [];
                for (let k = 0; k <= s.last; k += Math.max(1, Math.floor(s.last / 25)))
                  out.push(v.toPixel(p, s.xy[k * s.stride], s.xy[k * s.stride + 1]).map((c, j) => c - (j ? p.y : p.x)));
                return out; }}""", run)
            for px, py in points:
                x, y = int(round(px)), int(round(py))
                if not (12 <= x < bare.shape[1] - 12 and 12 <= y < bare.shape[0] - 12):
                    continue
                if any(np.hypot(x - lx, y - ly) < reach for lx, ly in landmarks):
                    continue
                under = bare[y, x]
                patch = with_paths[y - 12:y + 13, x - 12:x + 13].reshape(-1, 3)  # a head's ring lies ≤ 11 px out
                best = max(contrast_ratio(c, under) for c in patch)
                assert best >= 3, (run, x, y, under, best)
                checked += 1
        assert checked > 40
    finally:
        context.close()
    assert_quiet([], log)


def test_presenter_mode_hides_the_sidebar_and_enlarges_the_map(browser, app_server, artifacts):
    url, log = app_server
    sizes = {}
    for query in ("", "?present=1"):
        context, page = open_at(browser, url + "/" + query, "1280x720")
        try:
            wait_idle(page)  # the downloads come after the map in a rerun
            page.screenshot(path=str(artifacts / f"component-present{query[1:] or '-off'}.png"))
            sidebar_shown = page.get_by_test_id("stSidebar").is_visible()
            downloads = page.get_by_role("button", name=t("export.csv", "en")).is_visible()
            assert sidebar_shown == (query == "") and downloads == (query == ""), (query, sidebar_shown, downloads)
            sizes[query] = snapshot(page)["panels"][0]["w"]
            if query:
                assert "present=1" in page.url  # the link keeps the mode
        finally:
            context.close()
    assert sizes["?present=1"] > sizes[""] * 1.1, sizes
    assert_quiet([], log)


def test_scrub_redraws_in_the_page_then_commits_once(page, app_server, artifacts):
    """Dragging the live-scrub slider redraws the path with no message to the server; letting go
    sends one and puts the value on the contestant's controls."""
    url, log = app_server
    page.set_default_timeout(60_000)
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.goto(url)
    wait_drawn(page)
    page.locator(".ov-scrub-pick").select_option(label=f"{t('race.scrub', 'en')}: Adam")
    page.wait_for_selector(".ov-scrub-slider[data-hyper=lr]")
    page.wait_for_timeout(300)
    slider = page.locator(".ov-scrub-slider[data-hyper=lr]")
    box = slider.bounding_box()
    before = snapshot(page)["runs"][3]
    image_before = pixels(page, snapshot(page)["panels"][0])
    count = len(sent)
    value = int(slider.input_value())
    page.mouse.move(box["x"] + box["width"] * (value + 0.5) / (int(slider.get_attribute("max")) + 1), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] / 2, steps=8)
    page.wait_for_timeout(300)
    during = snapshot(page)["runs"][3]
    image_during = pixels(page, snapshot(page)["panels"][0])
    assert len(sent) == count, "dragging the scrub slider sent a message to the server"
    assert (during["x"], during["y"]) != (before["x"], before["y"])
    assert np.abs(image_during - image_before).sum() > 0
    page.mouse.up()
    page.wait_for_function(f"(old) => ({SNAPSHOT})().runs[3].xy !== old", arg=before["xy"])
    assert len(sent) > count
    page.screenshot(path=str(artifacts / "component-scrub-committed.png"))
    assert page.get_by_test_id("stException").count() == 0
    assert_quiet([], log)


def test_click_on_the_map_starts_there(page, app_server):
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    x, y = page.evaluate(f"() => {VIEW}.pagePoint(0.5, -0.25)")
    page.mouse.click(x, y)
    page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value === '-0.2500' || "
                           "i.value === '-0.2499' || i.value === '-0.2501')")
    start_x = page.get_by_label(t("app.start_x", "en")).input_value()
    assert abs(float(start_x) - 0.5) <= 0.01, start_x  # one pixel of a ~600 px map spans under 0.01
    assert_quiet([], log)


def test_a_sidebar_lr_move_is_drawn_before_the_rerun_and_equals_it(page, app_server):
    """With Adam's group open the page holds Adam's live family: pressing → on its lr slider redraws the
    path at once from the family, before the rerun's answer arrives, and the answer draws the same path."""
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    adam = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Adam", exact=True))
    adam.locator("summary").click()
    page.wait_for_function(f"() => {VIEW}.live.some(f => f.slot === 'adam')")
    page.evaluate(f"""() => {{ const v = {VIEW}; window.__seen = [];
        const draw = v.draw.bind(v), update = v.update.bind(v);
        const head = () => {{ const s = v.series(3); return [s.xy[s.stride * s.last], s.xy[s.stride * s.last + 1], s.last]; }};
        v.draw = () => {{ draw(); window.__seen.push(['draw', !!v.pick, ...head()]); }};
        v.update = (d) => {{ window.__seen.push(['update']); update(d); }}; }}""")
    slider = adam.get_by_role("slider", name=t("opt.lr", "en"))
    before = snapshot(page)["runs"][3]
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"(old) => ({SNAPSHOT})().runs[3].xy !== old", arg=before["xy"])
    seen = page.evaluate("window.__seen")
    first_update = next(i for i, event in enumerate(seen) if event[0] == "update")
    early = [event for event in seen[:first_update] if event[0] == "draw" and event[1]]
    assert early, f"nothing was drawn from the live family before the rerun answered: {seen}"
    final = [event for event in seen[first_update:] if event[0] == "draw" and not event[1]][-1]
    assert early[-1][2:] == final[2:], (early[-1], final)  # the family's path ends where the answer's does
    assert (final[2], final[3]) != (before["x"], before["y"]) or final[4] != before["last"]
    assert_quiet([], log)


def test_a_lost_blob_is_asked_for_again_every_time(page, app_server):
    """A blob the page lacks (a message lost under load) is asked for and sent again, however often
    the same one goes missing: the request is a trigger, so an identical second request still counts."""
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    adam = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Adam", exact=True))
    adam.locator("summary").click()
    slider = adam.get_by_role("slider", name=t("opt.lr", "en"))
    for key in ("ArrowRight", "ArrowLeft"):
        wait_idle(page)
        lost = page.evaluate(f"() => {{ const v = {VIEW}, id = v.data.runs[0].xy; v.blobs.delete(id); return id; }}")
        slider.focus()
        slider.press(key)  # a rerun whose data names the dropped path, which the server believes sent
        page.wait_for_function(f"(id) => {VIEW}.blobs.has(id) && {VIEW}.missingBlobs().length === 0", arg=lost)
        first = snapshot(page)["runs"][0]
        assert first["xy"] == lost and np.isfinite([first["x"], first["y"]]).all(), first  # drawn from the resent blob
    assert_quiet([], log)
