"""The app's side of the request budget: stop work nobody waits for, share the heavy work fairly, and say
what was reduced.

- **Cancellation.** Streamlit reruns a script by raising ``RerunException`` (and ends a closed
  session's run with ``StopException``) at its next yield point, which a long NumPy loop never
  reaches. The run's yield check (``get_run_yield_check``, what Streamlit's own cache waits poll)
  raises exactly those when a rerun superseded the run or its session closed. :func:`cancelled`
  asks it, keeps the request it raised, and answers True; the numerics then raise
  ``simulate.Cancelled``, and :func:`stoppable` hands Streamlit back its own request, which it
  handles quietly as always (the newer run starts; a closed session ends).
- **Fair sharing.** Work priced above ``budget.HEAVY_SECONDS`` runs only in one of
  ``HEAVY_WORKERS`` slots per process (:func:`heavy_slot`); everything lighter never waits, so a
  slider on a small race answers while sweeps queue. A queued request still stops when cancelled.
- **Notices.** :func:`budget_notice` says what the budget reduced and why, and offers the largest
  allowed setting as a button that puts it on the controls.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Callable

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from optviz import budget
from optviz.budget import Plan
from optviz.i18n import t
from optviz.simulate import Cancelled

HEAVY_WORKERS = 1  # heavy computations at once per process: on two cores, one stays free for light requests
SLOT_POLL_SECONDS = 0.05  # a queued request asks whether it is still wanted this often

_HEAVY = threading.BoundedSemaphore(HEAVY_WORKERS)


class _RunCheck:
    """Whether the script run that created it was superseded or its session closed; keeps Streamlit's request."""

    def __init__(self, yield_check: Callable[[], None] | None):
        self._yield_check = yield_check
        self.request: RerunException | StopException | None = None

    def __call__(self) -> bool:
        if self.request is not None:
            return True
        if self._yield_check is None:  # no script run (a bare call, a test): nothing can supersede it
            return False
        try:
            self._yield_check()
        except (RerunException, StopException) as request:
            self.request = request
            return True
        return False


_CHECK: contextvars.ContextVar[_RunCheck | None] = contextvars.ContextVar("optviz_run_check", default=None)


def cancelled() -> bool:
    """True once this script run was superseded by a rerun or its session closed (False outside :func:`stoppable`).

    Pass it as ``cancelled=`` to ``simulate``, ``sweep``, ``basin_map``, ``tuned_learning_rates``.
    """
    check = _CHECK.get()
    return check is not None and check()


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """Run a computation that may raise ``simulate.Cancelled``; turn it into Streamlit's own rerun or stop.

    Reentrant: an inner block shares the outer block's check, so one request is kept once.
    """
    if _CHECK.get() is not None:
        yield
        return
    check = _RunCheck(get_run_yield_check())
    token = _CHECK.set(check)
    try:
        yield
    except Cancelled:
        if check.request is not None:
            raise check.request from None
        st.stop()  # cancelled without a pending request: end this run quietly all the same
    finally:
        _CHECK.reset(token)


@contextlib.contextmanager
def heavy_slot(seconds: float) -> Iterator[None]:
    """Hold one of the process's heavy slots while work priced at ``seconds`` runs (none below HEAVY_SECONDS).

    Waiting, it asks :func:`cancelled` every SLOT_POLL_SECONDS and raises Cancelled if the run is gone.
    """
    if seconds <= budget.HEAVY_SECONDS:
        yield
        return
    while not _HEAVY.acquire(timeout=SLOT_POLL_SECONDS):
        if cancelled():
            raise Cancelled(0)
    try:
        yield
    finally:
        _HEAVY.release()


def in_heavy_slot(seconds: float, make: Callable[[], object]) -> object:
    """``make()`` holding a heavy slot when priced above HEAVY_SECONDS: for a download's callable, which Streamlit
    runs off the script thread (so nothing there can supersede it)."""
    with heavy_slot(seconds):
        return make()


def budget_notice(plan: Plan, what: str, setting: str, asked: dict, controls: dict[str, int], key: str,
                  message: str = "budget.reduced") -> None:
    """Say that ``what`` (``budget.what.<what>``) was reduced to stay within the budget: from the setting
    ``asked`` to the plan's (``setting`` is the catalog key that words one, filled from ``n`` and ``steps``),
    with a button that puts ``controls`` (widget key -> value) on screen. ``message`` "budget.refused_race"
    says that nothing was computed instead."""
    # state and widgets import the caches, which import this module: look them up when drawing.
    from optviz.app import state
    from optviz.app.widgets import plain_text

    lang = state.lang()
    allowed = t(setting, lang, n=plan.n, steps=plan.steps)
    plain_text(t(message, lang, what=t(f"budget.what.{what}", lang), asked=t(setting, lang, **asked), allowed=allowed,
                 asked_seconds=f"{plan.asked_seconds:.1f}", budget=f"{budget.REQUEST_SECONDS:g}"), tone="warning")
    st.button(t("budget.apply", lang, allowed=allowed), key=key, on_click=state.set_controls, args=(controls,))


def refusal(what: str, reason: str) -> None:
    """Say that ``what`` was refused: even its smallest setting costs more than the budget (``reason``)."""
    from optviz.app import state  # see budget_notice
    from optviz.app.widgets import plain_text

    lang = state.lang()
    plain_text(t("budget.refused", lang, what=t(f"budget.what.{what}", lang), reason=reason,
                 budget=f"{budget.REQUEST_SECONDS:g}"), tone="warning")
