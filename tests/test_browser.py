"""The app in a real headless Chromium: what a visitor sees and does.

One ``streamlit run`` serves the whole session (``app_server`` in conftest.py); each test opens
its own page, so each is a fresh Streamlit session. The live Plotly figure is read from the
page (``_fullData``, ``_fullLayout``, ``_transitionData._frames``), and what is *painted* is
read from screenshots: during an animation the DOM and the screen can disagree (plotly.js
removes and re-adds layers between paints), so "the contour is visible" is a pixel check.
Screenshots land in tests/artifacts/, named by test.
"""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image


from optviz.i18n import LANGUAGES, t
from optviz.classroom.lessons import get_lesson
from optviz.figures.race import MAX_FRAMES

pytestmark = pytest.mark.browser

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
FIG = f"document.querySelector('{CHART}')"
CONSOLE_ALLOW: tuple[str, ...] = ()  # substrings of console errors known to be benign: none so far

# The state of the figure as plotly.js drew it: slider position, every path trace, every head.
FIGURE_STATE = f"""() => {{
  const gd = {FIG};
  if (!gd || !gd._fullData || !gd._fullLayout) return null;
  const all = gd._fullData;
  return {{
    active: gd._fullLayout.sliders && gd._fullLayout.sliders.length ? gd._fullLayout.sliders[0].active : null,
    frames: gd._transitionData && gd._transitionData._frames ? gd._transitionData._frames.length : 0,
    subplots: gd._fullLayout._subplots.cartesian.length,
    contours: (gd._fullLayout.images || []).filter(i => String(i.source).startsWith('data:image/png')).length,
    contourPaths: gd.querySelectorAll('.imagelayer image').length,
    traces: all.map(t => ({{type: t.type, name: t.name, mode: t.mode, n: t.x ? t.x.length : 0,
                            x0: t.x && t.x.length ? t.x[t.x.length - 1] : null,
                            y0: t.y && t.y.length ? t.y[t.y.length - 1] : null}})),
  }};
}}"""

# A fingerprint of one named path as drawn: its length and coordinates.
PATH_SIGNATURE = f"""(label) => {{
  const gd = {FIG};
  if (!gd || !gd._fullData) return null;
  const t = gd._fullData.find(t => t.name === label || (t.name || '').startsWith(label + ' · '));
  return t ? t.x.length + ':' + Array.from(t.x).join(',') + ';' + Array.from(t.y).join(',') : null;
}}"""

PLOT_AREAS = f"""() => Array.from({FIG}.querySelectorAll('.draglayer .nsewdrag')).map(e => {{
  const r = e.getBoundingClientRect(); return {{x: r.x, y: r.y, width: r.width, height: r.height}}; }})"""


# ---------------------------------------------------------------------------------------- helpers

