"""What sits above every view: the link's ignored values, the lesson's card and the status badges."""
from __future__ import annotations

import streamlit as st

from optviz.app.widgets import plain_badge, plain_text
from optviz.i18n import status_text, t
from optviz.classroom.lessons import get_lesson
from optviz.trajectory import STATUS_COLORS


def link_notices(notices: list[str], lang: str) -> None:
    if notices:
        plain_text("\n".join([t("app.link_ignored", lang), *(f"• {text}" for text in notices)]), tone="warning")


def lesson_card(lesson_id: str | None, lang: str) -> None:
    if not lesson_id:
        return
    lesson = get_lesson(lesson_id)
    with st.container(border=True):
        st.markdown(f"**{lesson.title[lang]}** — {lesson.explanation[lang]}")
        left, right = st.columns(2)
        left.markdown(f"**{t('lesson.question', lang)}:** {lesson.question[lang]}")
        right.markdown(f"**{t('lesson.look_for', lang)}:** {lesson.look_for[lang]}")


def status_badges(traj, badge_spots, lang: str) -> None:
    """Each run's status: in a row above the view ("Adam: converged"), and in its sidebar group."""
    columns = st.columns(max(traj.runs, 1))
    for run, column in enumerate(columns):
        color = STATUS_COLORS[str(traj.status[run])]
        with column:
            plain_badge(f"{traj.labels[run]}: {status_text(traj, run, lang)}", color)
        with badge_spots[run].container():
            plain_badge(status_text(traj, run, lang), color)
