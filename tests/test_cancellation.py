"""Work nobody waits for stops: ``cancelled`` in the numerics, and the app's side (``optviz.app.work``).

The numerics ask ``cancelled()`` before the first step and then once per chunk of steps
(``simulate.CHECK_SECONDS`` of clock); the tests set the chunk to zero seconds, so it is asked before
every step, and count: a computation cancelled at its k-th question has done exactly k - 1 steps (or
chunks of runs) and returns nothing. No test reads a wall clock; ``benchmarks/bench_heavy.py`` prints
the times.
"""
from __future__ import annotations

import importlib
import threading
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest

from optviz.app import work
from optviz.optimizers import make_optimizer
from optviz.simulate import Cancelled, simulate, simulate_finals
from optviz.sweep import basin_map, sweep, tuned_learning_rates
from surfaces import get_surface

from conftest import APP

ROSENBROCK = get_surface("rosenbrock")
# The modules, not the functions of the same names that the optviz package exports.
simulate_module, sweep_module = importlib.import_module("optviz.simulate"), importlib.import_module("optviz.sweep")


class AfterQuestions:
    """``cancelled`` that says True from its ``k``-th question on, counting the questions."""

    def __init__(self, k: int):
        self.k, self.asked = k, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked >= self.k


@pytest.fixture
def every_step(monkeypatch):
    """Ask ``cancelled`` before every step: a chunk of zero seconds."""
    monkeypatch.setattr(simulate_module, "CHECK_SECONDS", 0.0)


def test_simulate_stops_at_the_question_that_says_so(every_step):
    question = AfterQuestions(5)
    with pytest.raises(Cancelled) as stopped:
        simulate(ROSENBROCK, make_optimizer("adam", lr=1e-3), (-1.2, 1.0), 100_000, tol=0, cancelled=question)
    assert question.asked == 5
    assert stopped.value.steps_done == 4  # asked before steps 1..5: the fifth question comes after four steps


def test_simulate_finals_stops_before_its_first_step_when_already_cancelled():
    # the first question comes before any step, whatever the chunk
    with pytest.raises(Cancelled) as stopped:
        simulate_finals(ROSENBROCK, make_optimizer("sgd", lr=np.full(1000, 1e-4)), (-1.2, 1.0), 10**6, tol=0,
                        cancelled=lambda: True)
    assert stopped.value.steps_done == 0


def test_a_chunk_of_steps_asks_once(monkeypatch):
    # A clock that advances 1 ms per reading (the loop reads it once per step): with CHECK_SECONDS = 0.02,
    # questions come before steps 1, 21, 41, 61 and 81 of 100, five in all, and the cost of asking is paid
    # once per chunk, not per step.
    readings = iter(range(10**6))
    monkeypatch.setattr(simulate_module, "time", SimpleNamespace(monotonic=lambda: next(readings) * 1e-3))
    question = AfterQuestions(10**9)
    simulate(ROSENBROCK, make_optimizer("sgd", lr=1e-4), (-1.2, 1.0), 100, tol=0, cancelled=question)
    assert question.asked == 100 // round(simulate_module.CHECK_SECONDS / 1e-3)


def test_asking_changes_nothing(every_step):
    plain = simulate(ROSENBROCK, [make_optimizer("adam", lr=1e-2), make_optimizer("sgd", lr=1e-3)], (-1.2, 1.0), 300)
    asked = simulate(ROSENBROCK, [make_optimizer("adam", lr=1e-2), make_optimizer("sgd", lr=1e-3)], (-1.2, 1.0), 300,
                     cancelled=lambda: False)
    # the same arithmetic in the same order: equal bit for bit
    np.testing.assert_array_equal(plain.positions, asked.positions)
    np.testing.assert_array_equal(plain.loss, asked.loss)
    assert list(plain.status) == list(asked.status)


def test_a_sweep_stops_between_its_chunks_of_runs(monkeypatch):
    # 400 cells in chunks of 100 runs: four simulate_finals calls; each chunk is asked before it starts
    # (and inside, where the chunk of steps is longer than these runs take). Cancelled on the 3rd
    # question: at most two chunks ran.
    monkeypatch.setattr(sweep_module, "WORK_BUDGET", 100 * sweep_module.WORK_BYTES)
    calls = []
    real = sweep_module.simulate_finals
    monkeypatch.setattr(sweep_module, "simulate_finals", lambda *a, **k: calls.append(1) or real(*a, **k))
    question = AfterQuestions(3)
    with pytest.raises(Cancelled):
        sweep(ROSENBROCK, "adam", "lr:1e-4:1e-1:20:log", "beta1:0:0.9:20", steps=20, cancelled=question)
    assert question.asked == 3 and len(calls) <= 2