@pytest.fixture
def console(page):
    """Every console error and uncaught page error of this test's page."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


@pytest.fixture
def shot(page, artifacts, request):
    """``shot("label")`` saves a full-window screenshot as tests/artifacts/<test>-<label>.png."""
    def save(label: str) -> None:
        page.screenshot(path=str(artifacts / f"{request.node.name}-{label}.png"))
    return save


def assert_quiet(console: list[str], server_log) -> None:
    unexpected = [e for e in console if not any(allowed in e for allowed in CONSOLE_ALLOW)]
    assert not unexpected, "\n".join(unexpected)
    log = server_log.read_text()
    assert "Traceback" not in log, log


def open_app(page, url: str) -> dict:
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(f"{CHART} .imagelayer image")
    page.wait_for_function(f"() => ({FIGURE_STATE})() && ({FIGURE_STATE})().frames > 0")
    return state(page)


def state(page) -> dict:
    return page.evaluate(FIGURE_STATE)


def white_fraction(page, area: dict) -> float:
    """Share of pure-white pixels painted in a plot area: near 0 with the contour fill, near 1 without."""
    png = page.screenshot(clip=area)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return float(np.all(pixels == 255, axis=-1).mean())


def assert_contour_painted(page, when: str, dom: bool = True) -> None:
    """Every plot area is painted with the contour fill (pixels); with ``dom``, its SVG paths exist too.

    Mid-animation only the pixels count: that is what the visitor sees, whatever layer draws it.
    """
    areas = page.evaluate(PLOT_AREAS)
    assert areas, "no plot area"
    fractions = [white_fraction(page, a) for a in areas]
    paths = state(page)["contourPaths"]
    assert max(fractions) < 0.2, (f"{when}: the contour is not painted; white share per plot area "
                                  f"{[round(f, 2) for f in fractions]} (under 0.2 when filled), "
                                  f"contour images in the DOM: {paths}")
    assert paths > 0 or not dom, f"{when}: the contour image is not in the DOM"


def press_play(page, label: str = "Play") -> None:
    page.locator(".updatemenu-button", has_text=label).click()


def wait_until_played(page, last: int) -> None:
    page.wait_for_function(f"() => {{ const s = ({FIGURE_STATE})(); return s && s.active === {last}; }}",
                           timeout=120_000, polling=100)


def expand(page, label: str):
    expander = page.get_by_test_id("stExpander").filter(has=page.get_by_text(label, exact=True))
    expander.locator("summary").click()
    return expander


# ---------------------------------------------------------------------------------------- tests

def test_race_chart_renders_with_contour(page, app_server, console, shot):
    url, log = app_server
    s = open_app(page, url)
    shot("loaded")
    assert s["contours"] == 1  # the contour map: a picture under the axes (see optviz.figures.race._background)
    assert s["contourPaths"] > 0
    names = [tr["name"] for tr in s["traces"] if tr["mode"] == "lines+markers"]
    assert names == ["SGD", "Momentum", "RMSprop", "Adam"]
    assert s["frames"] == MAX_FRAMES + 1 and s["active"] == MAX_FRAMES  # 500 steps: every ~8th, start and end
    assert page.get_by_text("SGD: not converged in 500 steps").is_visible()
    assert_contour_painted(page, "after loading")
    assert_quiet(console, log)


def test_play_advances_frames_and_keeps_the_contour(page, app_server, console, shot):
    url, log = app_server
    s = open_app(page, url)
    adam = next(i for i, tr in enumerate(s["traces"]) if tr["name"] == "Adam")
    final_head = (s["traces"][adam + 1]["x0"], s["traces"][adam + 1]["y0"])
    press_play(page)
    page.wait_for_function(f"() => {{ const s = ({FIGURE_STATE})(); return s && s.active < 20; }}", polling=50)
    samples, mid_problem = [], "never sampled mid-animation"
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        now = state(page)
        samples.append((now["active"], now["traces"][adam + 1]["x0"], now["traces"][adam + 1]["y0"],
                        now["traces"][adam]["n"]))
        if len(samples) == 4:  # well inside the animation
            shot("mid-animation")
            try:
                assert_contour_painted(page, "mid-animation", dom=False)
                mid_problem = None
            except AssertionError as error:  # keep watching the animation, report at the end
                mid_problem = str(error)
        if now["active"] == MAX_FRAMES and len(samples) > 4:
            break
        time.sleep(0.3)
    wait_until_played(page, MAX_FRAMES)
    time.sleep(0.5)
    shot("after")
    actives = [a for a, *_ in samples]
    assert len(set(actives)) >= 3, f"the slider did not advance: {actives}"
    assert actives[0] < 20 and actives == sorted(actives), actives
    heads = {(x, y) for _, x, y, _ in samples}
    assert len(heads) >= 3, "the current-point marker did not move"
    assert samples[0][3] < s["traces"][adam]["n"], "the Adam path was not cut back to the current step"
    end = state(page)
    assert (end["traces"][adam + 1]["x0"], end["traces"][adam + 1]["y0"]) == pytest.approx(final_head, abs=1e-6)
    assert_contour_painted(page, "after the animation")
    if mid_problem:
        pytest.fail(mid_problem, pytrace=False)
    assert_quiet(console, log)


def test_keyboard_on_adam_lr_redraws_only_adam(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    adam = expand(page, "Adam")
    slider = adam.get_by_role("slider", name=t("opt.lr", "en"))
    start_value = slider.get_attribute("aria-valuetext")
    adam_before = page.evaluate(PATH_SIGNATURE, "Adam")
    sgd_before = page.evaluate(PATH_SIGNATURE, "SGD")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"(before) => {{ const s = ({PATH_SIGNATURE})('Adam'); return s && s !== before; }}",
                           arg=adam_before)
    shot("after-arrow-right")
    assert slider.get_attribute("aria-valuetext") != start_value
    assert page.evaluate(PATH_SIGNATURE, "SGD") == sgd_before
    slider.press("ArrowLeft")
    page.wait_for_function(f"(before) => ({PATH_SIGNATURE})('Adam') === before", arg=adam_before)
    assert slider.get_attribute("aria-valuetext") == start_value
    assert_contour_painted(page, "after the slider moves")
    assert_quiet(console, log)


def test_side_by_side_has_a_panel_per_optimizer_and_one_play(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    page.get_by_role("radio", name=t("view.side", "en"), exact=True).click()
    page.wait_for_function(f"() => {{ const s = ({FIGURE_STATE})(); return s && s.subplots === 4 && s.frames > 0; }}")
    s = state(page)
    shot("loaded")
    assert s["contours"] == 4
    paths = [i for i, tr in enumerate(s["traces"]) if tr["type"] == "scatter" and tr["mode"] == "lines+markers"]
    assert len(paths) == 4
    full = [s["traces"][i]["n"] for i in paths]
    assert_contour_painted(page, "side by side, loaded")
    press_play(page)
    page.wait_for_function(f"() => {{ const s = ({FIGURE_STATE})(); return s && s.active >= 8 && s.active <= 60; }}",
                           polling=50)
    mid = state(page)
    shot("mid-animation")
    lengths = [mid["traces"][i]["n"] for i in paths]
    assert all(n < f for n, f in zip(lengths, full)), f"every panel should be mid-way: {lengths} of {full}"
    mid_problem = None
    try:
        assert_contour_painted(page, "side by side, mid-animation", dom=False)
    except AssertionError as error:
        mid_problem = str(error)
    wait_until_played(page, MAX_FRAMES)
    time.sleep(0.5)
    shot("after")
    end = state(page)
    assert [end["traces"][i]["n"] for i in paths] == full
    assert_contour_painted(page, "side by side, after the animation")
    if mid_problem:
        pytest.fail(mid_problem, pytrace=False)
    assert_quiet(console, log)


def test_chinese(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    page.get_by_text("简体中文").click()
    page.get_by_role("heading", name=t("app.title", "zh")).wait_for()
    page.wait_for_function(f"() => {{ const s = ({FIGURE_STATE})(); return s && s.frames > 0; }}")
    page.locator(".updatemenu-button", has_text=t("plot.play", "zh")).wait_for()
    shot("zh")
    sidebar = page.get_by_test_id("stSidebar")
    for key in ("app.surface", "app.steps", "app.optimizers"):
        assert sidebar.get_by_text(t(key, "zh"), exact=True).first.is_visible(), key
    assert page.get_by_text("SGD: " + t("status.running", "zh", steps=500)).is_visible()
    assert page.get_by_role("radio", name=t("view.side", "zh"), exact=True).is_visible()
    assert_quiet(console, log)


def test_a_shared_link_round_trips_into_a_fresh_browser(page, browser, app_server, artifacts, console, shot):
    """Open a link, let the app rewrite the address bar, open that address in a new browser
    context (nothing shared: a new Streamlit session) and see the same race and the same words."""
    url, log = app_server
    link = (f"{url}/?s=ravine&s.condition=100&s.angle=30&x0=-2.5&y0=0.5&n=300&v=race&l=zh"
            f"&o=adam~sgd&o1.lr=0.01&o2.lr=0.02&o2.c=textbook")
    open_app(page, link)
    page.wait_for_function("() => window.location.search.includes('o=adam')")
    shot("from-link")
    assert page.get_by_text(t("app.title", "zh")).is_visible()
    first = {label: page.evaluate(PATH_SIGNATURE, label) for label in ("Adam", "SGD")}
    assert all(first.values()), first
    # the path the link describes, simulated here independently of the server
    from optviz import make_optimizer, simulate
    from surfaces import get_surface

    ravine = get_surface("ravine", condition=100, angle=30)
    expected = simulate(ravine, make_optimizer("adam", lr=0.01), [-2.5, 0.5], 300).positions[:, 0]
    drawn_x = [float(v) for v in first["Adam"].split(":")[1].split(";")[0].split(",")]
    np.testing.assert_allclose(drawn_x, expected[: len(drawn_x), 0], rtol=1e-6, atol=1e-6)  # float32 on the wire

    address = page.url
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    try:
        other = context.new_page()
        open_app(other, address)
        other.screenshot(path=str(artifacts / "test_a_shared_link_round_trips_into_a_fresh_browser-fresh-context.png"))
        assert other.get_by_text(t("app.title", "zh")).is_visible()
        second = {label: other.evaluate(PATH_SIGNATURE, label) for label in ("Adam", "SGD")}
        assert second == first
        assert other.url.split("?", 1)[1] == address.split("?", 1)[1]
    finally:
        context.close()
    assert_quiet(console, log)


def test_a_hostile_link_falls_back_value_by_value(page, app_server, console, shot):
    url, log = app_server
    open_app(page, f"{url}/?s=ravine&n=abc&o=adam&o1.lr=-3&o1.b1=0.9&x0=%3Cscript%3E&l=en")
    shot("hostile-link")
    notice = page.get_by_text(t("app.link_ignored", "en"))
    assert notice.is_visible()
    body = page.locator('.optviz-plain[data-tone="warning"]').inner_text()
    assert "lr=-3" in body and "n=abc" in body and "x0=" in body, body  # one notice per ignored value
    assert page.evaluate(PATH_SIGNATURE, "Adam")  # the rest of the link was kept and drawn
    assert_quiet(console, log)


def wait_idle(page) -> None:
    """Until the script has rerun: give a rerun a moment to start, then wait for the app's script state
    to be idle (the status widget never shows: the toolbar is minimal)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.dataset.testScriptState === 'notRunning'", timeout=60_000)


