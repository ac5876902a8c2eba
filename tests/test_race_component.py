"""The race component as a lecture hall sees it: fits the screen, legible, scrubs without the server.

Real Chromium at the projector sizes and on a phone. Geometry comes from the component's own
report of what it drew (``snapshot()``: page coordinates of the map, the bar, each head), and
every visual claim is checked on the screenshot's pixels: contrast ratios are WCAG's, computed
here from the captured colours (``optviz.figures.contrast``).
"""
from __future__ import annotations

import numpy as np
import pytest

from optviz import make_optimizer, simulate
from optviz.figures.contrast import contrast_ratio, luminance
from optviz.i18n import t
from optviz.optimizers import SPECS
from surfaces import get_surface
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


def open_with_adams_group(page, url: str):
    """The default page with Adam's group open in the sidebar (where its lr slider is); the group's locator."""
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    adam = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Adam", exact=True))
    adam.locator("summary").click()
    return adam


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
    adam = open_with_adams_group(page, url)
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
    adam = open_with_adams_group(page, url)
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


# ---------------------------------------------------------------------------------------- curvature glyphs

def _glyphs_on(page) -> dict:
    """Press the component's curvature toggle and wait for the eigen-pairs to arrive and be drawn."""
    button = page.locator(".ov-curvature")
    assert button.get_attribute("aria-pressed") == "false"  # off by default
    button.click()
    page.wait_for_function(f"() => ({SNAPSHOT})().curvature && ({SNAPSHOT})().runs.every(r => r.glyph)")
    assert button.get_attribute("aria-pressed") == "true"
    return snapshot(page)


def _map_scale(page, panel: dict) -> tuple[float, float]:
    """Pixels per map unit along x and y of the panel (the whole surface shown, no zoom)."""
    (x0, x1), (y0, y1) = page.evaluate(f"() => {VIEW}.data.bounds")
    return panel["w"] / (x1 - x0), panel["h"] / (y1 - y0)


def _drawn_direction(axis: dict, scale: tuple[float, float]) -> np.ndarray:
    """The unit direction, in map coordinates, of a glyph axis as drawn (its page-pixel ends; y grows down)."""
    (ax, ay), (bx, by) = axis["ends"]
    d = np.array([(bx - ax) / scale[0], -(by - ay) / scale[1]])
    return d / np.linalg.norm(d)


def _along(axis: dict, fraction: float) -> tuple[int, int]:
    """The page pixel ``fraction`` of the way from a glyph axis' centre to its second end."""
    (ax, ay), (bx, by) = axis["ends"]
    cx, cy = (ax + bx) / 2, (ay + by) / 2
    return int(round(cx + fraction * (bx - cx))), int(round(cy + fraction * (by - cy)))


