"""The momentum phase diagram on a 390 × 844 phone, in a real Chromium: the plot gets the width, its colour
bar and legend keep out of it, and a click still loads a cell's (η, β).

Geometry comes from the live Plotly figure's own elements (the heatmap subplot's drag rectangle ``.xy
.nsewdrag``, the ``.main-svg``, ``.colorbar``, ``.legend``, the titles), in CSS pixels. Screenshots land in
tests/artifacts/phase-diagram-phone-<lang>.png.
"""
from __future__ import annotations

import math
from functools import partial

import pytest

from optviz.i18n import t

pytestmark = pytest.mark.browser

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
CHART = ".st-key-chart_theory_phase"  # Streamlit's class for the element keyed chart_theory_phase
FIGURE = CHART + " .js-plotly-plot"
BOXES = """() => {
  const root = document.querySelector('%s');
  const svg = root.querySelector('.main-svg').getBoundingClientRect();
  const box = selector => { const r = root.querySelector(selector).getBoundingClientRect();
    return {x: r.x - svg.x, y: r.y - svg.y, w: r.width, h: r.height}; };
  return {figure: box('.main-svg'), plot: box('.xy .nsewdrag'), colorbar: box('.colorbar'), bar: box('.cbfills'),
          legend: box('.legend'),
          title: box('.g-gtitle'), x_title: box('.g-xtitle')};
}""" % FIGURE


def open_phase_diagram(browser, url: str, lang: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url + "/?s=ravine&v=theory" + ("&l=zh" if lang == "zh" else ""))
    page.wait_for_selector(FIGURE + " .heatmaplayer image")  # the heatmap is painted
    # Streamlit's main area scrolls inside stMain, not the body; leave the phone's 60 px header above the chart
    page.evaluate("""() => { const chart = document.querySelector('%s');
        const main = document.querySelector('[data-testid=stMain]');
        main.scrollTop += chart.getBoundingClientRect().top - 64; }""" % CHART)
    page.wait_for_timeout(300)  # let the scroll settle before a screenshot or a click
    return context, page


def bottom(box: dict) -> float:
    return box["y"] + box["h"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_the_plot_gets_the_width_and_nothing_overlaps_it(browser, app_server, artifacts, lang):
    url, _ = app_server
    context, page = open_phase_diagram(browser, url, lang)
    try:
        page.screenshot(path=str(artifacts / f"phase-diagram-phone-{lang}.png"))
        b = page.evaluate(BOXES)
        figure, plot = b["figure"], b["plot"]
        # Measured on this phone, a 358 px wide chart: the y axis' title and tick labels take 75 px and the right
        # margin 10, so a plot with nothing beside it gets 273 px (0.76); the upright colour bar took 72 px more
        # and left 197 px (0.55). 0.70 leaves 20 px for other fonts and excludes any colour bar beside the plot.
        share = plot["w"] / figure["w"]
        assert share >= 0.70, (share, b)
        # Measured 272 px (en, five legend rows) and 305 px (zh, four) against 225 before; 250 px keep the
        # 34 momentum rows at 7 px or more, about as tall as the plot is wide.
        assert plot["h"] >= 250, b
        # top to bottom: the title, the colour bar, the plot, the x axis' title, the legend; none on another
        # (a pixel of slack: Plotly places its boxes on fractional pixels)
        assert bottom(b["title"]) <= b["colorbar"]["y"] + 1, b
        assert bottom(b["colorbar"]) <= plot["y"] + 1, b
        assert bottom(plot) <= b["x_title"]["y"] + 1, b
        assert bottom(b["x_title"]) <= b["legend"]["y"] + 1, b
        assert bottom(b["legend"]) <= figure["h"] + 1, b
        # the colour bar (its coloured strip; the end labels stick out half a label) spans the plot's width
        assert abs(b["bar"]["x"] - plot["x"]) <= 1 and abs(b["bar"]["w"] - plot["w"]) <= 1, b
    finally:
        context.close()


def test_on_a_phone_a_click_on_the_diagram_still_loads_its_point(browser, app_server):
    """A click where the diagram draws (η, β) = (0.0032, 0.7) loads that point, or a neighbour, into Momentum:
    the colour bar and legend leave the plot clickable. (A guard: the old layout passed it too.)"""
    url, _ = app_server
    context, page = open_phase_diagram(browser, url, "en")
    try:
        hint = partial(t, "theory.phase.click_hint", "en", label="Momentum")
        before = hint(lr="0.025", beta="0.9")  # the link's own point
        page.get_by_text(before).wait_for()
        plot = page.locator(FIGURE + " .xy .nsewdrag").bounding_box()
        x_range, y_range = page.evaluate("() => { const l = document.querySelector('%s')._fullLayout;"
                                         " return [l.xaxis.range, l.yaxis.range]; }" % FIGURE)
        x = plot["x"] + (math.log10(0.0032) - x_range[0]) / (x_range[1] - x_range[0]) * plot["width"]  # log10 η
        y = plot["y"] + (y_range[1] - 0.7) / (y_range[1] - y_range[0]) * plot["height"]
        page.mouse.click(x, y)
        page.wait_for_function("text => !document.body.innerText.includes(text)", arg=before)
        # Plotly picks one of the invisible 14 px cell markers under the pointer, not always the nearest (seen:
        # one cell up or right of it). A cell is a factor 1.17 in η and 0.03 in β, less than one notch of the
        # sliders' ladders (a factor 1.26; 0.1), so the loaded point is the target's notch or a neighbour.
        loaded = page.get_by_text(hint(lr="", beta="").split("η =")[0]).inner_text()
        assert loaded in {hint(lr=lr, beta=beta) for lr in ("0.0025", "0.0032", "0.004")
                          for beta in ("0.6", "0.7", "0.8")}, loaded
    finally:
        context.close()
