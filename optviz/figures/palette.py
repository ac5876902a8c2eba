"""The colours every race picture shares: path colours, their casing, landmark marks.

Paths are Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"), told apart by people
with any common colour-vision deficiency. Each path is drawn as a *cased* line: a wide dark
stroke, a narrower light stroke on it, and the coloured core on top::

    map | CASING_DARK | CASING_LIGHT | core | CASING_LIGHT | CASING_DARK | map

Black and white cannot both be weak against one band: for a band of luminance L the better of
the two has contrast ``max(1.05 / (L + 0.05), (L + 0.05) / 0.05) >= sqrt(21) ≈ 4.58``, so a path
stands out at least 3:1 (WCAG's bar for graphics) on every band of any colour map.
"""
from __future__ import annotations

PATH_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
CASING_DARK = "#000000"
CASING_LIGHT = "#ffffff"
CASING = (CASING_DARK, CASING_LIGHT)  # outer stroke, inner stroke
MINIMUM_FILL, MINIMUM_EDGE = "#ffd700", "#000000"  # ★: gold with a black edge
SADDLE_CORE, SADDLE_CASING = "#000000", "#ffffff"  # ✕: black on a white casing
DIVERGED = "#d62728"  # the red ✕ where a run blew up


def path_color(run: int) -> str:
    """The colour of run ``run`` (cycles after ``len(PATH_COLORS)`` runs)."""
    return PATH_COLORS[run % len(PATH_COLORS)]


__all__ = ["CASING", "CASING_DARK", "CASING_LIGHT", "DIVERGED", "MINIMUM_EDGE", "MINIMUM_FILL", "PATH_COLORS",
           "SADDLE_CASING", "SADDLE_CORE", "path_color"]
