"""A seeded random walk of clicks through the real app, in headless Chromium.

Scripted tests follow the paths someone thought of; this one wanders. From a fresh page (a new
browser context per seed) it performs ``ACTIONS`` random actions, each on a control that is
visible and enabled at that moment, so the walk adapts to whatever the previous actions put on
screen: buttons in the sidebar and the main area (never downloads), radios, the language radio,
selectboxes, multiselects, sliders and select_sliders (by keyboard), toggles, checkboxes,
expanders, number and text inputs (sometimes out of range or malformed), the view picker and
clicks on the map. After every action it waits until the script run is over and fails if the
page shows an exception or Streamlit's whole-page "encountered an error".

Determinism: the *kind* of each action (language, slider, map, ...) is drawn from
``random.Random(seed)`` alone, before anything is looked up on the page, so a seed always
proposes the same sequence of kinds. Which control of that kind, and what is typed or pressed,
comes from a second generator seeded from the same seed; it depends on what is on screen, which
may vary a little between runs (DOM order, the app's own unseeded "random start"). A proposed
kind with nothing of it on screen is passed over and does not count as an action. Every action
is recorded by the text of the control it touched, so a failure prints a list a person can
replay by hand; ``RANDOM_WALK_SEEDS=7,12 python -m pytest tests/test_random_walk.py`` reruns
chosen seeds (``RANDOM_WALK_ACTIONS`` changes the length), and :func:`random_walk` runs one
walk on any page.

The language radio is weighted high on purpose: a known failure is "switch language, then click
anything", so every walk switches language several times.

How "the run is over" is detected: the app's toolbar is hidden (``toolbarMode = "minimal"``), so
Streamlit's status widget never shows. The ``stApp`` element carries the script state instead
(``data-test-script-state``: ``running``, ``notRunning``, ...; Streamlit's own end-to-end tests
wait on it). An action may not rerun the script at all (opening an expander), so the walk first
gives a rerun a moment to start, then waits, with a bound, until the state is idle.
"""
from __future__ import annotations

import contextlib
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = pytest.mark.browser

SEEDS = [int(s) for s in os.environ.get("RANDOM_WALK_SEEDS", "20261129,4242").split(",") if s.strip()]
ACTIONS = int(os.environ.get("RANDOM_WALK_ACTIONS", "60"))

# How often each kind of action is proposed. Language is high so a 60-action walk switches
# language eight or nine times. Kinds that are often off screen (the expression box exists only
# for a custom surface, the arrows toggle only in the race view, the height radio only in 3-D) are
# passed over then, at no cost.
WEIGHTS = {
    "language": 16, "button": 10, "radio": 5, "selectbox": 10, "multiselect": 6, "slider": 12,
    "toggle": 4, "checkbox": 3, "expander": 8, "number": 8, "text": 8, "view": 10, "map": 6, "player": 8,
}

# Timeouts, in milliseconds. The app reruns in 0.5-1.5 s here; the heaviest screen (a 200 x 200
# hyperparameter sweep of 2000 steps) takes about 15 s on two cores.
ACTION_TIMEOUT = 5_000     # one click or key press
LIST_TIMEOUT = 1_500       # a selectbox's list to open
RERUN_START = 700          # an event reaches the server and starts a rerun (~0.1 s seen; sliders lag)
RUN_TIMEOUT = 60_000       # one script run, worst case
SETTLE = 150               # after the run: the last deltas (an exception, say) get painted