def assert_no_error_box(page, after: str) -> None:
    assert page.get_by_test_id("stException").count() == 0, f"exception box after {after}"
    assert page.get_by_text("encountered an error").count() == 0, f"error page after {after}"


def test_switching_language_then_clicking_keeps_every_choice(page, app_server, console, shot):
    """Choices shown in words of the language (lesson, surface, view, convention) keep their value
    across a switch, and the next click works: the browser must never send back an old-language label."""
    url, log = app_server
    open_app(page, url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()  # the lesson picker
    page.get_by_role("option", name=get_lesson("saddle-point").title["en"]).click()
    wait_idle(page)
    for lang, other in (("zh", "en"), ("en", "zh")):
        sidebar.get_by_text(LANGUAGES[lang], exact=True).click()
        wait_idle(page)
        assert_no_error_box(page, f"switching to {lang}")
        page.get_by_role("radio", name=t("view.loss", lang), exact=True).click()  # a click after the switch
        wait_idle(page)
        assert_no_error_box(page, f"switching to {lang}, then choosing a view")
        slider = page.get_by_role("slider", name=t("app.steps", lang))
        slider.focus()
        slider.press("ArrowRight")
        wait_idle(page)
        assert_no_error_box(page, f"switching to {lang}, then moving a slider")
        shown = sidebar.get_by_role("combobox", name=t("app.lesson", lang)).input_value()
        assert get_lesson("saddle-point").title[lang] in shown, shown  # the lesson kept, in the new words
        page.get_by_role("radio", name=t("view.race", lang), exact=True).click()
        wait_idle(page)
    shot("after-switches")
    assert_no_error_box(page, "the switches")
    assert_quiet(console, log)


def test_text_from_a_link_never_becomes_a_link(page, app_server, console, shot):
    """A label and a refused value carrying web addresses are shown as text: no <a> element anywhere
    on the page comes from them (Markdown would auto-link ``http://…`` and ``www.…``)."""
    url, log = app_server
    open_app(page, f"{url}/?o=adam~sgd&o1.lb=Update%20at%20http%3A%2F%2Fevil.example%2Fpay&o2.lr=www.evil.example")
    assert page.get_by_text("Update at http://evil.example/pay: not converged in 500 steps", exact=True).is_visible()  # badge
    assert page.get_by_text("www.evil.example", exact=False).first.is_visible()  # the notice
    page.get_by_role("radio", name=t("view.inside", "en"), exact=True).click()  # explain names the label
    page.get_by_text("Update rule (Update at http://evil.example/pay", exact=False).first.wait_for()
    shot("hostile-text")
    links = page.locator("a").evaluate_all("links => links.map(a => [a.href, a.textContent])")
    assert not [(href, text) for href, text in links if not href.startswith(url) or "evil" in text], links
    assert_quiet(console, log)
