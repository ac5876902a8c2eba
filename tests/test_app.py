"""The Streamlit app, driven through ``streamlit.testing.v1.AppTest`` (no browser).

Each test starts a fresh session of app.py, sets widgets by key as a user would, reruns and
checks the page: no exception, no ``st.error``, and the race chart's Plotly spec (decoded
from the bdata Plotly uses for arrays) showing what the settings ask for.
"""
from __future__ import annotations

import base64
import html
import json
import pkgutil
import re
from urllib.parse import parse_qs

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import optviz.app.views as views_package
from optviz import controls, schedules, share
from optviz.app.state import lesson_state
from optviz.app.views import RENDERERS
from optviz.app.widget_values import SLOT_IDS, SLOTS, app_state, widget_values
from optviz.i18n import CATALOG, t
from optviz.classroom.catalog import ALL_LESSONS as LESSONS, get_lesson
from optviz.classroom.range_test import range_test
from optviz.tuning import classroom_learning_rate
from optviz.limits import MAX_OPTIMIZERS
from optviz.optimizers import DISPLAY_NAMES, HAS_BIAS_CORRECTION, OPTIMIZERS, SPECS
from optviz.figures.race_payload import STATUS_INK
from optviz.views import VIEWS
from surfaces import PARAMETERS, SURFACES, get_surface

from conftest import APP, ROOT
from golden.record import LINKS

ENDS = ("low", "mid", "high")


BADGE = re.compile(r'^<span class="optviz-badge" data-color="(\w+)"[^>]*>(.*)</span>$', re.S)
PLAIN = re.compile(r'^<div class="optviz-plain" data-tone="(\w+)"[^>]*>(.*)</div>$', re.S)


@pytest.fixture(autouse=True, scope="module")
def full_error_details():
    """.streamlit/config.toml redacts exception messages; a failing test should show them."""
    old = st.config.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    yield
    st.config.set_option("client.showErrorDetails", old)


# ---------------------------------------------------------------------------------------- helpers

def fresh() -> AppTest:
    """A new session of the app, run once: the default page."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not problems(at), "\n".join(problems(at))
    return at


def problems(at: AppTest) -> list[str]:
    return [f"exception: {e.message}\n{''.join(e.stack_trace)}" for e in at.exception] + [
        f"error box: {text}" for text in plain_boxes(at, "error")]


def plain_boxes(at: AppTest, tone: str, where=None) -> list[str]:
    """The texts of the app's plain-text boxes of one tone ("error", "warning", "note"), HTML-unescaped."""
    area = at if where is None else where
    found = (PLAIN.match(h.proto.body) for h in area.get("html"))
    return [html.unescape(m.group(2)) for m in found if m and m.group(1) == tone]


def choice(at: AppTest, kind: str, key: str):
    """The selectbox or radio whose chosen option the app keeps under ``key`` (``widgets.choice`` keys
    the widget itself by its labels, as ``key#…``)."""
    (widget,) = [w for w in at.get(kind) if str(w.key).startswith(key + "#") or w.key == key]
    return widget


def assert_clean(at: AppTest) -> None:
    """No exception and no error element; the race component's data is whole (every run's arrays sent)."""
    assert not problems(at), "\n".join(problems(at))
    if at.get("bidi_component"):
        spec = race_spec(at)
        for run in spec["data"]["runs"]:
            assert spec["decoded"][run["xy"]].size == 2 * (spec["data"]["steps"] + 1), run["name"]
            assert spec["decoded"][run["loss"]].size == spec["data"]["steps"] + 1, run["name"]


def race_spec(at: AppTest) -> dict:
    """The race component's data with its blobs decoded: ``{"data", "blobs", "paths"}``; ``paths`` maps each
    run's name to its positions up to its last step. The page keeps blobs across reruns and the server sends
    each once per session, so the session's record of sent blobs is cleared first and the app rerun."""
    at.session_state["sent_blobs"] = set()
    at.run()
    (component,) = at.get("bidi_component")
    data = json.loads(component.proto.json)
    blobs = {key: value for key, value in data["blobs"].items()}
    decoded = {key: np.frombuffer(base64.b64decode(value), dtype="<f4") for key, value in blobs.items()
               if key != data["code"] and not value.startswith("data:")}  # arrays, not the code or the picture
    paths = {run["name"]: decoded[run["xy"]].reshape(-1, 2).astype(float)[: run["last"] + 1] for run in data["runs"]}
    return {"data": data, "blobs": blobs, "decoded": decoded, "paths": paths}


def path_traces(spec: dict) -> dict[str, np.ndarray]:
    """Each run's drawn path by its name."""
    return spec["paths"]


def path_of(spec: dict, label: str) -> np.ndarray:
    """(n, 2) drawn path of the run named ``label``: its positions up to the step it stopped at."""
    return spec["paths"][label]


def map_picture(spec: dict) -> str:
    return spec["blobs"][spec["data"]["map"]["image"]]


def run_statuses(at: AppTest) -> list[tuple[str, str]]:
    """(colour, "Label: status") of each run, as the race component's legend shows them."""
    ink = {value: key for key, value in STATUS_INK.items()}
    return [(ink[run["status_color"]], f"{run['name']}: {run['status']}") for run in race_spec(at)["data"]["runs"]]


def badges(at: AppTest, where=None) -> list[tuple[str, str]]:
    """(colour, text) of every status badge in ``where`` (the main area by default)."""
    area = at.main if where is None else where
    found = (BADGE.match(h.proto.body) for h in area.get("html"))
    return [(m.group(1), html.unescape(m.group(2))) for m in found if m]


