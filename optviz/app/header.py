"""What frames every view: the page's style, the title, the link's ignored values, the lesson's card
and the status badges."""
from __future__ import annotations

import streamlit as st

from optviz.app.widget_values import PRESENT
from optviz.app.widgets import plain_badge, plain_text
from optviz.i18n import status_text, t
from optviz.classroom.catalog import get_lesson
from optviz.trajectory import STATUS_COLORS


# Room for the map: Streamlit's default top padding (6rem) and h1 would push it below the fold at 1280×720.
PAGE_STYLE = """<style>
.block-container { padding-top: 3rem !important; padding-bottom: 1rem !important; }
[data-testid="stHeading"] h1 { font-size: 1.45rem !important; margin: 0; padding: 0 0 .3rem 0 !important;
  line-height: 1.2 !important; }
[class*="st-key-lesson_card"] { padding: .4rem .8rem !important; gap: .3rem !important; }
[class*="st-key-lesson_card"] p { margin-bottom: 0; }
.st-key-surface_formula [data-testid="stMarkdownContainer"] { overflow-x: auto; }  /* one term wider than the sidebar */
[class*="st-key-lesson_card"] [data-testid="stExpander"] { margin-top: .35rem; }
@media (max-width: 640px) {  /* a phone: the map first, then what explains it */
  .block-container { padding-top: 3.6rem !important; }
  [data-testid="stHeading"] h1 { font-size: 1.05rem !important; }
  /* a keyed container sits in a wrapper of its own: the wrapper is what the main column orders. Under the map
     (the race's views); above a view of several charts ("lesson_card_top"), whose first would push it far down */
  .st-key-arrows { order: 9; } div:has(> .st-key-lesson_card) { order: 10; }
  .st-key-present, div:has(> .st-key-downloads) { order: 11; }
}
</style>"""
PRESENTER_STYLE = """<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
div[data-testid="stExpandSidebarButton"], .st-key-downloads { display: none !important; }
.block-container { padding-left: 1.5rem !important; padding-right: 1.5rem !important; max-width: 100% !important; }
</style>"""


def page_style(presenting: bool) -> None:
    st.html(PAGE_STYLE + (PRESENTER_STYLE if presenting else ""))


def title(lang: str) -> None:
    st.title(t("app.title", lang), anchor=False)


def link_notices(notices: list[str], lang: str) -> None:
    if notices:
        plain_text("\n".join([t("app.link_ignored", lang), *(f"• {text}" for text in notices)]), tone="warning")


def lesson_card(lesson_id: str | None, lang: str, *, under_the_map_on_a_phone: bool = True) -> None:
    """The lesson's title and what to look at, above the map; the explanation and question one click away.
    On a phone it moves under the map, unless the view is one of several charts (then it stays on top)."""
    if not lesson_id:
        return
    lesson = get_lesson(lesson_id)
    with st.container(border=True, key="lesson_card" if under_the_map_on_a_phone else "lesson_card_top"):
        st.markdown(f"**{lesson.title[lang]}** — **{t('lesson.look_for', lang)}:** {lesson.look_for[lang]}")
        with st.expander(t("lesson.more", lang)):
            st.markdown(lesson.explanation[lang])
            st.markdown(f"**{t('lesson.question', lang)}:** {lesson.question[lang]}")


def lesson_title(lesson_id: str | None, lang: str) -> str | None:
    return get_lesson(lesson_id).title[lang] if lesson_id else None


def presenter_toggle(lang: str) -> None:
    st.toggle(t("app.present", lang), key=PRESENT, help=t("app.present_help", lang))


def status_row(traj, lang: str) -> None:
    """Each run's status in a row above a view the race component does not draw ("Adam: converged")."""
    for run, column in enumerate(st.columns(max(traj.runs, 1))):
        with column:
            plain_badge(f"{traj.labels[run]}: {status_text(traj, run, lang)}", STATUS_COLORS[str(traj.status[run])])


def sidebar_badges(traj, badge_spots, lang: str) -> None:
    """Each run's status inside its group of controls."""
    for run, spot in enumerate(badge_spots[:traj.runs]):
        with spot.container():
            plain_badge(status_text(traj, run, lang), STATUS_COLORS[str(traj.status[run])])