APP = '[data-testid="stApp"]'
SIDEBAR, MAIN = '[data-testid="stSidebar"]', '[data-testid="stMain"]'
# ``stButton`` only: download buttons are ``stDownloadButton``, and the sidebar's collapse arrow,
# the help "?" icons and Plotly's own buttons are not ``stButton`` either.
BUTTONS = f'{SIDEBAR} [data-testid="stButton"] button:enabled, {MAIN} [data-testid="stButton"] button:enabled'
# The language radio is the one offering "English" (in either language); it is a kind of its own.
LANGUAGE = '[data-testid="stRadio"]:has([data-testid="stRadioOption"]:has-text("English"))'
LANGUAGE_OPTIONS = f'{SIDEBAR} {LANGUAGE} [data-testid="stRadioOption"]'
RADIO_OPTIONS = f'[data-testid="stRadio"]:not({LANGUAGE}) [data-testid="stRadioOption"]'
SELECTBOXES = '[data-testid="stSelectbox"]'
MULTISELECTS = '[data-testid="stMultiSelect"]'
TOGGLES = '[data-testid="stCheckbox"]:has(input[role="switch"]) label'
CHECKBOXES = '[data-testid="stCheckbox"]:has(input[type="checkbox"]:not([role="switch"])) label'
SLIDERS = '[data-testid="stSlider"] input[type="range"]:enabled'  # sliders and select_sliders alike
EXPANDERS = '[data-testid="stExpander"] summary'
NUMBER_INPUTS = '[data-testid="stNumberInput"] input:enabled'
TEXT_INPUTS = '[data-testid="stTextInput"] input:enabled'
VIEW_BUTTONS = '[data-testid="stButtonGroup"] button:enabled'
# 2-D plot areas (a 3-D scene has none) and the race component's canvas (inside its shadow root,
# which Playwright's CSS pierces).
PLOT_AREAS = '[data-testid="stPlotlyChart"] .draglayer .nsewdrag, .ov-canvas'
# The race component's own controls: playback buttons, the step scrubber, legend toggles, the
# live-scrub picker and its sliders.
PLAYER = '.ov-btn, .ov-legend-item, .ov-slider, .ov-scrub-pick, .ov-scrub-slider'
PLAYER_KEYS = [" ", "ArrowLeft", "ArrowRight", "Home", "End", "+", "-"]

IDLE = f"""() => {{
  const app = document.querySelector('{APP}');
  return !!app && app.dataset.testConnectionState === 'CONNECTED'
      && ['notRunning', 'compilationError'].includes(app.dataset.testScriptState)
      && !document.querySelector('[data-testid="stSkeleton"]');  // every element drawn, not a placeholder
}}"""
BUSY = f"""() => {{
  const app = document.querySelector('{APP}');
  return !!app && ['running', 'rerunRequested'].includes(app.dataset.testScriptState);
}}"""
# What a failure looks like: an exception element, or the whole-page error Streamlit shows when the
# script itself throws (the details are redacted by ``showErrorDetails = "none"``; the server's log
# has them, and a traceback there counts as a failure too).
PROBLEMS = """() => {
  const found = Array.from(document.querySelectorAll('[data-testid="stException"]'), e => e.innerText.trim());
  if (document.body.innerText.includes('encountered an error') && !found.length) found.push(document.body.innerText.trim());
  return found;
}"""

# Typed into expression boxes: valid, invalid and hostile.
EXPRESSIONS = ["x**2 + y**2", "sin(x) * cos(y)", "exp(-x**2 - y**2)", "abs(x) + abs(y)", "x*y", "1",
               "x**", "sin(", "x +* y", "", "z + 1", "log(x)", "1/(x - x)", "__import__('os')", "x" * 40]
# Typed into number boxes besides in-range values: out of range and not numbers.
ODD_NUMBERS = ["", "-", "1e", "1e999", "-1e999", "--3", "1..2", "0", "-0"]
SLIDER_KEYS = ["ArrowLeft", "ArrowRight", "Home", "End"]