def end_of(options, end: str):
    return options[{"low": 0, "mid": len(options) // 2, "high": len(options) - 1}[end]]


def sidebar_button(at: AppTest, text_key: str):
    (button,) = [b for b in at.sidebar.button if b.label == t(text_key, "en")]
    return button


def start_of(at: AppTest) -> tuple[float, float]:
    return at.number_input(key="start_x").value, at.number_input(key="start_y").value


# ---------------------------------------------------------------------------------------- the page

def test_default_page():
    at = fresh()
    assert_clean(at)
    assert at.title[0].value == t("app.title", "en")
    assert choice(at, "selectbox", "surface").value == "rosenbrock"
    assert at.slider(key="steps").value == 500
    assert start_of(at) == get_surface("rosenbrock").start
    assert at.multiselect(key="slots").value == list(controls.DEFAULT_SLOTS)
    never = "not converged in 500 steps"  # within the tolerance after no step of the 500: not "running"
    assert [text for _, text in run_statuses(at)] == [f"SGD: {never}", f"Momentum: {never}", f"RMSprop: {never}",
                                                      f"Adam: {never}"]
    spec = race_spec(at)
    assert map_picture(spec).startswith("data:image/png;base64,")  # the contour map
    assert list(path_traces(spec)) == ["SGD", "Momentum", "RMSprop", "Adam"]
    assert spec["data"]["open_step"] == 500 and spec["data"]["mode"] == "race"  # the finished race is shown first
    assert spec["data"]["texts"]["play"] == "Play" and spec["data"]["clickable"]


def test_no_optimizer_shows_info():
    at = fresh()
    at.multiselect(key="slots").set_value([]).run()
    assert_clean(at)
    assert [i.value for i in at.info] == [t("app.no_optimizer", "en")]
    assert not at.get("plotly_chart") and not at.get("bidi_component")


# ---------------------------------------------------------------------------------------- every widget, ends and middle

def test_surface_change_resets_start():
    """Walk through every surface in one session; each change puts the start at its default."""
    at = fresh()
    for surface in [*SURFACES, "rosenbrock"]:  # rosenbrock is the default: visit it again at the end
        at.number_input(key="start_x").set_value(0.123)
        at.number_input(key="start_y").set_value(-0.321).run()
        assert start_of(at) == (0.123, -0.321)
        choice(at, "selectbox", "surface").set_value(surface).run()
        assert_clean(at)
        expected = tuple(round(v, 4) for v in get_surface(surface).start)
        assert start_of(at) == pytest.approx(expected, abs=1e-9), surface
        assert map_picture(race_spec(at)).startswith("data:image/png"), surface


@pytest.mark.parametrize("surface", [name for name in SURFACES if PARAMETERS[name]])
def test_surface_parameters(surface):
    """All parameters of the surface at once: lowest, default (a middle notch), highest."""
    at = fresh()
    choice(at, "selectbox", "surface").set_value(surface).run()
    for end in ENDS:
        for p in PARAMETERS[surface]:
            (w,) = [w for w in at.sidebar.get("select_slider" if p.log else "slider")
                    if w.key == f"sp.{surface}.{p.name}"]
            w.set_value({"low": p.low, "mid": p.default, "high": p.high}[end])
        at.run()
        assert not problems(at), (end, problems(at))
        assert_clean(at)
        for p in PARAMETERS[surface]:
            assert at.session_state[f"sp.{surface}.{p.name}"] == {"low": p.low, "mid": p.default, "high": p.high}[end]


def test_start_inputs():
    at = fresh()
    for end in ENDS:
        x, y = at.number_input(key="start_x"), at.number_input(key="start_y")
        value = {"low": x.min, "mid": 0.0, "high": x.max}[end]
        x.set_value(value)
        y.set_value({"low": y.min, "mid": 0.0, "high": y.max}[end]).run()
        assert not problems(at), (end, problems(at))
        assert_clean(at)
        assert start_of(at)[0] == value
        assert len(run_statuses(at)) == 4


def test_steps():
    at = fresh()
    for end in ENDS:
        steps = at.slider(key="steps")
        value = {"low": steps.min, "mid": 1000, "high": steps.max}[end]
        steps.set_value(value).run()
        assert not problems(at), (end, problems(at))
        assert_clean(at)
        spec = race_spec(at)
        assert spec["data"]["steps"] == value and spec["data"]["open_step"] == value


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_controls(name):
    """Each optimizer added alone through the multiselect; then, per end of the ranges, all its
    sliders, its convention and bias correction set together, then the revealed noise seed."""
    at = fresh()
    at.multiselect(key="slots").set_value([name]).run()
    assert_clean(at)
    for end in ENDS:
        sliders = [w for w in at.sidebar.select_slider if w.key.startswith(f"{name}.")]
        expected = {f"{name}.{p}" for p in controls.hyperparameter_names(name)} | {f"{name}.noise"}
        assert {w.key for w in sliders} == expected
        for w in sliders:
            ladder = controls.NOISE_CHOICES if w.key.endswith(".noise") else controls.LADDERS[w.key.split(".")[1]]
            w.set_value(end_of(ladder, end))
        choice(at, "selectbox", f"{name}.convention").set_value(end_of(SPECS[name].conventions, end))
        if name in HAS_BIAS_CORRECTION:
            at.checkbox(key=f"{name}.bias_correction").set_value(end != "low")
        at.run()
        assert_clean(at)
        noisy = end_of(controls.NOISE_CHOICES, end) > 0
        seeds = [w for w in at.sidebar.number_input if w.key == f"{name}.seed"]
        assert len(seeds) == noisy, end
        if noisy:
            seeds[0].set_value({"mid": 12345, "high": seeds[0].max}[end]).run()
            assert_clean(at)
        ((_, text),) = run_statuses(at)
        assert text.startswith(DISPLAY_NAMES[name] + ": "), (end, text)
        assert len(path_traces(race_spec(at))) == 1, end


@pytest.mark.parametrize("kind", ["step", "exp", "cosine"])
def test_schedule_controls(kind):
    """A schedule reveals its own inputs; each, with the warm-up, is set to each end and the middle."""
    at = fresh()
    at.multiselect(key="slots").set_value(["sgd", "adam"]).run()
    choice(at, "selectbox", "adam.schedule").set_value(kind).run()
    assert_clean(at)
    shown = {w.key for w in [*at.sidebar.number_input, *at.sidebar.select_slider] if w.key.startswith("adam.")}
    revealed = {"step": {"adam.every", "adam.factor"}, "exp": {"adam.gamma"}, "cosine": {"adam.period"}}[kind]
    assert revealed | {"adam.warmup"} <= shown
    assert not ({"adam.every", "adam.factor", "adam.gamma", "adam.period"} - revealed) & shown
    for end in ENDS:
        for key in sorted(revealed | {"adam.warmup"}):
            if key in ("adam.factor", "adam.gamma"):
                choices = controls.FACTOR_CHOICES if key == "adam.factor" else controls.GAMMA_CHOICES
                at.select_slider(key=key).set_value(end_of(choices, end))
            else:
                w = at.number_input(key=key)
                w.set_value({"low": w.min, "mid": (w.min + w.max) // 2, "high": w.max}[end])
        at.run()
        assert not problems(at), (end, problems(at))
        assert_clean(at)
        assert len(path_traces(race_spec(at))) == 2, end


def test_constant_schedule_keeps_a_set_warmup_visible():
    at = fresh()
    choice(at, "selectbox", "adam.schedule").set_value("cosine").run()
    at.number_input(key="adam.warmup").set_value(50).run()
    choice(at, "selectbox", "adam.schedule").set_value("constant").run()
    assert_clean(at)
    assert at.number_input(key="adam.warmup").value == 50


@pytest.mark.parametrize("name", [name for name, spec in SPECS.items() if len(spec.conventions) < 3])
def test_the_convention_box_offers_only_the_declared_conventions(name):
    at = fresh()
    at.multiselect(key="slots").set_value([name]).run()
    assert len(choice(at, "selectbox", f"{name}.convention").options) == len(SPECS[name].conventions)


def test_every_optimizer_together():
    """Every registered optimizer, in races as full as limits.MAX_OPTIMIZERS allows."""
    names = list(OPTIMIZERS)
    for first in range(0, len(names), MAX_OPTIMIZERS):
        group = names[first:first + MAX_OPTIMIZERS]
        at = fresh()
        at.multiselect(key="slots").set_value(group).run()
        assert_clean(at)
        assert len(run_statuses(at)) == len(group)
        assert len(path_traces(race_spec(at))) == len(group)


def test_every_view():
    """Walk every view of the segmented control (optviz.views.VIEWS) and back."""
    at = fresh()
    for view in [*VIEWS[1:], VIEWS[0]]:
        at.get("segmented_control")[0].set_value(view).run()
        assert not problems(at), (view, problems(at))
        assert_clean(at)
        if view == "3d":
            choice(at, "radio", "height").set_value("value").run()
            assert not problems(at), (view, problems(at))
        assert at.get("plotly_chart") or at.dataframe or at.get("bidi_component"), f"{view}: nothing drawn"


def test_arrows_toggle_on_the_race_map():
    at = fresh()
    plain = race_spec(at)
    assert not plain["data"]["arrows"] and all(run["grad"] is None for run in plain["data"]["runs"])
    at.toggle(key="arrows").set_value(True).run()
    assert_clean(at)
    with_arrows = race_spec(at)
    assert with_arrows["data"]["arrows"]
    rosenbrock = get_surface("rosenbrock")
    for shown in with_arrows["data"]["runs"]:  # the gradient the arrows point against, at each drawn position
        grad = with_arrows["decoded"][shown["grad"]].reshape(-1, 2)[: shown["last"] + 1]
        at_path = rosenbrock.grad(with_arrows["paths"][shown["name"]])
        np.testing.assert_allclose(grad, at_path, rtol=1e-4, atol=1e-4)  # both sides float32-rounded
    at.toggle(key="arrows").set_value(False).run()
    assert_clean(at)
    assert not race_spec(at)["data"]["arrows"]


def test_every_lesson_loads():
    """Walk through the lesson menu in one session: each lesson sets the controls and draws."""
    at = fresh()
    lessons = choice(at, "selectbox", "lesson").options
    assert len(lessons) > 1
    for index in [*range(1, len(lessons)), 0]:  # every lesson, then back to free play
        choice(at, "selectbox", "lesson").select_index(index).run()
        assert not problems(at), (lessons[index], problems(at))
        assert_clean(at)
        assert at.get("plotly_chart") or at.dataframe or at.get("bidi_component"), lessons[index]


CUSTOM_EXPRESSIONS = {  # expression -> is it usable (else: one st.error, the last good surface stays)
    "x**2 + y**2": True, "exp(x*100)": True, "1/x": True, "0": True, "x**": False, "sqrt(-1-x**2)": False,
    "__import__('os')": False, "unknown(x)": False,
}


def test_custom_surface_expressions_and_bounds():
    at = fresh()
    choice(at, "selectbox", "surface").set_value("custom").run()
    assert_clean(at)
    for expression, usable in CUSTOM_EXPRESSIONS.items():
        at.text_input(key="custom_expr").set_value(expression).run()
        assert not at.exception, (expression, problems(at))
        errors = plain_boxes(at, "error")
        assert len(errors) == (0 if usable else 1), (expression, errors)
        assert map_picture(race_spec(at)).startswith("data:image/png"), expression
    at.text_input(key="custom_expr").set_value("x**2 + 3*y**2").run()
    keys = ("custom_x0", "custom_x1", "custom_y0", "custom_y1")
    cases = {(-500.0, 500.0, -500.0, 500.0): True, (-1000.0, -999.0, 999.0, 1000.0): True,
             (1000.0, -1000.0, 1000.0, -1000.0): False, (0.0, 0.0, 0.0, 0.0): False}
    for bounds, usable in cases.items():
        for key, value in zip(keys, bounds):
            at.number_input(key=key).set_value(value)
        at.run()
        assert not at.exception, (bounds, problems(at))
        errors = plain_boxes(at, "error")
        assert len(errors) == (0 if usable else 1), (bounds, errors)
        spec = race_spec(at)
        if usable:
            assert spec["data"]["bounds"][0] == [bounds[0], bounds[1]], bounds


def test_buttons_random_default_tune_and_reset():
    at = fresh()
    default_lr = at.select_slider(key="adam.lr").value
    (x0, x1), (y0, y1) = get_surface("rosenbrock").bounds
    for _ in range(3):
        sidebar_button(at, "app.random_start").click().run()
        assert_clean(at)
        x, y = start_of(at)
        assert x0 <= x <= x1 and y0 <= y <= y1
    sidebar_button(at, "app.default_start").click().run()
    assert start_of(at) == get_surface("rosenbrock").start
    at.select_slider(key="adam.lr").set_value(10.0).run()
    sidebar_button(at, "app.tune_all").click().run()
    assert_clean(at)
    assert at.select_slider(key="adam.lr").value == default_lr
    at.select_slider(key="adam.beta1").set_value(0.5)
    choice(at, "selectbox", "adam.schedule").set_value("exp").run()
    at.button(key="adam.reset_button").click().run()
    assert_clean(at)
    assert at.select_slider(key="adam.beta1").value == 0.9
    assert choice(at, "selectbox", "adam.schedule").value == "constant"
    assert at.select_slider(key="adam.lr").value == default_lr


# ---------------------------------------------------------------------------------------- what the chart shows

def test_changing_adam_lr_changes_only_adam_path():
    at = fresh()
    before = race_spec(at)
    lr = at.select_slider(key="adam.lr").value
    other = controls.LR_CHOICES[controls.LR_CHOICES.index(lr) - 5]
    at.select_slider(key="adam.lr").set_value(other).run()
    assert_clean(at)
    after = race_spec(at)
    assert path_of(before, "Adam").shape != path_of(after, "Adam").shape or not np.array_equal(
        path_of(before, "Adam"), path_of(after, "Adam"))
    for label in ("SGD", "Momentum", "RMSprop"):
        np.testing.assert_array_equal(path_of(before, label), path_of(after, label))


def test_duplicate_gets_its_own_label_and_path():
    at = fresh()
    at.button(key="adam.duplicate_button").click().run()
    assert_clean(at)
    assert at.multiselect(key="slots").value == list(controls.DEFAULT_SLOTS) + ["adam~2"]
    spec = race_spec(at)
    assert list(path_traces(spec)) == ["SGD", "Momentum", "RMSprop", "Adam", "Adam (2)"]
    np.testing.assert_array_equal(path_of(spec, "Adam"), path_of(spec, "Adam (2)"))  # same settings copied
    assert at.select_slider(key="adam~2.lr").value == at.select_slider(key="adam.lr").value
    lr = at.select_slider(key="adam~2.lr").value
    at.select_slider(key="adam~2.lr").set_value(controls.LR_CHOICES[controls.LR_CHOICES.index(lr) - 5]).run()
    assert_clean(at)
    after = race_spec(at)
    np.testing.assert_array_equal(path_of(spec, "Adam"), path_of(after, "Adam"))
    assert not np.array_equal(path_of(spec, "Adam (2)")[:50], path_of(after, "Adam (2)")[:50])
    assert [text for _, text in run_statuses(at)][-2:] == ["Adam: not converged in 500 steps", "Adam (2): not converged in 500 steps"]


def test_divergence_is_flagged_and_drawn_finite():
    at = fresh()
    at.select_slider(key="sgd.lr").set_value(10.0).run()
    assert_clean(at)  # includes: every drawn coordinate, in data and frames, is finite
    colour, text = run_statuses(at)[0]
    assert colour == "red" and re.fullmatch(r"SGD: diverged at step \d+", text), text
    (sidebar_badge,) = [b for b in badges(at, at.sidebar) if b[0] == "red"]
    assert sidebar_badge[1] == text.removeprefix("SGD: ")
    spec = race_spec(at)
    sgd = spec["data"]["runs"][0]
    assert sgd["diverged"] and sgd["last"] == int(text.rsplit(" ", 1)[1])  # the page draws the ✕ at that step


def test_a_new_surface_closes_the_lesson_card():
    """A lesson's card describes its own surface; after the lecturer picks another surface it would
    describe something no longer on screen (found by the random walk: the local-minima card over Rastrigin)."""
    at = fresh()
    choice(at, "selectbox", "lesson").set_value("local-minima").run()
    title = get_lesson("local-minima").title["en"]
    assert any(title in m.value for m in at.markdown)
    choice(at, "selectbox", "surface").set_value("rastrigin").run()
    assert_clean(at)
    assert choice(at, "selectbox", "lesson").value == ""
    assert not any(title in m.value for m in at.markdown)
    assert at.query_params.get("ls") is None


def test_a_click_on_the_chosen_view_keeps_it_chosen():
    """Clicking the highlighted view button clears a segmented control; the app chooses that view again,
    so a button stays highlighted and the view, the picker and the link agree."""
    at = fresh()
    at.get("segmented_control")[0].set_value("table").run()
    at.get("segmented_control")[0].set_value(None).run()
    assert_clean(at)
    assert at.get("segmented_control")[0].value == "table" and at.dataframe
    assert at.query_params["v"] in ("table", ["table"])  # AppTest has held a value or a list


def test_results_view_has_one_row_per_optimizer():
    at = fresh()
    at.get("segmented_control")[0].set_value("table").run()
    assert_clean(at)
    (table,) = at.dataframe
    frame = table.value
    assert len(frame) == 4
    assert list(frame[t("table.label", "en")]) == ["SGD", "Momentum", "RMSprop", "Adam"]
    for tol in (controls.TOLERANCE_CHOICES[0], controls.TOLERANCE_CHOICES[-1]):
        at.select_slider(key="tolerance").set_value(tol).run()
        assert_clean(at)
        assert len(at.dataframe[0].value) == 4


def test_chinese():
    at = fresh()
    at.radio(key="lang").set_value("zh").run()
    assert_clean(at)
    assert at.title[0].value == t("app.title", "zh")
    assert choice(at, "selectbox", "surface").label == t("app.surface", "zh")
    assert at.select_slider(key="adam.lr").label == t("opt.lr", "zh")
    assert [text for _, text in run_statuses(at)][0] == "SGD: " + t("status.running", "zh", steps=500)
    spec = race_spec(at)
    assert spec["data"]["texts"]["play"] == t("plot.play", "zh")
    at.get("segmented_control")[0].set_value("table").run()
    assert_clean(at)
    assert t("table.label", "zh") in at.dataframe[0].value.columns


def linked(query: dict[str, str]) -> AppTest:
    """A new session opened on a link with ``query`` in the address bar."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_regression_lab_tunes_its_learning_rates_on_the_regression_loss():
    """At the default setting (Rosenbrock's tuned rates in the sidebar, 500 steps, 100 points, seed 0, full
    batch) SGD's fitted line reaches y = 2x + 1 within 0.1 in w and b. The bound: the noise (σ = 0.5) leaves the
    least-squares line off the true one by about its standard errors, σ/√(n·var x) = 0.5/√(100/12) = 0.17 in w
    and σ/√n = 0.05 in b; seed 0's least squares is (1.935, 0.964). GD on the MSE (curvatures 0.19 and 2.0)
    needs lr < 2/2.005 = 0.998; the tuned 0.631 contracts w by 1 − 0.631·0.183 = 0.885 a step, far within 500.
    With Rosenbrock's lr 0.004 it would stop at y = 0.158x + 1.10."""
    at = fresh()
    at.get("segmented_control")[0].set_value("regression").run()
    assert_clean(at)
    assert at.checkbox(key="reg_tune").value
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith("chart_regression")]
    assert len(charts) == 1
    names = [d.get("name", "") for d in json.loads(charts[0].proto.spec)["data"]]
    fit = [re.fullmatch(r"SGD: y = ([-0-9.e]+)x \+ ([-0-9.e]+)", name) for name in names]
    (w, b), = [(float(m.group(1)), float(m.group(2))) for m in fit if m]
    assert abs(w - 2.0) <= 0.1 and abs(b - 1.0) <= 0.1, (w, b)
    assert (w, b) == (1.93, 0.964)  # the least-squares line to the figure's three digits
    # Unticked, the sidebar's rates (tuned for Rosenbrock) come back, and SGD's line stays far off.
    at.checkbox(key="reg_tune").uncheck().run()
    names = [d.get("name", "") for c in at.get("plotly_chart") if c.proto.id.endswith("chart_regression")
             for d in json.loads(c.proto.spec)["data"]]
    (far,) = [n for n in names if n.startswith("SGD: y = ")]
    assert abs(float(re.match(r"SGD: y = ([-0-9.e]+)x", far).group(1)) - 2.0) > 1.0, far


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fair_race_table_speaks_the_page_language(lang):
    """The fair-race table under the landscape view: display names, not registry ids; "never", not −1;
    three significant digits, not 14-digit decimals; statuses in words; every header translated."""
    from optviz.sweep import tuned_learning_rates

    at = linked({"v": "sweep", "n": "50", "o": "sgd~momentum~adam", "l": lang})
    assert_clean(at)
    headers = [t("table.label", lang), t("opt.lr", lang), t("table.final_loss", lang),
               t("table.steps_to", lang, tol="1e-6"), t("table.status", lang)]
    tables = [d.value for d in at.dataframe if list(d.value.columns) == headers]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    shown = tables[0]
    # What it shows, from the numbers: 50 steps from Rosenbrock's start reach no tolerance (measured final
    # losses 0.44, 0.38, 0.79), so every run is "never" and not converged.
    raw = tuned_learning_rates(get_surface("rosenbrock"), ["sgd", "momentum", "adam"], None, 50)
    assert shown[headers[0]].tolist() == ["SGD", "Momentum", "Adam"]
    assert shown[headers[1]].tolist() == [f"{v:.3g}" for v in raw["lr"]]
    assert shown[headers[2]].tolist() == [f"{v:.3g}" for v in raw["final_loss"]]
    assert (raw["steps_to_tol"] == -1).all() and shown[headers[3]].tolist() == [{"en": "never", "zh": "从未"}[lang]] * 3
    assert shown[headers[4]].tolist() == [t("sweep.status.running", lang)] * 3
    for column in headers[1:3]:  # three significant digits: at most three digits before any exponent
        assert all(len(re.sub(r"[^0-9]", "", v.split("e")[0]).lstrip("0")) <= 3 for v in shown[column]), shown[column]
    assert "-1" not in shown.to_string() and "sgd" not in shown[headers[0]].tolist()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_link_naming_only_a_lesson_loads_its_setting(lang):
    """``?ls=saddle-point`` opens the lesson's race (surface, start, steps, contestants, view), not
    the default Rosenbrock race under the lesson's text."""
    lesson = get_lesson("saddle-point")
    at = linked({"ls": lesson.id, "l": lang})
    assert_clean(at)
    setting = lesson.race_config(lang)
    assert choice(at, "selectbox", "lesson").value == lesson.id
    assert choice(at, "selectbox", "surface").value == setting.surface
    assert start_of(at) == setting.start and at.slider(key="steps").value == setting.steps
    assert [opt.name for opt in setting.optimizers] == [controls.optimizer_of(s) for s in at.multiselect(key="slots").value]
    assert [text.split(": ")[0] for _, text in run_statuses(at)] == [opt.label for opt in setting.optimizers]
    for opt in path_traces(race_spec(at)):
        assert opt.split(" · ")[0] in {o.label for o in setting.optimizers}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_newton_on_the_saddle_is_not_badged_converged(lang):
    """Newton stops at the ✕ saddle (0, 0) of the "Newton and saddles" lesson, where the Hessian diag(1, −1) is
    indefinite: its badge says so (above the view and in its sidebar group) and is not the green of a minimum."""
    at = linked({"ls": "newton-saddle", "l": lang})
    assert_clean(at)
    saddle = t("status.saddle", lang, step=4)  # the stop step, test_lessons derives it
    assert ("orange", f"Newton: {saddle}") in run_statuses(at)
    assert ("orange", saddle) in badges(at, at.sidebar)
    assert all(colour != "green" for colour, text in run_statuses(at) if text.startswith("Newton"))
    assert ("blue", "GD: " + t("status.running", lang, steps=100)) in run_statuses(at)


def test_a_link_that_carries_a_race_keeps_it_beside_its_lesson():
    """What a link says wins over its lesson's setting; only what it leaves out comes from the lesson."""
    at = linked({"ls": "saddle-point", "s": "ravine", "n": "120"})
    assert_clean(at)
    assert choice(at, "selectbox", "surface").value == "ravine" and at.slider(key="steps").value == 120
    lesson = get_lesson("saddle-point").config
    assert [controls.optimizer_of(s) for s in at.multiselect(key="slots").value] == [o.name for o in lesson.optimizers]


HOSTILE_TEXT = "Update at http://evil.example/pay"


def test_text_from_a_link_is_shown_as_plain_text():
    """A label and an ignored value from a link reach the page only as escaped text, never as Markdown
    (which would make ``http://…`` and ``www.…`` clickable links)."""
    at = linked({"o": "adam~sgd", "o1.lb": HOSTILE_TEXT, "o2.lr": "www.evil.example", "v": "inside"})
    assert not at.exception
    assert ("blue", f"{HOSTILE_TEXT}: {t('status.running', 'en', steps=500)}") in badges(at)
    (notice,) = plain_boxes(at, "warning")
    assert "www.evil.example" in notice
    assert any(HOSTILE_TEXT in text for text in plain_boxes(at, "note"))  # the explain caption
    markdown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not [text for text in markdown if "evil.example" in text], markdown



# ---------------------------------------------------------------------------------------- one path, one owner

@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSONS])
def test_a_lesson_and_its_link_load_the_same_controls(lesson_id):
    """Picking a lesson in the menu and opening its link (``?ls=ID``) go through the same load: the same
    value under every key the lesson sets, and the same link written back to the address bar."""
    expected = widget_values(lesson_state(lesson_id, "en"))
    from_menu = fresh()
    choice(from_menu, "selectbox", "lesson").set_value(lesson_id).run()
    from_link = linked({"ls": lesson_id})
    assert_clean(from_menu)
    assert_clean(from_link)
    menu, link = from_menu.session_state.to_dict(), from_link.session_state.to_dict()
    assert {key: menu[key] for key in expected} == {key: link[key] for key in expected}
    lesson_values = {key: value for key, value in expected.items() if key != SLOT_IDS}  # the menu offers more
    assert {key: menu[key] for key in lesson_values} == lesson_values
    assert from_menu.query_params == from_link.query_params and from_link.query_params["ls"] == lesson_id


def recorded_link_states() -> list[share.AppState]:
    """What the recorded links (tests/golden) decode to: every kind of value a link carries."""
    lessons = [lesson.id for lesson in LESSONS]
    return [share.decode(parse_qs(query, keep_blank_values=True), share.AppState(), lessons=lessons)[0]
            for query in LINKS]


@pytest.mark.parametrize("state", [lesson_state(lesson.id, lang) for lesson in LESSONS for lang in ("en", "zh")]
                         + recorded_link_states())
def test_widget_values_sit_on_the_widgets_and_read_back(state):
    """Every value a state puts on a control is one the control offers, and the controls read back as
    the state on the controls' notches: loading what they show changes nothing."""
    values = widget_values(state)
    slots = values[SLOTS]
    assert len(set(values[SLOT_IDS])) == len(values[SLOT_IDS]) and set(slots) <= set(values[SLOT_IDS])
    for slot in slots:
        for p in controls.hyperparameter_names(slot):
            assert values[f"{slot}.{p}"] in controls.LADDERS[p]
        assert values[f"{slot}.noise"] in controls.NOISE_CHOICES
        assert values[f"{slot}.schedule"] in schedules.KINDS
    surface = state.config.surface
    for p in PARAMETERS.get(surface, ()):
        value = values[f"sp.{surface}.{p.name}"]
        assert (value in controls.surface_ladder(p)) if p.log else p.low <= value <= p.high
    assert 10 <= values["steps"] <= 2000 and values["lesson"] == (state.lesson or "")
    shown = app_state(values)
    assert widget_values(shown, slots) == values
    labels = [opt.label for opt in share.canonical(state).config.optimizers]
    assert [opt.label for opt in shown.config.optimizers] == labels


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_lesson_reads_back_from_the_controls_as_it_is(lang):
    """A lesson's numbers are all notches of the controls, so its race survives the round trip exactly."""
    for lesson in LESSONS:
        state = lesson_state(lesson.id, lang)
        assert app_state(widget_values(state)) == share.canonical(state), lesson.id


SOURCES = [APP, *sorted((ROOT / "optviz").rglob("*.py")), *sorted((ROOT / "surfaces").rglob("*.py"))]


def test_only_the_state_module_touches_the_session():
    touching = [path.relative_to(ROOT).as_posix() for path in SOURCES if "session_state" in path.read_text("utf-8")]
    assert touching == ["optviz/app/state.py"]


def test_views_are_defined_once():
    """One tuple of view ids (optviz/views.py), which links, lessons and the app's view table all use."""
    files = [*SOURCES, *sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "benchmarks").rglob("*.py"))]
    definitions = [path.relative_to(ROOT).as_posix() for path in files
                   for line in path.read_text("utf-8").splitlines() if re.match(r"\s*VIEWS\s*(:[^=]*)?=[^=]", line)]
    assert definitions == ["optviz/views.py"]


