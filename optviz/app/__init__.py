"""The Streamlit app behind ``app.py``: the state owner, the sidebar, the views and their caches.

- ``state``: the one module that reads and writes the session's state; every load of a race
  (a link, a lesson, a button) goes through ``state.load``;
- ``widget_values``: which session key holds what, and the values an app state puts there;
- ``caches``: the expensive work, as pure functions of hashable arguments;
- ``sidebar``, ``header``, ``explain_panel``, ``widgets``: what the page is made of;
- ``views``: one module per view, registered in ``views.RENDERERS``.

The numerics elsewhere in ``optviz`` never import Streamlit; this package is where it lives.
"""