@dataclass
class Walk:
    """One walk: the page, its two generators and what it has done so far."""

    page: Page
    seed: int
    artifacts: Path
    server_log: Path | None = None
    weights: dict[str, int] = field(default_factory=lambda: dict(WEIGHTS))
    actions: list[str] = field(default_factory=list)
    passed_over: int = 0

    def __post_init__(self) -> None:
        self.kinds = random.Random(self.seed)          # which kind of action: the page never touches it
        self.rng = random.Random(f"{self.seed}/pick")  # which control, which value
        self.log_offset = self.server_log.stat().st_size if self.server_log and self.server_log.exists() else 0

    # ------------------------------------------------------------------------------ choosing

    def visible(self, selector: str) -> Locator:
        return self.page.locator(selector).filter(visible=True)

    def pick(self, selector: str) -> Locator | None:
        """A random visible match of ``selector``, or None when nothing matches now."""
        matches = self.visible(selector)
        count = matches.count()
        return matches.nth(self.rng.randrange(count)) if count else None

    # ------------------------------------------------------------------------------ actions
    # Each returns a description of what it did, or None if there was nothing of its kind on screen.

    def button(self) -> str | None:
        button = self.pick(BUTTONS)
        if button is None:
            return None
        text = label_of(button)
        button.click()
        return f'click button "{text}"'

    def language(self) -> str | None:
        # Always the language not shown now: the point is to switch.
        options = self.visible(f'{LANGUAGE_OPTIONS}:not([data-selected="true"])')
        if not options.count():
            return None
        option = options.first
        text = label_of(option)
        option.click()
        return f'switch language to "{text}"'

    def radio(self) -> str | None:
        option = self.pick(RADIO_OPTIONS)
        if option is None:
            return None
        group = option.locator('xpath=ancestor::*[@data-testid="stRadio"]')
        text, group_label = label_of(option), widget_label(group)
        option.click()
        return f'radio "{group_label}": choose "{text}"'

    def selectbox(self) -> str | None:
        box = self.pick(SELECTBOXES)
        if box is None:
            return None
        name = widget_label(box)
        options = self.open_list(box)
        if options is None:
            return f'selectbox "{name}": opened, but it listed no option'
        option = options.nth(self.rng.randrange(options.count()))
        text = label_of(option)
        option.click()
        return f'selectbox "{name}": choose "{text}"'

    def multiselect(self) -> str | None:
        box = self.pick(MULTISELECTS)
        if box is None:
            return None
        name = widget_label(box)
        remove = box.locator('button[aria-label^="Remove "]').filter(visible=True)
        if remove.count() and self.rng.random() < 0.5:
            button = remove.nth(self.rng.randrange(remove.count()))
            text = button.get_attribute("aria-label")
            button.click()
            return f'multiselect "{name}": {text}'
        options = self.open_list(box)
        if options is None:  # every option is already chosen
            return f'multiselect "{name}": opened, nothing left to add'
        option = options.nth(self.rng.randrange(options.count()))
        text = label_of(option)
        option.click()
        self.page.keyboard.press("Escape")  # the list stays open after a pick
        return f'multiselect "{name}": add "{text}"'

    def open_list(self, box: Locator) -> Locator | None:
        """Open a selectbox's or multiselect's list; its options, or None if it shows none."""
        combobox = box.locator('[role="combobox"]')
        # react-aria closes a list when the page under it scrolls: Playwright's own scroll into view,
        # still moving during the click, closed it at once. Scroll first, let it come to rest.
        combobox.scroll_into_view_if_needed()
        self.page.wait_for_timeout(200)
        combobox.click()
        options = self.page.get_by_role("option").filter(visible=True)
        try:
            options.first.wait_for(timeout=LIST_TIMEOUT)
        except PlaywrightTimeoutError:
            self.page.keyboard.press("Escape")
            return None
        return options

    def slider(self) -> str | None:
        slider = self.pick(SLIDERS)
        if slider is None:
            return None
        name = slider.get_attribute("aria-label") or "?"
        before = slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow")
        keys = [self.rng.choice(SLIDER_KEYS) for _ in range(self.rng.choice([1, 1, 2, 3]))]
        slider.focus()
        for key in keys:
            slider.press(key)
        return f'slider "{name}" (was {before}): press {"+".join(keys)}'

    def toggle(self) -> str | None:
        return self._tick(TOGGLES, "toggle")

    def checkbox(self) -> str | None:
        return self._tick(CHECKBOXES, "checkbox")

    def _tick(self, selector: str, kind: str) -> str | None:
        label = self.pick(selector)
        if label is None:
            return None
        was = label.locator("input").is_checked()
        text = label_of(label)
        label.click()
        return f'{kind} "{text}": {"off" if was else "on"}'

    def expander(self) -> str | None:
        summary = self.pick(EXPANDERS)
        if summary is None:
            return None
        was_open = summary.evaluate("s => s.parentElement.open")
        text = label_of(summary.locator('[data-testid="stMarkdownContainer"]').first)  # not the icon's name
        summary.click()
        return f'expander "{text}": {"close" if was_open else "open"}'

    def number(self) -> str | None:
        box = self.pick(NUMBER_INPUTS)
        if box is None:
            return None
        name = box.get_attribute("aria-label") or "?"
        low, high = float(box.get_attribute("min") or -100), float(box.get_attribute("max") or 100)
        roll = self.rng.random()
        if roll < 0.6:  # in range, as an integer when the box counts in whole steps
            value = self.rng.uniform(low, high)
            text = str(round(value)) if float(box.get_attribute("step") or 1).is_integer() else f"{value:.3f}"
        elif roll < 0.8:  # just out of range
            text = self.rng.choice([f"{high + 1:g}", f"{low - 1:g}", f"{high * 10 + 7:g}"])
        else:
            text = self.rng.choice(ODD_NUMBERS)
        self._type(box, text)
        return f'number "{name}": type {text!r} + Enter'

    def text(self) -> str | None:
        box = self.pick(TEXT_INPUTS)
        if box is None:
            return None
        name = box.get_attribute("aria-label") or "?"
        text = self.rng.choice(EXPRESSIONS)
        self._type(box, text)
        return f'text "{name}": type {text!r} + Enter'

    def _type(self, box: Locator, text: str) -> None:
        # Keystrokes, not ``fill``: a number box must see "1e" or "--3" the way a person types it
        # (``fill`` refuses text a number input cannot hold).
        box.click()
        box.press("ControlOrMeta+a")
        box.press("Backspace")
        if text:
            self.page.keyboard.type(text)
        box.press("Enter")

    def view(self) -> str | None:
        button = self.pick(VIEW_BUTTONS)
        if button is None:
            return None
        text = label_of(button)
        selected = button.get_attribute("aria-checked") == "true"  # clicking it again clears the choice
        button.click()
        return f'view picker: click "{text}"' + (" (already selected)" if selected else "")

    def map(self) -> str | None:
        # Any 2-D plot area: on the race map a click moves the start; elsewhere it must do no harm.
        area = self.pick(PLOT_AREAS)
        if area is None:
            return None
        box = area.bounding_box()
        if not box:
            return None
        fx, fy = round(self.rng.uniform(0.05, 0.95), 2), round(self.rng.uniform(0.05, 0.95), 2)
        area.click(position={"x": fx * box["width"], "y": fy * box["height"]})
        return f"click chart at ({fx:.2f}, {fy:.2f}) of its plot area"

    def player(self) -> str | None:
        control = self.pick(PLAYER)
        if control is None:
            return None
        kind = control.get_attribute("class") or ""
        if "ov-scrub-pick" in kind:
            options = control.locator("option").all_inner_texts()
            choice = self.rng.choice(options)
            control.select_option(label=choice)
            return f'race player: live scrub picker -> "{choice}"'
        if "slider" in kind:
            key = self.rng.choice(PLAYER_KEYS[1:5])
            control.focus()
            control.press(key)
            return f"race player: {kind.split()[-1]} key {key}"
        if self.rng.random() < 0.3:  # the keyboard, with the player focused
            key = self.rng.choice(PLAYER_KEYS)
            control.focus()
            self.page.keyboard.press(key)
            return f"race player: key {key!r}"
        text = control.get_attribute("title") or control.inner_text()
        control.click()
        return f'race player: click "{text}"'

    # ------------------------------------------------------------------------------ the walk

    def run(self, actions: int) -> list[str]:
        kinds, weights = list(self.weights), list(self.weights.values())
        proposals = 0
        while len(self.actions) < actions:
            proposals += 1
            if proposals > 10 * actions:  # kinds passed over do not count as actions; this bounds the loop
                raise AssertionError(self.report(f"only {len(self.actions)} actions in {proposals - 1} proposals"))
            kind = self.kinds.choices(kinds, weights)[0]
            start = time.perf_counter()
            try:
                done = getattr(self, kind)()
            except PlaywrightError as error:  # the control moved or vanished under the pointer: note it, go on
                done = f"{kind}: could not finish ({first_line(error)})"
                with contextlib.suppress(PlaywrightError):
                    self.page.keyboard.press("Escape")  # a list left open would swallow the next click
            if done is None:
                self.passed_over += 1
                continue
            self.actions.append(done)
            self.wait_for_run()
            self.actions[-1] += f"  [{time.perf_counter() - start:.1f} s]"
            problems = self.page.evaluate(PROBLEMS)
            if problems:
                raise AssertionError(self.report("the page shows an error:\n" + "\n---\n".join(problems)))
            if "Traceback" in self.server_log_since_start():
                raise AssertionError(self.report("the server logged a traceback"))
        self.page.screenshot(path=str(self.artifacts / f"random-walk-seed{self.seed}-end.png"))
        return self.actions

    def wait_for_run(self) -> None:
        """Until the rerun the last action caused (if any) has finished, and no other follows it."""
        try:
            self.page.wait_for_function(BUSY, timeout=RERUN_START, polling=25)
        except PlaywrightTimeoutError:
            pass  # this action did not rerun the script
        deadline = time.perf_counter() + RUN_TIMEOUT / 1000
        while True:
            remaining = deadline - time.perf_counter()
            try:
                self.page.wait_for_function(IDLE, timeout=max(remaining * 1000, 1), polling=50)
            except PlaywrightTimeoutError:
                raise AssertionError(self.report(f"the app was still running (or disconnected) "
                                                 f"{RUN_TIMEOUT / 1000:.0f} s after the action")) from None
            self.page.wait_for_timeout(SETTLE)
            if self.page.evaluate(IDLE):  # a queued rerun (two quick events) may have started meanwhile
                return

    def server_log_since_start(self) -> str:
        if not (self.server_log and self.server_log.exists()):
            return ""
        with open(self.server_log, errors="replace") as f:
            f.seek(self.log_offset)
            return f.read()

    def report(self, what: str) -> str:
        """The failure message: the seed, every action so far, a screenshot, the server's log."""
        shot = self.artifacts / f"random-walk-seed{self.seed}-action{len(self.actions)}.png"
        try:
            self.page.screenshot(path=str(shot))
        except PlaywrightError as error:
            shot = f"(no screenshot: {first_line(error)})"
        steps = "\n".join(f"  {i:3d}. {a}" for i, a in enumerate(self.actions, 1))
        log = self.server_log_since_start().strip()
        return (f"random walk, seed {self.seed}: after action {len(self.actions)}, {what}\n"
                f"actions, from a fresh page ({self.passed_over} proposals passed over, nothing on screen):\n{steps}\n"
                f"replay: RANDOM_WALK_SEEDS={self.seed} python -m pytest -p no:cacheprovider tests/test_random_walk.py\n"
                f"screenshot: {shot}\n"
                f"server log since the walk began:\n{log or '(empty)'}")