def test_every_view_module_is_registered_under_its_id():
    modules = {info.name for info in pkgutil.iter_modules(views_package.__path__)}
    assert tuple(RENDERERS) == VIEWS
    assert {render.__module__ for render in RENDERERS.values()} == {f"optviz.app.views.{name}" for name in modules}
    assert {render.__name__ for render in RENDERERS.values()} == {"render"}


def test_app_py_is_a_thin_page():
    assert len(APP.read_text("utf-8").splitlines()) < 100


def test_every_literal_text_key_of_the_app_exists():
    used = {key for path in (ROOT / "optviz" / "app").rglob("*.py")
            for key in re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', path.read_text("utf-8"))}
    assert used and used - set(CATALOG) == set()


def test_theory_view_on_a_quadratic_and_elsewhere():
    """On the ravine (a quadratic) the theory view draws all five figures; on Rosenbrock only the two that
    need no closed form, and says why. Its button loads the range test's suggestion into SGD, on its notch."""
    at = linked({"s": "ravine", "o": "sgd~momentum", "v": "theory"})
    assert_clean(at)
    assert len([c for c in at.get("plotly_chart") if "theory" in c.proto.id]) == 5
    (button,) = [b for b in at.button if b.key == "use_range_lr"]
    button.click().run()
    assert_clean(at)
    surface = get_surface("ravine")
    suggested = range_test(surface, "sgd", surface.start).suggested_lr
    assert at.select_slider(key="sgd.lr").value == controls.snap("lr", suggested)
    assert at.get("segmented_control")[0].value == "theory"  # the view stays
    at = linked({"s": "rosenbrock", "v": "theory"})
    assert_clean(at)
    assert len([c for c in at.get("plotly_chart") if "theory" in c.proto.id]) == 2
    assert t("theory.quadratic_only", "en") in plain_boxes(at, "note")


# ---------------------------------------------------------------------------------------- phase diagram clicks

def select_points(at: AppTest, key: str, points: list[dict]) -> AppTest:
    """Click points of the Plotly chart keyed ``key`` as the browser reports it: the chart's widget state
    (JSON text) sent with the others, so its ``on_select`` callback runs (``at.session_state[key] = …``
    would set the value without calling back)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    states = WidgetStates()
    states.CopyFrom(at._tree.get_widget_states())
    state = states.widgets.add()
    state.id = chart.proto.id
    state.string_value = json.dumps({"selection": {"points": points, "point_indices": list(range(len(points))),
                                                   "box": [], "lasso": []}})
    return at._run(states)


def test_a_click_on_the_phase_diagram_loads_its_point_into_heavy_ball_on_the_nearest_notches():
    at = linked({"s": "ravine", "o": "sgd~momentum", "v": "theory"})
    assert_clean(at)
    sgd_lr = at.select_slider(key="sgd.lr").value
    select_points(at, "chart_theory_phase", [{"x": 0.0123, "y": 0.777, "curve_number": 3, "point_index": 7}])
    assert_clean(at)
    # nearest notches, found here from the ladders themselves: log distance for the lr, plain for β
    lr_ladder, beta_ladder = controls.LADDERS["lr"], controls.LADDERS["beta"]
    want_lr = min((v for v in lr_ladder if v > 0), key=lambda v: abs(np.log(v) - np.log(0.0123)))
    want_beta = min(beta_ladder, key=lambda v: abs(v - 0.777))
    assert at.select_slider(key="momentum.lr").value == want_lr
    assert at.select_slider(key="momentum.beta").value == want_beta
    assert at.select_slider(key="sgd.lr").value == sgd_lr  # only the heavy-ball contestant moves
    assert at.get("segmented_control")[0].value == "theory"  # the view stays
    hint = t("theory.phase.click_hint", "en", label="Momentum", lr=controls.format_number(want_lr),
             beta=controls.format_number(want_beta))
    assert hint in plain_boxes(at, "note")  # and says where its ● now is
    phase = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("chart_theory_phase"))
    marks = [tr for tr in json.loads(phase.proto.spec)["data"] if tr.get("name") == "Momentum"]
    assert len(marks) == 1  # the contestant's point is marked on the diagram


def test_the_phase_diagram_says_how_to_click_only_with_a_heavy_ball_contestant():
    at = linked({"s": "ravine", "o": "sgd~adam", "v": "theory"})
    assert_clean(at)
    assert t("theory.phase.no_target", "en") in plain_boxes(at, "note")
    select_points(at, "chart_theory_phase", [{"x": 0.0123, "y": 0.777}])  # no callback: nothing to load
    assert_clean(at)
    assert at.multiselect(key="slots").value == ["sgd", "adam"]


# ---------------------------------------------------------------------------------------- the grouped picker

def test_the_optimizer_picker_lists_every_optimizer_by_group_with_a_guide():
    from optviz.optimizers.base import GROUPS
    at = fresh()
    menu = at.multiselect(key="slots")
    assert menu.value == list(controls.DEFAULT_SLOTS)  # the value is still the slots, in race order
    groups = list(GROUPS)
    by_label = {}
    for slot in at.session_state[SLOT_IDS]:
        label = f"{DISPLAY_NAMES[slot]} · {t('picker.tag.' + SPECS[slot].group, 'en')}"
        by_label[label] = groups.index(SPECS[slot].group)
    assert sorted(menu.options) == sorted(by_label)  # every optimizer, labelled with its group's tag
    order = [by_label[label] for label in menu.options]
    assert order == sorted(order)  # one group after another, in the groups' order
    assert len(set(order)) >= 5  # thirty choices fall into the groups, not all into one
    guide = next(h.proto.body for h in at.get("html") if "optviz-guide" in h.proto.body)
    for group, heading in GROUPS.items():
        members = [spec for spec in SPECS.values() if spec.group == group]
        if members:
            assert html.escape(heading.en) in guide
        for spec in members:
            assert f"<b>{html.escape(spec.display_name)}</b>: {html.escape(spec.description.en)}" in guide
    menu.set_value(["adam", "sgd"]).run()  # choosing still works by slot, in the order chosen
    assert_clean(at)
    assert [run["name"] for run in race_spec(at)["data"]["runs"]] == ["Adam", "SGD"]


def test_the_grouped_picker_speaks_chinese():
    from optviz.optimizers.base import GROUPS
    at = fresh()
    at.radio(key="lang").set_value("zh").run()
    assert not problems(at), problems(at)
    # the page sends back the labels it shows: the switch must send it the chosen ones in the new labels, or
    # the English labels would come back and match no option (read before assert_clean, which runs again)
    menu = at.multiselect(key="slots")
    tags = [t(f"picker.tag.{SPECS[slot].group}", "zh") for slot in controls.DEFAULT_SLOTS]
    assert menu.proto.set_value and list(menu.proto.raw_values) == [
        f"{DISPLAY_NAMES[slot]} · {tag}" for slot, tag in zip(controls.DEFAULT_SLOTS, tags)]
    assert menu.value == list(controls.DEFAULT_SLOTS)
    assert_clean(at)
    options = at.multiselect(key="slots").options
    assert f"Adam · {t('picker.tag.adaptive', 'zh')}" in options and "Adam · adaptive" not in options
    guide = next(h.proto.body for h in at.get("html") if "optviz-guide" in h.proto.body)
    assert all(html.escape(heading.zh) in guide for group, heading in GROUPS.items()
               if any(spec.group == group for spec in SPECS.values()))
    assert html.escape(SPECS["adam"].description.zh) in guide


# ---------------------------------------------------------------------------------------- curvature glyphs

def set_component_state(at: AppTest, values: dict) -> AppTest:
    """The race component reporting its state (as the page does after a click in its bar)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    (component,) = at.get("bidi_component")
    states = WidgetStates()
    states.CopyFrom(at._tree.get_widget_states())
    state = states.widgets.add()
    state.id = component.proto.id
    state.json_value = json.dumps({"scrub": None, "watch": None, **values})
    return at._run(states)


def test_the_race_sends_the_hessians_eigenpairs_only_while_the_page_shows_the_glyphs():
    at = fresh()
    assert [run["eigen"] for run in race_spec(at)["data"]["runs"]] == [None] * 4
    set_component_state(at, {"curvature": True})
    spec = race_spec(at)
    assert spec["data"]["curvature"] is True
    # Rosenbrock at the start (−1.2, 1): H = [[2 − 400(y − x²) + 800x², −400x], [−400x, 200]] = [[1330, 480],
    # [480, 200]], so λ = 765 ∓ √(565² + 480²) and the eigenvector of the larger is (480, λ₁ − 1330)
    root = np.sqrt(565.0**2 + 480.0**2)
    lam = np.array([765.0 - root, 765.0 + root])
    top = np.array([480.0, lam[1] - 1330.0]) / np.hypot(480.0, lam[1] - 1330.0)
    for run in spec["data"]["runs"]:
        table = spec["decoded"][run["eigen"]].reshape(-1, 6).astype(float)
        assert table.shape == (spec["data"]["steps"] + 1, 6)
        np.testing.assert_allclose(table[0, :2], lam, rtol=1e-6)  # float32: 2⁻²⁴ ≈ 6e-8 relative, eigh ~1e-15
        assert abs(table[0, 4:6] @ top) == pytest.approx(1.0, abs=1e-6)  # up to sign
    set_component_state(at, {"curvature": False})
    assert [run["eigen"] for run in race_spec(at)["data"]["runs"]] == [None] * 4


def test_a_link_without_a_learning_rate_gets_the_one_tuned_for_its_surface():
    """``?s=rosenbrock&o=lion~adam&o2.lr=0.01``: Lion's rate is left out, so it is tuned for Rosenbrock at the
    link's start and steps (what adding Lion with the menu gives), not Lion's spec default 1e-4, which barely
    moves on that surface; Adam keeps the rate the link gives."""
    at = linked({"s": "rosenbrock", "o": "lion~adam", "o2.lr": "0.01"})
    assert not problems(at), problems(at)
    surface = get_surface("rosenbrock")
    tuned = controls.snap("lr", classroom_learning_rate(surface, "lion", surface.start, int(at.session_state["steps"])))
    assert at.session_state["lion.lr"] == tuned != SPECS["lion"].hyper("lr").default
    assert at.session_state["adam.lr"] == 0.01
