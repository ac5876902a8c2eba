"""The app's views, by id, in the order its view selector shows them.

The one list: links (``optviz.share``) check a ``v=`` value against it, lessons name one of
them, and ``optviz.app.views`` registers one module per id. No Streamlit here.
"""
VIEWS = ("race", "side", "3d", "loss", "inside", "theory", "table", "sweep", "ewa", "regression")
PLAYED = ("race", "side", "loss")  # drawn and played in the browser by the race component
