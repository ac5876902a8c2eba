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
from optviz.classroom.catalog import get_lesson

pytestmark = pytest.mark.browser

# The race component draws in a canvas inside a shadow root; its view object reports what it drew.
VIEW = """(() => { for (const host of document.querySelectorAll('*')) {
  const root = host.shadowRoot && host.shadowRoot.querySelector('.ov-root');
  if (root && root.__optviz && root.__optviz.data) return root.__optviz; } return null; })()"""
SNAPSHOT = f"() => {{ const v = {VIEW}; return v ? v.snapshot() : null; }}"
CONSOLE_ALLOW: tuple[str, ...] = ()  # substrings of console errors known to be benign: none so far


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
    """Open ``url`` and wait until the map is drawn and the script has finished (the link's notices and
    the sidebar come after the map in a run)."""
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_drawn(page)
    wait_idle(page)
    return snapshot(page)


def wait_drawn(page, mode: str | None = None) -> dict:
    """Until the race component has drawn its map (and, with ``mode``, is in that view)."""
    want = f" && s.mode === '{mode}'" if mode else ""
    page.wait_for_function(f"() => {{ const s = ({SNAPSHOT})(); return s && s.frames > 0 && s.runs.length > 0{want}; }}",
                           timeout=60_000)
    page.wait_for_timeout(200)  # the map picture decodes asynchronously
    return snapshot(page)


def snapshot(page) -> dict:
    return page.evaluate(SNAPSHOT)


