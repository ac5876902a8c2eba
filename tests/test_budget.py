"""The request budget (``optviz.budget``) and what the page says above it (``optviz.app.work``).

Invariants, not pasted numbers: a price grows with what is asked; the largest setting offered fits
the budget and the next notch of the same slider does not; a setting within the budget is run as
asked. The app tests lower the budget so that the default page crosses it, and check the words, the
button, and that the button puts a fitting setting on the controls.
"""
from __future__ import annotations

import html
import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from optviz import budget, controls
from optviz.budget import OverBudget, Plan
from optviz.i18n import t
from optviz.limits import APP_STEPS, BASIN_GRID, MAX_OPTIMIZERS, STEPS_NOTCH, SWEEP_RESOLUTION, SWEEP_STEPS
from surfaces import custom_surface, get_surface

from conftest import APP

ROSENBROCK = get_surface("rosenbrock")
# A typed surface whose programs make dozens of NumPy calls per step: the costly kind of surface.
TYPED = custom_surface("sin(x*y) + cos(x+y)**2 + exp(-(x**2+y**2)/3)*tanh(x-y) + log(1+x**2+y**2)*sin(3*x)")
SURFACES = [ROSENBROCK, TYPED]
SWEEP_NOTCH, GRID_NOTCH = 50, 10  # the sweep view's steps and points sliders move in these


def fits(seconds: float) -> bool:
    return seconds <= budget.REQUEST_SECONDS


# ------------------------------------------------------------------------------------------ prices


def test_a_race_costs_the_model_written_in_the_module():
    # Hand derivation from budget's docstring: a built-in surface makes no typed calls, so each of two
    # one-run SGD blocks pays STEP_OVERHEAD + RUN_STEP per step. Exact up to float rounding (1e-12 relative).
    expected = 100 * 2 * (budget.STEP_OVERHEAD + budget.RUN_STEP)
    assert budget.race_seconds(ROSENBROCK, ["sgd", "sgd"], 100) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("surface", SURFACES, ids=["builtin", "typed"])
def test_prices_grow_with_what_is_asked(surface):
    assert budget.grid_seconds(surface, "adam", 100, 200) < budget.grid_seconds(surface, "adam", 200, 200)
    assert budget.grid_seconds(surface, "adam", 100, 200) < budget.grid_seconds(surface, "adam", 100, 400)
    assert budget.race_seconds(surface, ["adam"], 500) < budget.race_seconds(surface, ["adam", "sgd"], 500)
    assert budget.tuning_seconds(surface, ["adam"], 500) < budget.tuning_seconds(surface, ["adam", "sgd"], 500)
    # an optimizer that needs the Hessian pays for it
    assert budget.grid_seconds(surface, "sgd", 100, 200) < budget.grid_seconds(surface, "newton", 100, 200)


def test_a_typed_surface_costs_more_than_a_built_in_one():
    calls, hessian_calls = budget.typed_calls(TYPED)
    assert calls > 0 and hessian_calls > 0
    assert budget.typed_calls(ROSENBROCK) == (0, 0)
    assert budget.grid_seconds(TYPED, "adam", 400, 100) > budget.grid_seconds(ROSENBROCK, "adam", 400, 100)


def test_chunks_pay_the_overhead_again():
    one_chunk = budget.CHUNK_RUNS
    two_chunks = budget.CHUNK_RUNS + 1
    per_run = budget.grid_seconds(ROSENBROCK, "sgd", one_chunk, 10) / one_chunk
    # one run more adds its own run-steps and a second chunk's per-step overhead
    extra = budget.grid_seconds(ROSENBROCK, "sgd", two_chunks, 10) - budget.grid_seconds(ROSENBROCK, "sgd", one_chunk, 10)
    assert extra > per_run


@pytest.mark.parametrize("call, bad", [
    (lambda: budget.race_seconds(ROSENBROCK, ["no-such-optimizer"], 10), "no-such-optimizer"),
    (lambda: budget.grid_seconds(ROSENBROCK, "sgd", 0, 10), "0"),
    (lambda: budget.grid_seconds(ROSENBROCK, "sgd", 10, 2.5), "2.5"),
    (lambda: budget.export_seconds("webm"), "webm"),
])
def test_bad_input_is_a_value_error_naming_it(call, bad):
    with pytest.raises(ValueError, match=re.escape(bad)):
        call()


def test_every_export_fits_the_budget():
    # downloads are bounded by design (a fixed number of frames each), so none needs a reduction
    assert all(fits(budget.export_seconds(kind)) for kind in budget.EXPORT_SECONDS)


# ------------------------------------------------------------------------------ the largest that fits


def check_plan(plan: Plan, asked_n: int, asked_steps: int) -> None:
    assert fits(plan.seconds)
    assert plan.n <= asked_n and plan.steps <= asked_steps
    if not plan.reduced:
        assert (plan.n, plan.steps) == (asked_n, asked_steps)


@pytest.mark.parametrize("surface", SURFACES, ids=["builtin", "typed"])
@pytest.mark.parametrize("n, steps", [(200, 2000), (150, 1000), (100, 500), (10, 50)])
def test_the_offered_sweep_fits_and_its_next_notch_does_not(surface, n, steps):
    plan = budget.largest_sweep(surface, "adam", n, steps)
    check_plan(plan, n, steps)
    assert plan.reduced == (not fits(budget.grid_seconds(surface, "adam", n * n, steps)))
    if not plan.reduced:
        return
    if plan.n == n:  # fewer steps at the asked resolution: one notch more steps is over
        assert not fits(budget.grid_seconds(surface, "adam", n * n, plan.steps + SWEEP_NOTCH))
    else:  # not even the fewest steps fit: the resolution came down, one notch more is over
        assert plan.steps == SWEEP_STEPS[0]
        assert not fits(budget.grid_seconds(surface, "adam", n * n, SWEEP_STEPS[0]))
        assert not fits(budget.grid_seconds(surface, "adam", (plan.n + GRID_NOTCH) ** 2, plan.steps))


