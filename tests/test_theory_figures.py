"""The theory figures: every text from the catalog in both languages, and the drawn numbers the modules' own."""
import re
import string

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.i18n import t

from optviz.classroom import rates
from optviz.classroom.curvature import sharpness_series
from optviz.classroom.phase_diagram import phase_diagram
from optviz.classroom.range_test import range_test
from optviz.classroom.theory_lessons import get_theory_lesson
from optviz.figures import theory as F
from optviz.i18n_theory import THEORY_TEXTS
from optviz.race import run_race

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalog_is_bilingual_with_matching_fields():
    from optviz.i18n_catalog import TEXTS
    for key, entry in THEORY_TEXTS.items():
        # its own namespaces (the theory view, the race map's curvature glyphs, the optimizer picker), and
        # no key of the main catalog: merged into it, a duplicate would silently replace the other's text
        assert set(entry) == {"en", "zh"} and key.startswith(("theory.", "race.curvature", "picker.")), key
        assert key not in TEXTS, key
        assert _fields(entry["en"]) == _fields(entry["zh"]), key
        assert not CJK.search(entry["en"]), key


def _race(lesson_id):
    lesson = get_theory_lesson(lesson_id)
    return lesson, run_race(lesson.config)


def _figures(lang):
    lesson, traj = _race("optimal-momentum")
    quad = rates.quadratic_of(traj.surface)
    diagram = phase_diagram(quad, np.geomspace(1e-3, 0.1, 30), np.linspace(0, 0.99, 30))
    return {
        "eos": F.stability_figure(sharpness_series(traj, lesson.config.optimizers), lang),
        "pred": F.prediction_figure(traj, lesson.config.optimizers, lang),
        "phase": F.phase_figure(diagram, lang, [("Momentum", 0.032, 0.7)]),
        "eigen": F.eigen_loss_figure(traj, 1, lang),
        "range": F.range_test_figure(range_test(traj.surface, "sgd", lesson.config.start), lang),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_figure_builds_with_titles_in_its_language(lang):
    for name, fig in _figures(lang).items():
        assert isinstance(fig, go.Figure) and fig.data, name
        title = fig.layout.title.text
        assert bool(CJK.search(title)) == (lang == "zh"), (name, title)
        label = get_theory_lesson("optimal-momentum").config.optimizers[1].label
        expected = {"eos": t("theory.eos.title", lang), "pred": t("theory.pred.title", lang),
                    "phase": t("theory.phase.title", lang), "eigen": t("theory.eigen.title", lang, label=label),
                    "range": t("theory.range.title", lang)}
        assert title == expected[name]


def test_stability_figure_draws_the_limit_two_over_lr():
    lesson, traj = _race("stability-edge")
    fig = F.stability_figure(sharpness_series(traj, lesson.config.optimizers))
    limits = [tr for tr in fig.data if tr.line is not None and tr.line.dash == "dash"]
    np.testing.assert_allclose([np.asarray(tr.y)[0] for tr in limits], [2 / 0.05, 2 / 0.063], rtol=1e-14)
    crossings = [tr for tr in fig.data if tr.mode == "markers"]
    assert len(crossings) == 1 and list(crossings[0].x) == [0]  # only lr 0.063 crosses, from the start


def test_phase_figure_marks_the_optimum_and_the_contestant():
    quad = rates.quadratic_of(get_theory_lesson("optimal-momentum").config.build_surface())
    diagram = phase_diagram(quad, np.geomspace(1e-3, 0.1, 20), np.linspace(0, 0.99, 20))
    fig = F.phase_figure(diagram, "en", [("me", 0.032, 0.7)])
    stars = [tr for tr in fig.data if tr.type == "scatter" and tr.marker.symbol == "star"]
    assert (stars[0].x[0], stars[0].y[0]) == pytest.approx((4 / 121, (9 / 11) ** 2))
    assert fig.data[-1].name == "me" and (fig.data[-1].x[0], fig.data[-1].y[0]) == (0.032, 0.7)
    assert fig.layout.xaxis.type == "log"


def test_range_figure_marks_the_suggestion():
    lesson, traj = _race("range-test")
    result = range_test(traj.surface, "sgd", lesson.config.start)
    fig = F.range_test_figure(result, "zh")
    assert fig.layout.shapes[0].x0 == pytest.approx(result.suggested_lr)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"


def test_phase_figure_has_a_clickable_marker_on_every_cell():
    """Plotly reports clicks on scatter points only: one invisible marker per (η, β) cell, carrying its rate."""
    quad = rates.quadratic_of(get_theory_lesson("optimal-momentum").config.build_surface())
    lrs, betas = np.geomspace(1e-3, 0.1, 20), np.linspace(0, 0.99, 15)
    diagram = phase_diagram(quad, lrs, betas)
    (grid,) = [tr for tr in F.phase_figure(diagram, "en").data if tr.name == F.PHASE_PICK]
    assert grid.marker.opacity == 0 and grid.showlegend is False
    L, B = np.meshgrid(lrs, betas)
    np.testing.assert_array_equal(grid.x, L.ravel())
    np.testing.assert_array_equal(grid.y, B.ravel())
    np.testing.assert_array_equal(grid.customdata, diagram.rate.ravel())  # the hover's rate is the cell's own


def test_every_picker_group_has_a_short_tag_in_both_languages():
    from optviz.optimizers.base import GROUPS
    for group in GROUPS:
        tag = THEORY_TEXTS[f"picker.tag.{group}"]
        assert 0 < len(tag["en"]) <= 14 and 0 < len(tag["zh"]) <= 4, tag  # short enough for a chip on a phone


# ------------------------------------------------------------------ the phase diagram's frame on a phone
# Measured in the app on a 390 × 844 phone (a 358 px wide chart): the upright colour bar with its title and
# labels took 72 px beside the plot, leaving the plot 197 of 358 px; the y axis' title and labels need 75 px
# and the right margin 10, so a plot with nothing beside it gets 273 px. The layout can only show this
# structurally here; tests/test_phase_diagram_layout.py measures the pixels in the browser.

def _phase(lang="en"):
    quad = rates.quadratic_of(get_theory_lesson("optimal-momentum").config.build_surface())
    diagram = phase_diagram(quad, np.geomspace(1e-3, 0.1, 20), np.linspace(0, 0.99, 20))
    return F.phase_figure(diagram, lang, [("SGD", 0.01, 0.0), ("Momentum", 0.032, 0.7)])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phase_colour_bar_lies_across_the_plot_between_title_and_plot(lang):
    fig = _phase(lang)
    (rate_map,) = [tr for tr in fig.data if tr.type == "heatmap" and tr.showscale is not False]
    bar = rate_map.colorbar
    # horizontal, from the plot's left edge over its whole width: it takes no width beside the plot
    assert bar.orientation == "h" and (bar.x, bar.xanchor, bar.len, bar.lenmode) == (0, "left", 1, "fraction")
    assert bar.title.text == t("theory.phase.rate", lang)
    # placed in pixels from the figure's top (a fixed height makes the container's fraction a pixel count):
    # below the figure's title, which starts pad.t = 34 px down and is one line of about 20 px, and with the
    # bar's box (bar, labels, its title: 55 to 64 px measured at the three screen sizes) inside the top margin
    height, top = fig.layout.height, fig.layout.margin.t
    assert bar.yref == "container" and bar.yanchor == "top"
    bar_top = (1 - bar.y) * height  # exact up to float rounding of y: compare with half a pixel's slack
    assert fig.layout.title.pad.t + 20 <= bar_top + 0.5 and bar_top + 64 <= top + 0.5


def test_phase_legend_hangs_from_the_figure_bottom():
    fig = _phase()
    # anchored to the figure's bottom edge, the legend's rows are reserved below the x axis' title by Plotly,
    # however many rows a narrow screen wraps it into; y = -0.2 of the plot left too little when the plot is short
    assert (fig.layout.legend.yref, fig.layout.legend.y, fig.layout.legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.legend.orientation == "h"

