"""OptViz in the browser: pick a loss surface and some optimizers, and watch them race.

The entry point (``streamlit run app.py``): the page config, then the page. The app state and
every change to it live in ``optviz.app.state``, the controls in ``optviz.app.sidebar``, the main
area in ``optviz.app.main_area`` and each view is a module of ``optviz.app.views``.

The main area is drawn before the sidebar: the race is read from the controls' values (which the
session holds before any control is drawn), so the map's data is the first message of a rerun
and the page redraws it while the sidebar's controls are still being sent.
"""
from __future__ import annotations

import streamlit as st

from optviz.app import header, main_area, sidebar, state

st.set_page_config(page_title="OptViz", page_icon="📉", layout="wide")
state.start_session()
L = state.lang()
presenting = state.presenting()
header.page_style(presenting)
if not presenting:
    header.title(L)
notices = st.container()
config = state.race()
traj = main_area.render(config, L)
badge_spots = sidebar.render()
state.check_drawn(config)
state.write_link(config)
with notices:
    header.link_notices(state.pop_link_notices(), L)
if traj is not None:
    header.sidebar_badges(traj, badge_spots, L)