def test_a_basin_map_and_the_tuning_stop_too(every_step):
    with pytest.raises(Cancelled) as stopped:
        basin_map(ROSENBROCK, "sgd", 21, 10_000, lr=1e-4, tol=0, cancelled=AfterQuestions(4))
    assert stopped.value.steps_done == 2  # the chunk's question, then three before steps 1, 2, 3
    with pytest.raises(Cancelled):
        tuned_learning_rates(ROSENBROCK, ["sgd", "adam"], steps=100, cancelled=AfterQuestions(1))


def test_a_computation_in_another_thread_stops_when_its_session_closes(every_step):
    # The app's situation: the work runs on the script thread, the server thread closes the session. Here the
    # work waits (inside its first question) until the other thread has closed it, so the order is certain.
    closed = threading.Event()
    outcome = {}

    def session_open() -> bool:
        closed.wait()
        return False

    question = iter([session_open])

    def cancelled() -> bool:
        return next(question, closed.is_set)()

    def work_thread():
        try:
            simulate_finals(ROSENBROCK, make_optimizer("adam", lr=np.full(100, 1e-3)), (-1.2, 1.0), 10**6, tol=0,
                            cancelled=cancelled)
        except Cancelled as stop:
            outcome["steps_done"] = stop.steps_done

    worker = threading.Thread(target=work_thread)
    worker.start()
    closed.set()
    worker.join()
    assert outcome == {"steps_done": 1}  # one step after the question that waited, stopped at the next


# ------------------------------------------------------------------------------------------ the app side


def test_the_run_check_keeps_streamlits_request():
    requests = [None, None, RerunException(RerunData()), None]

    def yield_check():
        request = requests.pop(0)
        if request is not None:
            raise request

    check = work._RunCheck(yield_check)
    assert [check(), check()] == [False, False]
    assert check() is True and isinstance(check.request, RerunException)
    assert check() is True  # asked again, it stays cancelled without asking Streamlit
    assert requests == [None]


def test_without_a_script_run_nothing_is_cancelled():
    assert work._RunCheck(None)() is False
    assert work.cancelled() is False  # outside stoppable()


def test_a_waiting_heavy_request_leaves_when_cancelled(monkeypatch):
    monkeypatch.setattr(work, "_HEAVY", threading.BoundedSemaphore(1))
    monkeypatch.setattr(work, "SLOT_POLL_SECONDS", 0.001)
    monkeypatch.setattr(work, "cancelled", AfterQuestions(3))
    with work.heavy_slot(work.budget.HEAVY_SECONDS * 10):  # holds the only slot
        with pytest.raises(Cancelled):
            with work.heavy_slot(work.budget.HEAVY_SECONDS * 10):
                pytest.fail("a second heavy request got the only slot")
    with work.heavy_slot(work.budget.HEAVY_SECONDS / 2):  # light work never waits, whatever is held
        pass


@pytest.fixture
def full_error_details():
    old = st.config.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    yield
    st.config.set_option("client.showErrorDetails", old)


def test_the_app_stops_a_sweep_quietly_when_its_session_closes(monkeypatch, full_error_details):
    """The session closes while the sweep view computes: the run ends as Streamlit ends a stopped run,
    with no exception on the page and no sweep drawn."""
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception
    asked = []

    def closing_session():
        """Streamlit's yield check once the session closed: StopException, from the sweep's questions on."""
        def check():
            asked.append(1)
            if len(asked) >= 2:
                raise StopException()
        return check

    monkeypatch.setattr(work, "get_run_yield_check", closing_session)
    monkeypatch.setattr(simulate_module, "CHECK_SECONDS", 0.0)
    at.session_state["view"] = "sweep"
    at.session_state["sweep_steps"] = 2000  # never finishes within these questions
    at.run()
    assert not at.exception
    assert len(asked) >= 2
    assert not [chart for chart in at.get("plotly_chart") if "sweep" in str(chart.proto.id)]


def test_a_cancelled_that_is_no_function_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="True"):
        simulate(ROSENBROCK, make_optimizer("sgd"), (-1.2, 1.0), 10, cancelled=True)


def test_a_download_made_in_a_heavy_slot_returns_what_it_makes(monkeypatch):
    monkeypatch.setattr(work, "_HEAVY", threading.BoundedSemaphore(1))
    assert work.in_heavy_slot(work.budget.HEAVY_SECONDS * 10, lambda: b"frames") == b"frames"
    assert work._HEAVY.acquire(blocking=False)  # the slot was given back