def test_curvature_glyphs_point_along_the_hessians_eigenvectors(page, app_server, artifacts):
    """On the ravine at 30° (κ = 10) the Hessian is Rᵀ diag(1, 10) R everywhere: the glyph's axes, as drawn,
    point along (cos 30°, sin 30°) (λ = 1) and (−sin 30°, cos 30°) (λ = 10), the first √10 times as long,
    both solid; the pixels show them, and the hover gives κ and λ_max."""
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url + "/?s=ravine&s.condition=10&s.angle=30&n=60&x0=-2.5&y0=-1.5&o=sgd")
    wait_drawn(page)
    assert snapshot(page)["runs"][0]["glyph"] is None
    page.evaluate(f"() => {VIEW}.seek(6)")
    before = snapshot(page)
    panel = before["panels"][0]
    image_before = pixels(page, panel)
    s = _glyphs_on(page)
    page.screenshot(path=str(artifacts / "component-curvature-ravine.png"))
    glyph, head = s["runs"][0]["glyph"], s["runs"][0]
    assert glyph["at"] == 6 == s["step"]
    theta = np.radians(30.0)
    along, across = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    scale = _map_scale(page, panel)
    # float32 eigenvectors (6e-8) and pixel ends kept as floats: 1e-5 leaves room for both
    assert abs(_drawn_direction(glyph["axes"][0], scale) @ along) == pytest.approx(1.0, abs=1e-5)
    assert abs(_drawn_direction(glyph["axes"][1], scale) @ across) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose([a["lambda"] for a in glyph["axes"]], [1.0, 10.0], rtol=1e-6)  # float32
    assert glyph["axes"][0]["half"] / glyph["axes"][1]["half"] == pytest.approx(np.sqrt(10.0), rel=1e-5)  # 1/√|λ|
    assert glyph["kappa"] == pytest.approx(10.0, rel=1e-6) and glyph["sharpness"] == pytest.approx(10.0, rel=1e-6)
    assert not any(a["dashed"] for a in glyph["axes"])
    for axis in glyph["axes"]:  # each arm is centred on the head
        (ax, ay), (bx, by) = axis["ends"]
        assert ((ax + bx) / 2, (ay + by) / 2) == pytest.approx((head["px"], head["py"]), abs=1e-6)
    # pixels: near both ends each arm paints its dark core (drawn above the head's disk) where it was not
    image = pixels(page, panel)
    for axis in glyph["axes"]:
        for fraction in (0.9, -0.9):
            x, y = _along(axis, fraction)
            x, y = x - int(round(panel["x"])), y - int(round(panel["y"]))
            after = image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
            was = image_before[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
            # the core (#111) is there, and it was not: the map's darkest band (~#0b1f4e) differs by > 40 in blue
            assert luminance(after).min() < 0.01 and np.abs(after - was).max() > 40, (axis, fraction, after, was)
    page.mouse.move(head["px"], head["py"])
    page.wait_for_function(f"() => ({SNAPSHOT})().tip !== null")
    assert t("race.curvature_hover", "en").format(kappa="10", lam="10") in snapshot(page)["tip"]
    assert_quiet([], log)


def test_curvature_glyph_dashes_the_axis_curving_down_and_stays_on_for_the_session(page, app_server, artifacts):
    """On the saddle x²/2 + y⁴/4 − y²/2 the Hessian at the start (−1.5, 0.2) is diag(1, 3·0.2² − 1) =
    diag(1, −0.88): the y axis has λ = −0.88 (dashed: the surface curves down), the x axis λ = 1 (solid).
    After a visit to another view the glyphs are still on."""
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url + "/?s=saddle&n=40&x0=-1.5&y0=0.2&o=sgd")
    wait_drawn(page)
    page.evaluate(f"() => {VIEW}.seek(0)")
    image_before = pixels(page, snapshot(page)["panels"][0])
    s = _glyphs_on(page)
    page.screenshot(path=str(artifacts / "component-curvature-saddle.png"))
    glyph = s["runs"][0]["glyph"]
    assert glyph["at"] == 0
    np.testing.assert_allclose([a["lambda"] for a in glyph["axes"]], [-0.88, 1.0], rtol=1e-6)  # float32
    assert [a["dashed"] for a in glyph["axes"]] == [True, False]
    scale = _map_scale(page, s["panels"][0])
    assert abs(_drawn_direction(glyph["axes"][0], scale)[1]) == pytest.approx(1.0, abs=1e-5)  # ±(0, 1)
    assert abs(_drawn_direction(glyph["axes"][1], scale)[0]) == pytest.approx(1.0, abs=1e-5)  # ±(1, 0)
    # |λ| 0.88 < 1: the y axis is the flatter one, the longer arm, √(1/0.88) times the x one
    assert glyph["axes"][0]["half"] / glyph["axes"][1]["half"] == pytest.approx(np.sqrt(1 / 0.88), rel=1e-5)
    # pixels along each arm, from past the head's disk to the end, against the map without the glyph:
    # the dashed one leaves gaps where the map shows unchanged, the solid one none
    panel = s["panels"][0]
    image = pixels(page, panel)
    painted = {}
    for k, axis in enumerate(glyph["axes"]):
        (ax, ay), (bx, by) = axis["ends"]
        cx, cy = (ax + bx) / 2, (ay + by) / 2
        start = 12 / axis["half"]  # 12 px out: past the head's disk
        samples = []
        for fraction in np.linspace(start, 0.97, 40):
            x = int(round(cx + fraction * (bx - cx) - panel["x"]))
            y = int(round(cy + fraction * (by - cy) - panel["y"]))
            samples.append(bool(np.abs(image[y, x] - image_before[y, x]).max() > 40))
        painted[k] = samples
    assert 0.3 < np.mean(painted[0]) < 0.9, painted[0]  # dashes (7 px) and gaps (5 px)
    assert all(painted[1]), painted[1]  # one solid stroke
    page.get_by_role("radio", name=t("view.theory", "en"), exact=True).click()
    page.wait_for_function(f"() => !({SNAPSHOT})()")  # the race component is gone
    page.get_by_role("radio", name=t("view.race", "en"), exact=True).click()
    page.wait_for_function(f"() => {{ const s = ({SNAPSHOT})(); return s && s.curvature && s.runs[0].glyph; }}")
    assert page.locator(".ov-curvature").get_attribute("aria-pressed") == "true"
    assert_quiet([], log)


def test_an_optimizers_own_points_are_drawn_beside_its_head(page, app_server, artifacts):
    """SAM keeps the ascent point where it takes the gradient (a spec's ``map_points``): the map draws it at
    the current step, where the core's own record of the same race puts it, as a marker that changes pixels."""
    url, log = app_server
    page.set_default_timeout(60_000)
    page.goto(url + "?s=quadratic&x0=1.5&y0=1&n=30&o=sam_sgd~sgd&o1.lr=0.1&o1.rho=0.5&o1.wd=0&o2.lr=0.1")
    wait_drawn(page)
    sam = make_optimizer("sam_sgd", lr=0.1, rho=0.5, weight_decay=0.0)
    record = simulate(get_surface("quadratic"), sam, np.array([1.5, 1.0]), 30).internals["ascent_point"][:, 0]
    for step in (30, 3):  # the last frame, then an early one where the point is far from the minimum
        page.evaluate(f"() => {VIEW}.seek({step})")
        run = snapshot(page)["runs"][0]
        (point,) = run["points"]
        assert point["shape"] == "square" and point["name"] == SPECS["sam_sgd"].map_points["ascent_point"]("en")
        # float32 blobs: the drawn point is the record rounded to float32 (relative 6e-8)
        np.testing.assert_allclose([point["x"], point["y"]], record[run["at"]], rtol=1e-6, atol=1e-7)
    assert snapshot(page)["runs"][1]["points"] == []  # SGD keeps no point of its own
    box = {"x": point["px"] - 12, "y": point["py"] - 12, "w": 24, "h": 24}
    with_marker = pixels(page, box)
    page.evaluate(f"() => {{ const v = {VIEW}; v.data.runs[0].points = []; v.draw(); }}")
    without = pixels(page, box)
    assert np.abs(with_marker - without).max() > 100, "no marker drawn at the ascent point"
    page.screenshot(path=str(artifacts / "component-sam-ascent-point.png"))
    assert_quiet([], log)
