"""Small widgets shared by the sidebar and the views: language-safe choices, plain text and badges,
and the download buttons."""
from __future__ import annotations

import functools
import html

import streamlit as st

from optviz import budget
from optviz.app import state, work
from optviz.figures.export import frame_png, race_gif, race_mp4, standalone_html, trajectories_csv
from optviz.i18n import t
from optviz.figures.race import race_figure

PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
BADGE_STYLES = {"blue": "background:#e0ecff;color:#0b3d91", "green": "background:#dcf5e3;color:#0d5124",
                "red": "background:#fde2e2;color:#8a1010",
                "orange": "background:#ffe8cc;color:#6b3300"}  # text at 7:1 or more against its ground
TONES = {"note": "font-size:0.875rem;color:#31333f", "warning": "padding:0.75rem 1rem;background:#fff4d6;color:#4d3800",
         "error": "padding:0.75rem 1rem;background:#fde2e2;color:#7a0b0b"}


def choice(widget, label: str, options, key: str, format_func, on_change=None, default=None, **kwargs):
    """A selectbox or radio whose shown labels can change (language, contestants' names); returns the option.

    Streamlit sends a choice back as its shown label, so after a language switch the browser would
    answer with a label of the old language, which no option has: Streamlit then hands back the bare
    label as the value. So the widget is keyed by its labels and the chosen option (an id, never a
    label) lives under ``key`` (see ``state.settle_choice``).
    """
    options = list(options)
    widget_key, chosen = state.settle_choice(key, options, [str(format_func(o)) for o in options], default)
    widget(label, options, key=widget_key, format_func=format_func, on_change=state.store_choice,
           args=(key, widget_key, on_change), **kwargs)
    return chosen


def plain_text(text: str, tone: str = "note") -> None:
    """Text shown exactly as written: labels, formulas and values from a link never become links or markup.

    Markdown (``st.caption``, ``st.badge``, ``st.error``) auto-links ``www.`` and ``http://`` text
    even when its punctuation is escaped, so such text goes out as escaped HTML instead.
    """
    st.html(f'<div class="optviz-plain" data-tone="{tone}" style="white-space:pre-wrap;border-radius:0.5rem;'
            f'{TONES[tone]}">'
            f"{html.escape(text)}</div>")


def plain_badge(text: str, color: str) -> None:
    """``st.badge``'s look, with the text as plain text (see :func:`plain_text`)."""
    st.html(f'<span class="optviz-badge" data-color="{color}" style="display:inline-block;padding:0.1rem 0.5rem;'
            f'border-radius:0.5rem;font-size:0.875rem;font-weight:600;{BADGE_STYLES[color]}">'
            f"{html.escape(text)}</span>")


def export_buttons(traj, lang: str, lesson_title: str | None = None) -> None:
    """Downloads, generated only when clicked (Streamlit runs the callable then, off the script thread):
    slides titled with the surface (and the lesson). Presenter mode hides them (``st-key-downloads``)."""
    name = f"optviz-{traj.surface.name}"
    files = (("png", "image/png", functools.partial(frame_png, traj, lang=lang, lesson_title=lesson_title), "png"),
             ("png2x", "image/png", functools.partial(frame_png, traj, lang=lang, lesson_title=lesson_title, scale=2),
              "png"),
             ("gif", "image/gif", functools.partial(race_gif, traj, lang=lang, lesson_title=lesson_title), "gif"),
             ("mp4", "video/mp4", functools.partial(race_mp4, traj, lang=lang, lesson_title=lesson_title), "mp4"),
             ("html", "text/html", lambda: standalone_html(race_figure(traj, lang=lang)), "html"),
             ("csv", "text/csv", functools.partial(trajectories_csv, traj), "csv"))
    for column, (kind, mime, make, suffix) in zip(st.container(key="downloads").columns(len(files)), files):
        in_slot = functools.partial(work.in_heavy_slot, budget.export_seconds(kind), make)  # an MP4 is heavy
        column.download_button(t(f"export.{kind}", lang), in_slot, file_name=f"{name}{'-4k' if kind == 'png2x' else ''}.{suffix}",
                               mime=mime, key=f"dl_{kind}", help=t(f"export.{kind}_help", lang), width="stretch")