@pytest.mark.parametrize("surface", SURFACES, ids=["builtin", "typed"])
@pytest.mark.parametrize("n, steps", [(101, 2000), (41, 500), (11, 50)])
def test_the_offered_basin_map_fits_and_its_next_notch_does_not(surface, n, steps):
    plan = budget.largest_basins(surface, "newton", n, steps)
    check_plan(plan, n, steps)
    if not plan.reduced:
        return
    if plan.steps == steps:  # fewer starts at the asked steps
        assert not fits(budget.grid_seconds(surface, "newton", (plan.n + GRID_NOTCH) ** 2, steps))
    else:  # not even 11 × 11 starts fit: the steps came down
        assert plan.n == BASIN_GRID[0]
        assert not fits(budget.grid_seconds(surface, "newton", plan.n ** 2, plan.steps + SWEEP_NOTCH))


@pytest.mark.parametrize("surface", SURFACES, ids=["builtin", "typed"])
def test_the_offered_tuning_and_race_fit_and_their_next_notch_does_not(surface):
    names = ["sgd", "momentum", "adam", "rmsprop", "adagrad", "nesterov", "adamw", "radam", "nadam", "amsgrad",
             "adamax", "lion"][:MAX_OPTIMIZERS]
    tuning = budget.largest_tuning(surface, names, SWEEP_STEPS[1])
    check_plan(tuning, len(names), SWEEP_STEPS[1])
    if tuning.reduced:
        assert not fits(budget.tuning_seconds(surface, names, tuning.steps + SWEEP_NOTCH))
    race = budget.largest_race(surface, names, APP_STEPS[1])
    check_plan(race, len(names), APP_STEPS[1])
    if race.reduced:
        assert not fits(budget.race_seconds(surface, names, race.steps + STEPS_NOTCH))


def test_a_lower_budget_reduces_and_names_what_it_cannot_fit(monkeypatch):
    smallest = budget.grid_seconds(ROSENBROCK, "adam", SWEEP_RESOLUTION[0] ** 2, SWEEP_STEPS[0])
    monkeypatch.setattr(budget, "REQUEST_SECONDS", smallest * 0.5)  # not even the smallest sweep fits
    with pytest.raises(OverBudget, match=r"10 × 10 sweep of 50 steps"):
        budget.largest_sweep(ROSENBROCK, "adam", 100, 500)
    monkeypatch.setattr(budget, "REQUEST_SECONDS", smallest * 1.5)  # only the smallest fits
    plan = budget.largest_sweep(ROSENBROCK, "adam", 100, 500)
    assert (plan.n, plan.steps, plan.reduced) == (SWEEP_RESOLUTION[0], SWEEP_STEPS[0], True)


# ------------------------------------------------------------------------------------------ the page


@pytest.fixture
def full_error_details():
    old = st.config.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    yield
    st.config.set_option("client.showErrorDetails", old)


PLAIN = re.compile(r'^<div class="optviz-plain" data-tone="(\w+)"[^>]*>(.*)</div>$', re.S)


def warnings(at: AppTest) -> list[str]:
    found = (PLAIN.match(h.proto.body) for h in at.get("html"))
    return [html.unescape(m.group(2)) for m in found if m and m.group(1) == "warning"]


def budget_buttons(at: AppTest) -> dict[str, object]:
    return {b.key: b for b in at.button if str(b.key).startswith("budget_")}


def test_a_race_above_the_budget_is_refused_with_the_steps_that_fit(monkeypatch, full_error_details):
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception
    steps = int(at.session_state["steps"])
    names = [controls.optimizer_of(slot) for slot in at.session_state["slots"]]
    # a budget the race on screen exceeds, yet one with half its steps fits
    monkeypatch.setattr(budget, "REQUEST_SECONDS", budget.race_seconds(ROSENBROCK, names, steps) * 0.6)
    at.run()
    assert not at.exception
    (said,) = warnings(at)
    plan = budget.largest_race(ROSENBROCK, names, steps)
    assert plan.reduced and f"{steps} steps" in said and f"{plan.steps} steps" in said
    assert "was not run" in said
    button = budget_buttons(at)["budget_race"]
    assert button.label == t("budget.apply", "en", allowed=t("budget.steps", "en", steps=plan.steps))
    button.click()
    at.run()
    assert not at.exception and not warnings(at) and not budget_buttons(at)
    assert at.session_state["steps"] == plan.steps
    assert fits(budget.race_seconds(ROSENBROCK, names, at.session_state["steps"]))


def test_a_sweep_above_the_budget_shows_the_largest_that_fits_in_both_languages(monkeypatch, full_error_details):
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.session_state["view"] = "sweep"
    at.session_state["lang"] = "zh"
    # the default page's sweep (100 × 100 cells, 500 steps) is over; the race and the rest stay within
    monkeypatch.setattr(budget, "REQUEST_SECONDS", budget.grid_seconds(ROSENBROCK, "adam", 100 * 100, 500) / 4)
    at.run()
    assert not at.exception
    said = warnings(at)
    assert any("超参数扫描" in text and "100 × 100" in text for text in said), said
    buttons = budget_buttons(at)
    assert "budget_sweep" in buttons
    buttons["budget_sweep"].click()
    at.run()
    assert not at.exception
    n, steps = at.session_state["sweep_n"], at.session_state["sweep_steps"]
    assert (n, steps) != (100, 500)
    assert "budget_sweep" not in budget_buttons(at)  # what is on the sliders now fits

