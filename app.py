"""OptViz in the browser: pick a loss surface and some optimizers, and watch them race.

The entry point (``streamlit run app.py``): the page config, then the page. The app state and
every change to it live in ``optviz.app.state``, the controls in ``optviz.app.sidebar``, and
each view is a module of ``optviz.app.views``.
"""
from __future__ import annotations

import streamlit as st

from optviz.app import header, sidebar, state
from optviz.app.caches import cached_race
from optviz.app.views import RENDERERS
from optviz.app.widget_values import VIEW
from optviz.app.widgets import export_buttons, plain_text
from optviz.i18n import t
from optviz.race import validate
from optviz.views import VIEWS

st.set_page_config(page_title="OptViz", page_icon="📉", layout="wide")
state.start_session()
config, badge_spots = sidebar.render()
state.write_link(config)
L = state.lang()
st.title(t("app.title", L))
header.link_notices(state.pop_link_notices(), L)
if not config.optimizers:
    st.info(t("app.no_optimizer", L))
    st.stop()
try:
    validate(config)
except ValueError as error:
    plain_text(t("app.error", L, message=error), tone="error")
    st.stop()
traj = cached_race(config)
export_buttons(traj, L)
header.lesson_card(state.lesson(), L)
header.status_badges(traj, badge_spots, L)
st.segmented_control("view", VIEWS, key=VIEW, format_func=lambda v: t(f"view.{v}", L), on_change=state.keep_a_view,
                     label_visibility="collapsed")
RENDERERS[state.view()](config, traj, L)