def pixels(page, area: dict | None = None) -> np.ndarray:
    """The screen as an (h, w, 3) array; ``area`` in page coordinates ({x, y, w, h})."""
    clip = None if area is None else {"x": area["x"], "y": area["y"], "width": area["w"], "height": area["h"]}
    png = page.screenshot(clip=clip)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def assert_map_painted(page, when: str) -> None:
    """Every map panel is painted with the contour's colours: almost no pure white and many colours."""
    for panel in snapshot(page)["panels"]:
        rgb = pixels(page, panel)
        white = float(np.all(rgb == 255, axis=-1).mean())
        colours = len(np.unique(rgb.reshape(-1, 3) // 8, axis=0))
        assert white < 0.05 and colours > 20, f"{when}: panel {panel} is not painted (white {white:.2f}, colours {colours})"


def component_text(page) -> str:
    return page.evaluate(f"() => {{ const v = {VIEW}; return v ? v.root.innerText : ''; }}")


def expand(page, label: str):
    expander = page.get_by_test_id("stExpander").filter(has=page.get_by_text(label, exact=True))
    expander.locator("summary").click()
    return expander


def press(page, key: str, times: int = 1) -> None:
    page.evaluate(f"() => {VIEW}.root.focus()")
    for _ in range(times):
        page.keyboard.press(key)


# ---------------------------------------------------------------------------------------- tests

def test_race_map_renders_with_every_run(page, app_server, console, shot):
    url, log = app_server
    s = open_app(page, url)
    shot("loaded")
    assert [r["name"] for r in s["runs"]] == ["SGD", "Momentum", "RMSprop", "Adam"]
    assert s["step"] == s["steps"] == 500  # the finished race is shown first
    assert "not converged in 500 steps" in component_text(page)
    assert_map_painted(page, "after loading")
    assert_quiet(console, log)


def test_play_walks_every_step_at_slow_speed(page, app_server, console, shot):
    """At 5 steps per second the head visits every stored position in turn: no step is skipped, and the
    dot on screen sits where the simulation put it (checked against an independent run here)."""
    url, log = app_server
    open_app(page, url)
    press(page, "Home")
    for _ in range(20):  # the speed ladder has 16 notches
        if snapshot(page)["speed"] <= 5:
            break
        press(page, "-")
    assert snapshot(page)["speed"] == 5 and snapshot(page)["step"] == 0
    press(page, " ")
    seen, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < 4:
        now = snapshot(page)
        seen.append((now["step"], now["runs"][3]))
        page.wait_for_timeout(40)
    press(page, " ")
    shot("after-slow-play")
    steps = [step for step, _ in seen]
    assert steps == sorted(steps) and steps[-1] >= 12, steps
    assert all(b - a <= 1 for a, b in zip(steps, steps[1:])), f"a step was skipped: {steps}"
    from optviz import make_optimizer, simulate
    from surfaces import get_surface
    adam = simulate(get_surface("rosenbrock"), make_optimizer("adam", lr=s_lr(page, "Adam")), [-1.2, 1.0], 30)
    assert steps[0] >= 0, steps  # a frame stamped before Play's clock once stepped back to -1
    for step, run in seen:
        assert run["at"] == step
        np.testing.assert_allclose([run["x"], run["y"]], adam.positions[step, 0], rtol=1e-6, atol=1e-6)  # float32 wire
    # by pixels: the head's core is Adam's colour (Adam is drawn last, above the others)
    head = snapshot(page)["runs"][3]
    rgb = pixels(page, {"x": head["px"] - 1, "y": head["py"] - 1, "w": 3, "h": 3})
    want = np.array([int(head["color"][i:i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(rgb.reshape(-1, 3) - want).max(axis=1).min() <= 12, (rgb.tolist(), want)
    assert_quiet(console, log)


def s_lr(page, label: str) -> float:
    """The learning rate a contestant's slider shows."""
    expander = expand(page, label)
    value = float(expander.get_by_role("slider", name=t("opt.lr", "en")).get_attribute("aria-valuetext"))
    expander.locator("summary").click()
    return value


def test_keyboard_on_adam_lr_sends_only_adam(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    adam = expand(page, "Adam")
    slider = adam.get_by_role("slider", name=t("opt.lr", "en"))
    start_value = slider.get_attribute("aria-valuetext")
    before = {r["name"]: r["xy"] for r in snapshot(page)["runs"]}
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(f"(old) => {{ const s = ({SNAPSHOT})(); return s && s.runs[3].xy !== old; }}",
                           arg=before["Adam"])
    shot("after-arrow-right")
    after = {r["name"]: r["xy"] for r in snapshot(page)["runs"]}
    assert slider.get_attribute("aria-valuetext") != start_value
    assert {k: v for k, v in after.items() if k != "Adam"} == {k: v for k, v in before.items() if k != "Adam"}
    slider.press("ArrowLeft")
    page.wait_for_function(f"(old) => ({SNAPSHOT})().runs[3].xy === old", arg=before["Adam"])
    assert_map_painted(page, "after the slider moves")
    assert_quiet(console, log)


def test_side_by_side_has_a_panel_per_optimizer_and_one_player(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    page.get_by_role("radio", name=t("view.side", "en"), exact=True).click()
    s = wait_drawn(page, "side")
    shot("loaded")
    assert sorted(p["run"] for p in s["panels"]) == [0, 1, 2, 3]
    assert_map_painted(page, "side by side")
    press(page, "Home")
    press(page, "ArrowRight", 7)
    mid = snapshot(page)
    assert mid["step"] == 7 and all(r["at"] == 7 for r in mid["runs"])  # one step for every panel
    assert_quiet(console, log)


def test_chinese(page, app_server, console, shot):
    url, log = app_server
    open_app(page, url)
    page.get_by_text("简体中文").click()
    page.get_by_role("heading", name=t("app.title", "zh")).wait_for()
    page.wait_for_function(f"() => ({SNAPSHOT})() && {VIEW}.texts.play === '{t('plot.play', 'zh')}'")
    shot("zh")
    sidebar = page.get_by_test_id("stSidebar")
    for key in ("app.surface", "app.steps", "app.optimizers"):
        assert sidebar.get_by_text(t(key, "zh"), exact=True).first.is_visible(), key
    assert t("status.running", "zh", steps=500) in component_text(page)
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
    first = {r["name"]: (r["xy"], r["x"], r["y"], r["at"]) for r in snapshot(page)["runs"]}
    assert set(first) == {"Adam", "SGD"}, first
    # the path the link describes, simulated here independently of the server
    from optviz import make_optimizer, simulate
    from surfaces import get_surface

    ravine = get_surface("ravine", condition=100, angle=30)
    expected = simulate(ravine, make_optimizer("adam", lr=0.01), [-2.5, 0.5], 300).positions[:, 0]
    _, x, y, at = first["Adam"]
    np.testing.assert_allclose([x, y], expected[at], rtol=1e-6, atol=1e-6)  # float32 on the wire

    address = page.url
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    try:
        other = context.new_page()
        open_app(other, address)
        other.screenshot(path=str(artifacts / "test_a_shared_link_round_trips_into_a_fresh_browser-fresh-context.png"))
        assert other.get_by_text(t("app.title", "zh")).is_visible()
        second = {r["name"]: (r["xy"], r["x"], r["y"], r["at"]) for r in snapshot(other)["runs"]}
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
    assert [r["name"] for r in snapshot(page)["runs"]] == ["Adam"]  # the rest of the link was kept and drawn
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
    assert "Update at http://evil.example/pay" in component_text(page)  # the legend
    assert page.get_by_text("www.evil.example", exact=False).first.is_visible()  # the notice
    page.get_by_role("radio", name=t("view.inside", "en"), exact=True).click()  # explain names the label
    page.get_by_text("Update rule (Update at http://evil.example/pay", exact=False).first.wait_for()
    shot("hostile-text")
    links = page.locator("a").evaluate_all("links => links.map(a => [a.href, a.textContent])")
    assert not [(href, text) for href, text in links if not href.startswith(url) or "evil" in text], links
    assert_quiet(console, log)