def label_of(element: Locator) -> str:
    return " ".join(element.inner_text(timeout=ACTION_TIMEOUT).split()) or element.get_attribute("aria-label") or "?"


def widget_label(widget: Locator) -> str:
    label = widget.locator('[data-testid="stWidgetLabel"]').first
    return " ".join(label.text_content(timeout=ACTION_TIMEOUT).split()) if label.count() else "?"


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(IDLE, timeout=RUN_TIMEOUT)
    page.locator(SIDEBAR).get_by_text("English").wait_for(timeout=RUN_TIMEOUT)


def random_walk(page: Page, url: str, seed: int, artifacts: Path, server_log: Path | None = None,
                actions: int = ACTIONS, weights: dict[str, int] | None = None) -> list[str]:
    """Open the app at ``url`` on ``page`` and walk ``actions`` random steps; raises AssertionError
    with a replayable report on the first error. Returns the actions taken."""
    page.set_default_timeout(ACTION_TIMEOUT)
    open_app(page, url)
    walk = Walk(page, seed, artifacts, server_log, **({"weights": weights} if weights else {}))
    problems = page.evaluate(PROBLEMS)
    assert not problems, walk.report("the page shows an error before any action:\n" + "\n".join(problems))
    return walk.run(actions)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_walk_shows_no_error(page, app_server, artifacts, seed):
    url, server_log = app_server
    actions = random_walk(page, url, seed, artifacts, server_log)
    print(f"seed {seed}:", *(f"{i:3d}. {a}" for i, a in enumerate(actions, 1)), sep="\n")  # shown with -rP
    assert len(actions) >= ACTIONS
    switches = sum(a.startswith("switch language") for a in actions)
    assert switches >= ACTIONS // 20, f"seed {seed} switched language only {switches} times: the walk no longer tests it"
